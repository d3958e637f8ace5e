/**
 * Go spawn sites and the "never waited" analysis.
 *
 * Sites: (*exec.Cmd).Start/Run/Output/CombinedOutput on a Cmd from exec.Command/CommandContext
 * (or a same-package helper returning one, or a struct field of that type), os.StartProcess,
 * syscall.ForkExec and syscall.StartProcess.
 *
 * The analysis is an abstract interpretation of each function body over its structured control
 * flow (Go has no exceptions; goto is the one thing it gives up on). Each handle (a Cmd, an
 * *os.Process or a pid) has a set of possible states per program point: idle (built, not
 * started), failed (its Start returned an error, so no child exists), pending(site) (a child runs
 * and nobody has waited), waited, escaped (handed to code we do not see). A child is leaked when a
 * path leaves the handle's scope, returns, or overwrites it while pending; that is the issue's
 * "Start() with no Wait on some path". Handing a Cmd to a same-package function uses that
 * function's summary (computed the same way: does it wait on its parameter on every path, never,
 * or cannot tell); anything else it is handed to counts as an escape and is never flagged, except
 * the few standard functions known never to wait (fmt, log printing, errors, strings).
 */
import type { SyntaxNode } from './parser';
import { goInterestingIdents, hasInterestingIdent, SMALL_VAR_ROWS } from './golex';
import { baseName, lineOf, named, rangeOf, unescape, walk } from './syntax';
import type { FindingCode, ProgramSource, SiteFinding, SiteFix, SourceRange, SpawnSite } from './types';

/** What a same-package function does with a *exec.Cmd / *os.Process parameter. */
export type ParamSummary = 'waits' | 'never' | 'unknown';

export interface GoFuncSummary {
  /** Per parameter index: a summary for handle-typed parameters, null for the others. */
  params: (ParamSummary | null)[];
  /** Set when the function returns a *exec.Cmd: the program it was built with, when one. */
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
  /** Summaries of this file's functions that take or return handles, by key (`f` or `.m`). */
  functions: Map<string, GoFuncSummary>;
  constants: Map<string, string>;
  flags: Map<string, { flag: string; value: string }>;
  cmdFields: string[];
  /** Keys of other files' functions, constants, flags and fields this result depends on. */
  consulted: Set<string>;
  /** `syscall.Wait4(-1, ...)` (reaps any child) in this file, by line. */
  reapsAnyChild?: number;
  /** `signal.Ignore(syscall.SIGCHLD)` in this file, by line: the kernel then reaps every child. */
  ignoresSigchld?: number;
  sites: SpawnSite[];
  findings: SiteFinding[];
}

// ---------------------------------------------------------------------------------------------
// File level: imports, constants, flags, struct fields, function list.

interface Imports {
  /** local name -> import path */
  byName: Map<string, string>;
  /** import path -> local names */
  byPath: Map<string, string[]>;
  /** as written, `.` and `_` included */
  list: { name?: string; path: string }[];
}

function stringValue(node: SyntaxNode | null): string | undefined {
  if (!node) return undefined;
  const type = node.type;
  if (type === 'interpreted_string_literal') return unescape(node.text.slice(1, -1));
  if (type === 'raw_string_literal') return node.text.slice(1, -1);
  return undefined;
}

function readImports(root: SyntaxNode): Imports {
  const byName = new Map<string, string>();
  const byPath = new Map<string, string[]>();
  const list: { name?: string; path: string }[] = [];
  for (const decl of named(root)) {
    if (decl.type !== 'import_declaration') continue;
    walk(decl, (n) => {
      if (n.type !== 'import_spec') return true;
      const path = stringValue(n.childForFieldName('path'));
      if (path === undefined) return false;
      const alias = n.childForFieldName('name');
      list.push(alias ? { name: alias.text, path } : { path });
      // `import _ "x"` binds nothing; `import . "x"` is too rare here to model.
      const local = alias ? alias.text : baseName(path);
      if (local === '_' || local === '.') return false;
      byName.set(local, path);
      byPath.set(path, [...(byPath.get(path) ?? []), local]);
      return false;
    });
  }
  return { byName, byPath, list };
}

const HANDLE_TYPES: Record<string, { path: string; kind: HandleKind }> = {
  Cmd: { path: 'os/exec', kind: 'cmd' },
  Process: { path: 'os', kind: 'process' },
};

type HandleKind = 'cmd' | 'process' | 'pid';

/** The handle kind of a type node (`*exec.Cmd`, `exec.Cmd`, `*os.Process`), if it is one. */
function handleType(type: SyntaxNode | null, imports: Imports): HandleKind | undefined {
  if (!type) return undefined;
  if (type.type === 'pointer_type') type = type.namedChild(0);
  if (!type || type.type !== 'qualified_type') return undefined;
  const pkg = type.childForFieldName('package')?.text;
  const name = type.childForFieldName('name')?.text;
  const want = name ? HANDLE_TYPES[name] : undefined;
  if (!pkg || !want || imports.byName.get(pkg) !== want.path) return undefined;
  return want.kind;
}

function functionKey(decl: SyntaxNode): string | undefined {
  const name = decl.childForFieldName('name')?.text;
  if (!name) return undefined;
  return decl.type === 'method_declaration' ? `.${name}` : name;
}

function displayName(decl: SyntaxNode): string | undefined {
  const name = decl.childForFieldName('name')?.text;
  if (!name || decl.type !== 'method_declaration') return name;
  const recvType = decl.childForFieldName('receiver')?.namedChild(0)?.childForFieldName('type');
  if (!recvType) return name;
  return `(${recvType.text}).${name}`;
}

// ---------------------------------------------------------------------------------------------
// The interpreter's state.

type Val = string; // 'idle' | 'failed' | 'entry' | 'waited' | 'escaped' | `p<site index>`


interface Entity {
  id: number;
  kind: HandleKind;
  /** Built (or started) in this function, so losing it leaks; parameters belong to the caller. */
  owned: boolean;
  /** Scope depth of the variable holding it: leaving that scope while pending loses the child. */
  depth: number;
  name: string;
  paramIndex?: number;
  /** The function node (id) whose parameter this is. */
  fn?: number;
}

class State {
  constructor(
    readonly vals = new Map<number, Set<Val>>(),
    /** err variable id -> the entity and site whose Start/StartProcess produced it */
    readonly errs = new Map<number, { entity: number; site: number }>(),
    /** entities with a registered `defer X.Wait()` */
    readonly deferred = new Set<number>(),
    /** entity -> creation indexes (which exec.Command built it) */
    readonly creations = new Map<number, Set<number>>(),
    public dead = false,
  ) {}

  static deadState(): State {
    return new State(undefined, undefined, undefined, undefined, true);
  }

  clone(): State {
    const vals = new Map<number, Set<Val>>();
    for (const [k, v] of this.vals) vals.set(k, new Set(v));
    const creations = new Map<number, Set<number>>();
    for (const [k, v] of this.creations) creations.set(k, new Set(v));
    return new State(vals, new Map(this.errs), new Set(this.deferred), creations, this.dead);
  }

  get(entity: number): Set<Val> {
    return this.vals.get(entity) ?? new Set();
  }

  set(entity: number, vals: Iterable<Val>): void {
    if (this.dead) return;
    this.vals.set(entity, new Set(vals));
  }

  /** Applies f to each value of the entity. */
  map(entity: number, f: (v: Val) => Val): void {
    if (this.dead) return;
    const cur = this.vals.get(entity);
    if (!cur) return;
    this.vals.set(entity, new Set([...cur].map(f)));
  }

  equals(other: State): boolean {
    if (this.dead !== other.dead) return false;
    if (this.vals.size !== other.vals.size || this.deferred.size !== other.deferred.size) return false;
    for (const [k, v] of this.vals) {
      const o = other.vals.get(k);
      if (!o || o.size !== v.size) return false;
      for (const x of v) if (!o.has(x)) return false;
    }
    for (const d of this.deferred) if (!other.deferred.has(d)) return false;
    if (this.errs.size !== other.errs.size) return false;
    return true;
  }
}

function join(states: State[]): State {
  const live = states.filter((s) => !s.dead);
  if (live.length === 0) return State.deadState();
  if (live.length === 1) return live[0].clone();
  const out = new State();
  for (const s of live) {
    for (const [k, v] of s.vals) {
      const cur = out.vals.get(k) ?? new Set<Val>();
      for (const x of v) cur.add(x);
      out.vals.set(k, cur);
    }
    for (const d of s.deferred) out.deferred.add(d);
    for (const [k, v] of s.creations) {
      const cur = out.creations.get(k) ?? new Set<number>();
      for (const x of v) cur.add(x);
      out.creations.set(k, cur);
    }
  }
  // An err binding survives only when every incoming path agrees on it.
  for (const [k, v] of live[0].errs) {
    if (live.every((s) => s.errs.get(k)?.entity === v.entity && s.errs.get(k)?.site === v.site)) out.errs.set(k, v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Per-site records filled while interpreting.

interface Leak {
  node: SyntaxNode;
  kind: 'return' | 'scope-end' | 'overwrite' | 'discarded' | 'goexit';
}

interface SiteRec {
  index: number;
  call: SyntaxNode;
  /** The `Start` identifier, for the Start -> Run fix. */
  method?: SyntaxNode;
  api: string;
  entity?: number;
  variable?: string;
  waitsItself?: boolean;
  program: string | null;
  programSource?: ProgramSource;
  flag?: string;
  commandLine?: number;
  field?: string;
  reached: boolean;
  leaks: Map<string, Leak>;
  waits: { line: number; how: string }[];
  escapes: { line: number; why: string }[];
  kills: SyntaxNode[];
  releases: SyntaxNode[];
  /** The statement holding the Start call (the fix looks for later uses after it). */
  statement?: SyntaxNode;
  /** The scope block of the handle variable. */
  scopeBlock?: SyntaxNode;
}

interface Creation {
  node: SyntaxNode;
  program: string | null;
  programSource?: ProgramSource;
  flag?: string;
}

// ---------------------------------------------------------------------------------------------

interface VarInfo {
  id: number;
  name: string;
  entity?: number;
  /** A string this name was given by a literal (for program names). */
  literal?: string;
}

interface Scope {
  names: Map<string, VarInfo>;
  depth: number;
  block: SyntaxNode | null;
}

interface Target {
  label?: string;
  kind: 'loop' | 'switch';
  depth: number;
  breaks: State[];
  continues: State[];
}

interface FnCtx {
  decl: SyntaxNode;
  name?: string;
  scopes: Scope[];
  targets: Target[];
  /** States at the function's returns (joined for immediately invoked literals). */
  returns: State[];
  /** Depth of the scope the function body starts in: returns leave everything deeper. */
  baseDepth: number;
  /** The function has a goto: control flow is not structured, conclusions become unknown. */
  unstructured: boolean;
  /** Per parameter entity: did 'entry' reach a return unwaited, was it waited, did it escape. */
  paramFacts: Map<number, { unwaitedExit: boolean; waited: boolean; escaped: boolean }>;
  resultIsCmd: boolean;
  returnedPrograms: (Creation | null)[];
}

const WAITING_METHODS = new Set(['Run', 'Output', 'CombinedOutput']);
const PIPE_METHODS = new Set(['StdoutPipe', 'StderrPipe', 'StdinPipe']);
/** Packages whose functions never wait on anything handed to them. */
const NEVER_WAITING_PACKAGES = new Set(['fmt', 'errors', 'strings', 'strconv', 'bytes', 'reflect', 'sort', 'time']);
const LOG_PRINT = new Set(['Print', 'Printf', 'Println']);
const LOG_EXIT = new Set(['Fatal', 'Fatalf', 'Fatalln']);
const LOG_PANIC = new Set(['Panic', 'Panicf', 'Panicln']);
/** testing.T/B methods that end the test goroutine (runtime.Goexit): deferred calls run, the child is not waited. */
const GOEXIT_METHODS = new Set(['Fatal', 'Fatalf', 'FailNow', 'Skip', 'Skipf', 'SkipNow']);

export class GoScanner {
  private readonly imports: Imports;
  private readonly osNames: Set<string>;
  private readonly pathNames: Set<string>;
  private readonly flagNames: Set<string>;
  private readonly localFuncs = new Map<string, SyntaxNode>();
  /** Identifiers that make a declaration worth analysing (shared with the index's pre-pass). */
  private readonly interesting: Set<string>;
  private readonly localSummaries = new Map<string, GoFuncSummary>();
  /** This round's reads of local summaries (funcSummary), by key: what sawFinalSummaries checks. */
  private summariesSeen = new Map<string, Set<GoFuncSummary | undefined>>();
  private readonly constants = new Map<string, string>();
  private readonly flags = new Map<string, { flag: string; value: string }>();
  private readonly cmdFields = new Set<string>();
  private readonly consulted = new Set<string>();
  private sites: SiteRec[] = [];
  private siteByKey = new Map<string, SiteRec>();
  private creations: Creation[] = [];
  private entities: Entity[] = [];
  private varSeq = 0;
  private reapsAnyChild?: number;
  private ignoresSigchld?: number;
  private readonly text: string;
  /** Open go/defer/closure bodies: which handles they wait for or hand on. */
  private collectors: { waited: Set<number>; escaped: Set<number> }[] = [];
  /** Words put before a wait's description inside a goroutine or deferred call. */
  private howPrefix = '';
  /** Sites of functions with a goto: their verdict stays unknown. */
  private unstructuredSites = new Set<number>();

  constructor(
    private readonly root: SyntaxNode,
    private readonly file: string,
    private readonly pkg: GoPackageView,
    text?: string,
  ) {
    // The parsed text, for the rows a fix is indented from. Not root.text: the root node starts
    // at the first token, after any leading comment or blank rows.
    this.text = text ?? root.tree.rootNode.text;
    this.imports = readImports(root);
    const names = (path: string) => new Set(this.imports.byPath.get(path) ?? []);
    this.osNames = names('os');
    this.pathNames = new Set([...names('path/filepath'), ...names('path')]);
    this.flagNames = names('flag');
    this.interesting = goInterestingIdents(this.imports.list);
    this.readTopLevel();
  }

  private readTopLevel(): void {
    for (const decl of named(this.root)) {
      if (decl.type === 'function_declaration' || decl.type === 'method_declaration') {
        const key = functionKey(decl);
        if (key && decl.childForFieldName('body')) this.localFuncs.set(key, decl);
      } else if (decl.type === 'const_declaration' || decl.type === 'var_declaration') {
        // Same rule as the index's pre-pass (golex.keepRelevant): a long var block (a table) is
        // read only when it mentions a handle API.
        if (decl.type === 'var_declaration' && decl.endPosition.row - decl.startPosition.row >= SMALL_VAR_ROWS && !hasInterestingIdent(decl.text, this.interesting)) continue;
        walk(decl, (n) => {
          if (n.type !== 'const_spec' && n.type !== 'var_spec') return true;
          const names = n.childrenForFieldName('name').filter((x) => x.type === 'identifier');
          const values = n.childForFieldName('value');
          const exprs = values ? named(values) : [];
          names.forEach((name, i) => {
            const lit = stringValue(exprs[i] ?? null);
            if (lit !== undefined) this.constants.set(name.text, lit);
            const flag = exprs[i] && this.flagDefault(exprs[i]);
            if (flag) this.flags.set(name.text, flag);
          });
          return false;
        });
      } else if (decl.type === 'type_declaration') {
        walk(decl, (n) => {
          if (n.type !== 'field_declaration') return true;
          if (handleType(n.childForFieldName('type'), this.imports) === 'cmd') {
            for (const f of n.childrenForFieldName('name')) if (f.type === 'field_identifier') this.cmdFields.add(f.text);
          }
          return false;
        });
      }
    }
  }

  /** `flag.String("bin", "default", "usage")` -> {flag, value}. */
  private flagDefault(expr: SyntaxNode): { flag: string; value: string } | undefined {
    if (expr.type !== 'call_expression') return undefined;
    const fn = expr.childForFieldName('function');
    if (fn?.type !== 'selector_expression') return undefined;
    const pkg = fn.childForFieldName('operand')?.text;
    if (!pkg || !this.flagNames.has(pkg) || fn.childForFieldName('field')?.text !== 'String') return undefined;
    const args = named(expr.childForFieldName('arguments')!);
    const flag = stringValue(args[0] ?? null);
    const value = stringValue(args[1] ?? null);
    return flag !== undefined && value !== undefined ? { flag, value } : undefined;
  }

  /** Runs the analysis; functions calling each other in this file converge in a few rounds. */
  scan(): GoFileFacts {
    const decls = [...this.localFuncs.values()].filter((d) => this.relevant(d));
    for (let round = 0; round < 4; round++) {
      this.sites = [];
      this.siteByKey = new Map();
      this.creations = [];
      this.entities = [];
      this.unstructuredSites = new Set();
      this.summariesSeen = new Map();
      const before = JSON.stringify([...this.localSummaries]);
      for (const decl of decls) this.analyzeFunction(decl);
      if (JSON.stringify([...this.localSummaries]) === before) break;
      if (this.sawFinalSummaries()) break;
    }
    const packageName = named(this.root).find((n) => n.type === 'package_clause')?.namedChild(0)?.text ?? '';
    const out: GoFileFacts = {
      packageName,
      imports: [...this.imports.byName.values()],
      hasMain: packageName === 'main' && this.localFuncs.has('main'),
      functions: this.localSummaries,
      constants: this.constants,
      flags: this.flags,
      cmdFields: [...this.cmdFields],
      consulted: this.consulted,
      reapsAnyChild: this.reapsAnyChild,
      ignoresSigchld: this.ignoresSigchld,
      sites: [],
      findings: [],
    };
    for (const rec of this.sites.sort((a, b) => a.call.startIndex - b.call.startIndex)) {
      const site = this.finishSite(rec);
      out.sites.push(site);
      out.findings.push(...this.findingsFor(rec, site));
    }
    return out;
  }

  /**
   * Only functions that mention a handle API or type are interpreted: the rest cannot start,
   * wait for or pass on a child.
   */
  private relevant(decl: SyntaxNode): boolean {
    // The same token test the index's pre-pass applies before parsing (golex.ts), so a cut-down
    // parse and a whole-file parse analyse the same functions.
    return hasInterestingIdent(decl.text, this.interesting);
  }

  // -------------------------------------------------------------------------------------------
  // Functions.

  private analyzeFunction(decl: SyntaxNode): void {
    const body = decl.childForFieldName('body');
    if (!body) return;
    const ctx: FnCtx = {
      decl,
      name: displayName(decl),
      scopes: [{ names: new Map(), depth: 0, block: null }],
      targets: [],
      returns: [],
      baseDepth: 0,
      unstructured: false,
      paramFacts: new Map(),
      resultIsCmd: false,
      returnedPrograms: [],
    };
    let st = new State();
    const params: (HandleKind | undefined)[] = [];
    const paramList = decl.childForFieldName('parameters');
    const receiver = decl.childForFieldName('receiver');
    if (receiver) for (const p of named(receiver)) for (const n of p.childrenForFieldName('name')) this.declare(ctx, n.text);
    if (paramList) {
      for (const p of named(paramList)) {
        const kind = handleType(p.childForFieldName('type'), this.imports);
        const names = p.childrenForFieldName('name').filter((n) => n.type === 'identifier');
        if (names.length === 0) params.push(kind); // unnamed parameter: nothing to follow
        for (const n of names) {
          const v = this.declare(ctx, n.text);
          const index = params.length;
          params.push(kind);
          if (kind === 'cmd' || kind === 'process') {
            const e = this.newEntity(kind, false, 0, n.text, index, decl.id);
            v.entity = e.id;
            st.set(e.id, ['entry']);
            ctx.paramFacts.set(e.id, { unwaitedExit: false, waited: false, escaped: false });
          }
        }
      }
    }
    const result = decl.childForFieldName('result');
    if (result) {
      const first = result.type === 'parameter_list' ? result.namedChild(0)?.childForFieldName('type') ?? null : result;
      ctx.resultIsCmd = handleType(first, this.imports) === 'cmd';
    }
    const firstSite = this.sites.length;
    st = this.execBlock(body, st, ctx, true);
    // Falling off the end of the body is a return.
    if (!st.dead) this.leaveFunction(ctx, st, body.lastChild ?? body, 'return');
    if (ctx.unstructured) for (let i = firstSite; i < this.sites.length; i++) this.unstructuredSites.add(i);

    const key = functionKey(decl);
    if (key && (params.some((k) => k) || ctx.resultIsCmd)) {
      const summary: GoFuncSummary = { params: [] };
      for (let i = 0; i < params.length; i++) {
        const e = this.entities.find((x) => x.paramIndex === i && ctx.paramFacts.has(x.id));
        const facts = e && ctx.paramFacts.get(e.id);
        if (!facts) {
          summary.params.push(null);
          continue;
        }
        if (ctx.unstructured) summary.params.push('unknown');
        else if (!facts.unwaitedExit && facts.waited && !facts.escaped) summary.params.push('waits');
        else if (!facts.waited && !facts.escaped) summary.params.push('never');
        else summary.params.push('unknown');
      }
      if (ctx.resultIsCmd) {
        const programs = new Set(ctx.returnedPrograms.map((c) => (c ? `${c.programSource}\0${c.program}` : '')));
        const only = programs.size === 1 ? ctx.returnedPrograms[0] : null;
        summary.returnsCmd = only ? { program: only.program, programSource: only.programSource } : { program: null };
      }
      this.localSummaries.set(key, summary);
    }
  }

  private declare(ctx: FnCtx, name: string): VarInfo {
    const v: VarInfo = { id: ++this.varSeq, name };
    if (name !== '_') ctx.scopes[ctx.scopes.length - 1].names.set(name, v);
    return v;
  }

  private lookup(ctx: FnCtx, name: string): VarInfo | undefined {
    for (let i = ctx.scopes.length - 1; i >= 0; i--) {
      const v = ctx.scopes[i].names.get(name);
      if (v) return v;
    }
    return undefined;
  }

  private depth(ctx: FnCtx): number {
    return ctx.scopes[ctx.scopes.length - 1].depth;
  }

  private newEntity(kind: HandleKind, owned: boolean, depth: number, name: string, paramIndex?: number, fn?: number): Entity {
    const e: Entity = { id: this.entities.length, kind, owned, depth, name, paramIndex, fn };
    this.entities.push(e);
    return e;
  }

  /** The entity an expression denotes: `cmd`, `(cmd)`, `cmd.Process`, `&cmd`. */
  /**
   * A node's type and text, remembered for the last node asked (by object): callers test an
   * expression with entityOf and then hand the same node object to expr, which asked again (two
   * calls into WASM each). A node object is a fixed view of its tree, so the answer stays right.
   */
  private lastTyped: SyntaxNode | undefined;
  private lastType = '';
  private lastTexted: SyntaxNode | undefined;
  private lastText = '';

  private typeOf(node: SyntaxNode): string {
    if (node !== this.lastTyped) {
      this.lastType = node.type;
      this.lastTyped = node;
    }
    return this.lastType;
  }

  private textOf(node: SyntaxNode): string {
    if (node !== this.lastTexted) {
      this.lastText = node.text;
      this.lastTexted = node;
    }
    return this.lastText;
  }

  private entityOf(node: SyntaxNode | null, ctx: FnCtx): number | undefined {
    if (!node) return undefined;
    // Every property of a node is a call into WASM: each is read once here (so in the rest of the scanner).
    const type = this.typeOf(node);
    if (type === 'parenthesized_expression') return this.entityOf(node.namedChild(0), ctx);
    if (type === 'identifier') return this.lookup(ctx, this.textOf(node))?.entity;
    if (type === 'unary_expression' && node.childForFieldName('operator')?.text === '&') {
      return this.entityOf(node.childForFieldName('operand'), ctx);
    }
    if (type === 'selector_expression' && node.childForFieldName('field')?.text === 'Process') {
      const e = this.entityOf(node.childForFieldName('operand'), ctx);
      if (e !== undefined && this.entities[e].kind === 'cmd') return e;
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Statements.

  private execBlock(block: SyntaxNode, st: State, ctx: FnCtx, isBody = false, preset?: (scope: Scope) => void): State {
    const scope: Scope = { names: new Map(), depth: this.depth(ctx) + 1, block };
    ctx.scopes.push(scope);
    if (isBody) ctx.baseDepth = scope.depth;
    preset?.(scope);
    // (execStmt passes comments over: no test here, which would ask each statement its type twice.)
    for (const stmt of named(block)) st = this.execStmt(stmt, st, ctx);
    if (!isBody) st = this.leaveScopes(ctx, st, scope.depth, () => lastToken(block), 'scope-end');
    ctx.scopes.pop();
    return st;
  }

  /**
   * Leak check for handles held by scopes deeper than or at `depth`, then forgets them. `at` may be
   * given as a function: the closing token is looked for (a walk down the last children, calls into
   * WASM) only when a leak is recorded there, which few scope ends have.
   */
  private leaveScopes(ctx: FnCtx, st: State, depth: number, at: SyntaxNode | (() => SyntaxNode), kind: Leak['kind']): State {
    if (st.dead) return st;
    const out = st.clone();
    for (const [id, vals] of st.vals) {
      const e = this.entities[id];
      if (e.depth < depth) continue;
      if (!out.deferred.has(id)) this.checkLost(ctx, e, vals, at, kind);
      out.vals.delete(id);
    }
    return out;
  }

  /** The handle is lost here: each pending child it may hold leaks (or, for a parameter, goes back to the caller). */
  private checkLost(ctx: FnCtx, e: Entity, vals: Set<Val>, at: SyntaxNode | (() => SyntaxNode), kind: Leak['kind']): void {
    for (const v of vals) {
      if (v === 'entry') {
        const facts = ctx.paramFacts.get(e.id);
        if (facts) facts.unwaitedExit = true;
        continue;
      }
      if (!v.startsWith('p')) continue;
      const rec = this.sites[Number(v.slice(1))];
      const node = typeof at === 'function' ? at() : at;
      if (e.owned) rec.leaks.set(`${node.startIndex}:${kind}`, { node, kind });
      else rec.escapes.push({ line: lineOf(node), why: `${e.name} belongs to the caller, who may wait for it` });
    }
  }

  /** A return (or t.Fatal, or the end of the body): every handle still pending is lost. */
  private leaveFunction(ctx: FnCtx, st: State, at: SyntaxNode, kind: Leak['kind']): void {
    if (st.dead) return;
    for (const [id, vals] of st.vals) {
      const e = this.entities[id];
      // Handles of an enclosing function (captured by a literal) are not lost by the literal's return.
      if (e.depth < ctx.baseDepth && e.fn !== ctx.decl.id) continue;
      if (st.deferred.has(id)) {
        for (const v of vals) if (v.startsWith('p')) this.sites[Number(v.slice(1))].waits.push({ line: lineOf(at), how: `deferred ${e.name}.Wait()` });
        const facts = ctx.paramFacts.get(id);
        if (facts && vals.has('entry')) facts.waited = true;
        continue;
      }
      this.checkLost(ctx, e, vals, at, kind);
    }
    ctx.returns.push(st);
  }

  private execStmt(node: SyntaxNode, st: State, ctx: FnCtx): State {
    switch (node.type) {
      case 'block':
        return this.execBlock(node, st, ctx);
      case 'expression_statement':
        return this.exprStatement(node.namedChild(0), st, ctx);
      case 'short_var_declaration':
      case 'assignment_statement':
        return this.assign(node, st, ctx);
      case 'var_declaration':
        for (const spec of named(node)) {
          if (spec.type === 'var_spec') st = this.assign(spec, st, ctx);
        }
        return st;
      case 'const_declaration':
        walk(node, (n) => {
          if (n.type !== 'const_spec') return true;
          const names = n.childrenForFieldName('name').filter((x) => x.type === 'identifier');
          const values = n.childForFieldName('value');
          const exprs = values ? named(values) : [];
          names.forEach((name, i) => {
            const v = this.declare(ctx, name.text);
            v.literal = stringValue(exprs[i] ?? null);
          });
          return false;
        });
        return st;
      case 'if_statement':
        return this.ifStmt(node, st, ctx);
      case 'for_statement':
        return this.forStmt(node, st, ctx);
      case 'expression_switch_statement':
      case 'type_switch_statement':
      case 'select_statement':
        return this.switchStmt(node, st, ctx);
      case 'labeled_statement': {
        const inner = named(node).find((n) => n.type !== 'label_name');
        if (!inner) return st;
        return this.execStmt(inner, st, ctx, );
      }
      case 'return_statement': {
        const list = node.namedChild(0);
        if (list) {
          for (const expr of list.type === 'expression_list' ? named(list) : [list]) {
            const entity = this.entityOf(expr, ctx);
            if (entity !== undefined) {
              if (ctx.resultIsCmd) ctx.returnedPrograms.push(this.uniqueCreation(st, entity));
              this.escape(st, ctx, entity, node, 'returned to the caller');
              continue;
            }
            const r = this.expr(expr, st, ctx);
            st = r.st;
            if (ctx.resultIsCmd && r.desc?.kind === 'new') ctx.returnedPrograms.push(this.creations[r.desc.creation]);
          }
        }
        this.leaveFunction(ctx, st, node, 'return');
        return State.deadState();
      }
      case 'go_statement':
      case 'defer_statement':
        return this.goOrDefer(node, st, ctx);
      case 'break_statement':
      case 'continue_statement': {
        const label = node.namedChild(0)?.text;
        const isBreak = node.type === 'break_statement';
        const target = [...ctx.targets].reverse().find((t) => (label ? t.label === label : isBreak || t.kind === 'loop'));
        if (!target) return State.deadState();
        const out = this.leaveScopes(ctx, st, target.depth + 1, node, 'scope-end');
        (isBreak ? target.breaks : target.continues).push(out);
        return State.deadState();
      }
      case 'goto_statement':
        ctx.unstructured = true;
        return st;
      case 'send_statement': {
        const value = node.childForFieldName('value');
        const e = this.entityOf(value, ctx);
        if (e !== undefined) this.escape(st, ctx, e, node, 'sent on a channel');
        else if (value) st = this.expr(value, st, ctx).st;
        const ch = node.childForFieldName('channel');
        return ch ? this.expr(ch, st, ctx).st : st;
      }
      case 'inc_statement':
      case 'dec_statement':
      case 'fallthrough_statement':
      case 'empty_statement':
      case 'type_declaration':
      case 'comment':
        return st;
      default:
        // Anything else: visit expressions for their effects.
        return this.expr(node, st, ctx).st;
    }
  }

  private exprStatement(expr: SyntaxNode | null, st: State, ctx: FnCtx): State {
    if (!expr) return st;
    const r = this.expr(expr, st, ctx);
    st = r.st;
    // A started handle nobody keeps: `os.StartProcess(...)` or `exec.Command(...).Start()` as a statement.
    if (r.desc?.kind === 'started' && !st.dead) {
      this.sites[r.desc.site].leaks.set(`${expr.startIndex}:discarded`, { node: expr, kind: 'discarded' });
    }
    if (r.terminates === 'exit') return State.deadState();
    if (r.terminates === 'goexit') {
      this.leaveFunction(ctx, st, expr, 'goexit');
      return State.deadState();
    }
    return st;
  }

  private uniqueCreation(st: State, entity: number): Creation | null {
    const set = st.creations.get(entity);
    if (!set || set.size !== 1) return null;
    return this.creations[[...set][0]];
  }

  /** Assignment-like statements: `:=`, `=`, `var x T = v`. */
  private assign(node: SyntaxNode, st: State, ctx: FnCtx): State {
    const isVarSpec = node.type === 'var_spec';
    const define = isVarSpec || node.childForFieldName('operator')?.text === ':=' || node.type === 'short_var_declaration';
    const lhsNodes = isVarSpec
      ? node.childrenForFieldName('name').filter((n) => n.type === 'identifier')
      : named(node.childForFieldName('left')!);
    const rhsList = node.childForFieldName(isVarSpec ? 'value' : 'right');
    const rhs = rhsList ? (rhsList.type === 'expression_list' ? named(rhsList) : [rhsList]) : [];
    const compound = !isVarSpec && !define && node.childForFieldName('operator')?.text !== '=';

    // Evaluate right-hand sides first (Go evaluates them before assigning).
    const descs: (Desc | undefined)[] = [];
    const aliases: (number | undefined)[] = [];
    for (const expr of rhs) {
      const e = this.entityOf(expr, ctx);
      if (e !== undefined) {
        aliases.push(e);
        descs.push(undefined);
        continue;
      }
      aliases.push(undefined);
      const r = this.expr(expr, st, ctx);
      st = r.st;
      descs.push(r.desc);
    }
    if (compound) return st;

    // `var cmd *exec.Cmd` with no value: a handle variable holding nil.
    const declaredKind = isVarSpec ? handleType(node.childForFieldName('type'), this.imports) : undefined;

    lhsNodes.forEach((lhs, i) => {
      // Multi-value call: `p, err := os.StartProcess(...)` — the handle is the first result, err the last.
      const multi = rhs.length === 1 && lhsNodes.length > 1;
      const desc = multi ? (i === 0 ? descs[0] : undefined) : descs[i];
      const alias = multi ? undefined : aliases[i];
      const errOf = multi && i === lhsNodes.length - 1 && (descs[0]?.kind === 'started') ? descs[0] : !multi && descs[i]?.kind === 'startErr' ? descs[i] : undefined;

      if (lhs.type !== 'identifier') {
        // Stored into a field, an element or through a pointer: the handle escapes.
        if (alias !== undefined) this.escape(st, ctx, alias, lhs, `stored in ${lhs.text}`);
        if (desc?.kind === 'new' || desc?.kind === 'started') this.escapeDesc(st, ctx, desc, lhs, `stored in ${lhs.text}`);
        st = this.expr(lhs, st, ctx).st; // (lhs is not an identifier here)
        return;
      }
      const name = lhs.text;
      if (name === '_') {
        if (desc?.kind === 'started' && !st.dead) {
          this.sites[desc.site].leaks.set(`${lhs.startIndex}:discarded`, { node: lhs, kind: 'discarded' });
        }
        return;
      }
      let v = define ? ctx.scopes[ctx.scopes.length - 1].names.get(name) : this.lookup(ctx, name);
      if (!v) {
        if (!define) {
          // A package-level variable: the handle outlives the function.
          if (alias !== undefined) this.escape(st, ctx, alias, lhs, `stored in package variable ${name}`);
          if (desc?.kind === 'new' || desc?.kind === 'started') this.escapeDesc(st, ctx, desc, lhs, `stored in package variable ${name}`);
          return;
        }
        v = this.declare(ctx, name);
      }
      // Overwriting a handle that may still hold a running child loses it.
      if (v.entity !== undefined && alias !== v.entity) {
        const e = this.entities[v.entity];
        const old = st.get(v.entity);
        if (!st.dead && old.size && !st.deferred.has(v.entity) && !this.hasOtherAlias(ctx, v)) this.checkLost(ctx, e, old, node, 'overwrite');
      }
      v.literal = stringValue(rhs[multi ? -1 : i] ?? null);
      // Any assignment ends an earlier err binding.
      st.errs.delete(v.id);
      if (errOf) {
        const entity = errOf.kind === 'startErr' ? errOf.entity : this.sites[errOf.site].entity;
        if (entity !== undefined && !st.dead) st.errs.set(v.id, { entity, site: errOf.site });
        return;
      }
      if (alias !== undefined) {
        // Another name for the same child; `p := cmd.Process` too.
        v.entity = alias;
        return;
      }
      if (desc?.kind === 'new') {
        const e = this.entityFor(ctx, v, 'cmd', name);
        st.set(e, ['idle']);
        st.creations.set(e, new Set([desc.creation]));
        st.deferred.delete(e);
        return;
      }
      if (desc?.kind === 'started') {
        const e = this.entityFor(ctx, v, desc.handle, name);
        this.sites[desc.site].entity = e;
        this.sites[desc.site].variable = name;
        this.sites[desc.site].scopeBlock = ctx.scopes[ctx.scopes.length - 1].block ?? undefined;
        st.set(e, [`p${desc.site}`]);
        st.deferred.delete(e);
        return;
      }
      if (declaredKind && !rhs.length) {
        const e = this.entityFor(ctx, v, declaredKind, name);
        st.set(e, ['idle']);
        return;
      }
      if (v.entity !== undefined) st.set(v.entity, ['idle']);
    });
    return st;
  }

  private hasOtherAlias(ctx: FnCtx, v: VarInfo): boolean {
    for (const s of ctx.scopes) for (const other of s.names.values()) if (other !== v && other.entity === v.entity) return true;
    return false;
  }

  private entityFor(ctx: FnCtx, v: VarInfo, kind: HandleKind, name: string): number {
    if (v.entity === undefined || this.entities[v.entity].paramIndex !== undefined) {
      // The variable's scope is where it was declared.
      let depth = this.depth(ctx);
      for (let i = ctx.scopes.length - 1; i >= 0; i--) if (ctx.scopes[i].names.get(v.name) === v) { depth = ctx.scopes[i].depth; break; }
      v.entity = this.newEntity(kind, true, depth, name).id;
    }
    return v.entity;
  }

  private escape(st: State, ctx: FnCtx, entity: number, at: SyntaxNode, why: string): void {
    if (st.dead) return;
    const facts = ctx.paramFacts.get(entity);
    for (const v of st.get(entity)) {
      if (v.startsWith('p')) this.sites[Number(v.slice(1))].escapes.push({ line: lineOf(at), why });
      if (v === 'entry' && facts) facts.escaped = true;
    }
    st.set(entity, ['escaped']);
    for (const c of this.collectors) c.escaped.add(entity);
  }

  private escapeDesc(st: State, ctx: FnCtx, desc: Desc, at: SyntaxNode, why: string): void {
    void ctx;
    if (st.dead) return;
    if (desc.kind === 'started') this.sites[desc.site].escapes.push({ line: lineOf(at), why });
  }

  private markWaited(st: State, ctx: FnCtx, entity: number, at: SyntaxNode, how: string): void {
    if (st.dead) return;
    const facts = ctx.paramFacts.get(entity);
    for (const v of st.get(entity)) {
      if (v.startsWith('p')) this.sites[Number(v.slice(1))].waits.push({ line: lineOf(at), how: this.howPrefix + how });
      if (v === 'entry' && facts) facts.waited = true;
    }
    st.set(entity, ['waited']);
    for (const c of this.collectors) c.waited.add(entity);
  }

  private ifStmt(node: SyntaxNode, st: State, ctx: FnCtx): State {
    ctx.scopes.push({ names: new Map(), depth: this.depth(ctx) + 1, block: node });
    const depth = this.depth(ctx);
    const init = node.childForFieldName('initializer');
    if (init) st = this.execStmt(init, st, ctx);
    const cond = node.childForFieldName('condition');
    if (cond) st = this.expr(cond, st, ctx).st;
    const [onTrue, onFalse] = this.refine(cond, st, ctx);
    const cons = node.childForFieldName('consequence');
    const alt = node.childForFieldName('alternative');
    const a = cons ? this.execBlock(cons, onTrue, ctx) : onTrue;
    const b = alt ? this.execStmt(alt, onFalse, ctx) : onFalse;
    let out = join([a, b]);
    out = this.leaveScopes(ctx, out, depth, () => lastToken(node), 'scope-end');
    ctx.scopes.pop();
    return out;
  }

  /**
   * Splits the state on `err != nil` / `err == nil` where err came from a Start: on the error
   * side no child exists. Also `cmd.Start() != nil` written inline.
   */
  private refine(cond: SyntaxNode | null, st: State, ctx: FnCtx): [State, State] {
    const t = st.clone();
    const f = st.clone();
    if (!cond || st.dead) return [t, f];
    let c = cond;
    while (c.type === 'parenthesized_expression' && c.namedChild(0)) c = c.namedChild(0)!;
    if (c.type !== 'binary_expression') return [t, f];
    const op = c.childForFieldName('operator')?.text;
    if (op !== '!=' && op !== '==') return [t, f];
    let left = c.childForFieldName('left');
    let right = c.childForFieldName('right');
    if (left?.type === 'nil') [left, right] = [right, left];
    if (right?.type !== 'nil' || !left) return [t, f];
    let binding: { entity: number; site: number } | undefined;
    if (left.type === 'identifier') {
      const v = this.lookup(ctx, left.text);
      if (v) binding = st.errs.get(v.id);
    } else if (left.type === 'call_expression') {
      const rec = this.siteByKey.get(`${left.startIndex}`);
      if (rec?.entity !== undefined) binding = { entity: rec.entity, site: rec.index };
    }
    if (!binding) return [t, f];
    const failed = op === '!=' ? t : f;
    const pending = `p${binding.site}`;
    failed.map(binding.entity, (v) => (v === pending ? 'failed' : v));
    return [t, f];
  }

  private forStmt(node: SyntaxNode, st: State, ctx: FnCtx): State {
    ctx.scopes.push({ names: new Map(), depth: this.depth(ctx) + 1, block: node });
    const depth = this.depth(ctx);
    const clause = named(node).find((n) => n.type === 'for_clause' || n.type === 'range_clause');
    const body = node.childForFieldName('body');
    let cond: SyntaxNode | null = null;
    let update: SyntaxNode | null = null;
    let infinite = false;
    if (clause?.type === 'for_clause') {
      const init = clause.childForFieldName('initializer');
      if (init) st = this.execStmt(init, st, ctx);
      cond = clause.childForFieldName('condition');
      update = clause.childForFieldName('update');
      infinite = !cond;
    } else if (clause?.type === 'range_clause') {
      const right = clause.childForFieldName('right');
      if (right) st = this.expr(right, st, ctx).st;
      const left = clause.childForFieldName('left');
      if (left) for (const n of named(left)) if (n.type === 'identifier') this.declare(ctx, n.text);
    } else {
      // Node objects are fresh wrappers on every call: compare by id, not identity.
      cond = named(node).find((n) => n.id !== body?.id) ?? null;
      infinite = !cond;
    }
    const label = node.parent?.type === 'labeled_statement' ? node.parent.childForFieldName('label')?.text : undefined;
    let head = st;
    let target: Target = { label, kind: 'loop', depth, breaks: [], continues: [] };
    for (let iter = 0; iter < 6; iter++) {
      target = { label, kind: 'loop', depth, breaks: [], continues: [] };
      ctx.targets.push(target);
      let entry = head;
      if (cond) entry = this.expr(cond, head.clone(), ctx).st;
      let end = body ? this.execBlock(body, entry.clone(), ctx) : entry;
      ctx.targets.pop();
      end = join([end, ...target.continues]);
      if (update) end = this.execStmt(update, end, ctx);
      const next = join([head, end]);
      if (next.equals(head)) break;
      head = next;
    }
    const exits = infinite ? target.breaks : [head, ...target.breaks];
    let out = join(exits);
    out = this.leaveScopes(ctx, out, depth, () => lastToken(node), 'scope-end');
    ctx.scopes.pop();
    return out;
  }

  private switchStmt(node: SyntaxNode, st: State, ctx: FnCtx): State {
    ctx.scopes.push({ names: new Map(), depth: this.depth(ctx) + 1, block: node });
    const depth = this.depth(ctx);
    const init = node.childForFieldName('initializer');
    if (init) st = this.execStmt(init, st, ctx);
    const value = node.childForFieldName('value');
    if (value) st = this.expr(value, st, ctx).st;
    const label = node.parent?.type === 'labeled_statement' ? node.parent.childForFieldName('label')?.text : undefined;
    const target: Target = { label, kind: 'switch', depth, breaks: [], continues: [] };
    ctx.targets.push(target);
    const ends: State[] = [];
    let hasDefault = false;
    for (const clause of named(node)) {
      if (!/_case$/.test(clause.type)) continue;
      if (clause.type === 'default_case') hasDefault = true;
      ctx.scopes.push({ names: new Map(), depth: this.depth(ctx) + 1, block: clause });
      let s = st.clone();
      for (const child of named(clause)) {
        const field = fieldOf(clause, child);
        if (field === 'value' || field === 'type') {
          s = this.expr(child, s, ctx).st;
          continue;
        }
        if (field === 'communication') {
          s = this.execStmt(child, s, ctx);
          continue;
        }
        s = this.execStmt(child, s, ctx);
      }
      s = this.leaveScopes(ctx, s, this.depth(ctx), clause.lastChild ?? clause, 'scope-end');
      ctx.scopes.pop();
      ends.push(s);
    }
    ctx.targets.pop();
    // A select without default blocks until a case runs; a switch without default may run none.
    if (!hasDefault && node.type !== 'select_statement') ends.push(st);
    let out = join([...ends, ...target.breaks]);
    out = this.leaveScopes(ctx, out, depth, () => lastToken(node), 'scope-end');
    ctx.scopes.pop();
    return out;
  }

  /**
   * `go f(...)` and `defer f(...)`. A goroutine that waits reaps the child (later, but surely: it
   * runs whether or not this function goes on); a deferred Wait runs at every return, so it covers
   * all exits after this point (and a handle it holds is not lost when its block ends).
   */
  private goOrDefer(node: SyntaxNode, st: State, ctx: FnCtx): State {
    const call = node.namedChild(0);
    if (!call) return st;
    const isGo = node.type === 'go_statement';
    const collector = { waited: new Set<number>(), escaped: new Set<number>() };
    const prefix = this.howPrefix;
    this.collectors.push(collector);
    this.howPrefix = isGo ? 'in a goroutine, ' : 'deferred ';
    try {
      this.expr(call, st.clone(), ctx);
    } finally {
      this.collectors.pop();
      this.howPrefix = prefix;
    }
    if (st.dead) return st;
    const out = st.clone();
    for (const id of collector.escaped) if (out.vals.has(id)) out.set(id, ['escaped']);
    for (const id of collector.waited) {
      if (!out.vals.has(id) || collector.escaped.has(id)) continue;
      if (isGo) out.set(id, ['waited']);
      else out.deferred.add(id);
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Expressions.

  private expr(node: SyntaxNode, st: State, ctx: FnCtx): ExprResult {
    switch (this.typeOf(node)) {
      case 'call_expression':
        return this.call(node, st, ctx);
      case 'parenthesized_expression': {
        const inner = node.namedChild(0);
        return inner ? this.expr(inner, st, ctx) : { st };
      }
      case 'identifier': {
        const e = this.lookup(ctx, this.textOf(node))?.entity;
        if (e !== undefined && !this.harmlessUse(node)) this.escape(st, ctx, e, node, `used as a value (${node.parent?.type ?? 'expression'})`);
        return { st };
      }
      case 'selector_expression': {
        const e = this.entityOf(node, ctx);
        if (e !== undefined && node.childForFieldName('field')?.text === 'Process') {
          if (!this.harmlessUse(node)) this.escape(st, ctx, e, node, `${node.text} used as a value`);
          return { st };
        }
        // `cmd.Path`, `cmd.Process.Pid`...: reading a field does not hand the child over.
        const operand = node.childForFieldName('operand');
        if (operand && this.entityOf(operand, ctx) !== undefined) return { st };
        return operand ? this.expr(operand, st, ctx) : { st };
      }
      case 'unary_expression': {
        const operand = node.childForFieldName('operand');
        const e = this.entityOf(node, ctx);
        if (e !== undefined) {
          this.escape(st, ctx, e, node, `its address is taken (${node.text})`);
          return { st };
        }
        return operand ? this.expr(operand, st, ctx) : { st };
      }
      case 'func_literal':
        return { st: this.closure(node, st, ctx) };
      case 'composite_literal':
      case 'literal_value':
      case 'keyed_element':
      case 'literal_element':
      case 'expression_list':
      case 'binary_expression':
      case 'index_expression':
      case 'slice_expression':
      case 'type_assertion_expression':
      case 'type_conversion_expression':
      case 'receive_statement':
      case 'argument_list':
      default: {
        // (A comment needs no test: it has no children, so expr() of it returns st as it is.)
        for (const child of named(node)) st = this.expr(child, st, ctx).st;
        return { st };
      }
    }
  }

  /** Uses of a handle that hand nothing over: comparisons with nil and field reads. */
  private harmlessUse(node: SyntaxNode): boolean {
    const p = node.parent;
    if (!p) return false;
    if (p.type === 'binary_expression') {
      const op = p.childForFieldName('operator')?.text;
      return op === '==' || op === '!=';
    }
    if (p.type === 'selector_expression' && p.childForFieldName('operand')?.equals(node)) return true;
    return false;
  }

  /** A closure that is not called right here: whatever it does to a handle may happen later (or never), so a handle it waits for or passes on escapes. */
  private closure(lit: SyntaxNode, st: State, ctx: FnCtx): State {
    const collector = { waited: new Set<number>(), escaped: new Set<number>() };
    this.collectors.push(collector);
    try {
      this.interpretLiteral(lit, st.clone(), ctx, []);
    } finally {
      this.collectors.pop();
    }
    if (st.dead) return st;
    const out = st.clone();
    for (const id of new Set([...collector.waited, ...collector.escaped])) {
      if (out.vals.has(id)) this.escape(out, ctx, id, lit, `captured by a closure at line ${lineOf(lit)}`);
    }
    return out;
  }

  /**
   * Interprets a function literal's body in the current state (handles it captures keep their
   * entities; its parameters may be bound to handles passed as arguments). Returns the join of
   * its exits. Its own returns do not end the enclosing function.
   */
  private interpretLiteral(lit: SyntaxNode, st: State, ctx: FnCtx, bound: (number | undefined)[]): State {
    const body = lit.childForFieldName('body');
    if (!body) return st;
    const inner: FnCtx = {
      decl: lit,
      name: ctx.name,
      scopes: [...ctx.scopes],
      targets: [],
      returns: [],
      baseDepth: 0,
      unstructured: false,
      paramFacts: ctx.paramFacts,
      resultIsCmd: false,
      returnedPrograms: [],
    };
    const params = lit.childForFieldName('parameters');
    const paramNames: string[] = [];
    if (params) for (const p of named(params)) for (const n of p.childrenForFieldName('name')) if (n.type === 'identifier') paramNames.push(n.text);
    const end = this.execBlock(body, st, inner, true, (scope) => {
      paramNames.forEach((name, i) => {
        const v: VarInfo = { id: ++this.varSeq, name, entity: bound[i] };
        scope.names.set(name, v);
      });
    });
    if (inner.unstructured) ctx.unstructured = true;
    if (!end.dead) this.leaveFunction(inner, end, body.lastChild ?? body, 'return');
    return join(inner.returns);
  }

  private call(node: SyntaxNode, st: State, ctx: FnCtx): ExprResult {
    const fn = node.childForFieldName('function');
    const argList = node.childForFieldName('arguments');
    const args = argList ? named(argList).filter((a) => a.type !== 'comment') : [];
    if (!fn) return { st };
    const fnType = fn.type;

    if (fnType === 'func_literal') {
      // Immediately invoked: `func(c *exec.Cmd) { ... }(cmd)`.
      const bound: (number | undefined)[] = [];
      for (const a of args) {
        const e = this.entityOf(a, ctx);
        bound.push(e);
        if (e === undefined) st = this.expr(a, st, ctx).st;
      }
      return { st: this.interpretLiteral(fn, st, ctx, bound) };
    }

    if (fnType === 'selector_expression') {
      const operand = fn.childForFieldName('operand')!;
      const field = fn.childForFieldName('field')?.text ?? '';
      const operandType = operand.type;
      const operandName = operandType === 'identifier' ? operand.text : undefined;
      const pkgPath = operandName !== undefined && !this.lookup(ctx, operandName) ? this.imports.byName.get(operandName) : undefined;
      if (pkgPath !== undefined) return this.packageCall(node, pkgPath, operandName!, field, args, st, ctx);

      // Methods on a handle.
      const recv = this.entityOf(operand, ctx);
      if (recv !== undefined) return this.handleMethod(node, fn, operand, recv, field, args, st, ctx);

      // `exec.Command(...).Start()`: the Cmd is never stored.
      if (operandType === 'call_expression') {
        const inner = this.expr(operand, st, ctx);
        st = inner.st;
        if (inner.desc?.kind === 'new') {
          st = this.argsEffect(args, st, ctx, undefined);
          if (field === 'Start' || WAITING_METHODS.has(field)) {
            const rec = this.site(node, `exec.Cmd.${field}`, this.creations[inner.desc.creation], ctx, fn.childForFieldName('field') ?? undefined);
            rec.statement = statementOf(node);
            if (!st.dead) rec.reached = true;
            if (WAITING_METHODS.has(field)) {
              rec.waitsItself = true;
              return { st };
            }
            if (!st.dead) rec.leaks.set(`${node.startIndex}:discarded`, { node, kind: 'discarded' });
            return { st };
          }
          return { st };
        }
        return { st: this.argsEffect(args, st, ctx, `.${field}`) };
      }

      // A Cmd kept in a struct field: `s.cmd.Start()`.
      if (operandType === 'selector_expression' && (field === 'Start' || WAITING_METHODS.has(field))) {
        const fieldName = operand.childForFieldName('field')?.text ?? '';
        if (this.cmdFields.has(fieldName) || this.pkgFieldIsCmd(fieldName)) {
          st = this.expr(operand, st, ctx).st;
          st = this.argsEffect(args, st, ctx, undefined);
          const rec = this.site(node, `exec.Cmd.${field}`, null, ctx, fn.childForFieldName('field') ?? undefined);
          rec.field = fieldName;
          if (!st.dead) rec.reached = true;
          if (WAITING_METHODS.has(field)) rec.waitsItself = true;
          else rec.escapes.push({ line: lineOf(node), why: `the Cmd lives in the struct field ${fieldName}, which other code can Wait for` });
          return { st };
        }
      }

      // Some other method call: its receiver and arguments are ordinary expressions.
      st = this.expr(operand, st, ctx).st;
      const goexit = GOEXIT_METHODS.has(field) && operandName !== undefined && /^(t|b|tb|f)$/.test(operandName);
      return { st: this.argsEffect(args, st, ctx, `.${field}`), terminates: goexit ? 'goexit' : undefined };
    }

    if (fnType === 'identifier' && !this.lookup(ctx, fn.text)) {
      const name = fn.text;
      if (name === 'panic') {
        for (const a of args) st = this.expr(a, st, ctx).st;
        // An unrecovered panic ends the process; init reaps what it leaves.
        return { st, terminates: 'exit' };
      }
      if (name === 'append') {
        args.forEach((a, i) => {
          const e = this.entityOf(a, ctx);
          if (e !== undefined && i > 0) this.escape(st, ctx, e, a, 'appended to a slice');
          else st = this.expr(a, st, ctx).st;
        });
        return { st };
      }
      if (name === 'len' || name === 'cap' || name === 'print' || name === 'println') {
        for (const a of args) if (this.entityOf(a, ctx) === undefined) st = this.expr(a, st, ctx).st;
        return { st };
      }
      const summary = this.funcSummary(name);
      st = this.argsEffect(args, st, ctx, name);
      if (summary?.returnsCmd) {
        const creation: Creation = { node, program: summary.returnsCmd.program, programSource: summary.returnsCmd.programSource };
        this.creations.push(creation);
        return { st, desc: { kind: 'new', creation: this.creations.length - 1 } };
      }
      return { st };
    }

    st = this.expr(fn, st, ctx).st;
    return { st: this.argsEffect(args, st, ctx, undefined, fn.text.length <= 40 ? fn.text : undefined) };
  }

  private pkgFieldIsCmd(name: string): boolean {
    this.consulted.add(`field:${name}`);
    return this.pkg.isCmdField(name);
  }

  /**
   * Another round is needed only if some analysis in this one read a local summary that was then
   * (re)computed differently: when every summary read is the final one (a callee declared before
   * its callers, no calls between them), the next round would read the same summaries and repeat
   * this one exactly, so the loop in scan() would stop after it with the same result.
   */
  private sawFinalSummaries(): boolean {
    for (const [key, seen] of this.summariesSeen) {
      const final = JSON.stringify(this.localSummaries.get(key) ?? null);
      for (const s of seen) if (JSON.stringify(s ?? null) !== final) return false;
    }
    return true;
  }

  private funcSummary(key: string): GoFuncSummary | undefined {
    const local = this.localSummaries.get(key);
    if (local || this.localFuncs.has(key)) {
      let seen = this.summariesSeen.get(key);
      if (!seen) this.summariesSeen.set(key, (seen = new Set()));
      seen.add(local);
      return local;
    }
    this.consulted.add(`func:${key}`);
    return this.pkg.func(key);
  }

  /**
   * Arguments of a call to `callee` (a same-package function key, `.method`, or undefined for
   * unknown code): handles passed in are waited, untouched or escape per the callee's summary.
   */
  private argsEffect(args: SyntaxNode[], st: State, ctx: FnCtx, callee: string | undefined, calleeText?: string): State {
    const summary = callee ? this.funcSummary(callee) : undefined;
    args.forEach((a, i) => {
      const e = this.entityOf(a, ctx);
      if (e === undefined) {
        st = this.expr(a, st, ctx).st;
        return;
      }
      const s = summary?.params[i];
      if (s === 'waits') this.markWaited(st, ctx, e, a, `handed to ${callee?.replace(/^\./, '')}(), which waits for it`);
      else if (s === 'never') return;
      else this.escape(st, ctx, e, a, `passed to ${callee ? `${callee.replace(/^\./, '')}()` : calleeText ? `${calleeText}()` : 'a call'}`);
    });
    return st;
  }

  private packageCall(node: SyntaxNode, path: string, pkgName: string, field: string, args: SyntaxNode[], st: State, ctx: FnCtx): ExprResult {
    if (path === 'os/exec' && (field === 'Command' || field === 'CommandContext')) {
      for (const a of args) st = this.expr(a, st, ctx).st;
      const programArg = args[field === 'Command' ? 0 : 1];
      const prog = programArg ? this.program(programArg, ctx) : { program: null };
      this.creations.push({ node, ...prog });
      return { st, desc: { kind: 'new', creation: this.creations.length - 1 } };
    }
    if ((path === 'os' && field === 'StartProcess') || (path === 'syscall' && (field === 'ForkExec' || field === 'StartProcess'))) {
      for (const a of args) st = this.expr(a, st, ctx).st;
      const prog = args[0] ? this.program(args[0], ctx) : { program: null };
      const rec = this.site(node, `${path}.${field}`, { node, ...prog }, ctx);
      rec.statement = statementOf(node);
      if (!st.dead) rec.reached = true;
      return { st, desc: { kind: 'started', site: rec.index, handle: path === 'os' ? 'process' : 'pid' } };
    }
    if (path === 'syscall' && field === 'Wait4') {
      const first = args[0];
      const e = this.entityOf(first ?? null, ctx);
      if (e !== undefined) this.markWaited(st, ctx, e, node, `syscall.Wait4(${first.text})`);
      else if (first && /^-1$/.test(first.text.replace(/\s/g, ''))) this.reapsAnyChild ??= lineOf(node);
      for (const a of args.slice(1)) st = this.expr(a, st, ctx).st;
      return { st };
    }
    if (path === 'os/signal' && field === 'Ignore' && args.some((a) => a.text.endsWith('SIGCHLD'))) {
      this.ignoresSigchld ??= lineOf(node);
      return { st };
    }
    if (path === 'os' && field === 'Exit') {
      for (const a of args) st = this.expr(a, st, ctx).st;
      return { st, terminates: 'exit' };
    }
    if (path === 'os' && field === 'FindProcess') {
      // `p, _ := os.FindProcess(pid)`: the *os.Process is another handle on the same child.
      for (const a of args) if (this.entityOf(a, ctx) === undefined) st = this.expr(a, st, ctx).st;
      return { st };
    }
    if (path === 'log') {
      for (const a of args) if (this.entityOf(a, ctx) === undefined) st = this.expr(a, st, ctx).st;
      if (LOG_EXIT.has(field) || LOG_PANIC.has(field)) return { st, terminates: 'exit' };
      if (LOG_PRINT.has(field) || field.startsWith('Set')) return { st };
      return { st };
    }
    if (NEVER_WAITING_PACKAGES.has(path)) {
      for (const a of args) if (this.entityOf(a, ctx) === undefined) st = this.expr(a, st, ctx).st;
      return { st };
    }
    for (const a of args) {
      const e = this.entityOf(a, ctx);
      if (e !== undefined) this.escape(st, ctx, e, a, `passed to ${pkgName}.${field}()`);
      else st = this.expr(a, st, ctx).st;
    }
    return { st };
  }

  private handleMethod(node: SyntaxNode, fn: SyntaxNode, operand: SyntaxNode, recv: number, field: string, args: SyntaxNode[], st: State, ctx: FnCtx): ExprResult {
    const entity = this.entities[recv];
    const viaProcess = operand.type === 'selector_expression'; // cmd.Process.X()
    for (const a of args) if (this.entityOf(a, ctx) === undefined) st = this.expr(a, st, ctx).st;
    if (entity.kind === 'cmd' && !viaProcess && (field === 'Start' || WAITING_METHODS.has(field))) {
      const creation = this.uniqueCreation(st, recv);
      const rec = this.site(node, `exec.Cmd.${field}`, creation ?? { node, program: null }, ctx, fn.childForFieldName('field') ?? undefined);
      rec.entity = recv;
      rec.variable = operand.text;
      rec.statement = statementOf(node);
      if (creation && creation.node.type === 'call_expression' && creation.node !== node) rec.commandLine = lineOf(creation.node);
      rec.scopeBlock = this.scopeBlockOf(ctx, recv);
      if (!st.dead) rec.reached = true;
      if (WAITING_METHODS.has(field)) {
        rec.waitsItself = true;
        st.set(recv, ['waited']);
        return { st };
      }
      // Start: whatever the handle held before, it now has this child running.
      const facts = ctx.paramFacts.get(recv);
      if (facts && st.get(recv).has('entry')) facts.escaped = true; // the callee starts the caller's Cmd
      st.set(recv, [`p${rec.index}`]);
      return { st, desc: { kind: 'startErr', site: rec.index, entity: recv } };
    }
    if (field === 'Wait') {
      this.markWaited(st, ctx, recv, node, `${node.text}`);
      return { st };
    }
    if (PIPE_METHODS.has(field)) return { st };
    if ((entity.kind === 'process' || viaProcess) && (field === 'Kill' || field === 'Signal' || field === 'Release')) {
      for (const v of st.get(recv)) {
        if (!v.startsWith('p')) continue;
        const rec = this.sites[Number(v.slice(1))];
        (field === 'Release' ? rec.releases : rec.kills).push(node);
      }
      return { st };
    }
    return { st };
  }

  private scopeBlockOf(ctx: FnCtx, entity: number): SyntaxNode | undefined {
    for (let i = ctx.scopes.length - 1; i >= 0; i--) {
      for (const v of ctx.scopes[i].names.values()) if (v.entity === entity) return ctx.scopes[i].block ?? undefined;
    }
    return undefined;
  }

  private site(call: SyntaxNode, api: string, creation: Creation | null, ctx: FnCtx, method?: SyntaxNode): SiteRec {
    const key = `${call.startIndex}`;
    let rec = this.siteByKey.get(key);
    if (!rec) {
      rec = {
        index: this.sites.length,
        call,
        method,
        api,
        program: creation?.program ?? null,
        programSource: creation?.programSource,
        flag: creation?.flag,
        reached: false,
        leaks: new Map(),
        waits: [],
        escapes: [],
        kills: [],
        releases: [],
      };
      void ctx;
      this.sites.push(rec);
      this.siteByKey.set(key, rec);
    } else if (creation && rec.program !== creation.program) {
      // Two different builders reach the same Start (a loop or a branch): the program is not unique.
      if (rec.program !== null) rec.program = null;
    }
    return rec;
  }

  // -------------------------------------------------------------------------------------------
  // Programs.

  /** What a program argument names, when it can be known from the source. */
  private program(arg: SyntaxNode, ctx: FnCtx): { program: string | null; programSource?: ProgramSource; flag?: string } {
    const lit = stringValue(arg);
    if (lit !== undefined) return { program: lit, programSource: 'literal' };
    if (arg.type === 'parenthesized_expression' && arg.namedChild(0)) return this.program(arg.namedChild(0)!, ctx);
    if (arg.type === 'identifier') {
      const local = this.lookup(ctx, arg.text);
      if (local) return local.literal !== undefined ? { program: local.literal, programSource: 'constant' } : { program: null };
      const c = this.constants.get(arg.text) ?? this.pkgConstant(arg.text);
      if (c !== undefined) return { program: c, programSource: 'constant' };
      return { program: null };
    }
    if (arg.type === 'unary_expression' && arg.childForFieldName('operator')?.text === '*') {
      const operand = arg.childForFieldName('operand');
      if (operand?.type === 'identifier' && !this.lookup(ctx, operand.text)) {
        const f = this.flags.get(operand.text) ?? this.pkgFlag(operand.text);
        if (f && f.value) return { program: f.value, programSource: 'flag-default', flag: f.flag };
        if (f) return { program: null, flag: f.flag };
      }
      return { program: null };
    }
    if (arg.type === 'index_expression') {
      // os.Args[0]: the program runs itself again.
      const operand = arg.childForFieldName('operand');
      const index = arg.childForFieldName('index');
      if (operand?.type === 'selector_expression' && index?.text === '0') {
        const pkg = operand.childForFieldName('operand')?.text;
        if (pkg && this.osNames.has(pkg) && operand.childForFieldName('field')?.text === 'Args') return { program: null, programSource: 'self' };
      }
      return { program: null };
    }
    if (arg.type === 'call_expression') {
      const fn = arg.childForFieldName('function');
      if (fn?.type === 'selector_expression') {
        const pkg = fn.childForFieldName('operand')?.text ?? '';
        const field = fn.childForFieldName('field')?.text;
        const args = named(arg.childForFieldName('arguments')!);
        if (this.pathNames.has(pkg) && (field === 'Join' || field === 'Base') && args.length) {
          const last = this.program(args[args.length - 1], ctx);
          if (last.program !== null) return { program: baseName(last.program), programSource: 'path-base' };
        }
      }
    }
    return { program: null };
  }

  private pkgConstant(name: string): string | undefined {
    this.consulted.add(`const:${name}`);
    return this.pkg.constant(name);
  }

  private pkgFlag(name: string): { flag: string; value: string } | undefined {
    this.consulted.add(`flag:${name}`);
    return this.pkg.flag(name);
  }

  // -------------------------------------------------------------------------------------------
  // Results.

  private finishSite(rec: SiteRec): SpawnSite {
    const r = rangeOf(rec.call);
    const site: SpawnSite = {
      file: this.file,
      line: r.startLine,
      column: r.startColumn,
      language: 'go',
      api: rec.api,
      program: rec.program,
      waited: 'unknown',
      reason: '',
      range: r,
      function: functionName(rec.call),
    };
    if (rec.programSource) site.programSource = rec.programSource;
    if (rec.programSource === 'self') site.forksSelf = true;
    const go: SpawnSite['go'] = {};
    if (rec.variable) go.variable = rec.variable;
    if (rec.commandLine) go.commandLine = rec.commandLine;
    if (rec.field) go.field = rec.field;
    if (rec.flag) go.flag = rec.flag;
    site.go = go;
    const name = rec.variable ?? (rec.api.startsWith('exec.') ? 'the Cmd' : 'the child');
    const waitWord = rec.api === 'syscall.ForkExec' || rec.api === 'syscall.StartProcess' ? 'syscall.Wait4' : rec.variable ? `${rec.variable}.Wait()` : 'Wait()';

    const unstructured = this.unstructuredSites.has(rec.index);
    if (rec.waitsItself) {
      site.waited = 'yes';
      site.reason = `${rec.api.replace('exec.Cmd.', '')}() starts the child and waits for it`;
    } else if (!rec.reached) {
      site.reason = 'not reached on any path the analysis follows';
    } else if (unstructured) {
      site.reason = 'the function uses goto; its paths are not followed';
    } else if (rec.leaks.size > 0) {
      site.waited = 'no';
      const leaks = [...rec.leaks.values()].sort((a, b) => a.node.startIndex - b.node.startIndex);
      site.leak = rec.waits.length === 0 && rec.escapes.length === 0 ? 'always' : 'some-paths';
      const where = leaks.map((l) => leakWords(l, name)).join('; ');
      site.reason =
        site.leak === 'always'
          ? `never waited: no ${waitWord} on any path (${where})`
          : `not waited on every path: ${where}, while ${rec.waits[0] ? `${rec.waits[0].how} at line ${rec.waits[0].line}` : `it escapes at line ${rec.escapes[0].line}`} covers the others`;
    } else if (rec.escapes.length > 0) {
      const e = rec.escapes[0];
      site.reason = rec.field ? `${e.why} (line ${e.line})` : `${name} escapes: ${e.why} (line ${e.line})`;
    } else if (rec.waits.length > 0) {
      site.waited = 'yes';
      const w = rec.waits[0];
      site.reason = `${w.how} at line ${w.line}`;
    } else {
      // Started, never waited, never lost: the function never returns (a server loop).
      site.waited = 'no';
      site.leak = 'always';
      site.reason = `never waited: no ${waitWord} anywhere, and the function never returns`;
    }
    if (site.waited === 'no' && (rec.kills.length || rec.releases.length)) {
      const k = rec.releases[0] ?? rec.kills[0];
      site.reason += `; ${k.text} at line ${lineOf(k)} does not reap it`;
    }
    return site;
  }

  private findingsFor(rec: SiteRec, site: SpawnSite): SiteFinding[] {
    if (site.waited !== 'no') return [];
    const code: FindingCode =
      rec.api === 'os.StartProcess' ? 'go-startprocess-without-wait' : rec.api.startsWith('syscall.') ? 'go-forkexec-without-wait' : 'go-start-without-wait';
    const name = rec.variable ?? 'the Cmd';
    const call = rec.api === 'os.StartProcess' || rec.api.startsWith('syscall.') ? `${rec.api}()` : `${rec.variable ?? 'exec.Command(...)'}.Start()`;
    const message =
      site.leak === 'always'
        ? `${call} starts a child that is never waited for: when it exits it stays a zombie (<defunct>) until this program ends. ${rec.api.startsWith('exec.') ? `Call ${name}.Wait() (or use Run()).` : 'Wait for it.'}`
        : `${call}: the child is not waited for on every path (${[...rec.leaks.values()].map((l) => `line ${lineOf(l.node)}`).join(', ')}); there it stays a zombie after it exits.`;
    const finding: SiteFinding = {
      code,
      file: this.file,
      range: rangeOf(rec.call),
      severity: 'warning',
      message,
      site,
      related: [...rec.leaks.values()].map((l) => ({ range: rangeOf(l.node), message: leakWords(l, name) })),
    };
    const fix = this.fixFor(rec, site);
    if (fix) finding.fix = fix;
    const out = [finding];
    for (const k of rec.kills) {
      out.push({
        code: 'go-kill-without-wait',
        file: this.file,
        range: rangeOf(k),
        severity: 'warning',
        message: `${k.text} sends a signal but does not reap the child: it stays a zombie until someone calls Wait().`,
        site,
      });
    }
    for (const k of rec.releases) {
      out.push({
        code: 'go-release-without-wait',
        file: this.file,
        range: rangeOf(k),
        severity: 'warning',
        message: `${k.text} frees the handle without reaping the child: on Unix it stays a zombie after it exits. Call Wait() instead.`,
        site,
      });
    }
    return out;
  }

  /**
   * An edit only when it is the one obvious change:
   * - Start() -> Run() when nothing touches the Cmd after the Start statement (no pipes to read,
   *   no Process to signal): the child then runs to completion right there, as the seed's fix did.
   * - Otherwise, with a single leaking exit, `_ = x.Wait()` inserted just before it.
   */
  private fixFor(rec: SiteRec, site: SpawnSite): SiteFix | undefined {
    const leaks = [...rec.leaks.values()];
    if (rec.api === 'exec.Cmd.Start' && rec.method && site.leak === 'always' && !this.usedAfter(rec)) {
      return {
        kind: 'start-to-run',
        title: 'Use Run() instead of Start(): it waits for the child',
        edits: [{ range: rangeOf(rec.method), newText: 'Run' }],
      };
    }
    if (!rec.variable || leaks.length !== 1 || rec.api.startsWith('syscall.')) return undefined;
    const leak = leaks[0];
    const waitCall = rec.api === 'os.StartProcess' ? `_, _ = ${rec.variable}.Wait()` : `_ = ${rec.variable}.Wait()`;
    const lines = this.text.split('\n');
    if (leak.kind === 'return' && leak.node.type === 'return_statement') {
      const row = leak.node.startPosition.row;
      const indent = /^\s*/.exec(lines[row])![0];
      if (indent.length !== leak.node.startPosition.column) return undefined; // something precedes it on the line
      return insertAt(row, `${indent}${waitCall}\n`, `Insert ${waitCall.replace(/^_(, _)? = /, '')} before this return`);
    }
    if (leak.kind === 'scope-end' && leak.node.type === '}') {
      const row = leak.node.startPosition.row;
      const indent = /^\s*/.exec(lines[row])![0];
      if (indent.length !== leak.node.startPosition.column) return undefined;
      return insertAt(row, `${indent}\t${waitCall}\n`, `Insert ${waitCall.replace(/^_(, _)? = /, '')} where ${rec.variable} goes out of scope`);
    }
    return undefined;
  }

  /** Is the Cmd's variable used after the statement that starts it (outside that statement)? */
  private usedAfter(rec: SiteRec): boolean {
    if (!rec.variable) return false; // exec.Command(...).Start(): nothing can use it
    const stmt = rec.statement ?? rec.call;
    const scope = rec.scopeBlock ?? stmt.parent;
    if (!scope) return true;
    let used = false;
    let pipes = false;
    walk(scope, (n) => {
      if (used) return false;
      if (n.type === 'identifier' && n.text === rec.variable) {
        if (n.startIndex >= stmt.endIndex) used = true;
        // Pipes set up before Start would be read after it; Run would deadlock or lose them.
        const sel = n.parent;
        if (sel?.type === 'selector_expression' && PIPE_METHODS.has(sel.childForFieldName('field')?.text ?? '')) pipes = true;
      }
      return true;
    });
    return used || pipes;
  }
}

function insertAt(row: number, text: string, title: string): SiteFix {
  const at: SourceRange = { startLine: row + 1, startColumn: 1, endLine: row + 1, endColumn: 1 };
  return { kind: 'insert-wait', title, edits: [{ range: at, newText: text }] };
}

function leakWords(l: Leak, name: string): string {
  const line = lineOf(l.node);
  switch (l.kind) {
    case 'return': return `returns at line ${line} without it`;
    case 'goexit': return `the test ends at line ${line} without it`;
    case 'scope-end': return `${name} goes out of scope at line ${line}`;
    case 'overwrite': return `${name} is overwritten at line ${line}`;
    case 'discarded': return `the handle is discarded at line ${line}, so nothing can wait for it`;
  }
}

function fieldOf(parent: SyntaxNode, child: SyntaxNode): string | null {
  for (let i = 0; i < parent.childCount; i++) {
    const c = parent.child(i);
    if (c && c.startIndex === child.startIndex && c.endIndex === child.endIndex && c.type === child.type) return parent.fieldNameForChild(i);
  }
  return null;
}

/** The last token of a node (the closing brace of a block or statement). */
function lastToken(node: SyntaxNode): SyntaxNode {
  // lastChild once a level: it is a call into WASM that walks the children.
  let n = node;
  for (let c = n.lastChild; c; c = n.lastChild) n = c;
  return n;
}

function statementOf(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.parent && !/(_statement|_declaration)$/.test(n.type)) n = n.parent;
  // `if err := cmd.Start(); err != nil {...}`: the whole if is the Start statement.
  if (n.parent?.type === 'if_statement' && n.parent.childForFieldName('initializer')?.equals(n)) return n.parent;
  return n;
}

function functionName(node: SyntaxNode): string | undefined {
  for (let p: SyntaxNode | null = node.parent; p; p = p.parent) {
    if (p.type === 'function_declaration' || p.type === 'method_declaration') return displayName(p);
  }
  return undefined;
}

type Desc =
  | { kind: 'new'; creation: number }
  | { kind: 'started'; site: number; handle: HandleKind; entity?: number }
  | { kind: 'startErr'; site: number; entity: number };

interface ExprResult {
  st: State;
  desc?: Desc;
  terminates?: 'exit' | 'goexit';
}

/** Scans one parsed Go file; `text` is the exact string that was parsed. */
export function scanGo(root: SyntaxNode, file: string, pkg: GoPackageView = EMPTY_PACKAGE, text?: string): GoFileFacts {
  return new GoScanner(root, file, pkg, text).scan();
}
