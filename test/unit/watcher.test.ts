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
    const same = async (what: string, settle: () => boolean) => {
      await waitFor(settle, 10_000, what);
      const w = watcher.refresh();
      const full = source.readSubtree(root.pid!);
      assert.deepEqual(sorted(w.processes), sorted(full.processes), what);
      for (const [pid, p] of full.processes) assert.equal(w.processes.get(pid)!.state, p.state, `${what}: state of ${pid}`);
      return w;
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
      await same('re-parented out', () => !childrenOf(root.pid!).includes(middle) || stateOf(middle) !== 'S');
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
    await waitFor(() => childrenOf(root.pid!).length === 2, 5000, 'children');
    const watcher = source.watchSubtree(root.pid!);
    const child = childrenOf(root.pid!)[0];
    const first = watcher.refresh();
    assert.ok(first.processes.has(child));
    process.kill(child, 'SIGKILL');
    await waitFor(() => stateOf(child) === undefined, 5000, 'the sh to reap its child');
    // Hand the same PID to an unrelated process.
    fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(child - 1));
    const stranger = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    try {
      const after = watcher.refresh();
      // Whether or not the stranger got the PID (usually it does), the old child is not a member.
      assert.ok(!after.processes.has(child), `PID ${child} (stranger ${stranger.pid}) is not a member`);
      assert.equal(after.processes.size, 2);
      process.kill(-root.pid!, 'SIGKILL');
      await waitFor(() => stateOf(root.pid!) === undefined, 5000, 'root gone');
      assert.throws(() => watcher.refresh(), /no process with PID/);
    } finally {
      process.kill(-stranger.pid!, 'SIGKILL');
    }
  });
});
