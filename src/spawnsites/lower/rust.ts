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
import type { Cond, FunctionIR, Handle, Node } from '../engine/ir';
import type { SourceRange } from '../types';
import { descendants, named, rangeOf } from '../syntax';
import type { RustFn, RustItems } from './rust-items';
import { typeName } from './rust-items';

/** What the file's API knowledge says about a call (rust.ts). */
export interface RustApi {
  /** The engine site id of a `Command::spawn` call, if this call is one. */
  siteOf(call: SyntaxNode): number | undefined;
  /** The callee ends the process (`std::process::exit`, `abort`). */
  isExit(callee: string): boolean;
}

/** A try_wait() result not yet read: reaps the child on its `Some`/`Err` outcomes. */
interface TryWait {
  tw: Handle;
  at: SyntaxNode;
}
type Val = Handle | null | TryWait;
const isTw = (v: Val): v is TryWait => typeof v === 'object' && v !== null;

const WAITS = new Set(['wait', 'wait_with_output']);
/** Result/Option adaptors the Child flows through (a panic or an early return only on failure). */
const PANICS_ON_FAILURE = new Set(['unwrap', 'expect', 'unwrap_unchecked', 'unwrap_or_else']);
const PASS = new Set(['map_err', 'context', 'with_context', 'wrap_err', 'wrap_err_with', 'ok', 'into', 'as_mut', 'as_deref_mut', 'by_ref', 'inspect', 'inspect_err', 'take', 'lock', 'write', 'borrow_mut', 'get_mut', 'iter_mut', 'values_mut', 'first_mut', 'last_mut', 'pop', 'remove', 'drain', 'into_iter', 'replace', 'await', 'flatten', 'attach_printable', 'change_context', 'suggestion']);
const WRAPPERS = /^(Some|Ok|Box::new|Arc::new|Rc::new|Mutex::new|RwLock::new|RefCell::new|Cell::new|std::sync::Mutex::new|std::sync::Arc::new)$/;
const CELL_STORES = new Set(['push', 'insert', 'push_back', 'push_front', 'replace', 'get_or_insert', 'set', 'extend']);
const HARMLESS = new Set(['id', 'len', 'is_empty', 'is_some', 'is_none', 'is_ok', 'is_err', 'iter', 'as_ref', 'contains_key', 'get', 'clone']);
const BORROWING_MACROS = new Set(['println', 'print', 'eprintln', 'eprint', 'format', 'write', 'writeln', 'dbg', 'assert', 'assert_eq', 'assert_ne', 'debug_assert', 'debug', 'info', 'warn', 'error', 'trace', 'log', 'format_args']);
const PANIC_MACROS = new Set(['panic', 'unreachable']);
const STUB_MACROS = new Set(['todo', 'unimplemented']);
const CHILD_TYPE = /\bChild\b/;
/** Calls that run the closure they are given (a thread, a scope): a Child it waits for is waited for. */
const THREAD_SPAWN = /(^|::)(thread::spawn|thread::scope|spawn_blocking|spawn)$/;

/** Source text for words: one line, and the end of it when it is long (`…spawn()?.wait()`). */
export function short(text: string): string {
  const t = text.replace(/\s+/g, ' ').replace(/([(.]) /g, '$1');
  return t.length > 60 ? `…${t.slice(-50)}` : t;
}

/** How a call on a receiver reads: `child.wait()`, `self.child.kill()`, `spawn()?.wait()` for a chain. */
function callWords(recv: SyntaxNode | null, m: string): string {
  if (!recv) return `${m}()`;
  const t = recv.text.replace(/\s+/g, '');
  if (/^[\w.]+$/.test(t)) return `${t}.${m}()`;
  const q = recv.type === 'try_expression' ? '?' : '';
  const call = recv.type === 'try_expression' ? recv.namedChild(0) : recv;
  const f = call?.type === 'call_expression' ? call.childForFieldName('function') : null;
  return f?.type === 'field_expression' ? `${f.childForFieldName('field')?.text}()${q}.${m}()` : `${short(recv.text)}.${m}()`;
}

const diverge = (): Node => ({ op: 'loop', infinite: true, body: [] }); // a path that never goes on (a panic): judged nowhere

interface LoopCtx {
  label: string;
  result: Handle;
}

export class RustFnLowering {
  private readonly env: Map<string, Handle>[] = [new Map()];
  private readonly scopeVars: Handle[][] = [[]];
  private readonly used = new Map<string, number>();
  private temps: { h: Handle; at: SourceRange }[] = [];
  private tempN = 0;
  private loops: LoopCtx[] = [];
  private loopDepth = 0;
  /** Inside a closure lowered in place: a `return`/`?` leaves the closure, not the function. */
  private closureExit?: string;
  /** Functions made of code after an unconditional exit (lowered on their own, as clippy does). */
  readonly extra: FunctionIR[] = [];

  constructor(
    private readonly items: RustItems,
    private readonly api: RustApi,
    private readonly fn: { key: string; display: string; implType?: string; exported: boolean },
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
      params.push(h && CHILD_TYPE.test(type) && !/^&\s*(?!mut)/.test(type.trim()) ? h : null);
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

  private temp(at: SyntaxNode): Handle {
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
  private scoped(node: SyntaxNode, out: Node[], f: (body: Node[]) => void): void {
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
  private settle(v: Val, out: Node[]): Handle | null {
    if (!isTw(v)) return v;
    if (this.loopDepth > 0) out.push(this.waitNode(v.tw, v.at, 'try_wait() polled in a loop'));
    else out.push({ op: 'escape', h: v.tw, to: 'other', at: rangeOf(v.at), why: `${short(v.at.text)} reaps it only if it has already exited` });
    return null;
  }

  private waitNode(h: Handle, at: SyntaxNode, how?: string): Node {
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
  private bindPattern(pat: SyntaxNode, v: Handle | null, out: Node[]): void {
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
        return this.ifExpr(n, out);
      case 'match_expression':
        return this.matchExpr(n, out);
      case 'loop_expression':
      case 'while_expression':
      case 'for_expression':
        return this.loopExpr(n, out);
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

  private exprOf(n: SyntaxNode | null, out: Node[]): Val {
    return n ? this.expr(n, out) : null;
  }

  private tryOp(v: Val, n: SyntaxNode, out: Node[]): Val {
    if (typeof v === 'string' && !v.startsWith('@')) {
      // `spawn()?`: the early return is taken only when the spawn failed; the Child flows on.
      out.push({ op: 'if', cond: { k: 'is', h: v, outcomes: ['failed'], words: `${short(n.text)}`, at: rangeOf(n) }, then: [this.ret([], n)], else: [] });
      return v;
    }
    // try_wait()?: an error means there is nothing left to wait for.
    const then: Node[] = isTw(v) ? [this.waitNode(v.tw, v.at, `${short(v.at.text)} failing (nothing is left to wait for)`)] : [];
    then.push(this.ret([], n));
    out.push({ op: 'if', cond: { k: 'opaque' }, then, else: [] });
    return isTw(v) ? v : v;
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
    const isThread = THREAD_SPAWN.test(name);
    const vals = this.args(argsNode, out, isThread).map((v) => this.settle(v, out));
    if (this.api.isExit(name)) {
      out.push({ op: 'exit', at: rangeOf(n), how: `${name}()` });
      return null;
    }
    if (/^(std::)?(mem::)?(drop|forget)$/.test(name) && !this.items.byKey.has(name)) {
      if (vals[0]) out.push({ op: 'drop', h: vals[0], at: rangeOf(n), why: `${name}()`, kind: 'discarded' });
      return null;
    }
    if (WRAPPERS.test(name) && vals.length === 1) return vals[0];
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
      if (PANICS_ON_FAILURE.has(m) || PASS.has(m)) return rv;
      if (m === 'is_some' || m === 'is_none') return rv; // decoded by a condition; elsewhere settled
      this.settle(rv, out);
      return null;
    }
    if (rv?.startsWith('@')) {
      const vals = this.args(argsNode, out).map((v) => this.settle(v, out));
      if (WAITS.has(m) || m === 'try_wait') out.push(this.waitNode(rv, n, callWords(recvNode, m)));
      else if (m === 'kill') out.push({ op: 'kill', h: rv, at: rangeOf(n), how: callWords(recvNode, m) });
      else if (CELL_STORES.has(m)) for (const v of vals) if (v) out.push({ op: 'copy', from: v, to: rv, at: rangeOf(n) });
      if (WAITS.has(m) || m === 'try_wait' || m === 'kill' || HARMLESS.has(m) || (CELL_STORES.has(m) && m !== 'replace')) return null;
      if (PANICS_ON_FAILURE.has(m) || PASS.has(m)) return rv;
      out.push({ op: 'escape', h: rv, to: 'other', at: rangeOf(n), why: `${short(n.text)}` });
      return null;
    }
    if (rv) {
      const h = rv;
      const vals = this.args(argsNode, out).map((v) => this.settle(v, out));
      if (WAITS.has(m)) {
        out.push(this.waitNode(h, n, callWords(recvNode, m)));
        return null;
      }
      if (m === 'try_wait') return { tw: h, at: n };
      if (m === 'kill') {
        out.push({ op: 'kill', h, at: rangeOf(n), how: callWords(recvNode, m) });
        return null;
      }
      if (HARMLESS.has(m)) return null;
      if (PANICS_ON_FAILURE.has(m)) {
        out.push({ op: 'if', cond: { k: 'is', h, outcomes: ['failed'] }, then: [diverge()], else: [] });
        return h;
      }
      if (PASS.has(m)) return h;
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
    for (const h of this.mentioned(n)) out.push({ op: 'escape', h, to: 'closure', at: rangeOf(n), why: `captured by ${what} at line ${n.startPosition.row + 1}` });
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
    if (PANIC_MACROS.has(name)) {
      out.push(diverge());
      return null;
    }
    if (STUB_MACROS.has(name)) {
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
    if (BORROWING_MACROS.has(name)) return null;
    this.captures(n, out, `${name}!()`);
    return null;
  }

  // --- conditions and branches ---

  /** A condition: its Cond, and what runs first on each side (a try_wait() read as Some reaps). */
  private condition(c: SyntaxNode, out: Node[]): { cond: Cond; then: Node[]; else: Node[]; binds: [SyntaxNode, Handle][] } {
    const none = { cond: { k: 'opaque' } as Cond, then: [] as Node[], else: [] as Node[], binds: [] as [SyntaxNode, Handle][] };
    if (c.type === 'let_condition') {
      const pat = c.childForFieldName('pattern')!;
      const v = this.exprOf(c.childForFieldName('value'), out);
      if (isTw(v)) {
        const t = twPattern(pat);
        if (t === 'reaped') return { ...none, then: [this.waitNode(v.tw, v.at)] };
        if (t === 'running') return { ...none, else: [this.waitNode(v.tw, v.at)] };
        this.settle(v, out);
        return none;
      }
      if (v) {
        const m = patternCond(pat, v);
        return { ...none, cond: m.cond === 'default' || v.startsWith('@') ? { k: 'opaque' } : m.cond, binds: m.bind ? [[m.bind, v]] : [] };
      }
      return { ...none, binds: patternNames(pat).map((p) => [p, '']) };
    }
    const op = c.type === 'binary_expression' ? c.childForFieldName('operator')?.type : undefined;
    if (c.type === 'let_chain' || op === '&&' || op === '||') {
      const and = op !== '||';
      const parts = named(c).map((p) => this.condition(p, out));
      for (const p of parts) for (const side of [p.then, p.else]) if (side.some((x) => x.op === 'wait')) p.cond = { k: 'opaque' };
      const cond = parts.map((p) => p.cond).reduce((a, b) => (and ? { k: 'and', a, b } : { k: 'or', a, b }));
      return { cond, then: [], else: [], binds: and ? parts.flatMap((p) => p.binds) : [] };
    }
    if (c.type === 'unary_expression' && c.text.startsWith('!')) {
      const inner = this.condition(c.namedChild(0)!, out);
      return { cond: { k: 'not', c: inner.cond }, then: inner.else, else: inner.then, binds: [] };
    }
    if (c.type === 'parenthesized_expression') return this.condition(c.namedChild(0)!, out);
    if (c.type === 'call_expression' && c.childForFieldName('function')?.type === 'field_expression') {
      const f = c.childForFieldName('function')!;
      const m = f.childForFieldName('field')?.text ?? '';
      if (/^is_(some|none|ok|err)$/.test(m)) {
        const v = this.exprOf(f.childForFieldName('value'), out);
        const yes = m === 'is_some' || m === 'is_ok';
        if (isTw(v) && (m === 'is_some' || m === 'is_none')) return { ...none, [yes ? 'then' : 'else']: [this.waitNode(v.tw, v.at)] };
        if (typeof v === 'string' && !v.startsWith('@')) return { ...none, cond: { k: 'is', h: v, outcomes: [yes ? 'parent' : 'failed'] } };
        this.settle(v, out);
        return none;
      }
    }
    this.settle(this.expr(c, out), out);
    return none;
  }

  private branch(node: SyntaxNode, pre: Node[], binds: [SyntaxNode, Handle][], result: Handle | null): Node[] {
    const body: Node[] = [...pre];
    this.scoped(node, body, (inner) => {
      for (const [pat, v] of binds) this.bindPattern(pat, v || null, inner);
      const r = node.type === 'block' ? this.block(node, inner) : this.settle(this.expr(node, inner), inner);
      if (r && result) inner.push({ op: 'copy', from: r, to: result, at: rangeOf(node) });
    });
    return body;
  }

  private ifExpr(n: SyntaxNode, out: Node[]): Val {
    const c = this.condition(n.childForFieldName('condition')!, out);
    const result = this.temp(n);
    const then = this.branch(n.childForFieldName('consequence')!, c.then, c.binds, result);
    let alt = n.childForFieldName('alternative');
    if (alt?.type === 'else_clause') alt = alt.namedChild(0);
    const els = alt ? this.branch(alt, c.else, [], result) : [...c.else];
    out.push({ op: 'if', cond: c.cond, then, else: els, at: rangeOf(n) });
    return result;
  }

  private matchExpr(n: SyntaxNode, out: Node[]): Val {
    const v = this.exprOf(n.childForFieldName('value'), out);
    const result = this.temp(n);
    const arms: { cond: Cond | 'default'; body: Node[] }[] = [];
    const block = n.childForFieldName('body');
    for (const arm of block ? named(block) : []) {
      if (arm.type !== 'match_arm') continue;
      const mp = arm.childForFieldName('pattern');
      const pat = mp?.type === 'match_pattern' ? mp.namedChild(0) : mp;
      const guard = mp?.childForFieldName('condition');
      const value = arm.childForFieldName('value');
      if (!pat || !value) continue;
      const pre: Node[] = [];
      let cond: Cond | 'default' = { k: 'opaque' };
      let binds: [SyntaxNode, Handle][] = [];
      if (isTw(v)) {
        const t = twPattern(pat);
        if (t === 'reaped') pre.push(this.waitNode(v.tw, v.at));
        else if (t === 'other') this.settle(v, pre);
      } else if (typeof v === 'string') {
        const m = patternCond(pat, v);
        cond = v.startsWith('@') && m.cond !== 'default' ? { k: 'opaque' } : m.cond;
        if (m.bind) binds = [[m.bind, v]];
      } else binds = patternNames(pat).map((p) => [p, '']);
      if (guard) {
        this.settle(this.expr(guard, pre), pre);
        cond = cond === 'default' ? { k: 'opaque' } : { k: 'and', a: cond, b: { k: 'opaque' } };
      }
      arms.push({ cond, body: this.branch(value, pre, binds, result) });
    }
    if (!isTw(v) && typeof v !== 'string') this.settle(v, out);
    out.push({ op: 'switch', arms, exhaustive: true, at: rangeOf(n) });
    return result;
  }

  private loopExpr(n: SyntaxNode, out: Node[]): Val {
    const labelNode = n.namedChildren.find((c) => c.type === 'loop_label');
    const label = labelNode?.text ?? `$loop${n.id}`;
    const result = this.temp(n);
    const body: Node[] = [];
    const bodyNode = n.childForFieldName('body')!;
    this.loopDepth++;
    if (n.type === 'for_expression') {
      const v = this.settle(this.exprOf(n.childForFieldName('value'), out), out);
      this.loops.push({ label, result });
      this.scoped(bodyNode, body, (inner) => {
        const pat = n.childForFieldName('pattern');
        if (pat) this.bindPattern(pat, v?.startsWith('@') ? v : null, inner);
        this.block(bodyNode, inner);
      });
      this.loops.pop();
      this.loopDepth--;
      out.push({ op: 'loop', label, body, at: rangeOf(n) });
      return result;
    }
    this.loops.push({ label, result });
    if (n.type === 'while_expression') {
      const c = this.condition(n.childForFieldName('condition')!, body);
      const then = this.branch(bodyNode, c.then, c.binds, null);
      body.push({ op: 'if', cond: c.cond, then, else: [...c.else, { op: 'break', label, at: rangeOf(n) }] });
    } else this.block(bodyNode, body);
    this.loops.pop();
    this.loopDepth--;
    out.push({ op: 'loop', infinite: true, label, body, at: rangeOf(n) });
    return result;
  }
}

/** Node types that are statements or items, not a block's tail value. */
const STATEMENTS = new Set(['expression_statement', 'let_declaration', 'function_item', 'struct_item', 'enum_item', 'impl_item', 'trait_item', 'use_declaration', 'const_item', 'static_item', 'type_item', 'mod_item', 'macro_definition', 'attribute_item', 'inner_attribute_item', 'empty_statement', 'line_comment', 'block_comment', 'union_item', 'extern_crate_declaration', 'foreign_mod_item']);

/** `x`, `mut x`, `ref mut x`. */
function simpleName(p: SyntaxNode): string | undefined {
  if (p.type === 'identifier') return p.text;
  if (p.type === 'mut_pattern' || p.type === 'ref_pattern') {
    const last = p.namedChild(p.namedChildCount - 1);
    return last ? simpleName(last) : undefined;
  }
  return undefined;
}

function patternNames(p: SyntaxNode): SyntaxNode[] {
  return descendants(p, new Set(['identifier'])).filter((id) => !/^(None|Some|Ok|Err)$/.test(id.text) && (id.parent?.type !== 'tuple_struct_pattern' || id.parent.childForFieldName('type')?.id !== id.id));
}

/** What a pattern on a Result/Option of a Child says: `Ok(c)`/`Some(c)` the parent's outcome (binding c), `Err(_)`/`None` the failure. */
function patternCond(p: SyntaxNode, h: Handle): { cond: Cond | 'default'; bind?: SyntaxNode } {
  if (p.type === 'tuple_struct_pattern') {
    const t = (p.childForFieldName('type')?.text ?? '').replace(/^.*::/, '');
    const inner = named(p).filter((c) => c.id !== p.childForFieldName('type')?.id);
    if (t === 'Ok' || t === 'Some') {
      const sub = inner.length === 1 ? inner[0] : undefined;
      return { cond: { k: 'is', h, outcomes: ['parent'], words: short(p.text), at: rangeOf(p) }, bind: sub && sub.text !== '_' ? sub : undefined };
    }
    if (t === 'Err') return { cond: { k: 'is', h, outcomes: ['failed'], words: short(p.text), at: rangeOf(p) } };
    return { cond: { k: 'opaque' } };
  }
  if (p.text === 'None' || /::None$/.test(p.text)) return { cond: { k: 'is', h, outcomes: ['failed'] } };
  if (p.text === '_') return { cond: 'default' };
  if (simpleName(p)) return { cond: 'default', bind: p };
  return { cond: { k: 'opaque' } };
}

/** What a pattern on a try_wait() result says: it reaped (`Ok(Some(_))`, `Some(_)`, `Err(_)`), it is still running (`Ok(None)`, `None`), or either. */
function twPattern(p: SyntaxNode): 'reaped' | 'running' | 'other' | 'none' {
  const t = p.text.replace(/\s/g, '');
  if (/^(Ok\()?Some\(.*\)\)?$/.test(t) || /^Err\(.*\)$/.test(t)) return 'reaped';
  if (/^(Ok\()?None\)?$/.test(t)) return 'running';
  if (t === '_') return 'none';
  return 'other';
}

/** Does this statement end the process on every path (`std::process::exit(0);`, or a block ending in one)? */
function exitsHere(s: SyntaxNode, api: RustApi): boolean {
  const e = s.type === 'expression_statement' ? s.namedChild(0) : s;
  if (!e) return false;
  if (e.type === 'call_expression') return api.isExit((e.childForFieldName('function')?.text ?? '').replace(/\s/g, ''));
  if (e.type === 'block') return named(e).some((c) => exitsHere(c, api));
  return false;
}

function endOf(n: SyntaxNode): SourceRange {
  const line = n.endPosition.row + 1;
  return { startLine: line, startColumn: n.endPosition.column, endLine: line, endColumn: n.endPosition.column + 1 };
}
