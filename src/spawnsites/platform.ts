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
import type { SyntaxNode } from './parser';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FileScan } from './types';

/**
 * GOOS values where an unwaited child can linger: go/build's unixOS, z/OS (a UNIX too), and Plan 9
 * (its exit status waits in the parent's queue until read): only Windows, js and wasip1 have none.
 */
export const GO_ZOMBIE_OS = ['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'linux', 'netbsd', 'openbsd', 'solaris', 'zos', 'plan9'];
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

/**
 * C and C++: the preprocessor branches a site sits in (`#ifdef _WIN32`, `#if defined(_MSC_VER)`,
 * `#elif`, `#else`), evaluated for every unix target with the macros its compilers predefine.
 * Three-valued: a macro a target neither defines nor is known to lack (a project's own, a feature
 * macro) may be either, so only a branch false for every target is code where no zombie can be.
 */
const C_WINDOWS = ['_WIN32', '_WIN64', 'WIN32', 'WIN64', '_WINDOWS', '__WINDOWS__', '_MSC_VER', '_MSC_FULL_VER', '__MINGW32__', '__MINGW64__', '_WIN32_WINNT', 'WINVER', '_WIN32_WCE', '__WIN32__', '__TOS_WIN__'];
const C_UNIX = ['__unix__', '__unix', 'unix'];
const C_OS: Record<string, string[]> = {
  linux: ['__linux__', '__linux', 'linux', '__gnu_linux__'],
  android: ['__ANDROID__'],
  darwin: ['__APPLE__', '__MACH__'],
  freebsd: ['__FreeBSD__'],
  netbsd: ['__NetBSD__'],
  openbsd: ['__OpenBSD__'],
  dragonfly: ['__DragonFly__'],
  solaris: ['__sun', '__sun__', 'sun', '__SVR4', '__svr4__'],
  aix: ['_AIX'],
  cygwin: ['__CYGWIN__', '__CYGWIN32__'],
  hurd: ['__GNU__', '__gnu_hurd__'],
  haiku: ['__HAIKU__'],
};
/** Each unix target: the OS groups it defines, and whether its compilers define `__unix__` (macOS does not). */
const C_TARGETS: { os: string[]; unix: boolean }[] = [
  { os: ['linux'], unix: true },
  { os: ['linux', 'android'], unix: true },
  { os: ['darwin'], unix: false },
  { os: ['freebsd'], unix: true },
  { os: ['netbsd'], unix: true },
  { os: ['openbsd'], unix: true },
  { os: ['dragonfly'], unix: true },
  { os: ['solaris'], unix: true },
  { os: ['aix'], unix: true },
  { os: ['cygwin'], unix: true },
  { os: ['hurd'], unix: true },
  { os: ['haiku'], unix: false },
];
const C_KNOWN = new Set([...C_WINDOWS, ...C_UNIX, ...Object.values(C_OS).flat()]);

/** 1 / 0 for a macro a target is known to define / lack, undefined for any other. */
function cMacro(name: string, t: { os: string[]; unix: boolean }): number | undefined {
  if (!C_KNOWN.has(name)) return undefined;
  if (C_UNIX.includes(name)) return t.unix ? 1 : 0;
  return t.os.some((o) => C_OS[o].includes(name)) ? 1 : 0;
}

/** A preprocessor condition's value for a target (undefined: not known). */
function cEval(n: SyntaxNode | null, t: { os: string[]; unix: boolean }): number | undefined {
  if (!n) return undefined;
  switch (n.type) {
    case 'parenthesized_expression': return cEval(n.namedChild(0), t);
    case 'preproc_defined': {
      const id = n.namedChild(0);
      return id ? cMacro(id.text, t) : undefined;
    }
    case 'identifier': return cMacro(n.text, t);
    case 'number_literal': {
      const v = Number.parseInt(n.text.replace(/[uUlL]+$/, ''), n.text.startsWith('0x') || n.text.startsWith('0X') ? 16 : 10);
      return Number.isNaN(v) ? undefined : v;
    }
    case 'unary_expression': {
      const v = cEval(n.childForFieldName('argument'), t);
      const op = n.childForFieldName('operator')?.text;
      if (v === undefined) return undefined;
      return op === '!' ? (v ? 0 : 1) : op === '-' ? -v : undefined;
    }
    case 'binary_expression': {
      const op = n.childForFieldName('operator')?.text;
      const a = cEval(n.childForFieldName('left'), t);
      if (op === '&&' && a === 0) return 0;
      if (op === '||' && a !== undefined && a !== 0) return 1;
      const b = cEval(n.childForFieldName('right'), t);
      if (op === '&&') return b === 0 ? 0 : a !== undefined && b !== undefined ? 1 : undefined;
      if (op === '||') return b !== undefined && b !== 0 ? 1 : a === 0 && b === 0 ? 0 : undefined;
      if (a === undefined || b === undefined) return undefined;
      switch (op) {
        case '==': return +(a === b);
        case '!=': return +(a !== b);
        case '<': return +(a < b);
        case '>': return +(a > b);
        case '<=': return +(a <= b);
        case '>=': return +(a >= b);
        default: return undefined;
      }
    }
    default: return undefined;
  }
}

const PREPROC_IF = new Set(['preproc_if', 'preproc_ifdef', 'preproc_elif', 'preproc_elifdef']);

/** The condition of one `#if`/`#ifdef`/`#ifndef`/`#elif` as a function of the target. */
function cCondOf(n: SyntaxNode): (t: { os: string[]; unix: boolean }) => number | undefined {
  if (n.type === 'preproc_ifdef' || n.type === 'preproc_elifdef') {
    const neg = /^#(ifndef|elifndef)/.test(n.child(0)?.text ?? '');
    const name = n.childForFieldName('name')?.text ?? '';
    return (t) => {
      const v = cMacro(name, t);
      return v === undefined ? undefined : neg ? 1 - v : v;
    };
  }
  const c = n.childForFieldName('condition');
  return (t) => cEval(c, t);
}

/** The directive a branch is written under, for the words: `#ifdef _WIN32` (line 3). */
function cDirective(n: SyntaxNode): string {
  const head = n.text.split('\n')[0].trim();
  return `\`${head}\` (line ${n.startPosition.row + 1})`;
}

/**
 * Why a C/C++ node sits in a preprocessor branch no unix target compiles (so no child started
 * there can become a zombie), or undefined when some unix target may compile it.
 */
export function cNeverBuildsWithZombies(node: SyntaxNode): string | undefined {
  for (let n: SyntaxNode = node, p = node.parent; p; n = p, p = p.parent) {
    const isIf = PREPROC_IF.has(p.type);
    if (!isIf && p.type !== 'preproc_else') continue;
    const alt = p.childForFieldName('alternative');
    if (isIf && alt && alt.id === n.id) continue; // in the #elif/#else chain, judged from there
    if (isIf && (p.childForFieldName('condition')?.id === n.id || p.childForFieldName('name')?.id === n.id)) continue;
    // This branch runs when its own condition holds (none for #else) and no earlier one did.
    const own = isIf ? cCondOf(p) : undefined;
    const earlier: ((t: { os: string[]; unix: boolean }) => number | undefined)[] = [];
    for (let q: SyntaxNode = p, up = p.parent; up && PREPROC_IF.has(up.type) && up.childForFieldName('alternative')?.id === q.id; q = up, up = up.parent) earlier.push(cCondOf(up));
    const never = C_TARGETS.every((t) => {
      if (own && own(t) === 0) return true;
      return earlier.some((e) => {
        const v = e(t);
        return v !== undefined && v !== 0;
      });
    });
    if (never) {
      let head: SyntaxNode = p;
      while (head.parent && PREPROC_IF.has(head.parent.type) && head.parent.childForFieldName('alternative')?.id === head.id) head = head.parent;
      return p === head ? `it sits under ${cDirective(p)}, which no unix target compiles` : `it sits in a branch of ${cDirective(head)} that no unix target compiles (${cDirective(p)})`;
    }
  }
  return undefined;
}
