/**
 * Program-wide facts the index draws from all its files at once: the workspace's programs (Go
 * commands with the packages they link, Rust crates, C directories, scripts), what linking matches
 * a parent's exe or script against, and the verdicts a single file cannot give, when a program's
 * main ignores SIGCHLD or reaps any child.
 */
import { basename, dirname, relative, sep } from 'node:path';
import type { GoFileFacts } from './go';
import type { FileScan, SiteLanguage, SpawnSite } from './types';

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

/** What the index holds that these facts are drawn from (index.ts's files, go.mod and Cargo.toml directories). */
export interface IndexedWorkspace {
  root: string | undefined;
  files: ReadonlyMap<string, { path: string; language: SiteLanguage; scan: FileScan; go?: { packageName: string; imports: string[]; facts?: GoFileFacts } }>;
  /** go.mod directories -> module path. */
  goModules: ReadonlyMap<string, string>;
  /** Cargo.toml directories -> package and bin names. */
  crates: ReadonlyMap<string, string[]>;
}

/**
 * Program-wide facts a single file cannot see: a Go command that ignores SIGCHLD (the kernel
 * then reaps every child) or reaps any child with Wait4(-1) changes the verdict of the sites in
 * every package it links. Applied per package and per command importing it.
 */
export function adjustGo(w: IndexedWorkspace, sites: SpawnSite[], programs: () => ProgramUnit[]): SpawnSite[] {
  const reaperOf = new Map<string, { ignores?: { file: string; line: number }; reaps?: { file: string; line: number } }>();
  for (const e of w.files.values()) {
    const f = e.go?.facts;
    if (!f || (f.ignoresSigchld === undefined && f.reapsAnyChild === undefined)) continue;
    const dir = dirname(e.path);
    const cur = reaperOf.get(dir) ?? {};
    if (f.ignoresSigchld !== undefined) cur.ignores ??= { file: e.path, line: f.ignoresSigchld };
    if (f.reapsAnyChild !== undefined) cur.reaps ??= { file: e.path, line: f.reapsAnyChild };
    reaperOf.set(dir, cur);
  }
  if (reaperOf.size === 0) return sites;
  const units = programs().filter((u) => u.kind === 'go-command');
  return sites.map((s) => {
    if (s.language !== 'go' || s.waited !== 'no') return s;
    const dirs = [dirname(s.file), ...units.filter((u) => u.files.has(s.file)).map((u) => u.path)];
    for (const d of dirs) {
      const r = reaperOf.get(d);
      if (r?.ignores) return { ...s, waited: 'yes', leak: undefined, reason: `SIGCHLD is ignored (${relativeTo(w.root, r.ignores.file)}:${r.ignores.line}), so the kernel reaps every child` };
      if (r?.reaps) return { ...s, waited: 'unknown', leak: undefined, reason: `${s.reason}; but Wait4(-1, ...) at ${relativeTo(w.root, r.reaps.file)}:${r.reaps.line} reaps any child` };
    }
    // A reaper in any package the command links (containerd's shim: pkg/sys/reaper): it may be what reaps this child.
    // (A _test.go file is not linked into the command, only into its package's test binary.)
    if (s.file.endsWith('_test.go')) return s;
    for (const u of units) {
      if (!u.files.has(s.file)) continue;
      for (const [d, r] of reaperOf) {
        if (!r.reaps || !u.files.has(r.reaps.file) || r.reaps.file.endsWith('_test.go')) continue;
        return { ...s, waited: 'unknown', leak: undefined, reason: `${s.reason}; but Wait4(-1, ...) at ${relativeTo(w.root, r.reaps.file)}:${r.reaps.line}, in ${relativeTo(w.root, d)}, which the command ${u.path === w.root ? basename(u.path) : relativeTo(w.root, u.path)} links, reaps any child` };
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
export function adjustC(w: IndexedWorkspace, sites: SpawnSite[]): SpawnSite[] {
  const reapers: { dir: string; file: string; line: number; words: string }[] = [];
  for (const e of w.files.values()) if (e.scan.reaper) reapers.push({ dir: dirname(e.path), file: e.path, ...e.scan.reaper });
  if (reapers.length === 0) return sites;
  const mains: string[] = [];
  for (const e of w.files.values()) if (e.scan.hasMain) mains.push(e.path);
  const alone = reapers.filter((r) => !mains.some((m) => m !== r.file && m.startsWith(r.dir + sep)));
  if (alone.length === 0) return sites;
  return sites.map((s) => {
    if ((s.language !== 'c' && s.language !== 'cpp') || s.waited !== 'no' || s.api === 'popen') return s;
    const r = alone.find((x) => x.file === s.file || s.file.startsWith(x.dir + sep));
    if (!r) return s;
    return { ...s, waited: 'yes', leak: undefined, reason: `${r.words} in main()'s file ${relativeTo(w.root, r.file)}:${r.line}, so every child of the program is reaped` };
  });
}

/** The workspace's programs: Go commands (with the packages they import), Rust crates, C directories, scripts. */
export function units(w: IndexedWorkspace): ProgramUnit[] {
  const units: ProgramUnit[] = [];
  const goDirs = new Map<string, { name: string; imports: Set<string>; files: string[]; main: boolean }>();
  for (const e of w.files.values()) {
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
      const m = w.goModules.get(d);
      if (m !== undefined) return [d, m];
      if (dirname(d) === d || (w.root && !d.startsWith(w.root))) return undefined;
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
  for (const [dir, names] of w.crates) {
    const files = new Set<string>();
    for (const e of w.files.values()) if (e.language === 'rust' && (e.path.startsWith(dir + sep) || dirname(e.path) === dir)) files.add(e.path);
    units.push({ language: 'rust', kind: 'rust-crate', path: dir, names: [...new Set(names.flatMap((n) => [n, n.replace(/-/g, '_')]))], files });
  }
  const cDirs = new Map<string, Set<string>>();
  for (const e of w.files.values()) {
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
  for (const e of w.files.values()) {
    if (e.language === 'python' || e.language === 'javascript' || e.language === 'typescript') {
      units.push({ language: e.language, kind: 'script', path: e.path, names: [basename(e.path)], files: new Set([e.path]) });
    }
  }
  return units;
}

function relativeTo(root: string | undefined, file: string): string {
  return root ? relative(root, file) || file : file;
}
