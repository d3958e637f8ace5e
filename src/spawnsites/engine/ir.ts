/**
 * The language-neutral form every front end lowers its tree-sitter tree to: per function, a
 * structured control-flow program of *handle events* (a child started, waited for, killed, handed
 * on, lost). One interpreter (walk.ts) runs over it for every language, so every language gets the
 * same path sensitivity, the same summaries and the same words.
 *
 * A handle is a name the front end chooses: a local variable (`cmd`, `pid`, `child`), a temporary
 * (`$1`), or a *cell*, a name starting with `@`: a struct field, a global or a file-level variable
 * (`@Server.cmd`, `@child_pid`). Locals flow path-sensitively; cells are flow-insensitive and
 * file- or package-wide: what is stored in one is judged by what the whole program does to it.
 *
 * Positions are the model's SourceRange (1-based). Every event carries the words a person reads in
 * a verdict (`how`, `why`), written by the front end in its own language's terms.
 */
import type { SourceRange } from '../types';

export type Handle = string;

/** What a spawn's result can be: the parent holding a live child, the child itself (fork), a failure. */
export type Outcome = 'parent' | 'child' | 'failed';

/** A condition the walk can use; anything else is `opaque` (both branches possible). */
export type Cond =
  /** True exactly when the handle's spawn outcome is one of `outcomes` (`pid == 0`: child; `err != nil`: failed). */
  | { k: 'is'; h: Handle; outcomes: Outcome[]; words?: string; at?: SourceRange }
  | { k: 'not'; c: Cond }
  | { k: 'and'; a: Cond; b: Cond }
  | { k: 'or'; a: Cond; b: Cond }
  /**
   * Anything else: both branches possible. `key` names a condition that keeps its value between
   * two tests (a local boolean not assigned in between: the front end changes the key when it is),
   * so `if write { start } ... if !write { return }` is not a path on which the child exists.
   */
  | { k: 'opaque'; words?: string; at?: SourceRange; key?: string }
  /**
   * Decided by the OS the program runs on (`runtime.GOOS == "windows"`, `sys.platform == "win32"`,
   * `cfg!(windows)`): `holds` on every OS where a child can become a zombie. The other branch is
   * code where no zombie can be.
   */
  | { k: 'platform'; holds: boolean; words: string; at?: SourceRange };

export type EscapeKind = 'callee' | 'caller' | 'closure' | 'container' | 'field' | 'channel' | 'goroutine' | 'other';

export type Node =
  // --- events ---
  /** A child is started. `into` receives the handle (null: the result is dropped at once). */
  | { op: 'spawn'; site: number; into: Handle | null; outcomes: Outcome[]; at: SourceRange }
  /** Reaps the child held by `h`. */
  | { op: 'wait'; h: Handle; at: SourceRange; how: string }
  /** Signals the child without reaping it (said in the verdict: a kill does not reap). */
  | { op: 'kill'; h: Handle; at: SourceRange; how: string }
  /** Gives up the means to wait (Go's Process.Release): a pending child is lost here. */
  | { op: 'release'; h: Handle; at: SourceRange; how: string }
  /** The handle goes where this analysis cannot follow: its verdict becomes unknown (unless resolved). */
  | { op: 'escape'; h: Handle; to: EscapeKind; at: SourceRange; why: string }
  /**
   * `to = from` (aliasing). Into a cell, it is a store the cell's facts judge. With `add`, `to` is a
   * container that keeps what it held and holds `from`'s values too (`procs.append(p)`).
   */
  | { op: 'copy'; from: Handle; to: Handle; at: SourceRange; add?: boolean }
  /**
   * The handle's value is lost here (overwritten by a non-handle, or an explicit drop). `kind`
   * says how, for the verdict's words: `overwrite` (the default), `discarded` (a temporary dropped
   * at the end of its statement, `drop(x)`), `scope-end`.
   */
  | { op: 'drop'; h: Handle; at: SourceRange; why: string; kind?: 'overwrite' | 'discarded' | 'scope-end' }
  /**
   * A call of a function of this program (file or package): its summary decides what happens to
   * the arguments. `detached`: it runs beside this code (a goroutine, a thread): only what it does
   * to the arguments counts here, not whether it returns or exits. `mayFail`: the call also says
   * whether it failed (Go's error result), and on failure it returns no child: `into` then holds a
   * failed value too, which conditions (`err != nil`) tell apart.
   */
  | { op: 'call'; fn: string; args: (Handle | null)[]; into?: Handle | null; at: SourceRange; words?: string; detached?: boolean; mayFail?: boolean }
  /** Reaps every child of the process (`waitpid(-1, ...)` in a loop, SIGCHLD ignored from here on). */
  | { op: 'reapAll'; at: SourceRange; how: string }
  /**
   * The program waits here for a long time (a sleep, `pause()`): children lost before it are
   * zombies all that while, so a later exit no longer excuses them (a wait for every child does).
   */
  | { op: 'block'; at: SourceRange; how: string }
  /**
   * The path ends in a failure that is not the code's run (a failed or skipped test: `t.Fatal`):
   * what it holds is judged neither way, as a failed start's error path is.
   */
  | { op: 'abandon'; at: SourceRange; how: string }
  /** The process ends here (exit, a fatal log, an exec that replaces it): init reaps its children. */
  | { op: 'exit'; at: SourceRange; how: string }
  /** A raise/throw/panic leaving this point: a `try` handler or the caller gets the state. */
  | { op: 'throw'; at: SourceRange; how: string }
  /** The lowering met something it cannot express: every pending child becomes unknown. */
  | { op: 'unknown'; at: SourceRange; why: string }
  // --- control ---
  | { op: 'if'; cond: Cond; then: Node[]; else: Node[]; at?: SourceRange }
  /** switch/match: each arm taken when its cond holds (`default`: when no other arm's does). */
  | { op: 'switch'; arms: { cond: Cond | 'default'; body: Node[] }[]; exhaustive: boolean; at?: SourceRange }
  /** The body runs zero or more times (`infinite`: it is left only by break, return, exit). */
  | { op: 'loop'; body: Node[]; infinite?: boolean; label?: string; at?: SourceRange }
  | { op: 'break'; label?: string; at: SourceRange }
  | { op: 'continue'; label?: string; at: SourceRange }
  /** Leaves the function; returned handles go to the caller. */
  | { op: 'return'; values: (Handle | null)[]; at: SourceRange; how?: string }
  /** Variables living in this block: leaving it (any way but exit) loses what they still hold. */
  | { op: 'scope'; vars: Handle[]; body: Node[]; end: SourceRange }
  /** `cleanup` runs however `body` is left (finally, with, RAII guards). */
  | { op: 'protect'; body: Node[]; cleanup: Node[] }
  /** Go's defer: `body` runs at every return of the function, when this point was reached. */
  | { op: 'defer'; body: Node[]; at: SourceRange }
  /**
   * try/except: a `throw` in the body (or any call, approximated by the body's entry and exit states) goes to the handlers.
   * With `precise`, the lowering put a `throw` at every point of the body that may raise, so the handlers see only those states.
   */
  | { op: 'try'; body: Node[]; handlers: Node[][]; orelse?: Node[]; precise?: boolean };

export interface FunctionIR {
  /** The key calls use (`run`, `.Start` for Go methods, `Server::new`...). */
  key: string;
  /** For verdicts (`(*Server).run`). */
  display?: string;
  /** Handle names of the parameters, by position (null for parameters that are not handles). */
  params: (Handle | null)[];
  body: Node[];
  /** Where the function ends (for "the function ends at line N"). */
  end: SourceRange;
  /** Can code outside this program call it (an exported Go name, a `pub fn`, a non-static C function)? */
  exported: boolean;
  /** Returning from it ends the process (`main`): pending children are reaped by init, not lost. */
  isMain?: boolean;
  /**
   * The front end checked that every use of it is a call in this program: when no path reaches one
   * but those a platform condition rules out, it never runs where a child can become a zombie.
   * (Or the front end answers when asked: External.callersKnown.)
   */
  callersKnown?: boolean;
  /** Control flow the lowering could not structure (goto, setjmp): every site in it is unknown, for this reason. */
  unstructured?: string;
  /**
   * Why the function never exists where a child can become a zombie (a Python `def` in a branch
   * that runs only on Windows): every site in it is judged so.
   */
  platform?: string;
}

/** A spawn site as the engine knows it: the front end keeps everything else about it. */
export interface SiteIR {
  id: number;
  at: SourceRange;
  /** `cmd.Start()`, `fork()`: how the verdict names the start. */
  words: string;
}

/** A cell's visibility: only a cell nothing outside the program can reach may be judged never waited. */
export interface CellIR {
  name: Handle;
  /** Code outside this program can read it (an exported field, a non-static global). */
  exported: boolean;
  /** For words: `field cmd of Server`, `the global child_pid`. */
  words: string;
  /** Why an unexported cell is still not judged (said instead of "code outside can reach it"). */
  unjudged?: string;
}

export interface ProgramIR {
  functions: FunctionIR[];
  sites: SiteIR[];
  cells?: CellIR[];
}

/** Every node of kind `op` in `nodes` and the bodies nested in them, in order. */
export function nodesIn<K extends Node['op']>(nodes: Node[], op: K): Extract<Node, { op: K }>[] {
  const out: Extract<Node, { op: K }>[] = [];
  const visit = (ns: Node[]) => {
    for (const n of ns) {
      if (n.op === op) out.push(n as Extract<Node, { op: K }>);
      for (const child of childBodies(n)) visit(child);
    }
  };
  visit(nodes);
  return out;
}

/** The nested bodies of a node (for visiting every node). */
export function childBodies(n: Node): Node[][] {
  switch (n.op) {
    case 'if': return [n.then, n.else];
    case 'switch': return n.arms.map((a) => a.body);
    case 'loop':
    case 'scope':
    case 'defer': return [n.body];
    case 'protect': return [n.body, n.cleanup];
    case 'try': return [n.body, ...n.handlers, ...(n.orelse ? [n.orelse] : [])];
    default: return [];
  }
}
