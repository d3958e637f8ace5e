/**
 * The forecast on a clock the test controls: histories with timestamps chosen here (a steady
 * leak, no leak, a leak that stopped, a burst, reaping), against limits as the reader reports them
 * (finite, unlimited, unreadable, already reached), and the sparkline drawn from them.
 */
import * as assert from 'node:assert/strict';
import { countAt, forecast, formatRate, historyFromStartTimes, sparkline, tightest, type LimitReading, type ProcessLimits, type Sample } from '../../src/core/forecast';

const T0 = Date.UTC(2026, 11, 2, 3, 0, 0);
/** A leak of `perSecond` children a second, sampled every `every` ms from T0 for `forMs`. */
function leak(perSecond: number, forMs: number, every = 2000, start = 0): Sample[] {
  const out: Sample[] = [];
  for (let t = 0; t <= forMs; t += every) out.push({ t: T0 + t, count: start + Math.floor((t / 1000) * perSecond) });
  return out;
}
const cgroup = (max: number, current: number, scope = '/pi/leak'): LimitReading => ({ kind: 'cgroup-v2', scope, status: 'limited', max, current });
const kernel: LimitReading = { kind: 'pid-max', scope: 'the kernel', status: 'limited', max: 32768, current: 4000 };
const limits = (...readings: LimitReading[]): ProcessLimits => ({ pid: 4711, readings });

describe('forecast', () => {
  it('a steady leak: the rate, the tightest limit and the time left at that rate', () => {
    // 1 child/s for 2 minutes; the container allows 4096 and 3870 are in use: 226 s left.
    const f = forecast(leak(1, 120_000), limits(kernel, cgroup(4096, 3870, '/')), T0 + 120_000);
    assert.equal(f.trend, 'leaking');
    assert.ok(Math.abs(f.ratePerSecond - 1) < 1e-9, `rate ${f.ratePerSecond}`);
    assert.equal(f.tightest?.max, 4096);
    assert.ok(Math.abs(f.secondsLeft! - 226) < 1e-6, `left ${f.secondsLeft}`);
    assert.equal(f.text, "leaks 1 child/s; this container's pids.max (4096, 3870 in use) is reached in about 3 min");
  });

  it('the tightest limit is the one with the least room, not the lowest maximum', () => {
    // The kernel allows 32768 with 32700 in use (68 left); the cgroup 100 with 10 in use (90 left).
    const near: LimitReading = { ...kernel, current: 32700 };
    assert.equal(tightest(limits(cgroup(100, 10), near)), near);
    const f = forecast(leak(2, 60_000), limits(cgroup(100, 10), near), T0 + 60_000);
    assert.ok(Math.abs(f.secondsLeft! - 34) < 1e-6, `left ${f.secondsLeft}`);
    assert.match(f.text, /kernel\.pid_max \(32768, 32700 in use\) is reached in about 34 s/);
  });

  it('no leak: the same count all along is steady, with no time left given', () => {
    const flat = leak(0, 120_000, 2000, 7);
    const f = forecast(flat, limits(cgroup(30, 10)), T0 + 120_000);
    assert.equal(f.trend, 'steady');
    assert.equal(f.ratePerSecond, 0);
    assert.equal(f.secondsLeft, undefined);
    assert.equal(f.text, 'no new zombies in the last 2 min');
  });

  it('a leak that stopped: leaking for a minute, then nothing for a minute', () => {
    const h = [...leak(1, 60_000), ...leak(0, 60_000, 2000, 60).map((s) => ({ ...s, t: s.t + 62_000 }))];
    const f = forecast(h, limits(cgroup(4096, 100)), T0 + 122_000);
    assert.equal(f.trend, 'stopped');
    assert.equal(f.secondsLeft, undefined);
    assert.equal(f.quietForMs, 62_000);
    assert.match(f.text, /^leaked 1 child\/s until 1 min ago, none since$/);
    // The same history seen 10 s after the last new zombie still leaks (3 intervals of 1 s, 30 s floor).
    assert.equal(forecast(h.filter((s) => s.t <= T0 + 70_000), limits(cgroup(4096, 100)), T0 + 70_000).trend, 'leaking');
  });

  it('an unlimited limit: the rate, and that no finite limit applies', () => {
    const unlimited: ProcessLimits = limits({ kind: 'cgroup-v1', scope: '/', status: 'unlimited', reason: 'the root cgroup has no pids limit' }, { kind: 'rlimit-nproc', scope: 'uid 0', status: 'not-enforced', max: 96365, reason: 'root is exempt' });
    const f = forecast(leak(0.5, 120_000), unlimited, T0 + 120_000);
    assert.equal(f.trend, 'leaking');
    assert.equal(f.tightest, undefined);
    assert.equal(f.secondsLeft, undefined);
    assert.equal(f.text, 'leaks 30 children/min; no finite limit applies');
    // And where limits are unknown (another platform), it says why.
    assert.equal(forecast(leak(0.5, 120_000), { pid: 1, readings: [], unknown: 'limits are read on Linux only (this is darwin)' }, T0 + 120_000).text, 'leaks 30 children/min; limits are read on Linux only (this is darwin)');
  });

  it('a limit already reached says fork fails now', () => {
    const f = forecast(leak(1, 60_000), limits(cgroup(30, 30)), T0 + 60_000);
    assert.equal(f.secondsLeft, 0);
    assert.match(f.text, /is reached: fork fails now$/);
  });

  it('a burst within less than a second is no rate; reaping is no leak; no history is no forecast', () => {
    const burst = historyFromStartTimes(Array.from({ length: 800 }, (_, i) => ({ startTime: T0 + i / 10 })), T0 + 200);
    assert.equal(forecast(burst, limits(cgroup(1000, 900)), T0 + 200).trend, 'unknown');
    const reaped = [{ t: T0, count: 50 }, { t: T0 + 10_000, count: 20 }];
    const f = forecast(reaped, limits(cgroup(100, 60)), T0 + 10_000);
    assert.equal(f.trend, 'falling');
    assert.equal(f.secondsLeft, undefined);
    assert.equal(forecast([], undefined, T0).trend, 'unknown');
  });

  it('only the window counts: an old leak then a quiet hour is steady now', () => {
    const h = [...leak(5, 10_000), { t: T0 + 3_600_000, count: 50 }];
    assert.equal(forecast(h, limits(cgroup(4096, 100)), T0 + 3_600_000).trend, 'steady');
  });

  it('a history from start times counts each zombie from when it took its PID', () => {
    const h = historyFromStartTimes([{ startTime: T0 + 3000 }, { startTime: T0 }, { startTime: T0 + 1000 }], T0 + 5000);
    assert.deepEqual(h, [{ t: T0, count: 1 }, { t: T0 + 1000, count: 2 }, { t: T0 + 3000, count: 3 }, { t: T0 + 5000, count: 3 }]);
    assert.equal(countAt(h, T0 + 2500), 2);
    assert.equal(countAt(h, T0 - 1), 0);
  });

  it('rates read as people say them', () => {
    assert.equal(formatRate(1), '1 child/s');
    assert.equal(formatRate(2.54), '2.5 children/s');
    assert.equal(formatRate(0.5), '30 children/min');
    assert.equal(formatRate(1 / 600), '6 children/h');
  });

  it('the sparkline rises with the count, blank where history does not reach', () => {
    const h = leak(1, 150_000, 5000).map((s) => ({ ...s, t: s.t + 150_000 })); // history covers the second half
    const s = sparkline(h, T0 + 300_000, 300_000, 10);
    assert.equal(s.line.length, 10);
    assert.equal(s.line.slice(0, 4), '    ', 'no history in the first 150 s');
    assert.equal(s.line.at(-1), '█');
    assert.equal(s.min, 0);
    assert.equal(s.max, 150);
    const chars = [...s.line.trimStart()];
    for (let i = 1; i < chars.length; i++) assert.ok('▁▂▃▄▅▆▇█'.indexOf(chars[i]) >= '▁▂▃▄▅▆▇█'.indexOf(chars[i - 1]), `falls at ${i}: ${s.line}`);
    assert.equal(sparkline(leak(0, 300_000, 10_000, 4), T0 + 300_000, 300_000, 5).line, '▁▁▁▁▁');
  });
});
