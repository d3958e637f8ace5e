/** The built CLI (dist/cli.js) as a user runs it: help, version, and clear errors on bad usage. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, runCli } from '../support/procs';

describe('process-inspector CLI usage', () => {
  it('--help prints usage naming every command, exit 0', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['tree', 'zombies', 'sites', '--root', '--json', '--workspace DIR', 'spawnSite']) assert.ok(r.stdout.includes(c), c);
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
  });

  for (const [args, message] of [
    [[], /no command given/],
    [['frob'], /unknown command "frob"/],
    [['zombies', '--frob'], /Unknown option '--frob'/],
    [['zombies', '--root'], /--root/],
    [['zombies', '--root', '-5'], /--root/],
    [['zombies', '--root', '12abc'], /wants a process ID/],
    [['tree', 'extra'], /unexpected argument "extra"/],
  ] as [string[], RegExp][]) {
    it(`rejects ${JSON.stringify(args)} with exit 2 and a clear message`, async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /--help/);
      assert.equal(r.stdout, '');
    });
  }
});
