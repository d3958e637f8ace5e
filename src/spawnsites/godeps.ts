/**
 * Go dependencies whose functions hand out a Cmd: `shell.Exec("make")` returning a type that
 * embeds *exec.Cmd (so `.Start()` and `.Wait()` are exec.Cmd's), or returning *exec.Cmd itself
 * (golang.org/x/sys/execabs). The dependency's source is read where `go build` would find it: the
 * module's vendor/ directory, else the module cache ($GOMODCACHE, or $GOPATH/pkg/mod, or
 * ~/go/pkg/mod) at the version go.mod requires. Read as text: the function's result type, and
 * that type's struct; a type with its own Start/Wait/Run is not taken for a Cmd (it may wait
 * inside). No source: not a Cmd as far as this analysis knows (no site is made).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export type DepAnswer = 'cmd' | 'no' | 'unavailable';

/** Is `importPath` a module outside the standard library (its first element has a dot)? */
export function isModulePath(importPath: string): boolean {
  const first = importPath.split('/')[0];
  return first.includes('.');
}

function modCache(): string {
  if (process.env.GOMODCACHE) return process.env.GOMODCACHE;
  const gopath = (process.env.GOPATH ?? '').split(':')[0] || join(homedir(), 'go');
  return join(gopath, 'pkg', 'mod');
}

/** The module cache's escaping: an upper-case letter becomes `!` and the letter in lower case. */
const escapePath = (p: string) => p.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);

export class GoDeps {
  private readonly answers = new Map<string, DepAnswer>();
  private readonly dirs = new Map<string, string | undefined>();
  private readonly sources = new Map<string, string>();

  /** The directory of `importPath` as the module rooted at `moduleRoot` builds it, if present. */
  packageDir(moduleRoot: string, importPath: string): string | undefined {
    const key = `${moduleRoot}\0${importPath}`;
    if (this.dirs.has(key)) return this.dirs.get(key);
    let found: string | undefined;
    const vendored = join(moduleRoot, 'vendor', importPath);
    if (existsSync(vendored)) found = vendored;
    else {
      try {
        const gomod = readFileSync(join(moduleRoot, 'go.mod'), 'utf8');
        let best: { mod: string; version: string } | undefined;
        for (const m of gomod.matchAll(/^\s*(?:require\s+)?([^\s()]+)\s+(v[^\s/]+)/gm)) {
          const mod = m[1];
          if ((importPath === mod || importPath.startsWith(`${mod}/`)) && (!best || mod.length > best.mod.length)) best = { mod, version: m[2] };
        }
        if (best) {
          const dir = join(modCache(), `${escapePath(best.mod)}@${best.version}`, importPath.slice(best.mod.length));
          if (existsSync(dir)) found = dir;
        }
      } catch {
        // no go.mod: nothing to resolve through
      }
    }
    this.dirs.set(key, found);
    return found;
  }

  /** What `F` of the package at `importPath` returns, for a file of the module rooted at `moduleRoot`. */
  returnsCmd(moduleRoot: string | undefined, importPath: string, fn: string): DepAnswer {
    if (!moduleRoot || !isModulePath(importPath) || !/^\w+$/.test(fn)) return 'unavailable';
    const key = `${moduleRoot}\0${importPath}\0${fn}`;
    const known = this.answers.get(key);
    if (known) return known;
    const dir = this.packageDir(moduleRoot, importPath);
    let src = dir === undefined ? undefined : this.sources.get(dir);
    if (dir !== undefined && src === undefined) this.sources.set(dir, (src = readSources(dir)));
    const answer = src === undefined ? 'unavailable' : judge(src, fn);
    this.answers.set(key, answer);
    return answer;
  }
}

function readSources(dir: string): string {
  let out = '';
  try {
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.go') || name.endsWith('_test.go')) continue;
      try {
        out += `${readFileSync(join(dir, name), 'utf8')}\n`;
      } catch {
        // an unreadable file: judged without it
      }
    }
  } catch {
    return '';
  }
  return out;
}

/** The source of a package: does `fn` return *exec.Cmd, or a type embedding it without its own Start/Wait/Run? */
function judge(src: string, fn: string): DepAnswer {
  const sig = new RegExp(`^func\\s+${fn}\\s*(?:\\[[^\\]]*\\])?\\s*\\([^)]*\\)\\s*\\(?\\s*(\\*?)\\s*([\\w.]+)`, 'm').exec(src);
  if (!sig) return 'no';
  const type = sig[2];
  if (/^exec\.Cmd$/.test(type) && /"os\/exec"/.test(src)) return 'cmd';
  if (type.includes('.')) return 'no';
  const struct = new RegExp(`^type\\s+${type}\\s+struct\\s*\\{([^}]*)\\}`, 'm').exec(src);
  if (!struct || !/^\s*\*?exec\.Cmd\s*(?:\/\/.*)?$/m.test(struct[1])) return 'no';
  if (new RegExp(`^func\\s*\\(\\s*\\w*\\s*\\*?${type}\\s*\\)\\s*(?:Start|Wait|Run|Output|CombinedOutput)\\s*\\(`, 'm').test(src)) return 'no';
  return 'cmd';
}

/** The nearest directory at or above `dir` with a go.mod. */
export function moduleRootOf(dir: string, isModuleRoot: (d: string) => boolean): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (isModuleRoot(d)) return d;
    if (dirname(d) === d) return undefined;
  }
}
