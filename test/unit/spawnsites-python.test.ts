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
  ['correct.py', 8, 'subprocess.Popen', 'yes', 'make'], // with block
  ['correct.py', 13, 'subprocess.Popen', 'yes', 'ls'], // wait(); shell=True -> first word
  ['correct.py', 18, 'subprocess.Popen', 'yes', 'git'], // communicate()
  ['correct.py', 24, 'subprocess.run', 'yes', 'true'],
  ['correct.py', 25, 'subprocess.check_output', 'yes', 'date'],
  ['correct.py', 33, 'subprocess.Popen', 'yes', 'sleep'], // handed to reap(), which waits
  ['correct.py', 38, 'subprocess.Popen', 'unknown', 'sleep'], // returned
  ['correct.py', 42, 'subprocess.Popen', 'yes', 'sleep'], // poll() in a loop
  ['correct.py', 48, 'os.fork', 'yes', 'true'], // os.waitpid(pid, 0)
  ['correct.py', 50, 'os.execlp', 'yes', 'true'],
  ['correct.py', 60, 'multiprocessing.Process.start', 'yes', null], // join()
  ['correct.py', 65, 'os.system', 'yes', 'sync'],
  ['jobs.py', 7, 'subprocess.Popen', 'unknown', 'sleep'], // kept in a list
  ['leaks.py', 14, 'subprocess.Popen', 'no', '/usr/local/bin/crawler'], // module constant, never waited
  ['leaks.py', 21, 'subprocess.Popen', 'no', 'notify-send'], // dropped at once
  ['leaks.py', 25, 'subprocess.Popen', 'no', 'sleep'], // kill() without wait()
  ['leaks.py', 30, 'os.fork', 'no', 'sleep'],
  ['leaks.py', 32, 'os.execvp', 'no', 'sleep'],
  ['leaks.py', 37, 'os.spawnlp', 'no', 'sleep'], // P_NOWAIT without waitpid
  ['leaks.py', 47, 'multiprocessing.Process.start', 'no', null],
  ['sigign.py', 10, 'os.fork', 'yes', null], // SIGCHLD ignored
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
        ['leaks.py', 14, 'python-popen-without-wait'],
        ['leaks.py', 21, 'python-popen-without-wait'],
        ['leaks.py', 25, 'python-popen-without-wait'],
        ['leaks.py', 30, 'python-fork-without-wait'],
        ['leaks.py', 32, 'python-fork-without-wait'],
        ['leaks.py', 37, 'python-fork-without-wait'],
        ['leaks.py', 47, 'python-process-without-join'],
      ],
    );
  });
});
