/**
 * The process model shared by every platform reader, the diagnosis, the CLI and the UI.
 * Nothing under src/core or src/platform imports `vscode`.
 */
import type { ProcessLimits } from './forecast';

/** How a process handles SIGCHLD, from /proc/PID/status SigIgn/SigCgt (bit 16 = signal 17). */
export type SigchldDisposition = 'default' | 'caught' | 'ignored';

export interface SigchldInfo {
  disposition: SigchldDisposition;
  /** SIGCHLD is in the blocked mask (SigBlk) of the main thread: a handler would not run now. */
  blocked: boolean;
}

/** How a zombie ended, decoded from the wait status the kernel keeps (stat field 52). */
export interface ExitInfo {
  /** The raw wait status, as waitpid(2) would report it. */
  raw: number;
  /** Exit code when the process exited normally. */
  code?: number;
  /** Signal number when a signal killed it. */
  signal?: number;
  coreDumped?: boolean;
}

/**
 * One process. `pid` plus `startTicks` is its identity: a PID reused by a later process has a
 * different start time, so two processes are never merged.
 */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /**
   * One-letter kernel state: R running, S sleeping, D disk wait, Z zombie, T stopped,
   * t stopped by a tracer (debugger), X dead, I idle kernel thread.
   */
  state: string;
  /** The kernel's name for the process (at most 15 bytes on Linux), exactly as the kernel has it. */
  comm: string;
  /** Set only when `comm` is not valid UTF-8 (a multi-byte character cut at 15 bytes): the bytes in hex. */
  commHex?: string;
  threads: number;
  /** Start time in clock ticks since boot (Linux) or another monotonic unit: part of the identity. */
  startTicks: number;
  /** Start time as wall-clock milliseconds since the epoch. */
  startTime: number;
  /** Zombies only: how the process ended. */
  exit?: ExitInfo;

  // Detail fields: filled by a reader's `details()` (or for every row where cheap enough).
  uid?: number;
  /** PID of the process tracing this one (a debugger or strace), 0 when none. */
  tracerPid?: number;
  /** The PID in each nested PID namespace, outermost first (NSpid). */
  nspid?: number[];
  sigchld?: SigchldInfo;
  /** Kernel function a sleeping process waits in (/proc/PID/wchan), e.g. `do_wait`, `futex_wait_queue`. */
  wchan?: string;
  /** Command line while alive; a zombie has none. */
  cmdline?: string[];
  /** Executable path while alive; a zombie has none. */
  exe?: string;
  /** True when details were asked for but the kernel refused them (another user's process, hidepid). */
  restricted?: boolean;
}

/** A stable key for a process: pid and start time. */
export function identity(p: Pick<ProcessInfo, 'pid' | 'startTicks'>): string {
  return `${p.pid}@${p.startTicks}`;
}

export function isZombie(p: Pick<ProcessInfo, 'state'>): boolean {
  return p.state === 'Z';
}

/** A set of processes read at one moment, with the parent -> children index built once. */
export interface Snapshot {
  /** Wall-clock milliseconds when the read ended. */
  takenAt: number;
  processes: Map<number, ProcessInfo>;
  /** pid -> child pids, sorted ascending. */
  children: Map<number, number[]>;
  /** Set for subtree reads. */
  root?: number;
  /** PIDs that exist but could not be read (hidepid=1, another user's process): counted, not shown. */
  unreadable?: number;
  /** Processes left out because their /proc files are damaged (a fake or racing procfs). */
  damaged?: DamagedProcess[];
  /** The procfs hides other users' processes altogether (its mount option, e.g. `hidepid=invisible`), when known. */
  hidden?: string;
}

/** What a platform can tell. */
export interface Capabilities {
  zombies: boolean;
  sigchld: boolean;
  wchan: boolean;
  tracer: boolean;
}

/** A reader of the process table for one platform. */
export interface ProcessSource {
  readonly platform: NodeJS.Platform;
  readonly capabilities: Capabilities;
  /** Every process on the machine (only the cheap fields on Linux; see `details`). */
  readAll(): Snapshot;
  /** One process (cheap fields), or undefined when it does not exist or cannot be read. */
  readProcess(pid: number): ProcessInfo | undefined;
  /** `root` and all its descendants. Throws ProcessNotFoundError when root does not exist. */
  readSubtree(root: number): Snapshot;
  /**
   * Optional: a subtree kept current more cheaply than readSubtree each time (Linux).
   * Its refresh() throws ProcessNotFoundError once the root is gone.
   */
  watchSubtree?(root: number): { refresh(): Snapshot; close(): void };
  /**
   * Fills the detail fields of the given processes in place. Never throws for a vanished process:
   * returns those found gone (or replaced by a reused PID) while reading, which callers drop.
   */
  details(processes: Iterable<ProcessInfo>): ProcessInfo[];
  /**
   * Optional (Linux): the limits on the tasks `pid` may still create (cgroup pids.max, RLIMIT_NPROC,
   * pid_max, threads-max). `uid` is its real uid when known; `startTicks` (its identity) lets the
   * reader reuse what it read of this same process a moment ago. Where absent, limits are unknown.
   */
  readLimits?(pid: number, uid?: number, startTicks?: number): ProcessLimits;
}

export class ProcessNotFoundError extends Error {
  constructor(readonly pid: number) {
    super(`no process with PID ${pid}`);
    this.name = 'ProcessNotFoundError';
  }
}

/**
 * The PID exists but cannot be read (hidepid, another user's process), or what is there is no
 * process (a thread ID, a stat naming another PID). A ProcessNotFoundError, so every caller
 * that handles "root gone" handles it, with a message that says which.
 */
export class ProcessUnreadableError extends ProcessNotFoundError {
  constructor(pid: number, detail: string) {
    super(pid);
    this.message = `PID ${pid} ${detail}`;
    this.name = 'ProcessUnreadableError';
  }
}

/** The process table itself cannot be read: a --proc that is no procfs, a damaged /proc/uptime. */
export class ProcessTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProcessTableError';
  }
}

/** A process whose files were there but could not be parsed: left out of the snapshot, said why. */
export interface DamagedProcess {
  pid: number;
  reason: string;
}

export class UnsupportedPlatformError extends Error {
  constructor(readonly platform: string, detail: string) {
    super(`Process Inspector cannot read processes on ${platform}: ${detail}`);
    this.name = 'UnsupportedPlatformError';
  }
}
