/**
 * The macOS reader: one `ps` run per read.
 *
 *   LC_ALL=C TZ=UTC0 /bin/ps -axww -o pid=,ppid=,pgid=,uid=,state=,lstart=,ucomm=
 *
 * - `ucomm` is the kernel's name for the process (p_comm, at most 16 bytes, raw bytes that may be
 *   cut in the middle of a UTF-8 character), the same thing Linux calls comm. It is kept for
 *   zombies, while `comm`/`command` print only `<defunct>` for them. It may hold spaces, so it
 *   comes last. When another column follows it, ps pads it to 16 bytes, which the parser also
 *   reads (that is the layout of the captured output the tests use).
 * - `lstart` is five words in the C locale (`Mon Sep 28 16:54:04 2026`), in ps's time zone: the
 *   reader runs ps in UTC, so it is read as UTC and never depends on local time or DST.
 * - `state`'s first letter is the process state: Z zombie, R running, S sleeping, I idle (asleep
 *   over 20 s, reported here as S), U uninterruptible wait (D), T stopped (t when the X flag says
 *   it is traced, i.e. stopped by a debugger).
 *
 * What macOS `ps` cannot tell, and so is not claimed (capabilities false): SIGCHLD disposition,
 * wait channel, the tracer's PID, a zombie's exit status, the thread count (0 here) and the
 * session id (0 here). Start times have a resolution of one second, so `startTicks` (part of the
 * identity) is the start time in whole seconds since the epoch.
 */
import { isUtf8 } from 'node:buffer';
import type { Capabilities, ProcessInfo, ProcessSource, Snapshot } from '../core/model';
import { ProcessNotFoundError } from '../core/model';
import { indexChildren, subtree } from '../core/tree';
import { describeFailure, ProcessToolError, runTool, type ToolRunner } from './tool';

/** Width of the `ucomm` column when ps pads it (MAXCOMLEN). */
const UCOMM_WIDTH = 16;

/** The columns the reader asks for, in this order. */
export const DARWIN_PS_COLUMNS = ['pid', 'ppid', 'pgid', 'uid', 'state', 'lstart', 'ucomm'] as const;

export class PsParseError extends Error {
  constructor(detail: string) {
    super(`cannot parse ps output: ${detail}`);
    this.name = 'PsParseError';
  }
}

/** One line of `ps -o` output. Only the columns that were asked for are set. */
export interface PsRow {
  pid: number;
  ppid?: number;
  pgid?: number;
  uid?: number;
  /** The raw state column, e.g. `Ss`, `R+`, `Z`, `TX`. */
  state?: string;
  /** `lstart` as milliseconds since the epoch, the printed time read as UTC. */
  startTime?: number;
  /** `ucomm` (or `comm`): the name, decoded as UTF-8. */
  name?: string;
  /** Set only when the name's bytes are not valid UTF-8: the bytes in hex. */
  nameHex?: string;
  /** `command`/`args`: the command line as ps prints it (vis-encoded by ps). */
  command?: string;
  /** The state says Z, or the command column says `<defunct>`. */
  zombie: boolean;
  /** Every other column, as its raw token (`rss`, `%cpu`, `time`, `tty`...). */
  other: Record<string, string>;
}

export interface PsParseResult {
  rows: PsRow[];
  /** Lines that could not be read, with why (the header line of a headed output is not counted). */
  bad: { line: string; reason: string }[];
}

const NUMERIC = new Set(['pid', 'ppid', 'pgid', 'uid', 'gid', 'rgid', 'ruid', 'sess', 'tpgid']);
const FREE_TEXT = new Set(['command', 'args', 'comm', 'cmd']);
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LSTART = /^([A-Z][a-z]{2}) ([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * Reads an `lstart` value in the C locale (`Thu Oct  1 13:00:23 2026`) as UTC milliseconds.
 * The weekday must agree with the date: a column read at the wrong offset is caught here.
 */
export function parseLstart(text: string): number {
  const m = LSTART.exec(text.trim().replace(/\s+/g, ' '));
  if (!m) throw new PsParseError(`bad start time ${JSON.stringify(text)}`);
  const month = MONTHS.indexOf(m[2]);
  if (month < 0) throw new PsParseError(`bad month in ${JSON.stringify(text)}`);
  const ms = Date.UTC(Number(m[7]), month, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const d = new Date(ms);
  if (d.getUTCDate() !== Number(m[3]) || WEEKDAYS[d.getUTCDay()] !== m[1]) {
    throw new PsParseError(`${JSON.stringify(text)} is not a real date`);
  }
  return ms;
}

/** Splits off the next whitespace-delimited token of `s` from `at`: [token, index after it]. */
function nextToken(s: string, at: number): [string, number] | undefined {
  let i = at;
  while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  if (i >= s.length) return undefined;
  let j = i;
  while (j < s.length && s[j] !== ' ' && s[j] !== '\t') j++;
  return [s.slice(i, j), j];
}

function decodeName(latin1: string): { name: string; nameHex?: string } {
  const bytes = Buffer.from(latin1, 'latin1');
  const name = bytes.toString('utf8');
  return isUtf8(bytes) ? { name } : { name, nameHex: bytes.toString('hex') };
}

/**
 * Parses the output of `ps -o COL=,COL=,...` for the given columns, in order. Pure: the reader
 * and the tests (on output captured from real Macs) call the same function.
 *
 * Columns: numeric ones (pid, ppid, pgid, uid; uid may be negative, e.g. -2 for nobody), `lstart`
 * (five words), `state`/`stat`, `ucomm` (last: the rest of the line; elsewhere: 16 bytes padded),
 * free text (`command`, `args`, `comm`: last only) and any other keyword as one word. A first line
 * whose first word is not a number is taken as a header and skipped. Bytes are read as latin1 so
 * that the fixed-width `ucomm` is cut by bytes, as ps pads it; names are then decoded as UTF-8.
 */
export function parsePs(output: Buffer | string, columns: readonly string[]): PsParseResult {
  if (columns.length === 0 || columns[0] === undefined) throw new PsParseError('no columns');
  columns.forEach((c, i) => {
    if (FREE_TEXT.has(c) && i !== columns.length - 1) throw new PsParseError(`${c} must be the last column`);
  });
  const text = typeof output === 'string' ? Buffer.from(output, 'utf8').toString('latin1') : output.toString('latin1');
  const lines = text.split('\n');
  const rows: PsRow[] = [];
  const bad: PsParseResult['bad'] = [];
  const last = columns[columns.length - 1];
  let seenContent = false;
  for (let raw of lines) {
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw.trim() === '') continue;
    const first = !seenContent;
    seenContent = true;
    try {
      rows.push(parseLine(raw, columns));
    } catch (e) {
      const prev = rows[rows.length - 1];
      if (first && !/^\s*-?\d+\s/.test(raw)) continue; // a header line
      // A name may hold a newline (p_comm is any bytes): its tail arrives as a short line of its
      // own. It cannot be a row: a row is far longer than the 16 bytes a name can have.
      if (prev && last === 'ucomm' && raw.length < UCOMM_WIDTH && prev.name !== undefined) {
        const joined = decodeName(Buffer.from(`${prev.name}\n`, 'utf8').toString('latin1') + raw);
        prev.name = joined.name;
        if (joined.nameHex !== undefined) prev.nameHex = joined.nameHex;
        continue;
      }
      bad.push({ line: Buffer.from(raw, 'latin1').toString('utf8'), reason: (e as Error).message });
    }
  }
  return { rows, bad };
}

function parseLine(line: string, columns: readonly string[]): PsRow {
  const row: PsRow = { pid: -1, zombie: false, other: {} };
  let at = 0;
  for (let c = 0; c < columns.length; c++) {
    const col = columns[c];
    const isLast = c === columns.length - 1;
    if (col === 'lstart') {
      const words: string[] = [];
      for (let k = 0; k < 5; k++) {
        const t = nextToken(line, at);
        if (!t) throw new PsParseError('line ends inside lstart');
        words.push(t[0]);
        at = t[1];
      }
      row.startTime = parseLstart(words.join(' '));
      continue;
    }
    if (col === 'ucomm' || FREE_TEXT.has(col)) {
      // Exactly one space separates columns; a free-text or last column is the rest of the line.
      let start = at;
      while (start < line.length && line[start] === ' ') start++;
      let value: string;
      if (isLast) {
        value = line.slice(start);
        at = line.length;
      } else {
        // ucomm followed by another column: 16 bytes, padded with spaces, then one space.
        value = line.slice(start, start + UCOMM_WIDTH);
        if (line[start + UCOMM_WIDTH] !== ' ') throw new PsParseError(`no separator after the ${UCOMM_WIDTH}-byte ucomm column`);
        at = start + UCOMM_WIDTH + 1;
      }
      if (col === 'ucomm' || col === 'comm') {
        // ps pads ucomm; a trailing space in a kernel name is not something ps can show apart.
        const decoded = decodeName(col === 'ucomm' ? value.replace(/ +$/, '') : value);
        if (decoded.name === '') throw new PsParseError('empty name');
        row.name = decoded.name;
        if (decoded.nameHex !== undefined) row.nameHex = decoded.nameHex;
      }
      if (col !== 'ucomm') {
        row.command = Buffer.from(value, 'latin1').toString('utf8');
        if (row.command === '<defunct>') row.zombie = true;
      }
      continue;
    }
    const t = nextToken(line, at);
    if (!t) throw new PsParseError(`line ends before ${col}`);
    at = t[1];
    if (NUMERIC.has(col)) {
      if (!/^-?\d+$/.test(t[0])) throw new PsParseError(`${col} is not a number: ${JSON.stringify(t[0])}`);
      const n = Number(t[0]);
      if (col === 'pid') row.pid = n;
      else if (col === 'ppid') row.ppid = n;
      else if (col === 'pgid') row.pgid = n;
      else if (col === 'uid') row.uid = n;
      else row.other[col] = t[0];
    } else if (col === 'state' || col === 'stat') {
      if (!/^[A-Z]/.test(t[0])) throw new PsParseError(`bad state ${JSON.stringify(t[0])}`);
      row.state = t[0];
      if (t[0][0] === 'Z') row.zombie = true;
    } else row.other[col] = t[0];
  }
  if (at < line.length && line.slice(at).trim() !== '') throw new PsParseError(`unexpected text after the last column: ${JSON.stringify(line.slice(at, at + 40))}`);
  if (!(row.pid >= 0) && columns.includes('pid')) throw new PsParseError('no pid');
  return row;
}

/**
 * The model's one-letter state from macOS's state column: I (idle: asleep over 20 s) is S,
 * U (uninterruptible wait) is D, and T with the X flag (traced) is t, stopped by a debugger.
 */
export function darwinState(state: string): string {
  const s = state[0] ?? '?';
  if (s === 'I') return 'S';
  if (s === 'U') return 'D';
  if (s === 'T' && state.includes('X')) return 't';
  return s;
}

/** A process from a parsed row; undefined when a column the model needs is missing. */
export function psRowToProcess(row: PsRow): ProcessInfo | undefined {
  if (row.ppid === undefined || row.pgid === undefined || row.state === undefined || row.startTime === undefined || row.name === undefined) return undefined;
  const p: ProcessInfo = {
    pid: row.pid,
    ppid: row.ppid,
    pgid: row.pgid,
    sid: 0,
    state: darwinState(row.state),
    comm: row.name,
    threads: 0,
    startTicks: Math.floor(row.startTime / 1000),
    startTime: row.startTime,
  };
  if (row.nameHex !== undefined) p.commHex = row.nameHex;
  if (row.uid !== undefined) p.uid = row.uid;
  return p;
}

export interface DarwinSourceOptions {
  /** Runs ps; tests pass one that returns captured output. */
  run?: ToolRunner;
  /** The ps binary; /bin/ps by default (not PATH: a shadowing ps would print another format). */
  ps?: string;
  timeoutMs?: number;
}

export class DarwinProcessSource implements ProcessSource {
  readonly platform = 'darwin' as const;
  readonly capabilities: Capabilities = { zombies: true, sigchld: false, wchan: false, tracer: false };
  /** Lines of the last read that could not be parsed (skipped). */
  lastBadLines: PsParseResult['bad'] = [];
  private readonly run: ToolRunner;
  private readonly ps: string;
  private readonly timeoutMs: number;

  constructor(options: DarwinSourceOptions = {}) {
    this.run = options.run ?? runTool;
    this.ps = options.ps ?? '/bin/ps';
    this.timeoutMs = options.timeoutMs ?? 15000;
  }

  /** Runs ps with the reader's columns; `pids` limits it to those (an absent PID is no error). */
  private query(pids?: number[]): Map<number, ProcessInfo> {
    const spec = DARWIN_PS_COLUMNS.map((c) => `${c}=`).join(',');
    const args = pids ? ['-ww', '-o', spec, '-p', pids.join(',')] : ['-axww', '-o', spec];
    const result = this.run(this.ps, args, { env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin', LC_ALL: 'C', TZ: 'UTC0' }, timeoutMs: this.timeoutMs });
    const failure = describeFailure(result, this.timeoutMs);
    // ps -p exits 1, printing nothing, when none of the PIDs exists: an answer, not a failure.
    const noneFound = pids !== undefined && result.status === 1 && !result.error && result.stdout.length === 0 && result.stderr.length === 0;
    if (failure && !noneFound) throw new ProcessToolError('darwin', this.ps, failure);
    const parsed = parsePs(result.stdout, DARWIN_PS_COLUMNS);
    const processes = new Map<number, ProcessInfo>();
    const bad = [...parsed.bad];
    for (const row of parsed.rows) {
      const p = psRowToProcess(row);
      if (p) processes.set(p.pid, p);
      else bad.push({ line: String(row.pid), reason: 'a column is missing' });
    }
    this.lastBadLines = bad;
    if (!pids && processes.size === 0) {
      throw new ProcessToolError('darwin', this.ps, bad.length ? `printed nothing readable (first line: ${JSON.stringify(bad[0].line.slice(0, 80))}: ${bad[0].reason})` : 'listed no processes');
    }
    return processes;
  }

  readAll(): Snapshot {
    const processes = this.query();
    return { takenAt: Date.now(), processes, children: indexChildren(processes) };
  }

  readProcess(pid: number): ProcessInfo | undefined {
    if (!Number.isSafeInteger(pid) || pid < 0) return undefined;
    return this.query([pid]).get(pid);
  }

  /** macOS has no per-process children list: the table is read and walked. */
  readSubtree(root: number): Snapshot {
    if (!Number.isSafeInteger(root) || root < 0) throw new ProcessNotFoundError(root);
    const all = this.readAll();
    if (!all.processes.has(root)) throw new ProcessNotFoundError(root);
    return subtree(all, root);
  }

  /**
   * ps gives no detail beyond the table's columns, so this only checks that each process is still
   * the same one (same start time) and refreshes its state. Returns those gone or replaced.
   */
  details(processes: Iterable<ProcessInfo>): ProcessInfo[] {
    const list = [...processes];
    if (list.length === 0) return [];
    const now = this.query(list.map((p) => p.pid));
    const gone: ProcessInfo[] = [];
    for (const p of list) {
      const again = now.get(p.pid);
      if (!again || again.startTicks !== p.startTicks) gone.push(p);
      else p.state = again.state;
    }
    return gone;
  }
}
