/** The Node spawn recorder (src/record/assets/preload.cjs) on real Node processes and real children. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareNode, quoteNodeOption } from '../../src/record/node';
import type { Injection } from '../../src/record/types';
import { markedLine } from '../support/markers';
import { cleanEnv, innermostIn, procStat, readRecords, removeTempDirs, run, runHeld, tempDir, waitFor } from '../support/record';

const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/record/node');
const fixture = (name: string) => path.join(FIXTURES, name);
const line = (name: string, site: string) => markedLine(fixture(name), new RegExp(`// site:${site}$`));
const NODE = process.execPath;

function recording(base: NodeJS.ProcessEnv = cleanEnv(), cacheName = 'cache'): { file: string; env: NodeJS.ProcessEnv; dir: string; prep: Injection } {
  const tmp = tempDir('rec-node');
  const file = path.join(tmp, 'records.jsonl');
  const prep = prepareNode({ recordFile: file, cacheDir: path.join(tmp, cacheName), env: base });
  assert.ok(prep.ok, prep.ok ? '' : prep.reason);
  return { file, env: { ...base, ...prep.env }, dir: tmp, prep };
}

describe('recorder: Node', function () {
  this.timeout(120000);
  after(removeTempDirs);

  it('records every child of two spawn sites, exec, execFile and fork at its own line, and not spawnSync', async () => {
    const rec = recording();
    const held = await runHeld(NODE, [fixture('sites.js')], rec.env);
    try {
      const pids = held.ready as Record<string, number>;
      // the event loop is blocked, so libuv cannot reap them: each child stays a zombie
      await waitFor(() => Object.values(pids).every((pid) => procStat(pid)?.state === 'Z'), 'the children to become zombies');
      const records = readRecords(rec.file).filter((r) => r.ppid === held.proc.pid); // not the forked child's (it spawns nothing)
      assert.deepEqual(Object.keys(pids).sort(), ['exec', 'execFile', 'fork', 'spawn-a', 'spawn-b']);
      assert.deepEqual(records.map((r) => r.pid).sort(), Object.values(pids).sort(), 'one record per child, none for spawnSync');
      assert.equal(readRecords(rec.file).length, records.length);
      for (const [site, pid] of Object.entries(pids)) {
        const r = records.find((x) => x.pid === pid)!;
        assert.equal(r.api, 'ChildProcess.spawn');
        assert.equal(r.lang, 'node');
        assert.equal(r.tid, held.proc.pid, 'the main thread');
        assert.equal(innermostIn(r, fixture('sites.js'))?.line, line('sites.js', site), site);
        assert.equal(r.stack[0].file, 'node:child_process', `${site}: runtime frames kept, our own left out`);
        assert.ok(!r.stack.some((f) => f.file?.endsWith('preload.cjs')), site);
        const stat = procStat(pid)!;
        assert.equal(stat.ppid, held.proc.pid, site);
        assert.equal(r.start, stat.start, `${site}: start is the child's field 22`);
        assert.equal(r.cwd, undefined);
      }
      const b = records.find((x) => x.pid === pids['spawn-b'])!;
      assert.equal(innermostIn(b, fixture('sites.js'))?.function, 'helper');
    } finally {
      assert.equal(await held.release(), 0);
    }
  });

  it('an ES module entry is recorded with its path (not a file:// URL)', () => {
    const rec = recording();
    const r = run(NODE, [fixture('sites.mjs')], rec.env);
    assert.equal(r.status, 0, r.stderr);
    const [record, ...more] = readRecords(rec.file);
    assert.equal(more.length, 0);
    assert.equal(record.pid, Number(r.stdout));
    assert.equal(innermostIn(record, fixture('sites.mjs'))?.line, line('sites.mjs', 'esm'));
  });

  describe('changes nothing in what the program does', () => {
    let baseline: ReturnType<typeof run>;
    before(() => {
      baseline = run(NODE, [fixture('behave.js')], cleanEnv());
      assert.equal(baseline.status, 3, baseline.stderr);
      assert.match(baseline.stdout, /^stackTraceLimit: 3 true custom x$/m);
    });

    it('recording: the same output and exit code (Error.stackTraceLimit and prepareStackTrace restored)', () => {
      const rec = recording();
      assert.deepEqual(run(NODE, [fixture('behave.js')], rec.env), baseline);
      // spawn, exec, execFile, fork (and nothing in the forked child); not the failed spawn, not the Sync ones
      assert.equal(readRecords(rec.file).length, 4);
    });

    it('PROCESS_INSPECTOR_RECORD unset: the same output, no file, nothing wrapped', () => {
      const rec = recording();
      const env = { ...rec.env };
      delete env.PROCESS_INSPECTOR_RECORD;
      assert.deepEqual(run(NODE, [fixture('behave.js')], env), baseline);
      assert.equal(fs.existsSync(rec.file), false);
      const probe = run(NODE, ['-p', "require('child_process').ChildProcess.prototype.spawn.toString().includes('_handle')"], env);
      assert.equal(probe.stdout, 'true\n', 'the original spawn');
    });

    it('a record file that cannot be opened (its directory is missing): the same output', () => {
      const rec = recording();
      const missing = path.join(rec.dir, 'no-such-dir', 'records.jsonl');
      assert.deepEqual(run(NODE, [fixture('behave.js')], { ...rec.env, PROCESS_INSPECTOR_RECORD: missing }), baseline);
      assert.equal(fs.existsSync(path.dirname(missing)), false);
    });
  });

  it('1,000 spawns from the main thread and 3 worker threads: 1,000 whole lines, distinct PIDs, 4 TIDs', () => {
    const rec = recording();
    const r = run(NODE, [fixture('many.js')], rec.env);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, 'done\n', '']);
    const records = readRecords(rec.file);
    assert.equal(records.length, 1000);
    assert.equal(new Set(records.map((x) => x.pid)).size, 1000);
    assert.equal(new Set(records.map((x) => x.tid)).size, 4);
    assert.ok(records.every((x) => x.ppid === records[0].ppid));
  });

  it('a program that never spawns does not load child_process (the wrapper goes in at the first ChildProcess)', () => {
    const rec = recording();
    const probe = "console.log(process.moduleLoadList.some((m) => /child_process/.test(m)))";
    assert.equal(run(NODE, ['-e', probe], rec.env).stdout, 'false\n');
    assert.equal(run(NODE, ['-e', `require('child_process'); ${probe}`], rec.env).stdout, 'true\n', 'the probe sees it when loaded');
  });

  it('a program that empties process.env still records (the path is read at start-up)', () => {
    const rec = recording();
    const r = run(NODE, [fixture('clearenv.js')], rec.env);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, '0\n', '']);
    const records = readRecords(rec.file);
    assert.equal(records.length, 1);
    assert.equal(innermostIn(records[0], fixture('clearenv.js'))?.line, line('clearenv.js', 'cleared'));
  });

  it('a frame path relative to the cwd comes with cwd; [eval] and node: frames do not', () => {
    const rec = recording();
    const plain = run(NODE, ['-e', "require('child_process').spawn('true')"], rec.env, FIXTURES);
    assert.equal(plain.status, 0, plain.stderr);
    const script = "new (require('vm').Script)(\"require('child_process').spawn('true')\", { filename: 'relative.js' }).runInThisContext()";
    const rel = run(NODE, ['-e', script], rec.env, FIXTURES);
    assert.equal(rel.status, 0, rel.stderr);
    const records = readRecords(rec.file);
    assert.equal(records.length, 2);
    assert.equal(records[0].stack[1].file, '[eval]');
    assert.equal(records[0].cwd, undefined);
    assert.equal(innermostIn(records[1], 'relative.js')?.line, 1);
    assert.equal(records[1].cwd, FIXTURES);
  });

  it('prepareNode: NODE_OPTIONS kept and appended to once, a path with spaces, quotes and backslashes, a clear reason on failure', () => {
    const rec = recording({ ...cleanEnv(), NODE_OPTIONS: '--title=pi-test-title' }, 'a dir with "quotes" \\ and spaces');
    assert.match(rec.env.NODE_OPTIONS!, /^--title=pi-test-title --require "/);
    const r = run(NODE, ['-e', "require('child_process').spawn('true'); console.log(process.title)"], rec.env);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, 'pi-test-title\n', '']);
    assert.equal(readRecords(rec.file).length, 1, 'the preload loaded from the awkward path');
    const again = prepareNode({ recordFile: rec.file, cacheDir: path.join(rec.dir, 'a dir with "quotes" \\ and spaces'), env: rec.env }) as Injection;
    assert.equal(again.env.NODE_OPTIONS, rec.env.NODE_OPTIONS, 'a nested run does not add it twice');
    assert.equal(quoteNodeOption('a "b" \\c'), '"a \\"b\\" \\\\c"');
    fs.writeFileSync(path.join(rec.dir, 'a-file'), '');
    const broken = prepareNode({ recordFile: rec.file, cacheDir: path.join(rec.dir, 'a-file', 'cache'), env: {} });
    assert.equal(broken.ok, false);
    assert.match((broken as { reason: string }).reason, /cannot prepare the Node recorder: .*ENOTDIR/);
  });

  it('loaded twice (a second copy, another version, also required): one record per spawn', () => {
    const rec = recording();
    const other = path.join(rec.dir, 'other version.cjs');
    fs.writeFileSync(other, `${fs.readFileSync(path.join(REPO, 'src/record/assets/preload.cjs'), 'utf8')}\n// another version\n`);
    const twice = `${rec.env.NODE_OPTIONS} --require ${quoteNodeOption(other)}`;
    const r = run(NODE, ['-e', "require('child_process').spawn('true')"], { ...rec.env, NODE_OPTIONS: twice });
    assert.deepEqual([r.status, r.stderr], [0, '']);
    assert.equal(readRecords(rec.file).length, 1);
  });
});
