/**
 * For the recorder tests: temp dirs, strict reading of a record file, /proc facts about a child,
 * and a fixture program run until it says it is ready (then held while the test looks at /proc).
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RecordFrame, SpawnRecord } from '../../src/record/types';

const made: string[] = [];

/** A new directory under the OS temp dir, removed by removeTempDirs(). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pi-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Removes every directory tempDir() made. Call from an after hook. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Every line of a record file, each checked to be whole JSON with the fields every record has. */
export function readRecords(file: string): SpawnRecord[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), 'the record file ends with a newline');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      const r = JSON.parse(line) as SpawnRecord & { v: number };
      const where = `record line ${i + 1}: ${line.slice(0, 200)}`;
      assert.equal(r.v, 1, where);
      assert.ok(Number.isInteger(r.pid) && r.pid > 0, where);
      assert.ok(Number.isInteger(r.ppid) && r.ppid > 0, where);
      assert.ok(r.start === null || Number.isInteger(r.start), where);
      assert.equal(typeof r.time, 'number', where);
      assert.equal(typeof r.api, 'string', where);
      assert.ok(Array.isArray(r.stack) && r.stack.length > 0 && r.stack.length <= 64, where);
      return r;
    });
}

/** The first (innermost) frame of `record` in `file`. */
export function innermostIn(record: SpawnRecord, file: string): RecordFrame | undefined {
  return record.stack.find((f) => f.file === file);
}

export interface ProcStat {
  state: string;
  ppid: number;
  start: number;
}

/** State, parent and start time (fields 3, 4, 22) of /proc/PID/stat, split at the last ')'. */
export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], ppid: Number(fields[1]), start: Number(fields[19]) };
}

export interface Held {
  proc: ChildProcess;
  /** The first line the program printed, parsed as JSON. */
  ready: unknown;
  /** Closes the program's stdin and waits for it to exit. */
  release(): Promise<number | null>;
}

/** Starts a fixture that prints one JSON line and then waits for its stdin to close. */
export async function runHeld(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<Held> {
  const proc = spawn(cmd, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    proc.on('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited early with ${code}: ${err}`)));
  });
  return {
    proc,
    ready: JSON.parse(line),
    release: async () => {
      proc.stdin!.end();
      return exited;
    },
  };
}

export interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Outcome {
  const r = spawnSync(cmd, args, { env, cwd, encoding: 'utf8', timeout: 120000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The environment of this test process without anything a recorder sets. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.PROCESS_INSPECTOR_RECORD;
  delete env.PYTHONPATH;
  delete env.NODE_OPTIONS;
  return env;
}

/** Polls `ready` every 20 ms; fails after 20 s (a hang, not a timing assertion). */
export async function waitFor(ready: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`timed out waiting for ${what}`);
}
