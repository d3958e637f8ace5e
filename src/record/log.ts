/**
 * Reading record files (see types.ts for the format): a RecordLog follows one file as the program
 * appends to it, reading only what was added since the last poll, and answers "which record is
 * this process's" by PID and start time. A line that is not a valid record is counted and skipped,
 * never trusted: the file is written by the program under inspection.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { MAX_FRAMES, RECORD_VERSION, type RecordFrame, type RecorderLanguage, type SpawnRecord } from './types';

const LANGS: ReadonlySet<string> = new Set<RecorderLanguage>(['go', 'python', 'node', 'native']);
/** A line longer than this is damage, not a record (64 frames of long paths fit easily). */
const MAX_LINE = 256 * 1024;
/**
 * A record whose start time could not be read is matched by PID and time: the record is written
 * right after the spawn, and a process's wall-clock start (boot time, whole seconds, plus ticks)
 * can be off by up to a second.
 */
const TIME_SLACK_MS = 1500;

function isInt(v: unknown, min = 0): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

function str(v: unknown, max = 4096): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
}

function frameOf(v: unknown): RecordFrame | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const o = v as Record<string, unknown>;
  const f: RecordFrame = {};
  const file = str(o.file);
  if (file) f.file = file;
  if (isInt(o.line, 1)) f.line = o.line;
  if (isInt(o.column, 1)) f.column = o.column;
  const fn = str(o.function, 1024);
  if (fn) f.function = fn;
  const mod = str(o.module);
  if (mod) f.module = mod;
  if (isInt(o.offset)) f.offset = o.offset;
  if (f.file === undefined && f.module === undefined && f.function === undefined) return undefined;
  return f;
}

/** One line of a record file as a record, or undefined when it is not one. Never throws. */
export function parseRecord(line: string): SpawnRecord | undefined {
  let o: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(line);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    o = v as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (o.v !== RECORD_VERSION || !isInt(o.pid, 1) || !isInt(o.ppid, 0)) return undefined;
  if (!(o.start === null || isInt(o.start))) return undefined;
  if (typeof o.time !== 'number' || !Number.isFinite(o.time) || o.time < 0) return undefined;
  const api = str(o.api, 200);
  if (!api || typeof o.lang !== 'string' || !LANGS.has(o.lang) || !Array.isArray(o.stack)) return undefined;
  const stack: RecordFrame[] = [];
  for (const f of o.stack.slice(0, MAX_FRAMES)) {
    const frame = frameOf(f);
    if (frame) stack.push(frame);
  }
  const rec: SpawnRecord = { pid: o.pid, ppid: o.ppid, start: o.start as number | null, time: o.time, api, lang: o.lang as RecorderLanguage, stack };
  if (isInt(o.tid, 1)) rec.tid = o.tid;
  const cwd = str(o.cwd);
  if (cwd) rec.cwd = cwd;
  return rec;
}

/** The identity of a process as the reader has it. */
export interface ProcessKey {
  pid: number;
  startTicks: number;
  /** Wall-clock start, ms since the epoch (for records whose start could not be read). */
  startTime: number;
}

/** Matching records, the best first: by exact start before by time, a runtime's before native. */
function bestFirst(records: SpawnRecord[]): SpawnRecord[] {
  const rank = (r: SpawnRecord) => (r.start === null ? 2 : 0) + (r.lang === 'native' ? 1 : 0);
  return records.sort((a, b) => rank(a) - rank(b));
}

export class RecordLog {
  private offset = 0;
  private partial = '';
  /** A multi-byte character cut by a read is completed by the next. */
  private decoder = new StringDecoder('utf8');
  private ino = -1;
  /** pid -> its records, oldest first (a PID can be reused). */
  private readonly byPid = new Map<number, SpawnRecord[]>();
  private readonly all: SpawnRecord[] = [];
  /** Lines that were not records. */
  bad = 0;

  constructor(readonly file: string) {}

  get records(): readonly SpawnRecord[] {
    return this.all;
  }

  /**
   * Reads what was appended since the last poll; returns how many records it added. A file not
   * written yet is no error (the program has not spawned anything); a file replaced by another
   * (a new inode) or shortened is read again from its start.
   */
  poll(): number {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return 0;
    }
    let added = 0;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) return 0;
      if (st.ino !== this.ino || st.size < this.offset) {
        this.ino = st.ino;
        this.offset = 0;
        this.partial = '';
        this.decoder = new StringDecoder('utf8');
        this.byPid.clear();
        this.all.length = 0;
      }
      const buf = Buffer.allocUnsafe(1 << 16);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        const text = this.partial + this.decoder.write(buf.subarray(0, n));
        const lines = text.split('\n');
        this.partial = lines.pop() ?? '';
        if (this.partial.length > MAX_LINE) {
          this.bad++;
          this.partial = '';
        }
        for (const line of lines) {
          if (!line) continue;
          const rec = line.length <= MAX_LINE ? parseRecord(line) : undefined;
          if (!rec) {
            this.bad++;
            continue;
          }
          this.add(rec);
          added++;
        }
      }
    } catch {
      // A read error leaves what was read; the next poll tries again from there.
    } finally {
      closeSync(fd);
    }
    return added;
  }

  private add(rec: SpawnRecord): void {
    this.all.push(rec);
    const list = this.byPid.get(rec.pid);
    if (list) list.push(rec);
    else this.byPid.set(rec.pid, [rec]);
  }

  /**
   * The record of this process, matched by PID and start time, never by PID alone. A child of a
   * Python or Node program run with every recorder is recorded twice, by its runtime (with the
   * user's stack) and by the preload library under it (with the interpreter's C frames): the
   * runtime's record wins.
   */
  find(p: ProcessKey): SpawnRecord | undefined {
    return this.findAll(p)[0];
  }

  /** Every record of this process, the best first: exact start before time, a runtime's before native. */
  findAll(p: ProcessKey): SpawnRecord[] {
    const list = this.byPid.get(p.pid);
    if (!list) return [];
    const exact: SpawnRecord[] = [];
    const byTime: SpawnRecord[] = [];
    for (const r of list) {
      if (r.start !== null) {
        if (r.start === p.startTicks) exact.push(r);
      } else if (Math.abs(r.time - p.startTime) <= TIME_SLACK_MS) byTime.push(r);
    }
    return bestFirst([...exact, ...byTime]);
  }
}

/** Several record files (one per debug session or run), searched together. */
export class RecordSet {
  private readonly logs = new Map<string, RecordLog>();

  add(file: string): RecordLog {
    let log = this.logs.get(file);
    if (!log) this.logs.set(file, (log = new RecordLog(file)));
    return log;
  }

  remove(file: string): void {
    this.logs.delete(file);
  }

  get size(): number {
    return this.logs.size;
  }

  /** Polls every file; returns how many records were added. */
  poll(): number {
    let n = 0;
    for (const log of this.logs.values()) n += log.poll();
    return n;
  }

  find(p: ProcessKey): SpawnRecord | undefined {
    return this.findAll(p)[0];
  }

  findAll(p: ProcessKey): SpawnRecord[] {
    const out: SpawnRecord[] = [];
    for (const log of this.logs.values()) out.push(...log.findAll(p));
    return bestFirst(out);
  }
}
