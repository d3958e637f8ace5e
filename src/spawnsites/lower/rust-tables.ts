/** Tables and small helpers of the Rust lowering (lower/rust.ts): which methods wait, pass a Child on, store it; patterns; words. */
import type { SyntaxNode } from '../parser';
import type { Cond, Handle, Node } from '../engine/ir';
import type { SourceRange } from '../types';
import { descendants, named, rangeOf } from '../syntax';

/** What the file's API knowledge says about a call (rust.ts). */
export interface RustApi {
  /** The engine site id of a `Command::spawn` call, if this call is one. */
  siteOf(call: SyntaxNode): number | undefined;
  /** The callee ends the process (`std::process::exit`, `abort`). */
  isExit(callee: string): boolean;
}

/** A try_wait() result not yet read: reaps the child on its `Some`/`Err` outcomes. */
export interface TryWait {
  tw: Handle;
  at: SyntaxNode;
}
export type Val = Handle | null | TryWait;
export const isTw = (v: Val): v is TryWait => typeof v === 'object' && v !== null;

export const WAITS = new Set(['wait', 'wait_with_output']);
/** Result/Option adaptors the Child flows through (a panic or an early return only on failure). */
export const PANICS_ON_FAILURE = new Set(['unwrap', 'expect', 'unwrap_unchecked', 'unwrap_or_else']);
export const PASS = new Set(['map_err', 'context', 'with_context', 'wrap_err', 'wrap_err_with', 'ok', 'into', 'as_mut', 'as_deref_mut', 'by_ref', 'inspect', 'inspect_err', 'take', 'lock', 'write', 'borrow_mut', 'get_mut', 'iter_mut', 'values_mut', 'first_mut', 'last_mut', 'pop', 'remove', 'drain', 'into_iter', 'replace', 'await', 'flatten', 'attach_printable', 'change_context', 'suggestion']);
export const WRAPPERS = /^(Some|Ok|Box::new|Arc::new|Rc::new|Mutex::new|RwLock::new|RefCell::new|Cell::new|std::sync::Mutex::new|std::sync::Arc::new)$/;
export const CELL_STORES = new Set(['push', 'insert', 'push_back', 'push_front', 'replace', 'get_or_insert', 'set', 'extend']);
export const HARMLESS = new Set(['id', 'len', 'is_empty', 'is_some', 'is_none', 'is_ok', 'is_err', 'iter', 'as_ref', 'contains_key', 'get', 'clone']);
export const BORROWING_MACROS = new Set(['println', 'print', 'eprintln', 'eprint', 'format', 'write', 'writeln', 'dbg', 'assert', 'assert_eq', 'assert_ne', 'debug_assert', 'debug', 'info', 'warn', 'error', 'trace', 'log', 'format_args']);
export const PANIC_MACROS = new Set(['panic', 'unreachable']);
export const STUB_MACROS = new Set(['todo', 'unimplemented']);
export const CHILD_TYPE = /\bChild\b/;
/** Calls that run the closure they are given (a thread, a scope): a Child it waits for is waited for. */
export const THREAD_SPAWN = /(^|::)(thread::spawn|thread::scope|spawn_blocking|spawn)$/;

/** Source text for words: one line, and the end of it when it is long (`…spawn()?.wait()`). */
export function short(text: string): string {
  const t = text.replace(/\s+/g, ' ').replace(/([(.]) /g, '$1');
  return t.length > 60 ? `…${t.slice(-50)}` : t;
}

/** How a call on a receiver reads: `child.wait()`, `self.child.kill()`, `spawn()?.wait()` for a chain. */
export function callWords(recv: SyntaxNode | null, m: string): string {
  if (!recv) return `${m}()`;
  const t = recv.text.replace(/\s+/g, '');
  if (/^[\w.]+$/.test(t)) return `${t}.${m}()`;
  const q = recv.type === 'try_expression' ? '?' : '';
  const call = recv.type === 'try_expression' ? recv.namedChild(0) : recv;
  const f = call?.type === 'call_expression' ? call.childForFieldName('function') : null;
  return f?.type === 'field_expression' ? `${f.childForFieldName('field')?.text}()${q}.${m}()` : `${short(recv.text)}.${m}()`;
}

export const diverge = (): Node => ({ op: 'loop', infinite: true, body: [] }); // a path that never goes on (a panic): judged nowhere

export interface LoopCtx {
  label: string;
  result: Handle;
}


/** Node types that are statements or items, not a block's tail value. */
export const STATEMENTS = new Set(['expression_statement', 'let_declaration', 'function_item', 'struct_item', 'enum_item', 'impl_item', 'trait_item', 'use_declaration', 'const_item', 'static_item', 'type_item', 'mod_item', 'macro_definition', 'attribute_item', 'inner_attribute_item', 'empty_statement', 'line_comment', 'block_comment', 'union_item', 'extern_crate_declaration', 'foreign_mod_item']);

/** `x`, `mut x`, `ref mut x`. */
export function simpleName(p: SyntaxNode): string | undefined {
  if (p.type === 'identifier') return p.text;
  if (p.type === 'mut_pattern' || p.type === 'ref_pattern') {
    const last = p.namedChild(p.namedChildCount - 1);
    return last ? simpleName(last) : undefined;
  }
  return undefined;
}

export function patternNames(p: SyntaxNode): SyntaxNode[] {
  return descendants(p, new Set(['identifier'])).filter((id) => !/^(None|Some|Ok|Err)$/.test(id.text) && (id.parent?.type !== 'tuple_struct_pattern' || id.parent.childForFieldName('type')?.id !== id.id));
}

/** What a pattern on a Result/Option of a Child says: `Ok(c)`/`Some(c)` the parent's outcome (binding c), `Err(_)`/`None` the failure. */
export function patternCond(p: SyntaxNode, h: Handle): { cond: Cond | 'default'; bind?: SyntaxNode } {
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
export function twPattern(p: SyntaxNode): 'reaped' | 'running' | 'other' | 'none' {
  const t = p.text.replace(/\s/g, '');
  if (/^(Ok\()?Some\(.*\)\)?$/.test(t) || /^Err\(.*\)$/.test(t)) return 'reaped';
  if (/^(Ok\()?None\)?$/.test(t)) return 'running';
  if (t === '_') return 'none';
  return 'other';
}

/** Does this statement end the process on every path (`std::process::exit(0);`, or a block ending in one)? */
export function exitsHere(s: SyntaxNode, api: RustApi): boolean {
  const e = s.type === 'expression_statement' ? s.namedChild(0) : s;
  if (!e) return false;
  if (e.type === 'call_expression') return api.isExit((e.childForFieldName('function')?.text ?? '').replace(/\s/g, ''));
  if (e.type === 'block') return named(e).some((c) => exitsHere(c, api));
  return false;
}

export function endOf(n: SyntaxNode): SourceRange {
  const line = n.endPosition.row + 1;
  return { startLine: line, startColumn: n.endPosition.column, endLine: line, endColumn: n.endPosition.column + 1 };
}
