/**
 * Issue 12, item 10: a parent whose executable lies outside the workspace, matched to one of the
 * workspace's programs by its name alone, is weak evidence (another build, another project, a
 * system binary of the same name): such a link is at most `possible`, and says why.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SpawnSiteIndex } from '../../src/spawnsites/index';
import { linkZombie } from '../../src/spawnsites/link';

describe('linking: no `likely` from outside the workspace on a name alone (issue 12, item 10)', function () {
  this.timeout(60000);
  let ws: string;
  const index = new SpawnSiteIndex();
  before(async () => {
    ws = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-link-outside-'));
    fs.mkdirSync(path.join(ws, 'worker'));
    fs.writeFileSync(path.join(ws, 'go.mod'), 'module example.com/demo\n\ngo 1.19\n');
    fs.writeFileSync(path.join(ws, 'worker', 'main.go'), 'package main\n\nimport "os/exec"\n\nfunc main() {\n\tc := exec.Command("sleep", "1")\n\t_ = c.Start()\n\tselect {}\n}\n');
    await index.indexDirectory(ws);
    assert.equal(index.sites().length, 1);
  });
  after(() => fs.rmSync(ws, { recursive: true, force: true }));
  const zombie = { pid: 200, comm: 'sleep', ppid: 100 };

  it('a parent /usr/local/bin/worker named like the workspace command worker/: possible, and the reason says why', () => {
    const link = linkZombie(zombie, { pid: 100, comm: 'worker', exe: '/usr/local/bin/worker', cmdline: ['/usr/local/bin/worker'] }, index);
    assert.ok(link, 'still a candidate');
    assert.equal(link.confidence, 'possible');
    assert.match(link.reason, /outside the workspace/);
    assert.match(link.reason, /name alone/);
  });

  it('the same parent built inside the workspace is still likely', () => {
    const link = linkZombie(zombie, { pid: 100, comm: 'worker', exe: path.join(ws, 'worker', 'worker'), cmdline: ['./worker'] }, index);
    assert.equal(link?.confidence, 'likely', link?.reason);
    assert.doesNotMatch(link!.reason, /outside the workspace/);
  });

  it('go run (a temporary directory outside the workspace) keeps its likely: the build path says it is go run', () => {
    const link = linkZombie(zombie, { pid: 100, comm: 'main', exe: '/tmp/go-build123/b001/exe/main', cmdline: ['/tmp/go-build123/b001/exe/main'] }, index);
    assert.equal(link?.confidence, 'likely', link?.reason);
  });
});
