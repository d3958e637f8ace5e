/**
 * How the spawn-site index reads the disk: a file's bytes with the signature a later start compares
 * (regular files only, never blocking), a Go directory's files as they are now, the .gitignore
 * rules git applies from above the root and git's answer for a path, and words for what could not
 * be read.
 */
import { closeSync, existsSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { GitIgnore } from './gitignore';
import { openRegular, readTextIfFile } from './safefs';
import { type FileSig, sigOf } from './snapshot';

/** Words for the error of a path that could not be read. */
export function whyUnreadable(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENAMETOOLONG':
      return 'path too long (past PATH_MAX)';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENOTREG':
      return (e as Error).message.replace(/^.*: /, '');
    default:
      return code ? `cannot be read (${code})` : String((e as Error).message ?? e);
  }
}

/**
 * The .go files of a directory as they are on disk now (indexed or not: a file that names no Cmd API
 * may still declare what a site depends on), each read as the index reads a file (a regular file
 * only: a FIFO named x.go must not hang it). `unreadable`: the listing or some file could not be
 * read, so what it declares is not known.
 */
export type GoDirText = ReturnType<typeof goDirFiles> & { answers: Map<string, { holds: boolean; words: string } | undefined> };

export function goDirFiles(dir: string): { files: { path: string; text: string }[]; unreadable: boolean } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.go'));
  } catch {
    return { files: [], unreadable: true };
  }
  const files: { path: string; text: string }[] = [];
  let unreadable = false;
  for (const n of names.sort()) {
    const path = join(dir, n);
    try {
      files.push({ path, text: readFile(path).bytes.toString('utf8') });
    } catch {
      unreadable = true;
    }
  }
  return { files, unreadable };
}

/**
 * A file's bytes and signature. With `buf`, a file that fits is read into it: the cold index reads
 * every file (4978 of them in GOROOT/src) and keeps only the few it parses, so one buffer for all
 * is cheaper than a Buffer each (readFileSync: about 20 ms more on GOROOT/src, and the garbage).
 * The result is then a view of `buf`, valid until the next call. Without `buf` (files read one at
 * a time: updates, re-analyses), or when the file does not fit, it gets a Buffer of its own. All
 * through one descriptor, so the signature is of the bytes read.
 */
export function readFile(path: string, buf?: Buffer): { bytes: Buffer; sig: FileSig } {
  const readAt = Date.now();
  // Not blocking, and only a regular file: a FIFO named x.py must not hang the index.
  const { fd, st } = openRegular(path);
  try {
    // Taken before the read: a write during it shows as a changed signature next time.
    const sig = sigOf(st, readAt);
    if (!buf || st.size >= buf.length) return { bytes: readFileSync(fd), sig };
    let n = 0;
    while (n < buf.length) {
      const k = readSync(fd, buf, n, buf.length - n, null);
      if (k === 0) return { bytes: buf.subarray(0, n), sig };
      n += k;
    }
    // It grew past the buffer since the fstat: the rest from where the reads stopped.
    return { bytes: Buffer.concat([buf, readFileSync(fd)]), sig };
  } finally {
    closeSync(fd);
  }
}

/** The .gitignore files that apply in a directory, outermost first. */
export type IgnoreRules = { dir: string; ig: GitIgnore }[];

/**
 * When `root` is inside a git work tree (a `.git` here or above): the rules git applies there
 * from outside it, weakest first: `$GIT_DIR/info/exclude` (when `.git` is a directory), then the
 * .gitignore files from the top of the work tree down to root's parent. Root's own .gitignore and
 * those below are read by the walk. (core.excludesFile, a user's global list, is not read.)
 */
export function outerGitRules(root: string): IgnoreRules {
  let top: string | undefined;
  for (let d = root; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) {
      top = d;
      break;
    }
    if (dirname(d) === d) return [];
  }
  const rules: IgnoreRules = [];
  const exclude = readTextIfFile(join(top, '.git', 'info', 'exclude'));
  if (exclude !== undefined) rules.push({ dir: top, ig: new GitIgnore(exclude) });
  let d = top;
  for (const part of relative(top, root).split(sep).filter(Boolean)) {
    const text = readTextIfFile(join(d, '.gitignore'));
    if (text !== undefined) rules.push({ dir: d, ig: new GitIgnore(text) });
    d = join(d, part);
  }
  return rules;
}

/**
 * git's answer for a path below every rule's directory: the deepest .gitignore with a rule that
 * matches decides (a negated rule re-includes); none matching, the path is not ignored.
 */
export function gitIgnored(rules: IgnoreRules, path: string, isDir: boolean): boolean {
  for (let i = rules.length - 1; i >= 0; i--) {
    const { dir, ig } = rules[i];
    const verdict = ig.decide(path.slice(dir.length + 1).split(sep).join('/'), isDir);
    if (verdict) return verdict === 'ignored';
  }
  return false;
}
