/**
 * The rows of the Processes view, derived from the monitor's RootViews. Ids are stable across
 * refreshes (root key + pid@start), so VS Code keeps expansion and selection.
 */
import type { ParentDiagnosis } from '../core/diagnose';
import type { ProcessInfo } from '../core/model';
import { identity } from '../core/model';
import type { RootView } from '../core/monitor';

/** Children beyond this many are shown in groups, so 10,000 zombies stay responsive. */
export const GROUP_SIZE = 200;

export interface SpawnSiteRef {
  file: string;
  line: number;
  column: number;
  /** End of the spawning call (1-based, exclusive), when known: what gets selected. */
  endLine?: number;
  endColumn?: number;
  /** `recorded`: the program's runtime wrote down this line when it started the child; the others are inferred. */
  confidence: 'recorded' | 'likely' | 'possible';
  reason: string;
  /** The API that started the child, e.g. `exec.Cmd.Start`, `fork`, `syscall.forkExec` (recorded). */
  api?: string;
  /** Recorded only: the user's part of the call stack, innermost first (the site is the first frame). */
  stack?: { file: string; line: number; function?: string }[];
}

export interface RootInfo {
  key: string;
  label: string;
  /** Tooltip text on how the root was found. */
  how: string;
  ended: boolean;
  /** Debug sessions: whether spawns are recorded (undefined: nothing was tried, e.g. an unknown debug type). */
  recording?: boolean;
  view?: RootView;
  /** Shown instead of processes (e.g. "looking for the debugged process…"). */
  message?: string;
}

export type Node =
  | { kind: 'root'; id: string; root: RootInfo }
  | { kind: 'process'; id: string; rootKey: string; process: ProcessInfo; parentId: string; diagnosis?: ParentDiagnosis; site?: SpawnSiteRef }
  | { kind: 'group'; id: string; rootKey: string; parentId: string; pids: number[]; from: number; zombies: number }
  | { kind: 'orphans'; id: string; rootKey: string; parentId: string }
  | { kind: 'message'; id: string; parentId: string; text: string };

/** Builds the node index for one refresh: id -> node, and parent id -> child ids. */
export class NodeIndex {
  readonly nodes = new Map<string, Node>();
  readonly children = new Map<string, string[]>();
  readonly roots: string[] = [];
  /** root key -> pid -> node id (for reveal). */
  private readonly byPid = new Map<string, Map<number, string>>();

  constructor(
    roots: RootInfo[],
    private readonly onlyZombies: boolean,
    private readonly siteFor: (process: ProcessInfo, parent: ProcessInfo | undefined, rootKey: string) => SpawnSiteRef | undefined,
  ) {
    for (const r of roots) this.addRoot(r);
  }

  nodeFor(rootKey: string, pid: number): Node | undefined {
    const id = this.byPid.get(rootKey)?.get(pid);
    return id ? this.nodes.get(id) : undefined;
  }

  parentOf(node: Node): Node | undefined {
    return node.kind === 'root' ? undefined : this.nodes.get(node.parentId);
  }

  private add(node: Node, parentId?: string): void {
    this.nodes.set(node.id, node);
    if (parentId === undefined) this.roots.push(node.id);
    else {
      const list = this.children.get(parentId);
      if (list) list.push(node.id);
      else this.children.set(parentId, [node.id]);
    }
  }

  private addRoot(r: RootInfo): void {
    const id = `root:${r.key}`;
    this.add({ kind: 'root', id, root: r });
    this.byPid.set(r.key, new Map());
    const v = r.view;
    if (!v) {
      if (r.message) this.add({ kind: 'message', id: `${id}/message`, parentId: id, text: r.message }, id);
      return;
    }
    const keep = this.onlyZombies ? this.zombiePaths(v) : undefined;
    const diagnoses = new Map(v.diagnosis.parents.map((d) => [d.parent.pid, d]));
    const tops: number[] = [];
    if (v.snapshot.processes.has(v.pid)) tops.push(v.pid);
    const orphanTops = [...v.snapshot.processes.values()].filter((p) => p.pid !== v.pid && !v.snapshot.processes.has(p.ppid)).map((p) => p.pid);
    for (const pid of tops) this.addProcess(r.key, pid, id, v, diagnoses, keep);
    if (orphanTops.length && (!keep || orphanTops.some((p) => keep.has(p)))) {
      const oid = `${id}/orphans`;
      this.add({ kind: 'orphans', id: oid, rootKey: r.key, parentId: id }, id);
      for (const pid of orphanTops) this.addProcess(r.key, pid, oid, v, diagnoses, keep);
    }
    if (r.ended && !tops.length && !orphanTops.length) this.add({ kind: 'message', id: `${id}/clean`, parentId: id, text: 'Exited; left nothing behind.' }, id);
    else if (keep && keep.size === 0) this.add({ kind: 'message', id: `${id}/none`, parentId: id, text: 'No zombies.' }, id);
  }

  /** Zombies and every process above them: what "only zombies and their parents" shows. */
  private zombiePaths(v: RootView): Set<number> {
    const keep = new Set<number>();
    for (const z of v.diagnosis.zombies) {
      let p: ProcessInfo | undefined = z;
      while (p && !keep.has(p.pid)) {
        keep.add(p.pid);
        p = v.snapshot.processes.get(p.ppid);
      }
    }
    return keep;
  }

  private addProcess(rootKey: string, pid: number, parentId: string, v: RootView, diagnoses: Map<number, ParentDiagnosis>, keep: Set<number> | undefined): void {
    const p = v.snapshot.processes.get(pid);
    if (!p || (keep && !keep.has(pid)) || this.byPid.get(rootKey)!.has(pid)) return;
    const id = `p:${rootKey}/${identity(p)}`;
    const parent = v.snapshot.processes.get(p.ppid);
    // Every process may have a recorded site (an orphan still running too); zombies also an inferred one.
    const site = p.pid !== v.pid ? this.siteFor(p, parent, rootKey) : undefined;
    this.add({ kind: 'process', id, rootKey, process: p, parentId, diagnosis: diagnoses.get(pid), site }, parentId);
    this.byPid.get(rootKey)!.set(pid, id);
    const kids = (v.snapshot.children.get(pid) ?? []).filter((c) => !keep || keep.has(c));
    if (kids.length <= GROUP_SIZE) {
      for (const c of kids) this.addProcess(rootKey, c, id, v, diagnoses, keep);
      return;
    }
    for (let from = 0; from < kids.length; from += GROUP_SIZE) {
      const slice = kids.slice(from, from + GROUP_SIZE);
      const gid = `${id}/group:${from}`;
      const zombies = slice.filter((c) => v.snapshot.processes.get(c)?.state === 'Z').length;
      this.add({ kind: 'group', id: gid, rootKey, parentId: id, pids: slice, from, zombies }, id);
      for (const c of slice) this.addProcess(rootKey, c, gid, v, diagnoses, keep);
    }
  }
}
