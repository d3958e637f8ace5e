/**
 * The Linux reader: /proc, read directly.
 *
 * Cost matters (the view refreshes every few seconds, the CLI is compared with `ps`), so:
 * - the table read touches only /proc/PID/stat, through one reused buffer (open, read, close:
 *   no fstat, no per-file allocation); details (status, wchan, cmdline, exe) are read only for
 *   the processes a caller shows or diagnoses;
 * - a subtree is found through /proc/PID/task/TID/children when the kernel has it
 *   (CONFIG_PROC_CHILDREN), else through the table.
 *
 * Races are the normal case: any process may exit, or its PID be reused, between two reads.
 * A process whose stat cannot be read is left out (no half rows); details are checked against
 * the start time read again afterwards, so a reused PID never lends its fields to another process.
 */
import * as fs from 'node:fs';
import type { Capabilities, DamagedProcess, ProcessInfo, ProcessSource, Snapshot } from '../core/model';
import { ProcessNotFoundError, ProcessTableError, ProcessUnreadableError } from '../core/model';
import { indexChildren } from '../core/tree';
import type { ProcessLimits } from '../core/forecast';
import { LinuxLimitsReader } from './limits';
import { decodeWaitStatus, parseCmdline, parseStat, parseStatus, parseUptime, ProcParseError, type StatFields } from './procfs';

/**
 * Opened without blocking: a FIFO (or a device) where a /proc file should be, in a fake procfs
 * under --proc, would block an ordinary open or read forever. On a regular file, and on every
 * real /proc file, O_NONBLOCK changes nothing.
 */
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;

/** USER_HZ: the unit of stat's start time. 100 on every Linux ABI Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** How many times details() reads a process that keeps changing (exec'ing) while it is read. */
const DETAIL_READS = 3;

export interface LinuxSourceOptions {
  /** Where procfs is mounted; tests point it at a second mount (e.g. one with hidepid). */
  procRoot?: string;
}

export class LinuxProcessSource implements ProcessSource {
  readonly platform = 'linux' as const;
  readonly capabilities: Capabilities = { zombies: true, sigchld: true, wchan: true, tracer: true };
  readonly procRoot: string;
  /** Wall-clock ms at boot, from /proc/uptime (1/100 s precision, unlike btime's 1 s). */
  private readonly bootTimeMs: number;
  /** @internal */ readonly buf = Buffer.allocUnsafe(64 * 1024);
  private childrenFiles: boolean | undefined;
  /** Processes that exist but whose stat could not be read in the last scan (hidepid=1, EACCES). */
  lastUnreadable = 0;
  /** Processes whose stat was there but damaged in the last scan, by PID, with why. */
  private damaged = new Map<number, string>();

  constructor(options: LinuxSourceOptions = {}) {
    this.procRoot = options.procRoot ?? '/proc';
    const st = fs.statSync(this.procRoot, { throwIfNoEntry: false });
    if (!st) throw new ProcessTableError(`${this.procRoot}: no such directory (a procfs such as /proc)`);
    if (!st.isDirectory()) throw new ProcessTableError(`${this.procRoot}: not a directory (a procfs such as /proc)`);
    const n = this.readRaw(`${this.procRoot}/uptime`);
    if (n < 0) throw new ProcessTableError(`cannot read ${this.procRoot}/uptime: is ${this.procRoot} a procfs?`);
    try {
      this.bootTimeMs = Date.now() - parseUptime(this.buf.toString('latin1', 0, n)) * 1000;
    } catch (e) {
      throw new ProcessTableError(`${this.procRoot}/uptime: ${(e as Error).message}`);
    }
  }

  /**
   * Reads a whole small file into the shared buffer; -1 when it cannot be read. `once`: a single
   * read (procfs files made by seq_file's single_open, like stat, come whole in the first read
   * when the buffer holds them, so the read that would return 0 is a syscall per file for nothing).
   */
  /** @internal */ readRaw(path: string, once = false): number {
    let fd: number;
    try {
      fd = fs.openSync(path, OPEN_FLAGS);
    } catch {
      return -1;
    }
    try {
      let total = 0;
      for (;;) {
        const n = fs.readSync(fd, this.buf, total, this.buf.length - total, null);
        if (n <= 0) return total;
        total += n;
        if (once && total < this.buf.length) return total;
        if (total === this.buf.length) return total; // larger than we ever need (a huge cmdline): cut
      }
    } catch {
      return -1;
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * One process's stat, or undefined when it cannot be read or is damaged (garbage, cut short,
   * naming another PID than its directory): a damaged one is noted, with why, for the snapshot.
   */
  /** @internal */ readStat(pid: number): StatFields | undefined {
    const n = this.readRaw(`${this.procRoot}/${pid}/stat`, true);
    if (n <= 0) return undefined;
    let s: StatFields;
    try {
      s = parseStat(this.buf, n);
    } catch (e) {
      if (!(e instanceof ProcParseError)) throw e;
      this.damaged.set(pid, e.message);
      return undefined;
    }
    if (s.pid !== pid) {
      this.damaged.set(pid, `its stat names PID ${s.pid}`);
      return undefined;
    }
    return s;
  }

  /** What the last read could not show: counts and reasons for Snapshot. */
  private readIssues(): Pick<Snapshot, 'unreadable' | 'damaged'> {
    const damaged: DamagedProcess[] = [...this.damaged].map(([pid, reason]) => ({ pid, reason })).sort((a, b) => a.pid - b.pid);
    return { unreadable: this.lastUnreadable, damaged };
  }

  /** @internal */ toProcess(s: StatFields): ProcessInfo {
    const p: ProcessInfo = {
      pid: s.pid,
      ppid: s.ppid,
      pgid: s.pgid,
      sid: s.sid,
      state: s.state,
      comm: s.comm,
      threads: s.threads,
      startTicks: s.startTicks,
      startTime: Math.round(this.bootTimeMs + (s.startTicks * 1000) / CLOCK_TICKS_PER_SECOND),
    };
    if (s.commHex !== undefined) p.commHex = s.commHex;
    if (s.state === 'Z' && s.exitStatus !== undefined) p.exit = decodeWaitStatus(s.exitStatus);
    return p;
  }

  /** PIDs listed in procRoot (what hidepid=2 hides is simply not there). */
  listPids(): number[] {
    const pids: number[] = [];
    for (const name of fs.readdirSync(this.procRoot)) {
      const c = name.charCodeAt(0);
      if (c >= 0x30 && c <= 0x39 && /^\d{1,10}$/.test(name)) pids.push(Number(name));
    }
    return pids;
  }

  private readPids(pids: Iterable<number>): Map<number, ProcessInfo> {
    const processes = new Map<number, ProcessInfo>();
    let unreadable = 0;
    this.damaged = new Map();
    for (const pid of pids) {
      const s = this.readStat(pid);
      if (s) processes.set(pid, this.toProcess(s));
      else if (!this.damaged.has(pid) && pidDirExists(`${this.procRoot}/${pid}`)) unreadable++;
    }
    this.lastUnreadable = unreadable;
    return processes;
  }

  readProcess(pid: number): ProcessInfo | undefined {
    if (!Number.isSafeInteger(pid) || pid < 0) return undefined;
    const s = this.readStat(pid);
    return s && this.toProcess(s);
  }

  readAll(): Snapshot {
    const processes = this.readPids(this.listPids());
    return { takenAt: Date.now(), processes, children: indexChildren(processes), ...this.readIssues(), ...this.hiddenBy() };
  }

  /** Does this kernel have /proc/PID/task/TID/children? Asked once. */
  hasChildrenFiles(): boolean {
    if (this.childrenFiles === undefined) {
      this.childrenFiles = fs.existsSync(`${this.procRoot}/self/task/${readSelfPid(this.procRoot)}/children`);
    }
    return this.childrenFiles;
  }

  /** The limits on the tasks `pid` may still create (src/platform/limits.ts). */
  readLimits(pid: number, uid?: number, startTicks?: number): ProcessLimits {
    this.limitsReader ??= new LinuxLimitsReader({ procRoot: this.procRoot });
    return this.limitsReader.read(pid, uid, startTicks);
  }
  private limitsReader: LinuxLimitsReader | undefined;

  /**
   * A subtree kept up to date by cheap refreshes (see SubtreeWatcher). Close it when done: it
   * holds one file descriptor per member.
   */
  watchSubtree(root: number): SubtreeWatcher {
    return new SubtreeWatcher(this, root);
  }

  /** The last PID the kernel handed out in our PID namespace, or undefined if unknown. */
  /** @internal */ readLastPid(): number | undefined {
    if (this.procRoot !== '/proc') return undefined; // another mount may be another namespace
    const n = this.readRaw('/proc/sys/kernel/ns_last_pid');
    const v = n > 0 ? Number(this.buf.toString('latin1', 0, n).trim()) : NaN;
    return Number.isSafeInteger(v) ? v : undefined;
  }

  /** @internal */ get pidMax(): number {
    if (this.pidMaxValue === undefined) {
      const n = this.readRaw(`${this.procRoot}/sys/kernel/pid_max`);
      const v = n > 0 ? Number(this.buf.toString('latin1', 0, n).trim()) : NaN;
      this.pidMaxValue = Number.isSafeInteger(v) ? v : 4194304;
    }
    return this.pidMaxValue;
  }
  private pidMaxValue: number | undefined;

  /** Is `pid` a process (thread-group leader) rather than a thread of one? */
  /** @internal */ isProcess(pid: number): boolean {
    const n = this.readRaw(`${this.procRoot}/${pid}/status`);
    if (n <= 0) return false;
    const m = /\nTgid:\s*(\d+)/.exec(this.buf.toString('latin1', 0, n));
    return m !== null && Number(m[1]) === pid;
  }

  readSubtree(root: number): Snapshot {
    if (!Number.isSafeInteger(root) || root < 0) throw new ProcessNotFoundError(root);
    const processes = this.hasChildrenFiles() ? this.walkChildren(root) : this.scanSubtree(root);
    if (!processes.has(root)) throw this.whyNot(root);
    // /proc/TID exists for every thread (only the listing hides it): a thread is not a root.
    const tgid = this.tgidOf(root);
    if (tgid !== undefined && tgid !== root) throw new ProcessUnreadableError(root, `is a thread of process ${tgid}, not a process: use --root ${tgid}`);
    return { takenAt: Date.now(), processes, children: indexChildren(processes), root, ...this.readIssues(), ...this.hiddenBy() };
  }

  /** Why `pid` is not in a read: damaged, hidden or unreadable (it exists), or no such process. */
  private whyNot(pid: number): ProcessNotFoundError {
    const damaged = this.damaged.get(pid);
    if (damaged !== undefined) return new ProcessUnreadableError(pid, `cannot be read: ${damaged}`);
    if (pidDirExists(`${this.procRoot}/${pid}`)) return new ProcessUnreadableError(pid, "exists but is not readable (hidepid, or another user's process)");
    // hidepid=invisible hides the directory too; kill(pid, 0) still tells EPERM (exists) from
    // ESRCH, when procRoot is a procfs of our own PID namespace.
    if (readSelfPid(this.procRoot) === String(process.pid)) {
      try {
        process.kill(pid, 0);
        return new ProcessUnreadableError(pid, 'exists but is not readable: this procfs hides it (hidepid)');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EPERM') return new ProcessUnreadableError(pid, "exists but is not readable: this procfs hides other users' processes (hidepid)");
      }
    }
    return new ProcessNotFoundError(pid);
  }

  /** The thread-group (process) ID of a PID or TID, from its status; undefined when unknown. */
  private tgidOf(pid: number): number | undefined {
    const n = this.readRaw(`${this.procRoot}/${pid}/status`);
    if (n <= 0) return undefined;
    const m = /(?:^|\n)Tgid:\s*(\d+)/.exec(this.buf.toString('latin1', 0, n));
    return m ? Number(m[1]) : undefined;
  }

  /**
   * The procfs mount option that hides other users' processes (`hidepid=invisible` or `=2`
   * hides their directories: nothing counts them), from /proc/self/mountinfo. Root sees all.
   */
  private hiddenBy(): Pick<Snapshot, 'hidden'> {
    if (this.hidden === undefined) {
      this.hidden = '';
      try {
        const real = fs.realpathSync(this.procRoot);
        for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
          const f = line.split(' ');
          const dash = f.indexOf('-');
          if (f[4] !== real || dash < 0 || f[dash + 1] !== 'proc') continue;
          const opt = /(?:^|,)(hidepid=(?:2|invisible))(?:,|$)/.exec(f[dash + 3] ?? '');
          this.hidden = opt && process.getuid?.() !== 0 ? opt[1] : '';
        }
      } catch {
        // no mountinfo: unknown
      }
    }
    return this.hidden ? { hidden: this.hidden } : {};
  }
  private hidden: string | undefined;

  /** Subtree via children files: reads only the subtree, never the whole table. */
  private walkChildren(root: number): Map<number, ProcessInfo> {
    const processes = new Map<number, ProcessInfo>();
    const queue = [root];
    this.damaged = new Map();
    this.lastUnreadable = 0;
    for (let q = 0; q < queue.length; q++) {
      const pid = queue[q];
      if (processes.has(pid)) continue;
      const s = this.readStat(pid);
      if (!s) {
        if (q > 0 && !this.damaged.has(pid) && pidDirExists(`${this.procRoot}/${pid}`)) this.lastUnreadable++;
        continue;
      }
      // The child list may name a process whose parent changed since (it exited and the PID was
      // reused elsewhere): keep only children that still name this parent.
      if (q > 0 && !processes.has(s.ppid)) continue;
      processes.set(pid, this.toProcess(s));
      if (s.state === 'Z') continue; // a zombie has no threads and no children
      let tids: string[];
      try {
        tids = fs.readdirSync(`${this.procRoot}/${pid}/task`);
      } catch {
        continue;
      }
      for (const tid of tids) {
        const n = this.readRaw(`${this.procRoot}/${pid}/task/${tid}/children`);
        if (n <= 0) continue;
        for (const c of this.buf.toString('latin1', 0, n).split(' ')) if (/^\d{1,10}$/.test(c)) queue.push(Number(c));
      }
    }
    return processes;
  }

  /** Subtree via the table: one stat read per process, then a walk from root. */
  /** @internal */ scanSubtree(root: number): Map<number, ProcessInfo> {
    const all = this.readPids(this.listPids());
    const children = indexChildren(all);
    const processes = new Map<number, ProcessInfo>();
    const queue = [root];
    for (let q = 0; q < queue.length; q++) {
      const p = all.get(queue[q]);
      if (!p || processes.has(p.pid)) continue;
      processes.set(p.pid, p);
      for (const c of children.get(p.pid) ?? []) queue.push(c);
    }
    return processes;
  }

  /**
   * Reads status, wchan, cmdline and exe of each process. A field the kernel refuses (another
   * user's process, hidepid) is left unset and `restricted` is set. Returns the processes that
   * turned out to be gone or replaced (their PID reused) while reading: callers drop them.
   */
  details(processes: Iterable<ProcessInfo>): ProcessInfo[] {
    const gone: ProcessInfo[] = [];
    for (const p of processes) {
      // A process that exec'd while it was read is read again, as what it is now (a shell's child
      // turning into `true`); one that keeps exec'ing keeps its last stat without cmdline and exe.
      // One that only changed state (R to S, or to a zombie) keeps what was read.
      for (let attempt = 1; ; attempt++) {
        const now = this.readDetails(p);
        if (now === 'gone') gone.push(p);
        if (now !== 'exec' || attempt === DETAIL_READS) break;
      }
    }
    return gone;
  }

  /**
   * One read of p's details, then of its stat again: whether it stayed the same process, as it was
   * ('same'), only changed state ('changed'), is alive under another name ('exec': what was read of
   * it is gone, see restat()) or is gone.
   */
  private readDetails(p: ProcessInfo): 'same' | 'changed' | 'exec' | 'gone' {
    const dir = `${this.procRoot}/${p.pid}`;
    let restricted = false;
    const status = this.readRaw(`${dir}/status`);
    if (status > 0) {
      const f = parseStatus(this.buf.toString('utf8', 0, status));
      if (f.uid !== undefined) p.uid = f.uid;
      if (f.tracerPid !== undefined) p.tracerPid = f.tracerPid;
      if (f.nspid !== undefined) p.nspid = f.nspid;
      if (f.sigchld !== undefined) p.sigchld = f.sigchld;
    } else restricted = true;
    const wchan = this.readRaw(`${dir}/wchan`);
    if (wchan > 0) {
      const w = this.buf.toString('latin1', 0, wchan).trim();
      // "0" means not sleeping (or hidden from us by kptr_restrict).
      if (w && w !== '0') p.wchan = w;
      else delete p.wchan;
    } else if (wchan < 0) restricted = true;
    if (p.state !== 'Z') {
      const cmd = this.readRaw(`${dir}/cmdline`);
      if (cmd >= 0) p.cmdline = parseCmdline(Buffer.from(this.buf.subarray(0, cmd)));
      else restricted = true;
      try {
        p.exe = fs.readlinkSync(`${dir}/exe`);
      } catch (e) {
        // ENOENT: a kernel thread has no exe. EACCES: not ours to see.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') restricted = true;
      }
    }
    if (restricted) p.restricted = true;
    // Same process still? Its stat start time tells (a reused PID has another).
    const again = this.readStat(p.pid);
    if (!again || again.startTicks !== p.startTicks) return 'gone';
    if (again.state === p.state && again.comm === p.comm) return 'same';
    const execd = again.comm !== p.comm;
    this.restat(p, again);
    return execd && p.state !== 'Z' ? 'exec' : 'changed';
  }

  /**
   * p changed while its details were read (it exec'd, or exited): its stat fields become what the
   * last read says, so that a child caught before its exec is not left a zombie under its parent's
   * name. What was read of it meanwhile (cmdline, exe) may be of the image it left, or of none: it
   * goes, as a zombie's is never read (details() reads it again when p is not a zombie).
   */
  private restat(p: ProcessInfo, s: StatFields): void {
    const now = this.toProcess(s);
    if (now.comm !== p.comm || now.state === 'Z') {
      delete p.cmdline;
      delete p.exe;
    }
    delete p.commHex;
    delete p.exit;
    Object.assign(p, now);
  }
}

/**
 * Whether a /proc/PID directory is there. Not fs.existsSync: under hidepid=noaccess, access(2)
 * on another user's directory fails with EPERM (existsSync: false) while lstat still sees it.
 */
function pidDirExists(path: string): boolean {
  try {
    fs.lstatSync(path);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function readSelfPid(procRoot: string): string {
  // /proc/self is a symlink to our PID in procRoot's namespace.
  try {
    return fs.readlinkSync(`${procRoot}/self`);
  } catch {
    return String(process.pid);
  }
}

/**
 * Keeps one subtree current without reading the whole table each time. Without
 * /proc/PID/task/TID/children (this kernel has none), finding new descendants would need every
 * process's stat. Instead:
 * - members are re-read through file descriptors kept open: pread at offset 0 regenerates
 *   /proc/PID/stat, and a descriptor stays bound to its process, so a reused PID reads as gone
 *   (ESRCH), never as the new process;
 * - new processes are found through ns_last_pid: PIDs are handed out in a cycle, so everything
 *   created since the last refresh has a PID in (previous last PID, current last PID]. Only
 *   those PIDs are read (threads take PIDs too; they are told apart by Tgid).
 * When the window is too wide, on the first refresh, or when ns_last_pid cannot be read, it
 * falls back to a full scan.
 */
export class SubtreeWatcher {
  /** `raw`: the stat bytes `info` was made from. Same bytes next time: the same object is kept. */
  private readonly members = new Map<number, { fd: number; info: ProcessInfo; raw?: Buffer }>();
  /** The last snapshot, handed out again while no member changed, came or went. */
  private last: Snapshot | undefined;
  private dirty = true;
  private lastPid: number | undefined;
  /** Refreshes that fell back to a full scan (for tests and benchmarks). */
  fullScans = 0;
  static readonly MAX_WINDOW = 4096;
  static readonly MAX_FDS = 8192;

  constructor(private readonly src: LinuxProcessSource, readonly root: number) {}

  refresh(): Snapshot {
    // Read the last PID first: a process created after this point is caught next time.
    const last = this.src.readLastPid();
    const prev = this.lastPid;
    const window = last === undefined || prev === undefined ? Infinity : last >= prev ? last - prev : this.src.pidMax - prev + last;
    if (window > SubtreeWatcher.MAX_WINDOW || this.members.size === 0) this.fullScan();
    else this.incremental(prev!, last!);
    this.lastPid = last;
    if (!this.members.has(this.root)) {
      this.close();
      throw new ProcessNotFoundError(this.root);
    }
    // Nothing changed: the same maps (callers never modify a snapshot's maps), with the new time.
    if (!this.dirty && this.last) return (this.last = { ...this.last, takenAt: Date.now() });
    this.dirty = false;
    const processes = new Map<number, ProcessInfo>();
    for (const [pid, m] of this.members) processes.set(pid, m.info);
    return (this.last = { takenAt: Date.now(), processes, children: indexChildren(processes), root: this.root });
  }

  private fullScan(): void {
    this.fullScans++;
    this.close();
    for (const [pid, info] of this.src.scanSubtree(this.root)) this.add(pid, info);
  }

  private add(pid: number, info: ProcessInfo): void {
    let fd = -1;
    let raw: Buffer | undefined;
    if (this.members.size < SubtreeWatcher.MAX_FDS) {
      try {
        fd = fs.openSync(`${this.src.procRoot}/${pid}/stat`, 'r');
      } catch {
        return; // exited just now
      }
      // The descriptor must name the process we read, not a successor on the same PID.
      const n = this.preadRaw(fd);
      const check = n > 0 ? parseStat(this.src.buf, n) : undefined;
      if (!check || check.startTicks !== info.startTicks) {
        fs.closeSync(fd);
        return;
      }
      raw = Buffer.from(this.src.buf.subarray(0, n));
      info = this.src.toProcess(check);
    }
    this.members.set(pid, { fd, info, raw });
    this.dirty = true;
  }

  /** Bytes of the stat file read into the shared buffer; 0 when the process is gone (ESRCH). */
  private preadRaw(fd: number): number {
    try {
      return fs.readSync(fd, this.src.buf, 0, this.src.buf.length, 0);
    } catch {
      return 0;
    }
  }

  private incremental(prev: number, last: number): void {
    // 1. Every member again: gone, changed, or moved out (re-parented outside). A stat that reads
    //    the same bytes as last time is the same process in the same state: its object (and the
    //    details a caller filled in on it) is kept, nothing is parsed.
    const buf = this.src.buf;
    for (const [pid, m] of this.members) {
      let s: StatFields | undefined;
      if (m.fd >= 0) {
        const n = this.preadRaw(m.fd);
        if (n > 0 && m.raw && n === m.raw.length && buf.compare(m.raw, 0, n, 0, n) === 0) continue;
        s = n > 0 ? parseStat(buf, n) : undefined;
        if (s) m.raw = Buffer.from(buf.subarray(0, n));
      } else s = this.src.readStat(pid);
      if (!s || s.startTicks !== m.info.startTicks) this.remove(pid);
      else {
        m.info = this.src.toProcess(s);
        this.dirty = true;
      }
    }
    // 2. PIDs handed out since, in the order they were handed out, so parents come before children.
    const max = this.src.pidMax;
    for (let pid = prev + 1, n = 0; n < (last >= prev ? last - prev : max - prev + last); n++, pid++) {
      if (pid >= max) pid = 1;
      if (this.members.has(pid)) continue;
      // Most PIDs handed out meanwhile belong to others and are gone already (a ps, a thread):
      // asking whether the directory exists costs a tenth of a failed open, which throws.
      if (!fs.existsSync(`${this.src.procRoot}/${pid}`)) continue;
      const s = this.src.readStat(pid);
      if (!s || !this.members.has(s.ppid)) continue;
      if (!this.src.isProcess(pid)) continue;
      this.add(pid, this.src.toProcess(s));
    }
    // 3. Members whose parent is no longer a member left the subtree (their parent exited).
    let changed = true;
    while (changed) {
      changed = false;
      for (const [pid, m] of this.members) {
        if (pid !== this.root && !this.members.has(m.info.ppid)) {
          this.remove(pid);
          changed = true;
        }
      }
    }
  }

  private remove(pid: number): void {
    const m = this.members.get(pid);
    if (!m) return;
    if (m.fd >= 0) fs.closeSync(m.fd);
    this.members.delete(pid);
    this.dirty = true;
  }

  /** Closes every descriptor. The watcher can be refreshed again (it starts with a full scan). */
  close(): void {
    for (const m of this.members.values()) if (m.fd >= 0) fs.closeSync(m.fd);
    this.members.clear();
    this.last = undefined;
    this.dirty = true;
  }
}
