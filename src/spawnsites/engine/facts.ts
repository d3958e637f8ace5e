/**
 * What the walk (walk.ts) learns about each spawn site and each function, and what it takes from
 * the rest of the program: the facts verdict.ts judges, and the summaries applied at calls (in
 * this file's functions, and in other files of a Go package).
 */
import type { SourceRange } from '../types';
import type { Step } from './state';

export type LeakKind = 'return' | 'end' | 'throw' | 'scope-end' | 'overwrite' | 'discarded' | 'release' | 'jump';

export interface Leak {
  kind: LeakKind;
  at: SourceRange;
  /** The path from the start to the loss. */
  trace: Step[];
  /** The function where the child is lost (another than the site's when it was returned to a caller). */
  fn: string;
}

export interface Ev {
  at: SourceRange;
  how: string;
  fn: string;
}

/** Everything the walk learnt about one site. */
export interface SiteFacts {
  reached: boolean;
  leaks: Map<string, Leak>;
  waits: Ev[];
  kills: Ev[];
  escapes: (Ev & { to: string })[];
  exits: Ev[];
  /** Cells the child was stored in. */
  stores: Map<string, Ev>;
  /** Functions that returned it to their callers. */
  returnedBy: Set<string>;
  /** The returns that handed it to a caller. */
  returnedAt: Ev[];
  /** Losses seen to reach the end of a function (a return, its end) with the child still unreaped. */
  confirmed: Set<string>;
  /** Losses after which the path ended the process or reaped every child. */
  reaped: Set<string>;
  /** Not reached because every path to it needs a platform condition no OS with zombies meets: why. */
  platform?: string;
  /** A wait that ran in the child (after fork, where the pid is 0): it reaps nothing of the parent's. */
  childWaits: Ev[];
  /** Pending at a loop that never ends and is never left (a server loop): the function never gets to wait. */
  stuck: Ev[];
  /** Where the program blocked (a sleep) with children lost before it still zombies. */
  blocked: Ev[];
  unstructured?: string;
}

export interface CellFacts {
  waits: Ev[];
  kills: Ev[];
  escapes: Ev[];
}

export type ParamFate = 'waits' | 'never' | 'escapes' | 'some';

export interface Summary {
  key: string;
  display: string;
  /** Some path returns to the caller (false: every path exits or loops forever). */
  returns: boolean;
  /** Every path ends the process. */
  exits: boolean;
  params: (ParamFate | null)[];
  /** A parameter stored in a cell, by index. */
  paramCells: (string | null)[];
  /** Kills of a parameter (a borrowed child signalled, not reaped), by index. */
  paramKills: Ev[][];
  /** Sites whose pending child some path returns. */
  returnsSites: number[];
  /** Every returning path reaped every child (`waitpid(-1)` until none is left). */
  reapsAll: boolean;
  exported: boolean;
}

/** What the rest of the program (other files of a Go package) knows: summaries and cells. */
export interface External {
  summary?(key: string): Summary | undefined;
  /**
   * Does an exit later on the path excuse a child lost before it (default true: init reaps it
   * soon)? False judges the loss where it happens, as clippy's zombie_processes does: the zombie
   * lives from the loss until that exit, however far away it is. Children still held at the exit
   * are reaped by init either way.
   */
  exitExcusesLost?: boolean;
  /**
   * Is every use of the function `key` a call in this program (asked only of a function whose calls
   * are all on paths a platform condition rules out)? Default: what its FunctionIR says.
   */
  callersKnown?(key: string): boolean;
}
