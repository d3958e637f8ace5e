/**
 * The spawn-site index's walk of its root: which directories and files it enters, as rg and git
 * would (hidden directories, the ignore list, .gitignore files on the way down and the rules from
 * above the root), and whether the walk would skip a path that changed. What cannot be read is
 * said, never dropped in silence.
 */
import { readdirSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { join, relative, sep } from 'node:path';
import { gitIgnored, type IgnoreRules, whyUnreadable } from './files';
import { GitIgnore } from './gitignore';
import { type LanguageInfo, languageOf } from './prefilter';
import { readRegularText } from './safefs';

/** Reports progress every this many files (and at each phase's end): a count, not a clock, so it is the same on any machine. */
export const PROGRESS_EVERY = 500;

/** What the walk tells the index as it goes. */
export interface WalkFound {
  /** A path it could not read, and why (issue 12: said, never dropped in silence). */
  unread(p: { path: string; reason: string }): void;
  /** A go.mod or Cargo.toml on the way. */
  manifest(path: string): void;
}

export class SourceTree {
  /** The .gitignore rules found by the walks, by the directory that holds them. */
  readonly gitignores = new Map<string, GitIgnore>();
  /** Set during a walk of the root: its progress, and its cancellation (checked per directory). */
  walkProgress: ((found: number) => void) | undefined;
  walkSignal: AbortSignal | undefined;

  constructor(
    readonly root: string,
    private readonly options: { readonly ignore: readonly string[]; readonly gitignore: boolean },
    /** The rules from above the root: the git work tree's info/exclude and .gitignore files between its top and the root. */
    readonly outerRules: IgnoreRules,
    private readonly found: WalkFound,
  ) {}

  /** The .gitignore rules that apply to `dir` and inside it from the directories above it (the walk's `rules` there). */
  rulesAbove(dir: string): IgnoreRules {
    const rules: IgnoreRules = [...this.outerRules];
    if (!this.options.gitignore) return rules;
    const parts = relative(this.root, dir).split(sep).filter(Boolean);
    let d = this.root;
    for (let i = 0; i < parts.length; i++) {
      const ig = this.gitignores.get(d);
      if (ig) rules.push({ dir: d, ig });
      d = join(d, parts[i]);
    }
    return rules;
  }

  /** Whether the walk would skip this path (a file, or a directory when `isDir`). */
  ignored(abs: string, isDir = false): boolean {
    const rel = relative(this.root, abs);
    if (rel.startsWith('..')) return true;
    if (rel === '') return false;
    const parts = rel.split(sep);
    const dirs = isDir ? parts : parts.slice(0, -1);
    if (dirs.some((part) => part.startsWith('.') || this.options.ignore.includes(part))) return true;
    if (!this.options.gitignore || (this.gitignores.size === 0 && this.outerRules.length === 0)) return false;
    // As the walk decides: each directory on the way down, then the file, against the rules above it.
    let dir = this.root;
    for (let i = 0; i < parts.length; i++) {
      dir = join(dir, parts[i]);
      if (gitIgnored(this.rulesAbove(dir), dir, isDir || i < parts.length - 1)) return true;
    }
    return false;
  }

  walk(dir: string, out: { path: string; info: LanguageInfo }[], rules: IgnoreRules): void {
    this.walkSignal?.throwIfAborted();
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      // Unreadable directory: skipped like rg does, and said.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.found.unread({ path: dir, reason: whyUnreadable(e) });
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
        if (!e.isSymbolicLink() && languageOf(name) && !(rules.length && gitIgnored(rules, prefix + name, false))) this.found.unread({ path: prefix + name, reason: 'not a regular file' });
      } else {
        if (rules.length && gitIgnored(rules, prefix + name, false)) continue;
        if (name === 'go.mod' || name === 'Cargo.toml') this.found.manifest(prefix + name);
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
        this.found.unread({ path: join(dir, shown), reason: 'name is not valid UTF-8' });
      }
    } catch {
      return entries;
    }
    return entries.filter((e) => !bad.has(e.name));
  }
}
