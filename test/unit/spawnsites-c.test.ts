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
    assert.match(reason('correct.c', 23), /wait\(NULL\) at line 31 reaps any child/);
    assert.match(reason('correct.c', 49), /parent exits at line 52/);
    assert.match(reason('sigign.c', 8), /SIGCHLD is ignored at line 6/);
    assert.match(reason('handler.c', 19), /on_child\(\)/);
    assert.match(reason('correct.c', 56), /returned at line 61/);
    assert.match(reason('leak.c', 13), /no wait\(\)\/waitpid\(\) on the parent side/);
  });

  it('reports a finding for each never-waited spawn', () => {
    assert.deepEqual(
      index.findings().map((f) => [path.basename(f.file), f.range.startLine, f.code]),
      [
        ['leak.c', 13, 'c-fork-without-wait'],
        ['leak.c', 15, 'c-spawn-without-wait'],
        ['leak.c', 23, 'c-popen-without-pclose'],
        ['leak.c', 30, 'c-spawn-without-wait'],
        ['leak.c', 35, 'c-fork-without-wait'],
        ['spawner.cpp', 8, 'c-fork-without-wait'],
        ['spawner.cpp', 10, 'c-spawn-without-wait'],
      ],
    );
  });
});
