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
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { GoFileFacts } from './go';
import { goKeys, GoPackages } from './go-packages';
import { Breather } from './breather';
import { outerGitRules, readFile, whyUnreadable } from './files';
import { emptyEntry, type FileEntry, type ScanContext, scanFile, scanGoText } from './file-entry';
import { adjustC, adjustGo, type IndexedWorkspace, type ProgramUnit, units } from './programs';
import { cargoBinaries, goModulePath } from './manifests';
import { type Grammar, loadGrammar } from './parser';
import { hasNeedle, type LanguageInfo, languageOf, mayHoldSites, namesSite } from './prefilter';
import { PROGRESS_EVERY, SourceTree } from './tree-walk';
import { decodeSnapshot, encodeSnapshot, type FileSig, type SnapshotEntry, unchanged } from './snapshot';
import type { SiteFinding, SpawnSite } from './types';

export { languageOf, PROGRESS_EVERY };

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

const READ_BUFFER_MAX = 16 * 1024 * 1024;

export class SpawnSiteIndex {
  private files = new Map<string, FileEntry>();
  /** Go files by directory (a package is a directory), kept in step with `files`. */
  private goDirs = new Map<string, Set<string>>();
  private options: Required<IndexOptions> = { ignore: DEFAULT_IGNORE, gitignore: true, maxFileBytes: DEFAULT_MAX_BYTES, prefilter: true };
  /** The walk of the root (set by indexDirectory). */
  private tree: SourceTree | undefined;
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
    const tree = new SourceTree(root, this.options, this.options.gitignore ? outerGitRules(root) : [], {
      unread: (p) => this.unreadPaths.push(p),
      manifest: (path) => this.readManifest(path),
    });
    this.tree = tree;
    this.cache = {};
    this.phases = { walk: 0, restore: 0, read: 0, outline: 0, parse: 0, analyze: 0 };
    this.unreadPaths = [];
    const found: { path: string; info: LanguageInfo }[] = [];
    const progress = options.onProgress;
    const signal = options.signal;
    signal?.throwIfAborted();
    tree.walkProgress = progress ? (n) => progress({ phase: 'walk', done: n }) : undefined;
    tree.walkSignal = signal;
    let t = performance.now();
    // A root that cannot be listed is an error (the CLI's exit 1), not an empty index.
    try {
      readdirSync(root);
    } catch (e) {
      throw new Error(`${dir}: ${whyUnreadable(e)}`, { cause: e });
    }
    try {
      tree.walk(root, found, tree.outerRules);
    } finally {
      tree.walkProgress = undefined;
      tree.walkSignal = undefined;
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
        this.put(path, { ...emptyEntry(path, info, bytes), sig });
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
        this.put(path, { ...emptyEntry(path, info, bytes), sig });
        continue;
      }
      this.put(path, { ...scanFile(this.scanContext(), path, info, bytes.toString('utf8')), sig });
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
      this.options.prefilter && !mayHoldSites(info.language, bytes) ? emptyEntry(abs, info, bytes) : bytes.length > this.options.maxFileBytes ? emptyEntry(abs, info, bytes) : scanFile(this.scanContext(), abs, info, bytes.toString('utf8'));
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
    const tree = this.tree;
    if (tree) for (const d of [...tree.gitignores.keys()]) if (d === abs || d.startsWith(prefix)) tree.gitignores.delete(d);
    if (!tree || tree.ignored(abs, true) || !statSync(abs, { throwIfNoEntry: false })?.isDirectory()) return changed;
    const found: { path: string; info: LanguageInfo }[] = [];
    tree.walk(abs, found, tree.rulesAbove(abs));
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
      this.cache.sites = adjustC(this.workspace(), adjustGo(this.workspace(), all, () => this.units())).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
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

  /** Whether the walk would skip this path (a file, or a directory when `isDir`); nothing is skipped before the first walk. */
  private ignored(abs: string, isDir = false): boolean {
    return this.tree?.ignored(abs, isDir) ?? false;
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
        else if (e.isFile() && (e.name === 'go.mod' || e.name === 'Cargo.toml')) this.readManifest(join(dir, e.name));
      }
    };
    visit(this.rootDir);
    this.cache = {};
  }

  /** A go.mod's module path, or a Cargo.toml's binaries (manifests.ts). */
  private readManifest(path: string): void {
    if (basename(path) === 'Cargo.toml') this.crates.set(dirname(path), cargoBinaries(path));
    else {
      const module = goModulePath(path);
      if (module !== undefined) this.goModules.set(dirname(path), module);
    }
  }

  private scanContext(): ScanContext {
    return { prefilter: this.options.prefilter, phases: this.phases, goView: (path, dir, packageName) => this.goPackages.view(path, dir, packageName) };
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
    const entry = scanGoText(this.scanContext(), path, { language: 'go', grammar: 'go' }, read.bytes.toString('utf8'));
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

  // -------------------------------------------------------------------------------------------
  // Programs, for linking (programs.ts).

  /** The workspace's programs: Go commands (with the packages they import), Rust crates, C directories, scripts. */
  units(): ProgramUnit[] {
    return (this.cache.units ??= units(this.workspace()));
  }

  private workspace(): IndexedWorkspace {
    return { root: this.rootDir, files: this.files, goModules: this.goModules, crates: this.crates };
  }
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}
