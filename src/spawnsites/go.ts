/**
 * Go spawn sites and what Go's APIs mean for them; the verdict comes from the analysis engine.
 *
 * Sites: (*exec.Cmd).Start/Run/Output/CombinedOutput on a Cmd from exec.Command/CommandContext
 * (or a same-package helper returning one, or a struct field of that type), os.StartProcess,
 * syscall.ForkExec, syscall.StartProcess and pty.Start (github.com/creack/pty, kr/pty).
 *
 * This file knows the APIs (which call starts, waits, kills, exits); go-names.ts what the file's
 * names mean (a program name: literals, constants, flags, filepath.Join, across the package's files
 * through GoPackageView); lower/go.ts turns each function that can touch a child into the engine's IR, and
 * engine/verdict.ts judges every site (waited / leak / the deciding path). What the package's
 * other files do (their functions' summaries, what they do to Cmd fields) comes in through the
 * view, so a Cmd handed to a helper in another file, or kept in a field waited on elsewhere, is
 * judged by that code.
 */
import type { CellFacts, Summary } from './engine/facts';
import type { CellIR, FunctionIR, Node, ProgramIR, SiteIR } from './engine/ir';
import { analyze } from './engine/verdict';
import { type DepAnswer, isModulePath } from './godeps';
import { endOf, FnLower, type Desc, type GoLowerHost, type HandleKind } from './lower/go';
import { exportedName, GoNames } from './go-names';
import { type Creation, displayName, findingsFor, finishSite, type SiteRec, siteWords } from './go-report';
import type { SyntaxNode } from './parser';
import { callersOfRelevant, hasInterestingIdent } from './golex';
import { named, rangeOf, walk } from './syntax';
import type { ProgramSource, SiteFinding, SpawnSite } from './types';

/** What a function of the package does, for its callers in other files. */
export interface GoFuncSummary {
  /** The engine's summary (sites it returns left out: they are this file's). */
  s: Summary;
  /** It returns a *exec.Cmd (or *os.Process): the kind, and the result's position. */
  result?: HandleKind;
  resultIndex?: number;
  /** Its last result is an error (then, by convention, no child comes back). */
  errorLast?: boolean;
  /** The program the Cmd it returns was built with, when one. */
  returnsCmd?: { program: string | null; programSource?: ProgramSource };
}

/** What the rest of the package (other files) tells the analysis of one file. */
export interface GoPackageView {
  /** A function (`name`) or method (`.name`) declared in another file of the package. */
  func(key: string): GoFuncSummary | undefined;
  /** A package-level string constant or literal-initialised variable from another file. */
  constant(name: string): string | undefined;
  /** A package-level `flag.String` variable from another file: its flag name and default. */
  flag(name: string): { flag: string; value: string } | undefined;
  /** True when some struct in the package has a field of this name typed *exec.Cmd. */
  isCmdField(name: string): boolean;
  /** What other files of the package do to a Cmd field (`@.name`). */
  cell?(name: string): CellFacts | undefined;
  /** Does another file of the package mention `.name` at all (read from disk: files not analysed count too)? */
  mentionsField?(name: string): boolean;
  /** Is every declaration of `name` in another file of the package a predicate of its error (go-errpred.ts)? undefined: none declares it. */
  errPredicate?(name: string): boolean | undefined;
  /** `name = runtime.GOOS == …` declared in the package (`importPath` undefined: this one, every file), or in the package at `importPath` (go-platform.ts). */
  platformConst?(importPath: string | undefined, name: string): { holds: boolean; words: string } | undefined;
  /** How many times the identifier `name` occurs in the package's .go files on disk, this one included, line comments left out. */
  mentions?(name: string): number | undefined;
  /** Does `fn` of the dependency `importPath` return a Cmd (or a type embedding *exec.Cmd)? See godeps.ts. */
  depReturnsCmd?(importPath: string, fn: string): DepAnswer;
}

export const EMPTY_PACKAGE: GoPackageView = {
  func: () => undefined,
  constant: () => undefined,
  flag: () => undefined,
  isCmdField: () => false,
};

export interface GoFileFacts {
  packageName: string;
  imports: string[];
  /** `package main` with a `func main()`. */
  hasMain: boolean;
  /** Summaries of this file's functions that take or return handles, or always exit, by key (`f` or `.m`). */
  functions: Map<string, GoFuncSummary>;
  constants: Map<string, string>;
  flags: Map<string, { flag: string; value: string }>;
  cmdFields: string[];
  /** What this file does to Cmd fields, by cell (`@.cmd`). */
  cells?: Record<string, CellFacts>;
  /** Keys of other files' functions, constants, flags and fields this result depends on. */
  consulted: Set<string>;
  /** `syscall.Wait4(-1, ...)` (reaps any child) in this file, by line. */
  reapsAnyChild?: number;
  /** `signal.Ignore(syscall.SIGCHLD)` in this file, by line: the kernel then reaps every child. */
  ignoresSigchld?: number;
  sites: SpawnSite[];
  findings: SiteFinding[];
}

const PTY_PATHS = new Set(['github.com/creack/pty', 'github.com/kr/pty']);
const PTY_START = new Set(['Start', 'StartWithSize', 'StartWithAttrs']);
/** Packages whose functions never wait on anything handed to them, and never keep it. */
const NEVER_WAITING_PACKAGES = new Set(['fmt', 'errors', 'strings', 'strconv', 'bytes', 'reflect', 'sort', 'time']);
const LOG_EXIT = new Set(['Fatal', 'Fatalf', 'Fatalln', 'Panic', 'Panicf', 'Panicln']);

/** Scans one file of a package: its sites, their verdicts, what it offers the package's other files. */
export class GoScanner extends GoNames implements GoLowerHost {
  /** For tools and tests that want to read the lowered program. */
  static onProgram?: (p: ProgramIR) => void;
  private readonly sites: SiteRec[] = [];
  private readonly creations: Creation[] = [];
  private readonly fieldUses = new Map<string, number>();
  private readonly returned = new Map<string, (number | null)[]>();
  private reapsAnyChild?: number;
  private ignoresSigchld?: number;

  cmdLiteral(lit: SyntaxNode, l: FnLower, out: Node[]): Desc | undefined {
    if (this.handleType(lit.childForFieldName('type')) !== 'cmd') return undefined;
    let path: SyntaxNode | undefined;
    const body = lit.childForFieldName('body');
    for (const el of body ? named(body) : []) {
      if (el.type !== 'keyed_element') continue;
      const [key, value] = named(el);
      const v = value?.type === 'literal_element' ? value.namedChild(0) : value;
      if (!v) continue;
      if (key?.text === 'Path') path = v;
      l.consume(l.expr(v, out), v, out);
    }
    const prog = path ? this.program(path) : { program: null };
    this.creations.push({ ...prog, line: lit.startPosition.row + 1 });
    return { k: 'new', creation: this.creations.length - 1 };
  }

  isCmdField(name: string): boolean {
    if (this.cmdFields.has(name)) return true;
    this.consulted.add(`field:${name}`);
    return this.pkg.isCmdField(name);
  }

  fieldSeen(name: string): void {
    this.fieldUses.set(name, (this.fieldUses.get(name) ?? 0) + 1);
  }

  siteVariable(site: number, name: string): void {
    this.sites[site].variable = name;
  }

  funcInfo(key: string, line: number): { known: boolean; result?: HandleKind; resultIndex?: number; creation?: number; errorLast?: boolean } {
    const local = this.localFuncs.get(key);
    if (local) {
      const r = this.resultKind(local);
      if (r?.kind !== 'cmd') return { known: true, result: r?.kind, resultIndex: r?.index, errorLast: r?.errorLast };
      this.creations.push({ program: null, fromFunc: key, line });
      return { known: true, result: r.kind, resultIndex: r.index, errorLast: r.errorLast, creation: this.creations.length - 1 };
    }
    this.consulted.add(`func:${key}`);
    const s = this.pkg.func(key);
    if (!s) return { known: false };
    if (s.result !== 'cmd') return { known: true, result: s.result, resultIndex: s.resultIndex, errorLast: s.errorLast };
    this.creations.push({ program: s.returnsCmd?.program ?? null, programSource: s.returnsCmd?.programSource, line });
    return { known: true, result: s.result, resultIndex: s.resultIndex, errorLast: s.errorLast, creation: this.creations.length - 1 };
  }

  /** The first result of a handle type (`(*exec.Cmd, error)`, `(rec, cmd *exec.Cmd, err error)`), by position. */
  private resultKind(decl: SyntaxNode): { kind: HandleKind; index: number; errorLast: boolean } | undefined {
    const result = decl.childForFieldName('result');
    if (!result) return undefined;
    if (result.type !== 'parameter_list') {
      const kind = this.handleType(result);
      return kind && { kind, index: 0, errorLast: false };
    }
    let index = 0;
    let found: { kind: HandleKind; index: number } | undefined;
    const decls = named(result).filter((p) => p.type === 'parameter_declaration');
    for (const p of decls) {
      const kind = this.handleType(p.childForFieldName('type'));
      if (kind && !found) found = { kind, index };
      index += Math.max(1, p.childrenForFieldName('name').length);
    }
    return found && { ...found, errorLast: decls[decls.length - 1]?.childForFieldName('type')?.text === 'error' };
  }

  site(call: SyntaxNode, api: string, creation: number | null, detail: { method?: SyntaxNode; variable?: string; field?: string }): number {
    const rec: SiteRec = { id: this.sites.length, call, api, creation, ...detail };
    this.sites.push(rec);
    return rec.id;
  }

  /**
   * An unexported function (not a method) every use of which, in the whole package, is a call from a
   * function lowered here: the identifier occurs on disk exactly as often as its declaration and those
   * calls (a use as a value, in another file, in a block comment makes the count differ).
   */
  private callersKnown(lowered: [FunctionIR, SyntaxNode][], key: string): boolean {
    const decl = lowered.find(([fn]) => fn.key === key)?.[1];
    const name = decl?.childForFieldName('name')?.text;
    if (!decl || !name || decl.childForFieldName('receiver') || exportedName(name)) return false;
    let calls = 0;
    for (const [, d] of lowered) {
      walk(d, (n) => {
        if (n.type === 'call_expression') {
          const f = n.childForFieldName('function');
          if (f?.type === 'identifier' && f.text === name) calls++;
        }
        return true;
      });
    }
    return calls > 0 && this.pkg.mentions?.(name) === 1 + calls;
  }


  packageCall(call: SyntaxNode, pkgName: string, field: string, args: SyntaxNode[], l: FnLower, out: Node[]): Desc | undefined | 'none' {
    const path = this.imports.byName.get(pkgName);
    if (path === undefined) return undefined;
    const at = rangeOf(call);
    // Arguments a call only reads: handles in them are borrowed, other expressions lowered for their effects.
    const plain = (from = 0) => {
      for (const a of args.slice(from)) if (!l.entityOf(a)) l.consume(l.expr(a, out), a, out);
    };
    if (path === 'os/exec' && (field === 'Command' || field === 'CommandContext')) {
      plain();
      const programArg = args[field === 'Command' ? 0 : 1];
      const prog = programArg ? this.program(programArg) : { program: null };
      this.creations.push({ ...prog, line: at.startLine });
      return { k: 'new', creation: this.creations.length - 1 };
    }
    if ((path === 'os' && field === 'StartProcess') || (path === 'syscall' && (field === 'ForkExec' || field === 'StartProcess'))) {
      plain();
      const prog = args[0] ? this.program(args[0]) : { program: null };
      this.creations.push(prog);
      const site = this.site(call, `${path}.${field}`, this.creations.length - 1, {});
      return { k: 'spawn', node: { op: 'spawn', site, into: null, outcomes: ['parent', 'failed'], at }, kind: path === 'os' ? 'process' : 'pid' };
    }
    if (PTY_PATHS.has(path) && PTY_START.has(field)) {
      // pty.Start(cmd) starts the Cmd on a new terminal: the Cmd must still be waited for.
      plain();
      const v = l.entityOf(args[0] ?? null);
      if (v?.kind !== 'cmd') return 'none';
      const creation = v.creations?.size === 1 ? [...v.creations][0] : null;
      const site = this.site(call, 'pty.Start', creation, { variable: args[0].text });
      const h = l.h(v);
      out.push({ op: 'spawn', site, into: h, outcomes: ['parent', 'failed'], at });
      return { k: 'startErr', h };
    }
    if ((path === 'syscall' || path === 'golang.org/x/sys/unix') && field === 'Wait4') {
      const first = args[0];
      const v = l.entityOf(first ?? null);
      if (v) out.push({ op: 'wait', h: l.h(v), at, how: `${pkgName}.Wait4(${first.text})` });
      else if (first && first.text.replace(/\s/g, '') === '-1') this.reapsAnyChild ??= at.startLine;
      plain(1);
      return 'none';
    }
    if (path === 'os/signal' && field === 'Ignore' && args.some((a) => a.text.endsWith('SIGCHLD'))) {
      this.ignoresSigchld ??= at.startLine;
      return 'none';
    }
    if (path === 'time' && field === 'Sleep') {
      plain();
      out.push({ op: 'block', at, how: `${pkgName}.Sleep()` });
      return 'none';
    }
    if (path === 'os' && field === 'Exit') {
      plain();
      out.push({ op: 'exit', at, how: `${pkgName}.Exit()` });
      return 'none';
    }
    if (path === 'log' || NEVER_WAITING_PACKAGES.has(path) || (path === 'os' && field === 'FindProcess')) {
      plain();
      if (path === 'log' && LOG_EXIT.has(field)) out.push({ op: 'exit', at, how: `log.${field}()` });
      return 'none';
    }
    if (isModulePath(path) && this.pkg.depReturnsCmd?.(path, field) === 'cmd') {
      // `shell.Exec("make")`: a dependency's Cmd (or a type embedding *exec.Cmd), read from vendor/ or the module cache.
      plain();
      this.creations.push({ program: null, line: at.startLine });
      return { k: 'new', creation: this.creations.length - 1 };
    }
    for (const a of args) {
      const v = l.entityOf(a);
      if (v) out.push({ op: 'escape', h: l.h(v), to: 'callee', at: rangeOf(a), why: `passed to ${pkgName}.${field}()` });
      else l.consume(l.expr(a, out), a, out, `passed to ${pkgName}.${field}()`);
    }
    return 'none';
  }

  // --- the file ---

  scan(): GoFileFacts {
    const functions: FunctionIR[] = [];
    const keys: string[] = [];
    // The same token tests the index's pre-pass applies before parsing (golex.ts), so a cut-down
    // parse and a whole-file parse analyse the same functions: those naming a handle API, and
    // their callers in this file.
    const decls = [...this.localFuncs.values()];
    const texts = decls.map((d) => d.text);
    const hits = texts.map((t) => hasInterestingIdent(t, this.interesting));
    const callers = callersOfRelevant(
      decls.map((d, k) => ({
        name: d.childForFieldName('name')?.text,
        hit: hits[k],
        // The signature: the text up to the body (a hit there: it takes or returns a handle).
        helper: hits[k] && ['receiver', 'type_parameters', 'parameters', 'result'].some((f) => { const n = d.childForFieldName(f); return !!n && hasInterestingIdent(n.text, this.interesting); }),
        text: () => texts[k],
      })),
    );
    const packageName = named(this.root).find((n) => n.type === 'package_clause')?.namedChild(0)?.text ?? '';
    const lowered: [FunctionIR, SyntaxNode][] = [];
    for (const [k, [key, decl]] of [...this.localFuncs].entries()) {
      if (!hits[k] && !callers[k]) continue;
      const name = decl.childForFieldName('name')!.text;
      const l = new FnLower(this, displayName(decl) ?? name);
      this.current = l;
      const body = decl.childForFieldName('body')!;
      const fn = l.lowerBody(key, decl.childForFieldName('parameters'), body, exportedName(name), endOf(body), decl.childForFieldName('receiver'));
      l.settleKeys();
      // package main's func main: its end is the program's (Go exits with every goroutine), as C's main and a Python script.
      if (name === 'main' && !decl.childForFieldName('receiver') && packageName === 'main') fn.isMain = true;
      functions.push(...l.functions, fn);
      keys.push(key);
      lowered.push([fn, decl]);
      this.returned.set(key, l.returned);
    }
    this.current = undefined;
    const cells: CellIR[] = [];
    for (const f of this.fieldUses.keys()) {
      const judged = this.fieldJudgeable(f);
      const cell: CellIR = { name: `@.${f}`, exported: !judged, words: `the field ${f}` };
      if (!judged && !exportedName(f)) cell.unjudged = 'which is used in code this analysis does not follow (another file, or a function that names no Cmd API)';
      cells.push(cell);
    }
    const siteIRs: SiteIR[] = this.sites.map((s) => ({ id: s.id, at: rangeOf(s.call), words: siteWords(s) }));
    const program: ProgramIR = { functions, sites: siteIRs, cells };
    GoScanner.onProgram?.(program);
    const analysis = analyze(program, {
      summary: (key) => {
        this.consulted.add(`func:${key}`);
        return this.pkg.func(key)?.s;
      },
      cell: (name) => {
        this.consulted.add(`cell:${name}`);
        return this.pkg.cell?.(name);
      },
      callersKnown: (key) => this.callersKnown(lowered, key),
    });
    const exported = new Map<string, GoFuncSummary>();
    for (const key of keys) {
      const s = analysis.summaries.get(key);
      const decl = this.localFuncs.get(key)!;
      const r = this.resultKind(decl);
      if (!s || (!s.params.some((p) => p) && !r && !s.exits)) continue;
      const g: GoFuncSummary = { s: { ...s, returnsSites: [], paramKills: s.paramKills.map(() => []) }, ...(r ? { result: r.kind, resultIndex: r.index, errorLast: r.errorLast } : {}) };
      if (r?.kind === 'cmd') g.returnsCmd = this.returnsCmd(key, new Set());
      exported.set(key, g);
    }
    const cellOut: Record<string, CellFacts> = {};
    for (const [name, c] of analysis.cells) if (name.startsWith('@.')) cellOut[name] = c;
    const out: GoFileFacts = {
      packageName,
      imports: [...this.imports.byName.values()],
      hasMain: packageName === 'main' && this.localFuncs.has('main'),
      functions: exported,
      constants: this.constants,
      flags: this.flags,
      cmdFields: [...this.cmdFields],
      cells: cellOut,
      consulted: this.consulted,
      reapsAnyChild: this.reapsAnyChild,
      ignoresSigchld: this.ignoresSigchld,
      sites: [],
      findings: [],
    };
    for (const rec of [...this.sites].sort((a, b) => a.call.startIndex - b.call.startIndex)) {
      const v = analysis.verdicts.get(rec.id)!;
      const site = finishSite(this, rec, v, rec.creation === null ? undefined : this.resolve(rec.creation));
      out.sites.push(site);
      out.findings.push(...findingsFor(this, rec, site, v));
    }
    return out;
  }

  /** A private field can be judged here only when every use of it in the package is one the lowering understood. */
  private fieldJudgeable(name: string): boolean {
    if (exportedName(name) || !this.cmdFields.has(name)) return false;
    const full = this.fullText ?? this.text;
    const total = full.match(new RegExp(`\\.\\s*${name}\\b`, 'g'))?.length ?? 0;
    if (total > (this.fieldUses.get(name) ?? 0)) return false;
    this.consulted.add(`mentions:${name}`);
    return !(this.pkg.mentionsField?.(name) ?? true);
  }

  private returnsCmd(key: string, seen: Set<string>): { program: string | null; programSource?: ProgramSource } {
    const rs = this.returned.get(key) ?? [];
    const progs = rs.map((c) => (c === null ? null : this.resolve(c, seen)));
    const first = progs[0];
    if (!first || progs.some((p) => !p || p.program !== first.program || p.programSource !== first.programSource)) return { program: null };
    return first.programSource ? { program: first.program, programSource: first.programSource } : { program: first.program };
  }

  private resolve(index: number, seen = new Set<string>()): Creation {
    const c = this.creations[index];
    if (!c.fromFunc) return c;
    if (seen.has(c.fromFunc)) return { program: null };
    seen.add(c.fromFunc);
    return { ...this.returnsCmd(c.fromFunc, seen), line: c.line };
  }

}


/** Scans one parsed Go file; `text` is the exact string that was parsed, `fullText` the whole file when that was a cut-down copy. */
export function scanGo(root: SyntaxNode, file: string, pkg: GoPackageView = EMPTY_PACKAGE, text?: string, fullText?: string): GoFileFacts {
  return new GoScanner(root, file, pkg, text, fullText).scan();
}
