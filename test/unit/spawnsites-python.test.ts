/** Python spawn sites over test/fixtures/spawnsites/python: exact lines and verdicts. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { SpawnSiteIndex } from '../../src/spawnsites/index';
import type { SpawnSite } from '../../src/spawnsites/types';
import { itFindsTheMarkedSites, siteAt } from '../support/markers';

const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/spawnsites/python');

type Row = [file: string, line: number, api: string, waited: SpawnSite['waited'], program: string | null];

const EXPECTED: Row[] = [
  ['aio.py', 6, 'asyncio.create_subprocess_exec', 'yes', null], // never awaited: the child watcher reaps it
  ['aio.py', 11, 'asyncio.create_subprocess_exec', 'yes', null], // communicate()
  ['aio.py', 17, 'asyncio.create_subprocess_shell', 'yes', null], // wait()
  ['aio.py', 22, 'asyncio.create_subprocess_shell', 'yes', null], // dropped at once: the child watcher reaps it
  ['branches.py', 7, 'subprocess.Popen', 'yes', 'make'], // waited after the if
  ['branches.py', 9, 'subprocess.Popen', 'yes', 'make'], // waited after the if
  ['branches.py', 15, 'subprocess.Popen', 'no', 'make'], // only the other arm waits
  ['branches.py', 17, 'subprocess.Popen', 'yes', 'make'], // waited in its own arm
  ['containers.py', 8, 'subprocess.Popen', 'no', null], // the list is never read again
  ['containers.py', 15, 'subprocess.Popen', 'yes', null], // each one is waited below
  ['containers.py', 23, 'subprocess.Popen', 'no', null], // the dict is never read again
  ['containers.py', 30, 'subprocess.Popen', 'yes', null], // waited through values()
  ['containers.py', 36, 'subprocess.Popen', 'unknown', null], // the list is handed to supervisor.watch()
  ['containers.py', 41, 'subprocess.Popen', 'yes', null], // popped and waited until the list is empty
  ['containers.py', 47, 'subprocess.Popen', 'yes', null], // each waited by index
  ['correct.py', 8, 'subprocess.Popen', 'yes', 'make'], // with waits
  ['correct.py', 13, 'subprocess.Popen', 'yes', 'ls'], // wait
  ['correct.py', 18, 'subprocess.Popen', 'yes', 'git'], // communicate
  ['correct.py', 24, 'subprocess.run', 'yes', 'true'], // run waits
  ['correct.py', 25, 'subprocess.check_output', 'yes', 'date'], // check_output waits
  ['correct.py', 33, 'subprocess.Popen', 'yes', 'sleep'], // reap() waits
  ['correct.py', 38, 'subprocess.Popen', 'unknown', 'sleep'], // returned
  ['correct.py', 42, 'subprocess.Popen', 'yes', 'sleep'], // polled in a loop
  ['correct.py', 48, 'os.fork', 'yes', 'true'], // waitpid
  ['correct.py', 50, 'os.execlp', 'yes', 'true'], // child of the fork above
  ['correct.py', 60, 'multiprocessing.Process.start', 'yes', null], // joined
  ['correct.py', 65, 'os.system', 'yes', 'sync'], // system waits
  ['daemon.py', 7, 'os.fork', 'yes', null], // the parent exits at once
  ['daemon.py', 10, 'os.fork', 'yes', null], // the first child exits too (double fork)
  ['daemon.py', 16, 'os.fork', 'no', null], // here the child exits at once and the parent goes on without waiting
  ['errors.py', 8, 'subprocess.Popen', 'yes', null], // the handler runs when Popen raised, and p is None there
  ['errors.py', 20, 'subprocess.Popen', 'yes', null], // waited after the try
  ['errors.py', 27, 'os.fork', 'yes', null], // `pid == -1` never holds in Python; the parent waits
  ['errors.py', 38, 'subprocess.Popen', 'no', null], // when check() raises, the handler gives up on the child
  ['exits.py', 18, 'subprocess.Popen', 'yes', null], // end() always exits, and init reaps the child
  ['exits.py', 23, 'subprocess.Popen', 'no', null], // maybe_end() returns when code is 0
  ['exits.py', 28, 'os.fork', 'yes', 'sleep'], // the parent side leaves through end()
  ['exits.py', 30, 'os.execvp', 'yes', 'sleep'],
  ['flags.py', 7, 'subprocess.Popen', 'yes', 'tail'], // waited for under the same test
  ['flags.py', 8, 'subprocess.run', 'yes', 'make'],
  ['flags.py', 17, 'subprocess.Popen', 'no', 'tail'], // verbose is rebound before the second test
  ['flags.py', 27, 'subprocess.Popen', 'yes', null], // a closure's test of its enclosing parameter, twice
  ['flags.py', 39, 'subprocess.Popen', 'no', null], // two different flags
  ['flags.py', 49, 'subprocess.Popen', 'yes', null], // `a or b` tested twice
  ['handed.py', 9, 'subprocess.Popen', 'yes', 'worker'], // stop() waits for self.proc
  ['handed.py', 18, 'subprocess.Popen', 'unknown', 'runner'], // self.proc is never waited here, but code outside can reach it
  ['handed.py', 22, 'subprocess.Popen', 'unknown', null], // handed to a thread
  ['handed.py', 31, 'subprocess.Popen', 'no', null], // the only caller drops it
  ['handed.py', 35, 'subprocess.Popen', 'yes', null], // the caller hands it to _reap(), which waits
  ['handed.py', 49, 'subprocess.Popen', 'unknown', null], // stop() uses p (bound after it was defined)
  ['jobs.py', 7, 'subprocess.Popen', 'no', 'sleep'], // kept in a list nothing reads, unwaited through the sleep
  ['leaks.py', 14, 'subprocess.Popen', 'no', '/usr/local/bin/crawler'], // never waited
  ['leaks.py', 21, 'subprocess.Popen', 'no', 'notify-send'], // dropped at once
  ['leaks.py', 25, 'subprocess.Popen', 'no', 'sleep'], // kill without wait
  ['leaks.py', 30, 'os.fork', 'no', 'sleep'], // parent never waits
  ['leaks.py', 32, 'os.execvp', 'no', 'sleep'],
  ['leaks.py', 37, 'os.spawnlp', 'no', 'sleep'], // no waitpid
  ['leaks.py', 47, 'multiprocessing.Process.start', 'no', null], // never joined
  ['pools.py', 11, 'multiprocessing.Pool', 'yes', null], // dropped: its finalizer joins the workers
  ['pools.py', 16, 'multiprocessing.Pool', 'yes', null], // the with block terminates and joins the workers
  ['pools.py', 21, 'multiprocessing.Pool', 'yes', null], // close() and join()
  ['pools.py', 30, 'multiprocessing.Pool', 'yes', null], // terminate() joins the workers
  ['reapall.py', 7, 'os.fork', 'yes', null], // os.wait() below reaps any child
  ['reapall.py', 14, 'os.fork', 'yes', 'true'], // waitpid(-1) in a loop until no child is left
  ['reapall.py', 16, 'os.execvp', 'yes', 'true'],
  ['script.py', 9, 'subprocess.Popen', 'no', null], // helper() returns and the program goes on
  ['script.py', 14, 'os.fork', 'no', 'true'], // the parent waits for another pid
  ['script.py', 16, 'os.execvp', 'no', 'true'],
  ['script.py', 24, 'subprocess.Popen', 'yes', 'sleep'], // main() returns, and the program ends
  ['sigign.py', 10, 'os.fork', 'yes', null], // SIGCHLD ignored
  ['unbound.py', 7, 'subprocess.Popen', 'no', 'xmlsec1'], // the Popen is dropped before the read
  ['unbound.py', 11, 'subprocess.Popen', 'yes', 'xmlsec1'], // communicate waits
  ['unbound.py', 15, 'os.popen', 'unknown', 'uname'], // dropped after read(); collected, its Popen reaps the shell if it has exited
  ['windows.py', 11, 'subprocess.Popen', 'yes', 'explorer'], // Windows only
  ['windows.py', 13, 'subprocess.Popen', 'no', 'open'], // macOS has zombies
  ['windows.py', 15, 'subprocess.Popen', 'no', 'xdg-open'], // dropped at once
  ['windows.py', 20, 'subprocess.Popen', 'yes', 'msg'], // Windows only
  ['windows.py', 22, 'subprocess.Popen', 'yes', 'notify-send'], // waited
  ['windows.py', 27, 'subprocess.call', 'yes', 'vi'], // call waits
  ['windows.py', 28, 'subprocess.Popen', 'yes', 'notepad'], // after `if not IS_WINDOWS: return`, so Windows only
  ['windows.py', 33, 'subprocess.Popen', 'yes', 'start'], // Windows only
  ['windows.py', 34, 'subprocess.Popen', 'yes', 'ls'], // waited
  ['windows.py', 36, 'subprocess.Popen', 'yes', 'dir'], // Windows only, by the second test
  ['windows.py', 42, 'subprocess.Popen', 'yes', 'cmd'], // a method of a class defined only on Windows
  ['windows.py', 45, 'subprocess.Popen', 'no', 'sh'], // defined in the other branch: where zombies are
];

describe('spawn sites: Python', function () {
  this.timeout(30000);
  let index: SpawnSiteIndex;
  before(async () => {
    index = new SpawnSiteIndex();
    await index.indexDirectory(FIXTURES);
  });

  itFindsTheMarkedSites(FIXTURES, () => index, EXPECTED);

  it('resolves programs through aliases, constants and argv lists', () => {
    const at = (file: string, line: number) => siteAt(index, file, line);
    assert.equal(at('leaks.py', 14).programSource, 'constant'); // sp.Popen([WORKER, ...])
    assert.equal(at('leaks.py', 25).api, 'subprocess.Popen'); // from subprocess import Popen
    assert.equal(at('leaks.py', 47).forksSelf, true);
    assert.match(at('leaks.py', 25).reason, /p\.kill\(\) at line 26 does not reap it/);
    assert.match(at('correct.py', 33).reason, /reap\(\), which waits/);
    assert.match(at('sigign.py', 10).reason, /SIGCHLD is ignored at line 5/);
  });

  it('reports findings for the never-waited ones only', () => {
    assert.deepEqual(
      index.findings().map((f) => [path.basename(f.file), f.range.startLine, f.code]),
      [
        ['branches.py', 15, 'python-popen-without-wait'],
        ['containers.py', 8, 'python-popen-without-wait'],
        ['containers.py', 23, 'python-popen-without-wait'],
        ['daemon.py', 16, 'python-fork-without-wait'],
        ['errors.py', 38, 'python-popen-without-wait'],
        ['exits.py', 23, 'python-popen-without-wait'],
        ['flags.py', 17, 'python-popen-without-wait'],
        ['flags.py', 39, 'python-popen-without-wait'],
        ['handed.py', 31, 'python-popen-without-wait'],
        ['jobs.py', 7, 'python-popen-without-wait'],
        ['leaks.py', 14, 'python-popen-without-wait'],
        ['leaks.py', 21, 'python-popen-without-wait'],
        ['leaks.py', 25, 'python-popen-without-wait'],
        ['leaks.py', 30, 'python-fork-without-wait'],
        ['leaks.py', 32, 'python-fork-without-wait'],
        ['leaks.py', 37, 'python-fork-without-wait'],
        ['leaks.py', 47, 'python-process-without-join'],
        ['script.py', 9, 'python-popen-without-wait'],
        ['script.py', 14, 'python-fork-without-wait'],
        ['script.py', 16, 'python-fork-without-wait'],
        ['unbound.py', 7, 'python-popen-without-wait'],
        ['windows.py', 13, 'python-popen-without-wait'],
        ['windows.py', 15, 'python-popen-without-wait'],
        ['windows.py', 45, 'python-popen-without-wait'],
      ],
    );
  });

  // Each kind of issue 10, by the words that decide it (the table above holds the verdicts).
  const reason = (file: string, line: number) => siteAt(index, file, line).reason;

  it('a helper that always exits ends the parent side; one that may return does not', () => {
    assert.match(reason('exits.py', 18), /end\(\), which always exits at line 19, and init reaps the child/);
    assert.match(reason('exits.py', 28), /end\(\), which always exits at line 31/);
    assert.match(reason('exits.py', 23), /dropped at once \(line 23\)/);
  });

  it('one name bound by Popen in both arms of an if: the wait after the if is for either', () => {
    assert.match(reason('branches.py', 7), /proc\.wait\(\) at line 10/);
    assert.match(reason('branches.py', 9), /proc\.wait\(\) at line 10/);
    assert.match(reason('branches.py', 15), /build_quietly ends at line 19 without waiting for it/);
    assert.equal(siteAt(index, 'branches.py', 15).leak, 'always');
  });

  it('the daemonize idiom: the parent exits at once (or the first child of a double fork)', () => {
    assert.match(reason('daemon.py', 7), /os\._exit\(\) at line 8, and init reaps the child/);
    assert.match(reason('daemon.py', 10), /sys\.exit\(\) at line 11/);
    assert.match(reason('daemon.py', 16), /never waited for: its handle goes out of scope at line 17/);
  });

  it('code only for Windows has no zombies: a platform test\'s branch, or what follows an early return', () => {
    // Each by the test that cut its own branch (the engine's platform condition), with its line.
    const never = 'never runs where a child can become a zombie: ';
    assert.equal(reason('windows.py', 11), `${never}only when \`sys.platform == "win32"\` is true (line 10)`);
    assert.equal(reason('windows.py', 20), `${never}only when \`os.name == "nt"\` is true (line 19)`);
    assert.equal(reason('windows.py', 28), `${never}only when \`not IS_WINDOWS\` is false (line 26)`);
    assert.equal(reason('windows.py', 33), `${never}only when \`os.name == "nt"\` is true (line 32)`);
    assert.equal(reason('windows.py', 36), `${never}only when \`sys.platform == "win32"\` is true (line 35)`);
    assert.equal(reason('windows.py', 42), `${never}defined only when \`sys.platform == "win32"\` is true (line 39)`);
    assert.equal(siteAt(index, 'windows.py', 13).waited, 'no'); // darwin is not Windows
  });

  it('Popen(...).stdout.read() drops the Popen; .communicate() on it waits; os.popen(...).read() is left unknown', () => {
    assert.match(reason('unbound.py', 7), /dropped at once \(line 7\)/);
    assert.match(reason('unbound.py', 11), /\.communicate\(\) at line 11/);
    assert.match(reason('unbound.py', 15), /dropped after \.read\(\)/);
  });

  it('a local list or dict of Popens: never read again leaks, read back and waited does not, handed on is unknown', () => {
    assert.match(reason('containers.py', 8), /start_all ends at line 9/);
    assert.match(reason('containers.py', 15), /p\.wait\(\) at line 17/);
    assert.match(reason('containers.py', 23), /start_named returns at line 24/);
    assert.match(reason('containers.py', 30), /p\.communicate\(\) at line 32/);
    assert.match(reason('containers.py', 36), /supervisor\.watch\(\) at line 37/);
    assert.match(reason('containers.py', 41), /procs\.pop\(\)\.wait\(\) at line 43/); // while procs: the list is true while it holds one
    assert.match(reason('containers.py', 47), /procs\[i\]\.wait\(\) at line 49/); // range(len(procs)) runs once per element
  });

  it('multiprocessing.Pool and asyncio subprocesses are reaped by the runtime, waited or not', () => {
    // Measured on CPython 3.11.2 and 3.11.7: a dropped Pool and an unawaited asyncio child leave no zombie.
    for (const line of [11, 16, 21, 30]) assert.match(reason('pools.py', line), /the Pool joins its own workers/);
    for (const line of [6, 11, 17, 22]) assert.match(reason('aio.py', line), /asyncio's child watcher reaps the child/);
  });

  it('module code and main(): the end of a script ends the program; a helper returning does not', () => {
    assert.match(reason('script.py', 24), /main returns, and the program ends at line 26/);
    assert.match(reason('script.py', 9), /helper ends at line 10/);
    assert.match(reason('script.py', 14), /reap_other ends at line 18/); // waitpid of another pid
    assert.match(reason('reapall.py', 7), /os\.wait\(\) at line 10/);
    assert.match(reason('reapall.py', 14), /os\.waitpid\(-1, 0\) at line 19/);
  });

  it('handed on: stored on self and waited by another method, returned to a caller that drops it or reaps it', () => {
    assert.match(reason('handed.py', 9), /self\.proc\.wait\(\) \(through self\.proc of Worker\) at line 13/);
    assert.match(reason('handed.py', 18), /kept in self\.proc of Runner/);
    assert.match(reason('handed.py', 22), /threading\.Thread\(\) at line 23/);
    assert.match(reason('handed.py', 31), /^subprocess\.Popen\(\) at line 31 .*dropped at once \(line 39\)/);
    assert.match(reason('handed.py', 35), /_reap\(\), which waits for it at line 40/);
    assert.match(reason('handed.py', 49), /kept in p, which a nested function or lambda uses/); // stop() is defined before p is bound
  });

  it('a failed start raises: handlers see the state before the Popen, or after a call of this file that had it', () => {
    assert.match(reason('errors.py', 8), /p\.wait\(\) at line 14/); // except OSError: p = None
    assert.match(reason('errors.py', 20), /p\.wait\(\) at line 23/); // except OSError: return None
    assert.match(reason('errors.py', 27), /os\.waitpid\(pid, 0\) at line 33/); // elif pid == -1: never true
    assert.match(reason('errors.py', 38), /checked returns at line 41 without waiting for it; it is waited for only on other paths/);
  });

  it('one flag tested twice pairs the branches, unless it is rebound in between', () => {
    assert.match(reason('flags.py', 7), /log\.wait\(\) at line 11/);
    assert.equal(siteAt(index, 'flags.py', 17).leak, 'some-paths');
  });

  it('a finding\'s related locations are the deciding path: the branch taken and where the child is lost', () => {
    const related = (file: string, line: number) => index.findings().find((f) => path.basename(f.file) === file && f.range.startLine === line)?.related?.map((r) => [r.range.startLine, r.message]);
    assert.deepEqual(related('leaks.py', 30), [[31, '`pid == 0` is false'], [33, 'fork_worker ends at line 33 without waiting for it']]);
    assert.deepEqual(related('handed.py', 31), [[39, 'returned by _spawn()'], [39, 'the handle is dropped at once (line 39)']]);
  });
});
