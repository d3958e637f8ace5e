/**
 * The walk's abstract state: for each handle, the values it may hold on some path reaching this
 * point. A value is a child in one of its lives (pending in the parent, the child itself, a failed
 * start), a parameter the caller owns, or a cell. Values keep the path that made them, in words.
 */
import type { SourceRange } from '../types';
import type { Handle, Outcome } from './ir';

/** One step of a path, as a person reads it: `line 12: the \`else\` branch of \`pid == 0\``. */
export interface Step {
  at: SourceRange;
  words: string;
}

export type Status = 'pending' | 'child' | 'failed' | 'param' | 'cell';

export interface Val {
  st: Status;
  /** The identity shared by aliases: `s3` (site 3), `p0` (parameter 0), `@f` (a cell). */
  id: string;
  site?: number;
  param?: number;
  cell?: string;
  /** For a lost child: the key of the loss (the site's leak it is). */
  lost?: string;
  /** Keyed conditions (ir.ts) known on every path to its start: a later test of one of them that disagrees is not on its path. */
  when?: ReadonlyMap<string, boolean>;
  trace: Step[];
}

export const OUTCOME_OF: Partial<Record<Status, Outcome>> = { pending: 'parent', child: 'child', failed: 'failed' };

/** Longest path kept on a value: the start, then the branches and calls that matter. */
const MAX_TRACE = 10;

export function withStep(v: Val, step: Step): Val {
  if (v.trace.length >= MAX_TRACE) return v;
  return { ...v, trace: [...v.trace, step] };
}

export class State {
  constructor(
    readonly vals = new Map<Handle, Map<string, Val>>(),
    /** Go defers registered on every path here (indexes into the function's defer list). */
    readonly defers = new Set<number>(),
    /** Every child was reaped at once (`waitpid(-1)` loop) on every path here. */
    public reapedAll = false,
    public dead = false,
    /** Keyed opaque conditions (ir.ts) decided on every path here, with their answer. */
    readonly known = new Map<string, boolean>(),
  ) {}

  static dead(): State {
    return new State(undefined, undefined, false, true);
  }

  clone(): State {
    const vals = new Map<Handle, Map<string, Val>>();
    for (const [h, m] of this.vals) vals.set(h, new Map(m));
    return new State(vals, new Set(this.defers), this.reapedAll, this.dead, new Map(this.known));
  }

  get(h: Handle): Val[] {
    const m = this.vals.get(h);
    return m ? [...m.values()] : [];
  }

  set(h: Handle, vals: Iterable<Val>): void {
    if (this.dead) return;
    const m = new Map<string, Val>();
    for (const v of vals) m.set(`${v.st}:${v.id}`, v);
    if (m.size) this.vals.set(h, m);
    else this.vals.delete(h);
  }

  /** Every value of status `st` in any handle, one per identity. */
  all(st: Status): Val[] {
    const out = new Map<string, Val>();
    for (const m of this.vals.values()) for (const v of m.values()) if (v.st === st && !out.has(v.id)) out.set(v.id, v);
    return [...out.values()];
  }

  /** Is a pending value of this identity held by a handle other than `except`? */
  heldElsewhere(id: string, except: Handle): boolean {
    for (const [h, m] of this.vals) if (h !== except && m.has(`pending:${id}`)) return true;
    return false;
  }

  /** Removes every value of these identities (and status, when given) from every handle. */
  forget(ids: ReadonlySet<string>, st?: Status): void {
    for (const [h, m] of this.vals) {
      for (const [k, v] of m) if (ids.has(v.id) && (!st || v.st === st)) m.delete(k);
      if (!m.size) this.vals.delete(h);
    }
  }

  /** Adds a step to every pending value (a branch or call on the path). */
  step(step: Step): void {
    for (const m of this.vals.values()) for (const [k, v] of m) if (v.st === 'pending') m.set(k, withStep(v, step));
  }

  key(): string {
    if (this.dead) return 'dead';
    const parts: string[] = [];
    for (const [h, m] of this.vals) parts.push(`${h}=${[...m.keys()].sort().join(',')}`);
    const known = [...this.known].map(([k, v]) => `${k}=${v}`).sort().join(',');
    return `${parts.sort().join(';')}|${[...this.defers].sort().join(',')}|${this.reapedAll}|${known}`;
  }
}

export function join(states: State[]): State {
  const live = states.filter((s) => !s.dead);
  if (live.length === 0) return State.dead();
  if (live.length === 1) return live[0].clone();
  const out = new State();
  out.reapedAll = live.every((s) => s.reapedAll);
  for (const [k, v] of live[0].known) if (live.every((s) => s.known.get(k) === v)) out.known.set(k, v);
  for (const s of live) {
    for (const [h, m] of s.vals) {
      let cur = out.vals.get(h);
      if (!cur) out.vals.set(h, (cur = new Map()));
      for (const [k, v] of m) {
        const have = cur.get(k);
        if (!have || v.trace.length < have.trace.length) cur.set(k, v);
      }
    }
  }
  // A defer registered on some path runs at the return: optimistic, as a wrong warning costs more than a missed one.
  for (const s of live) for (const d of s.defers) out.defers.add(d);
  return out;
}
