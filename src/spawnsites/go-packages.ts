/**
 * What the Go analysis of one file may ask about the rest of the workspace (GoPackageView): what
 * the other indexed files of its package declare, the text of every .go file of a directory as it
 * is on disk (indexed or not), the packages of its module and of the module's dependencies. And
 * the keys a file's facts offer its package, by which the index knows whose analysis to run again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CellFacts } from './engine/facts';
import { goDirFiles, type GoDirText, readFile } from './files';
import type { GoFileFacts, GoFuncSummary, GoPackageView } from './go';
import { isErrPredicate } from './go-errpred';
import { goosConstIn } from './go-platform';
import { GoDeps, moduleRootOf } from './godeps';

/** What the index tells the package views about the files it holds. */
export interface GoIndexed {
  /** The indexed .go files of a directory. */
  filesIn(dir: string): Iterable<string>;
  /** An indexed Go file's package, and its facts when it was analysed. */
  go(path: string): { packageName: string; facts?: GoFileFacts } | undefined;
  /** Whether the directory holds a go.mod. */
  isModuleRoot(dir: string): boolean;
}

export class GoPackages {
  /** A module root's module path (its go.mod's `module` line), read once. */
  private readonly modulePaths = new Map<string, string>();
  private dirTexts = new Map<string, GoDirText>();
  private readonly deps = new GoDeps();

  constructor(private readonly indexed: GoIndexed) {}

  /** Forgets what was read of every directory (a new index of the root). */
  reset(): void {
    this.dirTexts = new Map();
  }

  /** Forgets what was read of a directory: one of its files was indexed again, or dropped. */
  changed(dir: string): void {
    this.dirTexts.delete(dir);
  }

  /** What the other files of `path`'s package declare, and what its module and dependencies do. */
  view(path: string, dir: string, packageName?: string): GoPackageView {
    const others = () => {
      const out: GoFileFacts[] = [];
      for (const p of this.indexed.filesIn(dir)) {
        const e = this.indexed.go(p);
        if (p === path || !e?.facts) continue;
        if (packageName && e.packageName !== packageName) continue;
        out.push(e.facts);
      }
      return out;
    };
    let cached: GoFileFacts[] | undefined;
    const get = () => (cached ??= others());
    return {
      func: (key: string): GoFuncSummary | undefined => {
        for (const f of get()) {
          const s = f.functions.get(key);
          if (s) return s;
        }
        return undefined;
      },
      constant: (name: string) => {
        for (const f of get()) if (f.constants.has(name)) return f.constants.get(name);
        return undefined;
      },
      flag: (name: string) => {
        for (const f of get()) if (f.flags.has(name)) return f.flags.get(name);
        return undefined;
      },
      isCmdField: (name: string) => get().some((f) => f.cmdFields.includes(name)),
      cell: (name: string) => {
        let out: CellFacts | undefined;
        for (const f of get()) {
          const c = f.cells?.[name];
          if (c) out = out ? { waits: [...out.waits, ...c.waits], kills: [...out.kills, ...c.kills], escapes: [...out.escapes, ...c.escapes] } : c;
        }
        return out;
      },
      depReturnsCmd: (importPath: string, fn: string) => this.deps.returnsCmd(moduleRootOf(dir, this.indexed.isModuleRoot), importPath, fn),
      platformConst: (importPath: string | undefined, name: string) => {
        const root = importPath === undefined ? undefined : moduleRootOf(dir, this.indexed.isModuleRoot);
        const pkgDir = importPath === undefined ? dir : root && (this.inModuleDir(root, importPath) ?? this.deps.packageDir(root, importPath));
        if (!pkgDir) return undefined;
        const known = this.dirText(pkgDir);
        if (known.unreadable) return undefined; // an unread file may assign it
        if (!known.answers.has(name)) known.answers.set(name, goosConstIn(known.files.map((f) => f.text), name));
        return known.answers.get(name);
      },
      mentions: (name: string) => {
        const re = new RegExp(`(?<![\\w.])${name.replace(/[^\w]/g, '')}(?!\\w)`, 'g');
        const known = this.dirText(dir);
        if (known.unreadable) return undefined; // an unread file may use it
        let n = 0;
        // Line comments left out (a name in a comment is no use); a `//` inside a string may hide a use, which only makes the count smaller.
        for (const f of known.files) n += [...f.text.replace(/(^|\s)\/\/[^\n]*/g, '$1').matchAll(re)].length;
        return n;
      },
      errPredicate: (name: string) => {
        // Every other .go file of the directory on disk, indexed yet or not (mvdan/sh's isENOEXEC is in
        // os_unix.go, which names no Cmd API), so the answer does not depend on the order files are indexed in.
        const known = this.dirText(dir);
        if (known.unreadable) return false; // an unread file may declare it otherwise
        return isErrPredicate(known.files.filter((f) => f.path !== path).map((f) => f.text), name);
      },
      mentionsField: (name: string) => {
        // Every other file of the directory, analysed or not (a file without os/exec may still use the field).
        const re = new RegExp(`\\.\\s*${name}\\b`);
        for (const p of this.indexed.filesIn(dir)) {
          if (p === path) continue;
          try {
            if (re.test(readFile(p).bytes.toString('utf8'))) return true;
          } catch {
            return true;
          }
        }
        return false;
      },
    };
  }

  /** The .go files of a directory as they are on disk, read once until a file of it is indexed again. */
  private dirText(dir: string): GoDirText {
    let known = this.dirTexts.get(dir);
    if (!known) this.dirTexts.set(dir, (known = { ...goDirFiles(dir), answers: new Map() }));
    return known;
  }

  /** The directory of `importPath` when it is a package of the module rooted at `root` (its go.mod's `module` line). */
  private inModuleDir(root: string, importPath: string): string | undefined {
    let mod = this.modulePaths.get(root);
    if (mod === undefined) {
      try {
        mod = /^\s*module\s+(\S+)/m.exec(readFileSync(join(root, 'go.mod'), 'utf8'))?.[1]?.replace(/^"|"$/g, '') ?? '';
      } catch {
        mod = '';
      }
      this.modulePaths.set(root, mod);
    }
    if (!mod || (importPath !== mod && !importPath.startsWith(`${mod}/`))) return undefined;
    const d = join(root, importPath.slice(mod.length));
    return existsSync(d) ? d : undefined;
  }
}

/** Keys a Go file offers its package: what other files' analyses may have consulted. */
export function goKeys(facts: GoFileFacts | undefined): Map<string, string> {
  const keys = new Map<string, string>();
  if (!facts) return keys;
  for (const [k, v] of facts.functions) keys.set(`func:${k}`, JSON.stringify(v));
  for (const [k, v] of facts.constants) keys.set(`const:${k}`, v);
  for (const [k, v] of facts.flags) keys.set(`flag:${k}`, JSON.stringify(v));
  for (const k of facts.cmdFields) keys.set(`field:${k}`, '1');
  for (const [k, v] of Object.entries(facts.cells ?? {})) keys.set(`cell:${k}`, JSON.stringify(v));
  return keys;
}
