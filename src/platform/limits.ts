/**
 * The limits on how many tasks a process may still create (Linux): the pids controller of its
 * cgroup and of every ancestor (cgroup v2 and v1), RLIMIT_NPROC against its user's tasks, and the
 * kernel's pid_max and threads-max. Each counts tasks (threads too), zombies included until
 * reaped: a leak of zombies walks into the tightest of them and fork fails with EAGAIN.
 *
 * Parsers are pure functions on text; the reader resolves every path under `root` ('' on a live
 * system), so the unit tests run it on files captured from real machines.
 */
import * as fs from 'node:fs';
import type { LimitReading, ProcessLimits } from '../core/forecast';

/** /proc/PID/cgroup: `0::/path` (v2) and `N:controller[,controller]:/path` (v1). */
export interface CgroupMembership {
  v2?: string;
  /** controller -> path, for v1 hierarchies. */
  v1: Map<string, string>;
}

export function parseCgroupFile(text: string): CgroupMembership {
  const out: CgroupMembership = { v1: new Map() };
  for (const line of text.split('\n')) {
    if (!line) continue;
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const controllers = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    if (line.slice(0, a) === '0' && controllers === '') out.v2 = path;
    else for (const c of controllers.split(',')) if (c) out.v1.set(c, path);
  }
  return out;
}

export interface CgroupMount {
  /** Where it is mounted. */
  mountPoint: string;
  /** Which directory of the hierarchy the mount shows (`/` usually; a container may see a subtree). */
  root: string;
  version: 1 | 2;
  /** v1: the controllers of the hierarchy (from the super options). */
  controllers: string[];
}

/** Octal escapes of mountinfo (`\040` for a space). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** The cgroup mounts of /proc/PID/mountinfo. */
export function parseMountinfo(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const [fsType, , superOptions = ''] = line.slice(sep + 3).split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    out.push({
      root: unescapeMount(pre[3]),
      mountPoint: unescapeMount(pre[4]),
      version: fsType === 'cgroup2' ? 2 : 1,
      controllers: fsType === 'cgroup' ? superOptions.split(',') : [],
    });
  }
  return out;
}

/** `Max processes` of /proc/PID/limits: the soft limit (the one fork checks), a number or unlimited. */
export function parseNprocLimit(text: string): number | 'unlimited' | undefined {
  const line = text.split('\n').find((l) => l.startsWith('Max processes'));
  if (!line) return undefined;
  const soft = line.slice('Max processes'.length).trim().split(/\s+/)[0];
  if (soft === 'unlimited') return 'unlimited';
  const n = Number(soft);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The number of tasks on the machine: /proc/loadavg's `running/total` field. */
export function parseLoadavgTasks(text: string): number | undefined {
  const m = /^\S+ \S+ \S+ \d+\/(\d+) /.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** pids.max: `max` or a number. */
function parsePidsMax(text: string): number | 'max' | undefined {
  const t = text.trim();
  if (t === 'max') return 'max';
  const n = Number(t);
  return t !== '' && Number.isSafeInteger(n) ? n : undefined;
}

/**
 * `/a/b/c` -> `/a/b/c`, `/a/b`, `/a`, `/`. The real root cgroup has no pids.max, but `/` of a
 * cgroup namespace (a container's own cgroup) has one.
 */
function cgroupChain(path: string): string[] {
  const out: string[] = [];
  let p = path.replace(/\/+$/, '');
  while (p) {
    out.push(p);
    p = p.slice(0, p.lastIndexOf('/'));
  }
  out.push('/');
  return out;
}

/** How long a shared file (pids.current, loadavg) is reused: well under any refresh interval. */
const SHARED_TTL_MS = 200;
/** How long a process's own cgroup and limits files are reused (see readOwn). */
const OWN_TTL_MS = 5000;

export interface LimitsReaderOptions {
  /** Prefix of every path read ('' on a live system; a directory of captured files in tests). */
  root?: string;
  /** procfs, under root (default /proc). */
  procRoot?: string;
  /**
   * Counts the tasks (threads included) of a real uid, as RLIMIT_NPROC does. Default: every
   * /proc/N owned by that uid, its threads from the link count of /proc/N/task.
   */
  countTasks?: (uid: number) => number | undefined;
  /** How long a count of a user's tasks is reused (ms; counting stats every process). Default 5000. */
  countTtlMs?: number;
  clock?: () => number;
}

export class LinuxLimitsReader {
  private readonly root: string;
  private readonly proc: string;
  private mounts: CgroupMount[] | undefined;
  private readonly counts = new Map<number, { at: number; n: number | undefined }>();

  constructor(private readonly options: LimitsReaderOptions = {}) {
    this.root = options.root ?? '';
    this.proc = this.root + (options.procRoot ?? '/proc');
  }

  private readText(path: string): string | undefined {
    try {
      return fs.readFileSync(path, 'latin1');
    } catch {
      return undefined;
    }
  }

  /**
   * Files many processes share (a cgroup's pids.*, the kernel's counts), read once for all the
   * parents of one look: kept for SHARED_TTL_MS.
   */
  private readShared(path: string): string | undefined {
    const now = (this.options.clock ?? Date.now)();
    const hit = this.shared.get(path);
    if (hit && now - hit.at < SHARED_TTL_MS) return hit.text;
    if (this.shared.size > 256) this.shared.clear();
    const text = this.readText(path);
    this.shared.set(path, { at: now, text });
    return text;
  }
  private readonly shared = new Map<string, { at: number; text: string | undefined }>();

  /**
   * A process's own cgroup or limits file. With its start time (its identity: a reused PID has
   * another) the text is kept for OWN_TTL_MS: both change seldom (a move by the service manager,
   * a prlimit), and a refresh of many parents should not reopen them every time.
   */
  private readOwn(pid: number, startTicks: number | undefined, file: 'cgroup' | 'limits'): string | undefined {
    if (startTicks === undefined) return this.readText(`${this.proc}/${pid}/${file}`);
    const key = `${pid}@${startTicks}/${file}`;
    const now = (this.options.clock ?? Date.now)();
    const hit = this.own.get(key);
    if (hit && now - hit.at < OWN_TTL_MS) return hit.text;
    if (this.own.size > 1024) this.own.clear();
    const text = this.readText(`${this.proc}/${pid}/${file}`);
    if (text !== undefined) this.own.set(key, { at: now, text });
    return text;
  }
  private readonly own = new Map<string, { at: number; text: string }>();

  private cgroupMounts(): CgroupMount[] {
    this.mounts ??= parseMountinfo(this.readText(`${this.proc}/self/mountinfo`) ?? '');
    return this.mounts;
  }

  /**
   * The limits of `pid`. `uid` is its real uid when the caller knows it (from /proc/PID/status);
   * `tasksOnMachine` the machine's task count when the caller has it (else /proc/loadavg).
   */
  read(pid: number, uid?: number, startTicks?: number): ProcessLimits {
    const cgroupText = this.readOwn(pid, startTicks, 'cgroup');
    if (cgroupText === undefined) return { pid, readings: [], unknown: `/proc/${pid}/cgroup cannot be read (the process is gone, or hidden)` };
    const readings = this.cgroupLimits(parseCgroupFile(cgroupText));
    readings.push(this.nproc(pid, uid, startTicks));
    const tasks = parseLoadavgTasks(this.readShared(`${this.proc}/loadavg`) ?? '');
    for (const [kind, file] of [['pid-max', 'pid_max'], ['threads-max', 'threads-max']] as const) {
      const max = Number(this.readShared(`${this.proc}/sys/kernel/${file}`)?.trim() ?? NaN);
      if (!Number.isSafeInteger(max)) readings.push({ kind, scope: 'the kernel', status: 'unreadable', reason: `/proc/sys/kernel/${file} cannot be read` });
      else if (tasks === undefined) readings.push({ kind, scope: 'the kernel', status: 'unreadable', max, reason: '/proc/loadavg cannot be read (tasks in use unknown)' });
      else readings.push({ kind, scope: 'the kernel', status: 'limited', max, current: tasks });
    }
    return { pid, readings };
  }

  private cgroupLimits(m: CgroupMembership): LimitReading[] {
    const out: LimitReading[] = [];
    const mounts = this.cgroupMounts();
    const tryHierarchy = (kind: 'cgroup-v1' | 'cgroup-v2', path: string, mount: CgroupMount | undefined) => {
      if (!mount) return false;
      // The mount shows the hierarchy from mount.root down: a path outside it cannot be read here.
      const rel = mount.root === '/' ? path : path === mount.root || path.startsWith(`${mount.root}/`) ? path.slice(mount.root.length) || '/' : undefined;
      if (rel === undefined) {
        out.push({ kind, scope: path, status: 'unreadable', reason: `outside the mounted part of the hierarchy (${mount.root})` });
        return true;
      }
      const chain = cgroupChain(rel);
      let any = false;
      for (const level of chain) {
        const dir = `${this.root}${mount.mountPoint}${level === '/' ? '' : level}`;
        const maxText = this.readShared(`${dir}/pids.max`);
        if (maxText === undefined) continue; // no pids controller at this level (v2: not enabled above it)
        any = true;
        const max = parsePidsMax(maxText);
        const current = Number(this.readShared(`${dir}/pids.current`)?.trim() ?? NaN);
        const cur = Number.isSafeInteger(current) ? current : undefined;
        const scope = mount.root === '/' ? level : level === '/' ? mount.root : `${mount.root.replace(/\/$/, '')}${level}`;
        if (max === undefined) out.push({ kind, scope, status: 'unreadable', reason: `pids.max holds ${JSON.stringify(maxText.trim().slice(0, 20))}` });
        else if (max === 'max') out.push({ kind, scope, status: 'unlimited', current: cur });
        else if (cur === undefined) out.push({ kind, scope, status: 'unreadable', max, reason: 'pids.current cannot be read' });
        else out.push({ kind, scope, status: 'limited', max, current: cur });
      }
      // In the root cgroup (or with the controller off all the way up) there is no pids.max: no limit.
      if (!any) out.push({ kind, scope: path, status: 'unlimited', reason: chain.length > 1 ? 'no pids controller on this cgroup or above' : 'the root cgroup has no pids limit' });
      return true;
    };
    const v1 = m.v1.get('pids');
    const v1Done = v1 !== undefined && tryHierarchy('cgroup-v1', v1, mounts.find((x) => x.version === 1 && x.controllers.includes('pids')));
    const v2Mount = mounts.find((x) => x.version === 2);
    // On a hybrid system (pids on v1) the v2 hierarchy has no pids controller: say nothing of it
    // unless it is the only hierarchy there is.
    if (m.v2 !== undefined && v2Mount && (!v1Done || this.hasV2Pids(v2Mount))) tryHierarchy('cgroup-v2', m.v2, v2Mount);
    if (!out.length) out.push({ kind: m.v2 !== undefined ? 'cgroup-v2' : 'cgroup-v1', scope: m.v2 ?? v1 ?? '/', status: 'unreadable', reason: 'no cgroup hierarchy with a pids controller is mounted' });
    return out;
  }

  private hasV2Pids(mount: CgroupMount): boolean {
    return (this.readShared(`${this.root}${mount.mountPoint}/cgroup.controllers`) ?? '').split(/\s+/).includes('pids');
  }

  private nproc(pid: number, uid: number | undefined, startTicks: number | undefined): LimitReading {
    const limitsText = this.readOwn(pid, startTicks, 'limits');
    if (uid === undefined) {
      const status = this.readText(`${this.proc}/${pid}/status`);
      const m = status && /\nUid:\s*(\d+)/.exec(status);
      if (m) uid = Number(m[1]);
    }
    const scope = uid !== undefined ? `uid ${uid}` : 'its user';
    if (limitsText === undefined) return { kind: 'rlimit-nproc', scope, status: 'unreadable', reason: `/proc/${pid}/limits cannot be read` };
    const soft = parseNprocLimit(limitsText);
    if (soft === undefined) return { kind: 'rlimit-nproc', scope, status: 'unreadable', reason: 'no "Max processes" line' };
    if (soft === 'unlimited') return { kind: 'rlimit-nproc', scope, status: 'unlimited' };
    // fork checks RLIMIT_NPROC only for a user other than root without CAP_SYS_RESOURCE/ADMIN.
    if (uid === 0) return { kind: 'rlimit-nproc', scope, status: 'not-enforced', max: soft, reason: 'root is exempt' };
    if (uid === undefined) return { kind: 'rlimit-nproc', scope, status: 'unreadable', max: soft, reason: 'its uid cannot be read' };
    const n = this.userTasks(uid);
    if (n === undefined) return { kind: 'rlimit-nproc', scope, status: 'unreadable', max: soft, reason: "the user's tasks cannot be counted" };
    return { kind: 'rlimit-nproc', scope, status: 'limited', max: soft, current: n };
  }

  private userTasks(uid: number): number | undefined {
    const now = (this.options.clock ?? Date.now)();
    const cached = this.counts.get(uid);
    if (cached && now - cached.at < (this.options.countTtlMs ?? 5000)) return cached.n;
    const n = (this.options.countTasks ?? ((u) => countTasksOf(this.proc, u)))(uid);
    this.counts.set(uid, { at: now, n });
    return n;
  }
}

/**
 * Tasks of a uid: /proc/N is owned by the task's effective uid (the real uid is what the kernel
 * counts; they differ only for set-uid programs), and /proc/N/task has 2 + threads links.
 */
export function countTasksOf(proc: string, uid: number): number | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(proc);
  } catch {
    return undefined;
  }
  let n = 0;
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c < 0x30 || c > 0x39) continue;
    try {
      const st = fs.statSync(`${proc}/${name}/task`);
      if (st.uid === uid) n += Math.max(1, st.nlink - 2);
    } catch {
      // exited meanwhile
    }
  }
  return n;
}
