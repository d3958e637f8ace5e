/**
 * Text and JSON renderings of the model, shared by the CLI and the extension (tooltips, copy).
 */
import type { Diagnosis, ParentDiagnosis } from './diagnose';
import { formatAge } from './diagnose';
import type { ExitInfo, ProcessInfo, Snapshot } from './model';
import { isZombie } from './model';

export function describeExit(e: ExitInfo | undefined): string {
  if (!e) return 'exited';
  if (e.signal !== undefined) return `killed by signal ${e.signal}${e.coreDumped ? ' (core dumped)' : ''}`;
  return `exited ${e.code}`;
}

/** A process's name as shown to people: escapes control characters so a `\n` in a name cannot forge a line. */
export function displayName(p: Pick<ProcessInfo, 'comm'>): string {
  // eslint-disable-next-line no-control-regex
  return p.comm.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** The JSON form of a process: every known field, times as ISO strings and ages in ms. */
export function processJson(p: ProcessInfo, now: number): Record<string, unknown> {
  const o: Record<string, unknown> = {
    pid: p.pid,
    ppid: p.ppid,
    comm: p.comm,
    state: p.state,
    pgid: p.pgid,
    sid: p.sid,
    threads: p.threads,
    startTime: new Date(p.startTime).toISOString(),
    ageMs: Math.max(0, now - p.startTime),
  };
  const optional: (keyof ProcessInfo)[] = ['commHex', 'uid', 'tracerPid', 'nspid', 'sigchld', 'wchan', 'cmdline', 'exe', 'exit', 'restricted'];
  for (const k of optional) if (p[k] !== undefined) o[k] = p[k];
  return o;
}

export function parentJson(d: ParentDiagnosis, now: number): Record<string, unknown> {
  return {
    ...processJson(d.parent, now),
    zombieCount: d.zombies.length,
    oldestZombieAgeMs: d.oldestAgeMs,
    activity: d.activity,
    cause: d.cause,
    verdict: d.verdict,
  };
}

export function zombiesJson(snapshot: Snapshot, diagnosis: Diagnosis): { zombies: Record<string, unknown>[]; parents: Record<string, unknown>[] } {
  const now = snapshot.takenAt;
  const parentJsonByPid = new Map(diagnosis.parents.map((d) => [d.parent.pid, parentJson(d, now)]));
  const zombies = diagnosis.zombies.map((z) => {
    const o = processJson(z, now);
    const parent = parentJsonByPid.get(z.ppid);
    o.parent = parent ? { pid: parent.pid, comm: parent.comm, state: parent.state, cause: parent.cause, verdict: parent.verdict } : { pid: z.ppid };
    return o;
  });
  return { zombies, parents: [...parentJsonByPid.values()] };
}

/** One line for a process: "4712 true <defunct> exited 0, 12 min". */
export function processLine(p: ProcessInfo, now: number): string {
  const age = formatAge(Math.max(0, now - p.startTime));
  if (isZombie(p)) return `${p.pid} ${displayName(p)} <defunct> ${describeExit(p.exit)}, ${age} ago`;
  return `${p.pid} ${displayName(p)} [${p.state}] ${age}`;
}

/** An indented tree of the snapshot; zombies marked. `limit` caps the children listed per parent. */
export function renderTree(snapshot: Snapshot, limit = Infinity): string {
  const now = snapshot.takenAt;
  const roots =
    snapshot.root !== undefined
      ? [snapshot.root]
      : [...snapshot.processes.values()].filter((p) => !snapshot.processes.has(p.ppid) || p.ppid === p.pid).map((p) => p.pid);
  const lines: string[] = [];
  const seen = new Set<number>();
  const walk = (pid: number, prefix: string, last: boolean, top: boolean) => {
    const p = snapshot.processes.get(pid);
    if (!p || seen.has(pid)) return;
    seen.add(pid);
    lines.push(top ? processLine(p, now) : `${prefix}${last ? '└─ ' : '├─ '}${processLine(p, now)}`);
    const kids = snapshot.children.get(pid) ?? [];
    const shown = kids.slice(0, limit);
    const childPrefix = top ? '' : prefix + (last ? '   ' : '│  ');
    shown.forEach((c, i) => walk(c, childPrefix, i === shown.length - 1 && shown.length === kids.length, false));
    if (shown.length < kids.length) lines.push(`${childPrefix}└─ … ${kids.length - shown.length} more`);
  };
  for (const r of roots.sort((a, b) => a - b)) walk(r, '', true, true);
  return lines.join('\n');
}

/** The readable `zombies` report: each guilty parent, its verdict, its zombies. */
export function renderZombies(snapshot: Snapshot, diagnosis: Diagnosis, limit = 10): string {
  const now = snapshot.takenAt;
  if (diagnosis.zombies.length === 0) return 'No zombies.';
  const out: string[] = [];
  const n = diagnosis.zombies.length;
  out.push(`${n} zombie${n === 1 ? '' : 's'} under ${diagnosis.parents.length} parent${diagnosis.parents.length === 1 ? '' : 's'}`);
  for (const d of diagnosis.parents) {
    out.push('');
    out.push(`${processLine(d.parent, now)}  ${d.parent.cmdline?.length ? d.parent.cmdline.join(' ') : ''}`.trimEnd());
    out.push(`  ${d.verdict}`);
    const shown = d.zombies.slice(0, limit);
    shown.forEach((z, i) => out.push(`  ${i === shown.length - 1 && shown.length === d.zombies.length ? '└─' : '├─'} ${processLine(z, now)}`));
    if (shown.length < d.zombies.length) out.push(`  └─ … ${d.zombies.length - shown.length} more (--json lists all)`);
  }
  for (const z of diagnosis.orphanedZombies) out.push('', `${processLine(z, now)} (parent ${z.ppid} not in view)`);
  return out.join('\n');
}
