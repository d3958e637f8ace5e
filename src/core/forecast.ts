/**
 * How long until a leaking parent hits the wall: from the history of its zombie count and the
 * limits that apply to it (read by src/platform/limits.ts), the rate at which it leaks and the
 * time until the tightest limit is reached at that rate. Pure: no I/O, the clock is a parameter.
 */
import { formatAge } from './diagnose';

/** Which limit. Each counts tasks (processes and their threads), zombies included until reaped. */
export type LimitKind = 'cgroup-v2' | 'cgroup-v1' | 'rlimit-nproc' | 'pid-max' | 'threads-max';

/**
 * One limit as read. `limited` carries max and current; `unlimited` says so (current may be
 * known); `unreadable` and `not-enforced` carry a reason. Nothing is ever filled in by guess.
 */
export interface LimitReading {
  kind: LimitKind;
  /** What it applies to: a cgroup path (`/pi/leak`), `uid 1000`, `the kernel`. */
  scope: string;
  status: 'limited' | 'unlimited' | 'unreadable' | 'not-enforced';
  max?: number;
  current?: number;
  reason?: string;
}

/** The limits that apply to one process. `unknown` is set where they cannot be read at all. */
export interface ProcessLimits {
  pid: number;
  readings: LimitReading[];
  /** Why nothing could be read (another platform, the process gone). */
  unknown?: string;
}

/** One observation of a parent's zombie count at wall-clock ms `t`. */
export interface Sample {
  t: number;
  count: number;
}

export type Trend = 'leaking' | 'stopped' | 'steady' | 'falling' | 'unknown';

export interface Forecast {
  trend: Trend;
  /** Zombies per second while leaking (0 otherwise). */
  ratePerSecond: number;
  /** The limit reached first at that rate (least headroom), when one is known. */
  tightest?: LimitReading;
  /** Seconds until `tightest` is reached at `ratePerSecond`; 0 when already reached. */
  secondsLeft?: number;
  /** Since the last new zombie, when the trend is `stopped` or `steady`. */
  quietForMs?: number;
  /** One line: `leaks 1 child/s; cgroup /pi's pids.max (30, 12 in use) is reached in about 18 s`. */
  text: string;
}

export interface ForecastOptions {
  /** The rate is measured over the last this many ms of history (default 2 min). */
  windowMs?: number;
  /** A leak with no new zombie for this long (and 3 of its own intervals) has stopped (default 30 s). */
  stopAfterMs?: number;
  /** A rise over less than this is no rate yet: a burst says nothing of the pace (default 1 s). */
  minSpanMs?: number;
}

const LIMIT_NAMES: Record<LimitKind, string> = {
  'cgroup-v2': 'pids.max',
  'cgroup-v1': 'pids.max',
  'rlimit-nproc': 'RLIMIT_NPROC',
  'pid-max': 'kernel.pid_max',
  'threads-max': 'kernel.threads-max',
};

/** Room left under a limit, or undefined when it is not a finite, enforced, fully read one. */
export function headroom(r: LimitReading): number | undefined {
  if (r.status !== 'limited' || r.max === undefined || r.current === undefined) return undefined;
  return r.max - r.current;
}

/** The reading with the least room left (the first of equals, so cgroups win over the kernel). */
export function tightest(limits: ProcessLimits | undefined): LimitReading | undefined {
  let best: LimitReading | undefined;
  for (const r of limits?.readings ?? []) {
    const h = headroom(r);
    if (h !== undefined && (best === undefined || h < headroom(best)!)) best = r;
  }
  return best;
}

/** `cgroup /pi's pids.max (30, 12 in use)`, `RLIMIT_NPROC of uid 1000 (4096, 3870 in use)`. */
export function describeLimit(r: LimitReading): string {
  const name = LIMIT_NAMES[r.kind];
  // `/` with a pids.max is the root of a cgroup namespace: a container's own cgroup.
  const who = r.kind.startsWith('cgroup') ? (r.scope === '/' && r.max !== undefined ? `this container's ${name}` : `cgroup ${r.scope}'s ${name}`) : r.kind === 'rlimit-nproc' ? `${name} of ${r.scope}` : name;
  const use = r.current !== undefined ? `${r.current} in use` : 'use unknown';
  switch (r.status) {
    case 'limited':
      return `${who} (${r.max}, ${use})`;
    case 'unlimited':
      return `${who}: unlimited${r.current !== undefined ? ` (${use})` : r.reason ? ` (${r.reason})` : ''}`;
    case 'not-enforced':
      return `${who}: not enforced${r.reason ? ` (${r.reason})` : ''}`;
    case 'unreadable':
      return `${who}: unreadable${r.reason ? ` (${r.reason})` : ''}`;
  }
}

/** The count at time t: the last sample at or before t (0 before the first). */
export function countAt(samples: readonly Sample[], t: number): number {
  let c = 0;
  for (const s of samples) {
    if (s.t > t) break;
    c = s.count;
  }
  return c;
}

/** `1 child/s`, `12 children/min`, `3 children/h`. */
export function formatRate(perSecond: number): string {
  const [n, unit] = perSecond >= 1 ? [perSecond, 's'] : perSecond * 60 >= 1 ? [perSecond * 60, 'min'] : [perSecond * 3600, 'h'];
  const shown = n >= 10 ? Math.round(n) : Math.round(n * 10) / 10;
  return `${shown} ${shown === 1 ? 'child' : 'children'}/${unit}`;
}

/**
 * The forecast for one parent. `samples` are its zombie counts over time, oldest first (any
 * spacing); `now` is the clock.
 */
export function forecast(samples: readonly Sample[], limits: ProcessLimits | undefined, now: number, options: ForecastOptions = {}): Forecast {
  const windowMs = options.windowMs ?? 120_000;
  const stopAfterMs = options.stopAfterMs ?? 30_000;
  const limit = tightest(limits);
  const inWindow = samples.filter((s) => s.t <= now && s.t >= now - windowMs);
  if (samples.length === 0 || samples[0].t > now) return { trend: 'unknown', ratePerSecond: 0, tightest: limit, text: 'no history yet' };
  // The baseline: the count when the window opened (or the first sample, if history is shorter).
  const base = Math.max(now - windowMs, samples[0].t);
  const baseCount = countAt(samples, base);
  // The last time the count went up, and the count then.
  let lastRise: Sample | undefined;
  let prev = baseCount;
  for (const s of inWindow) {
    if (s.t > base && s.count > prev) lastRise = s;
    prev = s.count;
  }
  const latest = countAt(samples, now);
  if (!lastRise) {
    const span = now - base;
    if (span <= 0) return { trend: 'unknown', ratePerSecond: 0, tightest: limit, text: 'no history yet' };
    if (latest < baseCount) return { trend: 'falling', ratePerSecond: 0, tightest: limit, text: `zombies being reaped (${baseCount} → ${latest} in ${formatAge(span)})` };
    return { trend: 'steady', ratePerSecond: 0, tightest: limit, quietForMs: span, text: `no new zombies in the last ${formatAge(span)}` };
  }
  if (lastRise.t - base < (options.minSpanMs ?? 1000)) {
    return { trend: 'unknown', ratePerSecond: 0, tightest: limit, text: `too little history for a rate (${lastRise.count - baseCount} new within ${formatAge(lastRise.t - base)})` };
  }
  const rate = ((lastRise.count - baseCount) * 1000) / (lastRise.t - base);
  const quiet = now - lastRise.t;
  if (quiet > Math.max(stopAfterMs, 3000 / rate)) {
    return { trend: 'stopped', ratePerSecond: 0, tightest: limit, quietForMs: quiet, text: `leaked ${formatRate(rate)} until ${formatAge(quiet)} ago, none since` };
  }
  const leaks = `leaks ${formatRate(rate)}`;
  if (!limit) {
    const why = limits?.unknown ?? (limits ? 'no finite limit applies' : 'limits not read');
    return { trend: 'leaking', ratePerSecond: rate, text: `${leaks}; ${why}` };
  }
  const room = headroom(limit)!;
  if (room <= 0) return { trend: 'leaking', ratePerSecond: rate, tightest: limit, secondsLeft: 0, text: `${leaks}; ${describeLimit(limit)} is reached: fork fails now` };
  const secondsLeft = room / rate;
  return { trend: 'leaking', ratePerSecond: rate, tightest: limit, secondsLeft, text: `${leaks}; ${describeLimit(limit)} is reached in ${formatLeft(secondsLeft)}` };
}

/** `about 18 s`, `about 4 min`, `about 3 h`. */
export function formatLeft(seconds: number): string {
  if (seconds < 1) return 'under a second';
  return `about ${formatAge(Math.round(seconds) * 1000)}`;
}

/**
 * A history from one look: each zombie's start time is when it took its PID, so the zombies
 * present, sorted by start time, say how the count grew (a parent that never reaps loses none).
 */
export function historyFromStartTimes(zombies: readonly { startTime: number }[], now: number): Sample[] {
  const times = zombies.map((z) => z.startTime).sort((a, b) => a - b);
  const out: Sample[] = times.map((t, i) => ({ t, count: i + 1 }));
  if (out.length === 0 || out[out.length - 1].t < now) out.push({ t: now, count: times.length });
  return out;
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * The count over the last `spanMs` as unicode blocks, one per bucket (the count at its end), from
 * the lowest to the highest value shown; a space where history does not reach yet.
 */
export function sparkline(samples: readonly Sample[], now: number, spanMs = 5 * 60_000, buckets = 30): { line: string; min: number; max: number } {
  const start = now - spanMs;
  const values: (number | undefined)[] = [];
  for (let i = 1; i <= buckets; i++) {
    const t = start + (spanMs * i) / buckets;
    values.push(samples.length && samples[0].t <= t ? countAt(samples, t) : undefined);
  }
  const known = values.filter((v): v is number => v !== undefined);
  const min = known.length ? Math.min(...known) : 0;
  const max = known.length ? Math.max(...known) : 0;
  const line = values.map((v) => (v === undefined ? ' ' : BLOCKS[max === min ? 0 : Math.round(((v - min) / (max - min)) * (BLOCKS.length - 1))])).join('');
  return { line, min, max };
}
