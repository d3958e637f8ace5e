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

  // Every row agrees with the LEAK / OK / UNKNOWN comment on its line (checked below); src/kinds/ holds
  // one file per kind of issue 10 with its twins, and clippy_shapes.rs the shapes of clippy's own tests.
  const expected: [string, number, string, SpawnSite['waited'], string | null, SpawnSite['leak'] | null][] = [
    ['src/bin/reaper.rs', 4, 'Command::spawn', 'yes', 'worker', null],
    ['src/kinds/adaptors.rs', 11, 'Command::spawn', 'yes', 'cc', null],
    ['src/kinds/adaptors.rs', 17, 'Command::spawn', 'yes', 'git', null],
    ['src/kinds/adaptors.rs', 24, 'Command::spawn', 'yes', 'ls', null],
    ['src/kinds/adaptors.rs', 34, 'Command::spawn', 'yes', 'sync', null],
    ['src/kinds/adaptors.rs', 39, 'Command::spawn', 'yes', 'true', null],
    ['src/kinds/adaptors.rs', 44, 'Command::spawn', 'yes', 'date', null],
    ['src/kinds/adaptors.rs', 52, 'Command::spawn', 'no', 'git', 'always'],
    ['src/kinds/adaptors.rs', 57, 'Command::spawn', 'no', 'make', 'some-paths'],
    ['src/kinds/borrow.rs', 20, 'Command::spawn', 'yes', 'convert', null],
    ['src/kinds/borrow.rs', 26, 'Command::spawn', 'no', 'ffmpeg', 'always'],
    ['src/kinds/borrow.rs', 31, 'Command::spawn', 'yes', 'gzip', null],
    ['src/kinds/borrow.rs', 37, 'Command::spawn', 'unknown', 'sleep', null],
    ['src/kinds/callers.rs', 6, 'Command::spawn', 'no', 'python3', 'some-paths'],
    ['src/kinds/callers.rs', 10, 'Command::spawn', 'yes', 'worker', null],
    ['src/kinds/callers.rs', 15, 'Command::spawn', 'yes', 'logger', null],
    ['src/kinds/callers.rs', 35, 'Command::spawn', 'unknown', 'cat', null],
    ['src/kinds/clippy_shapes.rs', 6, 'Command::spawn', 'no', 'mpv', 'always'],
    ['src/kinds/clippy_shapes.rs', 12, 'Command::spawn', 'yes', 'make', null],
    ['src/kinds/clippy_shapes.rs', 17, 'Command::spawn', 'yes', 'git', null],
    ['src/kinds/clippy_shapes.rs', 23, 'Command::spawn', 'unknown', 'sleep', null],
    ['src/kinds/clippy_shapes.rs', 28, 'Command::spawn', 'yes', 'ls', null],
    ['src/kinds/clippy_shapes.rs', 34, 'Command::spawn', 'unknown', 'cat', null],
    ['src/kinds/clippy_shapes.rs', 43, 'Command::spawn', 'no', 'top', 'always'],
    ['src/kinds/clippy_shapes.rs', 49, 'Command::spawn', 'yes', 'notify', null],
    ['src/kinds/clippy_shapes.rs', 54, 'Command::spawn', 'yes', 'notify', null],
    ['src/kinds/clippy_shapes.rs', 59, 'Command::spawn', 'yes', 'notify', null],
    ['src/kinds/clippy_shapes.rs', 67, 'Command::spawn', 'no', 'beep', 'some-paths'],
    ['src/kinds/clippy_shapes.rs', 74, 'Command::spawn', 'no', 'beep', 'some-paths'],
    ['src/kinds/clippy_shapes.rs', 85, 'Command::spawn', 'yes', 'uptime', null],
    ['src/kinds/clippy_shapes.rs', 93, 'Command::spawn', 'yes', 'tar', null],
    ['src/kinds/clippy_shapes.rs', 98, 'Command::spawn', 'no', 'fetch', 'some-paths'],
    ['src/kinds/clippy_shapes.rs', 106, 'Command::spawn', 'no', 'check', 'some-paths'],
    ['src/kinds/clippy_shapes.rs', 113, 'Command::spawn', 'no', 'check', 'some-paths'],
    ['src/kinds/clippy_shapes.rs', 122, 'Command::spawn', 'no', 'check', 'some-paths'],
    ['src/kinds/clippy_shapes.rs', 131, 'Command::spawn', 'yes', 'check', null],
    ['src/kinds/clippy_shapes.rs', 142, 'Command::spawn', 'yes', 'check', null],
    ['src/kinds/clippy_shapes.rs', 151, 'Command::spawn', 'yes', 'backup', null],
    ['src/kinds/clippy_shapes.rs', 158, 'Command::spawn', 'yes', 'fsck', null],
    ['src/kinds/clippy_shapes.rs', 167, 'Command::spawn', 'yes', 'true', null],
    ['src/kinds/clippy_shapes.rs', 180, 'Command::spawn', 'yes', 'ls', null],
    ['src/kinds/clippy_shapes.rs', 186, 'Command::spawn', 'no', 'xclip', 'always'],
    ['src/kinds/clippy_shapes.rs', 190, 'Command::spawn', 'no', 'xclip', 'always'],
    ['src/kinds/clippy_shapes.rs', 194, 'Command::spawn', 'no', 'server', 'some-paths'],
    ['src/kinds/clippy_shapes.rs', 198, 'Command::spawn', 'unknown', 'server', null],
    ['src/kinds/detached.rs', 7, 'Command::spawn', 'no', null, 'always'],
    ['src/kinds/detached.rs', 12, 'Command::spawn', 'unknown', null, null],
    ['src/kinds/drop_kill.rs', 12, 'Command::spawn', 'no', 'ssh-agent', 'always'],
    ['src/kinds/drop_kill.rs', 34, 'Command::spawn', 'yes', 'gpg-agent', null],
    ['src/kinds/drop_kill.rs', 51, 'Command::spawn', 'unknown', 'tail', null],
    ['src/kinds/drop_kill.rs', 63, 'Command::spawn', 'yes', 'nginx', null],
    ['src/kinds/helpers.rs', 17, 'Command::spawn', 'no', null, 'some-paths'], // self.build_command().spawn()
    ['src/kinds/helpers.rs', 23, 'Command::spawn', 'yes', null, null],
    ['src/kinds/idioms.rs', 7, 'Command::spawn', 'yes', 'rustc', null],
    ['src/kinds/idioms.rs', 17, 'Command::spawn', 'yes', 'cargo', null],
    ['src/kinds/idioms.rs', 27, 'Command::spawn', 'unknown', 'worker', null],
    ['src/kinds/idioms.rs', 36, 'Command::spawn', 'unknown', 'watcher', null],
    ['src/kinds/idioms.rs', 41, 'Command::spawn', 'no', 'flaky', 'some-paths'],
    ['src/kinds/idioms.rs', 46, 'Command::spawn', 'no', 'flaky', 'some-paths'],
    ['src/kinds/idioms.rs', 52, 'Command::spawn', 'yes', null, null],
    ['src/kinds/idioms.rs', 58, 'Command::spawn', 'yes', 'indexer', null],
    ['src/kinds/idioms.rs', 67, 'Command::spawn', 'no', 'beacon', 'always'],
    ['src/kinds/idioms.rs', 74, 'Command::spawn', 'yes', 'job', null],
    ['src/kinds/loops.rs', 8, 'Command::spawn', 'yes', 'sleep', null],
    ['src/kinds/loops.rs', 21, 'Command::spawn', 'yes', 'ping', null],
    ['src/kinds/loops.rs', 36, 'Command::spawn', 'yes', 'du', null],
    ['src/kinds/loops.rs', 50, 'Command::spawn', 'yes', 'fsck', null],
    ['src/kinds/loops.rs', 66, 'Command::spawn', 'no', 'fsck', 'some-paths'],
    ['src/kinds/loops.rs', 78, 'Command::spawn', 'no', 'curl', 'some-paths'],
    ['src/kinds/loops.rs', 93, 'Command::spawn', 'unknown', 'yes', null],
    ['src/kinds/not_std.rs', 13, 'Command::status', 'yes', 'true', null], // and not task.spawn(), its own type's
    ['src/kinds/platform.rs', 6, 'Command::spawn', 'yes', 'explorer.exe', null],
    ['src/kinds/platform.rs', 13, 'Command::spawn', 'yes', 'cmd', null],
    ['src/kinds/platform.rs', 20, 'Command::spawn', 'no', 'xdg-open', 'always'],
    ['src/kinds/platform.rs', 26, 'Command::spawn', 'no', 'notify-send', 'always'],
    ['src/kinds/platform.rs', 40, 'Command::spawn', 'yes', 'cmd', null], // only when cfg!(windows)
    ['src/kinds/platform.rs', 42, 'Command::spawn', 'no', 'xdg-open', 'always'],
    ['src/kinds/platform.rs', 48, 'Command::spawn', 'yes', 'explorer.exe', null], // only when !cfg!(unix)
    ['src/kinds/returns.rs', 6, 'Command::spawn', 'yes', 'tar', null],
    ['src/kinds/returns.rs', 11, 'Command::spawn', 'yes', 'gzip', null],
    ['src/kinds/returns.rs', 16, 'Command::spawn', 'yes', 'test', null],
    ['src/kinds/returns.rs', 22, 'Command::spawn', 'no', 'rsync', 'some-paths'],
    ['src/kinds/runtime_std.rs', 17, 'Command::spawn', 'no', null, 'always'], // and none in runtime.rs: tokio's
    ['src/kinds/sys/unix.rs', 4, 'Command::spawn', 'no', 'nohup', 'always'],
    ['src/kinds/sys/win.rs', 4, 'Command::spawn', 'yes', 'cmd', null], // sys.rs: #[cfg(windows)] mod win;
    ['src/kinds/tests.rs', 11, 'Command::spawn', 'yes', 'sleep', null], // prepare()? in a #[test] fails the test
    ['src/kinds/tests.rs', 19, 'Command::spawn', 'yes', 'true', null], // #[tokio::test(…)]
    ['src/kinds/tests.rs', 26, 'Command::spawn', 'no', 'false', 'some-paths'], // the same body, not a test
    ['src/kinds/tests.rs', 35, 'Command::spawn', 'no', 'yes', 'some-paths'], // a closure's ? leaves the closure
    ['src/kinds/tests.rs', 45, 'Command::spawn', 'no', 'env', 'always'],
    ['src/main.rs', 7, 'Command::spawn', 'no', 'sleep', 'always'],
    ['src/main.rs', 11, 'Command::spawn', 'no', 'true', 'always'],
    ['src/main.rs', 15, 'Command::spawn', 'no', 'helper-tool', 'always'],
    ['src/main.rs', 21, 'Command::spawn', 'no', 'date', 'some-paths'],
    ['src/main.rs', 30, 'Command::spawn', 'no', 'uname', 'some-paths'],
    ['src/main.rs', 39, 'Command::spawn', 'yes', 'make', null],
    ['src/main.rs', 45, 'Command::spawn', 'yes', 'ls', null],
    ['src/main.rs', 54, 'Command::spawn', 'yes', 'sleep', null],
    ['src/main.rs', 61, 'Command::spawn', 'no', 'sleep', 'always'],
    ['src/main.rs', 66, 'Command::status', 'yes', 'sync', null],
    ['src/main.rs', 67, 'Command::output', 'yes', 'id', null],
    ['src/main.rs', 71, 'Command::spawn', 'yes', 'sleep', null],
  ];

  itFindsTheMarkedSites(RUST, () => index, expected, { leak: true, verdicts: 'clippy-like verdicts' });

  it('reports each leak where clippy does: at the spawn, or at the caller that drops a returned Child; an allowed one nowhere', () => {
    const rows = index.findings().map((f) => [path.relative(RUST, f.file), f.range.startLine, f.site.line]);
    assert.deepEqual(rows, [
      ['src/kinds/adaptors.rs', 52, 52],
      ['src/kinds/adaptors.rs', 57, 57],
      ['src/kinds/borrow.rs', 26, 26],
      ['src/kinds/callers.rs', 39, 6], // `start_server(8000)?;` drops what start_server returns
      ['src/kinds/clippy_shapes.rs', 6, 6],
      ['src/kinds/clippy_shapes.rs', 43, 43],
      ['src/kinds/clippy_shapes.rs', 67, 67],
      ['src/kinds/clippy_shapes.rs', 74, 74],
      ['src/kinds/clippy_shapes.rs', 98, 98],
      ['src/kinds/clippy_shapes.rs', 106, 106],
      ['src/kinds/clippy_shapes.rs', 113, 113],
      ['src/kinds/clippy_shapes.rs', 122, 122],
      ['src/kinds/clippy_shapes.rs', 186, 186],
      ['src/kinds/clippy_shapes.rs', 190, 190],
      ['src/kinds/clippy_shapes.rs', 225, 194], // `make_child();` in main
      ['src/kinds/detached.rs', 7, 7],
      ['src/kinds/drop_kill.rs', 12, 12],
      ['src/kinds/helpers.rs', 17, 17],
      ['src/kinds/idioms.rs', 41, 41],
      ['src/kinds/idioms.rs', 46, 46],
      ['src/kinds/idioms.rs', 67, 67],
      ['src/kinds/loops.rs', 66, 66],
      ['src/kinds/loops.rs', 78, 78],
      ['src/kinds/platform.rs', 20, 20], // not 26: #[allow(clippy::zombie_processes)]
      ['src/kinds/platform.rs', 42, 42],
      ['src/kinds/returns.rs', 22, 22],
      ['src/kinds/runtime_std.rs', 17, 17],
      ['src/kinds/sys/unix.rs', 4, 4],
      ['src/kinds/tests.rs', 26, 26],
      ['src/kinds/tests.rs', 35, 35],
      ['src/kinds/tests.rs', 45, 45],
      ['src/main.rs', 7, 7],
      ['src/main.rs', 11, 11],
      ['src/main.rs', 15, 15],
      ['src/main.rs', 21, 21],
      ['src/main.rs', 30, 30],
      ['src/main.rs', 84, 61], // `let _ = handed_on();`
    ]);
    // The caller's finding points back at the spawn, in the callee.
    const atCaller = index.findings().find((f) => f.file.endsWith('callers.rs'))!;
    assert.ok(atCaller.related?.some((r) => r.range.startLine === 6 && r.message === 'started here'), JSON.stringify(atCaller.related));
    assert.match(atCaller.site.reason, /at line 6 starts a child .*dropped at once \(line 39\); it is waited for only on other paths \(server\.wait\(\) at line 45\)/);
  });

  it('says why, in the words of each kind', () => {
    const at = (file: string, line: number) => siteAt(index, file, line).reason;
    // &mut child handed to this file's functions: by their summaries; to another crate's: unknown.
    assert.match(at('borrow.rs', 20), /reap\(\), which waits for it at line 22/);
    assert.match(at('borrow.rs', 26), /child\.kill\(\) at line 12 does not reap it/);
    assert.match(at('borrow.rs', 37), /handed to \.wait_timeout\(\) at line 38/);
    // A callee whose body is todo!(): what it does with the Child is unknown, and said so.
    assert.match(at('clippy_shapes.rs', 34), /handed to send_to_supervisor\(\), which hands it on at line 35/);
    // A struct whose Drop only kills its Child.
    assert.match(at('drop_kill.rs', 12), /kept in field child of Helper, and nothing in this program waits on it; only self\.child\.kill\(\) at line 23, which does not reap it/);
    assert.match(at('drop_kill.rs', 34), /self\.proc_\.wait\(\) \(through field proc_ of Reaped\) at line 41/);
    assert.match(at('drop_kill.rs', 51), /field handle of Open, which code outside this program can reach/);
    // try_wait polled in a loop; a kill on timeout that never reaps.
    assert.match(at('loops.rs', 8), /child\.try_wait\(\) at line 10/);
    assert.match(at('loops.rs', 78), /out of scope at line 90.*child\.kill\(\) at line 84 does not reap it/);
    assert.match(at('loops.rs', 93), /returned at line \d+ to the callers of peek_once/);
    assert.match(at('clippy_shapes.rs', 23), /c\.try_wait\(\) reaps it only if it has already exited/);
    // Result adaptors: the `?` is taken only when the spawn failed.
    assert.match(at('adaptors.rs', 17), /child\.wait\(\) at line 18/);
    assert.match(at('adaptors.rs', 57), /returns at line 59 without waiting/);
    // `return child.wait()`.
    assert.match(at('returns.rs', 6), /child\.wait\(\) at line 7/);
    // Platform guards on items, and clippy's own allow.
    assert.match(at('platform.rs', 6), /#\[cfg\(windows\)\] at line 4 builds it only where there are no zombies/);
    assert.match(at('platform.rs', 13), /#\[cfg\(not\(unix\)\)\] at line 9/);
    assert.equal(at('platform.rs', 40), 'never runs where a child can become a zombie: only when `cfg!(windows)` is true (line 39)');
    assert.equal(at('platform.rs', 48), 'never runs where a child can become a zombie: only when `cfg!(unix)` is false (line 47)');
    assert.match(at('platform.rs', 26), /not reported: #\[allow\(clippy::zombie_processes\)\] at line 24/);
    assert.match(at('sys/win.rs', 4), /its parent module sys\.rs declares it under #\[cfg\(windows\)\]/);
    // Exits: held at the exit, init reaps it; an exit on one path only does not count.
    assert.match(at('clippy_shapes.rs', 59), /std::process::abort\(\) at line 63, and init reaps the child/);
    assert.match(at('clippy_shapes.rs', 67), /out of scope at line 71/);
  });

  it('explains early returns and one-branch waits, and lists the crate as a program', () => {
    const at = (line: number) => siteAt(index, 'main.rs', line);
    assert.match(at(21).reason, /returns at line 23 without waiting for it; it is waited for only on other paths \(child\.wait\(\) at line 25\)/);
    assert.match(at(30).reason, /out of scope at line 34; it is waited for only on other paths \(child\.wait\(\) at line 32\)/);
    assert.match(at(15).reason, /child\.kill\(\) at line 16 does not reap it/);
    const crate = index.units().find((u) => u.kind === 'rust-crate')!;
    assert.deepEqual(crate.names.sort(), ['reaper', 'spawn-demo', 'spawn_demo']);
  });
});
