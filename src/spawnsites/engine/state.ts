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
  /** For a lost child: the program blocked after the loss (a sleep), where. */
  blocked?: { at: SourceRange; how: string };
  /** Keyed conditions known on the path that made it (see Cond `opaque`.key). */
  when?: Readonly<Record<string, boolean>>;
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
    /** Keyed conditions known on every path here: values made here carry them. */
    public assumed: Readonly<Record<string, boolean>> = NONE,
    /** Every path here took the failed outcome of the last start (`pid < 0`): the program's error path. */
    public failedStart = false,
  ) {}

  static dead(): State {
    return new State(undefined, undefined, false, true);
  }

  clone(): State {
    const vals = new Map<Handle, Map<string, Val>>();
    for (const [h, m] of this.vals) vals.set(h, new Map(m));
    return new State(vals, new Set(this.defers), this.reapedAll, this.dead, this.assumed, this.failedStart);
  }

  get(h: Handle): Val[] {
    const m = this.vals.get(h);
    return m ? [...m.values()] : [];
  }

  set(h: Handle, vals: Iterable<Val>): void {
    if (this.dead) return;
    const m = new Map<string, Val>();
    for (const v of vals) {
      const k = `${v.st}:${v.id}`;
      const have = m.get(k);
      m.set(k, have ? meetWhen(have, v) : v);
    }
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
    for (const [h, m] of this.vals) parts.push(`${h}=${[...m.entries()].map(([k, v]) => `${k}${v.blocked ? '+b' : ''}${v.when ? whenKey(v.when) : ''}`).sort().join(',')}`);
    return `${parts.sort().join(';')}|${[...this.defers].sort().join(',')}|${this.reapedAll}|${whenKey(this.assumed)}|${this.failedStart}`;
  }
}

const NONE: Readonly<Record<string, boolean>> = Object.freeze({});

function whenKey(w: Readonly<Record<string, boolean>>): string {
  return `{${Object.keys(w).sort().map((k) => `${k}=${w[k]}`).join(',')}}`;
}

/** The conditions two paths agree on. */
export function meetAssumed(a: Readonly<Record<string, boolean>>, b: Readonly<Record<string, boolean>>): Readonly<Record<string, boolean>> {
  if (a === b) return a;
  let out: Record<string, boolean> | undefined;
  for (const k of Object.keys(a)) if (b[k] === a[k]) (out ??= {})[k] = a[k];
  return out ?? NONE;
}

/** One value reached two ways: it keeps the shorter path and only the conditions both ways agree on. */
function meetWhen(a: Val, b: Val): Val {
  let keep = b.trace.length < a.trace.length ? b : a;
  // Slept with unwaited on every way here, or not said (a warning needs every way).
  if (keep.blocked && !(a.blocked && b.blocked)) keep = { ...keep, blocked: undefined };
  if (!a.when && !b.when) return keep;
  const when = a.when && b.when ? meetAssumed(a.when, b.when) : undefined;
  return when && Object.keys(when).length ? { ...keep, when } : { ...keep, when: undefined };
}

export function join(states: State[]): State {
  const live = states.filter((s) => !s.dead);
  if (live.length === 0) return State.dead();
  if (live.length === 1) return live[0].clone();
  const out = new State();
  out.reapedAll = live.every((s) => s.reapedAll);
  out.failedStart = live.every((s) => s.failedStart);
  out.assumed = live.map((s) => s.assumed).reduce(meetAssumed);
  for (const s of live) {
    for (const [h, m] of s.vals) {
      let cur = out.vals.get(h);
      if (!cur) out.vals.set(h, (cur = new Map()));
      for (const [k, v] of m) {
        const have = cur.get(k);
        cur.set(k, have ? meetWhen(have, v) : v);
      }
    }
  }
  // A defer registered on some path runs at the return: optimistic, as a wrong warning costs more than a missed one.
  for (const s of live) for (const d of s.defers) out.defers.add(d);
  return out;
}
