/**
 * Watches a set of roots (one per debug session, or picked by hand) over time. One table read per
 * refresh serves every root. It remembers every process seen under a root, so that when the root
 * exits, what it left behind (orphans re-parented to init or a subreaper, zombies) stays visible.
 */
import { diagnose, type Diagnosis, type ParentDiagnosis } from './diagnose';
import { historyFromStartTimes, type ForecastOptions, type Sample } from './forecast';
import { addForecasts } from './inspect';
import type { ProcessInfo, ProcessSource, Snapshot } from './model';
import { identity, isZombie } from './model';
import { descendants, indexChildren } from './tree';

export interface RootSpec {
  /** Caller's key, e.g. a debug session id. */
  key: string;
  pid: number;
  /** When known, pins the root's identity so a reused PID is never taken for it. */
  startTicks?: number;
}

export interface RootView {
  key: string;
  pid: number;
  /** The root process as last seen (undefined if it was never seen). */
  root?: ProcessInfo;
  /** Still running (a root that is itself a zombie has exited). */
  alive: boolean;
  /** The root's subtree while alive; afterwards, what it left behind and their descendants. */
  snapshot: Snapshot;
  diagnosis: Diagnosis;
  /** Processes seen under the root earlier that now live elsewhere (re-parented): orphans. */
  orphans: ProcessInfo[];
}

interface Tracked extends RootSpec {
  seen: Map<string, ProcessInfo>;
  lastRoot?: ProcessInfo;
  /** Cheap refreshes of the live subtree, where the source has them. */
  watcher?: { refresh(): Snapshot; close(): void };
  /** The root has exited (or its PID was reused): only the table can show what it left. */
  gone?: boolean;
  /** Zombie count over time per parent. */
  history: ZombieHistory;
  /** The process map of the last refresh's read (the watcher's, reused while nothing changed). */
  lastTable?: Map<number, ProcessInfo>;
}

/** How much zombie-count history is kept per parent: the sparkline's span and then some. */
export const HISTORY_MS = 10 * 60_000;
/** A zombie parent whose stat did not change has its details read again after this long. */
export const PARENT_DETAILS_MS = 5000;

export class Monitor {
  private readonly roots = new Map<string, Tracked>();
  /**
   * When each object's details were read. The watcher hands back the same object while its stat
   * reads the same bytes, so an object here needs no new read; zombie parents, whose wchan and
   * SIGCHLD handling make the verdict, are read again after PARENT_DETAILS_MS all the same.
   */
  private readonly detailed = new WeakMap<ProcessInfo, number>();
  /**
   * Whose details are read: every live process (`all`, the view shows them all) or only those
   * on the way to a zombie (`zombie-paths`, the view's "only zombies and their parents" filter).
   * Zombie parents' details are read every refresh whatever this says: the verdict rests on them.
   */
  detailsFor: 'all' | 'zombie-paths' = 'all';
  forecastOptions: ForecastOptions = {};

  constructor(private readonly source: ProcessSource) {}

  track(spec: RootSpec): void {
    this.roots.set(spec.key, { ...spec, seen: new Map(), history: new ZombieHistory() });
  }

  untrack(key: string): void {
    this.roots.get(key)?.watcher?.close();
    this.roots.delete(key);
  }

  /** Closes every watcher (their file descriptors). */
  dispose(): void {
    for (const t of this.roots.values()) t.watcher?.close();
    this.roots.clear();
  }

  has(key: string): boolean {
    return this.roots.has(key);
  }

  get size(): number {
    return this.roots.size;
  }

  /**
   * A view per root. A live root whose members all stay is refreshed through its watcher; the
   * whole table is read (once, for every root that needs it) only when a root has exited or a
   * member left its subtree, to find where the leftovers went.
   */
  refresh(now?: number): RootView[] {
    let table: Snapshot | undefined;
    const getTable = () => (table ??= this.source.readAll());
    const views: RootView[] = [];
    for (const t of this.roots.values()) views.push(this.view(t, this.watched(t) ?? getTable(), now));
    return views;
  }

  /** The root's subtree from its watcher, or undefined when the table is needed. */
  private watched(t: Tracked): Snapshot | undefined {
    if (t.gone || !this.source.watchSubtree) return undefined;
    let sub: Snapshot;
    try {
      t.watcher ??= this.source.watchSubtree(t.pid);
      sub = t.watcher.refresh();
    } catch {
      // ProcessNotFoundError: the root is gone; anything else: fall back to the table.
      t.watcher?.close();
      t.watcher = undefined;
      t.gone = true;
      return undefined;
    }
    const root = sub.processes.get(t.pid);
    if (!root || (t.startTicks !== undefined && root.startTicks !== t.startTicks) || isZombie(root)) {
      t.watcher.close();
      t.watcher = undefined;
      t.gone = true;
      return undefined;
    }
    for (const old of t.seen.values()) {
      const p = sub.processes.get(old.pid);
      if (!p || (p !== old && p.startTicks !== old.startTicks)) return undefined; // someone left: the table tells where to
    }
    return sub;
  }

  private view(t: Tracked, table: Snapshot, now: number | undefined): RootView {
    const current = table.processes.get(t.pid);
    const sameRoot = current && (t.startTicks === undefined || current.startTicks === t.startTicks);
    if (sameRoot && t.startTicks === undefined) t.startTicks = current.startTicks;
    const alive = !!sameRoot && !isZombie(current);
    // From the watcher (see watched()): exactly the live subtree, and every process seen before is
    // in it, so there are no leftovers to look for and its maps serve as they are (never modified:
    // copied below if a process turns out gone).
    const fromWatcher = sameRoot && table.root === t.pid;
    let processes = fromWatcher ? table.processes : new Map<number, ProcessInfo>();
    const orphans: ProcessInfo[] = [];
    if (sameRoot) t.lastRoot = current;
    if (!fromWatcher) {
      if (sameRoot) for (const pid of descendants(table.children, t.pid)) processes.set(pid, table.processes.get(pid)!);
      // Earlier members that are no longer under the root: re-parented orphans and their subtrees.
      for (const [key, old] of t.seen) {
        if (processes.has(old.pid)) continue;
        const now = table.processes.get(old.pid);
        if (!now || identity(now) !== key) {
          t.seen.delete(key); // gone (reaped, or the PID now belongs to someone else)
          continue;
        }
        if (!isZombie(now)) orphans.push(now);
        for (const pid of descendants(table.children, now.pid)) processes.set(pid, table.processes.get(pid)!);
      }
    }
    // The watcher hands back the same map while nothing changed: then seen is up to date already.
    if (table.processes !== t.lastTable) for (const p of processes.values()) if (t.seen.get(identity(p)) !== p) t.seen.set(identity(p), p);
    t.lastTable = table.processes;
    const children = fromWatcher ? table.children : indexChildren(processes);
    const snapshot: Snapshot = { takenAt: table.takenAt, processes, children, root: t.pid };
    // Details only for live processes (a zombie has no cmdline, exe or wchan worth reading, and a
    // storm of 10,000 would cost 30,000 reads a refresh), and of those only the new ones and those
    // whose stat changed (a new object), and of a zombie parent unchanged, every few seconds.
    const parents = new Set<number>();
    for (const p of processes.values()) if (isZombie(p)) parents.add(p.ppid);
    const shown = this.detailsFor === 'all' ? undefined : zombiePaths(processes, parents);
    const live: ProcessInfo[] = [];
    const need: ProcessInfo[] = [];
    const at = now ?? table.takenAt;
    for (const p of processes.values()) {
      if (isZombie(p)) continue;
      live.push(p);
      const readAt = this.detailed.get(p);
      if (readAt === undefined ? !shown || shown.has(p.pid) : parents.has(p.pid) && at - readAt >= PARENT_DETAILS_MS) need.push(p);
    }
    const gone = this.source.details(need);
    for (const p of need) this.detailed.set(p, at);
    if (gone.length) {
      processes = snapshot.processes = new Map(processes);
      for (const p of gone) processes.delete(p.pid);
      snapshot.children = indexChildren(processes);
    }
    const related = new Map<number, ProcessInfo>();
    for (const p of live) if (p.tracerPid && !processes.has(p.tracerPid)) {
      const tracer = table.processes.get(p.tracerPid) ?? this.source.readProcess(p.tracerPid);
      if (tracer) related.set(p.tracerPid, tracer);
    }
    const diagnosis = diagnose(snapshot, { now, related });
    t.history.record(diagnosis.parents, at);
    addForecasts(this.source, diagnosis.parents, (d) => t.history.of(d.parent), at, this.forecastOptions);
    return {
      key: t.key,
      pid: t.pid,
      root: sameRoot ? current : t.lastRoot,
      alive,
      snapshot,
      diagnosis,
      orphans: orphans.filter((o) => o.pid !== t.pid),
    };
  }
}

/**
 * Zombie counts over time, one series per parent (by identity), kept for HISTORY_MS. A parent
 * seen for the first time starts from its zombies' start times (when each took its PID), so the
 * first look already has a history; parents with no zombies any more are forgotten.
 */
export class ZombieHistory {
  private readonly series = new Map<string, Sample[]>();

  /** One sample per parent of this refresh. */
  record(parents: readonly ParentDiagnosis[], now: number): void {
    const keep = new Set<string>();
    for (const d of parents) {
      const key = identity(d.parent);
      keep.add(key);
      let h = this.series.get(key);
      if (!h) this.series.set(key, (h = historyFromStartTimes(d.zombies, now).filter((s) => s.t < now)));
      if (h.length && h[h.length - 1].t > now) continue; // a clock that went back: keep what we have
      h.push({ t: now, count: d.zombies.length });
      let drop = 0;
      while (drop < h.length - 1 && h[drop + 1].t < now - HISTORY_MS) drop++;
      if (drop) h.splice(0, drop);
    }
    for (const key of this.series.keys()) if (!keep.has(key)) this.series.delete(key);
  }

  of(parent: ProcessInfo): Sample[] {
    return this.series.get(identity(parent)) ?? [];
  }
}

/** The zombies' parents and every process above them, within `processes`. */
function zombiePaths(processes: Map<number, ProcessInfo>, parents: Set<number>): Set<number> {
  const keep = new Set<number>();
  for (const pid of parents) {
    let p = processes.get(pid);
    while (p && !keep.has(p.pid)) {
      keep.add(p.pid);
      p = processes.get(p.ppid);
    }
  }
  return keep;
}
