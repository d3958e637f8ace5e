/**
 * The path-sensitive walk over one function's lowered form (ir.ts). The state (state.ts) holds,
 * for each handle, what it may hold on the paths reaching a point; conditions on a spawn's result
 * (`pid == 0`, `err != nil`, `Ok(c)`) keep only the values that agree, so the parent's branch,
 * the child's and the failure's are judged apart. Each function is walked once, callees first;
 * what it does to its parameters and what it returns becomes its summary, applied at its calls.
 */
import type { SourceRange } from '../types';
import { HandleEvents, isCell, LOST } from './events';
import type { CellFacts, Ev, External, LeakKind, SiteFacts, Summary } from './facts';
import { type Cond, type FunctionIR, type Handle, type Node, nodesIn, type ProgramIR } from './ir';
import { join, OUTCOME_OF, State, type Step, type Val, withStep } from './state';

interface Frame {
  kind: 'scope' | 'protect' | 'loop' | 'try';
  vars?: Handle[];
  cleanup?: Node[];
  label?: string;
  breaks?: State[];
  continues?: State[];
  throws?: State[];
}

export class Walker {
  readonly facts = new Map<number, SiteFacts>();
  readonly cells = new Map<string, CellFacts>();
  readonly summaries = new Map<string, Summary>();
  readonly callsSeen = new Map<string, number>();
  /** Calls a live path got to, and the functions they call. */
  readonly liveCalls = new Set<Node>();
  readonly liveCallees = new Set<string>();
  /** By callee: the calls no path got to, in functions where a platform condition cut paths (with that condition). */
  readonly cutCalls = new Map<string, { at: SourceRange; cut: string; fn: string }[]>();
  private readonly byKey = new Map<string, FunctionIR>();
  private readonly inProgress = new Set<string>();

  readonly exitExcusesLost: boolean;

  constructor(
    private readonly program: ProgramIR,
    private readonly external: External = {},
  ) {
    this.exitExcusesLost = external.exitExcusesLost ?? true;
    for (const s of program.sites) this.facts.set(s.id, newFacts());
    for (const f of program.functions) if (!this.byKey.has(f.key)) this.byKey.set(f.key, f);
  }

  run(): void {
    for (const f of this.program.functions) this.summaryOf(f.key);
  }

  /**
   * Why the function `key` never runs where a child can become a zombie: it is called only from this
   * program (the front end says so), no path gets to a call of it, and some are in functions where a
   * platform condition ruled paths out. undefined otherwise.
   */
  platformOnly(key: string): string | undefined {
    const mine = this.cutCalls.get(key);
    const fn = this.byKey.get(key);
    if (!mine || !fn || fn.exported || this.liveCallees.has(key)) return undefined;
    if (!(fn.callersKnown ?? this.external.callersKnown?.(key))) return undefined;
    const lines = [...new Set(mine.map((c) => c.at.startLine))].join(', ');
    return `${fn.display ?? key}() is called only at line ${lines}, in ${mine[0].fn}, ${mine[0].cut}`;
  }

  cell(name: string): CellFacts {
    let c = this.cells.get(name);
    if (!c) this.cells.set(name, (c = { waits: [], kills: [], escapes: [] }));
    return c;
  }

  summaryOf(key: string): Summary | undefined {
    const done = this.summaries.get(key);
    if (done) return done;
    const fn = this.byKey.get(key);
    if (!fn) return this.external.summary?.(key);
    if (this.inProgress.has(key)) return undefined; // recursion: the call stays unknown
    this.inProgress.add(key);
    const s = new FunctionWalk(this, fn).run();
    this.inProgress.delete(key);
    this.summaries.set(key, s);
    return s;
  }

  siteAt(site: number): SourceRange | undefined {
    return this.program.sites.find((s) => s.id === site)?.at;
  }

  siteFacts(site: number): SiteFacts {
    let f = this.facts.get(site);
    if (!f) this.facts.set(site, (f = newFacts()));
    return f;
  }
}

function newFacts(): SiteFacts {
  return { reached: false, leaks: new Map(), waits: [], kills: [], escapes: [], exits: [], stores: new Map(), returnedBy: new Set(), returnedAt: [], childWaits: [], stuck: [], blocked: [], confirmed: new Set(), reaped: new Set() };
}

class FunctionWalk extends HandleEvents {
  private frames: Frame[] = [];
  private readonly defers: Node[][] = [];
  private readonly deferIndex = new Map<Node, number>();
  private returned = false;
  private reapsAllOnEveryReturn = true;
  private readonly returnsSites = new Set<number>();

  constructor(
    w: Walker,
    private readonly fn: FunctionIR,
  ) {
    super(w, fn);
  }

  run(): Summary {
    const st = new State();
    this.fn.params.forEach((h, i) => {
      if (h) st.set(h, [{ st: 'param', id: `p${i}`, param: i, trace: [] }]);
    });
    const end = this.seq(this.fn.body, st);
    if (!end.dead) this.leave(end, this.fn.end, 'end', []);
    if (this.fn.unstructured) for (const f of spawnsIn(this.fn.body)) this.w.siteFacts(f.site).unstructured = this.fn.unstructured;
    // Sites no path got to because a platform condition ruled their paths out: code where no zombie can be.
    if (this.platformCut) for (const f of spawnsIn(this.fn.body)) if (!this.w.siteFacts(f.site).reached) this.w.siteFacts(f.site).platform ??= this.platformCut;
    if (this.platformCut) {
      for (const c of nodesIn(this.fn.body, 'call')) {
        if (this.w.liveCalls.has(c)) continue;
        let list = this.w.cutCalls.get(c.fn);
        if (!list) this.w.cutCalls.set(c.fn, (list = []));
        list.push({ at: c.at, cut: this.platformCut, fn: this.name });
      }
    }
    const exits = !this.returned && this.exitedSomewhere;
    return {
      key: this.fn.key,
      display: this.name,
      returns: this.returned,
      exits,
      params: this.params.map((p, i) => {
        if (this.fn.params[i] === null) return null;
        if (p.escaped || p.cell) return 'escapes';
        if (p.waited) return p.unwaitedAtExit ? 'some' : 'waits';
        return 'never';
      }),
      paramCells: this.params.map((p) => p.cell ?? null),
      paramKills: this.params.map((p) => p.kills),
      returnsSites: [...this.returnsSites],
      reapsAll: this.returned && this.reapsAllOnEveryReturn,
      exported: this.fn.exported,
    };
  }

  /** The first platform condition that ruled a path out, in words. */
  private platformCut?: string;
  /** The platform condition that ruled out the branch being entered (see branch()). */
  private branchCut?: string;

  /**
   * The state entering a branch taken when `cond` is `truth`. When a platform condition rules the
   * branch out, its sites are marked with that condition: a site reached by no other path is then
   * judged by the condition that cut its own branch, not by the function's first cut.
   */
  private branch(st: State, cond: Cond, truth: boolean, body: Node[]): State {
    this.branchCut = undefined;
    const out = this.filter(st, cond, truth);
    const cut = this.branchCut;
    this.branchCut = undefined;
    if (cut && out.dead) for (const f of spawnsIn(body)) this.w.siteFacts(f.site).platform ??= cut;
    return out;
  }

  // --- statements ---

  private seq(nodes: Node[], st: State): State {
    for (const n of nodes) {
      if (st.dead) return st;
      st = this.node(n, st);
    }
    return st;
  }

  private node(n: Node, st: State): State {
    switch (n.op) {
      case 'spawn': return this.spawn(n, st);
      case 'wait': this.wait(st, n.h, { at: n.at, how: n.how, fn: this.name }); return st;
      case 'kill': this.kill(st, n.h, { at: n.at, how: n.how, fn: this.name }); return st;
      case 'release': {
        for (const v of st.get(n.h)) if (v.st === 'pending') this.leak(v, 'release', n.at, st);
        this.forgetHandle(st, n.h, 'pending');
        return st;
      }
      case 'escape': this.escape(st, n.h, { at: n.at, how: n.why, fn: this.name }, n.to); return st;
      case 'copy': this.copy(st, n.from, n.to, n.at, n.add); return st;
      case 'drop': this.drop(st, n.h, n.kind ?? 'overwrite', n.at); return st;
      case 'call': return this.call(n, st);
      case 'reapAll': {
        for (const v of st.all('pending')) this.w.siteFacts(v.site!).waits.push({ at: n.at, how: n.how, fn: this.name });
        this.settleLost(st, 'reaped');
        st.forget(new Set(st.all('pending').map((v) => v.id)), 'pending');
        st.reapedAll = true;
        return st;
      }
      case 'block': {
        for (const m of st.vals.values()) for (const [k, v] of m) if (v.st === 'pending' && !v.blocked) m.set(k, { ...v, blocked: { at: n.at, how: n.how } });
        return st;
      }
      case 'abandon': {
        st.vals.delete(LOST);
        return State.dead();
      }
      case 'exit': {
        this.programEnds(st, { at: n.at, how: n.how, fn: this.name }, 'end', this.w.exitExcusesLost);
        return State.dead();
      }
      case 'throw': {
        const tr = this.innermost('try');
        if (tr) {
          tr.frame.throws!.push(this.unwind(st, tr.index, n.at));
          return State.dead();
        }
        this.leave(st, n.at, 'throw', []);
        return State.dead();
      }
      case 'unknown': {
        for (const v of st.all('pending')) this.w.siteFacts(v.site!).escapes.push({ at: n.at, how: n.why, fn: this.name, to: 'other' });
        for (const v of st.all('param')) this.params[v.param!].escaped = true;
        st.forget(new Set([...st.all('pending'), ...st.all('param')].map((v) => v.id)));
        return st;
      }
      case 'if': {
        const t = this.seq(n.then, this.branch(st, n.cond, true, n.then));
        const e = this.seq(n.else, this.branch(st, n.cond, false, n.else));
        return join([t, e]);
      }
      case 'switch': {
        const outs: State[] = [];
        const others: Cond[] = [];
        let hasDefault = false;
        for (const arm of n.arms) if (arm.cond !== 'default') others.push(arm.cond);
        const none: Cond = others.length ? { k: 'not', c: others.reduce((a, b) => ({ k: 'or', a, b })) } : { k: 'opaque' };
        for (const arm of n.arms) {
          if (arm.cond === 'default') hasDefault = true;
          outs.push(this.seq(arm.body, this.branch(st, arm.cond === 'default' ? none : arm.cond, true, arm.body)));
        }
        if (!hasDefault && !n.exhaustive) outs.push(this.filter(st, none, true));
        return join(outs);
      }
      case 'loop': return this.loop(n, st);
      case 'break':
      case 'continue': {
        const target = this.loopFrame(n.label);
        if (!target) return State.dead(); // a break out of a switch the lowering flattened: nothing to carry
        const out = this.unwind(st, target.index, n.at);
        (n.op === 'break' ? target.frame.breaks! : target.frame.continues!).push(out);
        return State.dead();
      }
      case 'return': {
        this.leave(st, n.at, 'return', n.values);
        return State.dead();
      }
      case 'scope': {
        this.frames.push({ kind: 'scope', vars: n.vars });
        const out = this.seq(n.body, st);
        this.frames.pop();
        if (!out.dead) for (const h of n.vars) this.drop(out, h, 'scope-end', n.end);
        return out;
      }
      case 'protect': {
        this.frames.push({ kind: 'protect', cleanup: n.cleanup });
        const out = this.seq(n.body, st);
        this.frames.pop();
        return out.dead ? out : this.seq(n.cleanup, out);
      }
      case 'defer': {
        let i = this.deferIndex.get(n);
        if (i === undefined) {
          i = this.defers.length;
          this.defers.push(n.body);
          this.deferIndex.set(n, i);
        }
        st.defers.add(i);
        return st;
      }
      case 'try': {
        const frame: Frame = { kind: 'try', throws: [] };
        this.frames.push(frame);
        const body = this.seq(n.body, st.clone());
        this.frames.pop();
        // Any call in the body may raise: the handler sees the entry's state, the body's end and every throw.
        const entry = n.precise ? join(frame.throws!) : join([st, body, ...frame.throws!]);
        const outs = [n.orelse ? this.seq(n.orelse, body) : body];
        for (const h of n.handlers) outs.push(this.seq(h, entry.clone()));
        return join(outs);
      }
    }
  }

  private spawn(n: Extract<Node, { op: 'spawn' }>, st: State): State {
    const facts = this.w.siteFacts(n.site);
    facts.reached = true;
    st.failedStart = false;
    const start: Step = { at: n.at, words: 'started here' };
    const when = Object.keys(st.assumed).length ? st.assumed : undefined;
    const vals: Val[] = n.outcomes.map((o) => ({
      st: o === 'parent' ? 'pending' : o,
      id: `s${n.site}`,
      site: n.site,
      trace: [start],
      ...(when ? { when } : {}),
    }));
    if (n.into === null) {
      for (const v of vals) if (v.st === 'pending') this.leak(v, 'discarded', n.at, st);
      return st;
    }
    if (isCell(n.into)) {
      facts.stores.set(n.into, { at: n.at, how: `stored in ${n.into.slice(1)}`, fn: this.name });
      return st;
    }
    this.drop(st, n.into, 'overwrite', n.at);
    st.set(n.into, vals);
    return st;
  }

  private call(n: Extract<Node, { op: 'call' }>, st: State): State {
    this.w.liveCalls.add(n);
    this.w.liveCallees.add(n.fn);
    const s = this.w.summaryOf(n.fn);
    this.w.callsSeen.set(n.fn, (this.w.callsSeen.get(n.fn) ?? 0) + 1);
    const words = n.words ?? `${n.fn}()`;
    const ev = (how: string): Ev => ({ at: n.at, how, fn: this.name });
    n.args.forEach((h, i) => {
      if (!h) return;
      const fate = s?.params[i];
      if (fate === 'waits') this.wait(st, h, ev(`${words}, which waits for it`));
      else if (fate === 'never') {
        // Borrowed: the caller still holds it; what the callee did to it is said.
        for (const k of s!.paramKills[i] ?? []) this.kill(st, h, k);
      } else if (s?.paramCells[i]) this.copy(st, h, s.paramCells[i]!, n.at);
      else this.escape(st, h, ev(!s ? `handed to ${words}` : fate === 'some' ? `handed to ${words}, which waits for it on some paths only` : `handed to ${words}, which hands it on`), 'callee');
    });
    if (!s || n.detached) {
      if (n.into) this.drop(st, n.into, 'overwrite', n.at);
      return st;
    }
    if (s.reapsAll) this.node({ op: 'reapAll', at: n.at, how: `${words}, which reaps every child` }, st);
    if (n.into !== undefined) {
      const got: Val[] = s.returnsSites.flatMap((site) => {
        const v: Val = {
          st: 'pending',
          id: `s${site}`,
          site,
          // The path starts at the site, in the callee, then comes back through this call.
          trace: [...this.siteStart(site), { at: n.at, words: `returned by ${words}` }],
          ...(Object.keys(st.assumed).length ? { when: st.assumed } : {}),
        };
        return n.mayFail ? [v, { ...v, st: 'failed' as const }] : [v];
      });
      if (n.into === null) {
        for (const v of got) if (v.st === 'pending') this.leak(v, 'discarded', n.at, st);
      } else if (got.length) {
        this.drop(st, n.into, 'overwrite', n.at);
        st.set(n.into, got);
      } else if (!isCell(n.into)) this.drop(st, n.into, 'overwrite', n.at);
    }
    if (s.exits) {
      return this.node({ op: 'exit', at: n.at, how: `${words}, which always exits` }, st);
    }
    if (!s.returns) return State.dead();
    st.step({ at: n.at, words: `calls ${words}` });
    return st;
  }

  private siteStart(site: number): Step[] {
    const at = this.w.siteAt(site);
    return at ? [{ at, words: 'started here' }] : [];
  }

  private loop(n: Extract<Node, { op: 'loop' }>, entry: State): State {
    const frame: Frame = { kind: 'loop', label: n.label, breaks: [], continues: [] };
    let head = entry.clone();
    let out: State;
    for (let i = 0; i < 8; i++) {
      frame.breaks = [];
      frame.continues = [];
      this.frames.push(frame);
      out = this.seq(n.body, head.clone());
      this.frames.pop();
      const next = join([entry, out, ...frame.continues]);
      if (next.key() === head.key()) break;
      head = next;
    }
    if (n.infinite && !frame.breaks!.length) {
      // Never left but by a return inside: what is still pending at the head is never waited for here.
      const at = n.at ?? this.fn.end;
      for (const v of head.all('pending')) this.w.siteFacts(v.site!).stuck.push({ at, how: `the loop at line ${at.startLine} never ends`, fn: this.name });
    }
    return n.infinite ? join(frame.breaks!) : join([head, ...frame.breaks!]);
  }

  private filter(st: State, c: Cond, truth: boolean): State {
    if (st.dead) return st;
    switch (c.k) {
      case 'opaque': {
        if (!c.key) return st.clone();
        const key = c.key;
        if (st.assumed[key] === !truth) return State.dead();
        // Values made where the condition had the other value are not on this path.
        const out = st.clone();
        for (const [h, m] of out.vals) {
          for (const [k, v] of m) if (v.when && v.when[key] === !truth) m.delete(k);
          if (!m.size) out.vals.delete(h);
        }
        out.assumed = { ...st.assumed, [key]: truth };
        return out;
      }
      case 'not': return this.filter(st, c.c, !truth);
      case 'platform': {
        if (truth === c.holds) return st.clone();
        const cut = `only when ${c.words} is ${truth}${c.at ? ` (line ${c.at.startLine})` : ''}`;
        this.platformCut ??= cut;
        if (!st.dead) this.branchCut ??= cut;
        return State.dead();
      }
      case 'and':
        return truth
          ? this.filter(this.filter(st, c.a, true), c.b, true)
          : join([this.filter(st, c.a, false), this.filter(this.filter(st, c.a, true), c.b, false)]);
      case 'or':
        return truth
          ? join([this.filter(st, c.a, true), this.filter(this.filter(st, c.a, false), c.b, true)])
          : this.filter(this.filter(st, c.a, false), c.b, false);
      case 'is': {
        const vals = st.get(c.h);
        const outcomeVals = vals.filter((v) => OUTCOME_OF[v.st]);
        if (!outcomeVals.length) return st.clone();
        const kept = outcomeVals.filter((v) => c.outcomes.includes(OUTCOME_OF[v.st]!) === truth);
        if (!kept.length) return State.dead();
        const out = st.clone();
        const step: Step | undefined = c.words && c.at ? { at: c.at, words: `\`${c.words}\` is ${truth}` } : undefined;
        out.set(c.h, [...vals.filter((v) => !OUTCOME_OF[v.st]), ...kept.map((v) => (step && v.st === 'pending' ? withStep(v, step) : v))]);
        if (kept.every((v) => v.st === 'failed')) out.failedStart = true;
        if (kept.every((v) => v.st === 'child')) {
          // In the child: the parent's children are not this process's; losing them here loses nothing.
          out.forget(new Set(out.all('pending').map((v) => v.id)), 'pending');
        } else if (step) {
          out.step(step);
        }
        return out;
      }
    }
  }

  // --- leaving ---

  private innermost(kind: Frame['kind']): { frame: Frame; index: number } | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) if (this.frames[i].kind === kind) return { frame: this.frames[i], index: i };
    return undefined;
  }

  private loopFrame(label?: string): { frame: Frame; index: number } | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const f = this.frames[i];
      if (f.kind === 'loop' && (!label || f.label === label)) return { frame: f, index: i };
    }
    return undefined;
  }

  /** Leaves every frame above `index`: scopes lose their variables, cleanups run. */
  private unwind(st: State, index: number, at: SourceRange, kind: LeakKind = 'jump'): State {
    st = st.clone();
    for (let i = this.frames.length - 1; i > index && !st.dead; i--) {
      const f = this.frames[i];
      if (f.kind === 'scope') for (const h of f.vars!) this.drop(st, h, kind, at);
      if (f.kind === 'protect') {
        const saved = this.frames;
        this.frames = saved.slice(0, i);
        st = this.seq(f.cleanup!, st);
        this.frames = saved;
      }
    }
    return st;
  }

  /** A return, a throw out of the function, or its end. */
  private leave(st: State, at: SourceRange, kind: 'return' | 'end' | 'throw', values: (Handle | null)[]): void {
    st = st.clone();
    // Deferred calls run first (Go evaluates the results, then runs the defers).
    for (const i of [...st.defers].sort((a, b) => b - a)) {
      st = this.seq(this.defers[i], st);
      if (st.dead) return;
    }
    if (kind !== 'throw') {
      const ids = new Set<string>();
      for (const h of values) {
        if (!h) continue;
        for (const v of st.get(h)) {
          if (v.st === 'pending') {
            this.returnsSites.add(v.site!);
            const facts = this.w.siteFacts(v.site!);
            facts.returnedBy.add(this.fn.key);
            facts.returnedAt.push({ at, how: 'returned', fn: this.name });
            ids.add(v.id);
          } else if (v.st === 'param') {
            this.params[v.param!].escaped = true;
            ids.add(v.id);
          } else if (v.st === 'cell') {
            this.w.cell(v.cell!).escapes.push({ at, how: 'returned', fn: this.name });
          }
        }
      }
      st.forget(ids, undefined);
    }
    st = this.unwind(st, -1, at, kind);
    if (st.dead) return;
    if (this.fn.isMain && kind !== 'throw') {
      const ev: Ev = { at, how: kind === 'end' ? `${this.name} ends, and with it the program` : `${this.name} returns, and the program ends`, fn: this.name };
      this.programEnds(st, ev, kind, true);
      return;
    }
    this.returned = true;
    if (!st.reapedAll) this.reapsAllOnEveryReturn = false;
    this.settleLost(st, 'confirmed');
    for (const v of st.all('pending')) this.leak(v, kind, at);
    for (const v of st.all('param')) this.params[v.param!].unwaitedAtExit = true;
  }
}

const spawnsIn = (nodes: Node[]) => nodesIn(nodes, 'spawn');
