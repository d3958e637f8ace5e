/**
 * Issue 12, item 5: what a restricted procfs hides is said. Real procfs mounts with hidepid=1
 * (noaccess: other users' directories listed but unreadable) and hidepid=invisible, read by the
 * CLI as nobody; a thread ID given as --root.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { killAll, runCli, startGroup, startZombieMaker, waitFor } from '../support/procs';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

function mountProc(option: string): string | undefined {
  const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-hidepid-'));
  fs.chmodSync(mnt, 0o755);
  if (spawnSync('mount', ['-t', 'proc', '-o', option, 'proc', mnt]).status !== 0) {
    fs.rmdirSync(mnt);
    return undefined;
  }
  return mnt;
}

function unmount(mnt: string): void {
  spawnSync('umount', [mnt]);
  fs.rmdirSync(mnt);
}

describe('a procfs that hides processes says so (issue 12, item 5)', function () {
  this.timeout(60000);
  afterEach(killAll);

  it('hidepid=noaccess: the unreadable processes are counted in --json and said on stderr; --root 1 is "not readable"', async function () {
    if (!isRoot) this.skip();
    const mnt = mountProc('hidepid=noaccess');
    if (!mnt) this.skip();
    try {
      await startZombieMaker([Buffer.from('rootz')]);
      const j = await runCli(['zombies', '--json', '--proc', mnt], { uid: NOBODY });
      assert.equal(j.code, 0, j.stderr);
      const out = JSON.parse(j.stdout) as { unreadable: number };
      assert.ok(out.unreadable > 0, `unreadable: ${out.unreadable}`);
      const t = await runCli(['zombies', '--proc', mnt], { uid: NOBODY });
      assert.equal(t.code, 0, t.stderr);
      assert.match(t.stderr, /\d+ process(es)? could not be read \(hidepid\?/);
      const one = await runCli(['tree', '--root', '1', '--proc', mnt], { uid: NOBODY });
      assert.equal(one.code, 1);
      assert.match(one.stderr, /PID 1 exists but is not readable/);
      assert.doesNotMatch(one.stderr, /no process with PID/);
    } finally {
      unmount(mnt);
    }
  });

  it('hidepid=invisible: --json says "hidden", text says so, and a hidden --root is "not readable", not "no process"', async function () {
    if (!isRoot) this.skip();
    const mnt = mountProc('hidepid=invisible');
    if (!mnt) this.skip();
    try {
      const maker = await startZombieMaker([Buffer.from('rootz')]);
      const j = await runCli(['zombies', '--json', '--proc', mnt], { uid: NOBODY });
      assert.equal(j.code, 0, j.stderr);
      assert.match((JSON.parse(j.stdout) as { hidden?: string }).hidden ?? '', /hidepid=(invisible|2)/);
      const t = await runCli(['tree', '--proc', mnt], { uid: NOBODY });
      assert.match(t.stderr, /hidepid=(invisible|2).*not listed/);
      const hidden = await runCli(['zombies', '--root', String(maker.parent), '--proc', mnt], { uid: NOBODY });
      assert.equal(hidden.code, 1);
      assert.match(hidden.stderr, /exists but is not readable/);
    } finally {
      unmount(mnt);
    }
  });

  it('a thread ID as --root is refused, naming its process', async () => {
    const proc = startGroup('/usr/bin/python3', ['-c', 'import threading, time\nt = threading.Thread(target=time.sleep, args=(60,)); t.start(); time.sleep(60)']);
    let tid: number | undefined;
    await waitFor(() => {
      const tids = fs.readdirSync(`/proc/${proc.pid}/task`).map(Number).filter((t) => t !== proc.pid);
      tid = tids[0];
      return tid !== undefined;
    }, 10000, 'the second thread');
    const r = await runCli(['tree', '--root', String(tid)]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, new RegExp(`PID ${tid} is a thread of process ${proc.pid}, not a process: use --root ${proc.pid}`));
    assert.equal(r.stdout, '');
  });
});
