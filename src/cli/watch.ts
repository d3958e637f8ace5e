/**
 * `process-inspector watch [--root PID]`: a live terminal view of each guilty parent's zombie
 * count, its history (a sparkline) and the forecast to its tightest limit, redrawn every
 * interval until Ctrl-C. With --root it refreshes like the extension's view (a Monitor: the
 * subtree kept open, details of new processes only); without, it inspects the whole machine.
 */
import { parseArgs } from 'node:util';
import type { Diagnosis } from '../core/diagnose';
import { formatAge } from '../core/diagnose';
import { sparkline } from '../core/forecast';
import { limitsLine, processLine } from '../core/format';
import { addForecasts, inspect } from '../core/inspect';
import { ProcessNotFoundError, type ProcessSource } from '../core/model';
import { Monitor, ZombieHistory } from '../core/monitor';
import { UsageError, type Io } from './main';

export const WATCH_USAGE_LINE = `  watch   [--root PID] [--interval MS]   a live view: zombies per parent, their count over the last
                                         minutes and when the tightest limit is reached; Ctrl-C ends it`;

export const WATCH_USAGE = `Usage: process-inspector watch [--root PID] [--interval MS] [--count N] [--proc DIR]

Redraws, every interval, each parent that does not reap its zombies: the count, a sparkline of it
over the last 5 minutes, the leak rate and the time until the tightest limit on its tasks is
reached (cgroup pids.max, RLIMIT_NPROC, kernel.pid_max, kernel.threads-max). Ends on Ctrl-C.

Options:
  --root PID       only PID and its descendants (refreshed as the extension's view does)
  --interval MS    between refreshes (default 2000, at least 100)
  --count N        stop after N refreshes (for scripts; default: until Ctrl-C)
  --proc DIR       read procfs mounted at DIR (Linux; default /proc)
`;

/** The span of the sparkline. */
const SPARK_MS = 5 * 60_000;

/** One frame of the view, as text. */
export function renderWatch(diagnosis: Diagnosis, now: number, heading: string): string {
  const out = [`${heading}    ${new Date(now).toLocaleTimeString()}`];
  const n = diagnosis.zombies.length;
  out.push(n ? `${n} zombie${n === 1 ? '' : 's'} under ${diagnosis.parents.length} parent${diagnosis.parents.length === 1 ? '' : 's'}` : 'No zombies.');
  for (const d of diagnosis.parents) {
    out.push('', `${processLine(d.parent, now)}   ${d.zombies.length} zombie${d.zombies.length === 1 ? '' : 's'}`);
    if (d.history?.length) {
      const s = sparkline(d.history, now, SPARK_MS);
      out.push(`  ${s.line}  last ${formatAge(SPARK_MS)}: ${s.min} to ${s.max}`);
    }
    if (d.forecast) out.push(`  ${d.forecast.text}`);
    if (d.limits) out.push(`  ${limitsLine(d.limits)}`);
  }
  return out.join('\n');
}

export interface WatchOptions {
  /** Ends the view (Ctrl-C does by default). */
  signal?: AbortSignal;
  /** Redraw in place (clear the screen); default: when stdout is a terminal. */
  tty?: boolean;
}

export async function watchCommand(argv: string[], io: Io, makeSource: (procRoot?: string) => ProcessSource, options: WatchOptions = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      root: { type: 'string' },
      interval: { type: 'string' },
      count: { type: 'string' },
      proc: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(WATCH_USAGE);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])} (watch takes options only)`);
  const whole = (name: string, v: string | undefined, min: number) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v))) throw new UsageError(`--${name} wants a whole number of at least ${min}, not ${JSON.stringify(v)}`);
    return Number(v);
  };
  const root = whole('root', values.root, 0);
  const interval = whole('interval', values.interval, 100) ?? 2000;
  const count = whole('count', values.count, 1) ?? Infinity;
  const source = makeSource(values.proc);
  const tty = options.tty ?? process.stdout.isTTY === true;

  let monitor: Monitor | undefined;
  const history = new ZombieHistory();
  let heading = `process-inspector watch: the whole machine, every ${formatAge(interval)}${count === Infinity ? '; Ctrl-C ends it' : ''}`;
  if (root !== undefined) {
    if (!source.readProcess(root)) throw new ProcessNotFoundError(root);
    monitor = new Monitor(source);
    monitor.track({ key: 'watch', pid: root });
    heading = `process-inspector watch: under ${root}, every ${interval < 1000 ? `${interval} ms` : formatAge(interval)}${count === Infinity ? '; Ctrl-C ends it' : ''}`;
  }
  const frame = (): string => {
    const now = Date.now();
    if (monitor) {
      const [v] = monitor.refresh(now);
      return renderWatch(v.diagnosis, now, v.alive ? heading : `${heading} (PID ${root} has exited: what it left behind)`);
    }
    const { diagnosis } = inspect(source, { now });
    history.record(diagnosis.parents, now);
    addForecasts(source, diagnosis.parents, (d) => history.of(d.parent), now);
    return renderWatch(diagnosis, now, heading);
  };

  // Ctrl-C (or the caller's signal) ends the wait between frames; the last frame stays on screen.
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  options.signal?.addEventListener('abort', onSigint, { once: true });
  try {
    for (let i = 0; i < count && !stop.signal.aborted; i++) {
      const text = frame();
      io.stdout(tty ? `\x1b[H\x1b[2J${text}\n` : `${text}\n\n`);
      if (i + 1 < count) await sleep(interval, stop.signal);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    monitor?.dispose();
  }
  return 0;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
