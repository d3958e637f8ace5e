/** The Python spawn recorder (src/record/assets/sitecustomize.py) on real interpreters and real children. */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { preparePython, pythonArgsDefeatRecorder } from '../../src/record/python';
import type { Injection } from '../../src/record/types';
import { markedLine } from '../support/markers';
import { cleanEnv, innermostIn, procStat, readRecords, run, removeTempDirs, runHeld, tempDir, waitFor } from '../support/record';

const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/record/python');
const fixture = (name: string) => path.join(FIXTURES, name);
const line = (name: string, site: string) => markedLine(fixture(name), new RegExp(`# site:${site}$`));

const DEBIAN = '/usr/bin/python3';
/** Debian's interpreter, and the one on PATH when that is another (a pyenv shim's real binary). */
const PYTHONS = [DEBIAN];
{
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8', env: cleanEnv() });
  const onPath = r.status === 0 ? r.stdout.trim() : '';
  if (onPath && fs.realpathSync(onPath) !== fs.realpathSync(DEBIAN)) PYTHONS.push(onPath);
}

/** A fresh record file and cache dir, and the environment preparePython gives for them. */
function recording(base: NodeJS.ProcessEnv = cleanEnv()): { file: string; env: NodeJS.ProcessEnv; dir: string; prep: Injection } {
  const tmp = tempDir('rec-py');
  const file = path.join(tmp, 'records.jsonl');
  const prep = preparePython({ recordFile: file, cacheDir: path.join(tmp, 'cache'), env: base });
  assert.ok(prep.ok, prep.ok ? '' : prep.reason);
  return { file, env: { ...base, ...prep.env }, dir: tmp, prep };
}

describe('recorder: Python', function () {
  this.timeout(120000);
  after(removeTempDirs);

  for (const python of PYTHONS) {
    it(`records every child of two Popen sites, fork, posix_spawn(p), multiprocessing and pty at its own line (${python})`, async () => {
      const rec = recording();
      const held = await runHeld(python, [fixture('sites.py')], rec.env);
      try {
        const pids = held.ready as Record<string, number>;
        // every child exits at once; none is waited for, so each stays a zombie
        await waitFor(() => Object.values(pids).every((pid) => procStat(pid)?.state === 'Z'), 'the children to become zombies');
        const records = readRecords(rec.file);
        const expectedApi: Record<string, string> = {
          'popen-a': '_posixsubprocess.fork_exec',
          'popen-b': '_posixsubprocess.fork_exec',
          fork: 'os.fork',
          posix_spawn: 'os.posix_spawn',
          posix_spawnp: 'os.posix_spawnp',
          'mp-fork': 'os.fork',
          pty: 'os.forkpty',
        };
        assert.deepEqual(Object.keys(pids).sort(), Object.keys(expectedApi).sort());
        // exactly one record per child, and no other (the children themselves spawn nothing)
        assert.deepEqual(records.map((r) => r.pid).sort(), Object.values(pids).sort());
        for (const [site, pid] of Object.entries(pids)) {
          const r = records.find((x) => x.pid === pid)!;
          assert.equal(r.api, expectedApi[site], site);
          assert.equal(r.lang, 'python');
          assert.equal(r.ppid, held.proc.pid, site);
          assert.equal(r.tid, held.proc.pid, `${site}: the main thread's TID is the PID`);
          assert.equal(innermostIn(r, fixture('sites.py'))?.line, line('sites.py', site), site);
          const stat = procStat(pid);
          assert.ok(stat, `${site}: child ${pid} still in /proc (a zombie)`);
          assert.equal(stat.ppid, held.proc.pid, site);
          assert.equal(stat.state, 'Z', site);
          assert.equal(r.start, stat.start, `${site}: start is the child's field 22`);
          assert.equal(r.cwd, undefined, 'absolute frames: no cwd');
        }
        // the wrapper's own frame is left out: the innermost frame is the wrapped call's caller
        const fork = records.find((x) => x.pid === pids.fork)!;
        assert.deepEqual(fork.stack[0], { file: fixture('sites.py'), line: line('sites.py', 'fork'), function: 'main' });
        const popenB = records.find((x) => x.pid === pids['popen-b'])!;
        assert.equal(innermostIn(popenB, fixture('sites.py'))?.function, 'helper');
        assert.equal(popenB.stack[0].function, 'Popen._execute_child');
      } finally {
        assert.equal(await held.release(), 0);
      }
    });
  }

  describe('changes nothing in what the program does', () => {
    let baseline: ReturnType<typeof run>;
    before(() => {
      baseline = run(DEBIAN, [fixture('behave.py')], cleanEnv());
      assert.equal(baseline.status, 3, baseline.stderr);
      assert.match(baseline.stdout, /^multiprocessing spawn: 42$/m);
      assert.match(baseline.stdout, /^pty: pty-child$/m);
    });

    it('recording: the same output and exit code, and multiprocessing spawn, asyncio and os.spawnlp recorded at their lines', () => {
      const rec = recording();
      assert.deepEqual(run(DEBIAN, [fixture('behave.py')], rec.env), baseline);
      const lines = readRecords(rec.file).map((r) => innermostIn(r, fixture('behave.py'))?.line);
      for (const site of ['mp-start', 'asyncio', 'spawnlp']) assert.ok(lines.includes(line('behave.py', site)), site);
    });

    it('PROCESS_INSPECTOR_RECORD unset: the same output, no file, nothing wrapped', () => {
      const rec = recording();
      const env = { ...rec.env };
      delete env.PROCESS_INSPECTOR_RECORD;
      assert.deepEqual(run(DEBIAN, [fixture('behave.py')], env), baseline);
      assert.equal(fs.existsSync(rec.file), false);
      const types = run(DEBIAN, ['-c', 'import os, _posixsubprocess; print(type(os.fork).__name__, type(_posixsubprocess.fork_exec).__name__)'], env);
      assert.equal(types.stdout, 'builtin_function_or_method builtin_function_or_method\n');
    });

    it('a record file that cannot be opened (its directory is missing): the same output', () => {
      const rec = recording();
      const missing = path.join(rec.dir, 'no-such-dir', 'records.jsonl');
      assert.deepEqual(run(DEBIAN, [fixture('behave.py')], { ...rec.env, PROCESS_INSPECTOR_RECORD: missing }), baseline);
      assert.equal(fs.existsSync(path.dirname(missing)), false);
    });
  });

  it('1,000 spawns from 8 threads: 1,000 whole lines, distinct PIDs, 8 TIDs', () => {
    const rec = recording();
    const r = run(DEBIAN, [fixture('threads.py')], rec.env);
    assert.equal(r.status, 0, r.stderr);
    const records = readRecords(rec.file); // every line parsed: none torn or interleaved
    assert.equal(records.length, 1000);
    assert.equal(new Set(records.map((x) => x.pid)).size, 1000);
    assert.equal(new Set(records.map((x) => x.tid)).size, 8);
    assert.ok(records.every((x) => x.ppid === records[0].ppid && x.tid !== x.ppid));
  });

  describe('chain-loading the sitecustomize it shadows', () => {
    function other(source: string): string {
      const dir = tempDir('other-site');
      fs.writeFileSync(path.join(dir, 'sitecustomize.py'), source);
      return dir;
    }
    const probe = 'import os, subprocess, sys; subprocess.run(["true"]); print(sys.modules["sitecustomize"].__file__, os.environ.get("PI_CHAINED"))';

    it('a sitecustomize later on PYTHONPATH still runs, as the module sitecustomize, and we still record', () => {
      const dir = other('import os\nos.environ["PI_CHAINED"] = "yes"\nopen(os.environ["PI_CHAIN_FILE"], "w").write(__name__)\n');
      const rec = recording({ ...cleanEnv(), PYTHONPATH: dir });
      assert.ok(rec.env.PYTHONPATH!.endsWith(`:${dir}`), 'the launch PYTHONPATH is kept, after ours');
      const mark = path.join(rec.dir, 'chained');
      for (const python of PYTHONS) {
        const r = run(python, ['-c', probe], { ...rec.env, PI_CHAIN_FILE: mark });
        assert.deepEqual(r, { status: 0, stdout: `${path.join(dir, 'sitecustomize.py')} yes\n`, stderr: '' }, python);
        assert.equal(fs.readFileSync(mark, 'utf8'), 'sitecustomize');
        fs.rmSync(mark);
      }
      assert.equal(readRecords(rec.file).length, PYTHONS.length);
    });

    it('an error in it is reported by site.py exactly as without us', () => {
      const dir = other('raise RuntimeError("boom from the other sitecustomize")\n');
      const without = run(DEBIAN, ['-c', probe], { ...cleanEnv(), PYTHONPATH: dir });
      assert.match(without.stderr, /Error in sitecustomize.*\n.*RuntimeError: boom/);
      const rec = recording({ ...cleanEnv(), PYTHONPATH: dir });
      assert.deepEqual(run(DEBIAN, ['-c', probe], rec.env), without);
      assert.equal(readRecords(rec.file).length, 1, 'our wrappers are in place before the other one runs');
    });

    it("Debian's own /usr/lib/python3.11/sitecustomize.py still loads, with nothing printed", function () {
      const debian = '/usr/lib/python3.11/sitecustomize.py';
      if (!fs.existsSync(debian)) this.skip();
      const rec = recording();
      const r = run(DEBIAN, ['-c', probe], rec.env);
      assert.deepEqual(r, { status: 0, stdout: `${debian} None\n`, stderr: '' });
      assert.equal(readRecords(rec.file).length, 1);
    });

    it('a second copy of the recorder (another version, later on PYTHONPATH) does not record twice', () => {
      const older = other(fs.readFileSync(path.join(REPO, 'src/record/assets/sitecustomize.py'), 'utf8') + '\n# another version\n');
      const rec = recording({ ...cleanEnv(), PYTHONPATH: older });
      const r = run(DEBIAN, ['-c', probe], rec.env);
      assert.equal(r.stderr, '');
      assert.equal(readRecords(rec.file).length, 1);
    });
  });

  it('-I, -E and -S keep the recorder out, exactly when pythonArgsDefeatRecorder says so', () => {
    const rec = recording();
    const program = 'import os; os.waitpid(os.posix_spawn("/bin/true", ["true"], {}), 0)';
    const cases = [[], ['-s'], ['-u', '-B'], ['-X', 'dev'], ['-WE'], ['-I'], ['-E'], ['-S'], ['-IS'], ['-bE'], ['-sS']];
    for (const args of cases) {
      fs.rmSync(rec.file, { force: true });
      const r = run(DEBIAN, [...args, '-c', program], rec.env);
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
      const recorded = readRecords(rec.file).length === 1;
      const reason = pythonArgsDefeatRecorder(args);
      assert.equal(recorded, reason === undefined, `python3 ${args.join(' ')}: recorded ${recorded}, reason ${reason}`);
    }
  });

  it('pythonArgsDefeatRecorder: combined flags, values, and where Python stops reading options', () => {
    assert.match(pythonArgsDefeatRecorder(['-I'])!, /-I \(isolated mode\) ignores PYTHONPATH/);
    assert.match(pythonArgsDefeatRecorder(['-E'])!, /-E ignores the PYTHON\* environment variables/);
    assert.match(pythonArgsDefeatRecorder(['-S'])!, /-S skips the site module/);
    assert.match(pythonArgsDefeatRecorder(['/usr/bin/python3.11', '-u', '-IS', 'app.py'])!, /-I .*; -S /);
    assert.match(pythonArgsDefeatRecorder(['-X', 'dev', '-bE'])!, /-E /);
    for (const args of [[], ['-s'], ['-W', 'E'], ['-WE'], ['-X', 'S'], ['app.py', '-I'], ['-c', 'pass', '-I'], ['-mI'], ['-m', 'x', '-E'], ['-', '-S'], ['--', '-I'], ['--check-hash-based-pycs', 'never', '-u']]) {
      assert.equal(pythonArgsDefeatRecorder(args), undefined, args.join(' '));
    }
    assert.ok(pythonArgsDefeatRecorder(['--check-hash-based-pycs', 'never', '-E']));
  });

  it('a program that empties its environment still records (the path is read at start-up)', () => {
    const rec = recording();
    const r = run(DEBIAN, [fixture('clearenv.py')], rec.env);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, '[]\n', '']);
    const records = readRecords(rec.file);
    assert.deepEqual(
      records.map((x) => innermostIn(x, fixture('clearenv.py'))?.line),
      [line('clearenv.py', 'cleared-popen'), line('clearenv.py', 'cleared-posix-spawn')],
    );
  });

  it('frames relative to the cwd (runpy.run_path) come with cwd', () => {
    const rec = recording();
    const r = run(DEBIAN, ['-c', 'import runpy; runpy.run_path("relative.py")'], rec.env, FIXTURES);
    assert.equal(r.status, 0, r.stderr);
    const [record] = readRecords(rec.file);
    assert.equal(innermostIn(record, 'relative.py')?.line, line('relative.py', 'relative'));
    assert.equal(record.cwd, FIXTURES);
  });

  it('under debugpy (python3 -m debugpy --listen): the script is recorded at its line, relative, with cwd', function () {
    if (spawnSync(DEBIAN, ['-c', 'import debugpy']).status !== 0) this.skip();
    const rec = recording();
    const r = run(DEBIAN, ['-m', 'debugpy', '--listen', '127.0.0.1:0', 'relative.py'], rec.env, FIXTURES);
    assert.equal(r.status, 0, r.stderr);
    const records = readRecords(rec.file);
    const mine = records.filter((x) => innermostIn(x, 'relative.py'));
    assert.equal(mine.length, 1, 'one record of the script, besides debugpy’s own helpers');
    assert.equal(innermostIn(mine[0], 'relative.py')?.line, line('relative.py', 'relative'));
    assert.equal(mine[0].cwd, FIXTURES);
  });

  it('python3 -m venv works under the recorder, and the new venv records too', () => {
    const rec = recording();
    const venv = path.join(rec.dir, 'venv');
    const made = run(DEBIAN, ['-m', 'venv', '--without-pip', venv], rec.env);
    assert.deepEqual([made.status, made.stderr], [0, '']);
    const r = run(path.join(venv, 'bin/python'), ['-c', 'import subprocess, sys; subprocess.run(["true"]); print(sys.prefix)'], rec.env);
    assert.deepEqual([r.status, r.stdout, r.stderr], [0, `${venv}\n`, '']);
    assert.equal(readRecords(rec.file).length, 1);
    // A .pth file in site-packages runs before sitecustomize: subprocess is imported before us,
    // its _fork_exec already bound to the original, and must be patched where it is.
    const [sitePackages] = run(path.join(venv, 'bin/python'), ['-c', 'import site; print(site.getsitepackages()[0])'], cleanEnv()).stdout.split('\n');
    fs.writeFileSync(path.join(sitePackages, 'early.pth'), 'import subprocess\n');
    const early = run(path.join(venv, 'bin/python'), ['-c', 'import subprocess; subprocess.run(["true"])'], rec.env);
    assert.deepEqual([early.status, early.stderr], [0, '']);
    assert.equal(readRecords(rec.file).length, 2, 'recorded although subprocess was imported first');
  });

  it('preparePython: one cached copy per content, PYTHONPATH merged once, a clear reason when the cache cannot be written', () => {
    const tmp = tempDir('prep-py');
    const ctx = { recordFile: path.join(tmp, 'r.jsonl'), cacheDir: path.join(tmp, 'cache'), env: { PYTHONPATH: '/opt/lib' } };
    const a = preparePython(ctx) as Injection;
    const b = preparePython(ctx) as Injection;
    assert.equal(a.ok, true);
    assert.deepEqual(a, b);
    const dir = a.env.PYTHONPATH.split(':')[0];
    assert.equal(a.env.PYTHONPATH, `${dir}:/opt/lib`);
    assert.equal(a.env.PROCESS_INSPECTOR_RECORD, ctx.recordFile);
    assert.deepEqual(fs.readdirSync(dir), ['sitecustomize.py']);
    assert.equal(fs.readFileSync(path.join(dir, 'sitecustomize.py'), 'utf8'), fs.readFileSync(path.join(REPO, 'src/record/assets/sitecustomize.py'), 'utf8'));
    const nested = preparePython({ ...ctx, env: { PYTHONPATH: a.env.PYTHONPATH } }) as Injection;
    assert.equal(nested.env.PYTHONPATH, a.env.PYTHONPATH);
    assert.equal((preparePython({ ...ctx, env: { PYTHONPATH: '' } }) as Injection).env.PYTHONPATH, dir, 'no empty entry (the cwd)');
    fs.writeFileSync(path.join(tmp, 'a-file'), '');
    const broken = preparePython({ ...ctx, cacheDir: path.join(tmp, 'a-file', 'cache') });
    assert.equal(broken.ok, false);
    assert.match((broken as { reason: string }).reason, /cannot prepare the Python recorder: .*ENOTDIR/);
  });
});

