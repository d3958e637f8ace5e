import type { ProcessInfo, Snapshot } from './model';

/**
 * Builds the parent -> children index in one pass. A process that names itself as its parent
 * (pid 0 and 1 can, and a corrupt fixture might) is never its own child.
 */
export function indexChildren(processes: Map<number, ProcessInfo>): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const p of processes.values()) {
    if (p.ppid === p.pid) continue;
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  for (const list of children.values()) list.sort((a, b) => a - b);
  return children;
}

export function makeSnapshot(processes: Map<number, ProcessInfo>, root?: number): Snapshot {
  return { takenAt: Date.now(), processes, children: indexChildren(processes), root };
}

/**
 * Every pid under `root` (root included), breadth first. A visited set guards against cycles,
 * which a table read over time can show (a PID reused while the scan ran).
 */
export function descendants(children: Map<number, number[]>, root: number): number[] {
  const seen = new Set<number>([root]);
  const order = [root];
  for (let i = 0; i < order.length; i++) {
    for (const c of children.get(order[i]) ?? []) {
      if (!seen.has(c)) {
        seen.add(c);
        order.push(c);
      }
    }
  }
  return order;
}

/** Restricts a snapshot to `root` and its descendants. */
export function subtree(snapshot: Snapshot, root: number): Snapshot {
  const processes = new Map<number, ProcessInfo>();
  for (const pid of descendants(snapshot.children, root)) {
    const p = snapshot.processes.get(pid);
    if (p) processes.set(pid, p);
  }
  return { takenAt: snapshot.takenAt, processes, children: indexChildren(processes), root };
}

/** The chain of ancestors of `pid`, nearest first, stopping at a cycle or a missing parent. */
export function ancestors(processes: Map<number, ProcessInfo>, pid: number): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  const seen = new Set<number>([pid]);
  let p = processes.get(pid);
  while (p && !seen.has(p.ppid)) {
    const parent = processes.get(p.ppid);
    if (!parent) break;
    out.push(parent);
    seen.add(parent.pid);
    p = parent;
  }
  return out;
}
