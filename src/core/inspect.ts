/**
 * One inspection: read (a subtree or the table), fill details where they matter, diagnose.
 * Shared by the CLI and the extension so both say the same thing.
 */
import { diagnose, type Diagnosis, type ParentDiagnosis } from './diagnose';
import { forecast, historyFromStartTimes, type ForecastOptions, type ProcessLimits, type Sample } from './forecast';
import type { ProcessInfo, ProcessSource, Snapshot } from './model';
import { isZombie } from './model';
import { indexChildren } from './tree';

export interface InspectOptions {
  /** Read only this process and its descendants. */
  root?: number;
  /** Read details (cmdline, exe, wchan, SIGCHLD...) of every process, not only zombie parents. */
  allDetails?: boolean;
  now?: number;
  /** Read each zombie parent's limits and forecast from its zombies' start times (the CLI). */
  forecast?: boolean;
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
  const diagnosis = diagnose(snapshot, { now: options.now, related });
  if (options.forecast) {
    const now = options.now ?? snapshot.takenAt;
    addForecasts(source, diagnosis.parents, (d) => historyFromStartTimes(d.zombies, now), now);
  }
  return { snapshot, diagnosis, related };
}

/** What a source says of limits where it reads none (macOS, Windows). */
export function limitsOf(source: ProcessSource, p: ProcessInfo): ProcessLimits {
  return source.readLimits ? source.readLimits(p.pid, p.uid, p.startTicks) : { pid: p.pid, readings: [], unknown: `limits are read on Linux only (this is ${source.platform})` };
}

/**
 * Reads each parent's limits, forecasts from its history, and when it leaks adds the forecast to
 * its verdict. Shared by the CLI (history from start times) and the monitor (history it kept).
 */
export function addForecasts(source: ProcessSource, parents: ParentDiagnosis[], historyOf: (d: ParentDiagnosis) => Sample[], now: number, options?: ForecastOptions): void {
  for (const d of parents) {
    d.limits = limitsOf(source, d.parent);
    d.history = historyOf(d);
    d.forecast = forecast(d.history, d.limits, now, options);
    if (d.forecast.trend === 'leaking') d.verdict += `; ${d.forecast.text}`;
  }
}
