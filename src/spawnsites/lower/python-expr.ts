/**
 * Python expressions to the engine's handle events (the statements are in python.ts beside, the
 * calls in python-calls.ts): what an assignment, an attribute, a container or a comprehension
 * does to the children its names hold. A value that may be a child comes back as the handle that
 * holds it (a name, or a temporary `$3` that dies at the end of its statement); whatever this
 * cannot follow is handed on (`escape`), never guessed.
 */
import type { Cond, Handle, Node, Outcome } from '../engine/ir';
import type { SyntaxNode } from '../parser';
import { named, rangeOf } from '../syntax';
import type { SourceRange } from '../types';
import { bindings, capturedNames, stableKey } from './python-names';

export type PyKind = 'popen' | 'pipe' | 'process' | 'pid';

export interface PySiteRef {
  id: number;
  kind: PyKind;
  words: string;
  outcomes: Outcome[];
}

/** What python.ts tells the lowering about the file. */
export interface PyFacts {
  root: SyntaxNode;
  /** `sp.Popen` -> `subprocess.Popen`, through the imports. */
  resolve(fn: SyntaxNode | null): string | undefined;
  /** Spawn sites by call node id (for multiprocessing.Process: the `.start()` call). */
  sites: Map<number, PySiteRef>;
  /** A condition that holds only on Windows (`windows`) or only elsewhere (`posix`). */
  platform(cond: SyntaxNode): 'windows' | 'posix' | undefined;
  /** Calls that end the process: sys.exit, os._exit, os.exec*. */
  exitWords(name: string): string | undefined;
  /** The file runs as a script (a `__main__` guard, a `#!` line): its module code ends the program. */
  script: boolean;
}

/** Attributes of a handle that are plain data: reading them hands nothing on. */
const DATA_ATTRS = new Set(['pid', 'returncode', 'stdout', 'stderr', 'stdin', 'args', 'exitcode', 'name', 'sentinel', 'daemon', 'is_alive', 'poll']);
export const CONTAINER_READ = new Set(['pop', 'popleft', 'get', 'values', 'items', 'copy']);
const ITER_WRAPPERS = new Set(['enumerate', 'reversed', 'list', 'sorted', 'tuple', 'set', 'iter']);
export interface Def {
  key: string;
  node: SyntaxNode;
  cls?: string;
  params: string[];
}


export const endOf = (n: SyntaxNode): SourceRange => ({ startLine: n.endPosition.row + 1, startColumn: n.endPosition.column + 1, endLine: n.endPosition.row + 1, endColumn: n.endPosition.column + 1 });
export const unparen = (n: SyntaxNode | null): SyntaxNode | null => {
  while (n?.type === 'parenthesized_expression') n = n.namedChild(0);
  return n;
};

export interface Ctx {
  /** The function's body (the module for module code), and its parameters. */
  body: SyntaxNode | null;
  params: string[];
  f: PyFacts;
  defs: Map<string, Def>;
  classes: Map<string, Set<string>>;
  cls?: string;
  /** This function's key (undefined: the module code). */
  key?: string;
  module: boolean;
  cellsUsed: Set<string>;
  called(key: string): void;
  moduleNames(): Set<string>;
}

export type Mode = 'value' | 'discard';

export abstract class ExprLower {
  protected tmp = 0;
  protected temps: Handle[] = [];
  protected readonly kinds = new Map<Handle, PyKind>();
  protected readonly containers = new Set<Handle>();
  protected readonly globals = new Set<string>();
  protected loops = 0;
  protected tries = 0;

  constructor(protected readonly c: Ctx) {}

  /** A call (python-calls.ts). */
  protected abstract call(n: SyntaxNode, out: Node[], mode: Mode): Handle | null;

  protected temp(): Handle {
    const h = `$${this.tmp++}`;
    this.temps.push(h);
    return h;
  }

  protected captured(n: SyntaxNode, out: Node[]): void {
    const seen = new Set<string>();
    for (const i of n.descendantsOfType('identifier')) {
      if (seen.has(i.text)) continue;
      seen.add(i.text);
      out.push({ op: 'escape', h: i.text, to: 'closure', at: rangeOf(n), why: `captured by the nested function or lambda at line ${n.startPosition.row + 1}` });
    }
  }

  // --- control ---

  /** A condition, its calls lowered into `out`; conditions on a fork's pid become outcome tests. */
  protected cond(n: SyntaxNode, out: Node[]): Cond {
    const at = rangeOf(n);
    const u = unparen(n)!;
    if (u.type === 'not_operator') return { k: 'not', c: this.cond(u.childForFieldName('argument')!, out) };
    if (u.type === 'boolean_operator') {
      // `args.b or args.c` over stable names and no child: one keyed test, so a second test of the
      // same text pairs with it (split, the paths' conditions would not agree where they join).
      const whole = this.keyOf(u);
      if (whole !== undefined && !u.descendantsOfType('identifier').some((i) => this.kinds.has(i.text) || this.containers.has(i.text))) return { k: 'opaque', words: u.text, at, key: whole };
      const a = this.cond(u.childForFieldName('left')!, out);
      const b = this.cond(u.childForFieldName('right')!, out);
      return { k: u.childForFieldName('operator')?.text === 'and' ? 'and' : 'or', a, b };
    }
    if (u.type === 'identifier' || this.isPidSite(u)) {
      const h = this.expr(u, out, 'value');
      // A name that holds a child (a pid, a Popen) tests its outcome; any other is a plain test.
      // A local list of children is true while it holds one (`while procs: procs.pop().wait()`).
      if (h && (u.type !== 'identifier' || this.kinds.has(h) || this.containers.has(h))) return { k: 'is', h, outcomes: ['parent'], words: u.text, at };
      return { k: 'opaque', words: u.text, at, key: this.keyOf(u) };
    }
    if (u.type === 'comparison_operator') {
      const ops = named(u);
      const op = u.children.filter((c) => !c.isNamed).map((c) => c.text).join(' ').replace(/^is not$/, '!=');
      if (ops.length === 2) {
        const [a, b] = ops.map((o) => unparen(o)!);
        const [x, k] = b.text === '0' ? [a, b] : a.text === '0' ? [b, a] : [null, null];
        if (x && k && (x.type === 'identifier' || this.isPidSite(x))) {
          const h = this.expr(x, out, 'value');
          const zero = op === '==' || op === 'is' || op === '<=';
          const outcomes: Outcome[] = zero ? ['child'] : op === '<' && x === a ? ['failed'] : ['parent'];
          if (h) return { k: 'is', h, outcomes, words: u.text, at };
        }
        // `pid == -1`: never true in Python (a failed fork raises), the test of a C habit.
        if (/^-\d+$/.test(b.text) && (a.type === 'identifier' || this.isPidSite(a)) && (op === '==' || op === '!=')) {
          const h = this.expr(a, out, 'value');
          if (h) {
            const is: Cond = { k: 'is', h, outcomes: ['failed'], words: u.text, at };
            return op === '==' ? is : { k: 'not', c: is };
          }
        }
      }
    }
    this.expr(n, out, 'discard');
    return { k: 'opaque', words: n.text, at, key: this.keyOf(u) };
  }

  /** A key for a test whose answer cannot change within the function (python-names.ts). */
  protected keyOf(n: SyntaxNode): string | undefined {
    this.bound ??= bindings(this.c.body);
    // An enclosing function's parameter this one only reads (a closure's `args`): it cannot change while this runs.
    this.stableParams ??= [...this.c.params, ...enclosingParams(this.c.body).filter((p) => !this.bound!.has(p))];
    return stableKey(n, this.bound, this.stableParams, this.c.f.resolve);
  }

  private stableParams?: string[];

  private bound?: Map<string, number>;

  protected isPidSite(n: SyntaxNode): boolean {
    return n.type === 'call' && this.c.f.sites.get(n.id)?.kind === 'pid';
  }

  /** The local container a `for` iterates (`procs`, `procs.values()`, `enumerate(procs)`), if any. */
  protected iterated(n: SyntaxNode): Handle | undefined {
    const u = unparen(n)!;
    if (u.type === 'identifier') return this.containers.has(u.text) ? u.text : undefined;
    if (u.type === 'call') {
      const fn = u.childForFieldName('function');
      const args = named(u.childForFieldName('arguments') ?? u);
      if (fn?.type === 'identifier' && ITER_WRAPPERS.has(fn.text) && args[0]) return this.iterated(args[0]);
      // `range(len(procs))`: one turn per element.
      const inner = args[0] && unparen(args[0]);
      if (fn?.text === 'range' && args.length === 1 && inner?.type === 'call' && inner.childForFieldName('function')?.text === 'len') return this.iterated(named(inner.childForFieldName('arguments')!)[0]);
      if (fn?.type === 'attribute' && CONTAINER_READ.has(fn.childForFieldName('attribute')?.text ?? '')) return this.iterated(fn.childForFieldName('object')!);
    }
    if (u.type === 'subscript') return this.iterated(u.childForFieldName('value')!);
    return undefined;
  }

  /** Assigns `from` (or nothing) to every name in a target (`p`, `k, v`, `(i, p)`). */
  protected bindTargets(left: SyntaxNode, from: Handle | null | undefined, at: SourceRange): Node[] {
    const ids = left.type === 'identifier' ? [left] : left.descendantsOfType('identifier');
    return ids.map((i) => (from ? ({ op: 'copy', from, to: i.text, at } as Node) : ({ op: 'drop', h: i.text, at, why: 'rebound' } as Node)));
  }

  /**
   * Lowers an expression's events into `out`; returns the handle that holds its value when that
   * value may be a child (a name, or a temporary), in `value` mode.
   */
  expr(n: SyntaxNode, out: Node[], mode: Mode): Handle | null {
    const at = rangeOf(n);
    switch (n.type) {
      case 'identifier':
        return mode === 'value' ? n.text : null;
      case 'parenthesized_expression':
      case 'await': {
        const inner = n.namedChild(0);
        return inner ? this.expr(inner, out, mode) : null;
      }
      case 'call': return this.call(n, out, mode);
      case 'assignment': return this.assign(n, out, mode);
      case 'named_expression': {
        const name = n.childForFieldName('name')!.text;
        this.into(name, n.childForFieldName('value')!, out);
        return mode === 'value' ? name : null;
      }
      case 'augmented_assignment': {
        const left = n.childForFieldName('left')!;
        const h = this.expr(n.childForFieldName('right')!, out, 'value');
        if (h && left.type === 'identifier') out.push({ op: 'copy', from: h, to: left.text, at, add: true });
        else if (h) this.escape(h, left, out);
        return null;
      }
      case 'attribute': {
        const obj = n.childForFieldName('object')!;
        const attr = n.childForFieldName('attribute')?.text ?? '';
        const cell = this.cellOf(n);
        if (cell) return mode === 'value' ? cell : null;
        const h = this.expr(obj, out, mode === 'value' && !DATA_ATTRS.has(attr) ? 'value' : 'discard');
        // A bound method (`p.wait` handed to atexit or a thread) carries its object with it.
        return h && !DATA_ATTRS.has(attr) ? h : null;
      }
      case 'subscript': {
        const value = n.childForFieldName('value')!;
        for (const s of n.childrenForFieldName('subscript')) this.expr(s, out, 'discard');
        return this.expr(value, out, mode);
      }
      case 'list':
      case 'tuple':
      case 'set':
      case 'expression_list':
      case 'dictionary': {
        const elems = n.type === 'dictionary' ? named(n).map((p) => (p.type === 'pair' ? p.childForFieldName('value')! : p)) : named(n);
        const hs = elems.map((e) => this.expr(e.type === 'list_splat' || e.type === 'dictionary_splat' ? e.namedChild(0)! : e, out, mode));
        if (mode !== 'value' || !hs.some(Boolean)) return null;
        const c = this.temp();
        this.containers.add(c);
        for (const h of hs) if (h) out.push({ op: 'copy', from: h, to: c, at, add: true });
        return c;
      }
      case 'list_comprehension':
      case 'set_comprehension':
      case 'dictionary_comprehension':
      case 'generator_expression': return this.comprehension(n, out, mode);
      case 'conditional_expression': {
        const [a, test, b] = named(n);
        const cond = this.cond(test, out);
        const t: Node[] = [];
        const e: Node[] = [];
        const ha = this.expr(a, t, mode);
        const hb = this.expr(b, e, mode);
        if (mode !== 'value' || (!ha && !hb)) {
          out.push({ op: 'if', cond, then: t, else: e, at });
          return null;
        }
        const r = this.temp();
        if (ha) t.push({ op: 'copy', from: ha, to: r, at });
        if (hb) e.push({ op: 'copy', from: hb, to: r, at });
        out.push({ op: 'if', cond, then: t, else: e, at });
        return r;
      }
      case 'boolean_operator': {
        const ha = this.expr(n.childForFieldName('left')!, out, mode);
        const hb = this.expr(n.childForFieldName('right')!, out, mode);
        if (mode !== 'value' || (!ha && !hb)) return null;
        const r = this.temp();
        for (const h of [ha, hb]) if (h) out.push({ op: 'copy', from: h, to: r, at, add: true });
        return r;
      }
      case 'lambda':
        this.captured(n, out);
        return null;
      case 'yield': {
        const inner = n.namedChild(0);
        const h = inner ? this.expr(inner.type === 'expression_list' ? inner : inner, out, 'value') : null;
        if (h) out.push({ op: 'escape', h, to: 'caller', at, why: 'yielded to the caller' });
        return null;
      }
      case 'string':
      case 'concatenated_string':
      case 'integer':
      case 'float':
      case 'true':
      case 'false':
      case 'none':
        return null;
      default:
        // Operators, comparisons, f-strings...: they look at values and keep none.
        for (const c of named(n)) this.expr(c, out, 'discard');
        return null;
    }
  }

  protected comprehension(n: SyntaxNode, out: Node[], mode: Mode): Handle | null {
    const bodyNode = n.childForFieldName('body')!;
    const clauses = named(n).filter((c) => c.type === 'for_in_clause' || c.type === 'if_clause');
    const c = mode === 'value' ? this.temp() : null;
    if (c) this.containers.add(c);
    let inner: Node[] = [];
    const elem = bodyNode.type === 'pair' ? bodyNode.childForFieldName('value')! : bodyNode;
    this.loops++;
    const h = this.expr(elem, inner, c ? 'value' : 'discard');
    this.loops--;
    if (c && h) inner.push({ op: 'copy', from: h, to: c, at: rangeOf(elem), add: true });
    for (const cl of clauses.reverse()) {
      if (cl.type === 'if_clause') {
        const pre: Node[] = [];
        const cond = this.cond(cl.namedChild(0)!, pre);
        inner = [...pre, { op: 'if', cond, then: inner, else: [] }];
        continue;
      }
      const right = cl.childForFieldName('right')!;
      const over = this.iterated(right);
      const head: Node[] = [];
      if (!over) this.expr(right, head, 'discard');
      const bind = this.bindTargets(cl.childForFieldName('left')!, over, rangeOf(cl));
      const leave: Node = { op: 'if', cond: { k: 'opaque' }, then: [{ op: 'break', at: rangeOf(cl) }], else: [] };
      inner = [...head, { op: 'loop', infinite: true, body: over ? [...bind, ...inner, leave] : [leave, ...bind, ...inner] }];
    }
    out.push(...inner);
    return c;
  }

  /** `self.x` in a method of a class of this file: a cell every method of the class shares. */
  protected cellOf(n: SyntaxNode): Handle | undefined {
    if (n.type !== 'attribute' || !this.c.cls || n.childForFieldName('object')?.text !== 'self') return undefined;
    const cell = `@${this.c.cls}.${n.childForFieldName('attribute')!.text}`;
    if (!this.c.cellsUsed.has(cell)) {
      this.c.cellsUsed.add(cell);
      for (const m of this.c.classes.get(this.c.cls) ?? []) this.c.called(`${this.c.cls}.${m}`);
    }
    return cell;
  }

  protected assign(n: SyntaxNode, out: Node[], mode: Mode): Handle | null {
    const left = n.childForFieldName('left')!;
    const right = n.childForFieldName('right');
    if (!right) return null;
    const at = rangeOf(left);
    if (left.type === 'identifier') {
      this.into(left.text, right, out);
      return mode === 'value' ? left.text : null;
    }
    if ((left.type === 'pattern_list' || left.type === 'tuple_pattern') && (right.type === 'expression_list' || right.type === 'tuple') && named(left).length === named(right).length) {
      const hs = named(right).map((r) => this.expr(r, out, 'value'));
      named(left).forEach((l, i) => {
        if (l.type === 'identifier') out.push(hs[i] ? { op: 'copy', from: hs[i]!, to: l.text, at } : { op: 'drop', h: l.text, at, why: 'rebound' });
        else if (hs[i]) this.escape(hs[i]!, l, out);
      });
      return null;
    }
    if (left.type === 'pattern_list' || left.type === 'tuple_pattern') {
      // `pid, fd = os.forkpty()`: the first name is the pid; `a, b = make()`: either may be the child.
      const first = left.namedChild(0);
      const site = right.type === 'call' ? this.c.f.sites.get(right.id) : undefined;
      if (site && first?.type === 'identifier') {
        this.into(first.text, right, out);
        for (const l of named(left).slice(1)) out.push(...this.bindTargets(l, null, at));
        return null;
      }
      const h = this.expr(right, out, 'value');
      out.push(...this.bindTargets(left, h, at));
      return null;
    }
    const h = this.expr(right, out, 'value');
    if (h) this.escape(h, left, out);
    else this.expr(left, out, 'discard');
    return null;
  }

  /** `name = value`. */
  protected into(name: string, value: SyntaxNode, out: Node[]): void {
    const at = rangeOf(value);
    const v = unparen(value.type === 'await' ? value.namedChild(0)! : value)!;
    const shared = this.shared(name);
    const site = v.type === 'call' ? this.c.f.sites.get(v.id) : undefined;
    if (site && site.kind !== 'process' && !shared) {
      this.kinds.set(name, site.kind);
      this.spawnArgs(v, out);
      out.push({ op: 'spawn', site: site.id, into: name, outcomes: site.outcomes, at: rangeOf(v) });
      return;
    }
    if (v.type === 'list' || v.type === 'dictionary' || v.type === 'set' || /comprehension/.test(v.type) || /^(list|dict|set|collections\.deque|deque|collections\.OrderedDict|OrderedDict|defaultdict|collections\.defaultdict)\(/.test(v.text)) this.containers.add(name);
    else this.containers.delete(name);
    if (v.type === 'call' && this.isProcessCtor(v)) this.kinds.set(name, 'process');
    const h = this.expr(value, out, 'value');
    if (shared) {
      const where = this.globals.has(name) ? `the global variable ${name}` : this.c.module ? `the module-level variable ${name}` : `${name}, which a nested function or lambda uses`;
      if (h) out.push({ op: 'escape', h, to: 'other', at, why: `kept in ${where}` });
      return;
    }
    if (h && h !== name) {
      if (this.kinds.has(h)) this.kinds.set(name, this.kinds.get(h)!);
      out.push({ op: 'copy', from: h, to: name, at });
    } else if (!h) out.push({ op: 'drop', h: name, at, why: 'rebound' });
  }

  /** A global, or a name of a library's module code (or one its functions read): reachable from elsewhere. */
  protected shared(name: string): boolean {
    this.closed ??= capturedNames(this.c.body);
    return this.globals.has(name) || this.closed.has(name) || (this.c.module && (!this.c.f.script || this.c.moduleNames().has(name)));
  }

  /** Names a nested function, lambda or class of this function mentions: it may use them at any time. */
  private closed?: Set<string>;

  protected isProcessCtor(call: SyntaxNode): boolean {
    const name = this.c.f.resolve(call.childForFieldName('function'));
    return name === 'multiprocessing.Process' || name === 'multiprocessing.context.Process';
  }

  /** A handle stored through a target that is not a plain name: a local container, a cell, or somewhere else. */
  protected escape(h: Handle, target: SyntaxNode, out: Node[]): void {
    const at = rangeOf(target);
    if (target.type === 'subscript') {
      const base = unparen(target.childForFieldName('value'))!;
      for (const s of target.childrenForFieldName('subscript')) this.expr(s, out, 'discard');
      if (base.type === 'identifier' && this.containers.has(base.text) && !this.shared(base.text)) {
        out.push({ op: 'copy', from: h, to: base.text, at, add: true });
        return;
      }
    }
    const cell = this.cellOf(target);
    if (cell) {
      out.push({ op: 'copy', from: h, to: cell, at });
      return;
    }
    out.push({ op: 'escape', h, to: target.type === 'subscript' ? 'container' : 'field', at, why: `stored in ${target.text}` });
  }

  protected spawnArgs(call: SyntaxNode, out: Node[]): void {
    const args = call.childForFieldName('arguments');
    for (const a of args ? named(args) : []) this.expr(a.type === 'keyword_argument' ? a.childForFieldName('value')! : a, out, 'discard');
  }
}

export function isCompound(t: string): boolean {
  return t === 'if_statement' || t === 'for_statement' || t === 'while_statement' || t === 'try_statement' || t === 'with_statement' || t === 'match_statement' || t === 'function_definition' || t === 'class_definition' || t === 'decorated_definition';
}

/** The parameter names of the functions around the one whose body this is (innermost first). */
function enclosingParams(body: SyntaxNode | null): string[] {
  const out: string[] = [];
  let n = body?.parent?.parent ?? null;
  for (; n; n = n.parent) {
    if (n.type !== 'function_definition') continue;
    const ps = n.childForFieldName('parameters');
    for (const p of ps ? named(ps) : []) {
      const id = p.type === 'identifier' ? p : p.childForFieldName('name') ?? named(p).find((c) => c.type === 'identifier');
      if (id?.type === 'identifier') out.push(id.text);
    }
  }
  return out;
}
