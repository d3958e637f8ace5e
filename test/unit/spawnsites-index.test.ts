/**
 * The spawn-site index as a whole: incremental updates agree with a cold index, the pre-pass
 * changes nothing, the Go lexer agrees with tree-sitter on declaration boundaries, and the WASM
 * files are found.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { outlineGo } from '../../src/spawnsites/golex';
import { DEFAULT_IGNORE, SpawnSiteIndex } from '../../src/spawnsites/index';
import { GRAMMAR_FILES, locateWasm, parse, RUNTIME_WASM } from '../../src/spawnsites/parser';

const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/spawnsites');

function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) copyTree(path.join(from, e.name), path.join(to, e.name));
    else fs.copyFileSync(path.join(from, e.name), path.join(to, e.name));
  }
}

async function cold(dir: string) {
  const idx = new SpawnSiteIndex();
  await idx.indexDirectory(dir);
  return idx.sites();
}

describe('spawn-site index', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-sites-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('gives the same sites for every fixture with the pre-pass on and off', async () => {
    const a = new SpawnSiteIndex();
    const b = new SpawnSiteIndex({ prefilter: false });
    const sa = await a.indexDirectory(FIXTURES);
    await b.indexDirectory(FIXTURES);
    assert.deepEqual(a.sites(), b.sites());
    assert.equal(sa.sites, 349); // 87 C/C++ (59 in c/kinds/), 64 Go, 8 JS/TS, 88 Python, 102 Rust (5 C and 3 Python in beside/)
  });

  it('does not parse files whose bytes name no spawn API, but still knows their Go package', async () => {
    fs.writeFileSync(path.join(dir, 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("no children here") }\n');
    fs.writeFileSync(path.join(dir, 'lib.py'), 'def f():\n    return 1\n');
    const idx = new SpawnSiteIndex();
    const stats = await idx.indexDirectory(dir);
    assert.equal(stats.files, 2);
    assert.equal(stats.parsed, 0);
    assert.deepEqual(idx.units().find((u) => u.kind === 'go-command')?.names.sort(), [path.basename(dir), 'main'].sort());
  });

  it('re-analyses the Go files that depend on a changed file, and reports the change', async () => {
    copyTree(path.join(FIXTURES, 'go'), dir);
    const idx = new SpawnSiteIndex();
    await idx.indexDirectory(dir);
    const site = () => idx.sites().find((s) => s.file.endsWith('correct/correct.go') && s.line === 76)!;
    assert.equal(site().waited, 'yes');

    // waitFor() stops waiting: the caller in correct.go now leaks, without correct.go changing.
    const waiter = path.join(dir, 'correct/waiter.go');
    fs.writeFileSync(waiter, 'package correct\n\nimport "os/exec"\n\nfunc waitFor(c *exec.Cmd) error {\n\t_ = c.Path\n\treturn nil\n}\n');
    const t0 = performance.now();
    assert.equal(await idx.updateFile(waiter), true);
    const ms = performance.now() - t0;
    assert.equal(site().waited, 'no');
    assert.match(site().reason, /never waited/);
    assert.ok(ms < 1000, `update took ${ms} ms`);

    // The file goes away: the Cmd is handed to code the index no longer sees.
    fs.rmSync(waiter);
    assert.equal(idx.removeFile(waiter), true);
    assert.equal(site().waited, 'unknown');

    // A new file appears.
    const added = path.join(dir, 'leaks/more.go');
    fs.writeFileSync(added, 'package leaks\n\nimport "os/exec"\n\nfunc more() {\n\t_ = exec.Command("more").Start()\n}\n');
    assert.equal(await idx.updateFile(added), true);
    assert.deepEqual(idx.sitesIn(added).map((s) => [s.line, s.waited, s.program]), [[6, 'no', 'more']]);

    // Unchanged content changes nothing; files the index does not read are ignored.
    assert.equal(await idx.updateFile(added), false);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'exec.Command');
    assert.equal(await idx.updateFile(path.join(dir, 'notes.txt')), false);
    assert.deepEqual(idx.sites(), await cold(dir));
  });

  it('applies the rules git applies from above the folder: the work tree\'s .gitignore files and info/exclude (git is the oracle)', async function () {
    if (spawnSync('git', ['--version']).status !== 0) this.skip();
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
    assert.equal(spawnSync('git', ['init', '-q'], { cwd: dir, env }).status, 0);
    fs.writeFileSync(path.join(dir, '.gitignore'), 'dist/\n*.gen.py\n/app/top.py\n');
    fs.mkdirSync(path.join(dir, 'services'));
    fs.writeFileSync(path.join(dir, 'services', '.gitignore'), 'tmp/\n!keep.gen.py\n');
    fs.appendFileSync(path.join(dir, '.git', 'info', 'exclude'), 'secret.py\n');
    const app = path.join(dir, 'services', 'app');
    for (const f of ['ok.py', 'dist/bundle.py', 'a.gen.py', 'keep.gen.py', 'secret.py', 'tmp/t.py', 'top.py', 'lib/dist.py', 'lib/more.gen.py']) {
      fs.mkdirSync(path.dirname(path.join(app, f)), { recursive: true });
      fs.writeFileSync(path.join(app, f), 'import os\nos.fork()\n');
    }
    fs.writeFileSync(path.join(app, '.gitignore'), '!secret.py\n');
    const git = spawnSync('git', ['ls-files', '--others', '--exclude-standard'], { cwd: app, env, encoding: 'utf8' });
    const expected = git.stdout.split('\n').filter((f) => f.endsWith('.py')).sort();
    const idx = new SpawnSiteIndex();
    await idx.indexDirectory(app);
    const got = [...new Set(idx.sites().map((s) => path.relative(app, s.file)))].sort();
    assert.deepEqual(got, expected);
    assert.deepEqual(expected, ['keep.gen.py', 'lib/dist.py', 'ok.py', 'secret.py', 'top.py']); // what the rules above mean, spelled out
    // Updates follow the same rules.
    assert.equal(await idx.updateFile(path.join(app, 'dist', 'bundle.py')), false);
    assert.equal(await idx.refreshUnder(path.join(app, 'tmp')), false);
  });

  it('follows a directory deleted, created or renamed whole (a watcher reports only the directory), ignored ones excepted', async () => {
    copyTree(path.join(FIXTURES, 'go'), path.join(dir, 'go'));
    copyTree(path.join(FIXTURES, 'python'), path.join(dir, 'py'));
    const idx = new SpawnSiteIndex();
    await idx.indexDirectory(dir);
    const under = (d: string) => idx.sites().filter((s) => s.file.startsWith(path.join(dir, d) + path.sep)).length;
    const pySites = under('py');
    assert.ok(pySites > 0 && under('go') > 0);

    fs.renameSync(path.join(dir, 'py'), path.join(dir, 'renamed'));
    assert.equal(await idx.refreshUnder(path.join(dir, 'py')), true); // the old name: gone
    assert.equal(under('py'), 0);
    assert.equal(await idx.refreshUnder(path.join(dir, 'renamed')), true); // the new name: read
    assert.equal(under('renamed'), pySites);
    assert.deepEqual(idx.sites(), await cold(dir));

    fs.rmSync(path.join(dir, 'go', 'correct'), { recursive: true });
    assert.equal(await idx.refreshUnder(path.join(dir, 'go', 'correct')), true);
    assert.deepEqual(idx.sites(), await cold(dir));

    // A new directory that .gitignore ignores stays out; a path that is no directory changes nothing.
    fs.writeFileSync(path.join(dir, '.gitignore'), 'generated/\n');
    await idx.indexDirectory(dir);
    copyTree(path.join(FIXTURES, 'python'), path.join(dir, 'generated'));
    assert.equal(await idx.refreshUnder(path.join(dir, 'generated')), false);
    assert.equal(await idx.refreshUnder(path.join(dir, 'README.md')), false);
    assert.deepEqual(idx.sites(), await cold(dir));
    assert.equal(idx.mayConcern(path.join(dir, 'generated', 'x.py')), false);
    assert.equal(idx.mayConcern(path.join(dir, 'node_modules', 'y')), false);
    assert.equal(idx.mayConcern(path.join(dir, 'renamed')), true);

    // A directory that goes with its own .gitignore and comes back without one: the old rules go too.
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, '.gitignore'), 'leak.py\n');
    fs.writeFileSync(path.join(sub, 'leak.py'), 'import os\nos.fork()\n');
    await idx.indexDirectory(dir);
    assert.equal(idx.sitesIn(path.join(sub, 'leak.py')).length, 0);
    fs.rmSync(sub, { recursive: true });
    await idx.refreshUnder(sub);
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'leak.py'), 'import os\nos.fork()\n');
    assert.equal(await idx.refreshUnder(sub), true);
    assert.equal(idx.sitesIn(path.join(sub, 'leak.py')).length, 1);
    assert.deepEqual(idx.sites(), await cold(dir));
  });

  it('skips node_modules, vendor, __pycache__, venv and hidden directories; build, dist, out and target only when a .gitignore says so', async () => {
    for (const d of [...DEFAULT_IGNORE, '.git', '.venv', 'build', 'dist', 'out', 'target']) {
      fs.mkdirSync(path.join(dir, d), { recursive: true });
      fs.writeFileSync(path.join(dir, d, 'x.py'), 'import os\nos.fork()\n');
    }
    fs.writeFileSync(path.join(dir, 'y.py'), 'import os\nos.fork()\n');
    const idx = new SpawnSiteIndex();
    await idx.indexDirectory(dir);
    const files = () => idx.sites().map((s) => path.relative(dir, s.file)).sort();
    assert.deepEqual(files(), ['build/x.py', 'dist/x.py', 'out/x.py', 'target/x.py', 'y.py']);
    assert.equal(await idx.updateFile(path.join(dir, 'node_modules', 'x.py')), false);
    fs.writeFileSync(path.join(dir, '.gitignore'), '/build/\ndist\nout/*.py\n');
    await idx.indexDirectory(dir);
    assert.deepEqual(files(), ['target/x.py', 'y.py']);
    // A file the rules ignore is ignored by updates too.
    fs.writeFileSync(path.join(dir, 'out', 'z.py'), 'import os\nos.fork()\n');
    assert.equal(await idx.updateFile(path.join(dir, 'out', 'z.py')), false);
    assert.equal(await idx.updateFile(path.join(dir, 'target', 'x.py')), false); // unchanged, but read
  });

  it('honours .gitignore files exactly as git does: `git ls-files --others --exclude-standard` is the oracle (property)', async function () {
    if (spawnSync('git', ['--version']).status !== 0) this.skip();
    // A fixed tree of Python files (each holds a site, so the index's sites name the files it read)
    // and random .gitignore files drawn from rules of every kind, at the root and below.
    const tree = ['a.py', 'build/b.py', 'cmd/build/c.py', 'go/build/d.py', 'out/e.py', 'sub/out/f.py', 'sub/g.gen.py', 'sub/keep.gen.py', 'sub/deep/h.py', 'sub/deep/er/i.py', 'docs/j.py', 'docs/k.txt.py', 'x/y/z/l.py'];
    const rules = ['build/', 'build', '/build', '*.gen.py', '!keep.gen.py', '/out', 'out/', 'sub/**/i.py', '**/deep', 'deep/', '!deep/', '*.py', '!a.py', '!*.py', 'docs/*', '!docs/j.py', 'x/**', '!x/y/', '# a comment', '', 'z', '\\#not-a-comment', 'sub/*.py', '/sub/deep/*', '!/sub/deep/er', '[a-c].py', '[!a].py', '?.py', 'sub/?eep/', 'h.py   ', 'h.py\\ ', '*.[pP][yY]', '[[:alpha:]].py', '[c-a].py', '[!c-a].py', '[b-a-e].py', '[a\\-c].py', '!**/i.py', 'x/*/z', '**', 'deep/**', '!sub/**/', 'd*c*/', '*.gen.*'];
    const places = ['', 'sub', 'sub/deep', 'x', 'docs', 'go'];
    const env = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ place: fc.constantFrom(...places), lines: fc.array(fc.constantFrom(...rules), { minLength: 1, maxLength: 5 }) }), { minLength: 1, maxLength: 4 }), async (ignores) => {
        const root = fs.mkdtempSync(path.join(dir, 'g-'));
        for (const f of tree) {
          fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
          fs.writeFileSync(path.join(root, f), 'import os\nos.fork()\n');
        }
        for (const { place, lines } of ignores) fs.appendFileSync(path.join(root, place, '.gitignore'), `${lines.join('\n')}\n`);
        assert.equal(spawnSync('git', ['init', '-q'], { cwd: root, env }).status, 0);
        const git = spawnSync('git', ['ls-files', '--others', '--exclude-standard'], { cwd: root, env, encoding: 'utf8' });
        assert.equal(git.status, 0, git.stderr);
        const expected = git.stdout.split('\n').filter((f) => f.endsWith('.py')).sort();
        const idx = new SpawnSiteIndex();
        await idx.indexDirectory(root);
        const got = [...new Set(idx.sites().map((s) => path.relative(root, s.file).split(path.sep).join('/')))].sort();
        assert.deepEqual(got, expected, JSON.stringify(ignores));
      }),
      { numRuns: 100 },
    );
  });

  it('keeps incremental results equal to a cold index through random edits (property)', async () => {
    // A Go package whose verdicts hang on helpers in another file: the cross-file case the
    // incremental path has to get right.
    const helperBody = ['\t_ = c.Wait()', '\tfmt.Println(c.Path)', '\tkeep = append(keep, c)', '\tgo func() { _ = c.Wait() }()'];
    const mainFile = (calls: number[]) =>
      `package p\n\nimport "os/exec"\n\n${calls.map((h, i) => `func f${i}() {\n\tcmd := exec.Command("p${i}")\n\t_ = cmd.Start()\n\th${h}(cmd)\n}\n`).join('\n')}`;
    const helperFile = (bodies: number[]) =>
      `package p\n\nimport (\n\t"fmt"\n\t"os/exec"\n)\n\nvar keep []*exec.Cmd\nvar _ = fmt.Sprint\n\n${bodies.map((b, i) => `func h${i}(c *exec.Cmd) {\n${helperBody[b]}\n}\n`).join('\n')}`;
    const op = fc.oneof(
      fc.record({ kind: fc.constant('main' as const), calls: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 4 }) }),
      fc.record({ kind: fc.constant('helpers' as const), bodies: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }) }),
      fc.record({ kind: fc.constant('removeHelpers' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 5 }), async (ops) => {
        const pkg = fs.mkdtempSync(path.join(dir, 'p-'));
        const main = path.join(pkg, 'main.go');
        const helpers = path.join(pkg, 'helpers.go');
        fs.writeFileSync(main, mainFile([0, 1, 2]));
        fs.writeFileSync(helpers, helperFile([0, 1, 2]));
        const idx = new SpawnSiteIndex();
        await idx.indexDirectory(pkg);
        for (const o of ops) {
          if (o.kind === 'main') {
            fs.writeFileSync(main, mainFile(o.calls));
            await idx.updateFile(main);
          } else if (o.kind === 'helpers') {
            fs.writeFileSync(helpers, helperFile(o.bodies));
            await idx.updateFile(helpers);
          } else if (fs.existsSync(helpers)) {
            fs.rmSync(helpers);
            idx.removeFile(helpers);
          }
          assert.deepEqual(idx.sites(), await cold(pkg));
        }
      }),
      { numRuns: 25 },
    );
  });

  it('gets the verdicts of that generated package right (helpers wait / never wait / escape)', async () => {
    fs.writeFileSync(path.join(dir, 'main.go'), 'package p\n\nimport "os/exec"\n\nfunc f0() {\n\tcmd := exec.Command("p0")\n\t_ = cmd.Start()\n\th0(cmd)\n}\n\nfunc f1() {\n\tcmd := exec.Command("p1")\n\t_ = cmd.Start()\n\th1(cmd)\n}\n\nfunc f2() {\n\tcmd := exec.Command("p2")\n\t_ = cmd.Start()\n\th2(cmd)\n}\n');
    fs.writeFileSync(path.join(dir, 'helpers.go'), 'package p\n\nimport (\n\t"fmt"\n\t"os/exec"\n)\n\nvar keep []*exec.Cmd\n\nfunc h0(c *exec.Cmd) {\n\t_ = c.Wait()\n}\n\nfunc h1(c *exec.Cmd) {\n\tfmt.Println(c.Path)\n}\n\nfunc h2(c *exec.Cmd) {\n\tkeep = append(keep, c)\n}\n');
    assert.deepEqual(
      (await cold(dir)).map((s) => [s.line, s.waited]),
      [
        [7, 'yes'],
        [13, 'no'],
        [19, 'unknown'],
      ],
    );
  });

  it('cuts Go files at the same declaration boundaries tree-sitter finds', async () => {
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else if (e.name.endsWith('.go')) files.push(path.join(d, e.name));
      }
    };
    walk(FIXTURES);
    const tricky = 'package x\n\n/* a block\ncomment */ var a = `raw\nfunc not() {}\n`\n\nfunc (r *T) m() { s := "}" ; _ = s }\nvar f = func() {\n}\nconst (\n\tb = 1\n)\n';
    const texts = [...files.map((f) => fs.readFileSync(f, 'utf8')), tricky];
    for (const text of texts) {
      const tree = await parse('go', text);
      const expected = tree.rootNode.namedChildren.filter((n) => n.type !== 'comment').map((n) => n.startPosition.row);
      tree.delete();
      assert.deepEqual(outlineGo(text).decls.map((d) => d.startRow), expected);
    }
  });

  it('finds the WASM files, and honours PROCESS_INSPECTOR_WASM_DIR', () => {
    for (const f of [RUNTIME_WASM, ...Object.values(GRAMMAR_FILES)]) assert.ok(fs.existsSync(locateWasm(f)), f);
    const saved = process.env.PROCESS_INSPECTOR_WASM_DIR;
    try {
      fs.writeFileSync(path.join(dir, 'tree-sitter-go.wasm'), '');
      process.env.PROCESS_INSPECTOR_WASM_DIR = dir;
      assert.equal(locateWasm('tree-sitter-go.wasm'), path.join(dir, 'tree-sitter-go.wasm'));
      assert.throws(() => locateWasm('tree-sitter-nope.wasm'), /cannot find tree-sitter-nope\.wasm; looked in/);
    } finally {
      if (saved === undefined) delete process.env.PROCESS_INSPECTOR_WASM_DIR;
      else process.env.PROCESS_INSPECTOR_WASM_DIR = saved;
    }
  });

  it('never throws on broken source: fixture files cut, spliced and sprinkled with brackets and quotes (property)', async () => {
    // What an editor hands the index mid-keystroke. Whatever the bytes, every file is indexed:
    // sites may come and go, but nothing throws and the lists stay well formed.
    const sources: { name: string; text: string }[] = [];
    const walk = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(go|c|cpp|py|js|ts|rs)$/.test(e.name)) sources.push({ name: e.name, text: fs.readFileSync(p, 'utf8') });
      }
    };
    walk(FIXTURES);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-broken-'));
    const edit = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), cut: fc.nat({ max: 60 }), insert: fc.oneof(fc.constantFrom('{', '}', '(', ')', '[', ']', ';', '"', "'", '`', '\n', '\t', '/*', '\\'), fc.string({ maxLength: 8 })) });
    try {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: sources.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 6 }), async (which, edits) => {
          let text = sources[which].text;
          for (const e of edits) {
            const i = Math.floor(e.at * text.length);
            text = text.slice(0, i) + e.insert + text.slice(i + e.cut);
          }
          const file = path.join(dir, sources[which].name);
          fs.writeFileSync(file, text);
          const index = new SpawnSiteIndex();
          await index.indexDirectory(dir);
          for (const s of index.sites()) assert.ok(s.line >= 1 && s.column >= 1 && ['yes', 'no', 'unknown'].includes(s.waited), JSON.stringify(s));
          index.findings();
          index.units();
          // And as an edit of a file the index already had.
          fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
          await index.updateFile(file);
          index.findings();
          fs.rmSync(file);
        }),
        { numRuns: 150, seed: 20261201 },
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
