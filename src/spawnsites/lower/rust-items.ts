/**
 * What a Rust file declares that the lowering (lower/rust.ts) needs before it lowers any body:
 * its functions and methods (with the keys calls resolve to), the struct fields that can hold a
 * Child (the engine's cells), what code outside the file can reach, and which functions are worth
 * lowering at all (those with a spawn site, those that touch a Child field, their callers when they
 * return a Child, and the callees a Child is handed to or that end the process).
 */
import type { SyntaxNode } from '../parser';
import type { CellIR } from '../engine/ir';
import { descendants, named } from '../syntax';

export interface RustFn {
  node: SyntaxNode;
  /** `run`, `Server::new` (associated functions and methods by their impl's type). */
  key: string;
  name: string;
  implType?: string;
  /** Callable from outside this file: `pub`, a trait impl, a file with out-of-line child modules, used as a value. */
  exported: boolean;
  returnsChild: boolean;
  /** Marked `#[test]`, `#[tokio::test]`, `#[rstest]`…: a `?` that fails in it fails the test. */
  test: boolean;
}

const CHILD_TYPE = /\bChild\b/;
/** `#[test]`, `#[tokio::test(flavor = …)]`, `#[test_case(…)]`, `#[rstest]`. */
const TEST_ATTR = /^#\[\s*(\w+\s*::\s*)*(test|test_case|rstest)\b/;

/** The outer attributes written on an item or statement (tree-sitter puts them before it, as siblings, comments between). */
export function outerAttributes(node: SyntaxNode): SyntaxNode[] {
  const attrs: SyntaxNode[] = [];
  for (let p = node.previousNamedSibling; p && (p.type === 'attribute_item' || p.type === 'line_comment' || p.type === 'block_comment'); p = p.previousNamedSibling) if (p.type === 'attribute_item') attrs.push(p);
  return attrs;
}

const isTest = (node: SyntaxNode) => outerAttributes(node).some((a) => TEST_ATTR.test(a.text));
/** A body that may end the process (std::process::exit, abort, libc::_exit) or a function that never returns. */
const EXITS_TEXT = /\b(exit|abort|_exit)\s*\(/;

/** `Foo<T>` -> `Foo`, `crate::a::Foo` -> `Foo`. */
export function typeName(t: string): string {
  const noGen = t.replace(/<[\s\S]*$/, '').trim();
  return noGen.slice(noGen.lastIndexOf(':') + 1).replace(/^&\s*(mut\s+)?/, '');
}

export class RustItems {
  readonly fns: RustFn[] = [];
  readonly byKey = new Map<string, RustFn>();
  /** Method name -> the methods of that name (for `x.m()` on a receiver of unknown type). */
  private readonly methods = new Map<string, RustFn[]>();
  /** Field name -> the cell all Child-holding fields of that name share (`@child`). */
  readonly cellOfField = new Map<string, string>();
  readonly cells: CellIR[] = [];
  /** Child modules in other files (`mod x;`) can read this file's private fields and call its private functions. */
  readonly outOfLineMods: boolean;

  constructor(readonly root: SyntaxNode) {
    // One query for every item kind this needs (each query is a walk inside WASM).
    const items = descendants(root, new Set(['mod_item', 'function_item', 'struct_item']));
    this.outOfLineMods = items.some((m) => m.type === 'mod_item' && !m.childForFieldName('body'));
    for (const f of items) if (f.type === 'function_item') this.addFn(f);
    this.readStructs(items.filter((i) => i.type === 'struct_item'));
    this.names = new Set(this.fns.map((f) => f.name));
    this.spans = this.fns.map((f) => ({ start: f.node.startIndex, end: f.node.endIndex, fn: f })).sort((a, b) => a.start - b.start);
  }

  /** The names of this file's functions: a call of any other name resolves to nothing here. */
  private readonly names: Set<string>;
  private readonly spans: { start: number; end: number; fn: RustFn }[];

  /** The innermost function around a node, by position (no walk up the tree). */
  fnAround(n: SyntaxNode): RustFn | undefined {
    const at = n.startIndex;
    let lo = 0;
    let hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.spans[mid].start <= at) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) if (this.spans[i].end >= n.endIndex) return this.spans[i].fn;
    return undefined;
  }

  /** The last name of a callee (`f`, `Type::f`, `x.f`), for a cheap check before resolving. */
  static calleeName(callee: SyntaxNode): string | undefined {
    if (callee.type === 'identifier') return callee.text;
    if (callee.type === 'scoped_identifier') return callee.childForFieldName('name')?.text;
    if (callee.type === 'field_expression') return callee.childForFieldName('field')?.text;
    if (callee.type === 'generic_function') {
      const f = callee.childForFieldName('function');
      return f ? RustItems.calleeName(f) : undefined;
    }
    return undefined;
  }

  private addFn(node: SyntaxNode): void {
    const name = node.childForFieldName('name')?.text ?? '';
    let implType: string | undefined;
    let traitImpl = false;
    const p = node.parent?.parent;
    if (node.parent?.type === 'declaration_list' && p?.type === 'impl_item') {
      implType = typeName(p.childForFieldName('type')?.text ?? '');
      traitImpl = !!p.childForFieldName('trait');
    } else if (node.parent?.type === 'declaration_list' && p?.type === 'trait_item') {
      implType = p.childForFieldName('name')?.text;
      traitImpl = true;
    }
    const pub = named(node).some((c) => c.type === 'visibility_modifier');
    const ret = node.childForFieldName('return_type')?.text ?? '';
    // Two items of one name (`#[cfg(windows)] fn f` and `#[cfg(unix)] fn f`): calls go to the first, each is walked.
    let key = implType ? `${implType}::${name}` : name;
    for (let i = 2; this.byKey.has(key); i++) key = `${implType ? `${implType}::${name}` : name}#${i}`;
    const fn: RustFn = { node, name, key, exported: pub || traitImpl || this.outOfLineMods, returnsChild: CHILD_TYPE.test(ret), test: isTest(node) };
    if (implType !== undefined) fn.implType = implType;
    this.fns.push(fn);
    this.byKey.set(fn.key, fn);
    if (implType && node.childForFieldName('parameters')?.namedChildren.some((c) => c.type === 'self_parameter')) {
      const list = this.methods.get(name) ?? [];
      list.push(fn);
      this.methods.set(name, list);
    }
  }

  private readStructs(structs: SyntaxNode[]): void {
    for (const s of structs) {
      const sname = s.childForFieldName('name')?.text ?? '';
      const body = s.childForFieldName('body');
      if (body?.type !== 'field_declaration_list') continue;
      for (const f of named(body)) {
        if (f.type !== 'field_declaration') continue;
        const type = f.childForFieldName('type')?.text ?? '';
        const fname = f.childForFieldName('name')?.text;
        if (!fname || !CHILD_TYPE.test(type)) continue;
        const pub = named(f).some((c) => c.type === 'visibility_modifier');
        const cell = `@${fname}`;
        const have = this.cells.find((c) => c.name === cell);
        if (have) {
          have.exported ||= pub || this.outOfLineMods;
          have.words += `, ${sname}`;
        } else {
          this.cellOfField.set(fname, cell);
          this.cells.push({ name: cell, exported: pub || this.outOfLineMods, words: `field ${fname} of ${sname}` });
        }
      }
    }
  }

  /** The function a call's callee names, when this file defines it. */
  resolve(callee: SyntaxNode, implType: string | undefined): RustFn | undefined {
    if (callee.type === 'generic_function') return this.resolve(callee.childForFieldName('function') ?? callee, implType);
    if (callee.type === 'identifier') return this.byKey.get(callee.text);
    if (callee.type === 'scoped_identifier') {
      const path = callee.childForFieldName('path')?.text ?? '';
      const name = callee.childForFieldName('name')?.text ?? '';
      const t = path === 'Self' ? implType : typeName(path);
      return t ? this.byKey.get(`${t}::${name}`) : undefined;
    }
    if (callee.type === 'field_expression') {
      const m = callee.childForFieldName('field')?.text ?? '';
      if (callee.childForFieldName('value')?.type === 'self' && implType) {
        const own = this.byKey.get(`${implType}::${m}`);
        if (own) return own;
      }
      const list = this.methods.get(m);
      return list?.length === 1 ? list[0] : undefined;
    }
    return undefined;
  }

  /**
   * The functions worth lowering: those enclosing a site; those touching a Child field; then, to a
   * fixed point, callers of lowered functions that return a Child, and lowered functions' callees
   * that take a Child or may end the process.
   */
  needed(siteFns: Iterable<SyntaxNode>, calls: SyntaxNode[]): Set<SyntaxNode> {
    const out = new Set<SyntaxNode>();
    const byNode = new Map<number, RustFn>(this.fns.map((f) => [f.node.id, f]));
    const fnOf = (n: SyntaxNode): RustFn | undefined => this.fnAround(n);
    const work: SyntaxNode[] = [];
    const add = (n: SyntaxNode | undefined) => {
      if (n && !out.has(n)) {
        out.add(n);
        work.push(n);
      }
    };
    for (const n of siteFns) add(n);
    if (this.cells.length) {
      for (const id of descendants(this.root, new Set(['field_identifier', 'shorthand_field_initializer']))) {
        const name = id.type === 'shorthand_field_initializer' ? id.namedChild(0)?.text ?? '' : id.text;
        if (this.cellOfField.has(name) && id.parent?.type !== 'field_declaration') add(fnOf(id)?.node);
      }
    }
    // Calls, by the function they are in (only what resolves to a function of this file).
    const callsIn = new Map<number, { callee: RustFn; call: SyntaxNode }[]>();
    const callersOf = new Map<string, RustFn[]>();
    for (const call of calls) {
      const f = call.childForFieldName('function');
      if (!f) continue;
      const name = RustItems.calleeName(f);
      if (!name || !this.names.has(name)) continue;
      const at = fnOf(call);
      const callee = this.resolve(f, at?.implType);
      if (!callee || !at) continue;
      const list = callsIn.get(at.node.id) ?? [];
      list.push({ callee, call });
      callsIn.set(at.node.id, list);
      const cl = callersOf.get(callee.key) ?? [];
      cl.push(at);
      callersOf.set(callee.key, cl);
    }
    const worthCalling = new Map<string, boolean>();
    const worth = (g: RustFn): boolean => {
      let w = worthCalling.get(g.key);
      if (w === undefined) {
        const params = g.node.childForFieldName('parameters')?.text ?? '';
        const ret = g.node.childForFieldName('return_type')?.text ?? '';
        w = CHILD_TYPE.test(params) || ret.trim() === '!' || EXITS_TEXT.test(g.node.childForFieldName('body')?.text ?? '');
        worthCalling.set(g.key, w);
      }
      return w;
    };
    while (work.length) {
      const n = work.pop()!;
      const f = byNode.get(n.id);
      if (!f) continue;
      for (const { callee } of callsIn.get(n.id) ?? []) if (worth(callee)) add(callee.node);
      if (f.returnsChild) for (const caller of callersOf.get(f.key) ?? []) add(caller.node);
    }
    return out;
  }

  private byNodeId?: Map<number, RustFn>;

  fnOfNode(n: SyntaxNode): RustFn | undefined {
    this.byNodeId ??= new Map(this.fns.map((f) => [f.node.id, f]));
    return this.byNodeId.get(n.id);
  }
}
