/**
 * SubtreeWatcher against the plain full scan, on real processes: children added at any depth,
 * exits, zombies, re-parenting out of the subtree, threads (which take PIDs too), and a PID reused
 * by a process outside. After each step the two must list the same processes.
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { LinuxProcessSource } from '../../src/platform/linux';
import { childrenOf, killAll, PYTHON, stateOf, waitFor } from '../support/procs';

const sorted = (m: Map<number, unknown>) => [...m.keys()].sort((a, b) => a - b);

describe('SubtreeWatcher on real processes', function () {
  this.timeout(60_000);
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });
  afterEach(killAll);

  it('follows a subtree through spawns, threads, zombies and exits with few full scans', async () => {
    // A shell that runs each line it reads: the test drives what happens under the root.
    const root = spawn('sh', [], { detached: true, stdio: ['pipe', 'ignore', 'inherit'] });
    const run = (line: string) => root.stdin.write(`${line}\n`);
    const source = new LinuxProcessSource();
    const watcher = source.watchSubtree(root.pid!);
    // The watcher's snapshot against a full read taken just after it. The members, their start
    // times and parents must match on every try: nothing is created or re-parented once a step
    // has settled. State, comm and thread count may legitimately move between the two reads (the
    // root sh is still running, R, right after it forked; a child may not have exec'd yet), so
    // those are compared again, with a new refresh, until they agree (a bounded number of tries:
    // a watcher that keeps a stale state, e.g. S for a process now Z, still fails).
    const same = async (what: string, settle: () => boolean) => {
      await waitFor(settle, 20_000, what);
      for (let attempt = 1; ; attempt++) {
        const w = watcher.refresh();
        const full = source.readSubtree(root.pid!);
        assert.deepEqual(sorted(w.processes), sorted(full.processes), what);
        const moved: string[] = [];
        for (const [pid, p] of full.processes) {
          const q = w.processes.get(pid)!;
          assert.equal(q.startTicks, p.startTicks, `${what}: start time of ${pid}`);
          assert.equal(q.ppid, p.ppid, `${what}: parent of ${pid}`);
          if (q.state !== p.state) moved.push(`state of ${pid} '${q.state}' vs '${p.state}'`);
          if (q.comm !== p.comm) moved.push(`comm of ${pid} '${q.comm}' vs '${p.comm}'`);
          if (q.threads !== p.threads) moved.push(`threads of ${pid} ${q.threads} vs ${p.threads}`);
        }
        if (moved.length === 0) return w;
        if (attempt === 50) assert.fail(`${what}: the watcher and a full read still differ after ${attempt} tries: ${moved.join(', ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await same('start', () => stateOf(root.pid!) !== undefined);
      run('sleep 60 &');
      await same('a child', () => childrenOf(root.pid!).length === 1);
      run(`sh -c 'sleep 61 & sleep 62 & wait' &`);
      await same('grandchildren', () => childrenOf(root.pid!).length === 2 && childrenOf(childrenOf(root.pid!)[1]).length === 2);
      // 40 threads in a member: their IDs come from the same PID space, but they are not processes.
      run(`${PYTHON} -c 'import threading,time; [threading.Thread(target=time.sleep,args=(60,)).start() for _ in range(40)]; time.sleep(60)' &`);
      let py = 0;
      const w = await same('threads', () => {
        py = childrenOf(root.pid!).find((c) => /python/.test(fs.readFileSync(`/proc/${c}/comm`, 'latin1'))) ?? 0;
        return py > 0 && fs.readdirSync(`/proc/${py}/task`).length >= 41;
      });
      assert.equal(w.processes.get(py)?.threads, 41);
      // A zombie: `true` exits and sh, busy in `read`, has not reaped it yet... sh reaps on the
      // next command, so make the zombie under a process that never waits instead.
      run(`sh -c 'true & exec sleep 63' &`);
      await same('a zombie', () => [...source.readSubtree(root.pid!).processes.values()].some((p) => p.state === 'Z'));
      // The middle shell exits (killed): its two sleeps are re-parented out of the subtree.
      const middle = childrenOf(root.pid!)[1];
      process.kill(middle, 'SIGKILL');
      // Settled once the middle shell is a zombie or reaped: it has then re-parented its sleeps.
      // (Right after the kill it is R, woken to die, and may still have them for a while.)
      await same('re-parented out', () => {
        const st = stateOf(middle);
        return st === 'Z' || st === undefined || !childrenOf(root.pid!).includes(middle);
      });
      const scansBefore = watcher.fullScans;
      for (let i = 0; i < 5; i++) await same(`steady ${i}`, () => true);
      assert.equal(watcher.fullScans, scansBefore, 'no full scan while only a few PIDs are handed out');
      assert.ok(watcher.fullScans <= 2, `full scans: ${watcher.fullScans}`);
    } finally {
      watcher.close();
      process.kill(-root.pid!, 'SIGKILL');
    }
  });

  it('says "no process" once the root is gone, and never takes a reused PID for a member', async function () {
    if (process.getuid?.() !== 0) this.skip(); // forcing PID reuse writes ns_last_pid
    const root = spawn('sh', ['-c', 'sleep 60 & sleep 61 & wait'], { detached: true, stdio: 'ignore' });
    const source = new LinuxProcessSource();
    await waitFor(() => childrenOf(root.pid!).length === 2, 20_000, 'children');
    const watcher = source.watchSubtree(root.pid!);
    const child = childrenOf(root.pid!)[0];
    const first = watcher.refresh();
    assert.ok(first.processes.has(child));
    process.kill(child, 'SIGKILL');
    await waitFor(() => stateOf(child) === undefined, 20_000, 'the sh to reap its child');
    // Hand the same PID to an unrelated process.
    fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(child - 1));
    const stranger = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    try {
      const after = watcher.refresh();
      // Whether or not the stranger got the PID (usually it does), the old child is not a member.
      assert.ok(!after.processes.has(child), `PID ${child} (stranger ${stranger.pid}) is not a member`);
      assert.equal(after.processes.size, 2);
      process.kill(-root.pid!, 'SIGKILL');
      await waitFor(() => stateOf(root.pid!) === undefined, 20_000, 'root gone');
      assert.throws(() => watcher.refresh(), /no process with PID/);
    } finally {
      process.kill(-stranger.pid!, 'SIGKILL');
    }
  });
});
