/**
 * Go function bodies lowered to the engine's IR (engine/ir.ts): each *exec.Cmd, *os.Process or
 * pid a function holds becomes a handle, each Start/StartProcess/ForkExec/pty.Start a spawn, each
 * Wait/Wait4 a wait, Kill/Signal a kill, Release a release; `err != nil` after a Start is a
 * condition on that spawn's outcome. Struct fields of type *exec.Cmd are cells (`@.name`), judged
 * package-wide. Function literals are functions of their own whose extra parameters are the
 * handles they capture, so `go func() { cmd.Wait() }()`, `defer func() {...}()` and immediately
 * invoked literals go through the same summaries as named helpers.
 *
 * The knowledge of the APIs (which call starts, waits, names a program) is go.ts's; this file only
 * maps statements to the IR, with go-expr.ts (expressions and calls), go-assign.ts (assignments
 * and returns) and go-cond.ts (conditions). Anything it cannot follow becomes an escape (unknown), never a loss.
 */
import { childBodies, type Cond, type FunctionIR, type Handle, type Node } from '../engine/ir';
import type { SyntaxNode } from '../parser';
import { named, rangeOf, unescape } from '../syntax';
import { lowerAssign, lowerReturn } from './go-assign';
import { goosArm, lowerCond } from './go-cond';
import { lowerArgs, lowerExpr } from './go-expr';
import type { SourceRange } from '../types';

export type HandleKind = 'cmd' | 'process' | 'pid';

/** What go.ts tells the lowering about the file and its package. */
export interface GoLowerHost {
  /** The handle kind of a type node, if it is *exec.Cmd / *os.Process. */
  handleType(type: SyntaxNode | null): HandleKind | undefined;
  /** A package-qualified call (`exec.Command`, `os.StartProcess`...), lowered by go.ts's API table; undefined: not a package call. */
  packageCall(call: SyntaxNode, pkg: string, field: string, args: SyntaxNode[], l: FnLower, out: Node[]): Desc | undefined | 'none';
  /** A site is made for this call (its id); `creation` is the Cmd's builder when known. */
  site(call: SyntaxNode, api: string, creation: number | null, detail: { method?: SyntaxNode; variable?: string; field?: string }): number;
  /** Is `name` a *exec.Cmd struct field of the package? */
  isCmdField(name: string): boolean;
  /** Is `key` a function of this file or the package, and what kind of handle does it return? */
  funcInfo(key: string, line: number): { known: boolean; result?: HandleKind; resultIndex?: number; creation?: number; errorLast?: boolean };
  /** The variable a started child (os.StartProcess, ForkExec) is kept in. */
  siteVariable(site: number, name: string): void;
  /** Counts a `x.field` use the lowering understood (for judging fields package-wide). */
  fieldSeen(name: string): void;
  /** `exec.Cmd{Path: ..., Args: ...}`: a Cmd built as a struct literal (its program from Path), or undefined. */
  cmdLiteral(lit: SyntaxNode, l: FnLower, out: Node[]): Desc | undefined;
  /** A call true only when its first argument, an error, is not nil (`errors.Is(err, …)`, a package's `isENOEXEC(err)`): in words, or undefined. */
  errPredicate(call: SyntaxNode): string | undefined;
  /** A condition decided by the OS (`runtime.GOOS != "windows"`, a package's `isWindows`): its value on every OS with zombies. */
  platform(cond: SyntaxNode): { holds: boolean; words: string } | undefined;
  /** Is this `runtime.GOOS`? */
  isGoos(node: SyntaxNode | null): boolean;
  /** `case "windows":` of a switch on runtime.GOOS: the case's value on every OS with zombies. */
  goosCase(value: SyntaxNode): { holds: boolean; words: string } | undefined;
}

/** What an expression gave, for its consumer (an assignment, a statement, a return...). */
export type Desc =
  /** An un-started Cmd (exec.Command, or a helper returning one), by creation index. */
  | { k: 'new'; creation: number }
  /** A started child not yet put anywhere: the consumer emits the spawn with its `into`. */
  | { k: 'spawn'; node: Extract<Node, { op: 'spawn' }>; kind: HandleKind }
  /** The error result of a Start already lowered into `h`. */
  | { k: 'startErr'; h: Handle }
  /** A call of a package function returning a handle: the consumer emits it with its `into`. */
  | { k: 'call'; node: Extract<Node, { op: 'call' }>; kind: HandleKind; index: number; creation?: number; errorLast?: boolean }
  /** A read of a Cmd field (a cell). */
  | { k: 'cell'; cell: Handle };

export interface Var {
  name: string;
  handle: Handle;
  kind?: HandleKind;
  /** A string literal or constant it was given (program names). */
  literal?: string;
  /** Which creations (exec.Command calls) it may hold: unique -> the site's program. */
  creations?: Set<number>;
  /** It aliases a Cmd field: its operations are the cell's. */
  cell?: Handle;
  owner: FnLower;
  /** Assignments after its declaration (an address taken counts as many). */
  assigns?: number;
  /** A Cmd handed on as a value before it was started (into a struct literal...): where, in words. */
  handedOn?: string;
}

interface Frame {
  kind: 'loop' | 'switch';
  goLabel?: string;
  label: string;
  used: boolean;
}


let seq = 0;
const NO_CREATIONS: Map<Var, Set<number> | undefined> = new Map();
/** A name no source can have: temporaries (`$t3`), loop labels. */
export function fresh(prefix: string): string {
  return `${prefix}${++seq}`;
}

/** The lowering of one function (or function literal). */
export class FnLower {
  readonly scopes: Map<string, Var>[] = [];
  private readonly frames: Frame[] = [];
  /** err variable -> the handle whose Start gave it. */
  readonly errs = new Map<Var, Handle>();
  /** Call node start -> the handle its Start lowered into (for `cmd.Start() != nil`). */
  readonly startCalls = new Map<number, Handle>();
  readonly captured = new Set<Var>();
  /** The creations of the Cmds this function returns (null: not known), for its callers' program names. */
  readonly returned: (number | null)[] = [];
  readonly startedParams = new Set<Handle>();
  readonly functions: FunctionIR[] = [];
  unstructured?: string;
  readonly paramHandles = new Set<Handle>();
  /** Variables that held a Cmd: their creations are merged where branches meet. */
  readonly cmdVars = new Set<Var>();

  /** Conditions on plain variables, keyed; a variable assigned again loses its key (see Cond `opaque`). */
  private readonly keyed: { v: Var; c: Extract<Cond, { k: 'opaque' }> }[];

  /** `c` tests the plain variable `v`: keyed, unless `v` is assigned again (settleKeys). */
  keyCond(v: Var, c: Extract<Cond, { k: 'opaque' }>): void {
    this.keyed.push({ v, c });
  }

  constructor(
    readonly host: GoLowerHost,
    readonly display: string,
    parent?: FnLower,
  ) {
    if (parent) this.scopes.push(...parent.scopes);
    this.keyed = parent ? parent.keyed : [];
  }

  /** Once the whole declaration is lowered: keys only for variables never assigned after their declaration. */
  settleKeys(): void {
    for (const { v, c } of this.keyed) if ((v.assigns ?? 0) > 0) delete c.key;
  }

  // --- names ---

  declare(name: string): Var {
    const v: Var = { name, handle: `${name}#${++seq}`, owner: this };
    if (name !== '_') this.scopes[this.scopes.length - 1].set(name, v);
    return v;
  }

  lookup(name: string): Var | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const v = this.scopes[i].get(name);
      if (v) return v;
    }
    return undefined;
  }

  /** The handle name an operation on `v` uses (recording a capture by a literal). */
  h(v: Var): Handle {
    if (v.cell) return v.cell;
    if (v.owner !== this) this.captured.add(v);
    return v.handle;
  }

  /** The handle variable an expression denotes: `cmd`, `(cmd)`, `&cmd`, `cmd.Process`. */
  entityOf(node: SyntaxNode | null): Var | undefined {
    if (!node) return undefined;
    const type = node.type;
    if (type === 'identifier') {
      const v = this.lookup(node.text);
      return v?.kind ? v : undefined;
    }
    if (type === 'parenthesized_expression') return this.entityOf(node.namedChild(0));
    if (type === 'unary_expression' && node.childForFieldName('operator')?.text === '&') return this.entityOf(node.childForFieldName('operand'));
    if (type === 'selector_expression' && node.childForFieldName('field')?.text === 'Process') {
      const v = this.entityOf(node.childForFieldName('operand'));
      return v?.kind === 'cmd' ? v : undefined;
    }
    return undefined;
  }

  /** `x.f` where f is a Cmd field: its cell. */
  cellOf(node: SyntaxNode | null): Handle | undefined {
    if (!node || node.type !== 'selector_expression') return undefined;
    const field = node.childForFieldName('field')?.text ?? '';
    if (field === 'Process') return this.cellOf(node.childForFieldName('operand'));
    if (!this.host.isCmdField(field)) return undefined;
    this.host.fieldSeen(field);
    return `@.${field}`;
  }

  // --- functions ---

  /** Lowers a declaration or literal with `params` (names and handle kinds) and `body`. */
  lowerBody(key: string, paramList: SyntaxNode | null, body: SyntaxNode, exported: boolean, end: SourceRange, receiver?: SyntaxNode | null): FunctionIR {
    this.scopes.push(new Map());
    if (receiver) for (const p of named(receiver)) for (const n of p.childrenForFieldName('name')) this.declare(n.text);
    const params: (Handle | null)[] = [];
    if (paramList) {
      for (const p of named(paramList)) {
        if (p.type !== 'parameter_declaration' && p.type !== 'variadic_parameter_declaration') continue;
        const kind = this.host.handleType(p.childForFieldName('type'));
        const names = p.childrenForFieldName('name').filter((n) => n.type === 'identifier');
        if (!names.length) params.push(null);
        for (const n of names) {
          const v = this.declare(n.text);
          if (kind === 'cmd' || kind === 'process') {
            v.kind = kind;
            params.push(v.handle);
            this.paramHandles.add(v.handle);
          } else params.push(null);
        }
      }
    }
    const out: Node[] = [];
    this.block(body, out, false);
    if (this.startedParams.size) {
      // A Cmd the caller made and this function started: the caller may wait for it.
      insertBeforeReturns(out, [...this.startedParams], end);
    }
    this.scopes.pop();
    return { key, display: this.display, params, body: out, end, exported, unstructured: this.unstructured };
  }

  // --- statements ---

  block(block: SyntaxNode, out: Node[], scoped = true): void {
    this.scopes.push(new Map());
    const body: Node[] = [];
    for (const stmt of named(block)) this.stmt(stmt, body);
    this.closeScope(block, body, out, scoped);
  }

  /** Pops the innermost name scope: a scope node when it declared handles, else the body inline. */
  private closeScope(node: SyntaxNode, body: Node[], out: Node[], scoped: boolean): void {
    const names = this.scopes.pop()!;
    const vars = scoped ? [...names.values()].filter((v) => v.kind && !v.cell).map((v) => v.handle) : [];
    if (vars.length) out.push({ op: 'scope', vars, body, end: endOf(node) });
    else for (const n of body) out.push(n);
  }

  stmt(node: SyntaxNode, out: Node[]): void {
    switch (node.type) {
      case 'block': return this.block(node, out);
      case 'expression_statement': return this.exprStatement(node.namedChild(0), out);
      case 'short_var_declaration':
      case 'assignment_statement': return lowerAssign(this, node, out);
      case 'var_declaration':
        for (const spec of named(node)) if (spec.type === 'var_spec') lowerAssign(this, spec, out);
        return;
      case 'const_declaration':
        for (const spec of named(node)) {
          if (spec.type !== 'const_spec') continue;
          const values = spec.childForFieldName('value');
          const exprs = values ? named(values) : [];
          spec.childrenForFieldName('name').filter((x) => x.type === 'identifier').forEach((n, i) => {
            this.declare(n.text).literal = stringValue(exprs[i] ?? null);
          });
        }
        return;
      case 'if_statement': return this.ifStmt(node, out);
      case 'for_statement': return this.forStmt(node, out);
      case 'expression_switch_statement':
      case 'type_switch_statement':
      case 'select_statement': return this.switchStmt(node, out);
      case 'labeled_statement': {
        const inner = named(node).find((n) => n.type !== 'label_name');
        if (inner) this.stmt(inner, out);
        return;
      }
      case 'return_statement': return lowerReturn(this, node, out);
      case 'go_statement':
      case 'defer_statement': return this.goOrDefer(node, out);
      case 'break_statement':
      case 'continue_statement': return this.jump(node, out);
      case 'goto_statement':
        this.unstructured = 'the function uses goto; its paths are not followed';
        return;
      case 'send_statement': {
        const value = node.childForFieldName('value');
        const v = this.entityOf(value);
        if (v) out.push({ op: 'escape', h: this.h(v), to: 'channel', at: rangeOf(node), why: 'sent on a channel' });
        else if (value) this.consume(this.expr(value, out), value, out);
        const ch = node.childForFieldName('channel');
        if (ch) this.expr(ch, out);
        return;
      }
      case 'inc_statement':
      case 'dec_statement': {
        const target = node.namedChild(0);
        const p = target?.type === 'identifier' ? this.lookup(target.text) : undefined;
        if (p) p.assigns = (p.assigns ?? 0) + 1;
        return;
      }
      case 'fallthrough_statement':
      case 'empty_statement':
      case 'type_declaration':
      case 'comment':
        return;
      default:
        this.consume(this.expr(node, out), node, out);
    }
  }

  private exprStatement(expr: SyntaxNode | null, out: Node[]): void {
    if (!expr) return;
    const d = this.expr(expr, out);
    // A started child nobody keeps: `os.StartProcess(...)` as a statement.
    if (d?.k === 'spawn') out.push({ ...d.node, into: null });
    else if (d?.k === 'call') out.push({ ...d.node, into: null });
  }

  /** A value nobody names: a started child in it goes where we cannot follow. */
  consume(d: Desc | undefined, at: SyntaxNode, out: Node[], why = 'used as a value'): void {
    if (!d) return;
    if (d.k === 'spawn' || d.k === 'call') {
      const t = `$t${++seq}`;
      out.push({ ...d.node, into: t });
      out.push({ op: 'escape', h: t, to: 'other', at: rangeOf(at), why });
    } else if (d.k === 'cell') out.push({ op: 'escape', h: d.cell, to: 'other', at: rangeOf(at), why: `${at.text.length <= 40 ? at.text : 'the field'} ${why}` });
  }

  /** `s.cmd = exec.Command(...)`: the creation a later `s.cmd.Start()` starts. */
  readonly fieldCreations = new Map<string, number>();

  private ifStmt(node: SyntaxNode, out: Node[]): void {
    this.scopes.push(new Map());
    const body: Node[] = [];
    const init = node.childForFieldName('initializer');
    if (init) this.stmt(init, body);
    const condNode = node.childForFieldName('condition');
    const cond = condNode ? lowerCond(this, condNode, body) : ({ k: 'opaque' } as Cond);
    const then: Node[] = [];
    const cons = node.childForFieldName('consequence');
    const before = this.creationsNow();
    if (cons) this.block(cons, then);
    const afterThen = this.creationsNow();
    this.restoreCreations(before);
    const els: Node[] = [];
    const alt = node.childForFieldName('alternative');
    if (alt) this.stmt(alt, els);
    this.mergeCreations(afterThen);
    body.push({ op: 'if', cond, then, else: els });
    this.closeScope(node, body, out, true);
  }

  // Which exec.Command a Cmd variable holds, where branches meet: either arm's (a site after them has no single program when they differ).
  private creationsNow(): Map<Var, Set<number> | undefined> {
    if (!this.cmdVars.size) return NO_CREATIONS;
    const m = new Map<Var, Set<number> | undefined>();
    for (const v of this.cmdVars) m.set(v, v.creations);
    return m;
  }

  private restoreCreations(m: Map<Var, Set<number> | undefined>): void {
    if (!this.cmdVars.size) return;
    for (const v of this.cmdVars) v.creations = m.has(v) ? m.get(v) : undefined;
  }

  private mergeCreations(other: Map<Var, Set<number> | undefined>): void {
    if (!this.cmdVars.size) return;
    for (const v of this.cmdVars) {
      const o = other.get(v);
      if (o !== v.creations) v.creations = new Set([...(o ?? []), ...(v.creations ?? [])]);
    }
  }

  private forStmt(node: SyntaxNode, out: Node[]): void {
    this.scopes.push(new Map());
    const pre: Node[] = [];
    const body: Node[] = [];
    const clause = named(node).find((n) => n.type === 'for_clause' || n.type === 'range_clause');
    const bodyNode = node.childForFieldName('body');
    let infinite = false;
    let update: SyntaxNode | null = null;
    if (clause?.type === 'for_clause') {
      const init = clause.childForFieldName('initializer');
      if (init) this.stmt(init, pre);
      const c = clause.childForFieldName('condition');
      if (c) this.consume(this.expr(c, body), c, body);
      infinite = !c;
      update = clause.childForFieldName('update');
    } else if (clause?.type === 'range_clause') {
      const right = clause.childForFieldName('right');
      if (right) this.consume(this.expr(right, pre), right, pre);
      const left = clause.childForFieldName('left');
      if (left) for (const n of named(left)) if (n.type === 'identifier') this.declare(n.text);
    } else {
      const c = named(node).find((n) => n.id !== bodyNode?.id) ?? null;
      if (c) this.consume(this.expr(c, body), c, body);
      infinite = !c;
    }
    const goLabel = node.parent?.type === 'labeled_statement' ? node.parent.childForFieldName('label')?.text : undefined;
    const frame: Frame = { kind: 'loop', goLabel, label: `$L${++seq}`, used: false };
    this.frames.push(frame);
    const before = this.creationsNow();
    if (bodyNode) this.block(bodyNode, body);
    this.mergeCreations(before);
    this.frames.pop();
    if (update) this.stmt(update, body);
    pre.push({ op: 'loop', body, infinite, label: frame.label, at: rangeOf(node) });
    this.closeScope(node, pre, out, true);
  }

  private switchStmt(node: SyntaxNode, out: Node[]): void {
    this.scopes.push(new Map());
    const pre: Node[] = [];
    const init = node.childForFieldName('initializer');
    if (init) this.stmt(init, pre);
    const value = node.childForFieldName('value');
    if (value) this.consume(this.expr(value, pre), value, pre);
    const onGoos = node.type === 'expression_switch_statement' && this.host.isGoos(value);
    const goLabel = node.parent?.type === 'labeled_statement' ? node.parent.childForFieldName('label')?.text : undefined;
    const frame: Frame = { kind: 'switch', goLabel, label: `$S${++seq}`, used: false };
    this.frames.push(frame);
    const arms: { cond: Cond | 'default'; body: Node[] }[] = [];
    const isSelect = node.type === 'select_statement';
    const before = this.creationsNow();
    const ends: Map<Var, Set<number> | undefined>[] = [before];
    for (const clause of named(node)) {
      const t = clause.type;
      if (t !== 'expression_case' && t !== 'type_case' && t !== 'default_case' && t !== 'communication_case') continue;
      if (arms.length) {
        ends.push(this.creationsNow());
        this.restoreCreations(before);
      }
      this.scopes.push(new Map());
      const inner: Node[] = [];
      const comm = t === 'communication_case' ? clause.childForFieldName('communication') : null;
      const value = t === 'expression_case' ? clause.childForFieldName('value') : null;
      const types = t === 'type_case' ? new Set(clause.childrenForFieldName('type').map((n) => n.id)) : undefined;
      for (const child of named(clause)) {
        if (comm && child.id === comm.id) this.stmt(child, inner);
        else if (value && child.id === value.id) this.consume(this.expr(child, inner), child, inner);
        else if (types?.has(child.id)) continue;
        else this.stmt(child, inner);
      }
      const body: Node[] = [];
      this.closeScope(clause, inner, body, true);
      arms.push({ cond: t === 'default_case' ? 'default' : onGoos && value ? goosArm(this, value) : { k: 'opaque' }, body });
    }
    for (const e of ends) this.mergeCreations(e);
    this.frames.pop();
    // A select without default blocks until a case runs (none: forever).
    if (isSelect && !arms.length) pre.push({ op: 'loop', body: [], infinite: true, at: rangeOf(node) });
    else {
      const sw: Node = { op: 'switch', arms, exhaustive: isSelect };
      if (frame.used) pre.push({ op: 'loop', infinite: true, label: frame.label, body: [sw, { op: 'break', label: frame.label, at: rangeOf(node) }] });
      else pre.push(sw);
    }
    this.closeScope(node, pre, out, true);
  }

  private jump(node: SyntaxNode, out: Node[]): void {
    const goLabel = node.namedChild(0)?.text;
    const isBreak = node.type === 'break_statement';
    let target: Frame | undefined;
    for (let i = this.frames.length - 1; i >= 0 && !target; i--) {
      const f = this.frames[i];
      if (goLabel ? f.goLabel === goLabel : isBreak || f.kind === 'loop') target = f;
    }
    if (!target) {
      out.push({ op: 'unknown', at: rangeOf(node), why: `${node.text} is not followed` });
      return;
    }
    target.used = true;
    out.push({ op: isBreak ? 'break' : 'continue', label: target.label, at: rangeOf(node) });
  }

  /** `go f(x)`: what f does to x happens beside this code; `defer f(x)`: at every return. */
  private goOrDefer(node: SyntaxNode, out: Node[]): void {
    const call = node.namedChild(0);
    if (!call) return;
    const isGo = node.type === 'go_statement';
    const sub: Node[] = [];
    this.consume(this.expr(call, sub), call, sub);
    if (isGo) {
      for (const n of sub) {
        if (n.op === 'wait') out.push({ ...n, how: `${n.how} in a goroutine` });
        else if (n.op === 'call') out.push({ ...n, detached: true, words: n.fn.startsWith('$lit') ? 'the goroutine started here' : n.words });
        else if (n.op !== 'exit' && n.op !== 'throw' && n.op !== 'return') out.push(n);
      }
    } else if (sub.length) {
      out.push({ op: 'defer', at: rangeOf(node), body: sub.map((n) => (n.op === 'wait' ? { ...n, how: `deferred ${n.how}` } : n)) });
    }
  }

  // --- expressions (go-expr.ts) ---

  expr(node: SyntaxNode, out: Node[]): Desc | undefined {
    return lowerExpr(this, node, out);
  }

  args(args: SyntaxNode[], out: Node[]): (Handle | null)[] {
    return lowerArgs(this, args, out);
  }

  literal(lit: SyntaxNode, args: (Handle | null)[] | null, out: Node[], detached = false): Node | undefined {
    const body = lit.childForFieldName('body');
    if (!body) return undefined;
    const inner = new FnLower(this.host, this.display, this);
    const key = `$lit${lit.startIndex}`;
    const fn = inner.lowerBody(key, lit.childForFieldName('parameters'), body, false, endOf(body));
    const captured = [...inner.captured];
    fn.params.push(...captured.map((v) => v.handle));
    this.functions.push(...inner.functions, fn);
    const at = rangeOf(lit);
    if (args === null) {
      // Only what it would wait for or hand on: a closure that only signals the child (a timeout's Kill) takes nothing away.
      const taken = captured.length ? handlesTaken(fn.body, new Map(inner.functions.map((f) => [f.key, f]))) : new Set<Handle>();
      for (const v of captured) {
        if (!v.kind || !taken.has(v.handle)) continue;
        out.push({ op: 'escape', h: this.h(v), to: 'closure', at, why: `captured by a closure at line ${at.startLine}` });
        // A Cmd not started yet: the closure holds the same Cmd, and the child once it starts.
        if (v.kind === 'cmd') v.handedOn ??= `captured by the closure at line ${at.startLine}`;
      }
      return undefined;
    }
    const all = [...args];
    while (all.length < fn.params.length - captured.length) all.push(null);
    all.length = fn.params.length - captured.length;
    all.push(...captured.map((v) => this.h(v)));
    const node: Node = { op: 'call', fn: key, args: all, at, words: `the function literal at line ${at.startLine}`, detached };
    out.push(node);
    return node;
  }

}

/**
 * Handles a body does more to than signal or read: waits, hands on, stores, starts, releases. A
 * call of a nested literal (`go func() { cmd.Process.Kill() }()`) takes what that literal takes.
 */
function handlesTaken(body: Node[], literals: ReadonlyMap<string, FunctionIR>, seen = new Set<string>()): Set<Handle> {
  const out = new Set<Handle>();
  const visit = (nodes: Node[]) => {
    for (const n of nodes) {
      switch (n.op) {
        case 'wait':
        case 'escape':
        case 'release':
        case 'drop': out.add(n.h); break;
        case 'copy': out.add(n.from); out.add(n.to); break;
        case 'spawn': if (n.into) out.add(n.into); break;
        case 'call': {
          const lit = literals.get(n.fn);
          if (lit && !seen.has(n.fn)) {
            seen.add(n.fn);
            const inner = handlesTaken(lit.body, literals, seen);
            n.args.forEach((a, i) => { if (a && lit.params[i] && inner.has(lit.params[i]!)) out.add(a); });
          } else for (const a of n.args) if (a) out.add(a);
          break;
        }
        case 'return': for (const a of n.values) if (a) out.add(a); break;
        default: for (const child of childBodies(n)) visit(child);
      }
    }
  };
  visit(body);
  return out;
}

/** Before every `return` of this function's body (not of nested literals, which are functions of their own) and at its end. */
function insertBeforeReturns(body: Node[], handles: Handle[], end: SourceRange): void {
  const esc = (at: SourceRange): Node[] => handles.map((h) => ({ op: 'escape', h, to: 'caller', at, why: 'the caller made this Cmd and may wait for it' }));
  const visit = (nodes: Node[]) => {
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (n.op === 'return') {
        nodes.splice(i, 0, ...esc(n.at));
        i += handles.length;
        continue;
      }
      for (const child of childBodies(n)) visit(child);
    }
  };
  visit(body);
  body.push(...esc(end));
}

export function stringValue(node: SyntaxNode | null): string | undefined {
  if (!node) return undefined;
  const type = node.type;
  if (type === 'interpreted_string_literal') return unescape(node.text.slice(1, -1));
  if (type === 'raw_string_literal') return node.text.slice(1, -1);
  return undefined;
}


/** The node's last character as a range: the closing brace of a block or a braced statement (one call into WASM, not a walk down to the last token). */
export function endOf(node: SyntaxNode): SourceRange {
  const e = node.endPosition;
  return { startLine: e.row + 1, startColumn: Math.max(1, e.column), endLine: e.row + 1, endColumn: e.column + 1 };
}
