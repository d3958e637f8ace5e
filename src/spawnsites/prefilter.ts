/**
 * Which files the spawn-site index reads, and which of those it parses: the language of a path by
 * its extension, and the byte strings (needles) without which a file of that language cannot hold
 * a site. A necessary condition only, cheap enough to run on every file of a workspace; the sites
 * come from the parse (index.ts has the cost model).
 */
import { extname } from 'node:path';
import type { Grammar } from './parser';
// Sets of names only: scanners.ts loads each language's scanner at its first call, not with this.
import { C_SITE_FUNCTIONS, PYTHON_SITE_NAMES } from './scanners';
import type { SiteLanguage } from './types';

export interface LanguageInfo {
  language: SiteLanguage;
  grammar: Grammar;
}

const EXTENSIONS: Record<string, LanguageInfo> = {
  '.go': { language: 'go', grammar: 'go' },
  '.c': { language: 'c', grammar: 'c' },
  '.h': { language: 'c', grammar: 'c' },
  '.cc': { language: 'cpp', grammar: 'cpp' },
  '.cpp': { language: 'cpp', grammar: 'cpp' },
  '.cxx': { language: 'cpp', grammar: 'cpp' },
  '.c++': { language: 'cpp', grammar: 'cpp' },
  '.hpp': { language: 'cpp', grammar: 'cpp' },
  '.hh': { language: 'cpp', grammar: 'cpp' },
  '.hxx': { language: 'cpp', grammar: 'cpp' },
  '.py': { language: 'python', grammar: 'python' },
  '.js': { language: 'javascript', grammar: 'javascript' },
  '.mjs': { language: 'javascript', grammar: 'javascript' },
  '.cjs': { language: 'javascript', grammar: 'javascript' },
  '.jsx': { language: 'javascript', grammar: 'javascript' },
  '.ts': { language: 'typescript', grammar: 'typescript' },
  '.mts': { language: 'typescript', grammar: 'typescript' },
  '.cts': { language: 'typescript', grammar: 'typescript' },
  '.tsx': { language: 'typescript', grammar: 'tsx' },
  '.rs': { language: 'rust', grammar: 'rust' },
};

/** The language of a path, or undefined when the index does not read it. */
export function languageOf(path: string): LanguageInfo | undefined {
  if (path.endsWith('.d.ts')) return undefined;
  return EXTENSIONS[extname(path).toLowerCase()];
}

/**
 * A byte string to look for. Buffer.indexOf runs several times faster when the first byte of what
 * it seeks is rare (on GOROOT/src: 7.5 ms for "/exec" against 14 for "os/exec", 5 for "Process"
 * against 15 for "StartProcess"), so the search is for the part from `from` on and each hit is
 * checked for the bytes before it: the same answer as `bytes.indexOf(needle) >= 0`.
 */
class Needle {
  readonly bytes: Buffer;
  private readonly anchor: Buffer;

  constructor(
    text: string,
    private readonly from = 0,
  ) {
    this.bytes = Buffer.from(text);
    this.anchor = this.bytes.subarray(from);
  }

  in(buf: Buffer): boolean {
    if (this.from === 0) return buf.indexOf(this.bytes) >= 0;
    for (let at = buf.indexOf(this.anchor, this.from); at >= 0; at = buf.indexOf(this.anchor, at + 1)) {
      if (buf.compare(this.bytes, 0, this.from, at - this.from, at) === 0) return true;
    }
    return false;
  }
}

/**
 * Byte strings at least one of which any site of the language contains (the module or function
 * name is spelled out in every form the scanners recognise).
 */
const NEEDLES: Record<SiteLanguage, Needle[]> = {
  // Wait4: a file that reaps any child changes other files' verdicts. So does one that ignores
  // SIGCHLD: see GO_SIGCHLD below. Anchored at a byte rare in Go source ('/', 'P', 'k'); see Needle.
  go: [new Needle('os/exec', 2), new Needle('StartProcess', 5), new Needle('ForkExec', 3), new Needle('Wait4')],
  c: ['fork', 'spawn', 'popen', 'system', 'exec'].map((s) => new Needle(s)),
  cpp: ['fork', 'spawn', 'popen', 'system', 'exec'].map((s) => new Needle(s)),
  python: ['subprocess', 'fork', 'spawn', 'multiprocessing', 'popen', 'system', 'exec', 'Process'].map((s) => new Needle(s)),
  javascript: [new Needle('child_process')],
  typescript: [new Needle('child_process')],
  rust: [new Needle('Command')],
};

/**
 * go.ts sees SIGCHLD only as an argument of `signal.Ignore` from "os/signal", an import path every
 * such file spells out: SIGCHLD alone does not make a Go file worth parsing. (Alone it let in
 * syscall's generated constant tables, 84 files of Go's own source, and cost a third of the time
 * of indexing GOROOT/src: bench/sites.mjs.)
 */
const GO_SIGCHLD = [new Needle('SIGCHLD', 2), new Needle('os/signal', 2)];

/**
 * C and Python sites are calls of named functions (c.ts, python.ts): a needle counts only inside an
 * identifier that is one of those names. ("exec" alone let in regexp/testdata/testregex.c, for its
 * regexec, and "exec" runtime/runtime-gdb.py, for gdb.execute: with no site in either, their parse
 * and analysis were a tenth of indexing GOROOT/src in a cold process.)
 */
const WHOLE_NAMES: Partial<Record<SiteLanguage, ReadonlySet<string>>> = { c: C_SITE_FUNCTIONS, cpp: C_SITE_FUNCTIONS, python: PYTHON_SITE_NAMES };

/** ASCII letters, digits and `_`. A byte >= 0x80 counts as a boundary, so a needle beside one is taken (a superset). */
function isAsciiIdentByte(b: number): boolean {
  return (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b === 95;
}

function hasWholeName(bytes: Buffer, needle: Buffer, names: ReadonlySet<string>): boolean {
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    let start = at;
    while (start > 0 && isAsciiIdentByte(bytes[start - 1])) start--;
    let end = at + needle.length;
    while (end < bytes.length && isAsciiIdentByte(bytes[end])) end++;
    if (names.has(bytes.toString('latin1', start, end))) return true;
  }
  return false;
}

/** A C file whose main() may make the whole program reap (SIGCHLD, libev): read for the other files' verdicts (FileScan.reaper). */
const C_REAPER = [new Needle('SIGCHLD'), new Needle('EV_DEFAULT'), new Needle('ev_default_loop')];
const C_MAIN = new Needle('main');

function mayReapForOthers(language: SiteLanguage, bytes: Buffer): boolean {
  return (language === 'c' || language === 'cpp') && C_MAIN.in(bytes) && C_REAPER.some((n) => n.in(bytes));
}

/** Some needle is in the bytes. */
export function hasNeedle(language: SiteLanguage, bytes: Buffer): boolean {
  if (mayReapForOthers(language, bytes)) return true;
  for (const needle of NEEDLES[language]) if (needle.in(bytes)) return true;
  return language === 'go' && GO_SIGCHLD.every((needle) => needle.in(bytes));
}

/** For a file with a needle: can it hold a site (C and Python: is a needle inside a whole name)? */
export function namesSite(language: SiteLanguage, bytes: Buffer): boolean {
  const names = WHOLE_NAMES[language];
  if (!names || mayReapForOthers(language, bytes)) return true;
  for (const needle of NEEDLES[language]) if (hasWholeName(bytes, needle.bytes, names)) return true;
  return false;
}

export function mayHoldSites(language: SiteLanguage, bytes: Buffer): boolean {
  return hasNeedle(language, bytes) && namesSite(language, bytes);
}
