/**
 * The monitor and the view's rows on real processes: a root's zombies and guilty parent, what a
 * root leaves behind when it exits, a reused PID never taken for a root, and the rows the view
 * builds from it (filter, groups for 10,000 zombies).
 */
import * as assert from 'node:assert/strict';
import { Monitor } from '../../src/core/monitor';
import { LinuxProcessSource } from '../../src/platform/linux';
import { GROUP_SIZE, NodeIndex } from '../../src/ui/nodes';
import { childrenOf, commOf, killAll, startGroup, startZombieMaker, startZombieStorm, stateOf, waitFor } from '../support/procs';

describe('Monitor on real processes', function () {
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });
  afterEach(killAll);

  it('shows a root, its zombies and the parent that never waits', async () => {
    const maker = await startZombieMaker([Buffer.from('child-a'), Buffer.from('child-b')]);
    const m = new Monitor(new LinuxProcessSource());
    m.track({ key: 's1', pid: maker.parent });
    const [v] = m.refresh();
    assert.equal(v.alive, true);
    assert.deepEqual(v.diagnosis.zombies.map((z) => z.comm).sort(), ['child-a', 'child-b']);
    assert.equal(v.diagnosis.parents.length, 1);
    assert.equal(v.diagnosis.parents[0].parent.pid, maker.parent);
    assert.equal(v.diagnosis.parents[0].cause, 'never-waits');
    assert.ok(v.root?.cmdline?.some((a) => a.endsWith('zombie_maker.py')), 'details filled for live processes');
  });

  it('refreshes a live root without reading the whole table', async () => {
    const maker = await startZombieMaker([Buffer.from('z1')]);
    const source = new LinuxProcessSource();
    let tableReads = 0;
    const readAll = source.readAll.bind(source);
    source.readAll = () => {
      tableReads++;
      return readAll();
    };
    const m = new Monitor(source);
    m.track({ key: 'w', pid: maker.parent });
    for (let i = 0; i < 5; i++) assert.equal(m.refresh()[0].diagnosis.zombies.length, 1);
    assert.equal(tableReads, 0);
    // Once the root exits, the table is read to find what it left behind.
    process.kill(maker.parent, 'SIGKILL');
    await waitFor(() => stateOf(maker.parent) === undefined, 20_000, 'parent gone');
    assert.equal(m.refresh()[0].alive, false);
    assert.equal(tableReads, 1);
    m.dispose();
  });

  it('keeps what an exited root left behind: orphans re-parented elsewhere, still running', async () => {
    // sh starts a long sleep in the background and exits when told (end of its stdin): the sleep
    // is orphaned. The test, not a timer, decides when the root exits: on a loaded machine a
    // root that lives a fixed 0.5 s can be gone before the first look.
    const sh = startGroup('sh', ['-c', 'sleep 60 & read line'], 'pipe');
    const exited = new Promise((r) => sh.once('exit', r));
    // A child that exists is not yet `sleep` (forked, not exec'd): wait for the exec.
    await waitFor(() => childrenOf(sh.pid!).some((c) => commOf(c) === 'sleep'), 20_000, 'sh to start its children');
    const m = new Monitor(new LinuxProcessSource());
    m.track({ key: 's', pid: sh.pid! });
    const first = m.refresh()[0];
    assert.equal(first.alive, true);
    const sleeper = [...first.snapshot.processes.values()].find((p) => p.comm === 'sleep' && p.cmdline?.[1] === '60')!;
    assert.ok(sleeper, 'the background sleep is under the root');
    sh.stdin!.end();
    await exited;
    await waitFor(() => stateOf(sh.pid!) === undefined, 20_000, 'sh to be reaped');
    const after = m.refresh()[0];
    assert.equal(after.alive, false);
    assert.deepEqual(after.orphans.map((o) => o.pid), [sleeper.pid]);
    assert.notEqual(after.orphans[0].ppid, sh.pid, 're-parented');
    // The view lists them under "Left behind".
    const index = new NodeIndex([{ key: 's', label: 'sh', how: '', ended: true, view: after }], false, () => undefined);
    const orphansNode = index.nodes.get('root:s/orphans');
    assert.ok(orphansNode, 'a Left behind node');
    assert.equal(index.children.get('root:s/orphans')?.length, 1);
    process.kill(sleeper.pid, 'SIGKILL');
  });

  it('never takes a reused PID for a root whose start time it knows', async () => {
    const maker = await startZombieMaker([]);
    const source = new LinuxProcessSource();
    const p = source.readProcess(maker.parent)!;
    const m = new Monitor(source);
    m.track({ key: 'x', pid: p.pid, startTicks: p.startTicks + 1 });
    const [v] = m.refresh();
    assert.equal(v.alive, false);
    assert.equal(v.snapshot.processes.size, 0);
  });

  it('groups 1,000 zombies in rows of 200 and filters to zombies and their parents', async function () {
    this.timeout(60000);
    const maker = await startZombieMaker([], { count: 0 });
    const big = await startZombieStorm(1000);
    const m = new Monitor(new LinuxProcessSource());
    m.track({ key: 'a', pid: maker.parent });
    m.track({ key: 'b', pid: big.parent });
    const views = m.refresh();
    const roots = views.map((v) => ({ key: v.key, label: v.key, how: '', ended: false, view: v }));
    const all = new NodeIndex(roots, false, () => undefined);
    const parentId = all.nodeFor('b', big.parent)!.id;
    const groups = all.children.get(parentId)!;
    assert.equal(groups.length, Math.ceil(1000 / GROUP_SIZE));
    assert.equal(all.children.get(groups[0])!.length, GROUP_SIZE);
    // Root a has no zombies: with the filter on it says so and lists nothing else.
    const filtered = new NodeIndex(roots, true, () => undefined);
    assert.deepEqual(filtered.children.get('root:a')!.map((id) => filtered.nodes.get(id)!.kind), ['message']);
    assert.ok(filtered.nodeFor('b', big.children[999]));
  });
});

describe('Monitor: a refresh reads details only of what is new or changed', function () {
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });
  afterEach(killAll);

  it('reads status, wchan, cmdline and exe of new processes and of those whose stat changed, not of the unchanged', async () => {
    // A parent (sleep, never waits) with two sleeping children and one zombie.
    const sh = startGroup('sh', ['-c', 'sleep 60 & sleep 60 & true & exec sleep 60']);
    const root = sh.pid!;
    await waitFor(() => commOf(root) === 'sleep' && childrenOf(root).length === 3 && childrenOf(root).filter((c) => stateOf(c) === 'Z').length === 1 && childrenOf(root).filter((c) => commOf(c) === 'sleep').length === 2, 20_000, 'the tree to settle');
    const live = childrenOf(root).filter((c) => stateOf(c) !== 'Z');
    const source = new LinuxProcessSource();
    const asked: number[][] = [];
    const details = source.details.bind(source);
    source.details = (ps) => {
      const list = [...ps];
      asked.push(list.map((p) => p.pid).sort((a, b) => a - b));
      return details(list);
    };
    const m = new Monitor(source);
    m.track({ key: 'd', pid: root });
    m.refresh();
    assert.deepEqual(asked[0], [root, ...live].sort((a, b) => a - b), 'the first refresh reads every live process');
    const [again] = m.refresh();
    assert.deepEqual(asked[1], [], 'nothing changed: nothing read (the zombie parent is read again only after a few seconds)');
    assert.deepEqual(again.snapshot.processes.get(live[0])!.cmdline, ['sleep', '60'], 'the details read before are still there');
    assert.equal(again.diagnosis.parents[0].parent.pid, root);
    // A stopped child's stat changes (state T): it alone is read again.
    process.kill(live[0], 'SIGSTOP');
    await waitFor(() => stateOf(live[0]) === 'T', 20_000, 'the child to stop');
    m.refresh();
    assert.deepEqual(asked[2], [live[0]]);
    m.dispose();
  });
});
