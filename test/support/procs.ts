/**
 * Real processes for tests: zombie makers, churn, and their clean-up. Every process started
 * here is in its own process group and is killed with it when the test ends.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PYTHON = '/usr/bin/python3';
export const REPO = path.resolve(__dirname, '../../..');
export const ZOMBIE_MAKER = path.join(REPO, 'test/fixtures/programs/zombie_maker.py');
export const CLI = path.join(REPO, 'dist/cli.js');

const started: ChildProcess[] = [];

/** Kills every process group started through this module. Call from an afterEach/after hook. */
export function killAll(): void {
  for (const c of started.splice(0)) {
    try {
      if (c.pid) process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export interface Maker {
  parent: number;
  children: number[];
  proc: ChildProcess;
}

/** Starts zombie_maker.py; resolves once every child exists (and, unless live, has exited). */
export async function startZombieMaker(names: Buffer[], options: { live?: boolean; count?: number } = {}): Promise<Maker> {
  const args = [ZOMBIE_MAKER];
  if (options.live) args.push('--live');
  if (options.count) args.push('--count', String(options.count));
  args.push(...names.map((n) => n.toString('hex')));
  const proc = spawn(PYTHON, args, { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(proc);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    proc.on('exit', (code) => reject(new Error(`zombie maker exited early with ${code}`)));
  });
  const children = line.trim() ? line.trim().split(' ').map(Number) : [];
  await waitFor(() => children.every((pid) => stateOf(pid) === (options.live ? 'S' : 'Z')), 20000, 'children to settle');
  return { parent: proc.pid!, children, proc };
}

/**
 * Starts test/fixtures/programs/zombie_storm.c (built with cc into a temp dir once) with N
 * children that exit at once; resolves when all N are zombies.
 */
export async function startZombieStorm(count: number): Promise<Maker> {
  const bin = path.join(os.tmpdir(), `pi-zombie-storm-${process.getuid?.() ?? 0}`);
  if (!fs.existsSync(bin)) {
    const cc = spawnSync('cc', ['-O2', '-o', bin, path.join(REPO, 'test/fixtures/programs/zombie_storm.c')], { stdio: 'inherit' });
    if (cc.status !== 0) throw new Error('cc failed to build zombie_storm.c');
  }
  const proc = spawn(bin, [String(count)], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(proc);
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.once('data', () => resolve());
    proc.once('exit', (code) => reject(new Error(`zombie storm exited early with ${code}`)));
  });
  const children = childrenOf(proc.pid!);
  if (children.length !== count) throw new Error(`zombie storm has ${children.length} children, not ${count}`);
  return { parent: proc.pid!, children, proc };
}

/** Children of pid by a plain scan of /proc (independent of the reader under test). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
      if (Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {
      // exited
    }
  }
  return out.sort((a, b) => a - b);
}

/** Starts any command in its own process group, killed by killAll(). stdin: 'pipe' to drive it. */
export function startGroup(cmd: string, args: string[], stdin: 'ignore' | 'pipe' = 'ignore'): ChildProcess {
  const proc = spawn(cmd, args, { detached: true, stdio: [stdin, 'ignore', 'ignore'] });
  started.push(proc);
  return proc;
}

/** The comm of a PID straight from /proc, without the newline (undefined once it is gone). */
export function commOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'latin1').replace(/\n$/, '');
  } catch {
    return undefined;
  }
}

/** The state letter of a PID straight from /proc (the test's own independent reading). */
export function stateOf(pid: number): string | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Killed after `hangMs` (a hang guard for input that used to block forever, not a timing check). */
  hung?: boolean;
}

/** Runs the built CLI (dist/cli.js) as a real process. */
export function runCli(args: string[], options: { uid?: number; hangMs?: number } = {}): Promise<CliResult> {
  const [cmd, argv] =
    options.uid !== undefined
      ? ['setpriv', [`--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', process.execPath, CLI, ...args]]
      : [process.execPath, [CLI, ...args]];
  return new Promise((resolve) => {
    const p = spawn(cmd, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let hung = false;
    const guard = options.hangMs !== undefined ? setTimeout(() => ((hung = true), p.kill('SIGKILL')), options.hangMs) : undefined;
    p.on('close', (code) => {
      if (guard) clearTimeout(guard);
      resolve({ code, stdout, stderr, ...(hung ? { hung } : {}) });
    });
  });
}
