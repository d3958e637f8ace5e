/**
 * A Go lexer that finds top-level declaration boundaries, for the index's pre-pass.
 *
 * Why: parsing is the index's cost (tree-sitter in WASM parses Go at ~6 MB/s here), and in a file
 * that imports os/exec most declarations cannot start, wait for or pass on a child. The index
 * replaces those declarations by empty lines before parsing, so the parser sees the package
 * clause, the imports, the constants and the declarations that mention a handle API, at their
 * original lines and columns. Finding the sites is still the parser's and the scanner's job; this
 * only decides what not to parse, from Go's lexical grammar (comments, strings, raw strings,
 * runes, brackets, semicolon insertion), never by pattern-matching source lines.
 *
 * It also reads a file's head (package name and imports) cheaply, for files that cannot hold a
 * site at all, which the index still needs to know which packages are commands.
 */
import { PLATFORM_NAME } from './go-platform';

export interface GoImport {
  /** The local name when renamed (`ex "os/exec"`), `.` or `_`. */
  name?: string;
  path: string;
}

export interface GoDecl {
  keyword: 'package' | 'import' | 'func' | 'type' | 'var' | 'const';
  /** 0-based rows, inclusive. */
  startRow: number;
  endRow: number;
  /** First row to keep with it: earlier when a block comment ending on startRow began above. */
  keepFromRow: number;
  /** Identifiers seen in the declaration (only those in the set asked for). */
  hits: number;
  /** A function's (or method's) name. */
  name?: string;
  /** Hits in a function's signature (before its body's brace): it takes or returns a handle. */
  headHits: number;
  /** The function's body has begun. */
  inBody?: boolean;
  /** Character offsets: from its keyword to the next declaration's (or the end). */
  start: number;
  end: number;
}

export interface GoOutline {
  packageName: string;
  imports: GoImport[];
  decls: GoDecl[];
  /** Character offset where the imports end (the first other declaration starts), or the text length. */
  headEnd: number;
}

const DECL_KEYWORDS = new Set(['package', 'import', 'func', 'type', 'var', 'const']);
const SEMI_KEYWORDS = new Set(['break', 'continue', 'fallthrough', 'return']);
const KEYWORDS = new Set([
  'break', 'case', 'chan', 'const', 'continue', 'default', 'defer', 'else', 'fallthrough', 'for', 'func', 'go', 'goto',
  'if', 'import', 'interface', 'map', 'package', 'range', 'return', 'select', 'struct', 'switch', 'type', 'var',
]);

const isIdentStart = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
const isIdentPart = (c: number) => isIdentStart(c) || (c >= 48 && c <= 57);

/**
 * Most identifiers are neither keywords nor interesting, and cutting each out of the text (a new
 * string) was most of the lexer's time: keywords are recognised in place, and an identifier is cut
 * out only when it may be in the set asked about (IdentFilter).
 */
const KEYWORDS_BY_LENGTH: string[][] = [];
for (const k of KEYWORDS) (KEYWORDS_BY_LENGTH[k.length] ??= []).push(k);

/** The keyword spelled by text[i, i + length), if it is one. */
function keywordAt(text: string, i: number, length: number): string | undefined {
  const c = text.charCodeAt(i);
  if (c < 97 || c > 122) return undefined; // keywords are lower case
  const candidates = KEYWORDS_BY_LENGTH[length];
  if (candidates) for (const k of candidates) if (text.startsWith(k, i)) return k;
  return undefined;
}

/** A cheap necessary condition for an identifier to be in a set: its first character and its length occur there. */
class IdentFilter {
  private readonly first = new Uint8Array(128);
  private wideFirst = false;
  private readonly lengths = new Set<number>();

  constructor(idents: ReadonlySet<string>) {
    for (const id of idents) {
      const c = id.charCodeAt(0);
      if (c < 128) this.first[c] = 1;
      else this.wideFirst = true;
      this.lengths.add(id.length);
    }
  }

  mayHave(c: number, length: number): boolean {
    return (c < 128 ? this.first[c] === 1 : this.wideFirst) && this.lengths.has(length);
  }
}

/**
 * Lexes `text`. With `headOnly`, stops at the first declaration after the imports. `interesting`
 * is called once the imports are known and returns the identifiers that make a declaration
 * relevant; each declaration counts its hits.
 */
export function outlineGo(text: string, options: { headOnly?: boolean; interesting?: (imports: GoImport[]) => ReadonlySet<string> } = {}): GoOutline {
  const out: GoOutline = { packageName: '', imports: [], decls: [], headEnd: text.length };
  const n = text.length;
  let i = 0;
  let row = 0;
  let depth = 0;
  let terminated = true; // at a point where a new top-level declaration may begin
  let lastSemiable = false; // the last token allows semicolon insertion at a newline
  let decl: GoDecl | undefined;
  let lastTokenRow = 0;
  let interesting: ReadonlySet<string> | undefined;
  let interestingFilter: IdentFilter | undefined;
  let pendingAlias: string | undefined;
  let expectPackageName = false;
  const commentStart = new Map<number, number>();

  const closeDecl = (at: number) => {
    if (decl) {
      decl.endRow = lastTokenRow;
      decl.end = at;
      out.decls.push(decl);
      decl = undefined;
    }
  };
  const newline = () => {
    if (depth === 0 && lastSemiable) terminated = true;
    lastSemiable = false;
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      newline();
      row++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13) {
      i++;
      continue;
    }
    // Comments.
    if (c === 47 && i + 1 < n) {
      const d = text.charCodeAt(i + 1);
      if (d === 47) {
        const end = text.indexOf('\n', i);
        i = end < 0 ? n : end;
        continue;
      }
      if (d === 42) {
        const end = text.indexOf('*/', i + 2);
        const stop = end < 0 ? n : end + 2;
        const startRow = row;
        let hadNewline = false;
        for (let k = i; k < stop; k++) {
          if (text.charCodeAt(k) === 10) {
            row++;
            hadNewline = true;
          }
        }
        if (hadNewline) {
          newline();
          commentStart.set(row, startRow);
        }
        i = stop;
        continue;
      }
    }
    const tokenRow = row;
    // A token starts here.
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      const keyword = keywordAt(text, i, j - i);
      if (depth === 0 && terminated && keyword !== undefined && DECL_KEYWORDS.has(keyword)) {
        const word = keyword;
        closeDecl(i);
        if (word !== 'import' && word !== 'package' && !interesting) {
          out.headEnd = i;
          if (options.headOnly) return out;
          interesting = options.interesting?.(out.imports) ?? new Set();
          interestingFilter = new IdentFilter(interesting);
        }
        decl = { keyword: word as GoDecl['keyword'], startRow: tokenRow, endRow: tokenRow, keepFromRow: commentStart.get(tokenRow) ?? tokenRow, hits: 0, headHits: 0, start: i, end: n };
        expectPackageName = word === 'package';
        pendingAlias = undefined;
      } else if (decl) {
        if (expectPackageName) {
          out.packageName = text.slice(i, j);
          expectPackageName = false;
        } else if (decl.keyword === 'import') pendingAlias = text.slice(i, j);
        else {
          // `func Name(` / `func (r *T) Name(`: the first identifier outside the receiver's parentheses.
          if (decl.keyword === 'func' && decl.name === undefined && depth === 0 && keyword === undefined) decl.name = text.slice(i, j);
          if (interesting && interestingFilter!.mayHave(c, j - i) && interesting.has(text.slice(i, j))) {
            decl.hits++;
            if (!decl.inBody) decl.headHits++;
          }
        }
      }
      terminated = false;
      // A newline after an identifier or break/continue/fallthrough/return ends a statement; after other keywords it does not.
      lastSemiable = keyword === undefined || SEMI_KEYWORDS.has(keyword);
      lastTokenRow = tokenRow;
      i = j;
      continue;
    }
    if (c >= 48 && c <= 57) {
      // Numbers: digits, letters (hex, exponents, suffixes), dots, underscores; signs after e/p.
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (isIdentPart(d) || d === 46) j++;
        else if ((d === 43 || d === 45) && /[eEpP]/.test(text[j - 1])) j++;
        else break;
      }
      terminated = false;
      lastSemiable = true;
      lastTokenRow = tokenRow;
      i = j;
      continue;
    }
    if (c === 34 || c === 39) {
      // "string" or 'rune': backslash escapes, no newline inside.
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 92) j += 2;
        else if (d === c || d === 10) break;
        else j++;
      }
      if (c === 34 && decl?.keyword === 'import') {
        const path = text.slice(i + 1, j);
        out.imports.push(pendingAlias ? { name: pendingAlias, path } : { path });
        pendingAlias = undefined;
      }
      terminated = false;
      lastSemiable = true;
      lastTokenRow = tokenRow;
      i = j + 1;
      continue;
    }
    if (c === 96) {
      // `raw string`: may span lines.
      const end = text.indexOf('`', i + 1);
      const stop = end < 0 ? n : end + 1;
      for (let k = i; k < stop; k++) if (text.charCodeAt(k) === 10) row++;
      if (decl?.keyword === 'import') {
        out.imports.push(pendingAlias ? { name: pendingAlias, path: text.slice(i + 1, stop - 1) } : { path: text.slice(i + 1, stop - 1) });
        pendingAlias = undefined;
      }
      terminated = false;
      lastSemiable = true;
      lastTokenRow = row;
      i = stop;
      continue;
    }
    // Punctuation.
    lastTokenRow = tokenRow;
    if (c === 40 || c === 91 || c === 123) {
      if (c === 123 && depth === 0 && decl) decl.inBody = true;
      depth++;
      lastSemiable = false;
    } else if (c === 41 || c === 93 || c === 125) {
      if (depth > 0) depth--;
      lastSemiable = true;
    } else if (c === 59) {
      if (depth === 0) terminated = true;
      lastSemiable = false;
      i++;
      continue;
    } else if ((c === 43 || c === 45) && text.charCodeAt(i + 1) === c) {
      lastSemiable = true; // ++ and --
      i += 2;
      terminated = false;
      continue;
    } else if (c === 46 && decl?.keyword === 'import') {
      pendingAlias = '.';
      lastSemiable = false;
    } else {
      lastSemiable = false;
    }
    terminated = false;
    i++;
  }
  closeDecl(n);
  if (!interesting) out.headEnd = text.length;
  return out;
}

/**
 * The text with every row outside the kept declarations emptied (its newline kept), so a parse
 * of it has the original rows and columns. Keeps the package clause, imports, const declarations,
 * var declarations of fewer than `smallVar` rows (they name programs: constants, flag defaults)
 * and every declaration with a hit. The Go scanner reads top-level constants by the same rule.
 */
export function keepRelevant(text: string, outline: GoOutline, smallVar = SMALL_VAR_ROWS): { text: string; keptRows: number; totalRows: number } {
  const lines = text.split('\n');
  const keep = new Uint8Array(lines.length);
  const callers = callersOfRelevant(outline.decls.filter((d) => d.keyword === 'func').map((d) => ({ name: d.name, hit: d.hits > 0, helper: d.headHits > 0, text: () => text.slice(d.start, d.end) })));
  let f = 0;
  for (const d of outline.decls) {
    const small = d.endRow - d.startRow < smallVar;
    const caller = d.keyword === 'func' ? callers[f++] : false;
    const wanted = d.keyword === 'package' || d.keyword === 'import' || d.keyword === 'const' || d.hits > 0 || caller || (d.keyword === 'var' && small);
    if (!wanted) continue;
    for (let r = d.keepFromRow; r <= d.endRow && r < lines.length; r++) keep[r] = 1;
  }
  let kept = 0;
  for (let r = 0; r < lines.length; r++) {
    if (keep[r]) kept++;
    else lines[r] = '';
  }
  return { text: lines.join('\n'), keptRows: kept, totalRows: lines.length };
}

/**
 * Identifiers that make a Go declaration worth parsing and analysing, given the file's imports:
 * the os/exec package name, the os and syscall entry points, the handle types (Cmd, Process), the
 * SIGCHLD constant and Start (a Cmd built by a helper or kept in a struct field is started through
 * it). The Go scanner uses the same set for the same decision, so parsing a cut-down file and the
 * whole file give the same sites. Not in the set: Run, Output, CombinedOutput and Wait alone
 * (testing's t.Run is everywhere); a Run() on a Cmd built elsewhere is found when its function
 * also names one of these, and such a site waits by construction.
 */
export function goInterestingIdents(imports: readonly GoImport[]): Set<string> {
  const set = new Set(['StartProcess', 'ForkExec', 'Wait4', 'Cmd', 'Process', 'Start', 'SIGCHLD']);
  for (const imp of imports) {
    if (imp.path !== 'os/exec') continue;
    if (imp.name === '.') {
      set.add('Command');
      set.add('CommandContext');
    } else if (imp.name !== '_') set.add(imp.name ?? 'exec');
  }
  return set;
}

/**
 * Which functions are worth analysing though they name no handle API: the ones that call a
 * function of the file whose signature does (takes or returns a Cmd: `cmd, err := startHelper()`
 * then `cmd.Wait()`), one level deep; and the ones that call an unexported relevant function named
 * for an OS without zombies (go-platform.ts's PLATFORM_NAME). `funcs` in file order; the answer is true for those callers
 * (false for the relevant ones themselves, which are kept anyway). The index's pre-pass and the Go
 * scanner both decide by it.
 */
export function callersOfRelevant(funcs: readonly { name?: string; hit: boolean; helper: boolean; text: () => string }[]): boolean[] {
  const helpers = new Set<string>();
  const relevant = new Set<string>();
  for (const f of funcs) {
    if (f.helper && f.name) helpers.add(f.name);
    // Only an unexported one can be found to run on no OS with zombies (its every use seen), and
    // only one named for such an OS is worth the callers' parse (restartMonitorWindows).
    else if (f.hit && f.name && /^[a-z_]/.test(f.name) && PLATFORM_NAME.test(f.name)) relevant.add(f.name);
  }
  if (!helpers.size && !relevant.size) return funcs.map(() => false);
  const names = [...helpers];
  const others = [...relevant];
  return funcs.map((f) => {
    if (f.hit) return false;
    const text = f.text();
    // A substring test first (native, fast): most functions name none of the helpers at all.
    if (names.some((n) => text.includes(n)) && hasInterestingIdent(text, helpers)) return true;
    // A caller of such a function (`if !build.IsWindows { return unixWay() }; return windowsWay()`):
    // the analysis may find the call runs on no OS with zombies.
    return others.some((n) => text.includes(n)) && hasInterestingIdent(text, relevant);
  });
}

/** Var declarations longer than this are kept only when they mention an interesting identifier. */
export const SMALL_VAR_ROWS = 40;

/** True when Go source `text` (a declaration) has one of `idents` as an identifier token (not in a comment or string). */
export function hasInterestingIdent(text: string, idents: ReadonlySet<string>): boolean {
  const filter = new IdentFilter(idents);
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(text.charCodeAt(j))) j++;
      if (filter.mayHave(c, j - i) && idents.has(text.slice(i, j))) return true;
      i = j;
    } else if (c === 47 && text.charCodeAt(i + 1) === 47) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === 34 || c === 39) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 92) j += 2;
        else if (d === c || d === 10) break;
        else j++;
      }
      i = j + 1;
    } else if (c === 96) {
      const end = text.indexOf('`', i + 1);
      i = end < 0 ? n : end + 1;
    } else if (c >= 48 && c <= 57) {
      let j = i + 1;
      while (j < n && (isIdentPart(text.charCodeAt(j)) || text.charCodeAt(j) === 46)) j++;
      i = j;
    } else i++;
  }
  return false;
}
