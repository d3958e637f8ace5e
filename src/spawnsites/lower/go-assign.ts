/**
 * Go assignments and returns lowered to the IR: which handle a name now holds (a new Cmd, a started
 * child, a helper's result, an alias, a Cmd field), what is lost by overwriting it, which err
 * tells whether a start failed, and what goes back to the caller.
 */
import type { Handle, Node } from '../engine/ir';
import type { SyntaxNode } from '../parser';
import { named, rangeOf } from '../syntax';
import { type Desc, type FnLower, fresh, stringValue, type Var } from './go';

export function lowerReturn(lw: FnLower, node: SyntaxNode, out: Node[]): void {
  const list = node.namedChild(0);
  const values: (Handle | null)[] = [];
  if (list) {
    for (const e of list.type === 'expression_list' ? named(list) : [list]) {
      const v = lw.entityOf(e);
      if (v) {
        values.push(lw.h(v));
        if (v.kind === 'cmd') lw.returned.push(v.creations?.size === 1 ? [...v.creations][0] : null);
        continue;
      }
      const d = lw.expr(e, out);
      if (d?.k === 'new') lw.returned.push(d.creation);
      else if (d?.k === 'call' && d.kind === 'cmd') lw.returned.push(d.creation ?? null);
      if (d?.k === 'spawn' || d?.k === 'call') {
        const t = fresh('$t');
        out.push({ ...d.node, into: t });
        values.push(t);
      } else if (d?.k === 'cell') {
        out.push({ op: 'escape', h: d.cell, to: 'caller', at: rangeOf(e), why: 'returned to the caller' });
        values.push(null);
      } else values.push(null);
    }
  }
  out.push({ op: 'return', values, at: rangeOf(node) });
}

export function lowerAssign(lw: FnLower, node: SyntaxNode, out: Node[]): void {
  const isVarSpec = node.type === 'var_spec';
  const opText = isVarSpec ? '=' : node.childForFieldName('operator')?.text;
  const define = isVarSpec || node.type === 'short_var_declaration' || opText === ':=';
  const lhs = isVarSpec ? node.childrenForFieldName('name').filter((n) => n.type === 'identifier') : named(node.childForFieldName('left')!);
  const rhsList = node.childForFieldName(isVarSpec ? 'value' : 'right');
  const rhs = rhsList ? (rhsList.type === 'expression_list' ? named(rhsList) : [rhsList]) : [];
  if (!isVarSpec && !define && opText !== '=') {
    for (const e of rhs) lw.consume(lw.expr(e, out), e, out);
    return;
  }
  const descs: (Desc | undefined)[] = [];
  const aliases: (Var | undefined)[] = [];
  for (const e of rhs) {
    const v = lw.entityOf(e);
    aliases.push(v);
    descs.push(v ? undefined : lw.expr(e, out));
  }
  const declared = isVarSpec ? lw.host.handleType(node.childForFieldName('type')) : undefined;
  const multi = rhs.length === 1 && lhs.length > 1;
  // `p, err := os.StartProcess(...)`, `f, err := pty.Start(cmd)`: err tells whether that start failed.
  let firstHandle: Handle | undefined;
  // `rec, cmd, err := f()`: the handle f returns goes to the name at its position.
  const at0 = descs[0]?.k === 'call' ? (descs[0] as { index: number }).index : 0;
  if ((multi || rhs.length === 1) && descs[0]?.k === 'call' && at0 >= lhs.length) {
    lw.consume(descs[0], rhs[0], out);
    descs[0] = undefined;
  }
  lhs.forEach((l, i) => {
    const d = multi ? (i === at0 ? descs[0] : undefined) : descs[i];
    const alias = multi ? undefined : aliases[i];
    const d0 = descs[0];
    const errOf = multi && i === lhs.length - 1 ? (d0?.k === 'startErr' ? d0.h : d0?.k === 'spawn' || (d0?.k === 'call' && d0.errorLast) ? firstHandle : undefined) : !multi && d?.k === 'startErr' ? d.h : undefined;
    const at = rangeOf(l);
    if (l.type !== 'identifier') return store(lw, l, alias, d, out);
    const name = l.text;
    if (name === '_') {
      if (d?.k === 'spawn' || d?.k === 'call') out.push({ ...d.node, into: null });
      else if (alias === undefined && d?.k === 'cell') lw.consume(d, l, out);
      return;
    }
    let v = define ? lw.scopes[lw.scopes.length - 1].get(name) : lw.lookup(name);
    if (!v) {
      if (!define) {
        // A package-level variable: the handle outlives the function.
        if (alias) out.push({ op: 'escape', h: lw.h(alias), to: 'other', at, why: `stored in the package variable ${name}` });
        else lw.consume(d, l, out, `stored in the package variable ${name}`);
        return;
      }
      v = lw.declare(name);
    } else v.assigns = (v.assigns ?? 0) + 1;
    lw.errs.delete(v);
    v.literal = stringValue(rhs[multi ? rhs.length - 1 : i] ?? null);
    if (errOf !== undefined) {
      lw.errs.set(v, errOf);
      return;
    }
    if (alias) {
      const from = lw.h(alias);
      v.cell = undefined;
      v.kind = alias.kind === 'cmd' && rhs[i]?.type === 'selector_expression' ? 'process' : alias.kind;
      if (alias.cell) {
        out.push({ op: 'drop', h: lw.h(v), at, why: 'overwritten' });
        v.cell = alias.cell;
      } else out.push({ op: 'copy', from, to: lw.h(v), at });
      v.creations = alias.creations;
      lw.cmdVars.add(v);
      return;
    }
    v.cell = undefined;
    if (!d) {
      if (declared && !rhs.length) v.kind = declared;
      if (v.kind) out.push({ op: 'drop', h: lw.h(v), at, why: 'overwritten' });
      return;
    }
    switch (d.k) {
      case 'new':
        v.kind = 'cmd';
        out.push({ op: 'drop', h: lw.h(v), at, why: 'overwritten' });
        v.creations = new Set([d.creation]);
        lw.cmdVars.add(v);
        return;
      case 'spawn':
        v.kind = d.kind;
        v.cell = undefined;
        firstHandle = lw.h(v);
        lw.host.siteVariable(d.node.site, name);
        out.push({ ...d.node, into: firstHandle });
        return;
      case 'call':
        v.kind = d.kind;
        if (d.creation !== undefined) v.creations = new Set([d.creation]);
        lw.cmdVars.add(v);
        firstHandle = lw.h(v);
        // `cmd, err := start()`: by Go's convention no child comes back with an error.
        out.push({ ...d.node, into: firstHandle, ...(multi && d.errorLast && lhs[lhs.length - 1]?.text !== '_' ? { mayFail: true } : {}) });
        return;
      case 'cell':
        if (v.kind) out.push({ op: 'drop', h: lw.h(v), at, why: 'overwritten' });
        v.kind = 'cmd';
        v.cell = d.cell;
        return;
      case 'startErr':
        return;
    }
  });
}

/** `x.f = v`, `a[i] = v`, `*p = v`: a Cmd field is a cell store; anything else an escape. */
function store(lw: FnLower, l: SyntaxNode, alias: Var | undefined, d: Desc | undefined, out: Node[]): void {
  const at = rangeOf(l);
  const cell = lw.cellOf(l);
  if (cell) {
    if (alias) {
      out.push({ op: 'copy', from: lw.h(alias), to: cell, at });
      if (alias.kind === 'cmd' && alias.owner === lw) alias.cell = cell;
    } else if (d?.k === 'spawn' || d?.k === 'call') out.push({ ...d.node, into: cell });
    else if (d?.k === 'new') lw.fieldCreations.set(l.text, d.creation);
    return;
  }
  const why = `stored in ${l.text.length <= 40 ? l.text : 'a field'}`;
  if (alias) out.push({ op: 'escape', h: lw.h(alias), to: l.type === 'selector_expression' ? 'field' : 'container', at, why });
  else lw.consume(d, l, out, why);
  lw.consume(lw.expr(l, out), l, out);
}

