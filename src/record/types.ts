/**
 * Recorded spawns: what a program's own runtime says about every child it starts, written while
 * it runs. A record beats every inference about which line started a process.
 *
 * The record file (one per run or debug session) is JSON Lines. Its path is handed to the program
 * in the environment variable PROCESS_INSPECTOR_RECORD; every recorder appends one line per child:
 * opened with O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC (mode 0600), written with ONE write(2) call (so
 * lines from many threads and processes never interleave), closed. When the variable is unset the
 * recorder does nothing; when the file cannot be opened or written the record is lost and the
 * program goes on exactly as without a recorder (no output, no changed errno, exit code or
 * behaviour). Children inherit the variable, so a whole process tree records into one file.
 *
 * One line:
 *   {"v":1,"pid":4712,"ppid":4711,"tid":4713,"start":123456,"time":1764645000123,
 *    "api":"fork","lang":"native","stack":[{"file":"/ws/main.c","line":41,"function":"leak"}, ...]}
 *  - pid:   the child's PID, as the parent sees it
 *  - ppid:  the recording process's PID (the child's parent), getpid()
 *  - tid:   the recording thread's ID (gettid), when known
 *  - start: the child's start time, exactly field 22 of /proc/CHILD/stat (clock ticks since boot);
 *           null when it could not be found. With pid it is the child's identity
 *           (ProcessInfo.startTicks): a record is never matched by PID alone. The parent reads
 *           CLOCK_BOOTTIME right before the spawn and right after it returns; the kernel takes
 *           the child's start time between the two, and field 22 is that time rounded down to
 *           whole ticks, so when both readings fall in the same tick that tick is written, with no
 *           read of /proc. Otherwise (a spawn that straddled a tick) the parent reads
 *           /proc/CHILD/stat. Node has no CLOCK_BOOTTIME: it reads CLOCK_MONOTONIC around the
 *           spawn and bounds the two clocks' offset by every stat it has read (preload.cjs), and
 *           reads the stat when those bounds do not decide the tick. Go reads CLOCK_BOOTTIME
 *           through a raw clock_gettime (package syscall has no vDSO for it).
 *  - time:  CLOCK_REALTIME when the record was made, milliseconds since the epoch (may be fractional)
 *  - api:   what the recorder wrapped: Go "syscall.forkExec"; Python "_posixsubprocess.fork_exec",
 *           "os.fork", "os.forkpty", "os.posix_spawn", "os.posix_spawnp"; Node "ChildProcess.spawn";
 *           native "fork", "vfork", "posix_spawn", "posix_spawnp", "forkpty", "popen", "system"
 *  - lang:  "go" | "python" | "node" | "native"
 *  - stack: innermost first, starting at the caller of the wrapped call (the recorder's own
 *           frames left out, the runtime's kept: the reader decides which are the user's).
 *           A frame is {"file","line","function"} ("column" too where known) where the runtime knows them (Go, Python, Node),
 *           or {"module","offset","function"?} for native code not yet resolved to lines: module
 *           is the ELF file's path, offset the address to give `addr2line -e MODULE` (already
 *           adjusted for the load base and minus one for a return address), as a number.
 *           At most 64 frames.
 *  - cwd:   optional, the recording process's working directory, when frames carry relative paths
 *           (debugpy gives paths relative to the cwd)
 */

export type RecorderLanguage = 'go' | 'python' | 'node' | 'native';

export const RECORD_ENV = 'PROCESS_INSPECTOR_RECORD';
export const RECORD_VERSION = 1;
export const MAX_FRAMES = 64;

/** One frame, resolved to a source line, or a native address awaiting addr2line. */
export interface RecordFrame {
  file?: string;
  line?: number;
  /** 1-based, where the runtime gives it (Node). */
  column?: number;
  function?: string;
  module?: string;
  offset?: number;
}

export interface SpawnRecord {
  pid: number;
  ppid: number;
  tid?: number;
  /** Child start time in clock ticks since boot, or null when the parent could not read it. */
  start: number | null;
  /** Wall-clock ms since the epoch. */
  time: number;
  api: string;
  lang: RecorderLanguage;
  stack: RecordFrame[];
  cwd?: string;
}

/**
 * What preparing one recorder for a launch gives: the environment to add (already merged with what
 * the launch had: PYTHONPATH, NODE_OPTIONS, LD_PRELOAD keep their old values after ours), and for
 * Go the build flags (`-overlay=FILE`). Or why it could not be prepared, in words for a person.
 */
export interface Injection {
  language: RecorderLanguage;
  ok: true;
  /** Variables to set in the program's environment (PROCESS_INSPECTOR_RECORD included). */
  env: Record<string, string>;
  /** Go only: flags for `go build` (Delve's buildFlags, GOFLAGS). */
  goFlags?: string[];
  /** What was injected, e.g. "Go 1.19.8: syscall/exec_unix.go overlaid (hook on line 217)". */
  note: string;
}

export interface NotInjected {
  language: RecorderLanguage;
  ok: false;
  /** Why not, e.g. "no C compiler (cc) found: install gcc to record native spawns". */
  reason: string;
}

export type Preparation = Injection | NotInjected;

/** What every recorder's prepare() is given. */
export interface RecorderContext {
  /** The record file the program will append to (absolute). */
  recordFile: string;
  /** A directory outside the repository for built artefacts, keyed inside by what they were built from. */
  cacheDir: string;
  /** The environment the program would get without us (what to merge PYTHONPATH etc. with). */
  env: Readonly<Record<string, string | undefined>>;
}
