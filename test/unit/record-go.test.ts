/**
 * The Go spawn recorder on real programs: fixtures are written to a temp directory, built with the
 * real go toolchain through the overlay prepareGo writes (into a temp cache), run, and their record
 * files checked against the real children in /proc (zombies: they are never waited for) and
 * against the fixture's own marker comments for the lines. The first build with an overlay
 * recompiles the standard library (3-5 s); GOCACHE keeps it for later builds and runs.
 */
import * as assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseStat } from '../../src/platform/procfs';
import { GO_HOOKED_FILE, goFlagsEnv, prepareGo } from '../../src/record/go';
import type { Injection, RecordFrame, SpawnRecord } from '../../src/record/types';
import { MAX_FRAMES, RECORD_ENV } from '../../src/record/types';
import { readRecords } from '../support/record';

/** The Go fixtures live in test/fixtures/record-go as .go.txt (not .go: the repository's own
 * spawn-site index would take them for sites of ours). */
const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/record-go');
function fixture(name: string): string {
  return fs.readFileSync(path.join(FIXTURES, `${name}.go.txt`), 'utf8');
}

function goAvailable(go = 'go'): boolean {
  try {
    execFileSync(go, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The environment for go and the programs: no GOFLAGS or record file of our caller's. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GOTOOLCHAIN: 'local' };
  delete env.GOFLAGS;
  delete env[RECORD_ENV];
  return { ...env, ...extra };
}

/** The 1-based line of the fixture holding `// MARK:name`. */
function mark(source: string, name: string): number {
  const lines = source.split('\n');
  const hits = lines.flatMap((l, i) => (l.includes(`// MARK:${name}`) ? [i + 1] : []));
  assert.equal(hits.length, 1, `marker ${name} once in the fixture`);
  return hits[0];
}


function statOf(pid: number) {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`));
  } catch {
    return undefined;
  }
}

/** All children of pid, from every thread's children list. */
function childrenOf(pid: number): Set<number> {
  const out = new Set<number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    for (const c of text.split(/\s+/)) if (c !== '') out.add(Number(c));
  }
  return out;
}

/** Polls until every pid is a zombie child of parent (the children of `true` exit at once). */
async function zombiesOf(parent: number, pids: number[]): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (pids.every((p) => statOf(p)?.state === 'Z' && statOf(p)?.ppid === parent)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  const bad = pids.filter((p) => statOf(p)?.state !== 'Z' || statOf(p)?.ppid !== parent);
  assert.fail(`not zombie children of ${parent}: ${bad.slice(0, 10).join(' ')}`);
}

function isRecord(r: SpawnRecord): boolean {
  const o = r as unknown as Record<string, unknown>;
  return (
    o.v === 1 &&
    Number.isInteger(r.pid) &&
    r.pid > 0 &&
    Number.isInteger(r.ppid) &&
    Number.isInteger(r.tid) &&
    (r.start === null || Number.isInteger(r.start)) &&
    typeof r.time === 'number' &&
    r.api === 'syscall.forkExec' &&
    r.lang === 'go' &&
    Array.isArray(r.stack) &&
    r.stack.length > 0 &&
    r.stack.length <= MAX_FRAMES &&
    r.stack.every((f) => typeof f.function === 'string' && (f.file === undefined || (typeof f.file === 'string' && Number.isInteger(f.line))))
  );
}

/** The innermost frame in the fixture's own file, and the frame after it. */
function userFrames(r: SpawnRecord, file: string): [RecordFrame | undefined, RecordFrame | undefined] {
  const i = r.stack.findIndex((f) => f.file === file);
  return [r.stack[i], i >= 0 ? r.stack[i + 1] : undefined];
}

/** A program that prints "READY ..." and waits for its stdin to close. */
class Running {
  readonly child: ChildProcess;
  private out = '';
  readonly exited: Promise<number | null>;
  static readonly all = new Set<Running>();
  constructor(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.child = spawn(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'inherit'] });
    Running.all.add(this);
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }
  async ready(): Promise<string[]> {
    for (;;) {
      const line = this.out.split('\n').find((l) => l.startsWith('READY'));
      if (line !== undefined) return line.split(' ').slice(1);
      const code = await Promise.race([this.exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 10))]);
      if (code !== 'wait') assert.fail(`the program exited (${code}) before READY; stdout: ${this.out}`);
    }
  }
  async finish(): Promise<number | null> {
    this.child.stdin!.end();
    return this.exited;
  }
  /** A failed test leaves its program waiting on stdin: end it, so mocha can exit. */
  static stopAll(): void {
    for (const r of Running.all) {
      r.child.stdin!.destroy();
      if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    }
    Running.all.clear();
  }
}

const TWO_SITES = fixture('two_sites');

const QUIET = fixture('quiet');

const MANY = fixture('many');

const CLEARENV = fixture('clearenv');

const GO_TEST = fixture('spawn_test');

describe('Go spawn recorder (real go toolchain, real programs)', function () {
  this.timeout(180_000);
  let tmp: string;
  let cacheDir: string;
  let prep: Injection;
  const built = new Map<string, { dir: string; file: string; bin: string }>();

  before(function () {
    if (!goAvailable()) this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-record-go-'));
    cacheDir = path.join(tmp, 'cache');
    const p = prepareGo({ recordFile: path.join(tmp, 'unused.jsonl'), cacheDir, env: cleanEnv() });
    assert.ok(p.ok, `prepareGo: ${p.ok ? '' : p.reason}`);
    prep = p;
  });
  afterEach(() => Running.stopAll());
  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Writes the fixture as module `fixture` in tmp/name and builds it (once per name and flags). */
  function build(name: string, source: string, flags: string[], go = 'go'): { dir: string; file: string; bin: string } {
    const key = `${name}\0${flags.join(' ')}\0${go}`;
    const done = built.get(key);
    if (done) return done;
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module fixture\n\ngo 1.19\n');
    const file = path.join(dir, 'main.go');
    fs.writeFileSync(file, source);
    const bin = path.join(dir, `prog-${built.size}`);
    execFileSync(go, ['build', ...flags, '-o', bin, '.'], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    const b = { dir, file, bin };
    built.set(key, b);
    return b;
  }

  /** Test 1's checks, for a program already running. */
  async function checkTwoSites(run: Running, recordFile: string, file: string): Promise<SpawnRecord[]> {
    const [progText, aText, bText] = await run.ready();
    const [prog, a, b] = [Number(progText), Number(aText), Number(bText)];
    await zombiesOf(prog, [a, b]);
    assert.deepEqual([...childrenOf(prog)].sort(), [a, b].sort(), 'the program has exactly these two children');
    const records = readRecords(recordFile);
    assert.equal(records.length, 2, 'one record per child');
    const byPid = new Map(records.map((r) => [r.pid, r]));
    assert.deepEqual([...byPid.keys()].sort(), [a, b].sort(), 'the records name the real children');
    for (const r of records) {
      assert.ok(isRecord(r), `well-formed: ${JSON.stringify(r)}`);
      assert.equal(r.ppid, prog);
      assert.ok(fs.existsSync(`/proc/${prog}/task/${r.tid}`), 'tid is a thread of the program');
      assert.equal(r.start, statOf(r.pid)!.startTicks, 'start is the zombie child\'s /proc stat field 22');
      assert.equal(r.stack[0].function, 'syscall.StartProcess', 'the stack starts at forkExec\'s caller');
      assert.ok(!r.stack.some((f) => f.function === 'syscall.forkExec' || f.function!.startsWith('syscall.piRecord')), 'no hook or forkExec frame');
      assert.ok(Math.abs(r.time - Date.now()) < 10 * 60_000, `time is wall-clock ms: ${r.time}`);
    }
    const [innerA] = userFrames(byPid.get(a)!, file);
    assert.deepEqual(innerA, { file, line: mark(TWO_SITES, 'A'), function: 'main.main' });
    const [innerB, callerB] = userFrames(byPid.get(b)!, file);
    assert.deepEqual(innerB, { file, line: mark(TWO_SITES, 'B'), function: 'main.startTrue' });
    assert.deepEqual(callerB, { file, line: mark(TWO_SITES, 'CALL-B'), function: 'main.main' });
    assert.equal(await run.finish(), 0);
    return records;
  }

  it('records both sites of a go build -overlay program: real zombie pids, their start ticks, the exact Start() lines', async () => {
    const { dir, file, bin } = build('two', TWO_SITES, prep.goFlags!);
    const recordFile = path.join(tmp, 'two-build.jsonl');
    await checkTwoSites(new Running(bin, [], { cwd: dir, env: cleanEnv({ [RECORD_ENV]: recordFile }) }), recordFile, file);
  });

  it('records through go run with GOFLAGS from goFlagsEnv (the run binary is the parent)', async () => {
    const { dir, file } = build('two', TWO_SITES, prep.goFlags!);
    const goflags = goFlagsEnv(undefined, prep.goFlags!);
    assert.equal(typeof goflags, 'string');
    const recordFile = path.join(tmp, 'two-run.jsonl');
    const env = cleanEnv({ GOFLAGS: goflags as string, [RECORD_ENV]: recordFile });
    await checkTwoSites(new Running('go', ['run', '.'], { cwd: dir, env }), recordFile, file);
  });

  it('records through go test with GOFLAGS (go vet, which go test runs, accepts the replaced file)', () => {
    const dir = path.join(tmp, 'gotest');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module fixture\n\ngo 1.19\n');
    const file = path.join(dir, 'spawn_test.go');
    fs.writeFileSync(file, GO_TEST);
    const recordFile = path.join(tmp, 'gotest.jsonl');
    const goflags = goFlagsEnv('-count=1', prep.goFlags!) as string;
    execFileSync('go', ['test', '.'], { cwd: dir, env: cleanEnv({ GOFLAGS: goflags, [RECORD_ENV]: recordFile }), stdio: ['ignore', 'pipe', 'pipe'] });
    const got = readRecords(recordFile);
    assert.equal(got.length, 1, 'the test\'s one child (go and vet are not built with the overlay)');
    assert.deepEqual(userFrames(got[0], file)[0], { file, line: mark(GO_TEST, 'RUN'), function: 'fixture.TestSpawn' });
  });

  it('records with every other Go toolchain installed as /usr/lib/go-1.N (Debian backports)', async function () {
    const others = fs.existsSync('/usr/lib')
      ? fs.readdirSync('/usr/lib').filter((d) => /^go-1\.\d+$/.test(d) && fs.existsSync(`/usr/lib/${d}/bin/go`))
      : [];
    const mine = execFileSync('go', ['env', 'GOROOT'], { env: cleanEnv(), encoding: 'utf8' }).trim();
    const gos = others.map((d) => `/usr/lib/${d}/bin/go`).filter((g) => !g.startsWith(`${mine}/`) && goAvailable(g));
    if (gos.length === 0) this.skip();
    for (const go of gos) {
      const p = prepareGo({ recordFile: path.join(tmp, 'unused.jsonl'), cacheDir, env: cleanEnv() }, { go });
      assert.ok(p.ok, `${go}: ${p.ok ? '' : p.reason}`);
      assert.match(p.note, /^Go 1\.\d+(\.\d+)?: syscall\/exec_unix\.go overlaid \(hook on line \d+\)$/);
      const { dir, file, bin } = build(`two-${path.basename(path.dirname(path.dirname(go)))}`, TWO_SITES, p.goFlags!, go);
      const recordFile = path.join(tmp, `two-${built.size}.jsonl`);
      await checkTwoSites(new Running(bin, [], { cwd: dir, env: cleanEnv({ [RECORD_ENV]: recordFile }) }), recordFile, file);
    }
  });

  it('moves no line of exec_unix.go: same text on every other line, the hook after the last, records name the real GOROOT lines', async () => {
    const overlayFile = prep.goFlags![0].replace(/^-overlay=/, '');
    const overlay = JSON.parse(fs.readFileSync(overlayFile, 'utf8')) as { Replace: Record<string, string> };
    const goroot = execFileSync('go', ['env', 'GOROOT'], { env: cleanEnv(), encoding: 'utf8' }).trim();
    const original = path.join(goroot, GO_HOOKED_FILE);
    assert.deepEqual(Object.keys(overlay), ['Replace']);
    assert.deepEqual(Object.keys(overlay.Replace), [original], 'one file replaced, none added');
    const orig = fs.readFileSync(original, 'utf8').split('\n');
    const copy = fs.readFileSync(overlay.Replace[original], 'utf8').split('\n');
    const anchor = Number(/hook on line (\d+)\)$/.exec(prep.note)![1]);
    assert.match(orig[anchor - 1], /^\s*pid, err1 = forkAndExecInChild\(/);
    assert.ok(copy.length > orig.length);
    for (let i = 0; i < orig.length - 1; i++) {
      if (i === anchor - 1) {
        const [, indent, statement] = /^(\s*)(.*)$/.exec(orig[i])!;
        assert.equal(copy[i], `${indent}piRecordT0 := piRecordBoot(); ${statement}; piRecordSpawn(pid, err1, piRecordT0)`, 'the clock before the fork and the call after it, both on the anchor line');
      }
      else assert.equal(copy[i], orig[i], `line ${i + 1} unchanged`);
    }
    assert.match(copy.slice(orig.length - 1).join('\n'), /^func piRecordSpawn\(pid int, err1 Errno, t0 int64\) \{$/m, 'the hook comes after the last line');

    // A frame of syscall after the anchor (StartProcess calls forkExec below it) names a line of
    // the ORIGINAL file that really holds that call.
    const { dir, bin } = build('two', TWO_SITES, prep.goFlags!);
    const recordFile = path.join(tmp, 'lines.jsonl');
    const run = new Running(bin, [], { cwd: dir, env: cleanEnv({ [RECORD_ENV]: recordFile }) });
    await run.ready();
    assert.equal(await run.finish(), 0);
    for (const r of readRecords(recordFile)) {
      const f = r.stack.find((x) => x.function === 'syscall.StartProcess')!;
      assert.equal(f.file, original, 'records carry the original GOROOT path');
      assert.ok(f.line! > anchor);
      assert.match(orig[f.line! - 1], /\bforkExec\(/, `line ${f.line} of the original calls forkExec`);
    }
  });

  it('refuses a GOROOT whose exec_unix.go has the anchor missing or twice, or is absent, or is not linux, naming the Go and the file', () => {
    const real = fs.readFileSync(path.join(execFileSync('go', ['env', 'GOROOT'], { env: cleanEnv(), encoding: 'utf8' }).trim(), GO_HOOKED_FILE), 'utf8');
    const anchorLine = real.split('\n').find((l) => /^\s*pid, err1 = forkAndExecInChild\(/.test(l))!;
    const fakeCache = path.join(tmp, 'fake-cache');
    const cases: { name: string; text?: string; goos?: string; want: RegExp }[] = [
      { name: 'missing', text: real.replace(anchorLine, anchorLine.replace('forkAndExecInChild(', 'forkAndExecInChild1(')), want: /is not there/ },
      { name: 'twice', text: real.replace(anchorLine, `${anchorLine}\n${anchorLine}`), want: /is there 2 times \(lines \d+, \d+\), not once/ },
      { name: 'absent', want: /cannot read .*ENOENT/ },
      { name: 'darwin', text: real, goos: 'darwin', want: /GOOS=darwin/ },
    ];
    for (const c of cases) {
      const goroot = path.join(tmp, `fake-goroot-${c.name}`);
      fs.mkdirSync(path.join(goroot, 'src/syscall'), { recursive: true });
      if (c.text !== undefined) fs.writeFileSync(path.join(goroot, GO_HOOKED_FILE), c.text);
      const fakeGo = path.join(goroot, 'go');
      fs.writeFileSync(fakeGo, `#!/bin/sh\n[ "$1" = env ] || exit 2\nprintf '%s\\n' '${goroot}' go1.99.0 ${c.goos ?? 'linux'}\n`, { mode: 0o755 });
      const p = prepareGo({ recordFile: path.join(tmp, 'x.jsonl'), cacheDir: fakeCache, env: cleanEnv() }, { go: fakeGo });
      assert.equal(p.ok, false, c.name);
      assert.equal(p.language, 'go');
      const reason = (p as { reason: string }).reason;
      assert.match(reason, c.want, c.name);
      assert.match(reason, /Go 1\.99\.0/, `${c.name}: names the Go version`);
      if (c.goos === undefined) assert.ok(reason.includes(path.join(goroot, GO_HOOKED_FILE)), `${c.name}: names the file: ${reason}`);
    }
    const oldGo = path.join(tmp, 'go-1.15');
    fs.writeFileSync(oldGo, `#!/bin/sh\nprintf '%s\\n' /usr/lib/go-1.15 '' linux\n`, { mode: 0o755 });
    const old = prepareGo({ recordFile: path.join(tmp, 'x.jsonl'), cacheDir: fakeCache, env: cleanEnv() }, { go: oldGo });
    assert.match((old as { reason: string }).reason, /older than Go 1\.16/);
    const none = prepareGo({ recordFile: path.join(tmp, 'x.jsonl'), cacheDir: fakeCache, env: cleanEnv() }, { go: path.join(tmp, 'no-such-go') });
    assert.equal(none.ok, false);
    assert.match((none as { reason: string }).reason, /no Go toolchain/);
    assert.ok(!fs.existsSync(fakeCache), 'nothing is written when nothing is injected');
  });

  it('changes nothing a program does when the variable is unset or the record file cannot be written; a failed exec is recorded', () => {
    const plain = build('quiet', QUIET, []);
    const hooked = build('quiet', QUIET, prep.goFlags!);
    const records = path.join(tmp, 'quiet-records');
    fs.mkdirSync(path.join(records, 'a-directory'), { recursive: true });
    const run = (bin: string, file?: string) => {
      const r = spawnSync(bin, [], { cwd: plain.dir, env: cleanEnv(file === undefined ? {} : { [RECORD_ENV]: file }), encoding: 'utf8' });
      return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
    };
    const want = run(plain.bin);
    assert.equal(want.status, 5);
    assert.match(want.stdout, /^b: fork\/exec \/nonexistent\/program: no such file or directory$/m);
    assert.deepEqual(run(hooked.bin), want, 'unset');
    assert.deepEqual(fs.readdirSync(records), ['a-directory'], 'unset: nothing written');
    for (const file of [path.join(records, 'no-such-dir', 'r.jsonl'), path.join(records, 'a-directory'), '/proc/version']) {
      assert.deepEqual(run(hooked.bin, file), want, file);
    }
    assert.deepEqual(fs.readdirSync(records), ['a-directory']);
    assert.deepEqual(fs.readdirSync(path.join(records, 'a-directory')), []);

    const ok = path.join(records, 'ok.jsonl');
    assert.deepEqual(run(hooked.bin, ok), want, 'recording');
    assert.equal((fs.statSync(ok).mode & 0o777).toString(8), '600');
    const got = readRecords(ok);
    assert.equal(got.length, 3, 'true, the failed exec (its fork succeeded), sh');
    assert.ok(got.every(isRecord));
    const lines = got.map((r) => userFrames(r, hooked.file)[0]?.line);
    assert.deepEqual(lines.slice(0, 2), [mark(QUIET, 'A'), mark(QUIET, 'FAIL')]);
    assert.ok(lines[2]! > mark(QUIET, 'FAIL'), 'the third record is the Output() call');
  });

  it('records 1,000 spawns from 8 goroutines: 1,000 whole lines, distinct real pids', async () => {
    const { dir, file, bin } = build('many', MANY, prep.goFlags!);
    const recordFile = path.join(tmp, 'many.jsonl');
    const run = new Running(bin, [], { cwd: dir, env: cleanEnv({ [RECORD_ENV]: recordFile }) });
    const [progText, ...pidTexts] = await run.ready();
    try {
      const prog = Number(progText);
      const pids = pidTexts.map(Number);
      assert.equal(pids.length, 1000);
      await zombiesOf(prog, pids);
      const text = fs.readFileSync(recordFile, 'utf8');
      const lines = text.split('\n');
      assert.equal(lines.pop(), '', 'ends with a newline');
      assert.equal(lines.length, 1000, 'one line per spawn');
      const records = lines.map((l) => JSON.parse(l) as SpawnRecord);
      assert.ok(records.every(isRecord), 'every line well-formed');
      assert.equal(new Set(records.map((r) => r.pid)).size, 1000, 'distinct pids');
      assert.deepEqual(records.map((r) => r.pid).sort(), [...pids].sort(), 'the program\'s own children');
      assert.equal(childrenOf(prog).size, 1000);
      const start = mark(MANY, 'START');
      for (const r of records) {
        assert.equal(r.start, statOf(r.pid)!.startTicks);
        assert.deepEqual(userFrames(r, file)[0], { file, line: start, function: 'main.worker' });
      }
      assert.ok(new Set(records.map((r) => r.tid)).size >= 1);
    } finally {
      assert.equal(await run.finish(), 0);
    }
  });

  it('keeps lines whole when 4 processes record into one file at once (one write(2) a line)', async () => {
    // Within one process of Go 1.19 the hooks never overlap (forkExec holds ForkLock for writing
    // around them; 1.21+ lets forks share it); across the processes of a tree only O_APPEND and
    // one write a line keep the lines whole.
    const { dir, bin } = build('many', MANY, prep.goFlags!);
    const recordFile = path.join(tmp, 'many-procs.jsonl');
    const runs = [0, 1, 2, 3].map(() => new Running(bin, ['32'], { cwd: dir, env: cleanEnv({ [RECORD_ENV]: recordFile }) }));
    const ready = await Promise.all(runs.map((r) => r.ready()));
    const progs = ready.map(([p]) => Number(p));
    const pids = ready.flatMap(([, ...rest]) => rest.map(Number));
    assert.equal(pids.length, 4 * 8 * 32);
    const lines = fs.readFileSync(recordFile, 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    const records = lines.map((l, i) => {
      try {
        return JSON.parse(l) as SpawnRecord;
      } catch {
        return assert.fail(`line ${i + 1} is torn: ${l.slice(0, 200)}`);
      }
    });
    assert.ok(records.every(isRecord));
    assert.deepEqual(records.map((r) => r.pid).sort(), [...pids].sort());
    assert.ok(records.every((r) => progs.includes(r.ppid)));
    for (const r of runs) assert.equal(await r.finish(), 0);
  });

  it('reads PROCESS_INSPECTOR_RECORD once at start: a program that clears or rewrites its environment still records into the first file', () => {
    const { dir, file, bin } = build('clearenv', CLEARENV, prep.goFlags!);
    const recordFile = path.join(tmp, 'clearenv.jsonl');
    const other = path.join(tmp, 'clearenv-other.jsonl');
    const r = spawnSync(bin, [other], { cwd: dir, env: cleanEnv({ [RECORD_ENV]: recordFile }), encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout, '<nil>\n<nil>\n');
    const got = readRecords(recordFile);
    assert.deepEqual(
      got.map((x) => userFrames(x, file)[0]?.line),
      [mark(CLEARENV, 'AFTER-CLEARENV'), mark(CLEARENV, 'AFTER-SETENV')],
    );
    assert.ok(!fs.existsSync(other), 'a variable set by the program itself is not followed');
  });

  it('escapes file names in JSON: quote, backslash, tab, control character, invalid UTF-8', () => {
    // Bytes that JS strings cannot carry (0xff) are made by the shell.
    const parent = path.join(tmp, 'weird');
    fs.mkdirSync(parent);
    const recordFile = path.join(tmp, 'weird.jsonl');
    fs.writeFileSync(path.join(parent, 'main.go'), TWO_SITES);
    fs.writeFileSync(path.join(parent, 'go.mod'), 'module fixture\n\ngo 1.19\n');
    const script = `d="$1/$(printf 'q"b\\\\s\\tt\\001u\\377v é')"; mkdir "$d" && cp "$1/main.go" "$1/go.mod" "$d/" && cd "$d" && go build "$2" -o ../prog . && echo | ../prog >/dev/null`;
    execFileSync('sh', ['-c', script, 'sh', parent, prep.goFlags![0]], { env: cleanEnv({ [RECORD_ENV]: recordFile }), stdio: ['ignore', 'ignore', 'pipe'] });
    const raw = fs.readFileSync(recordFile, 'utf8');
    assert.ok(raw.includes('q\\"b\\\\s\\tt\\u0001u\\ufffdv é/main.go"'), raw.slice(0, 600));
    const want = path.join(parent, 'q"b\\s\tt\u0001u\ufffdv é', 'main.go');
    const records = readRecords(recordFile);
    assert.equal(records.length, 2);
    for (const r of records) assert.ok(r.stack.some((f) => f.file === want), JSON.stringify(r.stack));
  });

  it('leaves out an overlay that does not compile (a launch never fails because of the recorder), and says why', () => {
    const assets = path.join(tmp, 'broken-assets');
    fs.mkdirSync(assets, { recursive: true });
    fs.writeFileSync(path.join(assets, 'gohook.go.txt'), '\nfunc piRecordSpawn(pid int, err1 Errno) { this is not Go }\n');
    const saved = process.env.PROCESS_INSPECTOR_RECORD_ASSETS;
    process.env.PROCESS_INSPECTOR_RECORD_ASSETS = assets;
    try {
      const p = prepareGo({ recordFile: path.join(tmp, 'broken.jsonl'), cacheDir: path.join(tmp, 'broken-cache'), env: cleanEnv() });
      assert.equal(p.ok, false);
      assert.match((p as { reason: string }).reason, /^Go [0-9.]+: the overlaid syscall package does not compile, so it is left out \(.*exec_unix\.go.*\); Go spawns are not recorded$/);
    } finally {
      if (saved === undefined) delete process.env.PROCESS_INSPECTOR_RECORD_ASSETS;
      else process.env.PROCESS_INSPECTOR_RECORD_ASSETS = saved;
    }
  });

  it('reuses the cached overlay: the same paths, the files not rewritten; another GOROOT or contents, another directory', () => {
    const ctx = { recordFile: path.join(tmp, 'again.jsonl'), cacheDir, env: cleanEnv() };
    const overlayFile = prep.goFlags![0].replace(/^-overlay=/, '');
    const copy = Object.values((JSON.parse(fs.readFileSync(overlayFile, 'utf8')) as { Replace: Record<string, string> }).Replace)[0];
    const old = new Date('2001-02-03T04:05:06Z');
    for (const f of [overlayFile, copy]) fs.utimesSync(f, old, old);
    const again = prepareGo(ctx);
    assert.ok(again.ok);
    assert.deepEqual(again.goFlags, prep.goFlags);
    assert.deepEqual(again.env, { [RECORD_ENV]: ctx.recordFile });
    for (const f of [overlayFile, copy]) assert.equal(fs.statSync(f).mtimeMs, old.getTime(), `${f} not rewritten`);

    // A damaged cached copy is written again.
    fs.appendFileSync(copy, '// damaged\n');
    assert.ok(prepareGo(ctx).ok);
    assert.ok(!fs.readFileSync(copy, 'utf8').includes('// damaged'));

    // The same file under two GOROOT paths, and a changed file, each get their own directory.
    const real = fs.readFileSync(path.join(execFileSync('go', ['env', 'GOROOT'], { env: cleanEnv(), encoding: 'utf8' }).trim(), GO_HOOKED_FILE), 'utf8');
    const flags = ['a', 'b', 'c'].map((n) => {
      const goroot = path.join(tmp, `cache-goroot-${n}`);
      fs.mkdirSync(path.join(goroot, 'src/syscall'), { recursive: true });
      fs.writeFileSync(path.join(goroot, GO_HOOKED_FILE), n === 'c' ? `${real}// changed\n` : real);
      const fakeGo = path.join(goroot, 'go');
      fs.writeFileSync(fakeGo, `#!/bin/sh\nprintf '%s\\n' '${goroot}' go1.19.8 linux\n`, { mode: 0o755 });
      const p = prepareGo(ctx, { go: fakeGo });
      assert.ok(p.ok, n);
      return p.goFlags![0];
    });
    assert.equal(new Set([...flags, prep.goFlags![0]]).size, 4);
  });
});

describe('goFlagsEnv', () => {
  const flag = '-overlay=/cache/go-overlay-1/overlay.json';
  it('appends our flags to what GOFLAGS had, or sets them alone', () => {
    assert.equal(goFlagsEnv(undefined, [flag]), flag);
    assert.equal(goFlagsEnv('', [flag]), flag);
    assert.equal(goFlagsEnv('  -mod=mod   -count=1 ', [flag]), `-mod=mod   -count=1 ${flag}`);
  });
  it('refuses a GOFLAGS that has an overlay already, and a flag with white space', () => {
    for (const theirs of ['-overlay=/x.json', '-mod=mod --overlay=/x.json', '-overlay']) {
      const r = goFlagsEnv(theirs, [flag]);
      assert.equal(typeof r, 'object', theirs);
      assert.match((r as { reason: string }).reason, /already has -?-overlay/);
    }
    const r = goFlagsEnv(undefined, ['-overlay=/my cache/overlay.json']);
    assert.match((r as { reason: string }).reason, /white space/);
    assert.equal(goFlagsEnv('-overlayish=1', [flag]), `-overlayish=1 ${flag}`);
  });
});
