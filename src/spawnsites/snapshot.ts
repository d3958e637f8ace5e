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
import { join, resolve, sep } from 'node:path';
import type { GoFileFacts, GoFuncSummary } from './go';
import { readRegularText } from './safefs';
import { findingProblem, goFactsProblem, isGrammar, isLanguage, siteProblem } from './validate';
import type { Grammar } from './parser';
import type { FileScan, SiteLanguage } from './types';

/** Set by scripts/build.mjs: a hash of src/spawnsites/*.ts and the package version. */
declare const PI_INDEX_BUILD: string | undefined;

export const SNAPSHOT_FORMAT = 1;
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

/** What the index keeps about one file (index.ts's FileEntry, in the snapshot's terms). */
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

interface EncodedEntry {
  path: string;
  language: SiteLanguage;
  grammar: Grammar;
  sig: FileSig;
  scan?: FileScan;
  go?: { packageName: string; imports: string[]; facts?: EncodedFacts };
}

interface SnapshotFile {
  format: number;
  build: string | undefined;
  root: string;
  options: SnapshotKey['options'];
  savedAt: number;
  files: EncodedEntry[];
}

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

/** The index's entries as one JSON-ready object. */
export function encodeSnapshot(key: SnapshotKey, entries: Iterable<SnapshotEntry>): unknown {
  const files: EncodedEntry[] = [];
  for (const e of entries) {
    const out: EncodedEntry = { path: e.path, language: e.language, grammar: e.grammar, sig: e.sig };
    if (e.scan.sites.length || e.scan.findings.length) out.scan = e.scan;
    if (e.go) out.go = { packageName: e.go.packageName, imports: e.go.imports, ...(e.go.facts ? { facts: encodeFacts(e.go.facts) } : {}) };
    files.push(out);
  }
  const snap: SnapshotFile = { format: SNAPSHOT_FORMAT, build: indexBuild(), root: key.root, options: { ...key.options, ignore: [...key.options.ignore] }, savedAt: Date.now(), files };
  return snap;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function sameOptions(a: unknown, b: SnapshotKey['options']): boolean {
  if (!isObject(a)) return false;
  return a.maxFileBytes === b.maxFileBytes && a.prefilter === b.prefilter && a.gitignore === b.gitignore && Array.isArray(a.ignore) && a.ignore.length === b.ignore.length && a.ignore.every((x, i) => x === b.ignore[i]);
}

/**
 * The entries of a snapshot made for `key` by this build, or why it cannot be used (`outdated`:
 * another format or build made it, as after an upgrade; nothing wrong with it). The shape is
 * checked entry by entry, every field against the schema (validate.ts: a snapshot is a file on
 * disk, anything may be in it); one bad entry voids the whole, and everything is read again.
 */
/** A value from a file, in words: JSON for what is not a string (String() throws on some objects). */
function shownValue(v: unknown): string {
  if (typeof v === 'string') return v.length > 200 ? `${v.slice(0, 200)}…` : v;
  try {
    return JSON.stringify(v)?.slice(0, 200) ?? typeof v;
  } catch {
    return typeof v;
  }
}

export function decodeSnapshot(data: unknown, key: SnapshotKey): { entries: Map<string, SnapshotEntry> } | { rejected: string; outdated?: boolean } {
  if (!isObject(data)) return { rejected: 'not a snapshot' };
  if (data.format !== SNAPSHOT_FORMAT) return { rejected: `format ${shownValue(data.format)}, not ${SNAPSHOT_FORMAT}`, outdated: true };
  const build = indexBuild();
  if (build === undefined) return { rejected: 'this build of the index has no build id (not built by scripts/build.mjs)' };
  if (data.build !== build) return { rejected: 'made by another build of the index', outdated: true };
  if (data.root !== key.root) return { rejected: `made for ${shownValue(data.root)}` };
  if (!sameOptions(data.options, key.options)) return { rejected: 'made with other index options' };
  if (!Array.isArray(data.files)) return { rejected: 'no file list' };
  const entries = new Map<string, SnapshotEntry>();
  for (const raw of data.files as unknown[]) {
    if (!isObject(raw) || typeof raw.path !== 'string' || !isLanguage(raw.language) || !isGrammar(raw.grammar)) return { rejected: 'a damaged file entry' };
    // A path the walk could have found: absolute, normal, under the root.
    if (!raw.path.startsWith(`${key.root}${sep}`) || resolve(raw.path) !== raw.path || raw.path.includes('\0')) return { rejected: `a file outside ${key.root} (${JSON.stringify(raw.path.slice(0, 200))})` };
    const sig = raw.sig;
    if (!isObject(sig) || !isNumber(sig.size) || !isNumber(sig.mtimeMs) || !isNumber(sig.ctimeMs) || !isNumber(sig.ino) || !isNumber(sig.readAt)) return { rejected: `a damaged signature (${raw.path})` };
    let scan: FileScan = { sites: [], findings: [] };
    if (raw.scan !== undefined) {
      if (!isObject(raw.scan) || !Array.isArray(raw.scan.sites) || !Array.isArray(raw.scan.findings)) return { rejected: `damaged scan results (${raw.path})` };
      for (const s of raw.scan.sites as unknown[]) {
        const why = siteProblem(s, raw.path);
        if (why) return { rejected: `${why} (${raw.path})` };
      }
      for (const f of raw.scan.findings as unknown[]) {
        const why = findingProblem(f, raw.path);
        if (why) return { rejected: `${why} (${raw.path})` };
      }
      scan = raw.scan as unknown as FileScan;
    }
    const entry: SnapshotEntry = { path: raw.path, language: raw.language, grammar: raw.grammar, sig: sig as unknown as FileSig, scan };
    if (raw.go !== undefined) {
      const go = raw.go;
      if (!isObject(go) || typeof go.packageName !== 'string' || !Array.isArray(go.imports) || !go.imports.every((i) => typeof i === 'string')) return { rejected: `damaged Go facts (${raw.path})` };
      let facts: GoFileFacts | undefined;
      if (go.facts !== undefined) {
        const why = goFactsProblem(go.facts);
        if (why) return { rejected: `${why} (${raw.path})` };
        facts = decodeFacts(go.facts as unknown as EncodedFacts, scan);
      }
      entry.go = { packageName: go.packageName, imports: go.imports as string[], ...(facts ? { facts } : {}) };
    } else if (raw.language === 'go') return { rejected: `a Go file without its package (${raw.path})` };
    entries.set(entry.path, entry);
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
