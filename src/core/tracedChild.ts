/**
 * The last way to find a debugged program when the adapter says nothing (Delve 1.20 sends no
 * `process` event): it is the process a debugger traces. Among the descendants of `ancestor`
 * (the extension host, which starts the adapters), find a process started after the session
 * began whose TracerPid names a thread of another descendant.
 */
import type { ProcessInfo, ProcessSource, Snapshot } from './model';
import { isZombie } from './model';
import { descendants } from './tree';

export function findTracedChild(source: ProcessSource, table: Snapshot, ancestor: number, sinceMs: number, claimed: ReadonlySet<number>): ProcessInfo | undefined {
  const members = new Set(descendants(table.children, ancestor));
  // Start times are in 10 ms ticks and the session's clock is the caller's: allow a second of slack.
  const candidates = [...members]
    .map((pid) => table.processes.get(pid)!)
    .filter((p) => p && !isZombie(p) && !claimed.has(p.pid) && p.startTime >= sinceMs - 1000);
  source.details(candidates);
  let best: ProcessInfo | undefined;
  for (const p of candidates) {
    if (!p.tracerPid) continue;
    // TracerPid is a thread ID; a thread's stat names its process's parent, and a main
    // thread's ID is its process's PID.
    const tracer = source.readProcess(p.tracerPid);
    const tracerInside = members.has(p.tracerPid) || (tracer !== undefined && members.has(tracer.ppid));
    if (tracerInside && (!best || p.startTicks > best.startTicks)) best = p;
  }
  return best;
}
