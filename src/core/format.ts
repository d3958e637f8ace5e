/**
 * Text and JSON renderings of the model, shared by the CLI and the extension (tooltips, copy).
 */
import type { Diagnosis, ParentDiagnosis } from './diagnose';
import { formatAge } from './diagnose';
import { describeLimit, type Forecast, type ProcessLimits } from './forecast';
import type { ExitInfo, ProcessInfo, Snapshot } from './model';
import { isZombie } from './model';

export function describeExit(e: ExitInfo | undefined): string {
  if (!e) return 'exited';
  if (e.signal !== undefined) return `killed by signal ${e.signal}${e.coreDumped ? ' (core dumped)' : ''}`;
  return `exited ${e.code}`;
}

/**
 * Text from other users and programs (names, command lines, paths, file names) as shown on a
 * terminal or in a tree row: C0 controls, DEL and the C1 controls (U+0080-U+009F: U+009B is a
 * CSI to many terminals) become visible escapes, so such text can neither forge a line nor send
 * an escape sequence. JSON output keeps the exact text.
 */
export function escapeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : c.charCodeAt(0) < 0x80 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

/** A process's name as shown to people: escapes control characters so a `\n` in a name cannot forge a line. */
export function displayName(p: Pick<ProcessInfo, 'comm'>): string {
  return escapeText(p.comm);
}

/**
 * A wall-clock time as an ISO string, or null when no Date can hold it (a start time read from a
 * damaged or fake stat: Dates end at 275760 AD).
 */
export function isoTime(ms: number): string | null {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
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
    startTime: isoTime(p.startTime),
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
    ...(d.limits ? { limits: limitsJson(d.limits) } : {}),
    ...(d.forecast ? { forecast: forecastJson(d.forecast) } : {}),
  };
}

/** `limits` in JSON: every reading as read (`status` says limited, unlimited, unreadable or not enforced). */
export function limitsJson(l: ProcessLimits): Record<string, unknown> {
  return { readings: l.readings, ...(l.unknown ? { unknown: l.unknown } : {}) };
}

/** `forecast` in JSON; `secondsLeft` and `tightest` only when a finite limit is being approached. */
export function forecastJson(f: Forecast): Record<string, unknown> {
  const o: Record<string, unknown> = { trend: f.trend, ratePerSecond: f.ratePerSecond, text: f.text };
  if (f.tightest) o.tightest = f.tightest;
  if (f.secondsLeft !== undefined) o.secondsLeft = Math.round(f.secondsLeft * 10) / 10;
  if (f.quietForMs !== undefined) o.quietForMs = f.quietForMs;
  return o;
}

/** The limits in one line: `limits: cgroup /pi's pids.max (30, 12 in use); RLIMIT_NPROC of uid 0: not enforced (root is exempt); ...`. */
export function limitsLine(l: ProcessLimits): string {
  if (l.unknown) return `limits: unknown (${l.unknown})`;
  return `limits: ${l.readings.map(describeLimit).join('; ')}`;
}

/**
 * Where a zombie was spawned: a line of the workspace's source, as the CLI's `--workspace` links
 * it (src/cli/workspace.ts). `file` is relative to the workspace, with forward slashes.
 */
export interface SpawnSiteNote {
  file: string;
  line: number;
  column: number;
  language: string;
  api: string;
  /** `recorded`: the program's runtime wrote down the line as it ran (src/record); the others are inferred. */
  confidence: 'recorded' | 'likely' | 'possible';
  reason: string;
  /** Recorded only: the user's part of the call stack, innermost first, files as `file` is. */
  stack?: { file: string; line: number; function?: string }[];
}

/**
 * Spawn sites by zombie PID: a note, or undefined when no site fits well enough. Given to the
 * renderings only when a workspace was searched, so "no site" and "not asked" stay apart.
 */
export type SpawnSites = ReadonlyMap<number, SpawnSiteNote | undefined>;

/** The `zombies --json` body. With `sites`, every zombie gets `spawnSite`: a note or null. */
export function zombiesJson(snapshot: Snapshot, diagnosis: Diagnosis, sites?: SpawnSites): { zombies: Record<string, unknown>[]; parents: Record<string, unknown>[] } {
  const now = snapshot.takenAt;
  const parentJsonByPid = new Map(diagnosis.parents.map((d) => [d.parent.pid, parentJson(d, now)]));
  const zombies = diagnosis.zombies.map((z) => {
    const o = processJson(z, now);
    const parent = parentJsonByPid.get(z.ppid);
    o.parent = parent ? { pid: parent.pid, comm: parent.comm, state: parent.state, cause: parent.cause, verdict: parent.verdict } : { pid: z.ppid };
    if (sites) o.spawnSite = sites.get(z.pid) ?? null;
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
  // What no root reaches: processes whose parent links form a cycle (a racing or fake procfs).
  // Each such ring is drawn from its lowest PID, marked, so nothing read goes unprinted.
  if (snapshot.root === undefined && seen.size < snapshot.processes.size) {
    for (const pid of [...snapshot.processes.keys()].sort((a, b) => a - b)) {
      if (seen.has(pid)) continue;
      const first = lines.length;
      walk(pid, '', true, true);
      lines[first] += `  (parent cycle: its parent ${snapshot.processes.get(pid)!.ppid} is below it)`;
    }
  }
  return lines.join('\n');
}

// File names and reasons (which quote the zombie's name and the parent's path) escaped like names.
function siteAt(n: SpawnSiteNote): string {
  return `${displayName({ comm: n.file })}:${n.line}`;
}

/** "spawned at go/seed/main.go:29 (likely: the parent ... never waits)". */
function spawnedAt(n: SpawnSiteNote): string {
  return `spawned at ${siteAt(n)} (${n.confidence}: ${displayName({ comm: n.reason })})`;
}

const NO_SITE = 'spawn site: none in the workspace fits well enough';

/**
 * The readable `zombies` report: each guilty parent, its verdict, its zombies. With `sites`, where
 * they were spawned: once for the parent when all its zombies share one site, else per zombie
 * with each site's reason after the list.
 */
export function renderZombies(snapshot: Snapshot, diagnosis: Diagnosis, limit = 10, sites?: SpawnSites): string {
  const now = snapshot.takenAt;
  if (diagnosis.zombies.length === 0) return 'No zombies.';
  const out: string[] = [];
  const n = diagnosis.zombies.length;
  out.push(`${n} zombie${n === 1 ? '' : 's'} under ${diagnosis.parents.length} parent${diagnosis.parents.length === 1 ? '' : 's'}`);
  for (const d of diagnosis.parents) {
    out.push('');
    out.push(`${processLine(d.parent, now)}  ${d.parent.cmdline?.length ? escapeText(d.parent.cmdline.join(' ')) : ''}`.trimEnd());
    out.push(`  ${escapeText(d.verdict)}`);
    // The verdict carries the forecast while it leaks; otherwise say what the history shows.
    if (d.forecast && d.forecast.trend !== 'leaking') out.push(`  forecast: ${escapeText(d.forecast.text)}`);
    if (d.limits) out.push(`  ${limitsLine(d.limits)}`);
    // One key per distinct answer: the site and its confidence, or '' for none.
    const keyOf = (z: ProcessInfo) => {
      const note = sites?.get(z.pid);
      return note ? `${siteAt(note)} ${note.confidence}` : '';
    };
    const keys = new Set(d.zombies.map(keyOf));
    const perZombie = sites !== undefined && keys.size > 1;
    if (sites && !perZombie) {
      const note = sites.get(d.zombies[0].pid);
      out.push(`  ${note ? spawnedAt(note) : NO_SITE}`);
    }
    const suffix = (z: ProcessInfo) => {
      if (!perZombie) return '';
      const note = sites!.get(z.pid);
      return note ? `  spawned at ${siteAt(note)} (${note.confidence})` : '  spawn site unknown';
    };
    const shown = d.zombies.slice(0, limit);
    shown.forEach((z, i) => out.push(`  ${i === shown.length - 1 && shown.length === d.zombies.length ? '└─' : '├─'} ${processLine(z, now)}${suffix(z)}`));
    if (shown.length < d.zombies.length) out.push(`  └─ … ${d.zombies.length - shown.length} more (--json lists all)`);
    if (perZombie) {
      const reasons = new Map<string, SpawnSiteNote>();
      for (const z of d.zombies) {
        const note = sites!.get(z.pid);
        if (note && !reasons.has(keyOf(z))) reasons.set(keyOf(z), note);
      }
      for (const note of reasons.values()) out.push(`  ${spawnedAt(note)}`);
    }
  }
  for (const z of diagnosis.orphanedZombies) {
    out.push('', `${processLine(z, now)} (parent ${z.ppid} not in view)`);
    if (sites) {
      const note = sites.get(z.pid);
      out.push(`  ${note ? spawnedAt(note) : NO_SITE}`);
    }
  }
  return out.join('\n');
}
