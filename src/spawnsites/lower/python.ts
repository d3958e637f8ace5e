/**
 * Python to the engine's IR (engine/ir.ts): each function that holds a spawn site, calls one or is
 * called by one becomes a structured program of handle events. Python locals are function-wide, so
 * a handle is the variable's name; temporaries (`$3`) hold results nothing names (`Popen(...).wait()`,
 * `if os.fork():`) and die at the end of their statement.
 *
 * What the lowering knows of Python (python.ts knows the APIs): assignments alias, `with` runs
 * `__exit__` however the block is left, `try/except` handlers see the states where the body may
 * raise (a throw point before each statement), `while` re-tests its condition, a `for` over a local
 * list of handles runs at least once, `self.x` is a cell of the class, a name captured by a nested
 * function or lambda is handed on. Anything else that takes a handle hands it on (`escape`), never
 * a guess that could end in a warning.
 */
import type { Cond, FunctionIR, Handle, Node, ProgramIR } from '../engine/ir';
import { childBodies } from '../engine/ir';
import type { SyntaxNode } from '../parser';
import { named, rangeOf } from '../syntax';
import type { SourceRange } from '../types';
import { CallLower, scopedKey } from './python-calls';
import { type Ctx, type Def, endOf, isCompound, type PyFacts, unparen } from './python-expr';

export type { PyFacts, PyKind, PySiteRef } from './python-expr';

export function lowerPython(f: PyFacts): ProgramIR & { cellsUsed: Set<string> } {
  const defs = new Map<string, Def>();
  const classes = new Map<string, Set<string>>();
  const scopeOfSite: SyntaxNode[] = [];
  // A function nested in another is keyed under it (`create.inner`): two outer functions may each have an `inner`.
  const collect = (n: SyntaxNode, cls: string | undefined, outer?: string) => {
    for (let c of named(n)) {
      if (c.type === 'decorated_definition') c = c.childForFieldName('definition') ?? c;
      if (c.type === 'function_definition') {
        const name = c.childForFieldName('name')?.text ?? '';
        const key = cls ? `${cls}.${name}` : outer ? `${outer}.${name}` : name;
        if (!defs.has(key)) defs.set(key, { key, node: c, cls, params: paramNames(c, !!cls && !isStatic(c)) });
        if (cls) classes.get(cls)!.add(name);
        const body = c.childForFieldName('body');
        if (body) collect(body, undefined, key);
      } else if (c.type === 'class_definition') {
        const name = c.childForFieldName('name')?.text ?? '';
        if (!classes.has(name)) classes.set(name, new Set());
        const body = c.childForFieldName('body');
        if (body) collect(body, name);
      } else if (c.type === 'block' || /_clause$/.test(c.type) || isCompound(c.type)) {
        // if/try/with/for at any level may hold definitions (`if sys.platform == ...: def f():`).
        collect(c, cls, outer);
      }
    }
  };
  collect(f.root, undefined);
  const defOf = new Map<number, Def>();
  for (const d of defs.values()) defOf.set(d.node.id, d);

  // Which functions to lower: those holding a site, their callers (transitively), and every local function they call.
  const want = new Set<string>();
  const queue: string[] = [];
  const add = (key: string) => {
    if (!want.has(key) && (key === MODULE || defs.has(key)) && want.size < 400) {
      want.add(key);
      queue.push(key);
    }
  };
  const enclosing = (n: SyntaxNode): string => {
    for (let p = n.parent; p; p = p.parent) if (p.type === 'function_definition') return defOf.get(p.id)?.key ?? MODULE;
    return MODULE;
  };
  const callers = new Map<string, Set<string>>();
  for (const call of f.root.descendantsOfType('call')) {
    if (f.sites.has(call.id)) scopeOfSite.push(call);
    const fn = call.childForFieldName('function');
    if (!fn) continue;
    const name = fn.type === 'identifier' ? fn.text : fn.type === 'attribute' && fn.childForFieldName('object')?.text === 'self' ? fn.childForFieldName('attribute')?.text : undefined;
    if (!name) continue;
    const at = enclosing(call);
    const cls = defs.get(at)?.cls;
    const key = fn.type === 'identifier' ? scopedKey(defs, name, at === MODULE ? undefined : at) : cls && classes.get(cls)?.has(name) ? `${cls}.${name}` : undefined;
    if (key && defs.has(key)) {
      let s = callers.get(key);
      if (!s) callers.set(key, (s = new Set()));
      s.add(at);
    }
  }
  for (const call of scopeOfSite) add(enclosing(call));
  for (let i = 0; i < queue.length; i++) for (const c of callers.get(queue[i]) ?? []) add(c);

  const mainFns = f.script ? mainCalls(f.root) : new Set<string>();
  const functions: FunctionIR[] = [];
  const cellsUsed = new Set<string>();
  let moduleNamesInDefs: Set<string> | undefined;
  for (let i = 0; i < queue.length; i++) {
    const key = queue[i];
    const d = defs.get(key);
    const body = d ? d.node.childForFieldName('body') : f.root;
    const ctx: Ctx = {
      f,
      body,
      params: d ? d.params : [],
      defs,
      classes,
      cls: d?.cls,
      key: d?.key,
      module: !d,
      cellsUsed,
      called: (k) => add(k),
      moduleNames: () => (moduleNamesInDefs ??= namesInDefs(f.root)),
    };
    const lw = new FnLower(ctx);
    const nodes = body ? lw.block(body) : [];
    const name = d?.node.childForFieldName('name')?.text ?? '';
    functions.push({
      key,
      display: d ? key : 'the module code',
      params: d ? d.params : [],
      body: nodes,
      end: endOf(d ? d.node : f.root),
      exported: !!d && !(name.startsWith('_') && !name.endsWith('__')) && !isNested(d.node),
      isMain: d ? mainFns.has(key) : f.script,
      unstructured: lw.unstructured,
      ...(d && { platform: definedOnlyOnWindows(f, d.node) }),
    });
  }
  return { functions, sites: [], cellsUsed };
}

export const MODULE = '<module>';

function isStatic(def: SyntaxNode): boolean {
  const p = def.parent;
  return p?.type === 'decorated_definition' && named(p).some((c) => c.type === 'decorator' && /staticmethod/.test(c.text));
}

/**
 * Why a `def` exists only where no child becomes a zombie: it is in the branch of a platform test
 * that runs only on Windows (at any depth: a method of a class defined there too).
 */
function definedOnlyOnWindows(f: PyFacts, def: SyntaxNode): string | undefined {
  for (let child: SyntaxNode = def, p = def.parent; p; child = p, p = p.parent) {
    if (p.type !== 'if_statement' && p.type !== 'elif_clause') continue;
    const cond = p.childForFieldName('condition');
    const plat = cond ? f.platform(cond) : undefined;
    if (!cond || !plat) continue;
    const inThen = p.childForFieldName('consequence')?.id === child.id;
    if (plat === 'windows' ? inThen : !inThen && child.id !== cond.id) {
      return `defined only when \`${cond.text}\` is ${plat === 'windows'} (line ${rangeOf(cond).startLine})`;
    }
  }
  return undefined;
}

function isNested(def: SyntaxNode): boolean {
  for (let p = def.parent; p; p = p.parent) if (p.type === 'function_definition') return true;
  return false;
}

function paramNames(def: SyntaxNode, method: boolean): string[] {
  const ps = def.childForFieldName('parameters');
  const out: string[] = [];
  for (const p of ps ? named(ps) : []) {
    if (p.type === 'identifier') out.push(p.text);
    else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') out.push(p.childForFieldName('name')?.text ?? '');
    else if (p.type === 'typed_parameter') out.push(p.namedChild(0)?.type === 'identifier' ? p.namedChild(0)!.text : '');
    else if (p.type !== 'keyword_separator' && p.type !== 'positional_separator') out.push('');
  }
  if (method) out.shift();
  return out;
}

/** Functions the `if __name__ == "__main__":` block calls last (`main()`, `sys.exit(main())`): their return ends the program. */
function mainCalls(root: SyntaxNode): Set<string> {
  const out = new Set<string>();
  for (const s of named(root)) {
    if (s.type !== 'if_statement' || !/__name__/.test(s.childForFieldName('condition')?.text ?? '')) continue;
    const stmts = named(s.childForFieldName('consequence') ?? s).filter((c) => c.type !== 'comment');
    let last = stmts[stmts.length - 1];
    if (last?.type === 'expression_statement') last = last.namedChild(0)!;
    else if (last?.type === 'raise_statement') last = last.namedChild(0)!;
    for (let depth = 0; last?.type === 'call' && depth < 2; depth++) {
      const fn = last.childForFieldName('function');
      if (fn?.type === 'identifier') out.add(fn.text);
      last = named(last.childForFieldName('arguments') ?? last)[0];
    }
  }
  return out;
}

function namesInDefs(root: SyntaxNode): Set<string> {
  const out = new Set<string>();
  for (const d of root.descendantsOfType('function_definition')) for (const i of d.descendantsOfType('identifier')) out.add(i.text);
  return out;
}

/** A loop of `os.wait()` / `os.waitpid(-1, ...)` waits for every child: one reapAll after it says so (even on the path that runs it zero times). */
function reapsAll(body: Node[]): Node[] {
  const find = (ns: Node[]): Node | undefined => {
    for (const n of ns) {
      if (n.op === 'reapAll') return n;
      for (const b of childBodies(n)) {
        const r = find(b);
        if (r) return r;
      }
    }
    return undefined;
  };
  const r = find(body);
  return r && r.op === 'reapAll' ? [{ op: 'reapAll', at: r.at, how: r.how }] : [];
}

/** Does the lowered statement hold an event of this kind (at any depth)? */
function has(nodes: Node[], op: Node['op']): boolean {
  return nodes.some((n) => n.op === op || childBodies(n).some((b) => has(b, op)));
}

class FnLower extends CallLower {
  unstructured?: string;


  block(b: SyntaxNode): Node[] {
    const out: Node[] = [];
    for (const s of named(b)) this.stmt(s, out);
    return out;
  }

  /** One statement, its temporaries dying at its end. */
  private stmt(s: SyntaxNode, out: Node[]): void {
    if (s.type === 'comment') return;
    const saved = this.temps;
    this.temps = [];
    const body: Node[] = [];
    this.stmtBody(s, body);
    // Inside `try`, the points that may raise into the handlers: a statement that starts a child
    // (before it: a Popen that raises binds nothing) or calls a function of this file (after it: the
    // callee had the handle). Other statements are taken not to raise there: a handler written for
    // a failed start (`except OSError: p = None`) would otherwise lose every child started before.
    const starts = this.tries > 0 && !isCompound(s.type) && has(body, 'spawn');
    const after = this.tries > 0 && !isCompound(s.type) && !starts && has(body, 'call');
    const mayRaise: Node = { op: 'if', cond: { k: 'opaque' }, then: [{ op: 'throw', at: rangeOf(s), how: 'may raise' }], else: [] };
    if (starts) out.push(mayRaise);
    if (this.temps.length) out.push({ op: 'scope', vars: this.temps, body, end: endOf(s) });
    else out.push(...body);
    if (after) out.push(mayRaise);
    this.temps = saved;
  }

  private stmtBody(s: SyntaxNode, out: Node[]): void {
    const at = rangeOf(s);
    switch (s.type) {
      case 'expression_statement':
        for (const e of named(s)) this.expr(e, out, 'discard');
        return;
      case 'return_statement': {
        const e = s.namedChild(0);
        const values = !e ? [] : e.type === 'expression_list' ? named(e).map((x) => this.expr(x, out, 'value')) : [this.expr(e, out, 'value')];
        out.push({ op: 'return', values, at });
        return;
      }
      case 'raise_statement':
        for (const e of named(s)) this.expr(e, out, 'discard');
        if (/^raise\s+SystemExit\b/.test(s.text)) out.push({ op: 'exit', at, how: 'raise SystemExit' });
        else if (this.tries > 0) out.push({ op: 'throw', at, how: s.text.split('\n')[0] });
        // Raised out of the function: the path is not followed (an empty loop that never ends). A
        // child lost on an error path is freed with its frame and reaped by CPython at the next
        // Popen; a warning there is one a mature codebase would not keep.
        else out.push({ op: 'loop', infinite: true, body: [], at });
        return;
      case 'break_statement':
        out.push({ op: 'break', at });
        return;
      case 'continue_statement':
        out.push({ op: 'continue', at });
        return;
      case 'if_statement':
        out.push(...this.ifChain(s, named(s)));
        return;
      case 'while_statement': return this.whileLoop(s, out);
      case 'for_statement': return this.forLoop(s, out);
      case 'try_statement': return this.tryStmt(s, out);
      case 'with_statement': return this.withStmt(s, out);
      case 'match_statement': {
        const subject = s.childForFieldName('subject');
        if (subject) this.expr(subject, out, 'discard');
        const arms = s.descendantsOfType('case_clause').filter((cc) => cc.parent?.parent?.id === s.id || cc.parent?.id === s.id);
        out.push({ op: 'switch', exhaustive: false, arms: arms.map((a) => ({ cond: { k: 'opaque' } as Cond, body: this.blockOf(a.childForFieldName('consequence')) })), at });
        return;
      }
      case 'global_statement':
      case 'nonlocal_statement':
        for (const i of named(s)) this.globals.add(i.text);
        return;
      case 'delete_statement':
        for (const t of s.descendantsOfType('identifier')) out.push({ op: 'drop', h: t.text, at, why: `del ${t.text}` });
        return;
      case 'decorated_definition':
      case 'function_definition':
      case 'class_definition':
        // A nested function or class holds on to every name it mentions (a closure).
        if (!this.c.module) this.captured(s, out);
        return;
      case 'ERROR':
        out.push({ op: 'unknown', at, why: 'code that does not parse' });
        return;
      default:
        for (const e of named(s)) if (!/statement|clause|block/.test(e.type)) this.expr(e, out, 'discard');
    }
  }

  private blockOf(b: SyntaxNode | null): Node[] {
    return b ? this.block(b) : [];
  }

  /**
   * `if` / `elif` / `else`. A test of the platform (`sys.platform == "win32"`, `os.name != "nt"`)
   * is the engine's platform condition: the branch that runs only on Windows is cut there, and a
   * site only it reaches is judged never to run where a child can become a zombie.
   */
  private ifChain(s: SyntaxNode, parts: SyntaxNode[]): Node[] {
    const condNode = s.type === 'else_clause' ? null : s.childForFieldName('condition');
    if (s.type === 'else_clause') return this.blockOf(s.childForFieldName('body'));
    const thenBody = s.childForFieldName('consequence');
    const rest = parts.filter((p) => p.type === 'elif_clause' || p.type === 'else_clause');
    const elseNodes = (): Node[] => (rest.length ? this.ifChain(rest[0], rest.slice(1)) : []);
    const plat = condNode ? this.c.f.platform(condNode) : undefined;
    const out: Node[] = [];
    const cond: Cond = plat
      ? { k: 'platform', holds: plat === 'posix', words: `\`${condNode!.text}\``, at: rangeOf(condNode!) }
      : condNode
        ? this.cond(condNode, out)
        : { k: 'opaque' };
    out.push({ op: 'if', cond, then: this.blockOf(thenBody), else: elseNodes(), at: rangeOf(s) });
    return out;
  }

  private whileLoop(s: SyntaxNode, out: Node[]): void {
    const condNode = s.childForFieldName('condition')!;
    const body = s.childForFieldName('body');
    const orelse = s.childForFieldName('alternative');
    this.loops++;
    const inner: Node[] = [];
    if (/^(True|1)$/.test(condNode.text)) inner.push(...this.blockOf(body));
    else {
      const cond = this.cond(condNode, inner);
      const leave: Node[] = [...(orelse ? this.blockOf(orelse.childForFieldName('body')) : []), { op: 'break', at: rangeOf(condNode) }];
      inner.push({ op: 'if', cond, then: this.blockOf(body), else: leave, at: rangeOf(s) });
    }
    this.loops--;
    out.push({ op: 'loop', body: inner, infinite: true, at: rangeOf(s) }, ...reapsAll(inner));
  }

  private forLoop(s: SyntaxNode, out: Node[]): void {
    const left = s.childForFieldName('left')!;
    const right = s.childForFieldName('right')!;
    const orelse = s.childForFieldName('alternative');
    const over = this.iterated(right);
    if (!over) this.expr(right, out, 'discard');
    this.loops++;
    const inner: Node[] = this.bindTargets(left, over, rangeOf(left));
    inner.push(...this.blockOf(s.childForFieldName('body')));
    this.loops--;
    const leave: Node[] = [...(orelse ? this.blockOf(orelse.childForFieldName('body')) : []), { op: 'break', at: rangeOf(s) }];
    // Over a local list of handles: at least one turn (the list holds what was added to it).
    if (over) out.push({ op: 'loop', infinite: true, body: [...inner, { op: 'if', cond: { k: 'opaque' }, then: leave, else: [] }], at: rangeOf(s) });
    else out.push({ op: 'loop', infinite: true, body: [{ op: 'if', cond: { k: 'opaque' }, then: leave, else: [] }, ...inner], at: rangeOf(s) });
    out.push(...reapsAll(inner));
  }

  private tryStmt(s: SyntaxNode, out: Node[]): void {
    const parts = named(s);
    const handlers = parts.filter((p) => p.type === 'except_clause' || p.type === 'except_group_clause');
    const orelse = parts.find((p) => p.type === 'else_clause');
    const fin = parts.find((p) => p.type === 'finally_clause');
    if (handlers.length) this.tries++;
    let nodes = this.blockOf(s.childForFieldName('body'));
    if (handlers.length) {
      this.tries--;
      const hs = handlers.map((h) => this.blockOf(named(h).find((c) => c.type === 'block') ?? null));
      nodes = [{ op: 'try', body: nodes, handlers: hs, orelse: orelse ? this.blockOf(orelse.childForFieldName('body')) : undefined, precise: true }];
    } else if (orelse) nodes.push(...this.blockOf(orelse.childForFieldName('body')));
    if (fin) nodes = [{ op: 'protect', body: nodes, cleanup: this.blockOf(named(fin).find((c) => c.type === 'block') ?? null) }];
    out.push(...nodes);
  }

  /** `with X as p:` — `__exit__` runs however the block is left; for a Popen, os.popen pipe or Pool it waits. */
  private withStmt(s: SyntaxNode, out: Node[]): void {
    const items = s.descendantsOfType('with_item').filter((i) => i.parent?.parent?.id === s.id || i.parent?.id === s.id);
    let body = this.blockOf(s.childForFieldName('body'));
    const pre: Node[] = [];
    const layers: { h: Handle; at: SourceRange; words: string }[] = [];
    for (const item of items) {
      let value = item.childForFieldName('value')!;
      let alias: SyntaxNode | null = null;
      if (value.type === 'as_pattern') {
        alias = value.childForFieldName('alias')?.namedChild(0) ?? null;
        value = value.namedChild(0)!;
      }
      const v = unparen(value.type === 'await' ? value.namedChild(0)! : value)!;
      const site = v.type === 'call' ? this.c.f.sites.get(v.id) : undefined;
      const h = this.expr(v, pre, 'value');
      const kind = site?.kind ?? (h ? this.kinds.get(h) : undefined);
      if (h && kind !== 'process' && kind !== 'pid') layers.push({ h, at: rangeOf(item), words: `the end of the with block (${value.text.split('(')[0]}.__exit__ waits)` });
      if (alias?.type === 'identifier') pre.push(h ? { op: 'copy', from: h, to: alias.text, at: rangeOf(alias) } : { op: 'drop', h: alias.text, at: rangeOf(alias), why: 'rebound' });
    }
    for (const l of layers.reverse()) body = [{ op: 'protect', body, cleanup: [{ op: 'wait', h: l.h, at: l.at, how: l.words }] }];
    out.push(...pre, ...body);
  }

  // --- expressions ---
}
