/**
 * Lowers Rust function bodies (tree-sitter-rust) to the engine's IR (engine/ir.ts).
 *
 * Values: every local is a handle (`child`, `child#2` when shadowed), temporaries are `$n` and are
 * dropped at the end of their statement (a `Command::new(..).spawn().unwrap();` loses its Child
 * there), Child-holding struct fields are cells named by the field (`@child`). A Result/Option of
 * a Child is the same handle as the Child: `Ok(c)`/`Some(c)` patterns, `?`, `.unwrap()`,
 * `.expect()`, `.map_err()`, `.context()` keep the parent's outcome and drop the failed one (`?`
 * returns only on the failure). `try_wait()` gives a pending reap that the construct reading it
 * decides: `Ok(Some(_))`/`Err(_)` arms reap, `Ok(None)` does not; read any other way it counts as a
 * reap inside a loop (polled until it reaps) and as an escape outside one (it reaps only a child
 * that has already exited). Shared borrows (`&child`) cannot wait and are not uses; `&mut child`
 * hands the same handle on. A closure given to a thread is lowered where it stands (its `return`
 * leaves the closure); any other closure that mentions a Child takes it where we cannot follow.
 */
import type { SyntaxNode } from '../parser';
import type { FunctionIR, Handle, Node } from '../engine/ir';
import type { SourceRange } from '../types';
import { descendants, named, rangeOf } from '../syntax';
import { RustControl } from './rust-control';
import type { RustFn, RustItems } from './rust-items';
import { typeName } from './rust-items';
import * as T from './rust-tables';
import { type LoopCtx, type RustApi, type Val, callWords, diverge, endOf, exitsHere, isTw, patternCond, short, simpleName, STATEMENTS } from './rust-tables';

export type { RustApi } from './rust-tables';


export class RustFnLowering {
  private readonly env: Map<string, Handle>[] = [new Map()];
  private readonly scopeVars: Handle[][] = [[]];
  private readonly used = new Map<string, number>();
  private temps: { h: Handle; at: SourceRange }[] = [];
  private tempN = 0;
  loops: LoopCtx[] = [];
  loopDepth = 0;
  /** Inside a closure lowered in place: a `return`/`?` leaves the closure, not the function. */
  private closureExit?: string;
  /** Functions made of code after an unconditional exit (lowered on their own, as clippy does). */
  readonly extra: FunctionIR[] = [];
  private readonly control = new RustControl(this);

  constructor(
    private readonly items: RustItems,
    private readonly api: RustApi,
    private readonly fn: { key: string; display: string; implType?: string; exported: boolean; test?: boolean },
    /** Nodes whose bodies are lowered as functions of their own (closures with a spawn site). */
    private readonly apart: ReadonlySet<number>,
  ) {}

  /** A function_item or a closure with a site in it. */
  lowerFunction(node: SyntaxNode): FunctionIR {
    const params: (Handle | null)[] = [];
    const plist = node.childForFieldName('parameters');
    for (const p of plist ? named(plist) : []) {
      if (p.type === 'self_parameter') {
        params.push(null);
        continue;
      }
      const pat = p.type === 'parameter' ? p.childForFieldName('pattern') : p;
      const name = pat ? simpleName(pat) : undefined;
      const type = p.type === 'parameter' ? p.childForFieldName('type')?.text ?? '' : '';
      const h = name ? this.bind(name, false) : null;
      params.push(h && T.CHILD_TYPE.test(type) && !/^&\s*(?!mut)/.test(type.trim()) ? h : null);
    }
    const body = node.childForFieldName('body');
    const out: Node[] = [];
    if (body?.type === 'block') this.withTemps(out, () => this.block(body, out, true));
    else if (body) {
      this.withTemps(out, () => {
        const v = this.settle(this.expr(body, out), out);
        if (v) out.push({ op: 'return', values: [v], at: rangeOf(body), how: 'returns it' });
        return null;
      });
    }
    return { key: this.fn.key, display: this.fn.display, params, body: out, end: endOf(node), exported: this.fn.exported };
  }

  // --- names and temporaries ---

  private bind(name: string, inScope = true): Handle {
    const n = this.used.get(name) ?? 0;
    this.used.set(name, n + 1);
    const h = n ? `${name}#${n + 1}` : name;
    this.env[this.env.length - 1].set(name, h);
    if (inScope) this.scopeVars[this.scopeVars.length - 1].push(h);
    return h;
  }

  private lookup(name: string): Handle | undefined {
    for (let i = this.env.length - 1; i >= 0; i--) {
      const h = this.env[i].get(name);
      if (h !== undefined) return h;
    }
    return undefined;
  }

  temp(at: SyntaxNode): Handle {
    const h = `$${++this.tempN}`;
    this.temps.push({ h, at: rangeOf(at) });
    return h;
  }

  /** Runs `f` as one statement: the temporaries it makes are dropped at its end (the Child of `spawn_proc();` with it). */
  private withTemps(out: Node[], f: () => Val, keep?: Handle): Val {
    const saved = this.temps;
    this.temps = [];
    const v = f();
    for (const t of this.temps) if (t.h !== keep) out.push({ op: 'drop', h: t.h, at: t.at, why: 'a temporary dropped at the end of its statement', kind: 'discarded' });
    this.temps = saved;
    return v;
  }

  /** A block with its own names: leaving it drops what they hold. */
  scoped(node: SyntaxNode, out: Node[], f: (body: Node[]) => void): void {
    this.env.push(new Map());
    this.scopeVars.push([]);
    const body: Node[] = [];
    f(body);
    this.env.pop();
    const vars = this.scopeVars.pop()!;
    if (vars.length) out.push({ op: 'scope', vars, body, end: endOf(node) });
    else out.push(...body);
  }

  /** A try_wait() result read in a way this lowering does not decode. */
  settle(v: Val, out: Node[]): Handle | null {
    if (!isTw(v)) return v;
    if (this.loopDepth > 0) out.push(this.waitNode(v.tw, v.at, 'try_wait() polled in a loop'));
    else out.push({ op: 'escape', h: v.tw, to: 'other', at: rangeOf(v.at), why: `${short(v.at.text)} reaps it only if it has already exited` });
    return null;
  }

  waitNode(h: Handle, at: SyntaxNode, how?: string): Node {
    return { op: 'wait', h, at: rangeOf(at), how: how ?? short(at.text) };
  }

  private ret(values: (Handle | null)[], at: SyntaxNode): Node {
    if (this.closureExit) return { op: 'break', label: this.closureExit, at: rangeOf(at) };
    return { op: 'return', values, at: rangeOf(at) };
  }

  // --- statements ---

  /** A block's statements; its tail value is copied out (into a temporary of the enclosing statement) before its names are dropped. */
  block(node: SyntaxNode, out: Node[], fnBody = false): Handle | null {
    const kids = named(node).filter((c) => c.type !== 'line_comment' && c.type !== 'block_comment');
    let result: Handle | null = null;
    const last = kids[kids.length - 1];
    const hasTail = last && !STATEMENTS.has(last.type);
    if (hasTail && !fnBody) result = this.temp(last);
    this.scoped(node, out, (body) => {
      for (let i = 0; i < kids.length; i++) {
        const k = kids[i];
        if (i === kids.length - 1 && hasTail) {
          // The tail's value leaves the block before the statement's temporaries are dropped.
          this.withTemps(body, () => {
            const v = this.settle(this.expr(k, body), body);
            if (v && fnBody) body.push({ op: 'return', values: [v], at: rangeOf(k), how: 'returns it' });
            else if (v) body.push({ op: 'copy', from: v, to: result!, at: rangeOf(k) });
            return null;
          });
          continue;
        }
        this.stmt(k, body);
        if (i < kids.length - 1 && exitsHere(k, this.api)) {
          this.deadCode(kids.slice(i + 1), k);
          break;
        }
      }
    });
    return result;
  }

  /**
   * Statements after an unconditional exit never run; clippy still judges the spawns in them one by
   * one, and so do we: they become a function of their own (never called, so nothing returned from
   * it is judged a leak).
   */
  private deadCode(stmts: SyntaxNode[], exit: SyntaxNode): void {
    if (!stmts.some((s) => s.type !== 'line_comment' && s.type !== 'block_comment')) return;
    const key = `${this.fn.key}@${exit.endPosition.row + 1}`;
    const sub = new RustFnLowering(this.items, this.api, { ...this.fn, key, exported: false }, this.apart);
    const out: Node[] = [];
    const lastStmt = stmts[stmts.length - 1];
    sub.scoped(lastStmt, out, (body) => {
      for (let i = 0; i < stmts.length; i++) {
        sub.stmt(stmts[i], body);
        if (i < stmts.length - 1 && exitsHere(stmts[i], this.api)) {
          sub.deadCode(stmts.slice(i + 1), stmts[i]);
          break;
        }
      }
    });
    this.extra.push({ key, display: this.fn.display, params: [], body: out, end: endOf(lastStmt), exported: false }, ...sub.extra);
  }

  private stmt(n: SyntaxNode, out: Node[]): void {
    switch (n.type) {
      case 'let_declaration':
        this.letDecl(n, out);
        return;
      case 'expression_statement': {
        const e = n.namedChild(0);
        if (e) this.withTemps(out, () => this.settle(this.expr(e, out), out));
        return;
      }
      default:
        if (STATEMENTS.has(n.type)) return; // items, attributes, macros definitions: not run here
        this.withTemps(out, () => this.settle(this.expr(n, out), out));
    }
  }

  private letDecl(n: SyntaxNode, out: Node[]): void {
    const pat = n.childForFieldName('pattern');
    const value = n.childForFieldName('value');
    const alt = n.childForFieldName('alternative');
    this.withTemps(out, () => {
      const v = value ? this.expr(value, out) : null;
      if (alt && pat && typeof v === 'string') {
        // let Ok(c) = cmd.spawn() else { return };
        const m = patternCond(pat, v);
        const elseBody: Node[] = [];
        this.block(alt, elseBody);
        out.push({ op: 'if', cond: m.cond === 'default' ? { k: 'opaque' } : m.cond, then: [], else: elseBody });
        this.bindPattern(m.bind ?? pat, v, out);
        return null;
      }
      if (alt) this.block(alt, []); // not about a Child: the else block diverges
      if (pat) this.bindPattern(pat, this.settle(v, out), out);
      return null;
    });
  }

  /** Binds a pattern's names; a handle bound by a pattern we do not follow is handed on. */
  bindPattern(pat: SyntaxNode, v: Handle | null, out: Node[]): void {
    const name = simpleName(pat);
    if (name) {
      const h = this.bind(name);
      if (v) out.push({ op: 'copy', from: v, to: h, at: rangeOf(pat) });
      return;
    }
    if (pat.text === '_') return; // `let _ = x;` moves nothing; a temporary is dropped with the statement
    if (v) {
      const m = patternCond(pat, v);
      if (m.bind && m.bind !== pat) return this.bindPattern(m.bind, v, out);
      out.push({ op: 'escape', h: v, to: 'other', at: rangeOf(pat), why: `bound by the pattern ${short(pat.text)}` });
    }
    for (const id of descendants(pat, new Set(['identifier']))) if (id.parent?.type !== 'tuple_struct_pattern' || id.parent.childForFieldName('type')?.id !== id.id) this.bind(id.text);
  }

  // --- expressions ---

  expr(n: SyntaxNode, out: Node[]): Val {
    switch (n.type) {
      case 'identifier':
        return this.lookup(n.text) ?? null;
      case 'parenthesized_expression':
      case 'await_expression':
        return this.exprOf(n.namedChild(0), out);
      case 'reference_expression': {
        const v = this.exprOf(n.childForFieldName('value'), out);
        // A shared borrow cannot wait for the child; `&mut child` hands the same Child on.
        return n.children.some((c) => c.type === 'mutable_specifier') ? v : isTw(v) ? v : null;
      }
      case 'unary_expression': {
        const v = this.exprOf(n.namedChild(0), out);
        return n.text.startsWith('*') ? v : this.settle(v, out) && null;
      }
      case 'try_expression': {
        const inner = n.namedChild(0);
        const v = this.exprOf(inner, out);
        // `child.kill()?`: killing a child not yet reaped does not fail (std returns Ok once it has
        // exited), so its `?` is no way out before the wait that follows.
        if (inner?.type === 'call_expression' && /\.\s*kill$/.test(inner.childForFieldName('function')?.text ?? '')) return v;
        return this.tryOp(v, n, out);
      }
      case 'call_expression':
        return this.call(n, out);
      case 'macro_invocation':
        return this.macro(n, out);
      case 'field_expression':
        return this.field(n, out);
      case 'block':
      case 'unsafe_block':
        return this.block(n.type === 'block' ? n : n.namedChild(0) ?? n, out);
      case 'if_expression':
        return this.control.ifExpr(n, out);
      case 'match_expression':
        return this.control.matchExpr(n, out);
      case 'loop_expression':
      case 'while_expression':
      case 'for_expression':
        return this.control.loopExpr(n, out);
      case 'return_expression': {
        const inner = n.namedChild(0);
        const v = inner ? this.settle(this.expr(inner, out), out) : null;
        out.push(this.ret([v], n));
        return null;
      }
      case 'break_expression': {
        const label = n.namedChildren.find((c) => c.type === 'loop_label');
        const valueNode = n.namedChildren.find((c) => c.type !== 'loop_label');
        const target = label ? this.loops.find((l) => l.label === label.text) : this.loops[this.loops.length - 1];
        const v = valueNode ? this.settle(this.expr(valueNode, out), out) : null;
        if (v && target) out.push({ op: 'copy', from: v, to: target.result, at: rangeOf(n) });
        out.push({ op: 'break', label: target?.label, at: rangeOf(n) });
        return null;
      }
      case 'continue_expression': {
        const label = n.namedChildren.find((c) => c.type === 'loop_label');
        out.push({ op: 'continue', label: label ? label.text : this.loops[this.loops.length - 1]?.label, at: rangeOf(n) });
        return null;
      }
      case 'assignment_expression':
        return this.assign(n, out);
      case 'closure_expression':
        this.closure(n, out, false);
        return null;
      case 'async_block':
        this.captures(n, out, 'an async block');
        return null;
      case 'struct_expression':
        return this.structExpr(n, out);
      case 'tuple_expression':
      case 'array_expression': {
        for (const c of named(n)) {
          const v = this.settle(this.expr(c, out), out);
          if (v) out.push({ op: 'escape', h: v, to: 'container', at: rangeOf(c), why: `put in ${n.type === 'tuple_expression' ? 'a tuple' : 'an array'}` });
        }
        return null;
      }
      case 'index_expression': {
        const v = this.settle(this.exprOf(n.namedChild(0), out), out);
        for (const c of named(n).slice(1)) this.settle(this.expr(c, out), out);
        return v?.startsWith('@') ? v : null;
      }
      default:
        if (STATEMENTS.has(n.type) || n.type === 'let_declaration') {
          this.stmt(n, out);
          return null;
        }
        for (const c of named(n)) this.settle(this.expr(c, out), out);
        return null;
    }
  }

  exprOf(n: SyntaxNode | null, out: Node[]): Val {
    return n ? this.expr(n, out) : null;
  }

  private tryOp(v: Val, n: SyntaxNode, out: Node[]): Val {
    if (typeof v === 'string' && !v.startsWith('@')) {
      // `spawn()?`: the early return is taken only when the spawn failed; the Child flows on.
      out.push({ op: 'if', cond: { k: 'is', h: v, outcomes: ['failed'], words: `${short(n.text)}`, at: rangeOf(n) }, then: [this.tryExit(n)], else: [] });
      return v;
    }
    // try_wait()?: an error means there is nothing left to wait for.
    const then: Node[] = isTw(v) ? [this.waitNode(v.tw, v.at, `${short(v.at.text)} failing (nothing is left to wait for)`)] : [];
    then.push(this.tryExit(n));
    out.push({ op: 'if', cond: { k: 'opaque' }, then, else: [] });
    return v;
  }

  /** Where an Err out of `?` goes: the caller; in a #[test] (not a closure inside it), a failed test, as Go's t.Fatal. */
  private tryExit(n: SyntaxNode): Node {
    if (this.fn.test && this.closureExit === undefined) return { op: 'abandon', at: rangeOf(n), how: '`?` fails the #[test]' };
    return this.ret([], n);
  }

  private args(n: SyntaxNode | null, out: Node[], closuresRun = false): Val[] {
    const vals: Val[] = [];
    for (const a of n ? named(n) : []) {
      if (a.type === 'line_comment' || a.type === 'block_comment') continue;
      if (a.type === 'closure_expression') {
        this.closure(a, out, closuresRun);
        vals.push(null);
      } else vals.push(this.expr(a, out));
    }
    return vals;
  }

  private call(n: SyntaxNode, out: Node[]): Val {
    const fnNode = n.childForFieldName('function')!;
    const argsNode = n.childForFieldName('arguments');
    const site = this.api.siteOf(n);
    if (site !== undefined) {
      if (fnNode.type === 'field_expression') this.settle(this.exprOf(fnNode.childForFieldName('value'), out), out);
      this.args(argsNode, out);
      const t = this.temp(n);
      out.push({ op: 'spawn', site, into: t, outcomes: ['parent', 'failed'], at: rangeOf(n) });
      return t;
    }
    if (fnNode.type === 'field_expression') return this.method(n, fnNode, argsNode, out);
    const name = (fnNode.type === 'generic_function' ? fnNode.childForFieldName('function') ?? fnNode : fnNode).text.replace(/\s/g, '');
    const isThread = T.THREAD_SPAWN.test(name);
    const vals = this.args(argsNode, out, isThread).map((v) => this.settle(v, out));
    if (this.api.isExit(name)) {
      out.push({ op: 'exit', at: rangeOf(n), how: `${name}()` });
      return null;
    }
    if (/^(std::)?(mem::)?(drop|forget)$/.test(name) && !this.items.byKey.has(name)) {
      if (vals[0]) out.push({ op: 'drop', h: vals[0], at: rangeOf(n), why: `${name}()`, kind: 'discarded' });
      return null;
    }
    if (T.WRAPPERS.test(name) && vals.length === 1) return vals[0];
    const callee = this.items.resolve(fnNode, this.fn.implType);
    if (callee) return this.callLocal(callee, vals, n, out);
    for (const v of vals) if (v) out.push({ op: 'escape', h: v, to: 'callee', at: rangeOf(n), why: `handed to ${name}()` });
    return null;
  }

  private callLocal(callee: RustFn, args: (Handle | null)[], n: SyntaxNode, out: Node[]): Handle {
    const t = this.temp(n);
    out.push({ op: 'call', fn: callee.key, args, into: t, at: rangeOf(n), words: `${callee.key}()` });
    return t;
  }

  private method(n: SyntaxNode, fnNode: SyntaxNode, argsNode: SyntaxNode | null, out: Node[]): Val {
    const m = fnNode.childForFieldName('field')?.text ?? '';
    const recvNode = fnNode.childForFieldName('value');
    const rv = this.exprOf(recvNode, out);
    const runs = m === 'spawn' || m === 'spawn_scoped';
    if (isTw(rv)) {
      this.args(argsNode, out);
      if (T.PANICS_ON_FAILURE.has(m) || T.PASS.has(m)) return rv;
      if (m === 'is_some' || m === 'is_none') return rv; // decoded by a condition; elsewhere settled
      this.settle(rv, out);
      return null;
    }
    if (rv?.startsWith('@')) {
      const vals = this.args(argsNode, out).map((v) => this.settle(v, out));
      if (T.WAITS.has(m) || m === 'try_wait') out.push(this.waitNode(rv, n, callWords(recvNode, m)));
      else if (m === 'kill') out.push({ op: 'kill', h: rv, at: rangeOf(n), how: callWords(recvNode, m) });
      else if (T.CELL_STORES.has(m)) for (const v of vals) if (v) out.push({ op: 'copy', from: v, to: rv, at: rangeOf(n) });
      if (T.WAITS.has(m) || m === 'try_wait' || m === 'kill' || T.HARMLESS.has(m) || (T.CELL_STORES.has(m) && m !== 'replace')) return null;
      if (T.PANICS_ON_FAILURE.has(m) || T.PASS.has(m)) return rv;
      out.push({ op: 'escape', h: rv, to: 'other', at: rangeOf(n), why: `${short(n.text)}` });
      return null;
    }
    if (rv) {
      const h = rv;
      const vals = this.args(argsNode, out, runs).map((v) => this.settle(v, out));
      if (T.WAITS.has(m)) {
        out.push(this.waitNode(h, n, callWords(recvNode, m)));
        return null;
      }
      if (m === 'try_wait') return { tw: h, at: n };
      if (m === 'kill') {
        out.push({ op: 'kill', h, at: rangeOf(n), how: callWords(recvNode, m) });
        return null;
      }
      if (T.HARMLESS.has(m)) return null;
      if (T.PANICS_ON_FAILURE.has(m)) {
        out.push({ op: 'if', cond: { k: 'is', h, outcomes: ['failed'] }, then: [diverge()], else: [] });
        return h;
      }
      if (T.PASS.has(m)) return h;
      if ((m === 'map' || m === 'and_then') && ignoresItsArgument(argsNode)) {
        // `spawn().map(|_| ())`: the closure drops the Child it is given.
        out.push({ op: 'drop', h, at: rangeOf(n), why: `dropped by .${m}(|_| …)`, kind: 'discarded' });
        return null;
      }
      const callee = this.items.resolve(fnNode, this.fn.implType);
      if (callee) return this.callLocal(callee, [h, ...vals], n, out);
      out.push({ op: 'escape', h, to: 'callee', at: rangeOf(n), why: `handed to .${m}()` });
      for (const v of vals) if (v) out.push({ op: 'escape', h: v, to: 'callee', at: rangeOf(n), why: `handed to .${m}()` });
      return null;
    }
    // A receiver that holds no Child: what matters is what the arguments carry.
    const vals = this.args(argsNode, out, runs).map((v) => this.settle(v, out));
    const callee = this.items.resolve(fnNode, this.fn.implType);
    if (callee) return this.callLocal(callee, [null, ...vals], n, out);
    for (const v of vals) if (v) out.push({ op: 'escape', h: v, to: m === 'push' || m === 'insert' || m === 'send' ? 'container' : 'callee', at: rangeOf(n), why: `handed to .${m}()` });
    return null;
  }

  private field(n: SyntaxNode, out: Node[]): Val {
    const f = n.childForFieldName('field')?.text ?? '';
    const base = n.childForFieldName('value');
    const cell = this.items.cellOfField.get(f);
    const v = this.settle(this.exprOf(base, out), out);
    if (cell && !(v && !v.startsWith('@') && /^(stdin|stdout|stderr)$/.test(f))) return cell;
    return null; // child.stdout, child.stdin: the pipes, not the Child
  }

  private assign(n: SyntaxNode, out: Node[]): Val {
    const left = n.childForFieldName('left')!;
    const v = this.settle(this.exprOf(n.childForFieldName('right'), out), out);
    if (left.type === 'identifier') {
      const h = this.lookup(left.text);
      if (h && v) out.push({ op: 'copy', from: v, to: h, at: rangeOf(n) });
      else if (h) out.push({ op: 'drop', h, at: rangeOf(n), why: 'overwritten' });
      return null;
    }
    const target = this.settle(this.expr(left, out), out);
    if (target?.startsWith('@')) {
      if (v) out.push({ op: 'copy', from: v, to: target, at: rangeOf(n) });
    } else if (v) out.push({ op: 'escape', h: v, to: 'field', at: rangeOf(n), why: `stored in ${short(left.text)}` });
    return null;
  }

  private structExpr(n: SyntaxNode, out: Node[]): Val {
    const body = n.childForFieldName('body');
    const sname = typeName(n.childForFieldName('name')?.text ?? '');
    for (const init of body ? named(body) : []) {
      let fname: string | undefined;
      let v: Handle | null;
      if (init.type === 'field_initializer') {
        fname = init.childForFieldName('name')?.text;
        v = this.settle(this.exprOf(init.childForFieldName('value'), out), out);
      } else if (init.type === 'shorthand_field_initializer') {
        fname = init.namedChild(0)?.text;
        v = fname ? this.lookup(fname) ?? null : null;
      } else {
        this.settle(this.exprOf(init.namedChild(0), out), out);
        continue;
      }
      if (!v) continue;
      const cell = fname ? this.items.cellOfField.get(fname) : undefined;
      if (cell) out.push({ op: 'copy', from: v, to: cell, at: rangeOf(init) });
      else out.push({ op: 'escape', h: v, to: 'field', at: rangeOf(init), why: `stored in ${sname}.${fname}` });
    }
    return null;
  }

  /** Names of this function's locals that the node mentions. */
  private mentioned(n: SyntaxNode): Handle[] {
    const hs = new Set<Handle>();
    for (const id of descendants(n, new Set(['identifier']))) {
      const h = this.lookup(id.text);
      if (h) hs.add(h);
    }
    return [...hs];
  }

  private captures(n: SyntaxNode, out: Node[], what: string): void {
    for (const h of this.mentioned(n)) out.push({ op: 'escape', h, to: 'closure', at: rangeOf(n), why: `captured by ${what}` });
  }

  /** A closure: run in place when a thread runs it (and it has no site of its own), else what it captures is handed on. */
  private closure(n: SyntaxNode, out: Node[], runs: boolean): void {
    if (!runs || this.apart.has(n.id)) {
      this.captures(n, out, 'a closure');
      return;
    }
    const body = n.childForFieldName('body');
    if (!body) return;
    const label = `$closure${n.id}`;
    const saved = { exit: this.closureExit, loops: this.loops, depth: this.loopDepth };
    this.closureExit = label;
    this.loops = [];
    const inner: Node[] = [];
    this.env.push(new Map());
    const params = n.childForFieldName('parameters');
    for (const p of params ? named(params) : []) for (const id of descendants(p, new Set(['identifier']))) this.bind(id.text, false);
    this.withTemps(inner, () => this.settle(this.expr(body, inner), inner));
    this.env.pop();
    inner.push({ op: 'break', label, at: rangeOf(body) });
    this.closureExit = saved.exit;
    this.loops = saved.loops;
    out.push({ op: 'loop', infinite: true, label, body: inner, at: rangeOf(n) });
  }

  private macro(n: SyntaxNode, out: Node[]): Val {
    const name = (n.childForFieldName('macro')?.text ?? '').replace(/^.*::/, '');
    if (T.PANIC_MACROS.has(name)) {
      out.push(diverge());
      return null;
    }
    if (T.STUB_MACROS.has(name)) {
      // A body not written yet: what it will do with a Child is unknown (clippy: it may wait).
      out.push({ op: 'unknown', at: rangeOf(n), why: `${name}!() stands for code not written yet` });
      return null;
    }
    if (name === 'bail') {
      out.push(this.ret([], n));
      return null;
    }
    if (name === 'ensure') {
      out.push({ op: 'if', cond: { k: 'opaque' }, then: [this.ret([], n)], else: [] });
      return null;
    }
    if (T.BORROWING_MACROS.has(name)) return null;
    this.captures(n, out, `${name}!()`);
    return null;
  }

}

/** `(|_| …)` or `(|_x| …)`: the one closure argument binds its parameter to nothing (dropped at once) or to an unused `_name`. */
function ignoresItsArgument(args: SyntaxNode | null): boolean {
  const a = args?.namedChildren ?? [];
  if (a.length !== 1 || a[0].type !== 'closure_expression') return false;
  const ps = (a[0].childForFieldName('parameters')?.text ?? '').replace(/^\||\|$/g, '').split(',');
  return ps.length === 1 && /^_\w*$/.test(ps[0].replace(/:.*$/s, '').trim());
}
