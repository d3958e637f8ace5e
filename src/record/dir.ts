/**
 * Where record files live while programs run: one directory per user and boot, shared by the
 * extension's debug sessions and the CLI's `run`, so that `zombies --workspace` finds the records
 * of a program started either way. A start time in clock ticks since boot repeats across boots,
 * so the boot ID names the directory and records of an earlier boot are never read.
 *
 *   $XDG_RUNTIME_DIR/process-inspector/records/<boot id>/   (else $TMPDIR/process-inspector-<uid>/...)
 *   <boot id>/<creator pid>-<random>.jsonl                   one file per run or debug session
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Record files untouched this long are deleted when a new one is made. */
const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000;

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().replace(/[^0-9a-f-]/gi, '') || 'boot';
  } catch {
    return 'boot';
  }
}

export function recordDir(env: NodeJS.ProcessEnv = process.env): string {
  const uid = process.getuid?.() ?? 0;
  const base = env.PROCESS_INSPECTOR_RECORD_DIR || (env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'process-inspector', 'records') : join(tmpdir(), `process-inspector-${uid}`, 'records'));
  return join(base, bootId());
}

/** Makes the directory (0700, ours) and refuses one that another user owns or that is a symlink. */
function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (uid !== undefined && st.uid !== uid) throw new Error(`${dir} belongs to another user (uid ${st.uid})`);
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** A new record file's path (the file itself is created by the first record), pruning old ones. */
export function newRecordFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = recordDir(env);
  ensureDir(dir);
  prune(dir);
  return join(dir, `${process.pid}-${randomBytes(6).toString('hex')}.jsonl`);
}

/** The record files in `dir` with their mtimes (none when it cannot be listed). */
function listRecordFiles(dir: string): { file: string; mtime: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: { file: string; mtime: number }[] = [];
  for (const n of names) {
    if (!n.endsWith('.jsonl')) continue;
    try {
      const st = statSync(join(dir, n));
      if (st.isFile()) out.push({ file: join(dir, n), mtime: st.mtimeMs });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Every record file of this boot, newest first. */
export function recordFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  return listRecordFiles(recordDir(env))
    .sort((a, b) => b.mtime - a.mtime)
    .map((x) => x.file);
}

function prune(dir: string): void {
  const now = Date.now();
  for (const { file, mtime } of listRecordFiles(dir)) {
    if (now - mtime <= PRUNE_AFTER_MS) continue;
    try {
      rmSync(file, { force: true });
    } catch {
      // not ours to delete after all: it stays
    }
  }
}
