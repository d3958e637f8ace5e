/**
 * Why zombies stay: from a snapshot to findings a person can act on. Pure: no I/O, the clock is
 * a parameter.
 */
import type { Forecast, ProcessLimits, Sample } from './forecast';
import type { ProcessInfo, SigchldInfo, Snapshot } from './model';
import { isZombie } from './model';

/** What the parent is doing instead of waiting. */
export type Activity =
  | { kind: 'running' }
  | { kind: 'sleeping'; wchan?: string }
  | { kind: 'disk-wait'; wchan?: string }
  | { kind: 'paused-by-debugger'; tracerPid: number; tracerComm?: string }
  | { kind: 'stopped' }
  | { kind: 'zombie' }
  | { kind: 'unknown'; state: string };

/** The reason the zombies are not reaped, as one word for UIs and JSON. */
export type Cause =
  | 'never-waits'
  | 'handler-does-not-reap'
  | 'sigchld-blocked'
  | 'waits-for-another-child'
  | 'paused-by-debugger'
  | 'stopped'
  | 'parent-is-zombie'
  | 'init-does-not-reap'
  | 'zombies-predate-sig-ign';

export interface ParentDiagnosis {
  parent: ProcessInfo;
  /** Its zombie children, oldest first. */
  zombies: ProcessInfo[];
  oldestAgeMs: number;
  activity: Activity;
  sigchld?: SigchldInfo;
  cause: Cause;
  /** One line a person can act on, e.g. "37 unreaped children, oldest 12 min; parent blocked in
   *  futex_wait_queue, SIGCHLD default: it never calls wait". With a forecast that leaks, its
   *  text follows: "...; leaks 1 child/s; cgroup /pi's pids.max (30, 12 in use) is reached in about 18 s". */
  verdict: string;
  /** The limits on the parent's tasks, when they were read (the monitor and the CLI read them). */
  limits?: ProcessLimits;
  /** How fast it leaks and when the tightest limit is reached (src/core/forecast.ts). */
  forecast?: Forecast;
  /** Its zombie count over time, oldest first (what the forecast and the sparkline are drawn from). */
  history?: Sample[];
}

export interface Diagnosis {
  /** Every zombie, ordered by parent then start time. */
  zombies: ProcessInfo[];
  /** One entry per parent with zombie children, most zombies first. */
  parents: ParentDiagnosis[];
  /** Zombies whose parent is not in the snapshot (outside a subtree, or just exited). */
  orphanedZombies: ProcessInfo[];
}

export interface DiagnoseOptions {
  /** The clock, for ages; the snapshot's time by default. */
  now?: number;
  /** Processes outside the snapshot worth naming (a parent's tracer, e.g. dlv outside the subtree). */
  related?: Map<number, ProcessInfo>;
}

export function diagnose(snapshot: Snapshot, options: DiagnoseOptions = {}): Diagnosis {
  const now = options.now ?? snapshot.takenAt;
  const lookup = (pid: number) => snapshot.processes.get(pid) ?? options.related?.get(pid);
  const byParent = new Map<number, ProcessInfo[]>();
  const orphanedZombies: ProcessInfo[] = [];
  for (const p of snapshot.processes.values()) {
    if (!isZombie(p)) continue;
    if (!snapshot.processes.has(p.ppid)) orphanedZombies.push(p);
    const list = byParent.get(p.ppid);
    if (list) list.push(p);
    else byParent.set(p.ppid, [p]);
  }
  const parents: ParentDiagnosis[] = [];
  for (const [ppid, zombies] of byParent) {
    zombies.sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid);
    const parent = snapshot.processes.get(ppid);
    if (!parent) continue;
    parents.push(diagnoseParent(parent, zombies, lookup, now));
  }
  parents.sort((a, b) => b.zombies.length - a.zombies.length || a.parent.pid - b.parent.pid);
  return { zombies: parents.flatMap((d) => d.zombies).concat(orphanedZombies), parents, orphanedZombies };
}

export function activityOf(p: ProcessInfo, lookup?: (pid: number) => ProcessInfo | undefined): Activity {
  // A tracer stop shows as `t`; a process stopped by SIGSTOP while traced may show `T` with a
  // tracer: both mean a debugger holds it.
  if ((p.state === 't' || p.state === 'T') && p.tracerPid) {
    return { kind: 'paused-by-debugger', tracerPid: p.tracerPid, tracerComm: lookup?.(p.tracerPid)?.comm };
  }
  switch (p.state) {
    case 'R':
      return { kind: 'running' };
    case 'S':
    case 'I':
      return { kind: 'sleeping', wchan: p.wchan };
    case 'D':
      return { kind: 'disk-wait', wchan: p.wchan };
    case 'T':
    case 't':
      return { kind: 'stopped' };
    case 'Z':
      return { kind: 'zombie' };
    default:
      return { kind: 'unknown', state: p.state };
  }
}

export function describeActivity(a: Activity): string {
  switch (a.kind) {
    case 'running':
      return 'parent running';
    case 'sleeping':
      return a.wchan ? `parent blocked in ${a.wchan}` : 'parent sleeping';
    case 'disk-wait':
      return a.wchan ? `parent in uninterruptible wait in ${a.wchan}` : 'parent in uninterruptible wait';
    case 'paused-by-debugger':
      return `parent paused by debugger ${a.tracerComm ? `${a.tracerComm} (${a.tracerPid})` : a.tracerPid}`;
    case 'stopped':
      return 'parent stopped by a signal';
    case 'zombie':
      return 'parent is itself a zombie';
    case 'unknown':
      return `parent in state ${a.state}`;
  }
}

function isInit(p: ProcessInfo): boolean {
  // PID 1 of the machine, or of the innermost PID namespace (a container's PID 1).
  return p.pid === 1 || (p.nspid !== undefined && p.nspid[p.nspid.length - 1] === 1);
}

function causeOf(parent: ProcessInfo, activity: Activity): { cause: Cause; why: string } {
  const s = parent.sigchld;
  switch (activity.kind) {
    case 'paused-by-debugger':
      return { cause: 'paused-by-debugger', why: 'it cannot reap while paused; continue it, and if they stay it never calls wait' };
    case 'stopped':
      return { cause: 'stopped', why: 'it cannot reap while stopped (SIGCONT resumes it)' };
    case 'zombie':
      return { cause: 'parent-is-zombie', why: 'its own parent must reap it; then these pass to init' };
    default:
  }
  if (isInit(parent)) {
    return { cause: 'init-does-not-reap', why: 'this PID 1 does not reap adopted children (a container without an init: use --init or tini)' };
  }
  if (s?.disposition === 'ignored') {
    return { cause: 'zombies-predate-sig-ign', why: 'the kernel reaps children of a parent that ignores SIGCHLD, so these exited before it began ignoring it' };
  }
  if (activity.kind === 'sleeping' && activity.wchan === 'do_wait') {
    return { cause: 'waits-for-another-child', why: 'it is in wait, but for another child (waitpid on one PID)' };
  }
  if (s?.blocked && s.disposition === 'caught') {
    return { cause: 'sigchld-blocked', why: 'SIGCHLD is blocked, so its handler never runs' };
  }
  if (s?.disposition === 'caught') {
    return { cause: 'handler-does-not-reap', why: 'its SIGCHLD handler does not reap them: the code that started them never calls wait' };
  }
  return { cause: 'never-waits', why: 'it never calls wait' };
}

function describeSigchld(s: SigchldInfo | undefined): string | undefined {
  if (!s) return undefined;
  return `SIGCHLD ${s.disposition}${s.blocked ? ' (blocked)' : ''}`;
}

export function diagnoseParent(
  parent: ProcessInfo,
  zombies: ProcessInfo[],
  lookup: ((pid: number) => ProcessInfo | undefined) | undefined,
  now: number,
): ParentDiagnosis {
  const oldest = Math.min(...zombies.map((z) => z.startTime));
  const oldestAgeMs = Math.max(0, now - oldest);
  const activity = activityOf(parent, lookup);
  const { cause, why } = causeOf(parent, activity);
  const count = `${zombies.length} unreaped ${zombies.length === 1 ? 'child' : 'children'}, oldest ${formatAge(oldestAgeMs)}`;
  const state = [describeActivity(activity), describeSigchld(parent.sigchld)].filter(Boolean).join(', ');
  return { parent, zombies, oldestAgeMs, activity, sigchld: parent.sigchld, cause, verdict: `${count}; ${state}: ${why}` };
}

/** "4 s", "12 min", "3 h 5 min", "2 d 4 h". */
export function formatAge(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}
