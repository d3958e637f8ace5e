/**
 * The spawn-site model: every place in a workspace's source that starts a child process, whether
 * that child is waited for (reaped), and the findings built on it.
 *
 * Nothing under src/spawnsites imports `vscode`: the index runs in the CLI and in plain mocha.
 * Lines and columns are 1-based here; columns count UTF-16 code units (what tree-sitter's web
 * binding reports and what VS Code positions use), so the UI edge only subtracts one.
 */

export type SiteLanguage = 'go' | 'c' | 'cpp' | 'python' | 'javascript' | 'typescript' | 'rust';

/**
 * - `yes`: every path that starts the child also reaps it (or the runtime/kernel does).
 * - `no`: on at least one path the child is never waited for: it becomes a zombie when it exits.
 * - `unknown`: the handle escapes (returned, stored, handed to code we cannot see) or the
 *   analysis cannot follow it. Never flagged.
 */
export type Waited = 'yes' | 'no' | 'unknown';

/** A span of source, 1-based lines and columns, the end exclusive. */
export interface SourceRange {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

/** How `program` was learnt. */
export type ProgramSource =
  | 'literal' // a string literal at the call
  | 'constant' // a named constant or a variable assigned a literal once
  | 'path-base' // the last element of filepath.Join(..., "x") or filepath.Base("...")
  | 'flag-default' // the default of a command-line flag (it may be overridden at run time)
  | 'self' // the program re-executes itself (os.Args[0], sys.executable, fork without exec)
  | 'interpreter'; // the runtime runs a script (Node's fork() runs process.execPath)

/** Go-only detail: what the Start() acts on and what an editor can offer to fix. */
export interface GoSiteDetail {
  /** The variable holding the *exec.Cmd / *os.Process / pid, when there is one. */
  variable?: string;
  /** Line of the exec.Command / CommandContext call that built the Cmd (when known and unique). */
  commandLine?: number;
  /** The Cmd came from a struct field (it may be waited for anywhere). */
  field?: string;
  /** The name of the flag whose default gave `program`. */
  flag?: string;
}

/** C/C++ and Python fork detail: the exec that names the child, or the fork an exec runs in. */
export interface ForkDetail {
  /** For fork/vfork/os.fork: the exec* call(s) in the child branch, by line. */
  execLines?: number[];
  /** For exec* calls: the line of the fork() whose child branch runs them. */
  forkLine?: number;
  /** The child is started through /bin/sh (popen, system, shell=True, exec()): its first comm is `sh`. */
  shell?: boolean;
}

/**
 * One spawn site. The first eight fields are the CLI's JSON (`sites --json`); `file` is absolute in
 * the index and made relative by the CLI.
 */
export interface SpawnSite {
  file: string;
  line: number;
  column: number;
  language: SiteLanguage;
  /** The API as written in its own language: `exec.Cmd.Start`, `os.StartProcess`, `fork`, `subprocess.Popen`, `child_process.spawn`, `Command::spawn`... */
  api: string;
  /** The program the child runs when it can be known, else null. */
  program: string | null;
  waited: Waited;
  /** Why `waited` has its value, in words, with the lines that decided it. */
  reason: string;

  /** The whole call expression. */
  range: SourceRange;
  programSource?: ProgramSource;
  /** Name of the enclosing function or method (`(*Server).run` style for Go methods), when any. */
  function?: string;
  /** When waited is `no`: the child leaks on every path (`always`) or only on some (`some-paths`). */
  leak?: 'always' | 'some-paths';
  /** The child starts as a copy of the parent (fork without exec, multiprocessing): its comm is the parent's. */
  forksSelf?: boolean;
  go?: GoSiteDetail;
  fork?: ForkDetail;
}

/** One text replacement, in the same 1-based coordinates. */
export interface TextEdit {
  range: SourceRange;
  newText: string;
}

/**
 * A fix an editor can apply without asking anything. Only produced when there is exactly one
 * reasonable edit (for Go: Start() -> Run() when nothing uses the child after Start, or one
 * inserted Wait() where the single leaking path leaves).
 */
export interface SiteFix {
  kind: 'start-to-run' | 'insert-wait';
  title: string;
  edits: TextEdit[];
}

export type FindingCode =
  | 'go-start-without-wait'
  | 'go-startprocess-without-wait'
  | 'go-forkexec-without-wait'
  | 'go-kill-without-wait'
  | 'go-release-without-wait'
  | 'c-fork-without-wait'
  | 'c-spawn-without-wait'
  | 'c-popen-without-pclose'
  | 'python-popen-without-wait'
  | 'python-fork-without-wait'
  | 'python-process-without-join'
  | 'rust-spawn-without-wait';

/** Something an editor should show: a site whose child is (or may be) never waited for. */
export interface SiteFinding {
  code: FindingCode;
  file: string;
  /** Where to put the squiggle: the spawning call, or the Kill()/Release() that does not reap. */
  range: SourceRange;
  severity: 'warning' | 'information';
  message: string;
  site: SpawnSite;
  /** Other places worth pointing at: the return or end of scope where the child is lost. */
  related?: { range: SourceRange; message: string }[];
  fix?: SiteFix;
}

/** What a language scanner returns for one file. */
export interface FileScan {
  sites: SpawnSite[];
  findings: SiteFinding[];
  /**
   * This file's main() makes the whole process reap its children (SIGCHLD ignored, a handler that
   * waits for any child, libev's default loop): every file of that program is reaped too (C).
   */
  reaper?: { line: number; words: string };
  /** C: the file defines main() (a program of its own). */
  hasMain?: boolean;
}
