/** JavaScript/TypeScript and Rust spawn sites over their fixtures: exact lines and verdicts. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { SpawnSiteIndex } from '../../src/spawnsites/index';
import type { SpawnSite } from '../../src/spawnsites/types';
import { itFindsTheMarkedSites, siteAt } from '../support/markers';

const REPO = path.resolve(__dirname, '../../..');
const JS = path.join(REPO, 'test/fixtures/spawnsites/js');
const RUST = path.join(REPO, 'test/fixtures/spawnsites/rust');

type Row = [file: string, line: number, language: string, api: string, waited: SpawnSite['waited'], program: string | null];

describe('spawn sites: JavaScript and TypeScript', function () {
  this.timeout(30000);
  it('finds child_process calls through require, destructuring, import and node: specifiers; all reaped by libuv', async () => {
    const index = new SpawnSiteIndex();
    await index.indexDirectory(JS);
    const expected: Row[] = [
      ['server.js', 8, 'javascript', 'child_process.spawn', 'yes', 'ffmpeg'], // cp = require(...), constant
      ['server.js', 10, 'javascript', 'child_process.execFile', 'yes', '/usr/bin/identify'], // { execFile: run }
      ['server.js', 11, 'javascript', 'child_process.spawnSync', 'yes', 'sync'],
      ['server.js', 12, 'javascript', 'child_process.exec', 'yes', 'ls'], // require(...).exec, shell first word
      ['server.js', 13, 'javascript', 'child_process.fork', 'yes', './worker.js'],
      ['tool.ts', 6, 'typescript', 'child_process.execSync', 'yes', 'make'],
      ['tool.ts', 7, 'typescript', 'child_process.spawn', 'yes', 'tsc'], // import { spawn as launch }
      ['tool.ts', 9, 'typescript', 'child_process.execFile', 'yes', 'git'], // import * as childProcess
    ];
    assert.deepEqual(
      index.sites().map((s) => [path.relative(JS, s.file), s.line, s.language, s.api, s.waited, s.program]),
      expected,
    );
    assert.deepEqual(index.findings(), []);
    const fork = index.sites().find((s) => s.api === 'child_process.fork')!;
    assert.equal(fork.forksSelf, true);
    assert.match(index.sites()[0].reason, /libuv/);
  });
});

describe('spawn sites: Rust', function () {
  this.timeout(30000);
  let index: SpawnSiteIndex;
  before(async () => {
    index = new SpawnSiteIndex();
    await index.indexDirectory(RUST);
  });

  const expected: [string, number, string, SpawnSite['waited'], string | null, SpawnSite['leak'] | null][] = [
    ['src/bin/reaper.rs', 4, 'Command::spawn', 'yes', 'worker', null], // match arm waits
    ['src/main.rs', 7, 'Command::spawn', 'no', 'sleep', 'always'], // dropped
    ['src/main.rs', 11, 'Command::spawn', 'no', 'true', 'always'], // let _ =
    ['src/main.rs', 15, 'Command::spawn', 'no', 'helper-tool', 'always'], // kill only; const program
    ['src/main.rs', 21, 'Command::spawn', 'no', 'date', 'some-paths'], // return before wait
    ['src/main.rs', 30, 'Command::spawn', 'no', 'uname', 'some-paths'], // wait on one branch
    ['src/main.rs', 39, 'Command::spawn', 'yes', 'make', null], // builder variable
    ['src/main.rs', 45, 'Command::spawn', 'yes', 'ls', null], // both branches wait
    ['src/main.rs', 54, 'Command::spawn', 'yes', 'sleep', null], // a thread waits
    ['src/main.rs', 61, 'Command::spawn', 'unknown', 'sleep', null], // returned
    ['src/main.rs', 66, 'Command::status', 'yes', 'sync', null],
    ['src/main.rs', 67, 'Command::output', 'yes', 'id', null],
    ['src/main.rs', 71, 'Command::spawn', 'yes', 'sleep', null], // process::exit follows
  ];

  itFindsTheMarkedSites(RUST, () => index, expected, { leak: true, verdicts: 'clippy-like verdicts' });

  it('explains early returns and one-branch waits, and lists the crate as a program', () => {
    const at = (line: number) => siteAt(index, 'main.rs', line);
    assert.match(at(21).reason, /a return at line 23 can leave before child\.wait\(\) at line 25/);
    assert.match(at(30).reason, /only on some branches/);
    assert.match(at(15).reason, /child\.kill\(\) at line 16 does not reap it/);
    const crate = index.units().find((u) => u.kind === 'rust-crate')!;
    assert.deepEqual(crate.names.sort(), ['reaper', 'spawn-demo', 'spawn_demo']);
  });
});
