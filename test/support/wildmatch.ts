/**
 * An independent reading of a wildmatch pattern, for tests: the regular expression the index
 * matched with before its linear-time automaton (src/spawnsites/gitignore.ts). Property tests
 * check that the two agree.
 */
import { bracket, REGEX_SPECIAL } from '../../src/spawnsites/gitignore';

/** The regular expression of a wildmatch pattern with WM_PATHNAME (`*` stops at `/`), or undefined when it cannot match. The index's former matcher, kept as the tests' reference: built straight from the pattern, apart from the tokens and automaton it checks. */
export function wildmatchSource(p: string): string | undefined {
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

