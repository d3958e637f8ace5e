/**
 * The spawn-site index of a workspace: every site in every supported source file, kept current
 * file by file.
 *
 * Cost model (see bench/sites.mjs): reading the files is unavoidable; parsing is the expensive
 * part, so a file is parsed only when its bytes contain a name some site of its language needs
 * (`os/exec`, `StartProcess`, `fork`, `child_process`...): a file without them cannot hold a site,
 * whatever the parser would say. Go files that pass are further cut down to the declarations that
 * mention a handle API (golex.ts). Both are necessary conditions only; the sites come from the
 * parse. `prefilter: false` parses everything, and the tests check that the results are the same.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { GoFileFacts } from './go';
import { goKeys, GoPackages } from './go-packages';
import { gitIgnored, type IgnoreRules, outerGitRules, readFile, whyUnreadable } from './files';
import { neverRunsWithZombies, withoutZombies } from './platform';
import { GitIgnore } from './gitignore';
import { goInterestingIdents, keepRelevant, outlineGo } from './golex';
import { type Grammar, loadedParser, loadGrammar } from './parser';
import { hasNeedle, type LanguageInfo, languageOf, mayHoldSites, namesSite } from './prefilter';
// Loaded on first use (scanners.ts): a start from the saved index with nothing changed scans nothing.
import { scanC, scanGo, scanJavaScript, scanPython, scanRust } from './scanners';
import { readRegularText } from './safefs';
import { decodeSnapshot, encodeSnapshot, type FileSig, type SnapshotEntry, unchanged } from './snapshot';
import type { FileScan, SiteFinding, SiteLanguage, SpawnSite } from './types';

export { languageOf };

export interface IndexOptions {
  /** Directory names never entered. Hidden directories (".x") are always skipped. */
  ignore?: readonly string[];
  /** Skip what .gitignore files under the root ignore, as git does (default true). */
  gitignore?: boolean;
  /** Files larger than this are not parsed (generated tables, minified bundles). */
  maxFileBytes?: number;
  /** Skip files and Go declarations that cannot hold a site (default true). */
  prefilter?: boolean;
}

/** How far an indexDirectory has come: files found by the walk, then read, then parsed. */
export interface IndexProgress {
  phase: 'walk' | 'read' | 'parse';
  done: number;
  /** Known once the walk is over (undefined while walking). */
  total?: number;
}

/** Reports progress every this many files (and at each phase's end): a count, not a clock, so it is the same on any machine. */
export const PROGRESS_EVERY = 500;

export interface IndexDirectoryOptions extends IndexOptions {
  /** Called as the work goes on (see IndexProgress); the CLI draws it on a terminal, the editor in a notification. */
  onProgress?: (p: IndexProgress) => void;
  /**
   * Cancels the indexing: the promise rejects with an AbortError at the next file, and the index
   * holds nothing of this run (index it again before use).
   */
  signal?: AbortSignal;
  /**
   * What an earlier index of the same root saved (`snapshot()`, read back from disk): files still
   * as they were are taken from it unread. Anything that does not fit is ignored, and the stats say why.
   */
  snapshot?: unknown;
}

/**
 * Third-party code and environments, skipped even where no .gitignore says so. Output directories
 * (`dist`, `out`, `build`, Rust's `target`) are left to .gitignore: the same names are source
 * elsewhere (Go's go/build and cmd/dist).
 */
export const DEFAULT_IGNORE: readonly string[] = ['node_modules', 'vendor', '__pycache__', 'venv'];
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/** What the index keeps about Go files, for packages and programs. */
interface GoInfo {
  packageName: string;
  imports: string[];
  /** Analysis results; absent for files that cannot hold a site. */
  facts?: GoFileFacts;
}

interface FileEntry {
  path: string;
  language: SiteLanguage;
  grammar: Grammar;
  scan: FileScan;
  go?: GoInfo;
  /** The bytes this entry came from: what a later start compares with the disk. */
  sig?: FileSig;
}

/** A path the index could not read, and why (issue 12: said, never dropped in silence). */
export interface SkippedPath {
  path: string;
  reason: string;
}

export interface IndexStats {
  files: number;
  /** Paths not read (see SpawnSiteIndex.skipped()). */
  skipped: number;
  parsed: number;
  sites: number;
  /** Go files analysed a second time once their package was complete. */
  rescanned: number;
  ms: number;
  /** Files taken unread from the snapshot passed in. */
  reused: number;
  /** The longest the index kept the event loop (the extension host) to itself, in ms. */
  longestStretchMs: number;
  /** Why the snapshot passed in was not used (none was, or it was used: absent). */
  snapshotRejected?: string;
  /** Set with snapshotRejected when the snapshot was only made by another format or build (an upgrade), not damaged or foreign. */
  snapshotOutdated?: boolean;
  /** Files the snapshot passed in held (set when it was used). */
  snapshotFiles?: number;
  /** Where the time went, in milliseconds: finding files, checking them against a snapshot, reading and pre-filtering them, cutting Go files down, parsing, analysing. */
  phases: { walk: number; restore: number; read: number; outline: number; parse: number; analyze: number };
}

/** A program of the workspace a parent process may be: what linking matches an exe or script against. */
export interface ProgramUnit {
  language: SiteLanguage;
  kind: 'go-command' | 'rust-crate' | 'c-directory' | 'script';
  /** Directory of the command / crate / sources; for a script, its file. */
  path: string;
  /** Names its binary is likely to have (go build / cargo / make output, go run temp binary). */
  names: string[];
  /** Files whose sites run in this program. */
  files: Set<string>;
}

/**
 * The index runs in the extension host, which every extension shares: it gives the event loop a
 * turn once this many ms of work have passed, rather than every so many files (one big Go file
 * takes 10 ms or more to parse and analyse).
 */
const YIELD_AFTER_MS = 20;

/** Yields to the event loop when YIELD_AFTER_MS of work have passed since the last turn; keeps the longest stretch. */
class Breather {
  private last = performance.now();
  longest = 0;

  async maybe(): Promise<void> {
    if (performance.now() - this.last >= YIELD_AFTER_MS) await this.now();
  }

  async now(): Promise<void> {
    this.end();
    await new Promise((r) => setImmediate(r));
    this.last = performance.now();
  }

  /** Closes the current stretch (at a yield, or at the end of the work). */
  end(): void {
    this.longest = Math.max(this.longest, performance.now() - this.last);
  }
}
const READ_BUFFER_MAX = 16 * 1024 * 1024;

export class SpawnSiteIndex {
  private files = new Map<string, FileEntry>();
  /** Go files by directory (a package is a directory), kept in step with `files`. */
  private goDirs = new Map<string, Set<string>>();
  private options: Required<IndexOptions> = { ignore: DEFAULT_IGNORE, gitignore: true, maxFileBytes: DEFAULT_MAX_BYTES, prefilter: true };
  /** The .gitignore rules found by the last walk, by the directory that holds them. */
  private gitignores = new Map<string, GitIgnore>();
  /** The rules from above the root: the git work tree's info/exclude and .gitignore files between its top and the root. */
  private outerRules: IgnoreRules = [];
  private rootDir: string | undefined;
  /** go.mod directories -> module path; Cargo.toml directories -> package and bin names. */
  private goModules = new Map<string, string>();
  /** go.mod directories -> the module path its `module` line says (read when a platform constant is looked up in another package). */
  /** A directory's .go files as read from disk (goDirFiles), with the platform constants looked up in them by name; dropped when a file of it is (re)indexed. */
  /** Dependencies' sources (vendor/, the module cache), read when a call into one may hand out a Cmd. */
  private readonly goPackages = new GoPackages({
    filesIn: (dir) => this.goDirs.get(dir) ?? [],
    go: (path) => this.files.get(path)?.go,
    isModuleRoot: (dir) => this.goModules.has(dir),
  });
  private crates = new Map<string, string[]>();
  private cache: { sites?: SpawnSite[]; findings?: SiteFinding[]; units?: ProgramUnit[] } = {};
  private phases = { walk: 0, restore: 0, read: 0, outline: 0, parse: 0, analyze: 0 };
  /** What the last indexDirectory could not read (directories, files, names), besides files over the size limit. */
  private unreadPaths: SkippedPath[] = [];
  /** Set during indexDirectory's walk: its progress, and its cancellation (checked per directory). */
  private walkProgress: ((found: number) => void) | undefined;
  private walkSignal: AbortSignal | undefined;

  constructor(options: IndexOptions = {}) {
    this.setOptions(options);
  }

  private setOptions(options: IndexOptions): void {
    this.options = {
      ignore: options.ignore ?? this.options.ignore,
      gitignore: options.gitignore ?? this.options.gitignore,
      maxFileBytes: options.maxFileBytes ?? this.options.maxFileBytes,
      prefilter: options.prefilter ?? this.options.prefilter,
    };
  }

  get root(): string | undefined {
    return this.rootDir;
  }

  /**
   * Indexes every supported file under `dir` (replacing what the index held). With
   * `options.snapshot`, files unchanged since it was taken are not read again (see snapshot.ts).
   */
  async indexDirectory(dir: string, options: IndexDirectoryOptions = {}): Promise<IndexStats> {
    const started = performance.now();
    const breather = new Breather();
    this.setOptions(options);
    const root = resolve(dir);
    if (!statSync(root).isDirectory()) throw new Error(`not a directory: ${dir}`);
    this.rootDir = root;
    this.files = new Map();
    this.goDirs = new Map();
    this.goPackages.reset();
    this.goModules = new Map();
    this.crates = new Map();
    this.gitignores = new Map();
    this.outerRules = this.options.gitignore ? outerGitRules(root) : [];
    this.cache = {};
    this.phases = { walk: 0, restore: 0, read: 0, outline: 0, parse: 0, analyze: 0 };
    this.unreadPaths = [];
    const found: { path: string; info: LanguageInfo }[] = [];
    const progress = options.onProgress;
    const signal = options.signal;
    signal?.throwIfAborted();
    this.walkProgress = progress ? (n) => progress({ phase: 'walk', done: n }) : undefined;
    this.walkSignal = signal;
    let t = performance.now();
    // A root that cannot be listed is an error (the CLI's exit 1), not an empty index.
    try {
      readdirSync(root);
    } catch (e) {
      throw new Error(`${dir}: ${whyUnreadable(e)}`, { cause: e });
    }
    try {
      this.walk(root, found, this.outerRules);
    } finally {
      this.walkProgress = undefined;
      this.walkSignal = undefined;
    }
    this.phases.walk = performance.now() - t;
    progress?.({ phase: 'walk', done: found.length, total: found.length });
    await breather.maybe();
    signal?.throwIfAborted();

    t = performance.now();
    let reused: Map<string, FileEntry> = new Map();
    let snapshotRejected: string | undefined;
    let snapshotOutdated: boolean | undefined;
    let snapshotFiles: number | undefined;
    if (options.snapshot !== undefined) {
      const restored = this.restore(options.snapshot, found);
      if ('rejected' in restored) {
        snapshotRejected = restored.rejected;
        snapshotOutdated = restored.outdated;
      } else {
        reused = restored.entries;
        snapshotFiles = restored.held;
      }
      // Entered first: the Go files analysed below may consult them (never in their own package, see restore).
      for (const e of reused.values()) this.put(e.path, e);
    }
    this.phases.restore = performance.now() - t;
    t = performance.now();

    // Read everything first, parse only what may hold sites.
    const todo: { path: string; info: LanguageInfo; bytes: Buffer; sig: FileSig; parse: boolean }[] = [];
    const grammars = new Set<Grammar>();
    // A grammar starts loading at the first file that needs it: its WASM compiles off the main
    // thread while the reading goes on (the loop's yields let the load proceed), instead of after
    // all the reading.
    const loads: Promise<unknown>[] = [];
    const shared = Buffer.allocUnsafeSlow(Math.min(this.options.maxFileBytes + 1, READ_BUFFER_MAX));
    let readCount = 0;
    for (const { path, info } of found) {
      if (++readCount % PROGRESS_EVERY === 0) {
        progress?.({ phase: 'read', done: readCount, total: found.length });
        signal?.throwIfAborted();
      }
      if (reused.has(path)) continue;
      await breather.maybe();
      signal?.throwIfAborted();
      let read: { bytes: Buffer; sig: FileSig };
      try {
        read = readFile(path, shared);
      } catch (e) {
        // Vanished since the walk: nothing to say. Anything else: said.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.unreadPaths.push({ path, reason: whyUnreadable(e) });
        continue;
      }
      const { bytes, sig } = read;
      if (!this.options.prefilter || (bytes.length <= this.options.maxFileBytes && hasNeedle(info.language, bytes))) {
        const parse = !this.options.prefilter || namesSite(info.language, bytes);
        todo.push({ path, info, bytes: bytes.buffer === shared.buffer ? Buffer.from(bytes) : bytes, sig, parse });
        if (parse && !grammars.has(info.grammar)) {
          grammars.add(info.grammar);
          loads.push(loadGrammar(info.grammar));
        }
      } else {
        this.put(path, { ...this.emptyEntry(path, info, bytes), sig });
      }
    }
    this.phases.read = performance.now() - t;
    progress?.({ phase: 'read', done: found.length, total: found.length });
    if (loads.length) await breather.now();
    await Promise.all(loads);
    let parsed = 0;
    for (let k = 0; k < todo.length; k++) {
      const { path, info, bytes, sig, parse } = todo[k];
      if (!parse || bytes.length > this.options.maxFileBytes) {
        this.put(path, { ...this.emptyEntry(path, info, bytes), sig });
        continue;
      }
      this.put(path, { ...this.scanFile(path, info, bytes.toString('utf8')), sig });
      parsed++;
      if (parsed % 50 === 0) progress?.({ phase: 'parse', done: k + 1, total: todo.length });
      await breather.maybe();
      signal?.throwIfAborted();
    }
    progress?.({ phase: 'parse', done: todo.length, total: todo.length });
    await breather.maybe();
    const rescanned = await this.settleGoPackages(breather, todo.filter((f) => this.files.get(f.path)?.go?.facts).map((f) => f.path));
    // One order whatever came from where (units() and findings() follow it): the walk's.
    const ordered = new Map<string, FileEntry>();
    for (const { path } of found) {
      const e = this.files.get(path);
      if (e) ordered.set(path, e);
    }
    this.files = ordered;
    this.cache = {};
    const sites = this.sites().length;
    breather.end();
    return { files: this.files.size, skipped: this.skipped().length, parsed, sites, rescanned, longestStretchMs: breather.longest, reused: reused.size, ...(snapshotRejected ? { snapshotRejected } : {}), ...(snapshotOutdated ? { snapshotOutdated } : {}), ...(snapshotFiles !== undefined ? { snapshotFiles } : {}), ms: performance.now() - started, phases: { ...this.phases } };
  }

  /**
   * The snapshot's entries that still hold for the files `found` on disk now. A Go file is kept
   * only when its whole directory is unchanged (same files, none modified): an analysis consults
   * the other files of its package.
   */
  private restore(data: unknown, found: { path: string; info: LanguageInfo }[]): { entries: Map<string, FileEntry>; held: number } | { rejected: string; outdated?: boolean } {
    const decoded = decodeSnapshot(data, { root: this.rootDir!, options: this.options });
    if ('rejected' in decoded) return decoded;
    const keep = new Map<string, FileEntry>();
    const dirtyGo = new Set<string>();
    const present = new Set<string>();
    for (const { path, info } of found) {
      present.add(path);
      const e = decoded.entries.get(path);
      if (e && e.language === info.language && e.grammar === info.grammar && unchanged(path, e.sig)) keep.set(path, e);
      else if (info.language === 'go') dirtyGo.add(dirname(path));
    }
    for (const e of decoded.entries.values()) if (e.language === 'go' && !present.has(e.path)) dirtyGo.add(dirname(e.path));
    if (dirtyGo.size) for (const [path, e] of keep) if (e.language === 'go' && dirtyGo.has(dirname(path))) keep.delete(path);
    return { entries: keep, held: decoded.entries.size };
  }

  /**
   * Everything the index holds, JSON-ready, for `indexDirectory(root, { snapshot })` in a later
   * run (snapshot.ts saves it). Undefined before the first indexDirectory.
   */
  snapshot(): unknown {
    if (!this.rootDir) return undefined;
    const entries: SnapshotEntry[] = [];
    for (const e of this.files.values()) if (e.sig) entries.push(e as SnapshotEntry);
    return encodeSnapshot({ root: this.rootDir, options: this.options }, entries);
  }

  /**
   * Re-reads one file after a change (or its creation). Go files that used what this file
   * declares (a function that waits, a constant naming a program) are analysed again.
   * Returns true when the index's sites changed.
   */
  async updateFile(path: string): Promise<boolean> {
    const abs = resolve(path);
    const info = languageOf(abs);
    if (!info || this.ignored(abs)) return false;
    let bytes: Buffer;
    let sig: FileSig;
    try {
      ({ bytes, sig } = readFile(abs));
    } catch {
      return this.removeFile(abs);
    }
    const before = this.files.get(abs);
    const beforeJson = before ? JSON.stringify(before.scan.sites) : '';
    await loadGrammar(info.grammar);
    const entry =
      this.options.prefilter && !mayHoldSites(info.language, bytes) ? this.emptyEntry(abs, info, bytes) : bytes.length > this.options.maxFileBytes ? this.emptyEntry(abs, info, bytes) : this.scanFile(abs, info, bytes.toString('utf8'));
    entry.sig = sig;
    this.put(abs, entry);
    this.cache = {};
    let changed = JSON.stringify(entry.scan.sites) !== beforeJson;
    if (info.language === 'go') changed = this.goDependents(abs, before?.go?.facts, entry.go?.facts) || changed;
    if (basename(abs) === 'go.mod' || basename(abs) === 'Cargo.toml') this.readManifests();
    return changed;
  }

  /**
   * After a directory appeared, went away or was renamed (a watcher reports the directory alone,
   * not each file in it): forgets the indexed files under `path` that are gone and reads those
   * there now. Also right for a path that is no directory. Returns true when sites changed.
   */
  async refreshUnder(path: string): Promise<boolean> {
    const abs = resolve(path);
    let changed = false;
    const prefix = abs + sep;
    for (const p of [...this.files.keys()]) if (p.startsWith(prefix) && !existsSync(p)) changed = this.removeFile(p) || changed;
    // The .gitignore files read there before may be gone or different: the walk below reads them anew.
    for (const d of [...this.gitignores.keys()]) if (d === abs || d.startsWith(prefix)) this.gitignores.delete(d);
    if (!this.rootDir || this.ignored(abs, true) || !statSync(abs, { throwIfNoEntry: false })?.isDirectory()) return changed;
    const found: { path: string; info: LanguageInfo }[] = [];
    this.walk(abs, found, this.rulesAbove(abs));
    for (const f of found) if (!this.files.has(f.path)) changed = (await this.updateFile(f.path)) || changed;
    return changed;
  }

  /**
   * Whether a path that came or went can matter to the index: not below the root, or inside a
   * directory it skips (hidden, node_modules and the like, or ignored by a .gitignore), it cannot.
   */
  mayConcern(path: string): boolean {
    return this.rootDir !== undefined && !this.ignored(resolve(path), true);
  }

  /** The .gitignore rules that apply to `dir` and inside it from the directories above it (the walk's `rules` there). */
  private rulesAbove(dir: string): IgnoreRules {
    const rules: IgnoreRules = [...this.outerRules];
    if (!this.rootDir || !this.options.gitignore) return rules;
    const parts = relative(this.rootDir, dir).split(sep).filter(Boolean);
    let d = this.rootDir;
    for (let i = 0; i < parts.length; i++) {
      const ig = this.gitignores.get(d);
      if (ig) rules.push({ dir: d, ig });
      d = join(d, parts[i]);
    }
    return rules;
  }

  /** Forgets a deleted file. Returns true when sites were removed or changed. */
  removeFile(path: string): boolean {
    const abs = resolve(path);
    const before = this.files.get(abs);
    if (!before) return false;
    this.drop(abs);
    this.cache = {};
    let changed = before.scan.sites.length > 0;
    if (before.language === 'go') changed = this.goDependents(abs, before.go?.facts, undefined) || changed;
    return changed;
  }

  /** Every site, sorted by file, line and column. */
  sites(): SpawnSite[] {
    if (!this.cache.sites) {
      const all: SpawnSite[] = [];
      for (const e of this.files.values()) all.push(...e.scan.sites);
      this.cache.sites = this.adjustC(this.adjustGo(all)).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
    }
    return this.cache.sites;
  }

  /** The site whose call covers `line` of `file` (the first, in sites() order): where a recorded spawn's line meets the index. */
  siteAt(file: string, line: number): SpawnSite | undefined {
    return this.sites().find((s) => s.file === file && s.range.startLine <= line && line <= s.range.endLine);
  }

  /** Sites of one file. */
  sitesIn(path: string): SpawnSite[] {
    const abs = resolve(path);
    return this.sites().filter((s) => s.file === abs);
  }

  /** Findings (never-waited sites with messages and fixes), for diagnostics. */
  findings(): SiteFinding[] {
    if (!this.cache.findings) {
      const adjusted = new Map(this.sites().map((s) => [`${s.file}:${s.line}:${s.column}:${s.api}`, s]));
      const out: SiteFinding[] = [];
      for (const e of this.files.values()) {
        for (const f of e.scan.findings) {
          const site = adjusted.get(`${f.site.file}:${f.site.line}:${f.site.column}:${f.site.api}`) ?? f.site;
          if (site.waited === 'no') out.push({ ...f, site });
        }
      }
      this.cache.findings = out;
    }
    return this.cache.findings;
  }

  /**
   * What the last indexDirectory did not read, with why: directories and files it may not read,
   * names that are not valid UTF-8, paths past PATH_MAX, FIFOs and other non-files with a source
   * name, and source files over the size limit (`maxFileBytes`, 4 MiB by default: generated
   * tables and bundles), which are listed but not searched.
   */
  skipped(): SkippedPath[] {
    const out = [...this.unreadPaths];
    const limit = this.options.maxFileBytes;
    for (const e of this.files.values()) if (e.sig && e.sig.size > limit) out.push({ path: e.path, reason: `larger than the size limit (${e.sig.size} bytes; the limit is ${formatBytes(limit)})` });
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Indexed source files (all, with or without sites). */
  fileCount(): number {
    return this.files.size;
  }

  // -------------------------------------------------------------------------------------------

  private put(path: string, entry: FileEntry): void {
    this.files.set(path, entry);
    this.goPackages.changed(dirname(path));
    if (entry.language === 'go') {
      const dir = dirname(path);
      let set = this.goDirs.get(dir);
      if (!set) this.goDirs.set(dir, (set = new Set()));
      set.add(path);
    }
  }

  private drop(path: string): void {
    this.files.delete(path);
    this.goPackages.changed(dirname(path));
    this.goDirs.get(dirname(path))?.delete(path);
  }

  /** Whether the walk would skip this path (a file, or a directory when `isDir`). */
  private ignored(abs: string, isDir = false): boolean {
    if (!this.rootDir) return false;
    const rel = relative(this.rootDir, abs);
    if (rel.startsWith('..')) return true;
    if (rel === '') return false;
    const parts = rel.split(sep);
    const dirs = isDir ? parts : parts.slice(0, -1);
    if (dirs.some((part) => part.startsWith('.') || this.options.ignore.includes(part))) return true;
    if (!this.options.gitignore || (this.gitignores.size === 0 && this.outerRules.length === 0)) return false;
    // As the walk decides: each directory on the way down, then the file, against the rules above it.
    let dir = this.rootDir;
    for (let i = 0; i < parts.length; i++) {
      dir = join(dir, parts[i]);
      if (gitIgnored(this.rulesAbove(dir), dir, isDir || i < parts.length - 1)) return true;
    }
    return false;
  }

  private walk(dir: string, out: { path: string; info: LanguageInfo }[], rules: IgnoreRules): void {
    this.walkSignal?.throwIfAborted();
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      // Unreadable directory: skipped like rg does, and said.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.unreadPaths.push({ path: dir, reason: whyUnreadable(e) });
      return;
    }
    if (entries.some((e) => e.name.includes('\uFFFD'))) entries = this.dropUndecodable(dir, entries);
    if (this.options.gitignore && entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      try {
        const ig = new GitIgnore(readRegularText(join(dir, '.gitignore')));
        this.gitignores.set(dir, ig);
        rules = [...rules, { dir, ig }];
      } catch {
        // unreadable .gitignore: as if there were none
      }
    }
    // dir is absolute and normal, a readdir name one plain part: dir + sep + name is what join
    // would make, without its normalising pass over the whole path (~4 ms of a start from the
    // saved index on GOROOT/src).
    const prefix = dir.endsWith(sep) ? dir : dir + sep;
    for (const e of entries) {
      const name = e.name;
      if (e.isDirectory()) {
        if (name.startsWith('.') || this.options.ignore.includes(name)) continue;
        const sub = prefix + name;
        if (rules.length && gitIgnored(rules, sub, true)) continue;
        this.walk(sub, out, rules);
      } else if (!e.isFile()) {
        // A FIFO, socket or device with a source file's name is never opened (it could block): said.
        if (!e.isSymbolicLink() && languageOf(name) && !(rules.length && gitIgnored(rules, prefix + name, false))) this.unreadPaths.push({ path: prefix + name, reason: 'not a regular file' });
      } else {
        if (rules.length && gitIgnored(rules, prefix + name, false)) continue;
        if (name === 'go.mod') this.readGoMod(prefix + name);
        else if (name === 'Cargo.toml') this.readCargo(prefix + name);
        const info = languageOf(name);
        if (info) {
          out.push({ path: prefix + name, info });
          if (this.walkProgress && out.length % PROGRESS_EVERY === 0) this.walkProgress(out.length);
        }
      }
    }
  }

  /**
   * Names that are not valid UTF-8 come out of readdir with U+FFFD in place of their bytes: no
   * such path exists, so they cannot be opened by that name. They are skipped and said, with
   * their bytes escaped.
   */
  private dropUndecodable<T extends { name: string }>(dir: string, entries: T[]): T[] {
    let bad: Set<string>;
    try {
      bad = new Set(
        readdirSync(dir, { encoding: 'buffer' })
          .filter((b) => !isUtf8(b))
          .map((b) => b.toString('utf8')),
      );
      for (const b of readdirSync(dir, { encoding: 'buffer' })) {
        if (isUtf8(b)) continue;
        const shown = [...b].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : `\\x${x.toString(16).padStart(2, '0')}`)).join('');
        this.unreadPaths.push({ path: join(dir, shown), reason: 'name is not valid UTF-8' });
      }
    } catch {
      return entries;
    }
    return entries.filter((e) => !bad.has(e.name));
  }

  private readManifests(): void {
    this.goModules = new Map();
    this.crates = new Map();
    if (!this.rootDir) return;
    const visit = (dir: string) => {
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.isDirectory() && !e.name.startsWith('.') && !this.options.ignore.includes(e.name) && !this.ignored(join(dir, e.name), true)) visit(join(dir, e.name));
        else if (e.isFile() && e.name === 'go.mod') this.readGoMod(join(dir, e.name));
        else if (e.isFile() && e.name === 'Cargo.toml') this.readCargo(join(dir, e.name));
      }
    };
    visit(this.rootDir);
    this.cache = {};
  }

  /** go.mod's `module` line (a manifest, not source). */
  private readGoMod(path: string): void {
    try {
      for (const line of readRegularText(path).split('\n')) {
        const words = line.trim().split(/\s+/);
        if (words[0] === 'module' && words[1]) {
          this.goModules.set(dirname(path), words[1].replace(/^"|"$/g, ''));
          return;
        }
      }
    } catch {
      // unreadable manifest: the directory is then not a module root
    }
  }

  /** Cargo.toml's package name and [[bin]] names, plus src/bin/*.rs (the binaries cargo builds). */
  private readCargo(path: string): void {
    const names: string[] = [];
    try {
      let section = '';
      for (const raw of readRegularText(path).split('\n')) {
        const line = raw.trim();
        if (line.startsWith('[')) section = line;
        const eq = line.indexOf('=');
        if (eq > 0 && line.slice(0, eq).trim() === 'name' && (section === '[package]' || section === '[[bin]]')) {
          names.push(line.slice(eq + 1).trim().replace(/^"|"$/g, ''));
        }
      }
      const binDir = join(dirname(path), 'src', 'bin');
      if (existsSync(binDir)) for (const f of readdirSync(binDir)) if (f.endsWith('.rs')) names.push(f.slice(0, -3));
    } catch {
      // keep what was read
    }
    this.crates.set(dirname(path), names);
  }

  private emptyEntry(path: string, info: LanguageInfo, bytes: Buffer): FileEntry {
    const entry: FileEntry = { path, ...info, scan: { sites: [], findings: [] } };
    if (info.language === 'go') {
      // Only the head: whether this is a command (package main) and what it imports. Decode a
      // window that grows until the imports end inside it (they usually do within 4 KB).
      let window = 4096;
      let head = outlineGo(bytes.toString('utf8', 0, Math.min(bytes.length, window)), { headOnly: true });
      while (window < bytes.length && head.headEnd >= Math.min(bytes.length, window) - 1) {
        window *= 4;
        head = outlineGo(bytes.toString('utf8', 0, Math.min(bytes.length, window)), { headOnly: true });
      }
      entry.go = { packageName: head.packageName, imports: head.imports.map((i) => i.path) };
    }
    return entry;
  }

  /** Parses and scans one file (grammars must be loaded). */
  private scanFile(path: string, info: LanguageInfo, text: string): FileEntry {
    const parser = loadedParser(info.grammar);
    if (!parser) throw new Error(`grammar ${info.grammar} not loaded`);
    if (info.language === 'go') return this.scanGoText(path, info, text);
    let t = performance.now();
    const tree = parser.parse(text);
    this.phases.parse += performance.now() - t;
    t = performance.now();
    try {
      let scan: FileScan;
      switch (info.language) {
        case 'c':
        case 'cpp':
          scan = scanC(tree.rootNode, path, info.language);
          break;
        case 'python':
          scan = scanPython(tree.rootNode, path, text);
          break;
        case 'javascript':
        case 'typescript':
          scan = scanJavaScript(tree.rootNode, path, info.language);
          break;
        case 'rust':
          scan = scanRust(tree.rootNode, path);
          break;
        default:
          scan = { sites: [], findings: [] };
      }
      // (Only a file with sites asks: a Rust module's answer may read its parent module's file.)
      const why = scan.sites.length ? neverRunsWithZombies(path, info.language, text) : undefined;
      return { path, ...info, scan: why ? withoutZombies(scan, why) : scan };
    } finally {
      tree.delete();
      this.phases.analyze += performance.now() - t;
    }
  }

  private scanGoText(path: string, info: LanguageInfo, text: string): FileEntry {
    const parser = loadedParser('go')!;
    let source = text;
    let outline;
    let t = performance.now();
    if (this.options.prefilter) {
      outline = outlineGo(text, { interesting: goInterestingIdents });
      source = keepRelevant(text, outline).text;
    }
    this.phases.outline += performance.now() - t;
    t = performance.now();
    let tree = parser.parse(source);
    if (source !== text && tree.rootNode.hasError) {
      // Blanking must never change the result: on any doubt parse the whole file.
      tree.delete();
      source = text;
      tree = parser.parse(text);
    }
    this.phases.parse += performance.now() - t;
    t = performance.now();
    try {
      const dir = dirname(path);
      const facts = scanGo(tree.rootNode, path, this.goPackages.view(path, dir, outline?.packageName), source, text);
      const scan = { sites: facts.sites, findings: facts.findings };
      const why = neverRunsWithZombies(path, 'go', text);
      return { path, ...info, scan: why ? withoutZombies(scan, why) : scan, go: { packageName: facts.packageName, imports: facts.imports, facts } };
    } finally {
      tree.delete();
      this.phases.analyze += performance.now() - t;
    }
  }

  /**
   * After a cold index: files analysed before the package file that declares what they consulted
   * are analysed again, until nothing changes (summaries can chain across files).
   */
  private async settleGoPackages(breather: Breather, paths: string[]): Promise<number> {
    let rescanned = 0;
    let pending = new Set(paths.filter((p) => (this.files.get(p)?.go?.facts?.consulted.size ?? 0) > 0));
    for (let round = 0; round < 4 && pending.size; round++) {
      const next = new Set<string>();
      for (const path of pending) {
        // A later round's files are every file of the package, some never analysed (no Go facts): skip those.
        const facts = this.files.get(path)?.go?.facts;
        if (!facts) continue;
        const provided = this.providedKeys(path);
        if (![...facts.consulted].some((k) => provided.has(k))) continue;
        const before = goKeys(facts);
        await breather.maybe();
        const fresh = this.rescanGo(path);
        if (!fresh) continue;
        rescanned++;
        const after = goKeys(fresh.go?.facts);
        if (JSON.stringify([...before]) !== JSON.stringify([...after])) {
          for (const other of this.packageFiles(path)) if (other !== path) next.add(other);
        }
      }
      pending = next;
    }
    this.cache = {};
    return rescanned;
  }

  private providedKeys(path: string): Set<string> {
    const keys = new Set<string>();
    for (const other of this.packageFiles(path)) if (other !== path) for (const k of goKeys(this.files.get(other)?.go?.facts).keys()) keys.add(k);
    return keys;
  }

  private packageFiles(path: string): string[] {
    const pkg = this.files.get(path)?.go?.packageName;
    return [...(this.goDirs.get(dirname(path)) ?? [])].filter((p) => this.files.get(p)?.go?.packageName === pkg);
  }

  private rescanGo(path: string): FileEntry | undefined {
    let read: { bytes: Buffer; sig: FileSig };
    try {
      read = readFile(path);
    } catch {
      return undefined;
    }
    const entry = this.scanGoText(path, { language: 'go', grammar: 'go' }, read.bytes.toString('utf8'));
    entry.sig = read.sig;
    this.put(path, entry);
    return entry;
  }

  /** After a Go file changed: re-analyse the files of its package that consulted what it declares (or used to). */
  private goDependents(path: string, before: GoFileFacts | undefined, after: GoFileFacts | undefined): boolean {
    const a = goKeys(before);
    const b = goKeys(after);
    const changedKeys = new Set<string>();
    for (const [k, v] of a) if (b.get(k) !== v) changedKeys.add(k);
    for (const [k, v] of b) if (a.get(k) !== v) changedKeys.add(k);
    if (changedKeys.size === 0) return false;
    let changed = false;
    for (const p of [...(this.goDirs.get(dirname(path)) ?? [])]) {
      const e = this.files.get(p);
      if (!e || e.path === path || !e.go?.facts) continue;
      if (![...e.go.facts.consulted].some((k) => changedKeys.has(k))) continue;
      const beforeSites = JSON.stringify(e.scan.sites);
      const fresh = this.rescanGo(e.path);
      if (fresh && JSON.stringify(fresh.scan.sites) !== beforeSites) changed = true;
    }
    this.cache = {};
    return changed;
  }

  /**
   * Program-wide facts a single file cannot see: a Go command that ignores SIGCHLD (the kernel
   * then reaps every child) or reaps any child with Wait4(-1) changes the verdict of the sites in
   * every package it links. Applied per package and per command importing it.
   */
  private adjustGo(sites: SpawnSite[]): SpawnSite[] {
    const reaperOf = new Map<string, { ignores?: { file: string; line: number }; reaps?: { file: string; line: number } }>();
    for (const e of this.files.values()) {
      const f = e.go?.facts;
      if (!f || (f.ignoresSigchld === undefined && f.reapsAnyChild === undefined)) continue;
      const dir = dirname(e.path);
      const cur = reaperOf.get(dir) ?? {};
      if (f.ignoresSigchld !== undefined) cur.ignores ??= { file: e.path, line: f.ignoresSigchld };
      if (f.reapsAnyChild !== undefined) cur.reaps ??= { file: e.path, line: f.reapsAnyChild };
      reaperOf.set(dir, cur);
    }
    if (reaperOf.size === 0) return sites;
    const units = this.units().filter((u) => u.kind === 'go-command');
    return sites.map((s) => {
      if (s.language !== 'go' || s.waited !== 'no') return s;
      const dirs = [dirname(s.file), ...units.filter((u) => u.files.has(s.file)).map((u) => u.path)];
      for (const d of dirs) {
        const r = reaperOf.get(d);
        if (r?.ignores) return { ...s, waited: 'yes', leak: undefined, reason: `SIGCHLD is ignored (${relativeTo(this.rootDir, r.ignores.file)}:${r.ignores.line}), so the kernel reaps every child` };
        if (r?.reaps) return { ...s, waited: 'unknown', leak: undefined, reason: `${s.reason}; but Wait4(-1, ...) at ${relativeTo(this.rootDir, r.reaps.file)}:${r.reaps.line} reaps any child` };
      }
      // A reaper in any package the command links (containerd's shim: pkg/sys/reaper): it may be what reaps this child.
      // (A _test.go file is not linked into the command, only into its package's test binary.)
      if (s.file.endsWith('_test.go')) return s;
      for (const u of units) {
        if (!u.files.has(s.file)) continue;
        for (const [d, r] of reaperOf) {
          if (!r.reaps || !u.files.has(r.reaps.file) || r.reaps.file.endsWith('_test.go')) continue;
          return { ...s, waited: 'unknown', leak: undefined, reason: `${s.reason}; but Wait4(-1, ...) at ${relativeTo(this.rootDir, r.reaps.file)}:${r.reaps.line}, in ${relativeTo(this.rootDir, d)}, which the command ${u.path === this.rootDir ? basename(u.path) : relativeTo(this.rootDir, u.path)} links, reaps any child` };
        }
      }
      return s;
    });
  }

  /**
   * C: a main() that makes the process reap every child (FileScan.reaper) reaps the children of
   * every file of its program, taken as the files under main's directory when no other file there
   * defines a main() (outside #if) of its own: a directory of several programs is not one program.
   * (sway ignores SIGCHLD in sway/main.c; its forks are in sway/config/.)
   */
  private adjustC(sites: SpawnSite[]): SpawnSite[] {
    const reapers: { dir: string; file: string; line: number; words: string }[] = [];
    for (const e of this.files.values()) if (e.scan.reaper) reapers.push({ dir: dirname(e.path), file: e.path, ...e.scan.reaper });
    if (reapers.length === 0) return sites;
    const mains: string[] = [];
    for (const e of this.files.values()) if (e.scan.hasMain) mains.push(e.path);
    const alone = reapers.filter((r) => !mains.some((m) => m !== r.file && m.startsWith(r.dir + sep)));
    if (alone.length === 0) return sites;
    return sites.map((s) => {
      if ((s.language !== 'c' && s.language !== 'cpp') || s.waited !== 'no' || s.api === 'popen') return s;
      const r = alone.find((x) => x.file === s.file || s.file.startsWith(x.dir + sep));
      if (!r) return s;
      return { ...s, waited: 'yes', leak: undefined, reason: `${r.words} in main()'s file ${relativeTo(this.rootDir, r.file)}:${r.line}, so every child of the program is reaped` };
    });
  }

  // -------------------------------------------------------------------------------------------
  // Programs, for linking.

  /** The workspace's programs: Go commands (with the packages they import), Rust crates, C directories, scripts. */
  units(): ProgramUnit[] {
    if (this.cache.units) return this.cache.units;
    const units: ProgramUnit[] = [];
    const goDirs = new Map<string, { name: string; imports: Set<string>; files: string[]; main: boolean }>();
    for (const e of this.files.values()) {
      if (e.language !== 'go' || !e.go) continue;
      const dir = dirname(e.path);
      const d = goDirs.get(dir) ?? { name: '', imports: new Set<string>(), files: [], main: false };
      d.files.push(e.path);
      for (const i of e.go.imports) d.imports.add(i);
      if (e.go.packageName === 'main' && !e.path.endsWith('_test.go')) d.main = true;
      goDirs.set(dir, d);
    }
    // import path -> directory, through the nearest go.mod.
    const byImport = new Map<string, string>();
    const moduleOf = (dir: string): [string, string] | undefined => {
      for (let d = dir; ; d = dirname(d)) {
        const m = this.goModules.get(d);
        if (m !== undefined) return [d, m];
        if (dirname(d) === d || (this.rootDir && !d.startsWith(this.rootDir))) return undefined;
      }
    };
    for (const dir of goDirs.keys()) {
      const mod = moduleOf(dir);
      if (!mod) continue;
      const rel = relative(mod[0], dir).split(sep).join('/');
      byImport.set(rel ? `${mod[1]}/${rel}` : mod[1], dir);
    }
    for (const [dir, d] of goDirs) {
      if (!d.main) continue;
      const files = new Set<string>();
      const seen = new Set<string>();
      const queue = [dir];
      while (queue.length) {
        const cur = queue.pop()!;
        if (seen.has(cur)) continue;
        seen.add(cur);
        const info = goDirs.get(cur);
        if (!info) continue;
        for (const f of info.files) files.add(f);
        for (const imp of info.imports) {
          const target = byImport.get(imp);
          if (target) queue.push(target);
        }
      }
      const names = new Set<string>([basename(dir)]);
      const mod = moduleOf(dir);
      if (mod && mod[0] === dir) names.add(mod[1].split('/').pop()!);
      // `go run x.go` names the temporary binary after the first file.
      for (const f of d.files) if (!f.endsWith('_test.go')) names.add(basename(f, '.go'));
      units.push({ language: 'go', kind: 'go-command', path: dir, names: [...names], files });
    }
    for (const [dir, names] of this.crates) {
      const files = new Set<string>();
      for (const e of this.files.values()) if (e.language === 'rust' && (e.path.startsWith(dir + sep) || dirname(e.path) === dir)) files.add(e.path);
      units.push({ language: 'rust', kind: 'rust-crate', path: dir, names: [...new Set(names.flatMap((n) => [n, n.replace(/-/g, '_')]))], files });
    }
    const cDirs = new Map<string, Set<string>>();
    for (const e of this.files.values()) {
      if (e.language !== 'c' && e.language !== 'cpp') continue;
      const dir = dirname(e.path);
      const set = cDirs.get(dir) ?? new Set<string>();
      set.add(e.path);
      cDirs.set(dir, set);
    }
    for (const [dir, files] of cDirs) {
      const names = new Set<string>([basename(dir)]);
      for (const f of files) if (!/\.(h|hh|hpp|hxx)$/.test(f)) names.add(basename(f).replace(/\.[^.]+$/, ''));
      units.push({ language: 'c', kind: 'c-directory', path: dir, names: [...names], files });
    }
    for (const e of this.files.values()) {
      if (e.language === 'python' || e.language === 'javascript' || e.language === 'typescript') {
        units.push({ language: e.language, kind: 'script', path: e.path, names: [basename(e.path)], files: new Set([e.path]) });
      }
    }
    this.cache.units = units;
    return units;
  }
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

function relativeTo(root: string | undefined, file: string): string {
  return root ? relative(root, file) || file : file;
}
