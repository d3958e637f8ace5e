/**
 * Go spawn sites over test/fixtures/spawnsites/go: every site at its exact file:line with its
 * verdict, the fixes offered, and the same answer with and without the index's pre-pass.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SpawnSiteIndex } from '../../src/spawnsites/index';
import type { SpawnSite } from '../../src/spawnsites/types';
import { assertAgreesWithMarkers, itFindsTheMarkedSites } from '../support/markers';

const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/spawnsites/go');

type Row = [file: string, line: number, api: string, waited: SpawnSite['waited'], program: string | null, leak: SpawnSite['leak'] | null];

/** Every site in the Go fixtures. The trailing comment on each fixture line says LEAK / OK / UNKNOWN. */
const EXPECTED: Row[] = [
  ['correct/cleanup.go', 17, 'exec.Cmd.Start', 'unknown', null, null], // a closure made before the Start waits, and is returned
  ['correct/correct.go', 13, 'exec.Cmd.Start', 'yes', 'make', null], // Wait below
  ['correct/correct.go', 21, 'exec.Cmd.Start', 'yes', 'sleep', null], // Wait in a goroutine
  ['correct/correct.go', 31, 'exec.Cmd.Start', 'yes', 'sleep', null], // go cmd.Wait()
  ['correct/correct.go', 37, 'exec.Cmd.Start', 'yes', 'sleep', null], // defer cmd.Wait() covers the early return
  ['correct/correct.go', 49, 'exec.Cmd.Start', 'yes', 'sleep', null], // deferred closure waits
  ['correct/correct.go', 62, 'exec.Cmd.Start', 'yes', 'sleep', null], // handed to reap(), which waits
  ['correct/correct.go', 76, 'exec.Cmd.Start', 'yes', 'sleep', null], // handed to waitFor() in waiter.go
  ['correct/correct.go', 81, 'exec.Cmd.Run', 'yes', 'true', null],
  ['correct/correct.go', 84, 'exec.Cmd.Output', 'yes', 'date', null],
  ['correct/correct.go', 92, 'exec.Cmd.Start', 'unknown', 'server', null], // exported struct field (the program from `s.Cmd = exec.Command(...)` above)
  ['correct/correct.go', 97, 'exec.Cmd.Start', 'unknown', 'sleep', null], // returned
  ['correct/correct.go', 104, 'os.StartProcess', 'yes', '/bin/sleep', null],
  ['correct/correct.go', 114, 'exec.Cmd.Start', 'yes', 'sleep', null], // Kill then Wait
  ['correct/correct.go', 123, 'exec.Cmd.Start', 'unknown', 'sleep', null], // passed to a func value
  ['correct/errpred.go', 13, 'exec.Cmd.Start', 'yes', null, null], // isENOEXEC(err) (another file) and errors.Is(err, …) leave only when the Start failed
  ['correct/errpred.go', 27, 'exec.Cmd.Run', 'yes', '/bin/sh', null],
  ['correct/fatal_test.go', 13, 'exec.Cmd.Start', 'yes', 'sleep', null], // the ways out without Wait are t.Fatal: a failed test
  ['correct/fields.go', 12, 'exec.Cmd.Start', 'yes', 'sleep', null], // a private field, waited in stop()
  ['correct/handedon.go', 13, 'exec.Cmd.Start', 'unknown', 'sleep', null], // put in a struct before its Start
  ['correct/handedon.go', 23, 'exec.Cmd.Start', 'unknown', 'sleep', null], // its Wait method returned
  ['correct/literal.go', 8, 'exec.Cmd.Start', 'yes', '/usr/bin/syncthing', null], // a struct-literal Cmd, waited
  ['correct/obtained.go', 11, 'exec.Cmd.Start', 'yes', 'sleep', null], // built by newSleeper() in waiter.go
  ['correct/platform_callers.go', 21, 'exec.Cmd.Start', 'yes', null, null], // its one caller calls it past `if GOOS != "windows" { return }`
  ['correct/platform_code.go', 14, 'exec.Cmd.Start', 'yes', 'rundll32', null], // if runtime.GOOS == "windows"
  ['correct/platform_code.go', 16, 'exec.Cmd.Run', 'yes', 'xdg-open', null],
  ['correct/platform_code.go', 21, 'exec.Cmd.Run', 'yes', null, null],
  ['correct/platform_code.go', 24, 'exec.Cmd.Start', 'yes', 'cmd', null], // past if !isWindows { return }, isWindows a GOOS constant
  ['correct/platform_code.go', 30, 'exec.Cmd.Start', 'yes', 'msg', null], // case "windows", "js" of a switch on runtime.GOOS
  ['correct/platform_code.go', 32, 'exec.Cmd.Run', 'yes', 'notify-send', null],
  ['correct/pty.go', 13, 'pty.Start', 'yes', 'top', null], // kr/pty, then cmd.Wait()
  ['correct/returned.go', 8, 'exec.Cmd.Start', 'yes', 'sleep', null], // returned; the only caller waits
  ['correct/traced.go', 11, 'exec.Cmd.Start', 'unknown', null, null], // its pid handed to PtraceAttach
  ['correct/traced.go', 21, 'exec.Cmd.Start', 'unknown', null, null], // started traced
  ['deps/build.go', 14, 'exec.Cmd.Start', 'no', null, 'always'], // shell.Exec's Command embeds *exec.Cmd (vendor/)
  ['deps/build.go', 21, 'exec.Cmd.Start', 'yes', null, null],
  ['leaks/cleanup.go', 15, 'exec.Cmd.Start', 'no', null, 'always'], // the closure made before the Start only kills, in a goroutine
  ['leaks/errpred.go', 13, 'exec.Cmd.Start', 'no', null, 'some-paths'], // retryable(err) is true for nil too
  ['leaks/fatal_test.go', 13, 'exec.Cmd.Start', 'no', 'sleep', 'some-paths'], // a plain return passes the test without Wait
  ['leaks/fields.go', 13, 'exec.Cmd.Start', 'no', 'worker-daemon', 'always'], // a private field only killed
  ['leaks/handedon.go', 9, 'exec.Cmd.Start', 'no', 'sleep', 'always'], // started in a goroutine, held by nothing
  ['leaks/leaks.go', 20, 'exec.Cmd.Start', 'no', 'worker-daemon', 'always'], // constant program, lost at the loop body's end
  ['leaks/leaks.go', 29, 'exec.Cmd.Start', 'no', 'helper', 'some-paths'], // filepath.Join base; early return
  ['leaks/leaks.go', 40, 'exec.Cmd.Start', 'no', '/usr/bin/notify-send', 'always'], // Cmd discarded
  ['leaks/leaks.go', 45, 'os.StartProcess', 'no', '/bin/sleep', 'always'], // Release, no Wait
  ['leaks/leaks.go', 55, 'exec.Cmd.Start', 'no', 'sleep', 'always'], // Kill, no Wait
  ['leaks/leaks.go', 64, 'syscall.ForkExec', 'no', '/bin/true', 'always'],
  ['leaks/leaks.go', 74, 'exec.Cmd.Start', 'no', 'date', 'always'], // handed to describe(), which never waits
  ['leaks/leaks.go', 87, 'exec.Cmd.Start', 'no', 'tick', 'some-paths'], // overwritten by the next iteration
  ['leaks/literal.go', 8, 'exec.Cmd.Start', 'no', '/usr/bin/syncthing', 'always'], // a struct-literal Cmd, never waited
  ['leaks/obtained.go', 12, 'exec.Cmd.Start', 'no', 'worker-daemon', 'always'], // built by newWorker() in build.go
  ['leaks/platform_callers.go', 19, 'exec.Cmd.Start', 'no', null, 'always'], // a second caller, on every OS
  ['leaks/platform_callers.go', 32, 'exec.Cmd.Start', 'no', null, 'always'], // also used as a value
  ['leaks/platform_code.go', 11, 'exec.Cmd.Start', 'no', 'open', 'always'], // runtime.GOOS == "darwin": an OS with zombies
  ['leaks/platform_code.go', 14, 'exec.Cmd.Start', 'no', 'xdg-open', 'always'], // runtime.GOOS != "windows"
  ['leaks/platform_code.go', 22, 'exec.Cmd.Start', 'no', 'notify-send', 'always'], // case "windows", "linux"
  ['leaks/platform_code.go', 33, 'exec.Cmd.Start', 'no', 'cmd', 'always'], // isWindows is a var assigned elsewhere
  ['leaks/pty.go', 13, 'pty.Start', 'no', 'bash', 'always'], // creack/pty, never waited
  ['leaks/returned.go', 8, 'exec.Cmd.Start', 'no', 'helper', 'always'], // returned; the caller drops it
  ['leaks/traced.go', 11, 'exec.Cmd.Start', 'no', null, 'always'], // the pid only printed
  ['seed/main.go', 22, 'exec.Cmd.Run', 'yes', null, null],
  ['seed/main.go', 29, 'exec.Cmd.Start', 'no', null, 'always'], // the seed's bug
  ['shim/logging/logging.go', 12, 'exec.Cmd.Start', 'unknown', null, null], // a reaper package the shim links
  ['shim/logging/logging_test.go', 11, 'exec.Cmd.Start', 'no', 'shim-test-helper', 'always'], // a test binary: no reaper linked
];

describe('spawn sites: Go', function () {
  this.timeout(30000);
  let index: SpawnSiteIndex;
  before(async () => {
    index = new SpawnSiteIndex();
    await index.indexDirectory(FIXTURES);
  });

  itFindsTheMarkedSites(FIXTURES, () => index, EXPECTED, { leak: true });

  it('reports columns at the start of the spawning call (1-based)', () => {
    const seed = index.sites().find((s) => s.file.endsWith('seed/main.go') && s.line === 29)!;
    // `\t\tif err := cmd.Start(); err != nil {`: cmd starts at column 13, a tab counting as one.
    assert.equal(seed.column, 13);
    assert.deepEqual(seed.range, { startLine: 29, startColumn: 13, endLine: 29, endColumn: 24 });
    assert.equal(seed.go?.variable, 'cmd');
    assert.equal(seed.go?.commandLine, 26);
    assert.equal(seed.go?.flag, 'bin');
  });

  it('says why, with lines', () => {
    const by = (file: string, line: number) => index.sites().find((s) => s.file.endsWith(file) && s.line === line)!;
    assert.match(by('seed/main.go', 29).reason, /cmd\.Start\(\) at line 29 starts a child that is never waited for: its handle goes out of scope at line 34/);
    assert.match(by('leaks/leaks.go', 29).reason, /returns at line 33 .*cmd\.Wait\(\) at line 35/);
    assert.match(by('leaks/leaks.go', 45).reason, /p\.Release\(\) at line 49 does not reap it/);
    assert.match(by('correct/cleanup.go', 17).reason, /handed on before it was started \(captured by the closure at line 13\)/);
    assert.match(by('leaks/cleanup.go', 15).reason, /startServer returns at line 18 without waiting for it/);
    assert.match(by('leaks/errpred.go', 13).reason, /runOrRetry returns at line 15 without waiting for it/);
    assert.match(by('correct/platform_callers.go', 21).reason, /^never runs where a child can become a zombie: restartWindows\(\) is called only at line 16, in restart, only when `runtime\.GOOS != "windows"` is false \(line 13\)$/);
    assert.match(by('correct/platform_code.go', 14).reason, /^never runs where a child can become a zombie: only when `runtime\.GOOS == "windows"` is true \(line 13\)$/);
    assert.match(by('correct/platform_code.go', 24).reason, /only when `isWindows` \(runtime\.GOOS == "windows"\) is true \(line 20\)$/);
    assert.match(by('correct/platform_code.go', 30).reason, /only when `runtime\.GOOS` in "windows", "js" is true \(line 29\)$/);
    assert.match(by('correct/correct.go', 21).reason, /waited for by the goroutine started here, which waits for it at line 25/);
    assert.match(by('correct/correct.go', 37).reason, /deferred cmd\.Wait\(\)/);
    assert.match(by('correct/correct.go', 76).reason, /waited for by waitFor\(\), which waits for it at line 77/);
  });

  it('judges the Go kinds of issue 10 by the whole package: fields, returned Cmds, pty.Start, helpers in other files', () => {
    const by = (file: string, line: number) => index.sites().find((s) => s.file.endsWith(file) && s.line === line)!;
    // A private field nothing waits on (only a Kill): never waited; the same field waited in stop(): yes.
    assert.match(by('leaks/fields.go', 13).reason, /kept in the field cmd, and nothing in this program waits on it; only w\.cmd\.Process\.Kill\(\) at line 18, which does not reap it/);
    assert.match(by('correct/fields.go', 12).reason, /s\.cmd\.Wait\(\) \(through the field cmd\) at line 17/);
    // An exported field: code outside the package may wait for it.
    assert.match(by('correct/correct.go', 92).reason, /kept in the field Cmd, which code outside this program can reach/);
    // Returned to a caller that drops it: the loss is at the caller; the error path (`err != nil`) returns no child.
    assert.match(by('leaks/returned.go', 8).reason, /dropped at once \(line 16\)/);
    const f = index.findings().find((x) => x.site.file.endsWith('leaks/returned.go'))!;
    assert.ok(f.related?.some((r) => r.range.startLine === 16), JSON.stringify(f.related));
    assert.match(by('correct/returned.go', 8).reason, /cmd\.Wait\(\) at line 19/);
    // pty.Start starts the Cmd; the program comes from the Cmd it is given.
    assert.match(by('leaks/pty.go', 13).reason, /openShell returns at line 17 without waiting for it/);
    // A Cmd built in another file of the package: its program and its builder's line.
    assert.equal(by('leaks/obtained.go', 12).go?.commandLine, 11);
    assert.equal(by('leaks/obtained.go', 12).programSource, 'constant');
  });

  it('follows a Cmd handed out by a dependency through vendor/ or the module cache, and makes no site without its source', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-go-deps-'));
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-go-modcache-'));
    const saved = process.env.GOMODCACHE;
    try {
      fs.cpSync(path.join(FIXTURES, 'deps'), dir, { recursive: true });
      fs.rmSync(path.join(dir, 'vendor'), { recursive: true });
      const lines = async () => {
        const idx = new SpawnSiteIndex();
        await idx.indexDirectory(dir);
        return idx.sites().map((s) => [s.line, s.waited]);
      };
      process.env.GOMODCACHE = cache;
      assert.deepEqual(await lines(), []); // no source: nothing says shell.Exec returns a Cmd
      fs.cpSync(path.join(FIXTURES, 'deps/vendor/example.com/shell'), path.join(cache, 'example.com/shell@v1.0.0'), { recursive: true });
      assert.deepEqual(await lines(), [
        [14, 'no'],
        [21, 'yes'],
      ]);
    } finally {
      if (saved === undefined) delete process.env.GOMODCACHE;
      else process.env.GOMODCACHE = saved;
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });

  it('offers Start() -> Run() when nothing uses the Cmd after Start (the seed)', () => {
    const f = index.findings().find((x) => x.site.file.endsWith('seed/main.go') && x.site.line === 29)!;
    assert.equal(f.code, 'go-start-without-wait');
    assert.equal(f.fix?.kind, 'start-to-run');
    assert.deepEqual(f.fix?.edits, [{ range: { startLine: 29, startColumn: 17, endLine: 29, endColumn: 22 }, newText: 'Run' }]);
    const text = fs.readFileSync(path.join(FIXTURES, 'seed/main.go'), 'utf8').split('\n')[28];
    assert.equal(text.slice(16, 21), 'Start');
  });

  it('offers an inserted Wait() before the single leaking return', () => {
    const f = index.findings().find((x) => x.site.file.endsWith('leaks/leaks.go') && x.site.line === 29)!;
    assert.equal(f.fix?.kind, 'insert-wait');
    assert.deepEqual(f.fix?.edits, [{ range: { startLine: 33, startColumn: 1, endLine: 33, endColumn: 1 }, newText: '\t\t_ = cmd.Wait()\n' }]);
    assert.deepEqual(f.related?.map((r) => r.range.startLine), [33]);
  });

  it('offers no fix when the Cmd is used after Start and no single exit leaks (Kill)', () => {
    const f = index.findings().find((x) => x.site.file.endsWith('leaks/leaks.go') && x.site.line === 55 && x.code === 'go-start-without-wait')!;
    assert.equal(f.fix, undefined);
    const kill = index.findings().find((x) => x.code === 'go-kill-without-wait')!;
    assert.equal(kill.range.startLine, 59);
    const release = index.findings().find((x) => x.code === 'go-release-without-wait')!;
    assert.equal(release.range.startLine, 49);
  });

  it('finds nothing to report in the correct package', () => {
    assert.deepEqual(
      index.findings().filter((f) => f.site.file.includes('/correct/')),
      [],
    );
  });

  it('gives the same sites with the pre-pass off (every file and declaration parsed)', async () => {
    const full = new SpawnSiteIndex({ prefilter: false });
    await full.indexDirectory(FIXTURES);
    assert.deepEqual(full.sites(), index.sites());
  });

  it('marks children waited when the program ignores SIGCHLD, and unknown under a Wait4(-1) reaper', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-sites-go-'));
    try {
      fs.writeFileSync(path.join(dir, 'main.go'), 'package main\n\nimport (\n\t"os/exec"\n\t"os/signal"\n\t"syscall"\n)\n\nfunc main() {\n\tsignal.Ignore(syscall.SIGCHLD)\n\tstart()\n}\n');
      fs.writeFileSync(path.join(dir, 'start.go'), 'package main\n\nimport "os/exec"\n\nfunc start() {\n\t_ = exec.Command("x").Start()\n}\n');
      const idx = new SpawnSiteIndex();
      await idx.indexDirectory(dir);
      const [site] = idx.sites();
      assert.equal(site.waited, 'yes');
      assert.match(site.reason, /SIGCHLD is ignored \(main\.go:10\)/);
      assert.deepEqual(idx.findings(), []);

      fs.writeFileSync(path.join(dir, 'main.go'), 'package main\n\nimport "syscall"\n\nfunc main() {\n\tstart()\n\tvar ws syscall.WaitStatus\n\t_, _ = syscall.Wait4(-1, &ws, 0, nil)\n}\n');
      await idx.updateFile(path.join(dir, 'main.go'));
      assert.equal(idx.sites()[0].waited, 'unknown');
      assert.match(idx.sites()[0].reason, /Wait4\(-1, \.\.\.\) at main\.go:8 reaps any child/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('knows a `for {}` without a condition never ends: a Wait inside it that returns covers every path', async () => {
    // The bug this catches: the loop's body was taken for its condition (node wrappers compared
    // by identity), so `for {}` looked finite and the code after it reachable.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-go-for-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'main.go'),
        [
          'package main',
          '',
          'import (',
          '\t"os/exec"',
          '\t"time"',
          ')',
          '',
          'func forever() {',
          '\tcmd := exec.Command("sleep", "1")',
          '\t_ = cmd.Start() // LEAK: the loop below never ends and never waits',
          '\tfor {',
          '\t\ttime.Sleep(time.Second)',
          '\t}',
          '}',
          '',
          'func waitInLoop(done chan bool) {',
          '\tcmd := exec.Command("sleep", "1")',
          '\t_ = cmd.Start() // OK: the only way out of the loop waits',
          '\tfor {',
          '\t\tif <-done {',
          '\t\t\t_ = cmd.Wait()',
          '\t\t\treturn',
          '\t\t}',
          '\t}',
          '}',
          '',
          'func main() {}',
          '',
        ].join('\n'),
      );
      const index = new SpawnSiteIndex();
      await index.indexDirectory(dir);
      const got = index.sites().map((s) => [s.line, s.waited, s.leak ?? null]);
      assert.deepEqual(got, [
        [10, 'no', 'always'],
        [18, 'yes', null],
      ]);
      assert.match(index.sites()[0].reason, /never returns/);
      assertAgreesWithMarkers(dir, index.sites().map((s) => ['main.go', s.line, s.api, s.waited] as const));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
