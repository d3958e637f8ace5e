/**
 * `process-inspector run [--json] [--for SECONDS] [--check] [--report FILE] -- CMD ARGS…`
 *
 * Runs CMD with every recorder that fits (src/record/prepare.ts), passes its stdin, stdout and
 * stderr through, watches its process tree while it runs, and at the end reports the zombies it
 * made, grouped by the line that spawned them (recorded, never guessed), and the processes it
 * left running. `--check` makes a leak the exit status, as goleak does for goroutines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { relative, isAbsolute } from 'node:path';
import { displayName, processLine } from '../core/format';
import { formatAge } from '../core/diagnose';
import { identity, isZombie, type ProcessInfo, type ProcessSource } from '../core/model';
import { Monitor } from '../core/monitor';
import { defaultRecorderCacheDir } from '../record/assets';
import { newRecordFile } from '../record/dir';
import { RecordLog } from '../record/log';
import { resolveNativeFrames } from '../record/native';
import { prepareForCommand, type CommandPreparation } from '../record/prepare';
import { bestRecordedSite, type RecordedSite } from '../record/site';
import type { SpawnRecord } from '../record/types';
import type { Io } from './main';

export const RUN_USAGE = `Usage: process-inspector run [--json] [--for SECONDS] [--check] [--report FILE] -- CMD [ARGS...]

Runs CMD with spawn recorders (Go through GOFLAGS for go run/test/build/install, Python through
PYTHONPATH, Node through NODE_OPTIONS, glibc programs through LD_PRELOAD), its stdin, stdout and
stderr passed through, and watches its process tree. At the end it reports the zombies CMD made
(how many, how long they stayed, the most at once) grouped by the line that spawned them, and the
processes it left running, each with the recorded stack.

  --json          the report as JSON: {"command", "exitCode", "signal", "durationMs", "mostAtOnce",
                  "leaked", "zombies": [{"pid", "ppid", "comm", "parent", "zombieForMs",
                  "spawnSite": {"file", "line", "column", "function", "api", "confidence":
                  "recorded", "stack": [{"file", "line", "function"}]} | null}], "sites": [...],
                  "leftRunning": [...], "recorders": [...]}; files relative to the current
                  directory when inside it
  --for SECONDS   end the run after SECONDS: the report is taken while CMD still runs, then
                  CMD's process group gets SIGTERM (SIGKILL 5 s later)
  --check         exit 4 when CMD leaked: a zombie that stayed unreaped for a second or more or
                  until the end, or a process left running after CMD ended
  --report FILE   write the report to FILE instead of standard output (CMD's output stays clean)

Exit status: CMD's (128+N for a signal N); with --for, 0; with --check, 4 when CMD leaked; 127
when CMD cannot be started; 2 bad usage.`;

/** How often the tree is read while CMD runs. */
const SAMPLE_MS = 100;
/** A zombie unreaped this long is a leak for --check (a parent may wait a moment late). */
const LEAK_AFTER_MS = 1000;

export interface RunOptions {
  json: boolean;
  forSeconds?: number;
  check: boolean;
  report?: string;
}

interface ZombieSeen {
  proc: ProcessInfo;
  parent?: ProcessInfo;
  firstSeen: number;
  lastSeen: number;
  /** Still a zombie at the last look (never seen reaped). */
  atEnd: boolean;
}

interface SiteJson {
  file: string;
  line: number;
  column: number;
  function?: string;
  api: string;
  confidence: 'recorded';
  stack: { file: string; line: number; function?: string }[];
}

function shown(file: string, cwd: string): string {
  if (!isAbsolute(file)) return file;
  const r = relative(cwd, file);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : file;
}

function siteJson(site: RecordedSite, cwd: string): SiteJson {
  return {
    file: shown(site.file, cwd),
    line: site.line,
    column: site.column,
    ...(site.function ? { function: site.function } : {}),
    api: site.api,
    confidence: 'recorded',
    stack: site.stack.map((f) => ({ file: shown(f.file, cwd), line: f.line, ...(f.function ? { function: f.function } : {}) })),
  };
}

export async function runCommand(cmd: string[], opts: RunOptions, io: Io, source: ProcessSource, cwd = process.cwd()): Promise<number> {
  let prep: CommandPreparation;
  let recordFile: string;
  try {
    recordFile = newRecordFile();
    prep = prepareForCommand(cmd, { recordFile, cacheDir: defaultRecorderCacheDir(), env: process.env });
  } catch (e) {
    io.stderr(`process-inspector: cannot record spawns (${(e as Error).message}); running without recorders\n`);
    recordFile = '';
    prep = { env: {}, injected: [], skipped: [] };
  }
  for (const s of prep.skipped) io.stderr(`process-inspector: ${s.language} recorder not used: ${s.reason}\n`);

  const started = Date.now();
  // Its own process group, so that --for can end CMD and all it started; but a CMD reading a
  // terminal must stay in the terminal's foreground group (a background group gets SIGTTIN).
  const detached = !process.stdin.isTTY;
  let child: ChildProcess;
  try {
    child = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit', env: { ...process.env, ...prep.env }, detached });
  } catch (e) {
    io.stderr(`process-inspector: cannot run ${cmd[0]}: ${(e as Error).message}\n`);
    return 127;
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // Signals meant for the whole job reach CMD's group too when it has its own.
  const forward = (sig: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(detached ? -child.pid : child.pid, sig);
    } catch {
      // already gone
    }
  };
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  for (const s of sigs) process.on(s, forward);

  const monitor = new Monitor(source);
  const log = recordFile ? new RecordLog(recordFile) : undefined;
  const zombies = new Map<string, ZombieSeen>();
  const alive = new Map<string, ProcessInfo>();
  let mostAtOnce = 0;
  if (child.pid) monitor.track({ key: 'run', pid: child.pid });
  const sample = () => {
    let views;
    try {
      views = monitor.refresh();
    } catch {
      return;
    }
    const now = Date.now();
    for (const z of zombies.values()) z.atEnd = false;
    alive.clear();
    for (const v of views) {
      const zs = v.diagnosis.zombies.filter((z) => z.pid !== child.pid);
      mostAtOnce = Math.max(mostAtOnce, zs.length);
      for (const z of zs) {
        const key = identity(z);
        const seen = zombies.get(key);
        if (seen) {
          seen.lastSeen = now;
          seen.atEnd = true;
        } else zombies.set(key, { proc: z, parent: v.snapshot.processes.get(z.ppid), firstSeen: now, lastSeen: now, atEnd: true });
      }
      for (const p of v.snapshot.processes.values()) if (!isZombie(p) && p.pid !== child.pid) alive.set(identity(p), p);
    }
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);

  let ended: { code: number | null; signal: NodeJS.Signals | null; error?: Error };
  let cutShort = false;
  let finalAlive: Map<string, ProcessInfo> | undefined;
  if (opts.forSeconds !== undefined) {
    const limit = new Promise<'limit'>((resolve) => setTimeout(() => resolve('limit'), opts.forSeconds! * 1000).unref());
    const first = await Promise.race([exited, limit]);
    if (first === 'limit') {
      cutShort = true;
      sample();
      // The report is of the program as it runs; what it started is still its own, not left behind.
      finalAlive = new Map();
      forward('SIGTERM');
      const kill = setTimeout(() => forward('SIGKILL'), 5000);
      ended = await exited;
      clearTimeout(kill);
    } else ended = first;
  } else ended = await exited;
  clearInterval(timer);
  for (const s of sigs) process.off(s, forward);
  if (ended.error) {
    monitor.dispose();
    io.stderr(`process-inspector: cannot run ${cmd[0]}: ${ended.error.message}\n`);
    return 127;
  }
  if (!cutShort) sample();
  monitor.dispose();
  const durationMs = Date.now() - started;

  // Left running: what the tree had when CMD ended and is still there, and every recorded child
  // still alive (a daemon that double-forked between two reads was never seen in the tree).
  // Each candidate is read once, now: still the same process (PID and start), and not a zombie.
  const candidates = new Map<string, { pid: number; startTicks: number }>();
  for (const p of (finalAlive ?? alive).values()) candidates.set(identity(p), p);
  if (log) {
    log.poll();
    if (!cutShort) {
      for (const r of log.records) if (r.start !== null) candidates.set(identity({ pid: r.pid, startTicks: r.start }), { pid: r.pid, startTicks: r.start });
    }
  }
  const leftList: ProcessInfo[] = [];
  for (const c of candidates.values()) {
    const now = source.readProcess(c.pid);
    if (now && now.startTicks === c.startTicks && !isZombie(now)) leftList.push(now);
  }
  if (leftList.length) source.details(leftList);

  const roots = [cwd];
  /** A process's records, looked up once: the one that names a line, else the first (recorded, but no line). */
  const recordedOf = (p: ProcessInfo): { site?: RecordedSite; record?: SpawnRecord } => {
    const recs = log ? log.findAll(p) : [];
    const best = bestRecordedSite(recs, roots, resolveNativeFrames);
    return { site: best?.site, record: best?.record ?? recs[0] };
  };
  const siteOf = (p: ProcessInfo): RecordedSite | undefined => recordedOf(p).site;
  const zlist = [...zombies.values()].sort((a, b) => a.firstSeen - b.firstSeen);
  const leaked = zlist.filter((z) => z.atEnd || z.lastSeen - z.firstSeen >= LEAK_AFTER_MS);
  const didLeak = leaked.length > 0 || (!cutShort && leftList.length > 0);
  const exitCode = ended.code ?? (ended.signal ? 128 + (signalNumber(ended.signal) ?? 0) : 1);

  const zombieEntries = zlist.map((z) => ({ z, ...recordedOf(z.proc) }));
  const groups = new Map<string, { site?: RecordedSite; zombies: typeof zombieEntries }>();
  for (const e of zombieEntries) {
    const k = e.site ? `${e.site.file}:${e.site.line}` : e.record ? 'recorded' : '';
    const g = groups.get(k) ?? groups.set(k, { site: e.site, zombies: [] }).get(k)!;
    g.zombies.push(e);
  }

  let out: string;
  if (opts.json) {
    const body = {
      command: cmd,
      exitCode: ended.code,
      signal: ended.signal,
      durationMs,
      endedBy: cutShort ? 'for' : 'exit',
      mostAtOnce,
      leaked: didLeak,
      zombies: zombieEntries.map(({ z, site }) => ({
        pid: z.proc.pid,
        ppid: z.proc.ppid,
        comm: z.proc.comm,
        parent: z.parent ? { pid: z.parent.pid, comm: z.parent.comm } : { pid: z.proc.ppid },
        zombieForMs: z.lastSeen - z.firstSeen,
        unreapedAtEnd: z.atEnd,
        spawnSite: site ? siteJson(site, cwd) : null,
      })),
      sites: [...groups.values()].map((g) => ({
        spawnSite: g.site ? siteJson(g.site, cwd) : null,
        zombies: g.zombies.length,
        longestMs: Math.max(...g.zombies.map((e) => e.z.lastSeen - e.z.firstSeen)),
      })),
      leftRunning: leftList.map((p) => {
        const site = siteOf(p);
        return { pid: p.pid, ppid: p.ppid, comm: p.comm, cmdline: p.cmdline ?? null, spawnSite: site ? siteJson(site, cwd) : null };
      }),
      recorders: [...prep.injected.map((i) => ({ language: i.language, ok: true, note: i.note })), ...prep.skipped.map((s) => ({ language: s.language, ok: false, reason: s.reason }))],
      ...(log && log.bad ? { damagedRecords: log.bad } : {}),
    };
    out = `${JSON.stringify(body)}\n`;
  } else out = `${renderRun(cmd, ended, cutShort, durationMs, mostAtOnce, groups, leftList, siteOf, prep, cwd)}\n`;

  if (opts.report) {
    try {
      writeFileSync(opts.report, out);
    } catch (e) {
      io.stderr(`process-inspector: cannot write the report to ${opts.report}: ${(e as Error).message}\n`);
      return 1;
    }
  } else io.stdout(out);
  if (opts.check && didLeak) return 4;
  return cutShort ? 0 : exitCode;
}

function signalNumber(sig: NodeJS.Signals): number | undefined {
  const n = (constants.signals as Record<string, number | undefined>)[sig];
  return typeof n === 'number' ? n : undefined;
}

function stackLines(site: RecordedSite, cwd: string, indent: string): string[] {
  return site.stack.slice(0, 8).map((f) => `${indent}${f.function ? `${displayName({ comm: f.function })}  ` : ''}${displayName({ comm: shown(f.file, cwd) })}:${f.line}`);
}

function renderRun(
  cmd: string[],
  ended: { code: number | null; signal: NodeJS.Signals | null },
  cutShort: boolean,
  durationMs: number,
  mostAtOnce: number,
  groups: Map<string, { site?: RecordedSite; zombies: { z: ZombieSeen; site?: RecordedSite; record?: SpawnRecord }[] }>,
  left: ProcessInfo[],
  siteOf: (p: ProcessInfo) => RecordedSite | undefined,
  prep: CommandPreparation,
  cwd: string,
): string {
  const lines: string[] = [];
  const how = cutShort ? `ran for ${formatAge(durationMs)} (--for), then was sent SIGTERM` : ended.signal ? `was killed by ${ended.signal} after ${formatAge(durationMs)}` : `exited ${ended.code} after ${formatAge(durationMs)}`;
  lines.push(`process-inspector run: ${displayName({ comm: cmd.join(' ') })} ${how}`);
  const n = [...groups.values()].reduce((t, g) => t + g.zombies.length, 0);
  if (n === 0) lines.push('No zombies seen.');
  else {
    lines.push(`${n} zombie${n === 1 ? '' : 's'} (at most ${mostAtOnce} at once), by spawn site:`);
    for (const g of groups.values()) {
      const longest = Math.max(...g.zombies.map((e) => e.z.lastSeen - e.z.firstSeen));
      const parents = [...new Set(g.zombies.map((e) => (e.z.parent ? `${displayName(e.z.parent)} (${e.z.parent.pid})` : `pid ${e.z.proc.ppid}`)))];
      const names = [...new Set(g.zombies.map((e) => displayName(e.z.proc)))];
      const rec = g.zombies.map((e) => e.record).find(Boolean);
      const head = g.site
        ? `recorded at ${displayName({ comm: shown(g.site.file, cwd) })}:${g.site.line}`
        : rec
          ? `recorded (${rec.lang}, ${rec.api}), but no frame names a source line (code from -c or eval, or a binary without debug info)`
          : 'no record (started by a static binary, a Go binary built without the overlay, or a runtime without a recorder)';
      lines.push(`  ${head}: ${g.zombies.length} × ${names.join(', ')}, unreaped up to ${formatAge(longest)}, parent ${parents.join(', ')}`);
      if (g.site) lines.push(...stackLines(g.site, cwd, '      '));
    }
  }
  if (!cutShort) {
    if (left.length === 0) lines.push('Nothing left running.');
    else {
      lines.push(`Left running: ${left.length}`);
      for (const p of left) {
        const site = siteOf(p);
        lines.push(`  ${processLine(p, Date.now())}${p.cmdline?.length ? `  ${displayName({ comm: p.cmdline.join(' ') })}` : ''}${site ? `  recorded at ${displayName({ comm: shown(site.file, cwd) })}:${site.line}` : ''}`);
        if (site) lines.push(...stackLines(site, cwd, '      '));
      }
    }
  }
  const rec = prep.injected.map((i) => i.language);
  lines.push(`Recorders: ${rec.length ? rec.join(', ') : 'none'}${prep.skipped.length ? `; not used: ${prep.skipped.map((s) => `${s.language} (${s.reason})`).join('; ')}` : ''}`);
  return lines.join('\n');
}

/** `run`'s own options come before CMD (or a `--`); everything after is CMD's. */
export function parseRunArgs(argv: string[]): { opts: RunOptions; cmd: string[] } | { error: string } | { help: true } {
  const opts: RunOptions = { json: false, check: false };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const [name, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) return undefined;
      return argv[++i];
    };
    switch (name) {
      case '--json':
        opts.json = true;
        break;
      case '--check':
        opts.check = true;
        break;
      case '-h':
      case '--help':
        return { help: true };
      case '--for': {
        const v = value();
        if (v === undefined || !/^\d+(\.\d+)?$/.test(v) || !(Number(v) > 0) || Number(v) > 2_000_000) return { error: `--for wants a number of seconds, not ${JSON.stringify(v ?? '')}` };
        opts.forSeconds = Number(v);
        break;
      }
      case '--report': {
        const v = value();
        if (!v) return { error: '--report wants a file' };
        opts.report = v;
        break;
      }
      default:
        return { error: `unknown option ${JSON.stringify(a)} for run (put CMD after --)` };
    }
  }
  const cmd = argv.slice(i);
  if (!cmd.length) return { error: 'run wants a command: process-inspector run [options] -- CMD [ARGS...]' };
  return { opts, cmd };
}
