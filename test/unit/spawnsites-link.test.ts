/**
 * linkZombie on zombies and parents captured from a real /proc (test/fixtures/spawnsites/link),
 * plus the rules that keep it from guessing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { SpawnSiteIndex } from '../../src/spawnsites/index';
import { type LinkableIndex, linkZombie, type ParentRef, type ZombieRef } from '../../src/spawnsites/link';
import type { SpawnSite } from '../../src/spawnsites/types';

const REPO = path.resolve(__dirname, '../../..');
const WS = path.join(REPO, 'test/fixtures/spawnsites');

interface Captured {
  name: string;
  zombie: ZombieRef;
  parent: ParentRef;
  expect: { file: string; line: number; confidence: 'likely' | 'possible' } | null;
}

const captured: Captured[] = JSON.parse(fs.readFileSync(path.join(WS, 'link/captured.json'), 'utf8').split('${WS}').join(WS)).cases;

describe('linking a zombie to its spawn site', function () {
  this.timeout(30000);
  let index: SpawnSiteIndex;
  before(async () => {
    index = new SpawnSiteIndex();
    await index.indexDirectory(WS);
  });

  for (const c of captured) {
    it(`captured: ${c.name}`, () => {
      const link = linkZombie(c.zombie, c.parent, index);
      if (c.expect === null) {
        assert.equal(link, undefined);
        return;
      }
      assert.ok(link, 'a site is attached');
      assert.deepEqual(
        { file: path.relative(WS, link.site.file), line: link.site.line, confidence: link.confidence },
        c.expect,
      );
    });
  }

  it('says why in words, naming the evidence', () => {
    const go = captured.find((c) => c.name.startsWith('go build'))!;
    const link = linkZombie(go.zombie, go.parent, index)!;
    assert.match(link.reason, /the parent \/tmp\/pi\/cap\/bin\/seed \(pid 1731\) is named like the Go command in go\/seed\//);
    assert.match(link.reason, /never waits for its child/);
    const py = captured.find((c) => c.name.startsWith('python3'))!;
    assert.match(linkZombie(py.zombie, py.parent, index)!.reason, /the zombie's name "sleep" is the program subprocess\.Popen at python\/jobs\.py:7/);
    const possible = captured.find((c) => c.expect?.confidence === 'possible')!;
    assert.match(linkZombie(possible.zombie, possible.parent, index)!.reason, /c\/leak\.c:13 .*fit almost as well/);
  });

  it('never attaches the correct site beside the leaking one', () => {
    for (const c of captured.filter((x) => x.expect?.file === 'go/seed/main.go')) {
      assert.notEqual(linkZombie(c.zombie, c.parent, index)?.site.line, 22);
    }
  });

  it('attaches nothing on a name alone when many leaking sites run that program', () => {
    assert.equal(linkZombie({ pid: 9, comm: 'sleep', ppid: 8 }, undefined, index), undefined);
  });

  it('attaches nothing when only "it never waits" speaks for a site', () => {
    // A Go-looking parent (Delve) in no package directory of the workspace, and a name no site runs.
    const link = linkZombie({ pid: 9, comm: 'zzz', ppid: 8 }, { pid: 8, comm: '__debug_bin', exe: '/elsewhere/__debug_bin' }, index);
    assert.equal(link, undefined);
  });

  it("links a Delve binary built in a temporary directory through the debug session's program", () => {
    // What the Processes view saw under Delve: the zombie `true`, its parent the debuggee built by
    // dlv into /tmp/pi-dlv-*/__debug_bin; only the launch configuration says which package it is.
    const zombie = { pid: 25637, comm: 'true', ppid: 25600 };
    const parent = { pid: 25600, comm: '__debug_bin', exe: '/tmp/pi-dlv-VmEA3K/__debug_bin', cmdline: ['/tmp/pi-dlv-VmEA3K/__debug_bin', '-bin', '/bin/true'] };
    // Without it, only the name speaks: some other site of the workspace that runs /bin/true.
    assert.notEqual(linkZombie(zombie, parent, index)?.site.file, path.join(WS, 'go/seed/main.go'));
    const link = linkZombie(zombie, { ...parent, program: path.join(WS, 'go/seed') }, index);
    assert.ok(link);
    assert.deepEqual([path.relative(WS, link.site.file), link.site.line, link.confidence], ['go/seed/main.go', 29, 'likely']);
    assert.match(link.reason, /is the debug session's program go\/seed/);
    // A file of the package names it too; a program elsewhere names nothing here.
    assert.equal(linkZombie(zombie, { ...parent, program: path.join(WS, 'go/seed/main.go') }, index)?.site.line, 29);
    assert.notEqual(linkZombie(zombie, { ...parent, program: '/elsewhere/cmd' }, index)?.site.file, path.join(WS, 'go/seed/main.go'));
  });

  it('matches names cut to 15 bytes, as the kernel stores comm', () => {
    const site: SpawnSite = {
      file: '/ws/a.go', line: 3, column: 2, language: 'go', api: 'exec.Cmd.Start', program: '/opt/bin/a-very-long-program-name',
      waited: 'no', reason: 'never waited', leak: 'always', range: { startLine: 3, startColumn: 2, endLine: 3, endColumn: 9 },
    };
    const idx: LinkableIndex = { root: '/ws', sites: () => [site], units: () => [{ language: 'go', kind: 'go-command', path: '/ws', names: ['a'], files: new Set(['/ws/a.go']) }] };
    const link = linkZombie({ pid: 2, comm: 'a-very-long-pro', ppid: 1 }, { pid: 1, comm: 'a', exe: '/ws/a' }, idx);
    assert.equal(link?.confidence, 'likely');
    assert.equal(linkZombie({ pid: 2, comm: 'a-very-long-pr', ppid: 1 }, { pid: 1, comm: 'a', exe: '/tmp/x/a' }, idx)?.site.program, undefined);
  });

  it('never links a site that waits, whatever the zombie and parent (property)', () => {
    const sites = index.sites();
    const comms = [...new Set(sites.map((s) => (s.program ?? 'x').split('/').pop()!.slice(0, 15))), 'sh', 'leak', 'python3', 'main', 'seed'];
    const exes = ['/tmp/pi/cap/bin/seed', '/tmp/go-build1/b001/exe/main', `${WS}/go/seed/__debug_bin`, '/tmp/pi/cap/cbin/leak', '/usr/bin/python3.11', '/usr/bin/node', `${WS}/rust/target/debug/spawn-demo`, '/usr/bin/sleep'];
    const scripts = sites.map((s) => s.file);
    fc.assert(
      fc.property(fc.constantFrom(...comms), fc.constantFrom(...exes), fc.constantFrom(...scripts), fc.boolean(), (comm, exe, script, withParent) => {
        const parent: ParentRef | undefined = withParent ? { pid: 1, comm: path.basename(exe).slice(0, 15), exe, cmdline: [exe, script] } : undefined;
        const link = linkZombie({ pid: 2, comm, ppid: 1 }, parent, index);
        if (link) {
          assert.notEqual(link.site.waited, 'yes');
          assert.ok(link.reason.length > 20);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('says possible, not likely, when another never-waited site of the program could have started the child', async () => {
    // The case: two helpers both start `true` and never wait, one through a helper that
    // builds the Cmd from a parameter (its program unknown to the index). The name points at the
    // other, but this one could have started `true` as well: only a record can tell them apart.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-two-sites-'));
    try {
      fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/twosites\n\ngo 1.19\n');
      fs.writeFileSync(
        path.join(dir, 'main.go'),
        [
          'package main',
          '',
          'import "os/exec"',
          '',
          'func newCmd(bin string) *exec.Cmd { return exec.Command(bin) }',
          '',
          'func a() { _ = exec.Command("true").Start() }',
          '',
          'func b(bin string) { c := newCmd(bin); _ = c.Start() }',
          '',
          'func main() { a(); b("true") }',
          '',
        ].join('\n'),
      );
      const idx = new SpawnSiteIndex();
      await idx.indexDirectory(dir);
      const leaking = idx.sites().filter((s) => s.waited === 'no');
      assert.equal(leaking.length, 2, 'both Start() calls are never-waited sites');
      const link = linkZombie({ pid: 2, comm: 'true', ppid: 1 }, { pid: 1, comm: 'twosites', exe: path.join(dir, 'twosites') }, idx);
      assert.ok(link);
      assert.equal(link.confidence, 'possible');
      assert.equal(link.site.line, 7);
      assert.match(link.reason, /main\.go:9 could also have started it/);
      // With one of them waited, the other is the only suspect: likely.
      fs.writeFileSync(path.join(dir, 'main.go'), fs.readFileSync(path.join(dir, 'main.go'), 'utf8').replace('_ = c.Start() }', '_ = c.Run() }'));
      const idx2 = new SpawnSiteIndex();
      await idx2.indexDirectory(dir);
      const one = linkZombie({ pid: 2, comm: 'true', ppid: 1 }, { pid: 1, comm: 'twosites', exe: path.join(dir, 'twosites') }, idx2);
      assert.deepEqual([one?.site.line, one?.confidence], [7, 'likely']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
