/**
 * Watches a set of roots (one per debug session, or picked by hand) over time. One table read per
 * refresh serves every root. It remembers every process seen under a root, so that when the root
 * exits, what it left behind (orphans re-parented to init or a subreaper, zombies) stays visible.
 */
import { diagnose, type Diagnosis } from './diagnose';
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
}

export class Monitor {
  private readonly roots = new Map<string, Tracked>();

  constructor(private readonly source: ProcessSource) {}

  track(spec: RootSpec): void {
    this.roots.set(spec.key, { ...spec, seen: new Map() });
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
    for (const [key, old] of t.seen) {
      const p = sub.processes.get(old.pid);
      if (!p || identity(p) !== key) return undefined; // someone left: the table tells where to
    }
    return sub;
  }

  private view(t: Tracked, table: Snapshot, now: number | undefined): RootView {
    const current = table.processes.get(t.pid);
    const sameRoot = current && (t.startTicks === undefined || current.startTicks === t.startTicks);
    if (sameRoot && t.startTicks === undefined) t.startTicks = current.startTicks;
    const alive = !!sameRoot && !isZombie(current);
    const processes = new Map<number, ProcessInfo>();
    const orphans: ProcessInfo[] = [];
    if (sameRoot) {
      t.lastRoot = current;
      for (const pid of descendants(table.children, t.pid)) processes.set(pid, table.processes.get(pid)!);
    }
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
    for (const p of processes.values()) t.seen.set(identity(p), p);
    const snapshot: Snapshot = { takenAt: table.takenAt, processes, children: indexChildren(processes), root: t.pid };
    // Details only for live processes: a zombie has no cmdline, exe or wchan worth reading, and
    // a storm of 10,000 would cost 30,000 reads a refresh.
    const live = [...processes.values()].filter((p) => !isZombie(p));
    const gone = this.source.details(live);
    if (gone.length) {
      for (const p of gone) processes.delete(p.pid);
      snapshot.children = indexChildren(processes);
    }
    const related = new Map<number, ProcessInfo>();
    for (const p of live) if (p.tracerPid && !processes.has(p.tracerPid)) {
      const tracer = table.processes.get(p.tracerPid) ?? this.source.readProcess(p.tracerPid);
      if (tracer) related.set(p.tracerPid, tracer);
    }
    return {
      key: t.key,
      pid: t.pid,
      root: sameRoot ? current : t.lastRoot,
      alive,
      snapshot,
      diagnosis: diagnose(snapshot, { now, related }),
      orphans: orphans.filter((o) => o.pid !== t.pid),
    };
  }
}
