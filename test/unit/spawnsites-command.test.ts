/**
 * `sites DIR [--json]`: the output shapes, the errors, and that a bundled build (as dist/cli.js
 * is) finds its WASM files in wasm/ beside it with no node_modules in reach.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sitesCommand } from '../../src/spawnsites/command';

const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/spawnsites');

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await sitesCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

describe('process-inspector sites', function () {
  this.timeout(60000);

  it('--json lists every site with the fields of the issue, files relative to DIR', async () => {
    const r = await run(['sites', path.join(FIXTURES, 'go'), '--json']);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    const out = JSON.parse(r.stdout) as { sites: Record<string, unknown>[] };
    assert.equal(out.sites.length, 64);
    for (const s of out.sites) assert.deepEqual(Object.keys(s), ['file', 'line', 'column', 'language', 'api', 'program', 'waited', 'reason']);
    assert.deepEqual(out.sites.find((s) => s.file === 'seed/main.go' && s.line === 29), {
      file: 'seed/main.go',
      line: 29,
      column: 13,
      language: 'go',
      api: 'exec.Cmd.Start',
      program: null,
      waited: 'no',
      reason: 'cmd.Start() at line 29 starts a child that is never waited for: its handle goes out of scope at line 34; nothing waits for it while the program sleeps in time.Sleep() at line 33',
    });
  });

  it('prints aligned file:line:col  api  program  waited  reason lines and a summary by default', async () => {
    const r = await run([path.join(FIXTURES, 'rust')]);
    assert.equal(r.code, 0);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^src\/bin\/reaper\.rs:4:11 +Command::spawn +worker +yes +waited for by child\.wait\(\) at line 6$/);
    assert.match(lines.find((l) => l.startsWith('src/main.rs:7:5'))!, /Command::spawn +sleep +no +spawn\(\) at line 7 starts a child that is never waited for: the handle is dropped at once/);
    // (The Rust fixtures: src/main.rs, src/bin/reaper.rs and one file per kind in src/kinds/.)
    assert.equal(lines[lines.length - 1], '102 sites in 18 files: 38 not waited for, 10 unknown.');
    const col = lines[0].indexOf('Command::spawn');
    for (const l of lines.slice(0, 13)) assert.equal(l.indexOf('Command::'), col, l);
  });

  it('says so when there is nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-sites-empty-'));
    try {
      assert.deepEqual(await run([dir]), { code: 0, stdout: 'No spawn sites found.\n', stderr: '' });
      assert.deepEqual(JSON.parse((await run([dir, '--json'])).stdout), { sites: [], skipped: [] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [argv, code, message] of [
    [[], 2, /missing DIR/],
    [['a', 'b'], 2, /expected one DIR, got 2/],
    [['--frob', '.'], 2, /unknown option --frob/],
    [['/nonexistent/dir'], 1, /\/nonexistent\/dir: no such directory/],
    [[path.join(FIXTURES, 'go/seed/main.go')], 1, /is not a directory/],
  ] as [string[], number, RegExp][]) {
    it(`fails clearly on ${JSON.stringify(argv)} (exit ${code})`, async () => {
      const r = await run(argv);
      assert.equal(r.code, code);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, message);
    });
  }

  it('takes a DIR that starts with - after --, from sitesCommand and from the CLI', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-sites-dash-'));
    try {
      const odd = path.join(parent, '-odd');
      fs.mkdirSync(odd);
      fs.writeFileSync(path.join(odd, 'x.py'), 'import os\nos.fork()\n');
      assert.match((await run(['-odd'])).stderr, /unknown option -odd/);
      const direct = await run(['--json', '--no-cache', '--', '-odd'].map((a) => (a === '-odd' ? path.relative(process.cwd(), odd) : a)));
      const viaCwd = execFileSync(process.execPath, [path.join(REPO, 'dist/cli.js'), 'sites', '--json', '--no-cache', '--', '-odd'], { cwd: parent }).toString();
      for (const out of [direct.stdout, viaCwd]) assert.deepEqual(JSON.parse(out).sites.map((s: { file: string; line: number }) => [s.file, s.line]), [['x.py', 2]]);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('--help prints the usage on stdout', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: process-inspector sites DIR \[--json \| --sarif\] \[--check\]/);
  });

  it('works bundled by esbuild, finding the WASM files in wasm/ beside the bundle', async () => {
    // The same bundling as scripts/build.mjs, into a directory with no node_modules above it.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-sites-bundle-'));
    try {
      const entry = path.join(dir, 'entry.ts');
      fs.writeFileSync(entry, `import { sitesCommand } from ${JSON.stringify(path.join(REPO, 'src/spawnsites/command'))};\nsitesCommand(process.argv.slice(2), { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) }).then((c) => { process.exitCode = c; });\n`);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const esbuild = require(path.join(REPO, 'node_modules/esbuild')) as typeof import('esbuild');
      esbuild.buildSync({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: path.join(dir, 'cli.js'), logLevel: 'error', absWorkingDir: REPO });
      fs.rmSync(entry);
      // Without wasm/: a clear error naming where it looked.
      let failed: { status?: number; stderr?: Buffer } = {};
      try {
        execFileSync(process.execPath, [path.join(dir, 'cli.js'), 'sites', path.join(FIXTURES, 'go/seed')], { cwd: dir, env: { PATH: process.env.PATH }, stdio: 'pipe' });
      } catch (e) {
        failed = e as typeof failed;
      }
      assert.equal(failed.status, 1);
      assert.match(String(failed.stderr), /cannot find tree-sitter\.wasm; looked in/);
      // With the files build.mjs copies.
      fs.mkdirSync(path.join(dir, 'wasm'));
      for (const f of fs.readdirSync(path.join(REPO, 'dist/wasm'))) fs.copyFileSync(path.join(REPO, 'dist/wasm', f), path.join(dir, 'wasm', f));
      const out = execFileSync(process.execPath, [path.join(dir, 'cli.js'), 'sites', path.join(FIXTURES, 'go/seed'), '--json'], { cwd: dir, env: { PATH: process.env.PATH } }).toString();
      assert.deepEqual(
        JSON.parse(out).sites.map((s: { line: number; waited: string }) => [s.line, s.waited]),
        [
          [22, 'yes'],
          [29, 'no'],
        ],
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
