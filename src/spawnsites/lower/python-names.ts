/**
 * Which tests of a Python function cannot change their answer between two evaluations: the key the
 * engine pairs branches by (ir.ts `opaque.key`). Precision first: only tests with no call, over
 * names that are parameters never rebound, names bound once outside any loop, UPPER_CASE
 * constants or modules; anything else gets no key and stays a free test. Also the other facts
 * about names the lowering reads from the whole function: captured names, mixed returns.
 */
import type { SyntaxNode } from '../parser';
import { named } from '../syntax';

const unparen = (n: SyntaxNode | null): SyntaxNode | null => {
  while (n?.type === 'parenthesized_expression') n = n.namedChild(0);
  return n;
};

export function stableKey(n: SyntaxNode, bound: Map<string, number>, params: string[], resolve: (n: SyntaxNode) => string | undefined): string | undefined {
  const ok = (x: SyntaxNode): boolean => {
    switch (x.type) {
      case 'identifier': {
        const b = bound.get(x.text);
        if (b === undefined) return params.includes(x.text) || /^[A-Z][A-Z0-9_]*$/.test(x.text) || resolve(x) !== undefined;
        return b === 1 && !params.includes(x.text);
      }
      case 'attribute': {
        const obj = x.childForFieldName('object')!;
        return obj.text !== 'self' && obj.text !== 'cls' && ok(obj);
      }
      case 'comparison_operator':
      case 'not_operator':
      case 'boolean_operator':
      case 'parenthesized_expression':
        return named(x).every(ok);
      case 'string':
        return !named(x).some((c) => c.type === 'interpolation');
      case 'integer':
      case 'float':
      case 'true':
      case 'false':
      case 'none':
        return true;
      default:
        return false;
    }
  };
  return ok(n) ? n.text.replace(/\s+/g, ' ') : undefined;
}

/** How often each name is bound in the function (a binding inside a loop counts as many). */
export function bindings(body: SyntaxNode | null): Map<string, number> {
  const out = new Map<string, number>();
  const bump = (name: string, n: number) => out.set(name, (out.get(name) ?? 0) + n);
  const targets = (t: SyntaxNode | null, n: number) => {
    if (!t) return;
    if (t.type === 'identifier') bump(t.text, n);
    else if (t.type === 'pattern_list' || t.type === 'tuple_pattern' || t.type === 'list_pattern' || t.type === 'as_pattern_target') for (const c of t.descendantsOfType('identifier')) bump(c.text, n);
  };
  const visit = (x: SyntaxNode, inLoop: boolean) => {
    const n = inLoop ? 2 : 1;
    switch (x.type) {
      case 'function_definition':
      case 'class_definition':
      case 'lambda':
        if (x.id !== body?.parent?.id) return;
        break;
      case 'assignment':
      case 'augmented_assignment':
        targets(x.childForFieldName('left'), x.type === 'augmented_assignment' ? 2 : n);
        break;
      case 'named_expression':
        targets(x.childForFieldName('name'), n);
        break;
      case 'for_statement':
      case 'for_in_clause':
        targets(x.childForFieldName('left'), 2);
        break;
      case 'as_pattern_target':
        targets(x, n);
        break;
      case 'global_statement':
      case 'nonlocal_statement':
      case 'delete_statement':
        for (const c of x.descendantsOfType('identifier')) bump(c.text, 2);
        break;
    }
    const loop = inLoop || x.type === 'for_statement' || x.type === 'while_statement';
    for (const c of named(x)) visit(c, loop);
  };
  if (body) visit(body, false);
  return out;
}

/** Names a nested function, lambda or class of the function mentions. */
export function capturedNames(body: SyntaxNode | null): Set<string> {
  const out = new Set<string>();
  if (!body) return out;
  for (const t of ['function_definition', 'lambda', 'class_definition']) {
    for (const d of body.descendantsOfType(t)) if (d.id !== body.parent?.id) for (const i of d.descendantsOfType('identifier')) out.add(i.text);
  }
  return out;
}

const mixedCache = new WeakMap<SyntaxNode, boolean>();

/** Does the function return a bare name or call on some path and a tuple, list or literal on another? */
export function mixedReturns(def: SyntaxNode): boolean {
  const known = mixedCache.get(def);
  if (known !== undefined) return known;
  let bare = false;
  let other = false;
  for (const r of def.descendantsOfType('return_statement')) {
    let p = r.parent;
    while (p && p.type !== 'function_definition') p = p.parent;
    if (p?.id !== def.id) continue;
    const e = unparen(r.namedChild(0));
    if (!e || e.type === 'none') continue;
    if (/^(identifier|call|attribute|subscript|await)$/.test(e.type)) bare = true;
    else other = true;
  }
  mixedCache.set(def, bare && other);
  return bare && other;
}

/** The pid argument of os.waitpid/os.kill: `p.pid` stands for the Popen `p`. */
export function pidOf(a: SyntaxNode): SyntaxNode {
  const u = unparen(a)!;
  return u.type === 'attribute' && u.childForFieldName('attribute')?.text === 'pid' ? unparen(u.childForFieldName('object'))! : u;
}
