/**
 * Go expressions and calls lowered to the IR (the statements are in go.ts): which call starts a
 * child, waits for it, kills it or hands it on; a handle used as a value escapes.
 */
import type { Handle, Node } from '../engine/ir';
import type { SyntaxNode } from '../parser';
import { named, rangeOf } from '../syntax';
import type { Desc, FnLower, Var } from './go';

const WAITING = new Set(['Run', 'Output', 'CombinedOutput']);
const PIPES = new Set(['StdoutPipe', 'StderrPipe', 'StdinPipe']);
/** testing.T/B methods that end the test goroutine (runtime.Goexit): deferred calls run, the function is left. */
const GOEXIT = new Set(['Fatal', 'Fatalf', 'FailNow', 'Skip', 'Skipf', 'SkipNow']);
const TEST_RECV = /^(t|b|tb|f)$/;

export function lowerExpr(l: FnLower, node: SyntaxNode, out: Node[]): Desc | undefined {
  switch (node.type) {
    case 'call_expression': return lowerCall(l, node, out);
    case 'parenthesized_expression': {
      const inner = node.namedChild(0);
      return inner ? l.expr(inner, out) : undefined;
    }
    case 'identifier': {
      const v = l.entityOf(node);
      if (v) {
        out.push({ op: 'escape', h: l.h(v), to: 'other', at: rangeOf(node), why: `${v.name} is used as a value` });
        // Not started yet: what it went to holds the same Cmd, and has the child once it starts.
        if (v.kind === 'cmd') v.handedOn ??= `${v.name} is used as a value at line ${rangeOf(node).startLine}`;
      }
      return undefined;
    }
    case 'selector_expression': {
      const cell = l.cellOf(node);
      if (cell && node.childForFieldName('field')?.text !== 'Process') return { k: 'cell', cell };
      if (cell) {
        out.push({ op: 'escape', h: cell, to: 'other', at: rangeOf(node), why: `${node.text} is used as a value` });
        return undefined;
      }
      const v = l.entityOf(node);
      if (v) {
        out.push({ op: 'escape', h: l.h(v), to: 'other', at: rangeOf(node), why: `${node.text} is used as a value` });
        return undefined;
      }
      // `return cmd.Wait`: the method value goes where the caller can call it.
      const waiter = node.childForFieldName('field')?.text === 'Wait' ? l.entityOf(node.childForFieldName('operand')) : undefined;
      if (waiter?.kind === 'cmd' && node.parent?.type !== 'call_expression') {
        out.push({ op: 'escape', h: l.h(waiter), to: 'other', at: rangeOf(node), why: `its Wait method is handed on as a value (${node.text})` });
        return undefined;
      }
      // `native.Attach(cmd.Process.Pid)`, `{"processId": cmd.Process.Pid}`: the pid is what wait4
      // takes, and the code it goes to (a tracer, a reaper) may wait for it.
      const byPid = pidHandle(l, node);
      if (byPid && pidHandedOn(node)) {
        out.push({ op: 'escape', h: byPid, to: 'callee', at: rangeOf(node), why: `its pid is handed on (${node.text}), and what takes it may wait for it` });
        return undefined;
      }
      // `cmd.Path`, `cmd.Process.Pid`, `s.cmd.Stdout`: reading a field hands nothing over.
      const operand = node.childForFieldName('operand');
      if (!operand || l.entityOf(operand) || l.cellOf(operand)) return undefined;
      l.consume(l.expr(operand, out), operand, out);
      return undefined;
    }
    case 'unary_expression': {
      const v = l.entityOf(node);
      if (v) {
        out.push({ op: 'escape', h: l.h(v), to: 'other', at: rangeOf(node), why: `its address is taken (${node.text})` });
        return undefined;
      }
      const operand = node.childForFieldName('operand');
      // `&exec.Cmd{...}`: the Cmd itself.
      if (operand?.type === 'composite_literal' && node.childForFieldName('operator')?.text === '&') return l.expr(operand, out);
      if (operand?.type === 'identifier' && node.childForFieldName('operator')?.text === '&') {
        const p = l.lookup(operand.text);
        if (p) p.assigns = (p.assigns ?? 0) + 2;
      }
      if (operand) l.consume(l.expr(operand, out), operand, out);
      return undefined;
    }
    case 'binary_expression': {
      const op = node.childForFieldName('operator')?.text;
      for (const side of [node.childForFieldName('left'), node.childForFieldName('right')]) {
        if (!side) continue;
        // `cmd != nil`, `s.cmd == nil`: a comparison hands nothing over.
        if ((op === '==' || op === '!=') && (l.entityOf(side) || l.cellOf(side))) continue;
        l.consume(l.expr(side, out), side, out);
      }
      return undefined;
    }
    case 'func_literal':
      l.literal(node, null, out);
      return undefined;
    case 'interpreted_string_literal':
    case 'raw_string_literal':
    case 'int_literal':
    case 'float_literal':
    case 'nil':
    case 'true':
    case 'false':
    case 'comment':
      return undefined;
    case 'composite_literal': {
      const d = l.host.cmdLiteral(node, l, out);
      if (d) return d;
      for (const child of named(node)) l.consume(l.expr(child, out), child, out);
      return undefined;
    }
    default:
      for (const child of named(node)) l.consume(l.expr(child, out), child, out);
      return undefined;
  }
}

/**
 * A function literal: a function of its own, with the handles it captures as extra parameters.
 * Called right here (`args` given), it is a call; handed on as a value, what it would do to
 * the captured handles happens who knows when: they escape.
 */

function lowerCall(l: FnLower, node: SyntaxNode, out: Node[]): Desc | undefined {
  const fn = node.childForFieldName('function');
  const argList = node.childForFieldName('arguments');
  const args = argList ? named(argList).filter((a) => a.type !== 'comment') : [];
  if (!fn) return undefined;
  const at = rangeOf(node);
  const fnType = fn.type;
  if (fnType === 'func_literal') {
    l.literal(fn, lowerArgs(l, args, out), out);
    return undefined;
  }
  if (fnType === 'selector_expression') {
    const operand = fn.childForFieldName('operand')!;
    const fieldNode = fn.childForFieldName('field');
    const field = fieldNode?.text ?? '';
    if (operand.type === 'identifier' && !l.lookup(operand.text)) {
      const d = l.host.packageCall(node, operand.text, field, args, l, out);
      if (d === 'none') return undefined;
      if (d !== undefined) return d;
    }
    const recv = l.entityOf(operand);
    if (recv) return handleMethod(l, node, fieldNode, operand, recv, field, args, out);
    const cell = l.cellOf(operand);
    if (cell) return cellMethod(l, node, fieldNode, operand, cell, field, args, out);
    if (operand.type === 'call_expression' && (field === 'Start' || WAITING.has(field))) {
      const inner = l.expr(operand, out);
      if (inner?.k === 'call' && inner.kind === 'cmd') out.push({ ...inner.node, into: null });
      if (inner?.k === 'new' || (inner?.k === 'call' && inner.kind === 'cmd')) {
        lowerArgs(l, args, out);
        const site = l.host.site(node, `exec.Cmd.${field}`, inner.creation ?? null, { method: fieldNode ?? undefined });
        if (field === 'Start') {
          out.push({ op: 'spawn', site, into: null, outcomes: ['parent', 'failed'], at });
        }
        return undefined;
      }
      l.consume(inner, operand, out);
    } else if (!(operand.type === 'identifier' && !l.lookup(operand.text))) l.consume(l.expr(operand, out), operand, out);
    const goexit = GOEXIT.has(field) && operand.type === 'identifier' && TEST_RECV.test(operand.text);
    const d = callOp(l, `.${field}`, field, args, node, out);
    // The test has failed (or is skipped) there: what it left is not the code's run, and not judged.
    if (goexit) out.push({ op: 'abandon', at, how: `${fn.text}() ends the test` });
    return d;
  }
  if (fnType === 'identifier' && !l.lookup(fn.text)) {
    const name = fn.text;
    if (name === 'panic') {
      for (const a of args) l.consume(l.expr(a, out), a, out);
      out.push({ op: 'exit', at, how: 'panic(), which ends the program unless recovered' });
      return undefined;
    }
    if (name === 'append') {
      args.forEach((a, i) => {
        const v = l.entityOf(a);
        if (v && i > 0) out.push({ op: 'escape', h: l.h(v), to: 'container', at: rangeOf(a), why: 'appended to a slice' });
        else if (!v) l.consume(l.expr(a, out), a, out, 'appended to a slice');
      });
      return undefined;
    }
    if (name === 'len' || name === 'cap' || name === 'print' || name === 'println') {
      for (const a of args) if (!l.entityOf(a)) l.consume(l.expr(a, out), a, out);
      return undefined;
    }
    return callOp(l, name, name, args, node, out);
  }
  l.consume(l.expr(fn, out), fn, out);
  const handles = lowerArgs(l, args, out);
  handles.forEach((h, i) => {
    if (h) out.push({ op: 'escape', h, to: 'callee', at: rangeOf(args[i]), why: `passed to ${fn.text.length <= 40 ? `${fn.text}()` : 'a call'}` });
  });
  return undefined;
}

/** Arguments: handles by name, other expressions lowered for their effects. */
export function lowerArgs(l: FnLower, args: SyntaxNode[], out: Node[]): (Handle | null)[] {
  return args.map((a) => {
    const v = l.entityOf(a);
    if (v) return l.h(v);
    const d = l.expr(a, out);
    if (d?.k === 'cell') return d.cell;
    l.consume(d, a, out, 'passed to a call');
    return null;
  });
}

/** A call of a function or method of the package (by key), or of unknown code. */
function callOp(l: FnLower, key: string, name: string, args: SyntaxNode[], node: SyntaxNode, out: Node[]): Desc | undefined {
  const info = l.host.funcInfo(key, node.startPosition.row + 1);
  const handles = lowerArgs(l, args, out);
  if (!info.known && !handles.some((h) => h)) return undefined;
  const call: Extract<Node, { op: 'call' }> = { op: 'call', fn: key, args: handles, at: rangeOf(node), words: `${name}()` };
  if (info.result) return { k: 'call', node: call, kind: info.result, index: info.resultIndex ?? 0, creation: info.creation, errorLast: info.errorLast };
  out.push(call);
  return undefined;
}

function handleMethod(l: FnLower, node: SyntaxNode, fieldNode: SyntaxNode | null, operand: SyntaxNode, recv: Var, field: string, args: SyntaxNode[], out: Node[]): Desc | undefined {
  const viaProcess = operand.type === 'selector_expression';
  for (const a of args) if (!l.entityOf(a)) l.consume(l.expr(a, out), a, out);
  const at = rangeOf(node);
  const h = l.h(recv);
  if (recv.kind === 'cmd' && !viaProcess && (field === 'Start' || WAITING.has(field))) {
    const creation = recv.creations?.size === 1 ? [...recv.creations][0] : null;
    const site = l.host.site(node, `exec.Cmd.${field}`, creation, { method: fieldNode ?? undefined, variable: operand.text });
    if (field !== 'Start') return undefined;
    if (l.paramHandles.has(h)) l.startedParams.add(h);
    out.push({ op: 'spawn', site, into: h, outcomes: ['parent', 'failed'], at });
    if (recv.handedOn) out.push({ op: 'escape', h, to: 'other', at, why: `it was handed on before it was started (${recv.handedOn})` });
    l.startCalls.set(node.startIndex, h);
    return { k: 'startErr', h };
  }
  const words = (short: string) => {
    const text = node.text;
    return text.length <= 60 ? text : short;
  };
  if (field === 'Wait') {
    out.push({ op: 'wait', h, at, how: words(`${recv.name}.Wait()`) });
    return undefined;
  }
  if (PIPES.has(field)) return undefined;
  if ((recv.kind === 'process' || viaProcess) && (field === 'Kill' || field === 'Signal')) {
    out.push({ op: 'kill', h, at, how: words(`${recv.name}.${field}()`) });
    return undefined;
  }
  if ((recv.kind === 'process' || viaProcess) && field === 'Release') {
    out.push({ op: 'release', h, at, how: words(`${recv.name}.Release()`) });
    return undefined;
  }
  return undefined;
}

/** `s.cmd.Start()`, `s.cmd.Wait()`, `s.cmd.Process.Kill()`: operations on a Cmd field. */
function cellMethod(l: FnLower, node: SyntaxNode, fieldNode: SyntaxNode | null, operand: SyntaxNode, cell: Handle, field: string, args: SyntaxNode[], out: Node[]): Desc | undefined {
  const viaProcess = operand.childForFieldName('field')?.text === 'Process';
  for (const a of args) if (!l.entityOf(a)) l.consume(l.expr(a, out), a, out);
  const at = rangeOf(node);
  const whole = node.text;
  const text = whole.length <= 60 ? whole : `${cell.slice(2)}.${field}()`;
  if (!viaProcess && (field === 'Start' || WAITING.has(field))) {
    const creation = l.fieldCreations.get(operand.text) ?? null;
    const site = l.host.site(node, `exec.Cmd.${field}`, creation, { method: fieldNode ?? undefined, field: cell.slice(2) });
    if (field !== 'Start') return undefined;
    out.push({ op: 'spawn', site, into: cell, outcomes: ['parent', 'failed'], at });
    l.startCalls.set(node.startIndex, cell);
    return { k: 'startErr', h: cell };
  }
  if (field === 'Wait') out.push({ op: 'wait', h: cell, at, how: text });
  else if (viaProcess && (field === 'Kill' || field === 'Signal')) out.push({ op: 'kill', h: cell, at, how: text });
  else if (viaProcess && field === 'Release') out.push({ op: 'escape', h: cell, to: 'other', at, why: `${text} frees the handle` });
  return undefined;
}

/** `cmd.Process.Pid` of a Cmd variable, or `p.Pid` of a Process variable: that child's handle. */
function pidHandle(l: FnLower, node: SyntaxNode): Handle | undefined {
  if (node.childForFieldName('field')?.text !== 'Pid') return undefined;
  const operand = node.childForFieldName('operand');
  if (!operand) return undefined;
  const direct = l.entityOf(operand);
  if (direct?.kind === 'process') return l.h(direct);
  if (operand.type === 'selector_expression' && operand.childForFieldName('field')?.text === 'Process') {
    const v = l.entityOf(operand.childForFieldName('operand'));
    if (v?.kind === 'cmd') return l.h(v);
  }
  return undefined;
}

/** Calls a pid goes to that only print, format or signal it. */
const PID_READERS = /(^|\.)(S|F)?print(f|ln)?$|(^|\.)(Log|Logf|Error|Errorf|Fatal|Fatalf|Info|Infof|Debug|Debugf|Warn|Warnf|Warning|Warningf|Trace|Tracef|Itoa|FormatInt|Kill|Signal|Skip|Skipf|Contains|Equal|NotEqual|True|False)$/;
const PID_PACKAGES = /^(fmt|log|strconv|errors|assert|require)\./;
const CONVERSIONS = /^(int|int32|int64|uint|uint32|uint64|uintptr)$/;

/** Is the pid at `node` passed to a call (not a printing one) or put into a literal? */
function pidHandedOn(node: SyntaxNode): boolean {
  let n: SyntaxNode = node;
  for (;;) {
    const p = n.parent;
    if (!p) return false;
    if (p.type === 'parenthesized_expression') {
      n = p;
      continue;
    }
    if (p.type === 'keyed_element' || p.type === 'literal_element') return true;
    if (p.type !== 'argument_list') return false;
    const call = p.parent;
    const callee = call?.childForFieldName('function')?.text.replace(/\s/g, '') ?? '';
    if (CONVERSIONS.test(callee) && call) {
      n = call;
      continue;
    }
    return !PID_READERS.test(callee) && !PID_PACKAGES.test(callee);
  }
}
