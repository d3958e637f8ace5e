/**
 * Go conditions lowered to what the walk can use of them (engine/ir.ts Cond): `err != nil` or
 * `errors.Is(err, …)` on a Start's error (a condition on that spawn's outcome), a test of
 * runtime.GOOS or of a platform constant, a plain boolean tested twice (keyed), and the arms of a
 * switch on runtime.GOOS. Anything else is opaque.
 */
import type { Cond, Handle, Node } from '../engine/ir';
import type { SyntaxNode } from '../parser';
import { named, rangeOf } from '../syntax';
import type { FnLower } from './go';

/** Lowers a condition's effects into `out` and returns what the walk can use of it. */
export function lowerCond(l: FnLower, node: SyntaxNode, out: Node[]): Cond {
  const c = condOf(l, node);
  l.consume(l.expr(node, out), node, out);
  return c ?? { k: 'opaque' };
}

function condOf(l: FnLower, node: SyntaxNode): Cond | undefined {
  const type = node.type;
  if (type === 'parenthesized_expression') return node.namedChild(0) ? condOf(l, node.namedChild(0)!) : undefined;
  if (type === 'unary_expression' && node.childForFieldName('operator')?.text === '!') {
    const c = condOf(l, node.childForFieldName('operand')!);
    return c && { k: 'not', c };
  }
  if (type === 'binary_expression' || type === 'selector_expression' || (type === 'identifier' && !l.lookup(node.text))) {
    const p = l.host.platform(node);
    if (p) return { k: 'platform', ...p, at: rangeOf(node) };
  }
  if (type === 'identifier') {
    // `if write {...}`: a plain boolean tested twice takes the same branch both times.
    const v = l.lookup(node.text);
    if (!v || v.kind) return undefined;
    const c: Extract<Cond, { k: 'opaque' }> = { k: 'opaque', key: v.handle };
    l.keyCond(v, c);
    return c;
  }
  if (type === 'call_expression') {
    // `errors.Is(err, syscall.ENOEXEC)` on a Start's error: true only when the Start failed; false says nothing.
    const args = node.childForFieldName('arguments');
    const first = args ? named(args).find((a) => a.type !== 'comment') : undefined;
    const h = first ? startErrOf(l, first) : undefined;
    const words = h && l.host.errPredicate(node);
    if (!h || !words) return undefined;
    return { k: 'and', a: { k: 'is', h, outcomes: ['failed'], words: node.text, at: rangeOf(node) }, b: { k: 'opaque', words } };
  }
  if (type !== 'binary_expression') return undefined;
  const op = node.childForFieldName('operator')?.text;
  let left = node.childForFieldName('left');
  let right = node.childForFieldName('right');
  if (op === '&&' || op === '||') {
    const a = (left && condOf(l, left)) ?? { k: 'opaque' as const };
    const b = (right && condOf(l, right)) ?? { k: 'opaque' as const };
    return a.k === 'opaque' && b.k === 'opaque' && !a.key && !b.key ? undefined : { k: op === '&&' ? 'and' : 'or', a, b };
  }
  if (op !== '!=' && op !== '==') return undefined;
  if (left?.type === 'nil') [left, right] = [right, left];
  if (right?.type !== 'nil' || !left) return undefined;
  const h = startErrOf(l, left);
  if (!h) return undefined;
  const is: Cond = { k: 'is', h, outcomes: ['failed'] };
  return op === '!=' ? is : { k: 'not', c: is };
}

/** `case "windows", "plan9":` of a switch on runtime.GOOS: one condition per value, or'ed. */
export function goosArm(l: FnLower, values: SyntaxNode): Cond {
  const vs = named(values).filter((v) => v.type !== 'comment');
  const ps = vs.map((v) => l.host.goosCase(v));
  // Every value one no OS with zombies has: the arm is one condition, said with all its values.
  if (ps.length && ps.every((p) => p && !p.holds)) return { k: 'platform', holds: false, words: `\`runtime.GOOS\` in ${vs.map((v) => v.text).join(', ')}`, at: rangeOf(values) };
  const conds: Cond[] = ps.map((p, i) => (p ? { k: 'platform', ...p, at: rangeOf(vs[i]) } : { k: 'opaque' }));
  return conds.reduce((a, b) => ({ k: 'or', a, b }));
}

/** The Start whose error `node` is: a variable it was put in, or the `cmd.Start()` call itself. */
function startErrOf(l: FnLower, node: SyntaxNode): Handle | undefined {
  if (node.type === 'identifier') {
    const v = l.lookup(node.text);
    return v ? l.errs.get(v) : undefined;
  }
  return node.type === 'call_expression' ? l.startCalls.get(node.startIndex) : undefined;
}
