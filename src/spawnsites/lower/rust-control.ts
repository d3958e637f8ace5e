/**
 * Branches and loops of the Rust lowering (lower/rust.ts): `if`/`if let`/let chains, `match`
 * (exhaustive: an arm per pattern, a wait in every arm is a wait on every path), `loop`, `while`,
 * `while let`, `for`. A condition on a spawn's Result (`if let Ok(c)`, `.is_ok()`) filters the
 * outcomes; one on a try_wait() result (`Ok(Some(_))`, `.is_none()`) puts the reap on its side.
 */
import type { SyntaxNode } from '../parser';
import type { Cond, Handle, Node } from '../engine/ir';
import { rustCfg } from '../platform';
import { named, rangeOf } from '../syntax';
import type { RustFnLowering } from './rust';
import { isTw, patternCond, patternNames, twPattern, type Val } from './rust-tables';

export class RustControl {
  constructor(private readonly l: RustFnLowering) {}


  /** A condition: its Cond, and what runs first on each side (a try_wait() read as Some reaps). */
  condition(c: SyntaxNode, out: Node[]): { cond: Cond; then: Node[]; else: Node[]; binds: [SyntaxNode, Handle][] } {
    const none = { cond: { k: 'opaque' } as Cond, then: [] as Node[], else: [] as Node[], binds: [] as [SyntaxNode, Handle][] };
    if (c.type === 'let_condition') {
      const pat = c.childForFieldName('pattern')!;
      const v = this.l.exprOf(c.childForFieldName('value'), out);
      if (isTw(v)) {
        const t = twPattern(pat);
        if (t === 'reaped') return { ...none, then: [this.l.waitNode(v.tw, v.at)] };
        if (t === 'running') return { ...none, else: [this.l.waitNode(v.tw, v.at)] };
        this.l.settle(v, out);
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
    // `cfg!(windows)`, `cfg!(unix)`, `cfg!(target_os = "windows")`: the engine's platform condition.
    if (c.type === 'macro_invocation' && c.childForFieldName('macro')?.text === 'cfg') {
      const args = /^cfg\s*!\s*\(([\s\S]*)\)$/.exec(c.text);
      const holds = args ? rustCfg(args[1]) : undefined;
      if (holds !== undefined) return { ...none, cond: { k: 'platform', holds, words: `\`${c.text}\``, at: rangeOf(c) } };
    }
    if (c.type === 'call_expression' && c.childForFieldName('function')?.type === 'field_expression') {
      const f = c.childForFieldName('function')!;
      const m = f.childForFieldName('field')?.text ?? '';
      if (/^is_(some|none|ok|err)$/.test(m)) {
        const v = this.l.exprOf(f.childForFieldName('value'), out);
        const yes = m === 'is_some' || m === 'is_ok';
        if (isTw(v) && (m === 'is_some' || m === 'is_none')) return { ...none, [yes ? 'then' : 'else']: [this.l.waitNode(v.tw, v.at)] };
        if (typeof v === 'string' && !v.startsWith('@')) return { ...none, cond: { k: 'is', h: v, outcomes: [yes ? 'parent' : 'failed'] } };
        this.l.settle(v, out);
        return none;
      }
    }
    this.l.settle(this.l.expr(c, out), out);
    return none;
  }

  branch(node: SyntaxNode, pre: Node[], binds: [SyntaxNode, Handle][], result: Handle | null): Node[] {
    const body: Node[] = [...pre];
    this.l.scoped(node, body, (inner) => {
      for (const [pat, v] of binds) this.l.bindPattern(pat, v || null, inner);
      const r = node.type === 'block' ? this.l.block(node, inner) : this.l.settle(this.l.expr(node, inner), inner);
      if (r && result) inner.push({ op: 'copy', from: r, to: result, at: rangeOf(node) });
    });
    return body;
  }

  ifExpr(n: SyntaxNode, out: Node[]): Val {
    const c = this.condition(n.childForFieldName('condition')!, out);
    const result = this.l.temp(n);
    const then = this.branch(n.childForFieldName('consequence')!, c.then, c.binds, result);
    let alt = n.childForFieldName('alternative');
    if (alt?.type === 'else_clause') alt = alt.namedChild(0);
    const els = alt ? this.branch(alt, c.else, [], result) : [...c.else];
    out.push({ op: 'if', cond: c.cond, then, else: els, at: rangeOf(n) });
    return result;
  }

  matchExpr(n: SyntaxNode, out: Node[]): Val {
    const v = this.l.exprOf(n.childForFieldName('value'), out);
    const result = this.l.temp(n);
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
        if (t === 'reaped') pre.push(this.l.waitNode(v.tw, v.at));
        else if (t === 'other') this.l.settle(v, pre);
      } else if (typeof v === 'string') {
        const m = patternCond(pat, v);
        cond = v.startsWith('@') && m.cond !== 'default' ? { k: 'opaque' } : m.cond;
        if (m.bind) binds = [[m.bind, v]];
      } else binds = patternNames(pat).map((p) => [p, '']);
      if (guard) {
        this.l.settle(this.l.expr(guard, pre), pre);
        cond = cond === 'default' ? { k: 'opaque' } : { k: 'and', a: cond, b: { k: 'opaque' } };
      }
      arms.push({ cond, body: this.branch(value, pre, binds, result) });
    }
    if (!isTw(v) && typeof v !== 'string') this.l.settle(v, out);
    out.push({ op: 'switch', arms, exhaustive: true, at: rangeOf(n) });
    return result;
  }

  loopExpr(n: SyntaxNode, out: Node[]): Val {
    const labelNode = n.namedChildren.find((c) => c.type === 'loop_label');
    const label = labelNode?.text ?? `$loop${n.id}`;
    const result = this.l.temp(n);
    const body: Node[] = [];
    const bodyNode = n.childForFieldName('body')!;
    this.l.loopDepth++;
    if (n.type === 'for_expression') {
      const v = this.l.settle(this.l.exprOf(n.childForFieldName('value'), out), out);
      this.l.loops.push({ label, result });
      this.l.scoped(bodyNode, body, (inner) => {
        const pat = n.childForFieldName('pattern');
        if (pat) this.l.bindPattern(pat, v?.startsWith('@') ? v : null, inner);
        this.l.block(bodyNode, inner);
      });
      this.l.loops.pop();
      this.l.loopDepth--;
      out.push({ op: 'loop', label, body, at: rangeOf(n) });
      return result;
    }
    this.l.loops.push({ label, result });
    if (n.type === 'while_expression') {
      const c = this.condition(n.childForFieldName('condition')!, body);
      const then = this.branch(bodyNode, c.then, c.binds, null);
      body.push({ op: 'if', cond: c.cond, then, else: [...c.else, { op: 'break', label, at: rangeOf(n) }] });
    } else this.l.block(bodyNode, body);
    this.l.loops.pop();
    this.l.loopDepth--;
    out.push({ op: 'loop', infinite: true, label, body, at: rangeOf(n) });
    return result;
  }
}
