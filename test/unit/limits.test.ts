/**
 * The limits reader: on files captured from real machines (cgroup v1 nested pids cgroups, the
 * root cgroup, no cgroup filesystem; cgroup v2 as systemd and a container lay it out), then on a
 * real cgroup with a low pids.max filled by a real leaking process: the reader, the forecast and
 * the verdict (view and CLI) must name the limit, its use and a finite time left before fork
 * fails (pids.events counts the failures). The same for RLIMIT_NPROC of an unprivileged user.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LimitReading } from '../../src/core/forecast';
import { describeLimit, tightest } from '../../src/core/forecast';
import { Monitor } from '../../src/core/monitor';
import { LinuxProcessSource } from '../../src/platform/linux';
import { LinuxLimitsReader, parseCgroupFile, parseMountinfo, parseNprocLimit } from '../../src/platform/limits';
import { killAll, PYTHON, REPO, runCli, startGroup, waitFor } from '../support/procs';

const FIXTURES = path.join(REPO, 'test/fixtures/proc/limits');
const LEAKER = path.join(REPO, 'test/fixtures/programs/pid_leaker.py');

function fixture(name: string, countTasks?: (uid: number) => number | undefined) {
  const root = path.join(FIXTURES, name);
  const pid = Number(fs.readFileSync(path.join(root, 'pid'), 'utf8'));
  return new LinuxLimitsReader({ root, countTasks: countTasks ?? (() => undefined) }).read(pid);
}
const byKind = (readings: LimitReading[], kind: string) => readings.filter((r) => r.kind === kind);

describe('limits from captured files', () => {
  it('cgroup v1: every level of the pids hierarchy, the ancestor with the limit the tightest', () => {
    const l = fixture('v1');
    assert.equal(l.unknown, undefined);
    assert.deepEqual(byKind(l.readings, 'cgroup-v1'), [
      { kind: 'cgroup-v1', scope: '/pi-outer/pi-inner', status: 'unlimited', current: 1 },
      { kind: 'cgroup-v1', scope: '/pi-outer', status: 'limited', max: 50, current: 1 },
    ]);
    assert.equal(byKind(l.readings, 'cgroup-v2').length, 0, 'the hybrid v2 hierarchy has no pids controller: not reported');
    assert.deepEqual(byKind(l.readings, 'rlimit-nproc'), [{ kind: 'rlimit-nproc', scope: 'uid 0', status: 'not-enforced', max: 96365, reason: 'root is exempt' }]);
    assert.deepEqual(byKind(l.readings, 'pid-max')[0], { kind: 'pid-max', scope: 'the kernel', status: 'limited', max: 32768, current: 4351 });
    assert.equal(byKind(l.readings, 'threads-max')[0].max, 192730);
    assert.equal(describeLimit(tightest(l)!), "cgroup /pi-outer's pids.max (50, 1 in use)");
  });

  it('the root cgroup: no pids limit, said so; the kernel is the tightest', () => {
    const l = fixture('root-cgroup');
    assert.deepEqual(byKind(l.readings, 'cgroup-v1'), [{ kind: 'cgroup-v1', scope: '/', status: 'unlimited', reason: 'the root cgroup has no pids limit' }]);
    assert.equal(tightest(l)?.kind, 'pid-max');
  });

  it('no cgroup filesystem mounted: unreadable, with the reason', () => {
    const l = fixture('no-cgroupfs');
    const cg = l.readings.filter((r) => r.kind.startsWith('cgroup'));
    assert.equal(cg.length, 1);
    assert.equal(cg[0].status, 'unreadable');
    assert.equal(cg[0].reason, 'no cgroup hierarchy with a pids controller is mounted');
  });

  it('cgroup v2 under systemd: the scope is the tightest of five levels; RLIMIT_NPROC against the count of the uid', () => {
    const counted: number[] = [];
    const l = fixture('v2-systemd', (uid) => (counted.push(uid), 3990));
    const v2 = byKind(l.readings, 'cgroup-v2');
    assert.deepEqual(v2.map((r) => [r.scope, r.status, r.max, r.current]), [
      ['/user.slice/user-1000.slice/user@1000.service/app.slice/leak.scope', 'limited', 4096, 3870],
      ['/user.slice/user-1000.slice/user@1000.service/app.slice', 'unlimited', undefined, 3875],
      ['/user.slice/user-1000.slice/user@1000.service', 'unlimited', undefined, 3890],
      ['/user.slice/user-1000.slice', 'limited', 38554, 3902],
      ['/user.slice', 'unlimited', undefined, 3910],
    ]);
    assert.deepEqual(counted, [1000]);
    assert.deepEqual(byKind(l.readings, 'rlimit-nproc'), [{ kind: 'rlimit-nproc', scope: 'uid 1000', status: 'limited', max: 127480, current: 3990 }]);
    assert.equal(describeLimit(tightest(l)!), "cgroup /user.slice/user-1000.slice/user@1000.service/app.slice/leak.scope's pids.max (4096, 3870 in use)");
  });

  it("cgroup v2 in a container with its own cgroup namespace: this container's pids.max", () => {
    const l = fixture('v2-container');
    assert.deepEqual(byKind(l.readings, 'cgroup-v2'), [{ kind: 'cgroup-v2', scope: '/', status: 'limited', max: 4096, current: 3870 }]);
    assert.deepEqual(byKind(l.readings, 'rlimit-nproc')[0].status, 'unlimited');
    assert.equal(describeLimit(tightest(l)!), "this container's pids.max (4096, 3870 in use)");
  });

  it('a process whose files are gone: unknown, never guessed', () => {
    const l = new LinuxLimitsReader({ root: path.join(FIXTURES, 'v1') }).read(999_999);
    assert.deepEqual(l.readings, []);
    assert.match(l.unknown!, /cgroup cannot be read/);
  });

  it('parsers: cgroup lines with several controllers, escaped mount points, limits lines', () => {
    const m = parseCgroupFile('12:cpu,cpuacct:/a\n3:pids:/b c\n0::/d\n');
    assert.equal(m.v1.get('cpuacct'), '/a');
    assert.equal(m.v1.get('pids'), '/b c');
    assert.equal(m.v2, '/d');
    const [mount] = parseMountinfo('40 31 0:36 /x /sys/fs/cgroup/my\\040pids rw - cgroup cgroup rw,pids\n');
    assert.deepEqual(mount, { root: '/x', mountPoint: '/sys/fs/cgroup/my pids', version: 1, controllers: ['rw', 'pids'] });
    assert.equal(parseNprocLimit('Max processes             unlimited            unlimited            processes\n'), 'unlimited');
    assert.equal(parseNprocLimit('Max processes             63704                63704                processes\n'), 63704);
    assert.equal(parseNprocLimit('Max open files 1024 4096 files\n'), undefined);
  });
});

/** The pids.events failure counter of a v1 pids cgroup. */
function forkFailures(dir: string): number {
  return Number(/max (\d+)/.exec(fs.readFileSync(`${dir}/pids.events`, 'utf8'))![1]);
}

describe('limits on a real cgroup filled by a real leak', function () {
  this.timeout(120_000);
  const dir = `/sys/fs/cgroup/pids/pi-test-${process.pid}`;
  before(function () {
    if (process.platform !== 'linux') this.skip();
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: making a cgroup needs root)');
      this.skip();
    }
    try {
      fs.mkdirSync(dir);
    } catch (e) {
      console.log(`      (skipped: the v1 pids controller is not writable here: ${(e as Error).message})`);
      this.skip();
    }
  });
  after(async () => {
    killAll();
    if (!fs.existsSync(dir)) return;
    // The leaker's zombies go with it; the cgroup can go once nothing is left in it.
    await waitFor(() => fs.readFileSync(`${dir}/cgroup.procs`, 'utf8').trim() === '', 20_000, 'the test cgroup to empty');
    fs.rmdirSync(dir);
  });

  it('reports pids.max, its use and a finite time left before fork fails, in the view and the CLI', async () => {
    fs.writeFileSync(`${dir}/pids.max`, '30');
    // The shell joins the cgroup and becomes the leaker: every child it forks is counted there.
    const sh = startGroup('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec ${PYTHON} ${LEAKER} 0.25`]);
    const leaker = sh.pid!;
    const monitor = new Monitor(new LinuxProcessSource());
    monitor.track({ key: 'leak', pid: leaker });
    let before: { verdict: string; secondsLeft: number; current: number } | undefined;
    let cli: { secondsLeft: number; current: number; text: string } | undefined;
    while (!before || !cli) {
      assert.equal(forkFailures(dir), 0, `fork failed before the forecast said so (view: ${before?.verdict}, CLI: ${cli?.text})`);
      const d = monitor.refresh()[0].diagnosis.parents.find((p) => p.parent.pid === leaker);
      if (!before && d?.forecast?.secondsLeft !== undefined && d.forecast.secondsLeft > 0) {
        const t = d.forecast.tightest!;
        assert.deepEqual([t.kind, t.scope, t.max], ['cgroup-v1', `/pi-test-${process.pid}`, 30]);
        // Read after the refresh: had fork already failed, this counter would say so.
        if (forkFailures(dir) === 0) before = { verdict: d.verdict, secondsLeft: d.forecast.secondsLeft, current: t.current! };
      }
      if (before && !cli) {
        const r = await runCli(['zombies', '--root', String(leaker), '--json']);
        assert.equal(r.code, 0, r.stderr);
        const failed = forkFailures(dir);
        const p = JSON.parse(r.stdout).parents.find((x: { pid: number }) => x.pid === leaker);
        const f = p.forecast;
        if (failed === 0 && f.secondsLeft > 0) cli = { secondsLeft: f.secondsLeft, current: f.tightest.current, text: f.text };
        assert.equal(f.tightest.max, 30);
        assert.ok(p.limits.readings.some((x: LimitReading) => x.kind === 'cgroup-v1' && x.max === 30), JSON.stringify(p.limits));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(before.verdict, new RegExp(`leaks [\\d.]+ children/s; cgroup /pi-test-${process.pid}'s pids\\.max \\(30, ${before.current} in use\\) is reached in (about \\d+ s|under a second)$`));
    assert.ok(Number.isFinite(before.secondsLeft) && before.current < 30, JSON.stringify(before));
    assert.match(cli.text, /pids\.max \(30, \d+ in use\) is reached in/);
    assert.ok(Number.isFinite(cli.secondsLeft) && cli.current < 30, JSON.stringify(cli));
    // And the wall is real: fork does fail at 30, and then the verdict says so.
    await waitFor(() => forkFailures(dir) > 0, 60_000, 'fork to fail at pids.max');
    const d = monitor.refresh()[0].diagnosis.parents.find((p) => p.parent.pid === leaker)!;
    assert.match(d.verdict, /pids\.max \(30, 30 in use\) is reached: fork fails now/);
    monitor.dispose();
  });
});

describe('RLIMIT_NPROC of a real unprivileged user filled by a real leak', function () {
  this.timeout(120_000);
  const UID = 65534; // nobody
  before(function () {
    if (process.platform !== 'linux') this.skip();
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: starting a process as another user needs root)');
      this.skip();
    }
  });
  afterEach(killAll);

  it('counts the tasks of that uid against its soft limit, and forecasts before fork fails', async () => {
    const already = countOf(UID);
    const limit = already + 20;
    // The leaker runs as nobody with RLIMIT_NPROC = what nobody already runs + 20.
    const p = startGroup('setpriv', [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', 'prlimit', `--nproc=${limit}:${limit}`, PYTHON, LEAKER, '0.25']);
    await waitFor(() => fs.existsSync(`/proc/${p.pid}`) && readComm(p.pid!) === 'python3', 20_000, 'the leaker to start');
    const monitor = new Monitor(new LinuxProcessSource());
    monitor.track({ key: 'nproc', pid: p.pid! });
    let seen: LimitReading | undefined;
    let failedAt: number | undefined;
    for (let i = 0; !seen && i < 400; i++) {
      const d = monitor.refresh()[0].diagnosis.parents[0];
      const r = d?.limits?.readings.find((x) => x.kind === 'rlimit-nproc');
      if (r) assert.deepEqual([r.status, r.scope, r.max], ['limited', `uid ${UID}`, limit], JSON.stringify(r));
      if (d?.forecast?.secondsLeft !== undefined && d.forecast.secondsLeft > 0 && d.forecast.tightest?.kind === 'rlimit-nproc') {
        seen = d.forecast.tightest;
        failedAt = countOf(UID);
        assert.match(d.verdict, new RegExp(`RLIMIT_NPROC of uid ${UID} \\(${limit}, \\d+ in use\\) is reached in`));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(seen, 'a forecast against RLIMIT_NPROC');
    assert.ok(seen.current! < limit && failedAt! < limit, `seen with ${seen.current} in use, ${failedAt} right after: before the limit`);
    monitor.dispose();
  });
});

function countOf(uid: number): number {
  let n = 0;
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const st = fs.statSync(`/proc/${name}/task`);
      if (st.uid === uid) n += st.nlink - 2;
    } catch {
      // gone
    }
  }
  return n;
}

function readComm(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
