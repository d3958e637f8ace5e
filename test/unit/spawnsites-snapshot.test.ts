/**
 * The saved spawn-site index (src/spawnsites/snapshot.ts): a start from it gives what a cold index
 * gives, reads only what changed, re-analyses a whole Go package when one file of it changed,
 * survives the timestamp race, and a damaged, foreign or outdated snapshot is refused without
 * losing anything. Also the CLI's cache (--no-cache, $PROCESS_INSPECTOR_CACHE_DIR).
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SpawnSiteIndex } from '../../src/spawnsites/index';
import { decodeSnapshot, pruneSnapshotDir, RACY_MS, readSnapshotFile, sigOf, snapshotFile, unchanged, writeSnapshotFile } from '../../src/spawnsites/snapshot';

const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/spawnsites');
const CLI = path.join(REPO, 'dist/cli.js');
const GOROOT_SRC = (() => {
  try {
    return path.join(execFileSync('go', ['env', 'GOROOT']).toString().trim(), 'src');
  } catch {
    return undefined;
  }
})();

function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) copyTree(path.join(from, e.name), path.join(to, e.name));
    else fs.copyFileSync(path.join(from, e.name), path.join(to, e.name));
  }
}

/** Every file under dir gets an mtime in the past (minutes apart from now, as files not being edited have). */
function age(dir: string, secondsAgo = 600): void {
  const t = new Date(Date.now() - secondsAgo * 1000);
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) fs.utimesSync(path.join(e.parentPath, e.name), t, t);
  }
}

/** Writes a file and dates it in the past, but later than age() did: a real, settled edit. */
function edit(file: string, text: string): void {
  fs.writeFileSync(file, text);
  const t = new Date(Date.now() - 300 * 1000);
  fs.utimesSync(file, t, t);
}

/** What an index answers, all of it: sites, findings and programs. */
function answers(idx: SpawnSiteIndex) {
  return { sites: idx.sites(), findings: idx.findings(), units: idx.units().map((u) => ({ ...u, files: [...u.files] })) };
}

/** A snapshot's rows (format 2: one a directory, see snapshot.ts), for the tests that damage one. */
type Row = [string, string[], number[], (0 | { s?: { sites: unknown[]; findings: unknown[] } })[]];

/** The files a snapshot holds, by absolute path (whatever its layout: decodeSnapshot says). */
function heldPaths(data: unknown, root: string): string[] {
  const decoded = decodeSnapshot(data, { root, options: { ignore: ['node_modules', 'vendor', '__pycache__', 'venv'], gitignore: true, maxFileBytes: 4 * 1024 * 1024, prefilter: true } });
  assert.ok('entries' in decoded, 'rejected' in decoded ? decoded.rejected : '');
  return [...decoded.entries.keys()];
}

async function coldIndex(dir: string) {
  const idx = new SpawnSiteIndex();
  const stats = await idx.indexDirectory(dir);
  return { idx, stats };
}

/** A snapshot through a real file, as the CLI and the extension pass it between runs. */
async function warmIndex(dir: string, snapshot: unknown) {
  const file = path.join(dir, '..', `${path.basename(dir)}.snapshot.json`);
  assert.equal(writeSnapshotFile(file, snapshot), undefined);
  const read = readSnapshotFile(file);
  fs.rmSync(file);
  const idx = new SpawnSiteIndex();
  const stats = await idx.indexDirectory(dir, { snapshot: read.data });
  return { idx, stats };
}

describe('saved spawn-site index', function () {
  this.timeout(120000);
  let tmp: string;
  let dir: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-snap-'));
    dir = path.join(tmp, 'ws');
    copyTree(FIXTURES, dir);
    age(dir);
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('starts from a snapshot with the answers of a cold index, reading no file', async () => {
    const cold = await coldIndex(dir);
    assert.ok(cold.stats.sites > 50);
    const warm = await warmIndex(dir, cold.idx.snapshot());
    assert.equal(warm.stats.snapshotRejected, undefined);
    assert.equal(warm.stats.reused, cold.stats.files);
    assert.equal(warm.stats.parsed, 0);
    assert.deepEqual(answers(warm.idx), answers(cold.idx));
  });

  it('reads only the changed, new and deleted files of other languages', async () => {
    const first = await coldIndex(dir);
    const py = path.join(dir, 'python/leaks.py');
    edit(py, `${fs.readFileSync(py, 'utf8')}\n\ndef late():\n    sp.Popen(["late"])\n`);
    edit(path.join(dir, 'c/new.c'), '#include <unistd.h>\nvoid spawn(void) { if (fork() == 0) _exit(0); }\n');
    fs.rmSync(path.join(dir, 'js/tool.ts'));
    const warm = await warmIndex(dir, first.idx.snapshot());
    const cold = await coldIndex(dir);
    assert.equal(warm.stats.parsed, 2); // leaks.py and new.c
    assert.equal(warm.stats.reused, cold.stats.files - 2);
    assert.deepEqual(answers(warm.idx), answers(cold.idx));
    assert.ok(warm.idx.sites().some((s) => s.file === py && s.program === 'late'));
    assert.ok(!warm.idx.sites().some((s) => s.file.endsWith('tool.ts')));
  });

  it('analyses a Go package again whole when one of its files changed: a sibling changes the verdict of an unchanged file', async () => {
    const first = await coldIndex(dir);
    const site = (idx: SpawnSiteIndex) => idx.sites().find((s) => s.file.endsWith('go/correct/correct.go') && s.line === 76)!;
    assert.equal(site(first.idx).waited, 'yes'); // handed to waitFor() in waiter.go, which waits
    const snapshot = first.idx.snapshot();

    // waitFor() stops waiting; correct.go is untouched, yet its site now leaks.
    edit(path.join(dir, 'go/correct/waiter.go'), 'package correct\n\nimport "os/exec"\n\nfunc waitFor(c *exec.Cmd) error {\n\t_ = c.Path\n\treturn nil\n}\n');
    let warm = await warmIndex(dir, snapshot);
    assert.equal(site(warm.idx).waited, 'no');
    assert.deepEqual(answers(warm.idx), answers((await coldIndex(dir)).idx));
    const goFiles = (sub: string) => fs.readdirSync(path.join(dir, sub)).filter((f) => f.endsWith('.go')).length;
    assert.equal(warm.stats.reused, first.stats.files - goFiles('go/correct'));

    // The file goes away altogether: the Cmd is then handed to code the index does not see.
    fs.rmSync(path.join(dir, 'go/correct/waiter.go'));
    warm = await warmIndex(dir, snapshot);
    assert.equal(site(warm.idx).waited, 'unknown');
    assert.deepEqual(answers(warm.idx), answers((await coldIndex(dir)).idx));
  });

  it('reads a file again when it was modified just before it was read, even with its size and mtime unchanged (the timestamp race)', async () => {
    const file = path.join(dir, 'python/race.py');
    const leaking = 'import subprocess\n\ndef run():\n    p = subprocess.Popen(["aaaa"])\n    return 0\n';
    const waiting = 'import subprocess\n\ndef run():\n    p = subprocess.Popen(["aaaa"])\n    p.wait()\n';
    assert.equal(leaking.length, waiting.length);
    fs.writeFileSync(file, leaking); // mtime: now, as the index reads it
    const mtime = new Date();
    fs.utimesSync(file, mtime, mtime);
    const first = await coldIndex(dir);
    assert.equal(first.idx.sitesIn(file)[0].waited, 'no');
    // A second write in the same clock tick: same size, same mtime, other bytes.
    fs.writeFileSync(file, waiting);
    fs.utimesSync(file, mtime, mtime);
    const warm = await warmIndex(dir, first.idx.snapshot());
    assert.equal(warm.idx.sitesIn(file)[0].waited, 'yes');
    assert.equal(warm.stats.parsed, 1);
  });

  it('trusts a signature only when the file was last modified well before it was read, and only while size, mtime, ctime and inode all hold', () => {
    const file = path.join(tmp, 'f.txt');
    fs.writeFileSync(file, 'abc');
    const st = fs.statSync(file);
    const sig = sigOf(st, st.mtimeMs + RACY_MS + 1);
    assert.equal(unchanged(file, sig), true);
    assert.equal(unchanged(file, { ...sig, readAt: st.mtimeMs + RACY_MS - 1 }), false, 'modified just before the read');
    for (const k of ['size', 'mtimeMs', 'ctimeMs', 'ino'] as const) assert.equal(unchanged(file, { ...sig, [k]: sig[k] + 1 }), false, k);
    fs.utimesSync(file, st.atime, st.mtime); // mtime put back as it was: the ctime still moved
    assert.equal(unchanged(file, sig), false);
    assert.equal(unchanged(path.join(tmp, 'gone.txt'), sig), false);
  });

  it('refuses a snapshot of another root, other options, another format or a damaged one, and indexes cold instead', async () => {
    const first = await coldIndex(dir);
    const snap = first.idx.snapshot() as Record<string, unknown> & { dirs: Row[] };
    const expected = answers(first.idx);
    const withSites = snap.dirs.findIndex((r) => r[3].some((x) => x !== 0 && x.s));
    assert.ok(withSites >= 0);
    const row = snap.dirs[withSites];
    const k = row[3].findIndex((x) => x !== 0 && x.s);
    const file = path.join(dir, row[0], row[1][k]);
    const damaged = (change: (r: Row) => Row) => ({ ...snap, dirs: snap.dirs.map((r, i) => (i === withSites ? change(r) : r)) });
    const cases: [string, unknown, RegExp][] = [
      ['another root', { ...snap, root: '/elsewhere' }, /made for \/elsewhere/],
      ['other options', { ...snap, options: { ...(snap.options as object), prefilter: false } }, /other index options/],
      ['another format', { ...snap, format: 99 }, /format 99/],
      ['another build', { ...snap, build: 'feedface' }, /another build/],
      ['not an object', [1, 2], /not a snapshot/],
      ['a site without its line', damaged((r) => [r[0], r[1], r[2], r[3].map((x, j) => (j === k ? { ...(x as object), s: { sites: [{ file }], findings: [] } } : x))]), /damaged site/],
      ['a signature that is a string', damaged((r) => [r[0], r[1], r[2].map((x, j) => (j === k * 6 + 2 ? ('x' as unknown as number) : x)), r[3]]), /damaged signature/],
      ['a file outside the root', damaged((r) => [r[0], r[1].map((n, j) => (j === k ? '../../etc/passwd' : n)), r[2], r[3]]), /a file outside/],
      ['a directory outside the root', damaged((r) => ['go/../..', r[1], r[2], r[3]]), /a directory outside/],
      ['a language that is none', damaged((r) => [r[0], r[1], r[2].map((x, j) => (j === k * 6 ? 99 : x)), r[3]]), /damaged file entry/],
      ['a row cut short', damaged((r) => [r[0], r[1], r[2].slice(1), r[3]]), /damaged directory entry/],
    ];
    for (const [what, data, reason] of cases) {
      const idx = new SpawnSiteIndex();
      const stats = await idx.indexDirectory(dir, { snapshot: data });
      assert.match(stats.snapshotRejected ?? '', reason, what);
      assert.equal(stats.snapshotOutdated === true, what === 'another format' || what === 'another build', `${what}: outdated, not damaged`);
      assert.equal(stats.reused, 0, what);
      assert.deepEqual(answers(idx), expected, what);
    }
    assert.ok('rejected' in decodeSnapshot(snap, { root: dir, options: { ignore: ['x'], gitignore: true, maxFileBytes: 1, prefilter: true } }));
  });

  it('says what is wrong with a truncated snapshot file, and saves a whole one or nothing', () => {
    const file = path.join(tmp, 'cache', 'x.json');
    assert.deepEqual(readSnapshotFile(file), {}); // none yet: no error
    assert.equal(writeSnapshotFile(file, { a: 1 }), undefined);
    assert.deepEqual(readSnapshotFile(file).data, { a: 1 });
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    fs.writeFileSync(file, '{"format": 1, "files": [');
    assert.match(readSnapshotFile(file).error ?? '', /x\.json is damaged/);
    // Saving into a directory that cannot be made: an error message, no exception, no stray file.
    const blocked = path.join(tmp, 'blocked');
    fs.writeFileSync(blocked, '');
    assert.match(writeSnapshotFile(path.join(blocked, 'y.json'), { a: 1 }) ?? '', /cannot save the spawn-site index/);
    assert.deepEqual(fs.readdirSync(path.join(tmp, 'cache')), ['x.json']);
  });

  it('prunes saved indexes unused for a month, and dead temporary files after a day, and nothing else', () => {
    const cache = path.join(tmp, 'cache');
    fs.mkdirSync(cache);
    const day = 24 * 3600 * 1000;
    const files: [string, number, boolean][] = [
      ['0123456789abcdef.json', 40 * day, true],
      ['1123456789abcdef.json', 10 * day, false],
      ['2123456789abcdef.json.4242.tmp', 2 * day, true],
      ['3123456789abcdef.json.4243.tmp', 1000, false],
      ['notes.json', 400 * day, false],
    ];
    for (const [name, age] of files) {
      fs.writeFileSync(path.join(cache, name), '{}');
      const t = new Date(Date.now() - age);
      fs.utimesSync(path.join(cache, name), t, t);
    }
    assert.equal(pruneSnapshotDir(cache), 2);
    assert.deepEqual(fs.readdirSync(cache).sort(), files.filter(([, , gone]) => !gone).map(([n]) => n).sort());
    assert.equal(pruneSnapshotDir(path.join(tmp, 'none')), 0);
  });

  it('gives the cold answers on GOROOT/src from a snapshot, without reading a file', async function () {
    if (!GOROOT_SRC) this.skip();
    const cold = await coldIndex(GOROOT_SRC!);
    const file = path.join(tmp, 'goroot.json');
    assert.equal(writeSnapshotFile(file, cold.idx.snapshot()), undefined);
    const idx = new SpawnSiteIndex();
    const stats = await idx.indexDirectory(GOROOT_SRC!, { snapshot: readSnapshotFile(file).data });
    assert.equal(stats.reused, cold.stats.files);
    assert.equal(stats.parsed, 0);
    assert.deepEqual(answers(idx), answers(cold.idx));
  });

  describe('in the CLI', () => {
    const cli = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

    it('saves the index in $PROCESS_INSPECTOR_CACHE_DIR and prints the same from it; --no-cache saves nothing', () => {
      const cache = path.join(tmp, 'cache');
      const env = { PROCESS_INSPECTOR_CACHE_DIR: cache };
      const fresh = cli(['sites', dir, '--json', '--no-cache'], env);
      assert.equal(fresh.status, 0, fresh.stderr);
      assert.equal(fs.existsSync(cache), false);
      const first = cli(['sites', dir, '--json'], env);
      assert.equal(first.status, 0, first.stderr);
      const saved = snapshotFile(cache, dir);
      assert.ok(fs.existsSync(saved));
      const before = fs.statSync(saved).mtimeMs;
      const savedText = fs.readFileSync(saved, 'utf8');
      const second = cli(['sites', dir, '--json'], env);
      assert.equal(second.stderr, '');
      assert.equal(second.stdout, fresh.stdout);
      assert.equal(first.stdout, fresh.stdout);
      assert.equal(fs.readFileSync(saved, 'utf8'), savedText, 'nothing changed: the saved index is not rewritten');
      assert.ok(fs.statSync(saved).mtimeMs >= before, 'but its mtime says it was used');

      // A change on disk shows at once, and the saved index follows.
      const leaks = path.join(dir, 'go/leaks/leaks.go');
      edit(leaks, fs.readFileSync(leaks, 'utf8').replace('package leaks', 'package leaks\n\n// moved down'));
      const third = JSON.parse(cli(['sites', dir, '--json'], env).stdout).sites;
      assert.deepEqual(third, JSON.parse(cli(['sites', dir, '--json', '--no-cache'], env).stdout).sites);
      assert.notDeepEqual(third, JSON.parse(second.stdout).sites);

      // Files only deleted: nothing to read, but the saved index is rewritten without them.
      fs.rmSync(path.join(dir, 'python'), { recursive: true });
      assert.equal(cli(['sites', dir, '--json'], env).status, 0);
      const held = heldPaths(readSnapshotFile(saved).data, dir);
      assert.ok(held.length > 0 && !held.some((p) => p.startsWith(path.join(dir, 'python'))));
    });

    it('says so on stderr and still answers when the saved index is damaged, then replaces it', () => {
      const cache = path.join(tmp, 'cache');
      const env = { PROCESS_INSPECTOR_CACHE_DIR: cache };
      const good = cli(['sites', dir, '--json'], env);
      const saved = snapshotFile(cache, dir);
      fs.writeFileSync(saved, fs.readFileSync(saved, 'utf8').slice(0, 1000));
      const r = cli(['sites', dir, '--json'], env);
      assert.equal(r.status, 0);
      assert.match(r.stderr, /^process-inspector sites: ignoring the saved index: .*is damaged/);
      assert.equal(r.stdout, good.stdout);
      assert.ok(readSnapshotFile(saved).data, 'replaced by a whole one');
      assert.equal(cli(['sites', dir, '--json'], env).stderr, '');
    });

    it('refuses --no-cache where there is no index', () => {
      const r = cli(['zombies', '--no-cache']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--no-cache goes with --workspace/);
    });
  });
});
