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
 *
 * Cost, whatever the input (issue 12): a .gitignore is anyone's file, and a backtracking regex
 * of `*a*a*a*b` or `**\/**\/**\/a` takes exponential or high-polynomial time on a long name or a
 * deep path. So a pattern with more than one wildcard run is matched by simulating its automaton
 * (every position at once: time linear in the path, times the pattern's length), never by
 * backtracking; one with a single run is a regex (linear: one quantifier, anchored). Large
 * .gitignore files are mostly literal names and paths: those are looked up in a Map, and only
 * the wildcard rules are tried one by one, each after a check of its literal prefix and suffix.
 */

/** One token of a wildmatch pattern (WM_PATHNAME: nothing but `**` crosses a `/`). */
type Token =
  | { t: 'char'; c: string }
  | { t: 'one'; test?: RegExp } // `?`, or a `[...]` class (never `/`)
  | { t: 'star' } // `*`: any run without `/`
  | { t: 'dirs' } // `**/`: nothing, or anything ending in `/`
  | { t: 'all' }; // a trailing `/**` or a lone `**`: anything

interface Rule {
  index: number;
  negative: boolean;
  dirOnly: boolean;
  /** Matched against the name alone (no `/` in the pattern), not the relative path. */
  basename: boolean;
  /** Set for a pattern without wildcards: the text it equals. */
  literal?: string;
  /** Literal text every match starts and ends with (cheap rejections). */
  prefix: string;
  suffix: string;
  match: (s: string) => boolean;
}

/** The rules of one .gitignore file. */
export class GitIgnore {
  private readonly rules: Rule[] = [];
  /** Literal rules by the name or path they equal: their indexes, ascending. */
  private readonly names = new Map<string, Rule[]>();
  private readonly paths = new Map<string, Rule[]>();
  /** Rules with wildcards, in file order. */
  private readonly wild: Rule[] = [];

  constructor(text: string) {
    for (const line of text.split('\n')) {
      const rule = parseLine(line, this.rules.length);
      if (!rule) continue;
      this.rules.push(rule);
      if (rule.literal !== undefined) {
        const map = rule.basename ? this.names : this.paths;
        const list = map.get(rule.literal);
        if (list) list.push(rule);
        else map.set(rule.literal, [rule]);
      } else this.wild.push(rule);
    }
  }

  /**
   * The verdict of this file's last matching rule on `rel` (a path relative to the file's
   * directory, `/`-separated): 'ignored', 'included' (a `!` rule), or undefined when none matches.
   */
  decide(rel: string, isDir: boolean): 'ignored' | 'included' | undefined {
    if (this.rules.length === 0) return undefined;
    const slash = rel.lastIndexOf('/');
    const name = slash >= 0 ? rel.slice(slash + 1) : rel;
    let best = lastFitting(this.names.get(name), isDir);
    const byPath = lastFitting(this.paths.get(rel), isDir);
    if (byPath && (!best || byPath.index > best.index)) best = byPath;
    const floor = best ? best.index : -1;
    for (let i = this.wild.length - 1; i >= 0; i--) {
      const r = this.wild[i];
      if (r.index < floor) break;
      if (r.dirOnly && !isDir) continue;
      const s = r.basename ? name : rel;
      if (s.length < r.prefix.length + r.suffix.length || !s.startsWith(r.prefix) || !s.endsWith(r.suffix)) continue;
      if (r.match(s)) {
        best = r;
        break;
      }
    }
    return best ? (best.negative ? 'included' : 'ignored') : undefined;
  }
}

function lastFitting(list: Rule[] | undefined, isDir: boolean): Rule | undefined {
  if (!list) return undefined;
  for (let i = list.length - 1; i >= 0; i--) if (!list[i].dirOnly || isDir) return list[i];
  return undefined;
}

function parseLine(raw: string, index: number): Rule | undefined {
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
  const tokens = tokenize(line);
  if (tokens === undefined) return undefined; // an unterminated [ matches nothing, as in git
  let head = 0;
  while (head < tokens.length && tokens[head].t === 'char') head++;
  const prefix = charsOf(tokens.slice(0, head));
  if (head === tokens.length) return { index, negative, dirOnly, basename, literal: prefix, prefix, suffix: '', match: (s) => s === prefix };
  let tail = tokens.length;
  while (tail > head && tokens[tail - 1].t === 'char') tail--;
  const suffix = charsOf(tokens.slice(tail));
  const runs = tokens.filter((x) => x.t === 'star' || x.t === 'dirs' || x.t === 'all').length;
  const match = runs <= 1 ? regexMatcher(tokens) : automatonMatcher(tokens);
  return { index, negative, dirOnly, basename, prefix, suffix, match };
}

function charsOf(tokens: Token[]): string {
  return tokens.map((x) => (x as { c: string }).c).join('');
}

/** The tokens of a wildmatch pattern, or undefined when it cannot match (git's wildmatch fails it). */
export function tokenize(p: string): Token[] | undefined {
  const out: Token[] = [];
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      i++;
      if (i >= p.length) return undefined; // a trailing backslash: git's wildmatch fails it
      out.push({ t: 'char', c: p[i] });
    } else if (c === '*') {
      if (p[i + 1] === '*') {
        let j = i;
        while (p[j] === '*') j++;
        const atStart = i === 0 || p[i - 1] === '/';
        const atEnd = j === p.length || p[j] === '/';
        if (atStart && atEnd) {
          if (j === p.length) out.push({ t: 'all' }); // `x/**`: everything inside (and a leading `**` alone: everything)
          else {
            out.push({ t: 'dirs' }); // `**/`: any leading directories, none included
            j++; // the slash is part of it
          }
          i = j - 1;
          continue;
        }
        i = j - 1; // any other run of stars is one star
      }
      // Adjacent stars are one: `a**b` (not a whole component) and `*` `*` alike.
      if (out.length && out[out.length - 1].t === 'star') continue;
      out.push({ t: 'star' });
    } else if (c === '?') {
      out.push({ t: 'one' });
    } else if (c === '[') {
      const cls = bracket(p, i);
      if (!cls) return undefined;
      out.push({ t: 'one', test: new RegExp(`^${cls.source}$`, 's') });
      i = cls.end;
    } else {
      out.push({ t: 'char', c });
    }
  }
  return out;
}

/** The regular expression of a token list (the reference semantics; fast when it has at most one run). */
export function tokensRegex(tokens: Token[]): RegExp {
  let src = '';
  for (const x of tokens) {
    if (x.t === 'char') src += x.c.replace(REGEX_SPECIAL, '\\$&');
    else if (x.t === 'one') src += x.test ? x.test.source.slice(1, -1) : '[^/]';
    else if (x.t === 'star') src += '[^/]*';
    else if (x.t === 'dirs') src += '(?:.*/)?';
    else src += '.*';
  }
  return new RegExp(`^${src}$`, 's');
}

function regexMatcher(tokens: Token[]): (s: string) => boolean {
  const re = tokensRegex(tokens);
  return (s) => re.test(s);
}

/**
 * Matches by simulating the pattern's automaton over the string once: the set of token
 * positions reachable after each character, so time is O(|s| x |tokens|) whatever the pattern.
 * State 2k: before token k; state 2k+1: inside a `**\/` at token k, past at least one character
 * (it must end with a `/` to move on).
 */
export function automatonMatcher(tokens: Token[]): (s: string) => boolean {
  const n = tokens.length;
  const size = 2 * n + 2;
  let cur = new Uint8Array(size);
  let next = new Uint8Array(size);
  /** Adds state `st` and what it reaches without a character (stars and `**` may match nothing). */
  const add = (set: Uint8Array, st: number) => {
    while (!set[st]) {
      set[st] = 1;
      if (st & 1) return;
      const k = st >> 1;
      if (k >= n) return;
      const t = tokens[k].t;
      if (t === 'star' || t === 'dirs' || t === 'all') st = 2 * (k + 1);
      else return;
    }
  };
  return (s: string) => {
    cur.fill(0);
    add(cur, 0);
    for (let i = 0; i < s.length; i++) {
      const ch = s[i];
      next.fill(0);
      let any = false;
      for (let st = 0; st < size; st++) {
        if (!cur[st]) continue;
        const k = st >> 1;
        if (k >= n) continue;
        const x = tokens[k];
        if (st & 1) {
          // inside `**/`: anything, and a `/` may end it
          add(next, st);
          if (ch === '/') add(next, 2 * (k + 1));
          any = true;
          continue;
        }
        switch (x.t) {
          case 'char':
            if (ch === x.c) {
              add(next, 2 * (k + 1));
              any = true;
            }
            break;
          case 'one':
            if (ch !== '/' && (!x.test || x.test.test(ch))) {
              add(next, 2 * (k + 1));
              any = true;
            }
            break;
          case 'star':
            if (ch !== '/') {
              add(next, st);
              any = true;
            }
            break;
          case 'dirs':
            add(next, st + 1);
            if (ch === '/') add(next, 2 * (k + 1));
            any = true;
            break;
          case 'all':
            add(next, st);
            any = true;
            break;
        }
      }
      if (!any) return false;
      [cur, next] = [next, cur];
    }
    return cur[2 * n] === 1;
  };
}

export const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

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
export function bracket(p: string, start: number): { source: string; end: number } | undefined {
  let i = start + 1;
  let negate = false;
  if (p[i] === '!' || p[i] === '^') {
    negate = true;
    i++;
  }
  let body = '';
  let first = true;
  // The last single character of the class: the low end of a range if a `-` follows. git's
  // wildmatch matches that character on its own before it sees the `-`, so a range whose ends are
  // reversed (`b-a`, `"- `) adds nothing to it; a JS class would reject it as out of order.
  let low: string | undefined;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === ']' && !first) return { source: `(?!/)[${negate ? '^' : ''}${body}]`, end: i };
    first = false;
    if (c === '-' && low && i + 1 < p.length && p[i + 1] !== ']') {
      let high = p[++i];
      if (high === '\\') {
        if (++i >= p.length) return undefined;
        high = p[i];
      }
      if (high >= low) body += `-${classChar(high)}`;
      low = undefined;
      continue;
    }
    if (c === '\\') {
      i++;
      if (i >= p.length) return undefined;
      body += classChar(p[i]);
      low = p[i];
    } else if (c === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2);
      const cls = close > 0 ? POSIX_CLASSES[p.slice(i + 2, close)] : undefined;
      if (cls === undefined) return undefined; // an unknown class: git's wildmatch fails the pattern
      body += cls;
      i = close + 1;
      low = undefined;
    } else {
      body += classChar(c);
      low = c;
    }
  }
  return undefined; // no closing ]
}

/** One character inside a JS class: a letter or a digit as it is, any other escaped (`\\`, `^`, `]`, `-` among them). */
function classChar(c: string): string {
  return /[a-zA-Z0-9]/.test(c) ? c : `\\${c}`;
}
