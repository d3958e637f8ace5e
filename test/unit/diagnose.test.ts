/**
 * The verdicts, on processes built from /proc files captured from real systems
 * (test/fixtures/proc), so each case is one the kernel really produced.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diagnose, formatAge } from '../../src/core/diagnose';
import type { ProcessInfo } from '../../src/core/model';
import { makeSnapshot } from '../../src/core/tree';
import { decodeWaitStatus, parseStat, parseStatus } from '../../src/platform/procfs';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/proc');

function captured(name: string, overrides: Partial<ProcessInfo> = {}): ProcessInfo {
  const s = parseStat(fs.readFileSync(path.join(FIXTURES, name, 'stat')));
  const st = parseStatus(fs.readFileSync(path.join(FIXTURES, name, 'status'), 'utf8'));
  const wchan = fs.readFileSync(path.join(FIXTURES, name, 'wchan'), 'latin1').trim();
  return {
    pid: s.pid, ppid: s.ppid, pgid: s.pgid, sid: s.sid, state: s.state, comm: s.comm, threads: s.threads,
    startTicks: s.startTicks, startTime: s.startTicks * 10,
    exit: s.state === 'Z' ? decodeWaitStatus(s.exitStatus ?? 0) : undefined,
    uid: st.uid, tracerPid: st.tracerPid, nspid: st.nspid, sigchld: st.sigchld, wchan: wchan && wchan !== '0' ? wchan : undefined,
    ...overrides,
  };
}

function zombieOf(parent: ProcessInfo, pid: number, ageTicks: number): ProcessInfo {
  return { ...captured('zombie-paren-comm'), pid, ppid: parent.pid, startTicks: parent.startTicks + ageTicks, startTime: (parent.startTicks + ageTicks) * 10 };
}

describe('diagnosis on captured processes', () => {
  it('a Python parent asleep with SIGCHLD default never calls wait', () => {
    const parent = captured('python-parent-sleeping');
    const zs = [zombieOf(parent, 90001, 100), zombieOf(parent, 90002, 200)];
    const d = diagnose(makeSnapshot(new Map([parent, ...zs].map((p) => [p.pid, p]))), { now: zs[0].startTime + 12 * 60_000 });
    assert.equal(d.parents.length, 1);
    assert.equal(d.parents[0].cause, 'never-waits');
    assert.equal(d.parents[0].verdict, '2 unreaped children, oldest 12 min; parent blocked in hrtimer_nanosleep, SIGCHLD default: it never calls wait');
    assert.deepEqual(d.zombies.map((z) => z.pid), [90001, 90002]);
  });

  it('a Go parent catches SIGCHLD (the runtime does) but its code never waits', () => {
    const parent = captured('go-parent-running');
    const d = diagnose(makeSnapshot(new Map([parent, zombieOf(parent, 90003, 5)].map((p) => [p.pid, p]))), { now: parent.startTime + 3000 });
    assert.equal(d.parents[0].cause, 'handler-does-not-reap');
    assert.match(d.parents[0].verdict, /^1 unreaped child, oldest \d+ s; parent blocked in do_epoll_wait, SIGCHLD caught: its SIGCHLD handler does not reap them/);
  });

  it('a Go parent paused by Delve names the debugger', () => {
    const parent = captured('go-paused-by-dlv');
    const dlv: ProcessInfo = { ...captured('python-parent-sleeping'), pid: parent.tracerPid!, comm: 'dlv' };
    const d = diagnose(makeSnapshot(new Map([parent, zombieOf(parent, 90004, 1)].map((p) => [p.pid, p]))), { related: new Map([[dlv.pid, dlv]]) });
    assert.equal(d.parents[0].cause, 'paused-by-debugger');
    assert.match(d.parents[0].verdict, /parent paused by debugger dlv \(20290\).*: it cannot reap while paused/);
  });

  it('PID 1 that does not reap, SIG_IGN, SIGCHLD blocked, and a parent in wait for another child', () => {
    const base = captured('python-parent-sleeping');
    const cases: [Partial<ProcessInfo>, string][] = [
      [{ pid: 1, ppid: 0 }, 'init-does-not-reap'],
      [{ nspid: [4242, 1] }, 'init-does-not-reap'],
      [{ sigchld: { disposition: 'ignored', blocked: false } }, 'zombies-predate-sig-ign'],
      [{ sigchld: { disposition: 'caught', blocked: true } }, 'sigchld-blocked'],
      [{ wchan: 'do_wait' }, 'waits-for-another-child'],
      [{ state: 'T', tracerPid: 0 }, 'stopped'],
      [{ state: 'Z' }, 'parent-is-zombie'],
    ];
    for (const [o, cause] of cases) {
      const parent = { ...base, ...o };
      const d = diagnose(makeSnapshot(new Map([parent, zombieOf(parent, 90005, 1)].map((p) => [p.pid, p]))));
      assert.equal(d.parents[0].cause, cause, JSON.stringify(o));
    }
  });

  it('a zombie whose parent is outside the snapshot is listed once, as orphaned', () => {
    const z = captured('zombie-newline-comm');
    const d = diagnose(makeSnapshot(new Map([[z.pid, z]])));
    assert.deepEqual(d.zombies.map((x) => x.pid), [z.pid]);
    assert.deepEqual(d.orphanedZombies.map((x) => x.pid), [z.pid]);
    assert.equal(d.parents.length, 0);
  });

  it('formats ages for people', () => {
    assert.deepEqual([0, 59_999, 60_000, 3_600_000, 3_660_000, 86_400_000, 90_000_000].map(formatAge), ['0 s', '59 s', '1 min', '1 h', '1 h 1 min', '1 d', '1 d 1 h']);
  });
});
