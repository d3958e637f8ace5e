/**
 * Platform guards: source that never runs where a child can become a zombie. On Windows (and in
 * js/wasm, wasip1) there is no zombie to leave, so a spawn site in code built only for those has
 * nothing to warn about. One question for every language, answered from what each language says
 * about where a file builds:
 *  - Go: the file name (`_windows.go`, `_windows_amd64_test.go`, as go/build reads it) and its
 *    build constraints (`//go:build`, else the old `// +build` lines), evaluated for every GOOS
 *    that has zombies, with any other tag (arch, cgo, custom) free to be either;
 *  - Rust: a crate-level `#![cfg(...)]` at the top of the file (`windows`, `target_os = "windows"`,
 *    `not(unix)`, `all(...)`, `any(...)`), for every unix target.
 * Anything not understood counts as "may build there": a guard may only ever silence a warning
 * for code that certainly does not run where zombies exist.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FileScan } from './types';

/**
 * GOOS values where an unwaited child can linger: go/build's unixOS, z/OS (a UNIX too), and Plan 9
 * (its exit status waits in the parent's queue until read): only Windows, js and wasip1 have none.
 */
const GO_ZOMBIE_OS = ['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'linux', 'netbsd', 'openbsd', 'solaris', 'zos', 'plan9'];
const GO_UNIX = new Set(GO_ZOMBIE_OS.filter((o) => o !== 'zos' && o !== 'plan9'));
/** go/build's knownOS. */
const GO_KNOWN_OS = new Set([...GO_ZOMBIE_OS, 'js', 'nacl', 'plan9', 'wasip1', 'windows']);
/** go/build's knownArch. */
const GO_KNOWN_ARCH = new Set(['386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'ppc64', 'ppc64le', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm']);

/** What a tag means for a GOOS: true, false, or undefined (free: an arch, cgo, a custom tag). */
function goTag(tag: string, goos: string): boolean | undefined {
  if (tag === goos) return true;
  if (tag === 'unix') return GO_UNIX.has(goos);
  if (tag === 'linux' && goos === 'android') return true;
  if (tag === 'darwin' && goos === 'ios') return true;
  if (tag === 'solaris' && goos === 'illumos') return true;
  if (GO_KNOWN_OS.has(tag)) return false;
  return undefined;
}

type Expr = { t: 'tag'; name: string } | { t: 'not'; x: Expr } | { t: 'and' | 'or'; a: Expr; b: Expr } | { t: 'true' };

/** `//go:build` expression: ||, &&, !, parentheses, tags. Undefined when it does not parse. */
export function parseGoBuildExpr(text: string): Expr | undefined {
  const toks = text.match(/\|\||&&|!|\(|\)|[A-Za-z0-9_.]+|\S/g) ?? [];
  let i = 0;
  const or = (): Expr | undefined => {
    let a = and();
    while (a && toks[i] === '||') {
      i++;
      const b = and();
      a = b && { t: 'or', a, b };
    }
    return a;
  };
  const and = (): Expr | undefined => {
    let a = not();
    while (a && toks[i] === '&&') {
      i++;
      const b = not();
      a = b && { t: 'and', a, b };
    }
    return a;
  };
  const not = (): Expr | undefined => {
    if (toks[i] === '!') {
      i++;
      const x = not();
      return x && { t: 'not', x };
    }
    if (toks[i] === '(') {
      i++;
      const x = or();
      if (toks[i++] !== ')') return undefined;
      return x;
    }
    const tok = toks[i++];
    return tok !== undefined && /^[A-Za-z0-9_.]+$/.test(tok) ? { t: 'tag', name: tok } : undefined;
  };
  const e = or();
  return e && i === toks.length ? e : undefined;
}

/** The old `// +build` lines: each an OR of space-separated terms, a term an AND of comma-separated (negatable) tags; lines ANDed. */
function parsePlusBuild(lines: string[]): Expr | undefined {
  let all: Expr = { t: 'true' };
  for (const line of lines) {
    let any: Expr | undefined;
    for (const term of line.trim().split(/\s+/)) {
      let conj: Expr | undefined;
      for (const lit of term.split(',')) {
        const neg = lit.startsWith('!');
        const name = neg ? lit.slice(1) : lit;
        if (!/^[A-Za-z0-9_.]+$/.test(name)) return undefined;
        const x: Expr = neg ? { t: 'not', x: { t: 'tag', name } } : { t: 'tag', name };
        conj = conj ? { t: 'and', a: conj, b: x } : x;
      }
      if (conj) any = any ? { t: 'or', a: any, b: conj } : conj;
    }
    if (any) all = { t: 'and', a: all, b: any };
  }
  return all;
}

function freeTags(e: Expr, goos: string, out = new Set<string>()): Set<string> {
  if (e.t === 'tag') {
    if (goTag(e.name, goos) === undefined) out.add(e.name);
  } else if (e.t === 'not') freeTags(e.x, goos, out);
  else if (e.t === 'and' || e.t === 'or') {
    freeTags(e.a, goos, out);
    freeTags(e.b, goos, out);
  }
  return out;
}

function evalExpr(e: Expr, goos: string, free: Map<string, boolean>): boolean {
  switch (e.t) {
    case 'true':
      return true;
    case 'tag':
      return goTag(e.name, goos) ?? free.get(e.name) ?? true;
    case 'not':
      return !evalExpr(e.x, goos, free);
    case 'and':
      return evalExpr(e.a, goos, free) && evalExpr(e.b, goos, free);
    case 'or':
      return evalExpr(e.a, goos, free) || evalExpr(e.b, goos, free);
  }
}

/** Some assignment of the free tags makes `e` true for `goos` (more than 10 free tags: assumed so). */
function satisfiable(e: Expr, goos: string): boolean {
  const free = [...freeTags(e, goos)];
  if (free.length > 10) return true;
  for (let bits = 0; bits < 1 << free.length; bits++) {
    const m = new Map(free.map((t, i) => [t, (bits & (1 << i)) !== 0]));
    if (evalExpr(e, goos, m)) return true;
  }
  return false;
}

/** The GOOS a Go file's name restricts it to (go/build's goodOSArchFile), if any. */
export function goFileNameOS(path: string): string | undefined {
  let name = path.slice(path.lastIndexOf('/') + 1).replace(/\.go$/, '');
  if (name.endsWith('_test')) name = name.slice(0, -5);
  const parts = name.split('_');
  const n = parts.length;
  if (n >= 3 && GO_KNOWN_OS.has(parts[n - 2]) && GO_KNOWN_ARCH.has(parts[n - 1])) return parts[n - 2];
  if (n >= 2 && GO_KNOWN_OS.has(parts[n - 1])) return parts[n - 1];
  return undefined;
}

/** The build constraint of a Go file: its `//go:build` line, else its `// +build` lines (both only before the package clause). */
function goConstraint(text: string): Expr | undefined | 'unparsed' {
  const plus: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('/*') || line.startsWith('*')) continue;
    if (!line.startsWith('//')) break; // the package clause (or anything else) ends the header
    const go = /^\/\/go:build\s+(.*)$/.exec(line);
    if (go) return parseGoBuildExpr(go[1]) ?? 'unparsed';
    const old = /^\/\/\s*\+build\s+(.*)$/.exec(line);
    if (old) plus.push(old[1]);
  }
  return plus.length ? (parsePlusBuild(plus) ?? 'unparsed') : undefined;
}

/** Why this Go file never builds for a GOOS with zombies, or undefined when it may. */
export function goNeverBuildsWithZombies(path: string, text: string): string | undefined {
  const fileOS = goFileNameOS(path);
  const c = goConstraint(text);
  if (c === 'unparsed') return undefined;
  const targets = fileOS ? (GO_ZOMBIE_OS.includes(fileOS) ? [fileOS] : []) : GO_ZOMBIE_OS;
  if (fileOS && targets.length === 0) return `its name (_${fileOS}) builds it only for GOOS=${fileOS}`;
  if (!c) return undefined;
  if (targets.some((goos) => satisfiable(c, goos))) return undefined;
  return `its build constraint (${text.match(/^\s*\/\/go:build\s+(.*)$/m)?.[1]?.trim() ?? text.match(/^\s*\/\/\s*\+build\s+(.*)$/m)?.[1]?.trim()}) excludes every GOOS that has zombies`;
}

/** A Rust `cfg` predicate, for every unix target: true, false, or undefined (free or not understood). */
export function rustCfg(p: string): boolean | undefined {
  p = p.trim();
  const call = /^(all|any|not)\s*\(([\s\S]*)\)$/.exec(p);
  if (call) {
    const args: string[] = [];
    let depth = 0;
    let cur = '';
    for (const ch of call[2]) {
      if (ch === '(') depth++;
      if (ch === ')') depth--;
      if (ch === ',' && depth === 0) {
        args.push(cur);
        cur = '';
      } else cur += ch;
    }
    if (cur.trim()) args.push(cur);
    const vals = args.map(rustCfg);
    if (call[1] === 'not') return vals.length === 1 && vals[0] !== undefined ? !vals[0] : undefined;
    if (call[1] === 'all') return vals.some((v) => v === false) ? false : vals.every((v) => v === true) ? true : undefined;
    return vals.some((v) => v === true) ? true : vals.every((v) => v === false) ? false : undefined;
  }
  if (p === 'windows' || /^target_os\s*=\s*"windows"$/.test(p) || /^target_family\s*=\s*"(windows|wasm)"$/.test(p) || /^target_arch\s*=\s*"wasm32"$/.test(p)) return false;
  if (p === 'unix' || /^target_family\s*=\s*"unix"$/.test(p)) return true;
  return undefined;
}

/** Why this Rust file never builds for a target with zombies (a crate-level `#![cfg(...)]`), or undefined. */
export function rustNeverBuildsWithZombies(text: string): string | undefined {
  // Only the file's own inner attributes, before its first item (one inside a `mod {}` is that module's).
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('//') || line.startsWith('/*') || line.startsWith('*')) continue;
    if (!line.startsWith('#![')) break;
    const m = /^#!\[cfg\(([\s\S]*)\)\]$/.exec(line);
    if (m && rustCfg(m[1]) === false) return `its #![cfg(${m[1].trim()})] builds it only where there are no zombies`;
  }
  return undefined;
}

/**
 * Why a Rust module file never builds for a target with zombies because of how its parent declares
 * it: `#[cfg(windows)] mod windows;` in `self_update.rs` (or `self_update/mod.rs`, `lib.rs`,
 * `main.rs`) makes `self_update/windows.rs` Windows-only, and so is everything under a module so
 * declared (followed up to four parents). Undefined for crate roots, files no parent declares, or
 * any cfg a unix target may meet. `read` returns undefined for a file that is not there.
 */
export function rustModuleNeverBuilds(path: string, read: (p: string) => string | undefined = readOrUndefined, depth = 0): string | undefined {
  const dir = dirname(path);
  const base = basename(path, '.rs');
  if (depth > 4 || base === 'lib' || base === 'main' || base === 'build' || basename(dir) === 'bin') return undefined;
  const modName = base === 'mod' ? basename(dir) : base;
  const home = base === 'mod' ? dirname(dir) : dir;
  const parents = [join(home, 'mod.rs'), `${home}.rs`, join(home, 'lib.rs'), join(home, 'main.rs')];
  const decl = new RegExp(`((?:#\\[[^\\]]*\\]\\s*)*)(?:pub(?:\\([^)]*\\))?\\s+)?mod\\s+${modName}\\s*;`);
  for (const parent of parents) {
    const text = read(parent);
    const m = text === undefined ? null : decl.exec(text);
    if (!m) continue;
    for (const attr of m[1].match(/#\[[^\]]*\]/g) ?? []) {
      const cfg = /^#\[cfg\(([\s\S]*)\)\]$/.exec(attr.replace(/\s+/g, ' ').trim());
      if (cfg && rustCfg(cfg[1]) === false) return `its parent module ${basename(parent)} declares it under ${attr.trim()}, which builds it only where there are no zombies`;
    }
    const up = rustModuleNeverBuilds(parent, read, depth + 1);
    if (up) return up;
    return undefined;
  }
  return undefined;
}

function readOrUndefined(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A file's scan once its file never runs where zombies exist: every site reaped (by the platform:
 * there is no zombie to leave), with the reason, and no finding.
 */
export function withoutZombies(scan: FileScan, why: string): FileScan {
  return {
    sites: scan.sites.map((s) => {
      const { leak: _leak, ...rest } = s;
      return { ...rest, waited: 'yes' as const, reason: `never runs where a child can become a zombie: ${why}` };
    }),
    findings: [],
  };
}

/** Why a file of this language never runs where a child can become a zombie, or undefined. */
export function neverRunsWithZombies(path: string, language: string, text: string): string | undefined {
  if (language === 'go') return goNeverBuildsWithZombies(path, text);
  if (language === 'rust') return rustNeverBuildsWithZombies(text) ?? rustModuleNeverBuilds(path);
  return undefined;
}
