/**
 * One inspection: read (a subtree or the table), fill details where they matter, diagnose.
 * Shared by the CLI and the extension so both say the same thing.
 */
import { diagnose, type Diagnosis } from './diagnose';
import type { ProcessInfo, ProcessSource, Snapshot } from './model';
import { isZombie } from './model';
import { indexChildren } from './tree';

export interface InspectOptions {
  /** Read only this process and its descendants. */
  root?: number;
  /** Read details (cmdline, exe, wchan, SIGCHLD...) of every process, not only zombie parents. */
  allDetails?: boolean;
  now?: number;
}

export interface Inspection {
  snapshot: Snapshot;
  diagnosis: Diagnosis;
  /** Tracers of diagnosed parents that live outside the snapshot (e.g. dlv above a subtree). */
  related: Map<number, ProcessInfo>;
}

export function inspect(source: ProcessSource, options: InspectOptions = {}): Inspection {
  const snapshot = options.root !== undefined ? source.readSubtree(options.root) : source.readAll();
  const wanted = new Map<number, ProcessInfo>();
  if (options.allDetails) for (const p of snapshot.processes.values()) wanted.set(p.pid, p);
  else {
    for (const p of snapshot.processes.values()) {
      if (!isZombie(p)) continue;
      const parent = snapshot.processes.get(p.ppid);
      if (parent) wanted.set(parent.pid, parent);
    }
  }
  const gone = source.details(wanted.values());
  if (gone.length) {
    for (const p of gone) snapshot.processes.delete(p.pid);
    snapshot.children = indexChildren(snapshot.processes);
  }
  const related = new Map<number, ProcessInfo>();
  for (const p of wanted.values()) {
    if (p.tracerPid && !snapshot.processes.has(p.tracerPid) && !related.has(p.tracerPid)) {
      const tracer = source.readProcess(p.tracerPid);
      if (tracer) related.set(tracer.pid, tracer);
    }
  }
  return { snapshot, diagnosis: diagnose(snapshot, { now: options.now, related }), related };
}
