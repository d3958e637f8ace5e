/**
 * .gitignore rules as git applies them (gitignore(5); git's dir.c and wildmatch.c):
 *
 * - blank lines and `#` lines are nothing; trailing spaces are dropped unless escaped (`\ `);
 *   `\#` and `\!` start a pattern with that character;
 * - `!` negates: a path it matches is not ignored (unless a parent directory is: the walk never
 *   enters an ignored directory, so that holds by construction);
 * - a trailing `/` matches directories only;
 * - a pattern with no other `/` matches the name at any depth below the .gitignore's directory;
 *   one with a `/` (leading or in the middle) matches the path relative to that directory;
 * - `*`, `?` and `[...]` never match `/` in the latter; `**` as a whole path component (leading,
 *   trailing or in the middle) matches any number of directories; any other `**` is a `*`.
 *
 * One path, several .gitignore files: the deepest file with a matching pattern decides, and in
 * it the last matching pattern. Only the path itself is matched, never its parents: a directory
 * is decided when the walk reaches it. The `ignore` package was tried first and matches parents
 * too, which loses a deeper file's `!dir/` (test/unit/spawnsites-index.test.ts compares the
 * index with git itself over random rule sets).
 */

interface Rule {
  regex: RegExp;
  negative: boolean;
  dirOnly: boolean;
  /** Matched against the name alone (no `/` in the pattern), not the relative path. */
  basename: boolean;
}

/** The rules of one .gitignore file. */
export class GitIgnore {
  private readonly rules: Rule[] = [];

  constructor(text: string) {
    for (const line of text.split('\n')) {
      const rule = parseLine(line);
      if (rule) this.rules.push(rule);
    }
  }

  /**
   * The verdict of this file's last matching rule on `rel` (a path relative to the file's
   * directory, `/`-separated): 'ignored', 'included' (a `!` rule), or undefined when none matches.
   */
  decide(rel: string, isDir: boolean): 'ignored' | 'included' | undefined {
    const slash = rel.lastIndexOf('/');
    const name = slash >= 0 ? rel.slice(slash + 1) : rel;
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const r = this.rules[i];
      if (r.dirOnly && !isDir) continue;
      if (r.regex.test(r.basename ? name : rel)) return r.negative ? 'included' : 'ignored';
    }
    return undefined;
  }
}

function parseLine(raw: string): Rule | undefined {
  let line = raw;
  // Trailing spaces go, unless the last one is escaped.
  let end = line.length;
  while (end > 0 && line[end - 1] === ' ' && !(end > 1 && line[end - 2] === '\\')) end--;
  line = line.slice(0, end);
  if (line === '' || line.startsWith('#')) return undefined;
  let negative = false;
  if (line.startsWith('!')) {
    negative = true;
    line = line.slice(1);
  }
  let dirOnly = false;
  if (line.endsWith('/') && !line.endsWith('\\/')) {
    dirOnly = true;
    line = line.slice(0, -1);
  }
  if (line === '') return undefined;
  const basename = !line.includes('/');
  if (line.startsWith('/')) line = line.slice(1);
  const source = wildmatchSource(line);
  if (source === undefined) return undefined; // an unterminated [ matches nothing, as in git
  return { regex: new RegExp(`^${source}$`, 's'), negative, dirOnly, basename };
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

/** The regular expression of a wildmatch pattern with WM_PATHNAME (`*` stops at `/`), or undefined when it cannot match. */
function wildmatchSource(p: string): string | undefined {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      if (i >= p.length) return undefined; // a trailing backslash: git's wildmatch fails it
      out += p[i].replace(REGEX_SPECIAL, '\\$&');
    } else if (c === '*') {
      if (p[i + 1] === '*') {
        let j = i;
        while (p[j] === '*') j++;
        const atStart = i === 0 || p[i - 1] === '/';
        const atEnd = j === p.length || p[j] === '/';
        if (atStart && atEnd) {
          if (j === p.length) out += '.*'; // `x/**`: everything inside (and a leading `**` alone: everything)
          else {
            out += '(?:.*/)?'; // `**/`: any leading directories, none included
            j++; // the slash is part of it
          }
          i = j - 1;
          continue;
        }
        i = j - 1; // any other run of stars is one star
      }
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const cls = bracket(p, i);
      if (!cls) return undefined;
      out += cls.source;
      i = cls.end;
    } else {
      out += c.replace(REGEX_SPECIAL, '\\$&');
    }
  }
  return out;
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '\\x21-\\x7e',
  lower: 'a-z',
  print: '\\x20-\\x7e',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z',
  xdigit: '0-9a-fA-F',
};

/** A `[...]` at `start`: its regex (never matching `/`) and the index of its `]`. */
function bracket(p: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (p[i] === '!' || p[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === ']' && !first) return { source: `(?!/)[${negate ? '^' : ''}${body}]`, end: i };
    first = false;
    if (c === '\\') {
      i++;
      if (i >= p.length) return undefined;
      body += `\\${p[i]}`.replace(/^\\([a-zA-Z0-9])$/, '$1');
    } else if (c === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2);
      const cls = close > 0 ? POSIX_CLASSES[p.slice(i + 2, close)] : undefined;
      if (cls === undefined) return undefined; // an unknown class: git's wildmatch fails the pattern
      body += cls;
      i = close + 1;
    } else if (c === '^' || c === '[' || c === ']') {
      body += `\\${c}`; // literal here; a `-` keeps its meaning (a range, or itself first or last), as in a JS class
    } else {
      body += c;
    }
  }
  return undefined; // no closing ]
}
