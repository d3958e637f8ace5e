/** C and C++ spawn sites over test/fixtures/spawnsites/c: exact lines and verdicts. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { SpawnSiteIndex } from '../../src/spawnsites/index';
import type { SpawnSite } from '../../src/spawnsites/types';
import { itFindsTheMarkedSites, siteAt } from '../support/markers';

const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/spawnsites/c');

type Row = [file: string, line: number, api: string, waited: SpawnSite['waited'], program: string | null];

const EXPECTED: Row[] = [
  ['correct.c', 12, 'fork', 'yes', null], // waitpid(pid) below; the exec's program is a parameter
  ['correct.c', 15, 'execlp', 'yes', null], // runs in that fork's child
  ['correct.c', 23, 'fork', 'yes', 'date'], // switch (fork()) with wait(NULL) in default
  ['correct.c', 28, 'execvp', 'yes', 'date'],
  ['correct.c', 36, 'popen', 'yes', 'uname'], // pclose
  ['correct.c', 43, 'system', 'yes', 'true'],
  ['correct.c', 47, 'fork', 'yes', null], // if (pid > 0) exit(0): daemonising
  ['correct.c', 49, 'fork', 'yes', '/usr/sbin/demo-daemon'], // second fork of the double fork: its parent exits
  ['correct.c', 50, 'execl', 'yes', '/usr/sbin/demo-daemon'],
  ['correct.c', 56, 'fork', 'unknown', '/bin/sleep'], // pid returned to the caller
  ['correct.c', 58, 'execl', 'unknown', '/bin/sleep'],
  ['correct.c', 67, 'posix_spawn', 'yes', '/bin/echo'],
  ['handler.c', 19, 'fork', 'yes', null], // SIGCHLD handler (sigaction) waits
  // kinds/: each kind of issue 10 for C, with its twin beside it.
  ['kinds/condfork.c', 6, 'fork', 'no', 'notify-send'],
  ['kinds/condfork.c', 7, 'execlp', 'no', 'notify-send'],
  ['kinds/condfork.c', 14, 'fork', 'yes', 'notify-send'],
  ['kinds/condfork.c', 15, 'execlp', 'yes', 'notify-send'],
  ['kinds/controlflow.c', 9, 'fork', 'yes', 'make'],
  ['kinds/controlflow.c', 13, 'execlp', 'yes', 'make'],
  ['kinds/controlflow.c', 24, 'fork', 'yes', null],
  ['kinds/controlflow.c', 27, 'execlp', 'yes', null],
  ['kinds/controlflow.c', 37, 'fork', 'no', 'cat'],
  ['kinds/controlflow.c', 39, 'execlp', 'no', 'cat'],
  ['kinds/controlflow.c', 52, 'fork', 'unknown', 'worker'],
  ['kinds/controlflow.c', 54, 'execlp', 'unknown', 'worker'],
  ['kinds/controlflow.c', 59, 'execv', 'unknown', '/proc/self/exe'],
  ['kinds/controlflow.c', 63, 'fork', 'yes', null],
  ['kinds/failexit.c', 7, 'fork', 'no', null],
  ['kinds/failexit_ok.c', 9, 'fork', 'yes', null],
  ['kinds/forkpty.c', 8, 'forkpty', 'no', 'bash'],
  ['kinds/forkpty.c', 10, 'execlp', 'no', 'bash'],
  ['kinds/forkpty.c', 18, 'fdforkpty', 'yes', 'stty'],
  ['kinds/forkpty.c', 21, 'execlp', 'yes', 'stty'],
  ['kinds/globals.c', 12, 'fork', 'yes', 'helper'],
  ['kinds/globals.c', 14, 'execlp', 'yes', 'helper'],
  ['kinds/globals.c', 25, 'fork', 'unknown', 'shared'],
  ['kinds/globals.c', 27, 'execlp', 'unknown', 'shared'],
  ['kinds/globals.c', 33, 'fork', 'unknown', 'watcher'],
  ['kinds/globals.c', 35, 'execlp', 'unknown', 'watcher'],
  ['kinds/globals.c', 46, 'fork', 'no', 'logger'],
  ['kinds/globals.c', 48, 'execlp', 'no', 'logger'],
  ['kinds/mainforever.c', 6, 'fork', 'no', 'date'],
  ['kinds/mainforever.c', 8, 'execlp', 'no', 'date'],
  ['kinds/mainreturn.c', 7, 'fork', 'yes', null],
  ['kinds/mainreturn.c', 13, 'execlp', 'yes', null],
  ['kinds/otherpid.c', 6, 'fork', 'no', 'server'],
  ['kinds/otherpid.c', 8, 'execlp', 'no', 'server'],
  ['kinds/otherpid.c', 16, 'fork', 'no', 'job'],
  ['kinds/otherpid.c', 18, 'execlp', 'no', 'job'],
  ['kinds/otherpid.c', 21, 'fork', 'yes', 'job'],
  ['kinds/otherpid.c', 23, 'execlp', 'yes', 'job'],
  ['kinds/otherpid.c', 30, 'fork', 'yes', 'server'],
  ['kinds/otherpid.c', 32, 'execlp', 'yes', 'server'],
  ['kinds/popen.c', 6, 'popen', 'no', 'touch'],
  ['kinds/popen.c', 10, 'popen', 'no', 'hostname'],
  ['kinds/popen.c', 18, 'popen', 'yes', 'hostname'],
  ['kinds/popen.c', 25, 'popen', 'yes', 'sync'],
  ['kinds/prog/config/bar.c', 5, 'fork', 'yes', 'bar'], // SIGCHLD ignored by the program's main() in prog/main.c
  ['kinds/prog/config/bar.c', 7, 'execlp', 'yes', 'bar'],
  ['kinds/sigwrap.c', 28, 'fork', 'yes', 'true'],
  ['kinds/sigwrap.c', 29, 'execlp', 'yes', 'true'],
  ['kinds/sigwrap_other.c', 23, 'fork', 'no', 'true'],
  ['kinds/sigwrap_other.c', 24, 'execlp', 'no', 'true'],
  ['kinds/sleepexit.c', 6, 'fork', 'no', null],
  ['kinds/twoprogs/lib.c', 5, 'fork', 'no', null], // two programs in the directory: main.c's SIG_IGN says nothing of lib.c
  ['kinds/twoprogs/tool.c', 6, 'fork', 'no', null],
  ['kinds/windows.c', 7, 'popen', 'yes', 'tool.exe'],
  ['kinds/windows.c', 12, 'popen', 'no', 'tool'],
  ['kinds/windows.c', 19, 'fork', 'yes', null],
  ['kinds/windows.c', 21, 'fork', 'yes', null],
  ['kinds/windows.c', 23, 'fork', 'no', null],
  ['kinds/windows.c', 25, 'fork', 'no', null],
  ['leak.c', 13, 'fork', 'no', '/usr/lib/demo/worker'], // #define'd program, no wait
  ['leak.c', 15, 'execl', 'no', '/usr/lib/demo/worker'],
  ['leak.c', 23, 'popen', 'no', 'ls'], // no pclose
  ['leak.c', 30, 'posix_spawnp', 'no', 'sleep'],
  ['leak.c', 35, 'fork', 'no', null], // a copy of the program, never reaped
  ['sigign.c', 8, 'fork', 'yes', 'true'], // signal(SIGCHLD, SIG_IGN)
  ['sigign.c', 9, 'execlp', 'yes', 'true'],
  ['spawner.cpp', 8, 'fork', 'no', 'convert'], // ::fork in a C++ method
  ['spawner.cpp', 10, 'execlp', 'no', 'convert'],
  ['spawner.cpp', 14, 'system', 'yes', 'sync'], // std::system
];

describe('spawn sites: C and C++', function () {
  this.timeout(30000);
  let index: SpawnSiteIndex;
  before(async () => {
    index = new SpawnSiteIndex();
    await index.indexDirectory(FIXTURES);
  });

  itFindsTheMarkedSites(FIXTURES, () => index, EXPECTED);

  it('links each exec to the fork whose child runs it, and marks forks without exec as copies of the parent', () => {
    const at = (file: string, line: number) => siteAt(index, file, line);
    assert.deepEqual(at('leak.c', 13).fork?.execLines, [15]);
    assert.equal(at('leak.c', 15).fork?.forkLine, 13);
    assert.equal(at('leak.c', 35).forksSelf, true);
    assert.equal(at('leak.c', 23).fork?.shell, true);
    assert.equal(at('leak.c', 13).programSource, 'constant');
  });

  it('explains the verdicts', () => {
    const reason = (file: string, line: number) => index.sites().find((s) => s.file.endsWith(file) && s.line === line)!.reason;
    assert.match(reason('correct.c', 12), /waitpid\(pid, &status, 0\) at line 18/);
    assert.match(reason('correct.c', 23), /wait\(NULL\) \(it reaps any child\) at line 31/);
    assert.match(reason('correct.c', 49), /parent exits with _exit\(0\) at line 52/);
    assert.match(reason('sigign.c', 8), /SIGCHLD is ignored at line 6/);
    assert.match(reason('handler.c', 19), /on_child\(\)/);
    assert.match(reason('correct.c', 56), /returned at line 61/);
    assert.match(reason('leak.c', 13), /never waited: its handle goes out of scope at line 19/);
    assert.match(reason('leak.c', 35), /never waited: fork_self ends at line 40/);
  });

  it('issue 10, C: each kind at its exact line, said in words that name the deciding lines', () => {
    const reason = (file: string, line: number) => siteAt(index, file, line).reason;
    // A pid in a file-level variable: a static one judged by this file, a public one left open.
    assert.match(reason('kinds/globals.c', 12), /waitpid\(helper_pid, NULL, 0\) \(through the static variable helper_pid\) at line 21/);
    assert.match(reason('kinds/globals.c', 25), /kept in the variable shared_pid, which code outside this program can reach/);
    // Only signalled here: the program's SIGCHLD handler may live in another file (openssh's sshconnect.c).
    assert.match(reason('kinds/globals.c', 33), /only signalled here \(kill\(watcher_pid, SIGTERM\) at line 41.*a SIGCHLD handler in another file may reap it/);
    assert.match(reason('kinds/globals.c', 46), /never waited: kept in the static variable logger_pid, and nothing in this program waits on it/);
    // SIGCHLD through the project's own wrapper; the same wrapper for another signal reaps nothing.
    assert.match(reason('kinds/sigwrap.c', 28), /SIGCHLD handler on_child\(\) \(installed at line 26\)/);
    assert.match(reason('kinds/sigwrap_other.c', 23), /never waited: its handle is overwritten at line 23/);
    // main returning after the fork loop: init reaps; the endless twin leaks.
    assert.match(reason('kinds/mainreturn.c', 7), /main returns, and the program ends at line 17/);
    assert.match(reason('kinds/mainforever.c', 6), /out of scope at line 12/);
    // Windows-only branches.
    assert.match(reason('kinds/windows.c', 7), /never runs where a child can become a zombie: it sits under `#ifdef _WIN32` \(line 5\)/);
    assert.match(reason('kinds/windows.c', 21), /a branch of `#if defined\(_WIN32\) \|\| defined\(_MSC_VER\)` \(line 18\) that no unix target compiles/);
    assert.match(reason('kinds/windows.c', 12), /start_tool ends at line 14/);
    // `cond && fork() == 0`: the branch is the child's; the parent leaks.
    assert.match(reason('kinds/condfork.c', 6), /notify ends at line 10 without waiting for it/);
    assert.match(reason('kinds/condfork.c', 14), /waitpid\(pid, NULL, 0\) at line 18/);
    // A wait for another pid.
    assert.match(reason('kinds/otherpid.c', 6), /restart ends at line 13 without waiting for it/);
    assert.match(reason('kinds/otherpid.c', 16), /run_twice ends at line 27/);
    // popen dropped at once, or returned from before pclose; a NULL check is the failed start.
    assert.match(reason('kinds/popen.c', 6), /dropped at once \(line 6\)/);
    assert.match(reason('kinds/popen.c', 10), /first_line returns at line 12 without waiting for it; it is waited for only on other paths \(pclose\(fp\) at line 14\)/);
    assert.equal(siteAt(index, 'kinds/popen.c', 10).leak, 'some-paths');
    // forkpty / fdforkpty.
    assert.match(reason('kinds/forkpty.c', 8), /open_shell returns at line 13/);
    assert.deepEqual(siteAt(index, 'kinds/forkpty.c', 18).fork?.execLines, [21]);
    // switch, goto cleanup lowered as a jump to the tail, a backward goto not followed.
    assert.match(reason('kinds/controlflow.c', 9), /waitpid\(pid, &status, 0\) at line 18/);
    assert.match(reason('kinds/controlflow.c', 24), /waitpid\(pid, &rc, 0\) at line 30/);
    assert.match(reason('kinds/controlflow.c', 37), /returns at line 46 without waiting for it; it is waited for only on other paths \(waitpid\(pid, NULL, 0\) at line 43\)/);
    assert.match(reason('kinds/controlflow.c', 52), /goto retry;` at line 53, backwards: not followed/);
    assert.match(reason('kinds/controlflow.c', 59), /replaces the calling process; no child is started here/);
  });

  it('never makes an exec a finding of its own: it follows its fork, and the fork is the finding', () => {
    const execs = index.sites().filter((s) => s.api.startsWith('exec'));
    assert.ok(execs.some((s) => s.waited === 'no'));
    for (const f of index.findings()) assert.ok(!f.site.api.startsWith('exec'), `${f.file}:${f.range.startLine}`);
    for (const s of execs.filter((x) => x.fork?.forkLine)) assert.equal(s.waited, siteAt(index, path.relative(FIXTURES, s.file), s.fork!.forkLine!).waited);
  });

  it('points a finding at the lines of its deciding path', () => {
    const f = index.findings().find((x) => x.file.endsWith('kinds/controlflow.c') && x.range.startLine === 37)!;
    const lines = (f.related ?? []).map((r) => r.range.startLine);
    assert.ok(lines.includes(46), JSON.stringify(f.related));
    assert.match(f.message, /when it exits it stays a zombie/);
  });

  it('reports a finding for each never-waited spawn', () => {
    assert.deepEqual(
      index.findings().map((f) => [path.basename(f.file), f.range.startLine, f.code]),
      [
        ['condfork.c', 6, 'c-fork-without-wait'],
        ['controlflow.c', 37, 'c-fork-without-wait'],
        ['failexit.c', 7, 'c-fork-without-wait'],
        ['forkpty.c', 8, 'c-fork-without-wait'],
        ['globals.c', 46, 'c-fork-without-wait'],
        ['mainforever.c', 6, 'c-fork-without-wait'],
        ['otherpid.c', 6, 'c-fork-without-wait'],
        ['otherpid.c', 16, 'c-fork-without-wait'],
        ['popen.c', 6, 'c-popen-without-pclose'],
        ['popen.c', 10, 'c-popen-without-pclose'],
        ['sigwrap_other.c', 23, 'c-fork-without-wait'],
        ['sleepexit.c', 6, 'c-fork-without-wait'],
        ['lib.c', 5, 'c-fork-without-wait'],
        ['tool.c', 6, 'c-fork-without-wait'],
        ['windows.c', 12, 'c-popen-without-pclose'],
        ['windows.c', 23, 'c-fork-without-wait'],
        ['windows.c', 25, 'c-fork-without-wait'],
        ['leak.c', 13, 'c-fork-without-wait'],
        ['leak.c', 23, 'c-popen-without-pclose'],
        ['leak.c', 30, 'c-spawn-without-wait'],
        ['leak.c', 35, 'c-fork-without-wait'],
        ['spawner.cpp', 8, 'c-fork-without-wait'],
      ],
    );
  });
});
