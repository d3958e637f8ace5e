/**
 * The spawn-site index saved between runs, so that a start after the first one reads only what
 * changed on disk since.
 *
 * What is saved: every file the index holds, with its scan results and the signature of the bytes
 * they came from (size, mtime, inode, and when they were read). On the next start the index walks
 * the tree as always and stats each file; a file whose signature still matches is taken from the
 * snapshot without being read, anything else is read and parsed as in a cold index. Go is
 * analysed per package (a file's verdict can depend on a sibling's function), so a Go directory
 * with any changed, new or deleted file is analysed again whole.
 *
 * What makes a snapshot void as a whole: another format, another build of the scanners (a hash of
 * their sources, set by scripts/build.mjs), another root or other index options. A damaged file
 * is reported and ignored: the index is then built cold, and the next save replaces the file.
 *
 * The timestamp race (a file written twice within one tick of the file system clock, with the
 * same size): a file modified less than RACY_MS before it was read is not trusted from the
 * snapshot and is read again. It costs a re-read of files that were being edited, never a stale
 * result.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, type Stats, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, sep } from 'node:path';
import type { GoFileFacts, GoFuncSummary } from './go';
import { readRegularText } from './safefs';
import { findingProblem, goFactsProblem, siteProblem } from './validate';
import type { Grammar } from './parser';
import type { FileScan, SiteFinding, SiteLanguage, SpawnSite } from './types';

/** Set by scripts/build.mjs: a hash of src/spawnsites/*.ts and the package version. */
declare const PI_INDEX_BUILD: string | undefined;

/** 2: the files grouped by directory (see Row). */
export const SNAPSHOT_FORMAT = 2;
/** How recent a modification (relative to the read) makes a file untrusted; coarse clocks tick in ms, some file systems in seconds. */
export const RACY_MS = 2000;

/** The build of the scanners, or undefined for code not built by scripts/build.mjs (then nothing is saved or reused: no one could tell its snapshots from another build's). */
export function indexBuild(): string | undefined {
  return typeof PI_INDEX_BUILD === 'string' ? PI_INDEX_BUILD : undefined;
}

/** The bytes a scan came from, as the file system describes them. */
export interface FileSig {
  size: number;
  mtimeMs: number;
  /** Changes with every write and every utimes(): a tool that restores an mtime (cp -p, tar, rsync -t) still changes it. */
  ctimeMs: number;
  ino: number;
  /** When the file was read (Date.now()). */
  readAt: number;
}

export function sigOf(st: Stats, readAt: number): FileSig {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, readAt };
}

/** Whether a file on disk is still the one whose signature this is. */
export function unchanged(path: string, sig: FileSig): boolean {
  // Modified just before the read: a second write within the same clock tick would leave every field alike.
  if (sig.mtimeMs > sig.readAt - RACY_MS) return false;
  const st = statSync(path, { throwIfNoEntry: false });
  return st !== undefined && st.size === sig.size && st.mtimeMs === sig.mtimeMs && st.ctimeMs === sig.ctimeMs && st.ino === sig.ino;
}

/** What the index keeps about one file (file-entry.ts's FileEntry, in the snapshot's terms). */
export interface SnapshotEntry {
  path: string;
  language: SiteLanguage;
  grammar: Grammar;
  sig: FileSig;
  scan: FileScan;
  go?: { packageName: string; imports: string[]; facts?: GoFileFacts };
}

/** What a snapshot must match to be used. */
export interface SnapshotKey {
  root: string;
  options: { ignore: readonly string[]; gitignore: boolean; maxFileBytes: number; prefilter: boolean };
}

interface EncodedFacts extends Omit<GoFileFacts, 'functions' | 'constants' | 'flags' | 'consulted' | 'sites' | 'findings'> {
  functions: [string, GoFuncSummary][];
  constants: [string, string][];
  flags: [string, { flag: string; value: string }][];
  consulted: string[];
}

/**
 * Format 2, laid out for a fast start: the files grouped by directory, each directory one row
 * `[dir relative to the root ('' for the root itself), names, numbers, extras]`. `numbers` holds
 * NUMBERS_PER_FILE numbers a file (KIND, then the signature: size, mtimeMs, ctimeMs, ino, readAt),
 * so that JSON.parse makes one array of doubles a directory instead of an object a file; `extras`
 * holds 0 for a file with nothing more, else its Go package and imports (as indexes into
 * `strings`, where every package name and import path is once), and its scan results and Go facts
 * when it has any. On GOROOT/src: 1.1 MiB where format 1 (an object a file, absolute paths) took
 * 1.7, and half the parse (bench/sites.mjs).
 */
type Row = [dir: string, names: string[], numbers: number[], extras: (0 | EncodedExtra)[]];

interface EncodedExtra {
  /** Package name and imports, indexes into SnapshotFile.strings (Go files). */
  p?: number;
  i?: number[];
  s?: FileScan;
  f?: EncodedFacts;
}

interface SnapshotFile {
  format: number;
  build: string | undefined;
  root: string;
  options: SnapshotKey['options'];
  savedAt: number;
  strings: string[];
  dirs: Row[];
}

const NUMBERS_PER_FILE = 6;
const LANGUAGES: readonly SiteLanguage[] = ['go', 'c', 'cpp', 'python', 'javascript', 'typescript', 'rust'];
const GRAMMARS: readonly Grammar[] = ['go', 'c', 'cpp', 'python', 'javascript', 'typescript', 'tsx', 'rust'];
/** A file's language and grammar in one number: language index * KIND_BASE + grammar index. */
const KIND_BASE = 8;

function encodeFacts(f: GoFileFacts): EncodedFacts {
  // sites and findings are the entry's scan (the same arrays): saved once.
  const { functions, constants, flags, consulted, sites: _sites, findings: _findings, ...rest } = f;
  return { ...rest, functions: [...functions], constants: [...constants], flags: [...flags], consulted: [...consulted] };
}

function decodeFacts(f: EncodedFacts, scan: FileScan): GoFileFacts {
  return {
    ...f,
    functions: new Map(f.functions),
    constants: new Map(f.constants),
    flags: new Map(f.flags),
    consulted: new Set(f.consulted),
    sites: scan.sites,
    findings: scan.findings,
  };
}

/** The index's entries as one JSON-ready object (entries under key.root). */
export function encodeSnapshot(key: SnapshotKey, entries: Iterable<SnapshotEntry>): unknown {
  const strings: string[] = [];
  const stringIndex = new Map<string, number>();
  const str = (x: string): number => {
    let k = stringIndex.get(x);
    if (k === undefined) stringIndex.set(x, (k = strings.push(x) - 1));
    return k;
  };
  const rows = new Map<string, Row>();
  const prefix = key.root.endsWith(sep) ? key.root.length : key.root.length + 1;
  for (const e of entries) {
    const cut = e.path.lastIndexOf(sep);
    const dir = cut < prefix ? '' : e.path.slice(prefix, cut);
    let row = rows.get(dir);
    if (!row) rows.set(dir, (row = [dir, [], [], []]));
    row[1].push(e.path.slice(cut + 1));
    row[2].push(LANGUAGES.indexOf(e.language) * KIND_BASE + GRAMMARS.indexOf(e.grammar), e.sig.size, e.sig.mtimeMs, e.sig.ctimeMs, e.sig.ino, e.sig.readAt);
    let extra: 0 | EncodedExtra = 0;
    const scanned = e.scan.sites.length > 0 || e.scan.findings.length > 0 || !!e.scan.reaper || !!e.scan.hasMain;
    if (e.go || scanned) {
      extra = {};
      if (e.go) {
        extra.p = str(e.go.packageName);
        extra.i = e.go.imports.map(str);
        if (e.go.facts) extra.f = encodeFacts(e.go.facts);
      }
      if (scanned) extra.s = e.scan;
    }
    row[3].push(extra);
  }
  const snap: SnapshotFile = { format: SNAPSHOT_FORMAT, build: indexBuild(), root: key.root, options: { ...key.options, ignore: [...key.options.ignore] }, savedAt: Date.now(), strings, dirs: [...rows.values()] };
  return snap;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function sameOptions(a: unknown, b: SnapshotKey['options']): boolean {
  if (!isObject(a)) return false;
  return a.maxFileBytes === b.maxFileBytes && a.prefilter === b.prefilter && a.gitignore === b.gitignore && Array.isArray(a.ignore) && a.ignore.length === b.ignore.length && a.ignore.every((x, i) => x === b.ignore[i]);
}

/** A value from a file, in words: JSON for what is not a string (String() throws on some objects). */
function shownValue(v: unknown): string {
  if (typeof v === 'string') return v.length > 200 ? `${v.slice(0, 200)}…` : v;
  try {
    return JSON.stringify(v)?.slice(0, 200) ?? typeof v;
  } catch {
    return typeof v;
  }
}

/**
 * A directory path relative to the root that the walk could have found: '' (the root), or
 * normal (no empty, `.` or `..` part), so that root + dir is absolute, normal and under the root.
 */
function isRelativeDir(d: string): boolean {
  if (d === '') return true;
  if (d.includes('\0') || d.startsWith(sep) || d.endsWith(sep) || d.includes(sep + sep)) return false;
  for (const part of d.split(sep)) if (part === '.' || part === '..') return false;
  return true;
}

/** A file name: one path part, not `.` or `..`. */
const isName = (n: unknown): n is string => typeof n === 'string' && n !== '' && n !== '.' && n !== '..' && !n.includes(sep) && !n.includes('/') && !n.includes('\0');

/**
 * A decoded file's signature, read from its directory's row of numbers rather than copied out:
 * one small object a file instead of five (the object and four boxed doubles), which every
 * garbage collection of the start would copy (bench/sites.mjs, "A start from the saved index").
 * The row is the snapshot's own array, never written.
 */
class SavedSig implements FileSig {
  constructor(
    private readonly row: readonly number[],
    private readonly at: number,
  ) {}
  get size(): number {
    return this.row[this.at + 1];
  }
  get mtimeMs(): number {
    return this.row[this.at + 2];
  }
  get ctimeMs(): number {
    return this.row[this.at + 3];
  }
  get ino(): number {
    return this.row[this.at + 4];
  }
  get readAt(): number {
    return this.row[this.at + 5];
  }
  toJSON(): FileSig {
    return { size: this.size, mtimeMs: this.mtimeMs, ctimeMs: this.ctimeMs, ino: this.ino, readAt: this.readAt };
  }
}

/** The scan results every file without sites shares: frozen, since nothing may add to one entry's through another. */
const NO_SCAN: FileScan = Object.freeze({ sites: Object.freeze([]) as unknown as SpawnSite[], findings: Object.freeze([]) as unknown as SiteFinding[] });

/**
 * The entries of a snapshot made for `key` by this build, or why it cannot be used (`outdated`:
 * another format or build made it, as after an upgrade; nothing wrong with it). The shape is
 * checked entry by entry, every field against the schema (validate.ts: a snapshot is a file on
 * disk, anything may be in it); one bad entry voids the whole, and everything is read again.
 */
export function decodeSnapshot(data: unknown, key: SnapshotKey): { entries: Map<string, SnapshotEntry> } | { rejected: string; outdated?: boolean } {
  if (!isObject(data)) return { rejected: 'not a snapshot' };
  if (data.format !== SNAPSHOT_FORMAT) return { rejected: `format ${shownValue(data.format)}, not ${SNAPSHOT_FORMAT}`, outdated: true };
  const build = indexBuild();
  if (build === undefined) return { rejected: 'this build of the index has no build id (not built by scripts/build.mjs)' };
  if (data.build !== build) return { rejected: 'made by another build of the index', outdated: true };
  if (data.root !== key.root) return { rejected: `made for ${shownValue(data.root)}` };
  if (!sameOptions(data.options, key.options)) return { rejected: 'made with other index options' };
  if (!Array.isArray(data.dirs)) return { rejected: 'no file list' };
  const strings = data.strings;
  if (!Array.isArray(strings) || !strings.every((x) => typeof x === 'string')) return { rejected: 'a damaged string table' };
  const str = (k: unknown): string | undefined => (Number.isInteger(k) && (k as number) >= 0 && (k as number) < strings.length ? (strings[k as number] as string) : undefined);
  const top = key.root.endsWith(sep) ? key.root : key.root + sep;
  const entries = new Map<string, SnapshotEntry>();
  for (const row of data.dirs as unknown[]) {
    if (!Array.isArray(row) || row.length !== 4) return { rejected: 'a damaged directory entry' };
    const [dir, names, numbers, extras] = row as unknown[];
    if (typeof dir !== 'string' || !isRelativeDir(dir)) return { rejected: `a directory outside ${key.root} (${JSON.stringify(String(dir).slice(0, 200))})` };
    if (!Array.isArray(names) || !Array.isArray(numbers) || !Array.isArray(extras) || numbers.length !== NUMBERS_PER_FILE * names.length || extras.length !== names.length) return { rejected: `a damaged directory entry (${dir})` };
    const base = dir === '' ? top : top + dir + sep;
    for (let k = 0; k < names.length; k++) {
      const name = names[k];
      if (!isName(name)) return { rejected: `a file outside ${key.root} (${JSON.stringify(String(name).slice(0, 200))} in ${JSON.stringify(dir)})` };
      const path = base + name;
      const at = k * NUMBERS_PER_FILE;
      for (let j = at; j < at + NUMBERS_PER_FILE; j++) if (!isNumber(numbers[j])) return { rejected: `a damaged signature (${path})` };
      const kind = numbers[at] as number;
      const language = LANGUAGES[Math.floor(kind / KIND_BASE)];
      const grammar = GRAMMARS[kind % KIND_BASE];
      if (!Number.isInteger(kind) || language === undefined || grammar === undefined) return { rejected: `a damaged file entry (${path})` };
      const sig: FileSig = new SavedSig(numbers as number[], at);
      const extra = extras[k];
      const entry: SnapshotEntry = { path, language, grammar, sig, scan: NO_SCAN };
      if (extra !== 0) {
        if (!isObject(extra)) return { rejected: `a damaged file entry (${path})` };
        if (extra.s !== undefined) {
          const scan = extra.s;
          if (!isObject(scan) || !Array.isArray(scan.sites) || !Array.isArray(scan.findings)) return { rejected: `damaged scan results (${path})` };
          const r = scan.reaper;
          if (r !== undefined && !(isObject(r) && Number.isInteger(r.line) && (r.line as number) > 0 && typeof r.words === 'string')) return { rejected: `a damaged reaper (${path})` };
          if (scan.hasMain !== undefined && scan.hasMain !== true) return { rejected: `a damaged main mark (${path})` };
          for (const s of scan.sites as unknown[]) {
            const why = siteProblem(s, path);
            if (why) return { rejected: `${why} (${path})` };
          }
          for (const f of scan.findings as unknown[]) {
            const why = findingProblem(f, path);
            if (why) return { rejected: `${why} (${path})` };
          }
          entry.scan = scan as unknown as FileScan;
        }
        if (extra.p !== undefined || extra.i !== undefined || extra.f !== undefined) {
          const packageName = str(extra.p);
          const imports = Array.isArray(extra.i) ? extra.i.map(str) : undefined;
          if (packageName === undefined || imports === undefined || imports.includes(undefined)) return { rejected: `damaged Go facts (${path})` };
          let facts: GoFileFacts | undefined;
          if (extra.f !== undefined) {
            const why = goFactsProblem(extra.f);
            if (why) return { rejected: `${why} (${path})` };
            facts = decodeFacts(extra.f as unknown as EncodedFacts, entry.scan);
          }
          entry.go = { packageName, imports: imports as string[], ...(facts ? { facts } : {}) };
        }
      }
      if (language === 'go' && !entry.go) return { rejected: `a Go file without its package (${path})` };
      entries.set(path, entry);
    }
  }
  return { entries };
}

/**
 * Where the CLI keeps its snapshots: $PROCESS_INSPECTOR_CACHE_DIR, else
 * $XDG_CACHE_HOME/process-inspector/sites, else ~/.cache/process-inspector/sites.
 */
export function defaultSnapshotDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROCESS_INSPECTOR_CACHE_DIR) return env.PROCESS_INSPECTOR_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'process-inspector', 'sites');
}

/** The snapshot file of one indexed root inside `dir`. */
export function snapshotFile(dir: string, root: string): string {
  // node:crypto required here, not at the top: loading it costs a start ~4 ms, and only the CLI names files.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return join(dir, `${createHash('sha1').update(root).digest('hex').slice(0, 16)}.json`);
}

/** A saved snapshot: the parsed JSON, nothing when there is none, or why it cannot be read. */
export function readSnapshotFile(file: string): { data?: unknown; error?: string } {
  let text: string;
  try {
    text = readRegularText(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? {} : { error: `cannot read ${file}: ${(e as Error).message}` };
  }
  try {
    return { data: JSON.parse(text) };
  } catch (e) {
    return { error: `${file} is damaged (${(e as Error).message})` };
  }
}

/** Saves a snapshot whole or not at all (written aside, then renamed over the old one). Returns an error message, or undefined. */
export function writeSnapshotFile(file: string, data: unknown): string | undefined {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    // The user's own: paths and findings of their source are no one else's business.
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
    renameSync(tmp, file);
    return undefined;
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was written there
    }
    return `cannot save the spawn-site index to ${file}: ${(e as Error).message}`;
  }
}

/** Saved indexes not used for this long are deleted by pruneSnapshotDir (a workspace gone or moved leaves its file behind). */
export const SNAPSHOT_MAX_AGE_DAYS = 30;

/**
 * Deletes the saved indexes in `dir` not used for SNAPSHOT_MAX_AGE_DAYS (the CLI touches one it
 * used without rewriting it, so the mtime is the last use), and temporary files of saves that died. Only names snapshotFile() makes are touched. Returns how many went.
 */
export function pruneSnapshotDir(dir: string, now = Date.now()): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const tmp = /^[0-9a-f]{16}\.json\.\d+\.tmp$/.test(name);
    if (!tmp && !/^[0-9a-f]{16}\.json$/.test(name)) continue;
    const file = join(dir, name);
    const st = statSync(file, { throwIfNoEntry: false });
    const maxAge = tmp ? 24 * 3600 * 1000 : SNAPSHOT_MAX_AGE_DAYS * 24 * 3600 * 1000;
    if (!st || now - st.mtimeMs < maxAge) continue;
    try {
      rmSync(file, { force: true });
      removed++;
    } catch {
      // another process's, or not ours to delete: left
    }
  }
  return removed;
}
