/**
 * The Linux reader and the CLI against real processes: odd names, churn, PID reuse, other users,
 * hidepid, and a storm of 10,000 zombies. Linux only; the root-only cases say why they skip.
 */
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inspect } from '../../src/core/inspect';
import { identity, ProcessNotFoundError, type ProcessInfo } from '../../src/core/model';
import { LinuxProcessSource } from '../../src/platform/linux';
import { killAll, PYTHON, runCli, startGroup, startZombieMaker, startZombieStorm, stateOf, waitFor, ZOMBIE_MAKER } from '../support/procs';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

interface ZombieJson {
  pid: number;
  ppid: number;
  comm: string;
  commHex?: string;
  state: string;
  exit?: { code?: number };
  parent: { pid: number; comm?: string; verdict?: string; cause?: string };
}

describe('Linux reader on real processes', function () {
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });
  afterEach(killAll);

  // Every name a program can give itself: the kernel keeps up to 15 bytes of anything but NUL.
  const names: [string, Buffer][] = [
    ['a ")"', Buffer.from(')')],
    ['") ("', Buffer.from(') (')],
    ['a space', Buffer.from('two words')],
    ['a newline', Buffer.from('line\nbreak')],
    ['a tab', Buffer.from('tab\there')],
    ['more than 15 bytes', Buffer.from('abcdefghijklmnopqrstuvwxyz')],
    ['UTF-8', Buffer.from('僵尸进程')],
    ['UTF-8 cut mid-character at 15 bytes', Buffer.from('a僵尸进程进程')],
    ['a fake stat line', Buffer.from('x) Z 1 1 1 0 (')],
  ];

  it('lists every zombie once, with its exact name and the right parent, whatever the name', async () => {
    const maker = await startZombieMaker(names.map(([, b]) => b));
    const r = await runCli(['zombies', '--root', String(maker.parent), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const zombies = (JSON.parse(r.stdout) as { zombies: ZombieJson[] }).zombies;
    assert.deepEqual(zombies.map((z) => z.pid).sort((a, b) => a - b), [...maker.children].sort((a, b) => a - b));
    names.forEach(([what, bytes], i) => {
      const z = zombies.find((x) => x.pid === maker.children[i])!;
      const kernelName = bytes.subarray(0, 15);
      const got = z.commHex !== undefined ? Buffer.from(z.commHex, 'hex') : Buffer.from(z.comm);
      assert.deepEqual(got, kernelName, what);
      assert.equal(z.ppid, maker.parent, what);
      assert.equal(z.parent.pid, maker.parent, what);
      assert.equal(z.parent.comm, 'python3', what);
      assert.equal(z.state, 'Z');
      assert.equal(z.exit?.code, 0);
    });
    assert.match(zombies[0].parent.verdict ?? '', /^9 unreaped children, oldest \d+ s; parent blocked in \S+, SIGCHLD default: it never calls wait$/);
  });

  it('reads live processes with the same names, and the readable report cannot be forged by a newline', async () => {
    const maker = await startZombieMaker(names.map(([, b]) => b), { live: true });
    const snap = new LinuxProcessSource().readSubtree(maker.parent);
    assert.equal(snap.processes.size, names.length + 1);
    names.forEach(([what, bytes], i) => {
      const p = snap.processes.get(maker.children[i])!;
      assert.equal(p.state, 'S', what);
      assert.deepEqual(p.commHex !== undefined ? Buffer.from(p.commHex, 'hex') : Buffer.from(p.comm), bytes.subarray(0, 15), what);
    });
    const r = await runCli(['tree', '--root', String(maker.parent)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trimEnd().split('\n').length, names.length + 1, r.stdout);
    assert.ok(r.stdout.includes('line\\nbreak'), r.stdout);
  });

  it('survives processes exiting in the middle of scans: no error, no half rows', async function () {
    this.timeout(60000);
    // Two shells starting /bin/true as fast as they can: processes appear and vanish mid-scan.
    for (let i = 0; i < 2; i++) startGroup('sh', ['-c', 'while :; do /bin/true; done']);
    const source = new LinuxProcessSource();
    let rows = 0;
    let gone = 0;
    for (let i = 0; i < 40; i++) {
      const snap = source.readAll();
      for (const p of snap.processes.values()) {
        rows++;
        for (const k of ['pid', 'ppid', 'pgid', 'sid', 'threads', 'startTicks', 'startTime'] as const) assert.ok(Number.isFinite(p[k]), `${k} of ${p.pid}`);
        assert.equal(typeof p.comm, 'string');
        assert.match(p.state, /^[A-Za-z]$/);
      }
      const trues = [...snap.processes.values()].filter((p) => p.comm === 'true');
      gone += source.details(trues).length;
      // The whole inspection drops what vanished instead of returning a half-read row.
      const ins = inspect(source, { allDetails: true });
      for (const p of ins.snapshot.processes.values()) if (p.state !== 'Z' && p.pid !== 2 && p.ppid !== 2 && !p.restricted) assert.ok(p.cmdline, `cmdline of ${p.pid}`);
    }
    assert.ok(rows > 0);
    assert.ok(gone > 0, 'the churn should make details() see processes vanish');
  });

  it('never merges two processes that share a PID (PID reuse forced through ns_last_pid)', async function () {
    if (!isRoot) this.skip(); // writing /proc/sys/kernel/ns_last_pid needs CAP_SYS_ADMIN
    this.timeout(30000);
    const source = new LinuxProcessSource();
    for (let attempt = 0; attempt < 20; attempt++) {
      const first = startGroup('sleep', ['60']);
      await waitFor(() => stateOf(first.pid!) === 'S', 5000, 'sleep to start');
      const old = source.readProcess(first.pid!)!;
      old.cmdline = ['sleep', '60'];
      process.kill(first.pid!, 'SIGKILL');
      await new Promise((r) => first.once('exit', r));
      await new Promise((r) => setTimeout(r, 20)); // start ticks are 10 ms apart
      fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(old.pid - 1));
      const second = spawn('sh', ['-c', 'exec sleep 61'], { detached: true, stdio: 'ignore' });
      try {
        if (second.pid !== old.pid) continue; // another process took it first: try again
        await waitFor(() => source.readProcess(old.pid)?.comm === 'sleep', 5000, 'exec');
        const now = source.readProcess(old.pid)!;
        assert.notEqual(identity(now), identity(old), 'same pid, different start time');
        // Details asked for the old process must not be filled from the new one.
        const gone = source.details([old]);
        assert.deepEqual(gone, [old]);
        return;
      } finally {
        try {
          process.kill(-second.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    assert.fail('could not get the same PID back in 20 attempts');
  });

  it("reads other users' processes without their private fields, and never fails on them", async function () {
    if (!isRoot) this.skip(); // needs to run the CLI as another user
    const maker = await startZombieMaker([Buffer.from('rootzombie')]);
    const r = await runCli(['zombies', '--json'], { uid: NOBODY });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { zombies: ZombieJson[]; parents: { pid: number; restricted?: boolean; exe?: string; sigchld?: unknown }[] };
    const z = out.zombies.find((x) => x.pid === maker.children[0]);
    assert.ok(z, 'root-owned zombie is visible to nobody on a normal /proc');
    const parent = out.parents.find((p) => p.pid === maker.parent)!;
    assert.equal(parent.restricted, true, 'exe of a root process is not readable by nobody');
    assert.equal(parent.exe, undefined);
    assert.ok(parent.sigchld, 'status is world-readable, so SIGCHLD handling is still known');
  });

  it('honours a hidepid=invisible mount: other users vanish, own processes stay, a hidden root is "not readable"', async function () {
    if (!isRoot) this.skip(); // mounting procfs needs CAP_SYS_ADMIN
    const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-hidepid-'));
    const m = spawnSync('mount', ['-t', 'proc', '-o', 'hidepid=invisible', 'proc', mnt]);
    if (m.status !== 0) this.skip(); // no mount permission in this sandbox
    try {
      const rootMaker = await startZombieMaker([Buffer.from('hiddenzombie')]);
      // nobody's own zombie maker
      const own = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', PYTHON, ZOMBIE_MAKER, Buffer.from('ownzombie').toString('hex')], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
      const ownChild = Number(await new Promise<string>((resolve) => own.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      await waitFor(() => stateOf(ownChild) === 'Z', 5000, 'own zombie');
      try {
        const all = await runCli(['zombies', '--json', '--proc', mnt], { uid: NOBODY });
        assert.equal(all.code, 0, all.stderr);
        const zs = (JSON.parse(all.stdout) as { zombies: ZombieJson[] }).zombies;
        assert.ok(zs.some((z) => z.pid === ownChild && z.comm === 'ownzombie'), 'own zombie listed');
        assert.ok(!zs.some((z) => z.pid === rootMaker.children[0]), "root's zombie hidden");
        const hidden = await runCli(['zombies', '--root', String(rootMaker.parent), '--proc', mnt], { uid: NOBODY });
        assert.equal(hidden.code, 1);
        // It exists: hidden, not absent (issue 12, item 5).
        assert.match(hidden.stderr, /PID \d+ exists but is not readable/);
      } finally {
        process.kill(-own.pid!, 'SIGKILL');
      }
    } finally {
      spawnSync('umount', [mnt]);
      fs.rmdirSync(mnt);
    }
  });

  it('handles a storm of 10,000 zombies under one parent', async function () {
    this.timeout(120000);
    const maker = await startZombieStorm(10000);
    assert.equal(maker.children.length, 10000);
    const r = await runCli(['zombies', '--root', String(maker.parent), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const zs = (JSON.parse(r.stdout) as { zombies: ZombieJson[] }).zombies;
    assert.equal(zs.length, 10000);
    assert.equal(new Set(zs.map((z) => z.pid)).size, 10000, 'each once');
    assert.ok(zs.every((z) => z.ppid === maker.parent && z.comm === 'pi-zombie-storm'));
    const text = await runCli(['zombies', '--root', String(maker.parent)]);
    assert.match(text.stdout, /^10000 zombies under 1 parent\n/);
    assert.match(text.stdout, /… 9990 more \(--json lists all\)/);
    assert.match(text.stdout, /10000 unreaped children/);
  });

  it('takes the stat read after the details when the process changed meanwhile: a child read before its exec, a zombie by then', async () => {
    const source = new LinuxProcessSource();
    const maker = await startZombieMaker([Buffer.from('after-exec')]);
    const real = source.readProcess(maker.children[0])!;
    assert.equal(real.state, 'Z');
    // As the table had it a moment before: alive, under its parent's name, with its parent's cmdline.
    const stale: ProcessInfo = { ...real, state: 'R', comm: 'python3', cmdline: ['python3', 'maker.py'], exe: '/usr/bin/python3.11' };
    delete stale.exit;
    assert.deepEqual(source.details([stale]), []);
    assert.equal(stale.comm, 'after-exec');
    assert.equal(stale.state, 'Z');
    assert.deepEqual(stale.exit, real.exit);
    assert.equal(stale.cmdline, undefined, 'the cmdline read was of the image it left');
    assert.equal(stale.exe, undefined);
  });

  it('reads a process again when it exec\'d while read: a live child read before its exec gets the cmdline and exe of its new image', async () => {
    const source = new LinuxProcessSource();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      let real: ProcessInfo | undefined;
      for (let i = 0; i < 200 && real?.comm !== 'sleep'; i++) {
        await new Promise((r) => setTimeout(r, 10));
        real = source.readProcess(child.pid!);
      }
      assert.equal(real?.comm, 'sleep');
      // As the table had it before its exec: running, under its parent's name and cmdline.
      const stale: ProcessInfo = { ...real!, state: 'R', comm: 'node', cmdline: [process.execPath, 'mocha'], exe: process.execPath };
      assert.deepEqual(source.details([stale]), []);
      assert.equal(stale.comm, 'sleep');
      assert.equal(stale.state, 'S');
      assert.deepEqual(stale.cmdline, ['sleep', '30'], 'the image it has now, read again');
      assert.match(stale.exe ?? '', /\/sleep$/);
    } finally {
      child.kill();
    }
  });

  it('says "no process" for a PID that does not exist, and reads a subtree that does', async () => {
    const source = new LinuxProcessSource();
    assert.throws(() => source.readSubtree(2 ** 22 + 1), ProcessNotFoundError);
    const maker = await startZombieMaker([Buffer.from('one')]);
    const snap = source.readSubtree(maker.parent);
    assert.deepEqual([...snap.processes.keys()].sort((a, b) => a - b), [maker.parent, maker.children[0]]);
    assert.deepEqual(snap.children.get(maker.parent), [maker.children[0]]);
  });
});
