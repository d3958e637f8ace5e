/**
 * Pure parsers for Linux /proc files. No I/O here: the reader in linux.ts feeds them bytes, the
 * unit tests feed them fixtures captured from real systems and generated input.
 */
import { isUtf8 } from 'node:buffer';
import type { ExitInfo, SigchldInfo } from '../core/model';

/** The /proc/PID/stat fields the model uses. */
export interface StatFields {
  pid: number;
  comm: string;
  /** Present when comm is not valid UTF-8. */
  commHex?: string;
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  threads: number;
  startTicks: number;
  /** Field 52, the wait status of an exited task (0 while alive); absent before Linux 3.5. */
  exitStatus?: number;
}

export class ProcParseError extends Error {
  constructor(what: string, detail: string) {
    super(`cannot parse ${what}: ${detail}`);
    this.name = 'ProcParseError';
  }
}

const SPACE = 0x20;
const OPEN = 0x28; // (
const CLOSE = 0x29; // )
const MINUS = 0x2d;

/**
 * Parses /proc/PID/stat from bytes.
 *
 * The name (comm) sits between parentheses and may itself hold `)`, `) (`, spaces, tabs, a
 * newline or any byte but NUL, so the only safe split is at the LAST `)` of the line: the fields
 * after it are numbers and one state letter, which never contain `)`.
 *
 * The CLI parses some 4,000 of these once, mostly before V8 has compiled this code, where a loop
 * over each line's 300 bytes runs in the interpreter (about 5 us a line here). So a line is
 * matched by one regex, which V8 compiles to machine code on its first use; a line it does not
 * fit (damaged, cut short, a comm whose `)` is not the last) goes through the careful parser,
 * which says what is wrong. Both are held to proc(5)'s definition by the property tests.
 */
export function parseStat(buf: Uint8Array, length = buf.length): StatFields {
  let end = length;
  while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0)) end--;
  // A kernel's line is some 300 bytes; a longer one (a fake procfs under --proc) is left to the
  // careful parser, so that no input makes the regex's backtracking long.
  if (end > STAT_LINE_MAX) return parseStatCarefully(buf, end);
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const line = bytes.toString('latin1', 0, end);
  const m = STAT_LINE.exec(line);
  if (!m) return parseStatCarefully(buf, end);
  const open = m[1].length + 1;
  const close = open + 1 + m[2].length;
  if (close !== line.lastIndexOf(')') || (m[9] !== undefined && !DECIMAL.test(m[9]))) return parseStatCarefully(buf, end);
  // comm: ASCII in nearly every process, and then its latin1 decoding is its UTF-8 one.
  let comm = m[2];
  let commHex: string | undefined;
  if (NOT_ASCII.test(comm)) {
    comm = bytes.toString('utf8', open + 1, close);
    if (!isUtf8(bytes.subarray(open + 1, close))) commHex = bytes.toString('hex', open + 1, close);
  }
  const out: StatFields = { pid: Number(m[1]), comm, state: m[3], ppid: Number(m[4]), pgid: Number(m[5]), sid: Number(m[6]), threads: Number(m[7]), startTicks: Number(m[8]) };
  if (commHex !== undefined) out.commHex = commHex;
  if (m[9] !== undefined) out.exitStatus = Number(m[9]);
  return out;
}

/**
 * A whole stat line, fields numbered as in proc(5): pid, comm (up to the `)` that fields 3-22
 * follow), the state's letter, fields 4-6, 20, 22, and field 52 when there is one.
 */
const STAT_LINE = /^(\d+) \(([\s\S]*)\) ([^ ])[^ ]* (-?\d+) (-?\d+) (-?\d+)(?: [^ ]*){13} (-?\d+) [^ ]* (-?\d+)(?![^ ])(?:(?: [^ ]*){29} ([^ ]*))?/;
const STAT_LINE_MAX = 2048;
const DECIMAL = /^-?\d+$/;
/** A latin1 decoding holds a char above 0x7f where the bytes were not ASCII. */
const NOT_ASCII = /[\u0080-\u00ff]/;

function parseStatCarefully(buf: Uint8Array, length: number): StatFields {
  let end = length;
  while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0)) end--;
  const open = buf.indexOf(OPEN);
  let close = end - 1;
  while (close > open && buf[close] !== CLOSE) close--;
  if (open <= 0 || close <= open) throw new ProcParseError('/proc/PID/stat', 'no "(comm)"');
  const pid = parseDecimal(buf, 0, open - 1);
  if (buf[open - 1] !== SPACE || !(pid >= 0)) throw new ProcParseError('/proc/PID/stat', 'bad pid');
  if (buf[close + 1] !== SPACE || close + 2 >= end) throw new ProcParseError('/proc/PID/stat', 'no state after comm');
  const commBytes = buf.subarray(open + 1, close);
  const valid = isUtf8(commBytes);
  const comm = Buffer.from(commBytes.buffer, commBytes.byteOffset, commBytes.length).toString('utf8');

  // Fields from 3 on, separated by single spaces. fieldStart[k] = offset of field k+3.
  const state = String.fromCharCode(buf[close + 2]);
  const wanted: number[] = [];
  let field = 3;
  let i = close + 2;
  while (i < end && field <= 52) {
    let j = i;
    while (j < end && buf[j] !== SPACE) j++;
    if (field === 4 || field === 5 || field === 6 || field === 20 || field === 22 || field === 52) {
      const v = parseDecimal(buf, i, j);
      if (Number.isNaN(v)) throw new ProcParseError('/proc/PID/stat', `field ${field} is not a number`);
      wanted[field] = v;
    }
    field++;
    i = j + 1;
  }
  if (field <= 22) throw new ProcParseError('/proc/PID/stat', `only ${field - 1} fields`);
  const out: StatFields = {
    pid,
    comm,
    state,
    ppid: wanted[4],
    pgid: wanted[5],
    sid: wanted[6],
    threads: wanted[20],
    startTicks: wanted[22],
  };
  if (!valid) out.commHex = Buffer.from(commBytes).toString('hex');
  if (wanted[52] !== undefined) out.exitStatus = wanted[52];
  return out;
}

/** A signed decimal in buf[from, to); NaN when anything else is there. */
function parseDecimal(buf: Uint8Array, from: number, to: number): number {
  if (from >= to) return NaN;
  let neg = false;
  if (buf[from] === MINUS) {
    neg = true;
    from++;
    if (from >= to) return NaN;
  }
  let v = 0;
  for (let k = from; k < to; k++) {
    const d = buf[k] - 0x30;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

/** Decodes a waitpid(2) status word. */
export function decodeWaitStatus(raw: number): ExitInfo {
  const sig = raw & 0x7f;
  if (sig === 0) return { raw, code: (raw >> 8) & 0xff };
  return { raw, signal: sig, coreDumped: (raw & 0x80) !== 0 };
}

/** The /proc/PID/status fields the model uses. */
export interface StatusFields {
  uid?: number;
  tracerPid?: number;
  nspid?: number[];
  sigchld?: SigchldInfo;
  threads?: number;
}

/** SIGCHLD is 17 on Linux (x86, arm, most architectures): bit 16 of the masks. */
const SIGCHLD_BIT = 1 << 16;

/** Tests the SIGCHLD bit of a 64-bit hex mask such as `0000000000010000`; undefined when it is no such mask. */
function hasSigchld(hex: string): boolean | undefined {
  if (!/^[0-9a-fA-F]{1,32}$/.test(hex)) return undefined;
  return (parseInt(hex.slice(-8), 16) & SIGCHLD_BIT) !== 0;
}

/** A whole number >= 0 that a PID or UID can be, else undefined (a damaged status says nothing). */
function wholeNumber(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,10}$/.test(s)) return undefined;
  return Number(s);
}

/**
 * Parses /proc/PID/status. Only the fields it finds are set: older kernels lack NSpid, and a
 * process's mask lines are all present or none. Never throws: a field that is not what the
 * kernel writes (a fake or damaged procfs) is left unset, the others stand.
 */
export function parseStatus(text: string): StatusFields {
  const out: StatusFields = {};
  let ign: string | undefined;
  let cgt: string | undefined;
  let blk: string | undefined;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    switch (key) {
      case 'Uid': {
        const uid = wholeNumber(value.split(/\s+/)[0]);
        if (uid !== undefined) out.uid = uid;
        break;
      }
      case 'TracerPid': {
        const tracer = wholeNumber(value);
        if (tracer !== undefined) out.tracerPid = tracer;
        break;
      }
      case 'NSpid': {
        const ids = value.split(/\s+/).map(wholeNumber);
        if (ids.length && ids.every((n) => n !== undefined)) out.nspid = ids as number[];
        break;
      }
      case 'Threads': {
        const threads = wholeNumber(value);
        if (threads !== undefined) out.threads = threads;
        break;
      }
      case 'SigIgn':
        ign = value;
        break;
      case 'SigCgt':
        cgt = value;
        break;
      case 'SigBlk':
        blk = value;
        break;
    }
  }
  if (ign !== undefined && cgt !== undefined) {
    // A signal is never both ignored and caught; SigIgn wins if a kernel ever said so.
    const ignored = hasSigchld(ign);
    const caught = hasSigchld(cgt);
    const blocked = blk === undefined ? false : hasSigchld(blk);
    if (ignored !== undefined && caught !== undefined && blocked !== undefined) {
      out.sigchld = { disposition: ignored ? 'ignored' : caught ? 'caught' : 'default', blocked };
    }
  }
  return out;
}

/** /proc/PID/cmdline: NUL-separated arguments, possibly with a trailing NUL. */
export function parseCmdline(buf: Buffer): string[] {
  if (buf.length === 0) return [];
  const text = buf.toString('utf8');
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** /proc/uptime: "seconds-since-boot idle-seconds". */
export function parseUptime(text: string): number {
  const first = text.split(' ')[0];
  const s = /^\d+(\.\d+)?$/.test(first) ? Number(first) : NaN;
  if (!Number.isFinite(s)) throw new ProcParseError('/proc/uptime', JSON.stringify(text.slice(0, 40)));
  return s;
}
