/**
 * The expressions and conditions of C and C++ lowered to the engine's IR: calls (through the
 * scanner's CallModel), assignments and their handles, and tests on a spawn's result. The
 * statements that hold them are lower/c.ts.
 */
import type { Cond, Handle, Node, Outcome } from '../engine/ir';
import type { SyntaxNode } from '../parser';
import { named, rangeOf } from '../syntax';
import type { SourceRange } from '../types';

/** How a spawn's result reads: a pid (0 child, >0 parent, <0 failed), an error code (0 started), a pointer (NULL failed). */
export type ResultKind = 'pid' | 'errcode' | 'ptr';

export type CallModel =
  /** A spawn site; `pidArg`: the argument receiving the pid (`posix_spawn(&pid, ...)`). */
  | { k: 'spawn'; site: number; result: ResultKind; pidArg?: number }
  /** Waits for the pid in argument `arg`. */
  | { k: 'wait'; arg: number }
  /** Waits for any child (`wait(&st)`, `waitpid(-1, ...)`). */
  | { k: 'waitAny' }
  | { k: 'kill'; arg: number }
  | { k: 'exit' }
  /** Sleeps or waits for a signal: the program stays a while (see the IR's `block`). */
  | { k: 'block' }
  /** exec*: replaces the process (in a fork's child: ends it). */
  | { k: 'exec' }
  /** Reads its arguments and keeps nothing (printf, fgets...). */
  | { k: 'harmless' }
  /** A function defined in this file. */
  | { k: 'local'; key: string }
  | { k: 'unknown' };

export interface LowerEnv {
  model(call: SyntaxNode, name: string | undefined): CallModel;
  calleeName(call: SyntaxNode): string | undefined;
  /** File-level variables: name -> exported (not static). */
  globals: ReadonlyMap<string, boolean>;
}

/** What the lowering learnt beside the IR: which exec runs in which fork's child. */
export interface LowerNotes {
  /** exec call (by start index) -> the site whose child runs it. */
  execIn: Map<number, number>;
  /** Local functions called in a site's child branch (their execs name the child). */
  childCalls: Map<number, Set<string>>;
  /** Sites whose child branch was seen. */
  childSeen: Set<number>;
  /** Cells made: name -> words and visibility. */
  cells: Map<Handle, { exported: boolean; words: string }>;
  /** Local functions called by the lowered ones. */
  callees: Set<string>;
}

export interface Value {
  h?: Handle;
  /** How a condition on this value reads the spawn held by `h`. */
  kind?: ResultKind;
}

export const OUTCOMES: Outcome[] = ['parent', 'child', 'failed'];
/** A representative value of each outcome, per result kind. */
export const REP: Record<ResultKind, Partial<Record<Outcome, number>>> = {
  pid: { parent: 1, child: 0, failed: -1 },
  errcode: { parent: 0, failed: 1 },
  ptr: { parent: 1, failed: 0 },
};

export function compare(a: number, op: string, b: number): boolean | undefined {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
    case '<': return a < b;
    case '>': return a > b;
    case '<=': return a <= b;
    case '>=': return a >= b;
    default: return undefined;
  }
}

export const FLIP: Record<string, string> = { '<': '>', '>': '<', '<=': '>=', '>=': '<=', '==': '==', '!=': '!=' };

/** The integer a constant expression stands for (0, -1, NULL...), else undefined. */
export function constant(n: SyntaxNode | null): number | undefined {
  n = unwrapExpr(n);
  if (!n) return undefined;
  // `(pid_t)-1` parses as `(pid_t) - 1` (tree-sitter cannot know pid_t is a type): the cast goes.
  const t = n.text.replace(/\s/g, '').replace(/^\(\w+\**\)(?=-?\d+$)/, '').replace(/[()]/g, '');
  if (t === 'NULL' || t === 'nullptr' || t === '0' || t === 'false' || t === '(void*)0') return 0;
  if (/^-?\d+$/.test(t)) return Number(t);
  return undefined;
}

export function unwrapExpr(n: SyntaxNode | null): SyntaxNode | null {
  while (n && (n.type === 'parenthesized_expression' || n.type === 'condition_clause' || n.type === 'cast_expression')) {
    n = n.type === 'condition_clause' ? n.childForFieldName('value') ?? n.namedChild(0) : n.type === 'cast_expression' ? n.childForFieldName('value') : n.namedChild(0);
  }
  return n;
}

/** The identifier a declarator declares (`*p`, `p[4]`, `p = ...`). */
export function declaredName(d: SyntaxNode | null): SyntaxNode | null {
  while (d && d.type !== 'identifier' && d.type !== 'field_identifier') d = d.childForFieldName('declarator') ?? d.namedChild(0);
  return d;
}

export const at = (n: SyntaxNode): SourceRange => rangeOf(n);
export const endOf = (n: SyntaxNode): SourceRange => {
  const r = rangeOf(n);
  return { startLine: r.endLine, startColumn: Math.max(1, r.endColumn - 1), endLine: r.endLine, endColumn: r.endColumn };
};
export const words = (n: SyntaxNode) => n.text.replace(/\s+/g, ' ');

/** Does this statement never complete normally (for the code after an `if` whose branch leaves)? */
export function leaves(n: SyntaxNode | null, env: LowerEnv): boolean {
  if (!n) return false;
  if (n.type === 'compound_statement') {
    const last = named(n).filter((c) => c.type !== 'comment').pop();
    return leaves(last ?? null, env);
  }
  if (/^(return|goto|break|continue|throw)_statement$/.test(n.type)) return true;
  if (n.type === 'expression_statement') {
    const c = n.namedChild(0);
    if (c?.type === 'call_expression') {
      const m = env.model(c, env.calleeName(c));
      return m.k === 'exit' || m.k === 'exec';
    }
  }
  return false;
}

export abstract class ExprLowering {
  protected readonly locals = new Map<string, Handle>();
  protected readonly tracked = new Set<Handle>();
  /** `int rc = posix_spawn(&pid, ...)`: rc reads as the spawn held by pid. */
  protected readonly aliases = new Map<string, Value>();
  /** The site each handle last received, and how its value reads. */
  protected readonly spawned = new Map<Handle, { site: number; kind: ResultKind }>();
  protected readonly blocks: Handle[][] = [];
  protected readonly childOf: number[] = [];
  protected tempN = 0;


  constructor(
    protected readonly env: LowerEnv,
    protected readonly notes: LowerNotes,
    protected readonly fnName: string,
  ) {}

  /** A block of statements (for GNU statement expressions); the statement lowering gives it. */
  protected abstract block(n: SyntaxNode, out: Node[]): void;

  // --- expressions ---

  /** The handle an lvalue or a read names: a local, a cell, a field cell; undefined for anything else. */
  protected handleOf(n: SyntaxNode | null): Handle | undefined {
    n = unwrapExpr(n);
    if (!n) return undefined;
    if (n.type === 'identifier') {
      const local = this.locals.get(n.text);
      if (local) return local;
      if (this.env.globals.has(n.text)) {
        const cell = `@${n.text}`;
        if (!this.notes.cells.has(cell)) this.notes.cells.set(cell, { exported: this.env.globals.get(n.text)!, words: `the ${this.env.globals.get(n.text) ? '' : 'static '}variable ${n.text}` });
        return cell;
      }
      return undefined;
    }
    if (n.type === 'field_expression') {
      const f = n.childForFieldName('field')?.text;
      if (!f) return undefined;
      const cell = `@.${f}`;
      if (!this.notes.cells.has(cell)) this.notes.cells.set(cell, { exported: true, words: `the field ${f}` });
      return cell;
    }
    if (n.type === 'pointer_expression' && n.child(0)?.type === '*') return this.handleOf(n.childForFieldName('argument'));
    return undefined;
  }

  protected isHandleRead(h: Handle | undefined): h is Handle {
    return !!h && (h.startsWith('@') || this.tracked.has(h));
  }

  protected temp(): Handle {
    return `$${++this.tempN}`;
  }

  /** `target = value`, with `into` semantics for spawns and calls of this file. */
  protected assign(target: Handle | 'escape', value: SyntaxNode, out: Node[], where: SourceRange, escapeTo: 'field' | 'container' | 'caller' | 'other' = 'other'): Value {
    const v0 = unwrapExpr(value);
    const v = v0?.type === 'call_expression' ? this.call(v0, out, target === 'escape' ? undefined : target) : this.expr(value, out, false);
    if (target === 'escape') {
      if (this.isHandleRead(v.h) && v.kind !== 'errcode') out.push({ op: 'escape', h: v.h, to: escapeTo, at: where, why: `stored at line ${where.startLine}` });
      return {};
    }
    const name = target.startsWith('@') ? undefined : target;
    if (name) this.aliases.delete(name);
    if (v.h && v.kind === 'errcode') {
      if (name) this.aliases.set(name, v);
      if (this.tracked.has(target)) out.push({ op: 'drop', h: target, at: where, why: 'overwritten' });
      return v;
    }
    if (v.h === target) return v;
    if (this.isHandleRead(v.h)) {
      out.push({ op: 'copy', from: v.h, to: target, at: where });
      if (name) this.tracked.add(name);
      const s = this.spawned.get(v.h);
      if (s) this.spawned.set(target, s);
      return { h: target, kind: v.kind };
    }
    if (this.tracked.has(target)) out.push({ op: 'drop', h: target, at: where, why: 'overwritten' });
    this.spawned.delete(target);
    return {};
  }

  /** Lowers an expression's events into `out`; returns the handle its value is, if any. */
  expr(n: SyntaxNode, out: Node[], discard: boolean): Value {
    switch (n.type) {
      case 'parenthesized_expression':
      case 'cast_expression':
      case 'condition_clause': {
        const inner = unwrapExpr(n);
        return inner && inner !== n ? this.expr(inner, out, discard) : {};
      }
      case 'call_expression': return this.call(n, out, discard ? null : undefined);
      case 'identifier': {
        const alias = this.aliases.get(n.text);
        if (alias) return alias;
        const h = this.handleOf(n);
        return this.isHandleRead(h) ? { h, kind: this.spawned.get(h)?.kind ?? 'pid' } : {};
      }
      case 'field_expression': {
        this.expr(n.childForFieldName('argument') ?? n, out, true);
        return { h: this.handleOf(n), kind: 'pid' };
      }
      case 'assignment_expression': {
        const left = n.childForFieldName('left');
        const right = n.childForFieldName('right');
        const op = n.childForFieldName('operator')?.text ?? '=';
        if (!left || !right) return {};
        if (op !== '=') {
          this.expr(right, out, true);
          return {};
        }
        const l = unwrapExpr(left);
        const h = this.handleOf(l);
        if (h && (l?.type === 'identifier' || l?.type === 'field_expression')) return this.assign(h, right, out, at(n));
        if (l?.type === 'subscript_expression') {
          this.expr(l, out, true);
          return this.assign('escape', right, out, at(n), 'container');
        }
        return this.assign('escape', right, out, at(n), l?.type === 'pointer_expression' ? 'caller' : 'other');
      }
      case 'binary_expression': {
        const op = n.childForFieldName('operator')?.text;
        if (op === '&&' || op === '||') {
          this.cond(n, out);
          return {};
        }
        this.expr(n.childForFieldName('left') ?? n, out, true);
        this.expr(n.childForFieldName('right') ?? n, out, true);
        return {};
      }
      case 'conditional_expression': {
        const c = this.cond(n.childForFieldName('condition'), out);
        const a: Node[] = [];
        const b: Node[] = [];
        const va = n.childForFieldName('consequence') ? this.expr(n.childForFieldName('consequence')!, a, discard) : {};
        const vb = n.childForFieldName('alternative') ? this.expr(n.childForFieldName('alternative')!, b, discard) : {};
        out.push({ op: 'if', cond: c, then: a, else: b });
        if (!discard) for (const v of [va, vb]) if (this.isHandleRead(v.h)) out.push({ op: 'escape', h: v.h, to: 'other', at: at(n), why: `chosen by \`${words(n)}\`` });
        return {};
      }
      case 'comma_expression': {
        this.expr(n.childForFieldName('left') ?? n, out, true);
        const r = n.childForFieldName('right');
        return r ? this.expr(r, out, discard) : {};
      }
      case 'pointer_expression': {
        const arg = n.childForFieldName('argument');
        if (n.child(0)?.type === '&') {
          const h = this.handleOf(arg);
          if (this.isHandleRead(h) && !discard) out.push({ op: 'escape', h, to: 'other', at: at(n), why: `its address is taken at line ${n.startPosition.row + 1}` });
          return {};
        }
        return arg ? this.expr(arg, out, discard) : {};
      }
      case 'initializer_list':
      case 'compound_literal_expression': {
        for (const c of named(n)) {
          const v = this.expr(c, out, false);
          if (this.isHandleRead(v.h)) out.push({ op: 'escape', h: v.h, to: 'container', at: at(c), why: `put in \`${words(n).slice(0, 40)}\`` });
        }
        return {};
      }
      case 'lambda_expression': {
        for (const id of n.descendantsOfType('identifier')) {
          const h = this.handleOf(id);
          if (this.isHandleRead(h)) out.push({ op: 'escape', h, to: 'closure', at: at(id), why: 'used in a lambda' });
        }
        return {};
      }
      case 'string_literal':
      case 'concatenated_string':
      case 'number_literal':
      case 'char_literal':
      case 'sizeof_expression':
      case 'true':
      case 'false':
      case 'null':
      case 'comment':
        return {};
      case 'compound_statement':
        this.block(n, out);
        return {};
      default: {
        for (const c of named(n)) this.expr(c, out, true);
        return {};
      }
    }
  }

  /** `into`: undefined a fresh temporary, null the result is dropped, else the handle receiving it. */
  protected call(n: SyntaxNode, out: Node[], into: Handle | null | undefined): Value {
    const name = this.env.calleeName(n);
    const m = this.env.model(n, name);
    const argList = n.childForFieldName('arguments');
    const args = argList ? named(argList).filter((a) => a.type !== 'comment') : [];
    const fnNode = n.childForFieldName('function');
    if (fnNode && fnNode.type !== 'identifier' && fnNode.type !== 'qualified_identifier') this.expr(fnNode, out, true);
    const w = words(n);
    const where = at(n);
    if (m.k === 'spawn') {
      for (let i = 0; i < args.length; i++) if (i !== m.pidArg) this.expr(args[i], out, true);
      const outcomes: Outcome[] = m.result === 'pid' ? ['parent', 'child', 'failed'] : ['parent', 'failed'];
      if (m.pidArg !== undefined) {
        // posix_spawn(&pid, ...): the pid goes where the first argument points.
        const a = unwrapExpr(args[m.pidArg] ?? null);
        if (!a || constant(a) === 0) {
          out.push({ op: 'spawn', site: m.site, into: null, outcomes, at: where });
          return {};
        }
        const ref = a.type === 'pointer_expression' && a.child(0)?.type === '&' ? a.childForFieldName('argument') : null;
        const target = ref && (ref.type === 'identifier' || ref.type === 'field_expression') ? this.handleOf(ref) : undefined;
        const h = target ?? this.temp();
        if (!h.startsWith('@')) this.tracked.add(h);
        out.push({ op: 'spawn', site: m.site, into: h, outcomes, at: where });
        if (!target) out.push({ op: 'escape', h, to: ref ? 'container' : 'caller', at: where, why: `the pid is written to ${words(a)}` });
        this.spawned.set(h, { site: m.site, kind: 'pid' });
        return { h, kind: 'errcode' };
      }
      const h = into === undefined ? this.temp() : into;
      if (h === null && m.result === 'pid') {
        // `fork();` alone: both processes run on; the parent can still reap it with wait().
        const t = this.temp();
        this.tracked.add(t);
        out.push({ op: 'spawn', site: m.site, into: t, outcomes, at: where });
        this.spawned.set(t, { site: m.site, kind: m.result });
        return { h: t, kind: m.result };
      }
      if (h && !h.startsWith('@')) this.tracked.add(h);
      out.push({ op: 'spawn', site: m.site, into: h, outcomes, at: where });
      if (h) this.spawned.set(h, { site: m.site, kind: m.result });
      return h ? { h, kind: m.result } : {};
    }
    // The arguments: handles passed by value or by address.
    const passed: (Handle | null)[] = args.map((a) => {
      const u = unwrapExpr(a);
      if (u?.type === 'pointer_expression' && u.child(0)?.type === '&') {
        const h = this.handleOf(u.childForFieldName('argument'));
        return this.isHandleRead(h) ? h : null;
      }
      const v = u ? this.expr(u, out, false) : {};
      return this.isHandleRead(v.h) && v.kind !== 'errcode' ? v.h : null;
    });
    const result = (): Value => {
      if (into === null || into === undefined) return {};
      if (this.tracked.has(into)) out.push({ op: 'drop', h: into, at: where, why: 'overwritten' });
      return {};
    };
    switch (m.k) {
      case 'wait': {
        const h = passed[m.arg];
        if (h) out.push({ op: 'wait', h, at: where, how: w });
        return result();
      }
      case 'waitAny':
        out.push({ op: 'reapAll', at: where, how: `${w} (it reaps any child)` });
        return result();
      case 'kill': {
        const h = passed[m.arg];
        if (h) out.push({ op: 'kill', h, at: where, how: w });
        return result();
      }
      case 'exit':
        out.push({ op: 'exit', at: where, how: `the parent exits with ${w}` });
        return {};
      case 'exec':
        if (this.childOf.length) this.notes.execIn.set(n.startIndex, this.childOf[this.childOf.length - 1]);
        for (const h of passed) if (h) out.push({ op: 'escape', h, to: 'callee', at: where, why: `handed to ${name}()` });
        out.push({ op: 'unknown', at: where, why: `${name}() at line ${where.startLine} replaces this process with another program, which may or may not wait for it` });
        out.push({ op: 'exit', at: where, how: `${name}() replaces the process` });
        return {};
      case 'harmless':
        return result();
      case 'block':
        out.push({ op: 'block', at: where, how: `${name}()` });
        return result();
      case 'local': {
        this.notes.callees.add(m.key);
        if (this.childOf.length) {
          const s = this.childOf[this.childOf.length - 1];
          let set = this.notes.childCalls.get(s);
          if (!set) this.notes.childCalls.set(s, (set = new Set()));
          set.add(m.key);
        }
        let target: Handle | null | undefined = into;
        if (target === undefined) target = this.temp();
        if (target && !target.startsWith('@')) this.tracked.add(target);
        if (target) {
          this.spawned.delete(target);
          if (!target.startsWith('@')) this.aliases.delete(target);
        }
        out.push({ op: 'call', fn: m.key, args: passed, into: target, at: where, words: `${name}()` });
        return target ? { h: target, kind: 'pid' } : {};
      }
      case 'unknown':
        for (const h of passed) if (h) out.push({ op: 'escape', h, to: 'callee', at: where, why: `handed to ${name ?? words(fnNode ?? n)}()` });
        return result();
    }
  }

  // --- conditions ---

  /** Lowers a condition: its calls' events into `out`, the test as a Cond on a spawn's outcome where it is one. */
  cond(n: SyntaxNode | null, out: Node[]): Cond {
    n = unwrapExpr(n);
    if (!n) return { k: 'opaque' };
    if (n.type === 'unary_expression' && n.childForFieldName('operator')?.text === '!') return { k: 'not', c: this.cond(n.childForFieldName('argument'), out) };
    if (n.type === 'binary_expression') {
      const op = n.childForFieldName('operator')?.text ?? '';
      if (op === '&&' || op === '||') {
        const a = this.cond(n.childForFieldName('left'), out);
        const right: Node[] = [];
        const b = this.cond(n.childForFieldName('right'), right);
        if (right.length) out.push(op === '&&' ? { op: 'if', cond: a, then: right, else: [] } : { op: 'if', cond: a, then: [], else: right });
        return op === '&&' ? { k: 'and', a, b } : { k: 'or', a, b };
      }
      if (op in FLIP) {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        const lk = constant(l);
        const rk = constant(r);
        const lv = lk === undefined && l ? this.expr(l, out, false) : {};
        const rv = rk === undefined && r ? this.expr(r, out, false) : {};
        if (lv.h && lv.kind && rk !== undefined) return this.is(lv, op, rk, n);
        if (rv.h && rv.kind && lk !== undefined) return this.is(rv, FLIP[op], lk, n);
        return { k: 'opaque' };
      }
    }
    const v = this.expr(n, out, false);
    if (v.h && v.kind) return this.is(v, '!=', 0, n);
    return { k: 'opaque' };
  }

  protected is(v: Value, op: string, k: number, n: SyntaxNode): Cond {
    const rep = REP[v.kind!];
    const outcomes = OUTCOMES.filter((o) => rep[o] !== undefined && compare(rep[o]!, op, k));
    const possible = OUTCOMES.filter((o) => rep[o] !== undefined);
    if (!outcomes.length || outcomes.length === possible.length) return { k: 'opaque' };
    return { k: 'is', h: v.h!, outcomes, words: words(n), at: at(n) };
  }

  /**
   * The site whose child alone runs the branch of this condition taken when it is `truth`: the
   * exec in it names that child. Undefined when the branch may run in the parent.
   */
  protected childSiteOf(cn: SyntaxNode | null, truth: boolean): number | undefined {
    if (!this.spawned.size && !this.aliases.size) return undefined;
    const c = this.peekCond(cn);
    const walk = (c: Cond, t: boolean): number | undefined => {
      if (c.k === 'not') return walk(c.c, !t);
      if (c.k === 'and' && t) return walk(c.a, true) ?? walk(c.b, true);
      if (c.k === 'or' && !t) return walk(c.a, false) ?? walk(c.b, false);
      if (c.k !== 'is') return undefined;
      const s = this.spawned.get(c.h);
      if (!s || s.kind !== 'pid') return undefined;
      const set = t ? c.outcomes : OUTCOMES.filter((o) => !c.outcomes.includes(o));
      return set.includes('child') && !set.includes('parent') ? s.site : undefined;
    };
    return c ? walk(c, truth) : undefined;
  }

  /** The condition already lowered for this node (lowering is in source order: the `if` lowered it just before). */
  protected peekCond(cn: SyntaxNode | null): Cond | undefined {
    return this.condNoSpawn(cn);
  }

  /** The condition's test again, without its events (they were lowered with the condition). */
  protected condNoSpawn(cn: SyntaxNode | null): Cond | undefined {
    const n = unwrapExpr(cn);
    if (!n) return undefined;
    const idOf = (x: SyntaxNode | null): Value | undefined => {
      x = unwrapExpr(x);
      if (!x) return undefined;
      if (x.type === 'identifier') {
        const a = this.aliases.get(x.text);
        if (a) return a;
        const h = this.handleOf(x);
        const s = h ? this.spawned.get(h) : undefined;
        return h && s ? { h, kind: s.kind } : undefined;
      }
      if (x.type === 'assignment_expression') return idOf(x.childForFieldName('left'));
      if (x.type === 'call_expression') {
        const m = this.env.model(x, this.env.calleeName(x));
        if (m.k !== 'spawn') return undefined;
        for (const [h, s] of this.spawned) if (s.site === m.site) return { h, kind: m.pidArg !== undefined ? 'errcode' : m.result };
      }
      return undefined;
    };
    if (n.type === 'unary_expression' && n.childForFieldName('operator')?.text === '!') {
      const c = this.condNoSpawn(n.childForFieldName('argument'));
      return c && { k: 'not', c };
    }
    if (n.type === 'binary_expression') {
      const op = n.childForFieldName('operator')?.text ?? '';
      if (op === '&&' || op === '||') {
        const a = this.condNoSpawn(n.childForFieldName('left')) ?? { k: 'opaque' };
        const b = this.condNoSpawn(n.childForFieldName('right')) ?? { k: 'opaque' };
        return op === '&&' ? { k: 'and', a, b } : { k: 'or', a, b };
      }
      if (op in FLIP) {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        const lv = idOf(l);
        const rv = idOf(r);
        if (lv && constant(r) !== undefined) return this.is(lv, op, constant(r)!, n);
        if (rv && constant(l) !== undefined) return this.is(rv, FLIP[op], constant(l)!, n);
        return undefined;
      }
    }
    const v = idOf(n);
    return v ? this.is(v, '!=', 0, n) : undefined;
  }
}
