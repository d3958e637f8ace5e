/**
 * C and C++ function bodies lowered to the engine's IR (engine/ir.ts). What each call does (starts
 * a child, waits, exits, is a function of this file) comes from the scanner (c.ts) as a CallModel;
 * this file knows C's statements and expressions:
 *  - `pid = fork()`, `if ((pid = fork()) == 0)`, `switch (pid)`, `if (!pid)`, `if (pid > 0)`:
 *    conditions on a spawn's result become `is` conditions (child, parent, failed), so the child's
 *    branch, the parent's and the failure's are judged apart; `posix_spawn`'s return value and
 *    `popen`'s NULL are conditions on the same spawn;
 *  - `&&`, `||`: the right operand's calls run only when the left allows (`if (x && fork() == 0)`);
 *  - `switch` with fall-through and `break`, loops with `break`/`continue`, as labelled loops;
 *  - `goto` forward to a label of the function's top level (`goto out;` cleanup) as a jump out of
 *    a labelled block; any other goto makes the function unstructured (its sites unknown);
 *  - file-level and `static` local variables as cells (`@child_pid`), struct fields as `@.pid`;
 *  - `#if` branches no unix target compiles are left out, others are either-or.
 */
import type { Cond, FunctionIR, Handle, Node } from '../engine/ir';
import type { SyntaxNode } from '../parser';
import { cNeverBuildsWithZombies } from '../platform';
import { named } from '../syntax';
import { at, constant, declaredName, endOf, ExprLowering, leaves, OUTCOMES, REP, unwrapExpr, words } from './c-expr';

export { type CallModel, declaredName, type LowerEnv, type LowerNotes, type ResultKind } from './c-expr';

interface Breakable {
  label: string;
  loop: boolean;
}

export class FunctionLowering extends ExprLowering {
  private readonly breakables: Breakable[] = [];
  private readonly gotoTargets = new Set<string>();
  private labelN = 0;
  unstructured?: string;


  lower(def: SyntaxNode, key: string, exported: boolean): FunctionIR {
    const params: (Handle | null)[] = [];
    let d = def.childForFieldName('declarator');
    while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
    for (const p of d?.childForFieldName('parameters') ? named(d.childForFieldName('parameters')!) : []) {
      if (p.type !== 'parameter_declaration') continue;
      const id = declaredName(p.childForFieldName('declarator'));
      if (!id) {
        params.push(null);
        continue;
      }
      this.locals.set(id.text, id.text);
      this.tracked.add(id.text);
      params.push(id.text);
    }
    const body = def.childForFieldName('body');
    const out: Node[] = [];
    if (body) this.functionBody(body, out);
    return { key, display: this.fnName, params, body: out, end: body ? endOf(body) : at(def), exported, isMain: this.fnName === 'main', unstructured: this.unstructured };
  }

  // --- statements ---

  private functionBody(body: SyntaxNode, out: Node[]): void {
    const gotos = body.descendantsOfType('goto_statement');
    const stmts = named(body).filter((c) => c.type !== 'comment');
    if (gotos.length) {
      // Forward gotos to labels of the top level: a jump out of the block before the label.
      const top = new Map<string, number>();
      for (const s of stmts) for (let l: SyntaxNode | null = s; l?.type === 'labeled_statement'; l = l.childForFieldName('statement') ?? l.namedChild(1)) top.set(l.childForFieldName('label')?.text ?? '', s.startIndex);
      for (const g of gotos) {
        const label = g.childForFieldName('label')?.text ?? '';
        const where = top.get(label);
        if (where === undefined || where < g.startIndex) {
          this.unstructured ??= `the function jumps with \`${words(g)}\` at line ${g.startPosition.row + 1}, ${where === undefined ? 'into a nested block' : 'backwards'}`;
        } else this.gotoTargets.add(label);
      }
    }
    this.blocks.push([]);
    let seq: Node[] = [];
    let pushed = 0;
    for (let i = 0; i < stmts.length; i++) {
      let s = stmts[i];
      const labels: string[] = [];
      while (s.type === 'labeled_statement') {
        const l = s.childForFieldName('label')?.text ?? '';
        if (this.gotoTargets.has(l)) labels.push(l);
        const inner = s.childForFieldName('statement') ?? named(s).find((c) => c.type !== 'statement_identifier');
        if (!inner) break;
        s = inner;
      }
      for (const l of labels) seq = [{ op: 'loop', infinite: true, label: `goto:${l}`, body: [...seq, { op: 'break', label: `goto:${l}`, at: at(s) }] }];
      this.statement(s, seq);
      pushed += this.restOfBlock(s);
    }
    for (; pushed > 0; pushed--) this.childOf.pop();
    // No scope for the function's own block: its end is the function's end, which the walk judges.
    this.blocks.pop();
    out.push(...seq);
  }

  /**
   * After `if (pid > 0) return pid;` (an `if` with no else whose branch leaves), the rest of the
   * block runs only where the condition was false: in the child when that is the child alone.
   * Returns 1 when it opened such a child context (closed at the block's end).
   */
  private restOfBlock(s: SyntaxNode): number {
    if (s.type !== 'if_statement' || s.childForFieldName('alternative') || !leaves(s.childForFieldName('consequence'), this.env)) return 0;
    const site = this.childSiteOf(s.childForFieldName('condition'), false);
    if (site === undefined) return 0;
    this.childOf.push(site);
    this.notes.childSeen.add(site);
    return 1;
  }

  protected block(n: SyntaxNode, out: Node[]): void {
    this.blocks.push([]);
    const body: Node[] = [];
    let pushed = 0;
    for (const s of named(n)) {
      if (s.type === 'comment') continue;
      this.statement(s, body);
      pushed += this.restOfBlock(s);
    }
    for (; pushed > 0; pushed--) this.childOf.pop();
    const vars = this.blocks.pop()!.filter((h) => this.tracked.has(h));
    if (vars.length) out.push({ op: 'scope', vars, body, end: endOf(n) });
    else out.push(...body);
  }

  private branch(n: SyntaxNode | null, out: Node[], child?: number): void {
    if (!n) return;
    if (child !== undefined) {
      this.childOf.push(child);
      this.notes.childSeen.add(child);
    }
    this.statement(n, out);
    if (child !== undefined) this.childOf.pop();
  }

  private statement(n: SyntaxNode, out: Node[]): void {
    switch (n.type) {
      case 'compound_statement': return this.block(n, out);
      case 'declaration': return this.declaration(n, out);
      case 'expression_statement': {
        const e = n.namedChild(0);
        if (e) this.expr(e, out, true);
        return;
      }
      case 'if_statement': {
        const cn = n.childForFieldName('condition');
        const cond = this.cond(cn, out);
        const then: Node[] = [];
        const els: Node[] = [];
        this.branch(n.childForFieldName('consequence'), then, this.childSiteOf(cn, true));
        let alt = n.childForFieldName('alternative');
        if (alt?.type === 'else_clause') alt = alt.namedChild(0);
        this.branch(alt, els, this.childSiteOf(cn, false));
        out.push({ op: 'if', cond, then, else: els, at: at(n) });
        return;
      }
      case 'while_statement': {
        const label = this.label();
        const body: Node[] = [];
        const cond = this.cond(n.childForFieldName('condition'), body);
        const inner: Node[] = [];
        this.loopBody(label, n.childForFieldName('body'), inner);
        if (cond.k === 'opaque' && this.alwaysTrue(n.childForFieldName('condition'))) body.push(...inner);
        else body.push({ op: 'if', cond, then: inner, else: [{ op: 'break', label, at: at(n) }] });
        out.push({ op: 'loop', infinite: true, label, body, at: at(n) });
        return;
      }
      case 'do_statement': {
        const label = this.label();
        const body: Node[] = [];
        this.loopBody(label, n.childForFieldName('body'), body);
        const cond = this.cond(n.childForFieldName('condition'), body);
        if (!this.alwaysTrue(n.childForFieldName('condition'))) body.push({ op: 'if', cond, then: [], else: [{ op: 'break', label, at: at(n) }] });
        out.push({ op: 'loop', infinite: true, label, body, at: at(n) });
        return;
      }
      case 'for_statement':
      case 'for_range_loop': {
        this.blocks.push([]);
        const pre: Node[] = [];
        const init = n.childForFieldName('initializer');
        if (init) {
          if (init.type === 'declaration') this.declaration(init, pre);
          else this.expr(init, pre, true);
        }
        const label = this.label();
        const body: Node[] = [];
        const c = n.childForFieldName('condition');
        const inner: Node[] = [];
        const cond = c ? this.cond(c, body) : undefined;
        this.loopBody(label, n.childForFieldName('body'), inner);
        const update = n.childForFieldName('update');
        if (update) this.expr(update, inner, true);
        if (n.type === 'for_range_loop') {
          const r = n.childForFieldName('right');
          if (r) this.expr(r, pre, false);
          body.push({ op: 'if', cond: { k: 'opaque' }, then: inner, else: [{ op: 'break', label, at: at(n) }] });
        } else if (!cond || (cond.k === 'opaque' && this.alwaysTrue(c))) body.push(...inner);
        else body.push({ op: 'if', cond, then: inner, else: [{ op: 'break', label, at: at(n) }] });
        pre.push({ op: 'loop', infinite: true, label, body, at: at(n) });
        const vars = this.blocks.pop()!.filter((h) => this.tracked.has(h));
        if (vars.length) out.push({ op: 'scope', vars, body: pre, end: endOf(n) });
        else out.push(...pre);
        return;
      }
      case 'switch_statement': return this.switch(n, out);
      case 'break_statement': {
        const b = this.breakables[this.breakables.length - 1];
        out.push(b ? { op: 'break', label: b.label, at: at(n) } : { op: 'unknown', at: at(n), why: 'a break outside any loop' });
        return;
      }
      case 'continue_statement': {
        const b = [...this.breakables].reverse().find((x) => x.loop);
        out.push(b ? { op: 'continue', label: b.label, at: at(n) } : { op: 'unknown', at: at(n), why: 'a continue outside any loop' });
        return;
      }
      case 'return_statement': {
        const e = n.namedChild(0);
        const v = e && e.type !== 'comment' ? this.expr(e, out, false) : {};
        out.push({ op: 'return', values: [v.h && v.kind !== 'errcode' ? v.h : null], at: at(n) });
        return;
      }
      case 'goto_statement': {
        const label = n.childForFieldName('label')?.text ?? '';
        if (this.gotoTargets.has(label)) out.push({ op: 'break', label: `goto:${label}`, at: at(n) });
        else out.push({ op: 'unknown', at: at(n), why: `${words(n)} is not followed` });
        return;
      }
      case 'labeled_statement': {
        const inner = n.childForFieldName('statement') ?? named(n).find((c) => c.type !== 'statement_identifier');
        if (inner) this.statement(inner, out);
        return;
      }
      case 'attributed_statement': {
        for (const c of named(n)) if (c.type !== 'attribute_declaration') this.statement(c, out);
        return;
      }
      case 'throw_statement': {
        for (const c of named(n)) this.expr(c, out, true);
        out.push({ op: 'throw', at: at(n), how: words(n) });
        return;
      }
      case 'try_statement': {
        const body: Node[] = [];
        this.branch(n.childForFieldName('body'), body);
        const handlers: Node[][] = [];
        for (const c of named(n)) {
          if (c.type !== 'catch_clause') continue;
          const h: Node[] = [];
          this.branch(c.childForFieldName('body'), h);
          handlers.push(h);
        }
        out.push({ op: 'try', body, handlers });
        return;
      }
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_elif':
      case 'preproc_elifdef':
      case 'preproc_else':
        return this.preproc(n, out);
      case 'comment':
      case 'preproc_call':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_include':
      case 'type_definition':
      case 'struct_specifier':
      case 'enum_specifier':
      case 'union_specifier':
      case 'function_definition':
        return;
      case 'ERROR': {
        for (const c of named(n)) this.expr(c, out, true);
        out.push({ op: 'unknown', at: at(n), why: `code at line ${n.startPosition.row + 1} that does not parse` });
        return;
      }
      default:
        this.expr(n, out, true);
    }
  }

  private alwaysTrue(c: SyntaxNode | null): boolean {
    const t = c?.text.replace(/[\s()]/g, '');
    return t === '1' || t === 'true' || t === '';
  }

  private label(): string {
    return `L${++this.labelN}`;
  }

  private loopBody(label: string, body: SyntaxNode | null, out: Node[]): void {
    this.breakables.push({ label, loop: true });
    if (body) this.statement(body, out);
    this.breakables.pop();
  }

  /** `#if` inside a function: a branch no unix target compiles is left out; the others are either-or. */
  private preproc(n: SyntaxNode, out: Node[]): void {
    const alt = n.childForFieldName('alternative');
    const own: Node[] = [];
    const skip = new Set([n.childForFieldName('condition')?.id, n.childForFieldName('name')?.id, alt?.id]);
    const first = named(n).find((c) => !skip.has(c.id));
    if (!first || !cNeverBuildsWithZombies(first)) {
      for (const c of named(n)) if (!skip.has(c.id)) this.statement(c, own);
    }
    const other: Node[] = [];
    if (alt) this.preproc(alt, other);
    if (!own.length && !other.length) return;
    if (!other.length && !alt) {
      out.push({ op: 'if', cond: { k: 'opaque' }, then: own, else: [] });
      return;
    }
    out.push({ op: 'if', cond: { k: 'opaque', words: words(n).split(' ')[0] }, then: own, else: other });
  }

  private switch(n: SyntaxNode, out: Node[]): void {
    const v = this.expr(unwrapExpr(n.childForFieldName('condition')) ?? n, out, false);
    const spawned = v.h ? this.spawned.get(v.h) : undefined;
    const label = this.label();
    this.breakables.push({ label, loop: false });
    const cases = (n.childForFieldName('body') ? named(n.childForFieldName('body')!) : []).filter((c) => c.type === 'case_statement');
    const bodies: { cond: Cond | 'default'; body: Node[]; falls: boolean; child?: number }[] = [];
    for (const c of cases) {
      const value = c.childForFieldName('value');
      let cond: Cond | 'default' = 'default';
      let child: number | undefined;
      if (value) {
        const k = constant(value);
        // Only 0 and -1 pick an outcome: `case 5:` is one parent pid among many.
        const outcomes = spawned && v.kind && (k === 0 || (k === -1 && v.kind === 'pid')) ? OUTCOMES.filter((o) => REP[v.kind!][o] === k) : undefined;
        cond = outcomes && v.h ? { k: 'is', h: v.h, outcomes, words: `case ${value.text}`, at: at(c) } : { k: 'opaque' };
        if (outcomes && outcomes.length === 1 && outcomes[0] === 'child') child = spawned!.site;
      }
      const body: Node[] = [];
      this.blocks.push([]);
      if (child !== undefined) {
        this.childOf.push(child);
        this.notes.childSeen.add(child);
      }
      const stmts = named(c).filter((s) => s.id !== value?.id && s.type !== 'comment');
      for (const s of stmts) this.statement(s, body);
      if (child !== undefined) this.childOf.pop();
      this.blocks.pop();
      bodies.push({ cond, body, falls: !stmts.length || !leaves(stmts[stmts.length - 1], this.env) });
    }
    this.breakables.pop();
    // Fall-through: an arm runs on into the next ones until one leaves.
    const arms = bodies.map((b, i) => {
      const body = [...b.body];
      for (let j = i; bodies[j]?.falls && j + 1 < bodies.length; j++) body.push(...bodies[j + 1].body);
      return { cond: b.cond, body };
    });
    out.push({ op: 'loop', infinite: true, label, at: at(n), body: [{ op: 'switch', arms, exhaustive: false, at: at(n) }, { op: 'break', label, at: at(n) }] });
  }

  private declaration(n: SyntaxNode, out: Node[]): void {
    const isStatic = named(n).some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
    for (const d of named(n)) {
      if (d.type !== 'init_declarator' && d.type !== 'identifier' && d.type !== 'pointer_declarator' && d.type !== 'array_declarator') continue;
      const id = declaredName(d.type === 'init_declarator' ? d.childForFieldName('declarator') : d);
      if (!id) continue;
      const name = id.text;
      if (isStatic) {
        const cell = `@${this.fnName}:${name}`;
        this.locals.set(name, cell);
        this.notes.cells.set(cell, { exported: false, words: `the static variable ${name} of ${this.fnName}()` });
      } else {
        this.locals.set(name, name);
        this.blocks[this.blocks.length - 1]?.push(name);
      }
      this.aliases.delete(name);
      const value = d.type === 'init_declarator' ? d.childForFieldName('value') : null;
      if (value && !isStatic) this.assign(this.locals.get(name)!, value, out, at(d));
    }
  }
}
