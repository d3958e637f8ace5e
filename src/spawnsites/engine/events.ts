/**
 * What the handle events of a function's walk (walk.ts) do to the values its handles hold, and the
 * facts they leave: a wait, a kill, an escape, a copy or a drop of a handle, and the children lost
 * on the way, kept on the path (in LOST) and judged where it ends: a return, the end of the
 * process (which may excuse them), or a reap of every child. FunctionWalk, in walk.ts, extends this
 * with the statements, the branches and the ways out of the function.
 */
import type { SourceRange } from '../types';
import type { Ev, LeakKind } from './facts';
import type { FunctionIR, Handle } from './ir';
import type { State, Val } from './state';
import type { Walker } from './walk';

interface ParamFacts {
  waited: boolean;
  escaped: boolean;
  unwaitedAtExit: boolean;
  cell?: string;
  kills: Ev[];
}

export const isCell = (h: Handle) => h.startsWith('@');
/** The handle that holds, along a path, the children lost on it (never a name a front end makes). */
export const LOST = '$lost';

export abstract class HandleEvents {
  protected readonly params: ParamFacts[];
  protected readonly name: string;
  protected exitedSomewhere = false;

  constructor(
    protected readonly w: Walker,
    fn: FunctionIR,
  ) {
    this.params = fn.params.map(() => ({ waited: false, escaped: false, unwaitedAtExit: false, kills: [] }));
    this.name = fn.display ?? fn.key;
  }

  protected wait(st: State, h: Handle, ev: Ev): void {
    if (isCell(h)) {
      this.w.cell(h).waits.push(ev);
      return;
    }
    const ids = new Set<string>();
    for (const v of st.get(h)) {
      if (v.st === 'pending') {
        this.w.siteFacts(v.site!).waits.push(ev);
        ids.add(v.id);
      } else if (v.st === 'param') {
        this.params[v.param!].waited = true;
        ids.add(v.id);
      } else if (v.st === 'cell') {
        this.w.cell(v.cell!).waits.push(ev);
      } else if (v.st === 'child') {
        this.w.siteFacts(v.site!).childWaits.push(ev);
      }
    }
    st.forget(ids, undefined);
    // The child's and the failure's values of a waited handle stay: a wait changes nothing for them.
  }

  protected kill(st: State, h: Handle, ev: Ev): void {
    if (isCell(h)) {
      this.w.cell(h).kills.push(ev);
      return;
    }
    // A child killed after a sleep: the end that follows reaps it at once (the sleep no longer counts).
    const m = st.vals.get(h);
    if (m) for (const [k, v] of m) if (v.st === 'pending' && v.blocked) for (const mm of st.vals.values()) if (mm.has(k)) mm.set(k, { ...v, blocked: undefined });
    for (const v of st.get(h)) {
      if (v.st === 'pending') this.w.siteFacts(v.site!).kills.push(ev);
      else if (v.st === 'param') this.params[v.param!].kills.push(ev);
      else if (v.st === 'cell') this.w.cell(v.cell!).kills.push(ev);
    }
  }

  protected escape(st: State, h: Handle, ev: Ev, to: string): void {
    if (isCell(h)) {
      this.w.cell(h).escapes.push(ev);
      return;
    }
    const ids = new Set<string>();
    for (const v of st.get(h)) {
      if (v.st === 'pending') {
        this.w.siteFacts(v.site!).escapes.push({ ...ev, to });
        ids.add(v.id);
      } else if (v.st === 'param') {
        this.params[v.param!].escaped = true;
        ids.add(v.id);
      } else if (v.st === 'cell') {
        this.w.cell(v.cell!).escapes.push(ev);
      }
    }
    st.forget(ids, undefined);
  }

  protected copy(st: State, from: Handle, to: Handle, at: SourceRange, add = false): void {
    if (from === to) return;
    const src = isCell(from) ? [{ st: 'cell' as const, id: from, cell: from, trace: [] }] : st.get(from);
    if (isCell(to)) {
      const ids = new Set<string>();
      for (const v of src) {
        if (v.st === 'pending') {
          this.w.siteFacts(v.site!).stores.set(to, { at, how: `stored in ${to.slice(1)}`, fn: this.name });
          ids.add(v.id);
        } else if (v.st === 'param') {
          this.params[v.param!].cell = to;
          ids.add(v.id);
        } else if (v.st === 'cell') {
          this.w.cell(v.cell!).escapes.push({ at, how: `copied to ${to.slice(1)}`, fn: this.name });
        }
      }
      st.forget(ids, undefined);
      return;
    }
    if (add) {
      st.set(to, [...st.get(to), ...src]);
      return;
    }
    const keep = new Set(src.map((v) => v.id));
    for (const v of st.get(to)) if (v.st === 'pending' && !keep.has(v.id) && !st.heldElsewhere(v.id, to)) this.leak(v, 'overwrite', at, st);
    st.set(to, src);
  }

  /** The handle's values are gone from here: a pending child nobody else holds is lost. */
  protected drop(st: State, h: Handle, kind: LeakKind, at: SourceRange): void {
    if (isCell(h)) return;
    const gone = st.get(h).filter((v) => v.st === 'pending' && !st.heldElsewhere(v.id, h));
    st.vals.delete(h);
    for (const v of gone) this.leak(v, kind, at, st);
  }

  protected forgetHandle(st: State, h: Handle, only: 'pending'): void {
    st.forget(new Set(st.get(h).filter((v) => v.st === only).map((v) => v.id)), only);
  }

  /**
   * The child is lost here: nothing holds it any more. It is a leak unless every path from here
   * ends the process or reaps every child first (a fork loop in `main` followed by its return): the
   * loss is kept on the path, in LOST, and judged where the path ends.
   */
  protected leak(v: Val, kind: LeakKind, at: SourceRange, st?: State): void {
    const facts = this.w.siteFacts(v.site!);
    const key = `${kind}:${at.startLine}:${at.startColumn}`;
    if (!facts.leaks.has(key)) facts.leaks.set(key, { kind, at, trace: v.trace, fn: this.name });
    if (!st || st.dead) {
      facts.confirmed.add(key);
      return;
    }
    const lost = st.vals.get(LOST) ?? new Map<string, Val>();
    const id = `${v.id}~${key}`;
    lost.set(`pending:${id}`, { ...v, id, lost: key });
    st.vals.set(LOST, lost);
  }

  /**
   * The process ends here: init reaps what it leaves, so a child lost or held until now is no
   * leak (`excuses`), unless the program slept with it unwaited first (a `block` since it was
   * started, and no kill after), or the end is the error path of a failed start (children lost
   * before live until starts fail: that is the leak's own end, not an excuse).
   */
  protected programEnds(st: State, ev: Ev, kind: LeakKind, excuses: boolean): void {
    this.exitedSomewhere = true;
    if (st.failedStart) {
      st.vals.delete(LOST);
      return;
    }
    if (excuses) this.settleLost(st, 'reaped', { ev, as: 'exits' });
    else this.settleLost(st, 'confirmed');
    for (const v of st.all('pending')) {
      if (v.blocked && excuses) {
        this.leak(v, kind, ev.at);
        this.noteBlocked(v);
      } else this.w.siteFacts(v.site!).exits.push(ev);
    }
  }

  private noteBlocked(v: Val): void {
    const facts = this.w.siteFacts(v.site!);
    if (!facts.blocked.some((b) => b.at.startLine === v.blocked!.at.startLine)) facts.blocked.push({ ...v.blocked!, fn: this.name });
  }

  /** The path ends: each child lost on it is a leak (`confirmed`) or was reaped by the end (`reaped`). */
  protected settleLost(st: State, how: 'confirmed' | 'reaped', by?: { ev: Ev; as: 'waits' | 'exits' }): void {
    const said = new Set<number>();
    for (const v of st.get(LOST)) {
      if (!v.lost) continue;
      const facts = this.w.siteFacts(v.site!);
      if (v.blocked && by?.as === 'exits') {
        // The program slept with the child a zombie before it ended: the end excuses nothing.
        facts.confirmed.add(v.lost);
        this.noteBlocked(v);
        continue;
      }
      facts[how].add(v.lost);
      // What reaped the lost child is what the verdict names (a fork loop's pids all lost, then waitpid(-1) or main's return).
      if (by && !said.has(v.site!) && !facts[by.as].some((e) => e.at.startLine === by.ev.at.startLine && e.at.startColumn === by.ev.at.startColumn)) facts[by.as].push(by.ev);
      said.add(v.site!);
    }
    st.vals.delete(LOST);
  }
}
