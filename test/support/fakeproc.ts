/**
 * A procfs-shaped directory for `--proc` tests: real files (and FIFOs) written to a temp dir, in
 * the layout and the line formats of a real Linux /proc (fields as /proc/1/stat has them).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface FakeStat {
  pid: number;
  comm: string;
  state?: string;
  ppid: number;
  startTicks?: number;
  exitStatus?: number;
}

/** A /proc/PID/stat line with all 52 fields, as Linux 6.x prints it. */
export function statLine(s: FakeStat): string {
  const f: (string | number)[] = [s.pid, `(${s.comm})`, s.state ?? 'S', s.ppid, s.pid, s.pid, 0, -1, 4194560, 100, 0, 0, 0, 1, 1, 0, 0, 20, 0, 1, 0, s.startTicks ?? 1000];
  while (f.length < 51) f.push(0);
  f.push(s.exitStatus ?? 0);
  return `${f.join(' ')}\n`;
}

export const STATUS = (pid: number, ppid: number, extra = '') =>
  `Name:\tx\nState:\tS (sleeping)\nTgid:\t${pid}\nPid:\t${pid}\nPPid:\t${ppid}\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nNSpid:\t${pid}\nThreads:\t1\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n${extra}`;

export type FakeFile = string | Buffer | { fifo: true };

/** Writes a fake procfs: `uptime` plus, per PID, the files given (stat and status by default). */
export function makeProc(pids: Record<number, Record<string, FakeFile>>, uptime: FakeFile = '5000.00 9000.00\n'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-fakeproc-'));
  const put = (file: string, content: FakeFile) => {
    if (typeof content === 'object' && !Buffer.isBuffer(content)) {
      const r = spawnSync('mkfifo', [file]);
      if (r.status !== 0) throw new Error(`mkfifo ${file} failed`);
    } else fs.writeFileSync(file, content);
  };
  put(path.join(dir, 'uptime'), uptime);
  for (const [pid, files] of Object.entries(pids)) {
    fs.mkdirSync(path.join(dir, pid));
    for (const [name, content] of Object.entries(files)) put(path.join(dir, pid, name), content);
  }
  return dir;
}

/** A small healthy tree: 1 (init) -> 10 (parent, never waits) -> 11, 12 (zombies). */
export function healthyTree(): Record<number, Record<string, FakeFile>> {
  return {
    1: { stat: statLine({ pid: 1, comm: 'init', ppid: 0 }), status: STATUS(1, 0), cmdline: '/sbin/init\0' },
    10: { stat: statLine({ pid: 10, comm: 'parent', ppid: 1 }), status: STATUS(10, 1), cmdline: 'parent\0--serve\0' },
    11: { stat: statLine({ pid: 11, comm: 'child', state: 'Z', ppid: 10 }), status: STATUS(11, 10) },
    12: { stat: statLine({ pid: 12, comm: 'child', state: 'Z', ppid: 10 }), status: STATUS(12, 10) },
  };
}
