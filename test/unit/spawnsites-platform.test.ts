/**
 * Platform guards (issue 10: "code that only builds for Windows, where there are no zombies"): a
 * never-waited site in a file that builds only where no child can become a zombie gives no
 * warning, and its twin that may build on a unix still does. Go by file name and build
 * constraints, Rust by a crate-level #![cfg]. Each case is a real file indexed by the real index.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SpawnSiteIndex } from '../../src/spawnsites/index';
import { goFileNameOS, goNeverBuildsWithZombies, parseGoBuildExpr, rustModuleNeverBuilds, rustNeverBuildsWithZombies } from '../../src/spawnsites/platform';

const GO_LEAK = (header: string) => `${header}package p\n\nimport "os/exec"\n\nfunc Leak() {\n\tc := exec.Command("true")\n\t_ = c.Start()\n}\n`;
const RUST_LEAK = (header: string) => `${header}use std::process::Command;\n\npub fn leak() {\n    let _c = Command::new("true").spawn().unwrap();\n}\n`;

/** file name -> [its text, whether a warning must remain]. */
const GO_CASES: Record<string, [string, boolean]> = {
  'leak_windows.go': [GO_LEAK(''), false],
  'leak_windows_amd64_test.go': [GO_LEAK(''), false],
  'leak_js.go': [GO_LEAK(''), false],
  'buildtag.go': [GO_LEAK('//go:build windows\n\n'), false],
  'buildtag_and.go': [GO_LEAK('//go:build windows && (amd64 || arm64) && !race\n\n'), false],
  'plusbuild.go': [GO_LEAK('// +build windows\n\n'), false],
  'plusbuild_two_lines.go': [GO_LEAK('// +build windows plan9\n// +build !plan9\n\n'), false],
  // The twins: each may build where zombies exist.
  'leak_linux.go': [GO_LEAK(''), true],
  'leak_unix.go': [GO_LEAK(''), true], // `unix` is no file-name constraint
  'leak_plan9.go': [GO_LEAK(''), true], // a Plan 9 parent keeps an unread exit status too
  'notwindows.go': [GO_LEAK('//go:build !windows\n\n'), true],
  'either.go': [GO_LEAK('//go:build linux || windows\n\n'), true],
  'custom.go': [GO_LEAK('//go:build mytag\n\n'), true],
  'unixtag.go': [GO_LEAK('//go:build unix\n\n'), true],
  'windows_after_package.go': [`package p\n\n//go:build windows\n\nimport "os/exec"\n\nfunc Leak() {\n\tc := exec.Command("true")\n\t_ = c.Start()\n}\n`, true], // not a header: no constraint
  'unparsed.go': [GO_LEAK('//go:build windows &&\n\n'), true], // not understood: may build
};

describe('platform guards: no warning for code that never runs where zombies exist', function () {
  this.timeout(60_000);
  let dir: string;
  let index: SpawnSiteIndex;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-platform-'));
    fs.mkdirSync(path.join(dir, 'gopkg'));
    fs.writeFileSync(path.join(dir, 'gopkg/go.mod'), 'module example.com/p\n\ngo 1.19\n');
    for (const [name, [text]] of Object.entries(GO_CASES)) fs.writeFileSync(path.join(dir, 'gopkg', name), text);
    fs.mkdirSync(path.join(dir, 'rs/src'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'rs/Cargo.toml'), '[package]\nname = "p"\nversion = "0.1.0"\n');
    fs.writeFileSync(path.join(dir, 'rs/src/win.rs'), RUST_LEAK('//! Windows only.\n#![cfg(windows)]\n\n'));
    fs.writeFileSync(path.join(dir, 'rs/src/win_os.rs'), RUST_LEAK('#![cfg(all(target_os = "windows", feature = "x"))]\n'));
    fs.writeFileSync(path.join(dir, 'rs/src/not_unix.rs'), RUST_LEAK('#![cfg(not(unix))]\n'));
    fs.writeFileSync(path.join(dir, 'rs/src/unix.rs'), RUST_LEAK('#![cfg(unix)]\n'));
    fs.writeFileSync(path.join(dir, 'rs/src/any.rs'), RUST_LEAK('#![cfg(any(windows, unix))]\n'));
    fs.writeFileSync(path.join(dir, 'rs/src/inner_mod.rs'), `${RUST_LEAK('')}\nmod w {\n    #![cfg(windows)]\n}\n`);
    index = new SpawnSiteIndex();
    await index.indexDirectory(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const warned = (file: string) => index.findings().some((f) => f.file === file);

  for (const [name, [, remains]] of Object.entries(GO_CASES)) {
    it(`Go ${name}: ${remains ? 'still warned (it may build where zombies exist)' : 'no warning, the site says why'}`, () => {
      const file = path.join(dir, 'gopkg', name);
      const sites = index.sitesIn(file);
      assert.equal(sites.length, 1, `the Start() of ${name} is a site`);
      assert.equal(warned(file), remains);
      if (remains) assert.equal(sites[0].waited, 'no');
      else {
        assert.equal(sites[0].waited, 'yes');
        assert.match(sites[0].reason, /^never runs where a child can become a zombie: /);
      }
    });
  }

  for (const [name, remains] of [['win.rs', false], ['win_os.rs', false], ['not_unix.rs', false], ['unix.rs', true], ['any.rs', true], ['inner_mod.rs', true]] as const) {
    it(`Rust ${name}: ${remains ? 'still warned' : 'no warning'}`, () => {
      const file = path.join(dir, 'rs/src', name);
      assert.equal(index.sitesIn(file).length, 1);
      assert.equal(warned(file), remains);
    });
  }

  it('reads file names as go/build does, and build expressions with their precedence', () => {
    assert.equal(goFileNameOS('/x/a_windows_arm64_test.go'), 'windows');
    assert.equal(goFileNameOS('/x/windows.go'), undefined, 'a bare GOOS name is no constraint');
    assert.equal(goFileNameOS('/x/a_amd64.go'), undefined);
    assert.equal(goFileNameOS('/x/a_unix.go'), undefined);
    assert.ok(parseGoBuildExpr('a || b && !(c || d)'));
    assert.equal(parseGoBuildExpr('a ||'), undefined);
    // && binds tighter than ||: "linux || windows && amd64" builds on linux.
    assert.equal(goNeverBuildsWithZombies('/x/a.go', '//go:build linux || windows && amd64\n\npackage p\n'), undefined);
    assert.match(goNeverBuildsWithZombies('/x/a.go', '//go:build (linux || darwin) && windows\n\npackage p\n') ?? '', /excludes every GOOS that has zombies/);
    assert.equal(rustNeverBuildsWithZombies('#![cfg(feature = "x")]\n'), undefined, 'a feature may be on anywhere');
  });

  it('a Rust module file is Windows-only when its parent declares it so: #[cfg(windows)] mod windows; (rustup self_update)', () => {
    const files: Record<string, string> = {
      '/c/src/cli/self_update.rs': '#[cfg(unix)]\nmod unix;\n#[cfg(windows)]\nmod windows;\n#[cfg(feature = "x")]\nmod extra;\nmod plain;\n',
      '/c/src/os/mod.rs': '#[cfg(target_os = "windows")]\npub(crate) mod win32;\nmod other;\n',
      '/c/src/lib.rs': '#[cfg(not(unix))]\nmod os;\n',
    };
    const read = (p: string) => files[p];
    assert.match(rustModuleNeverBuilds('/c/src/cli/self_update/windows.rs', read) ?? '', /self_update\.rs declares it under #\[cfg\(windows\)\]/);
    assert.equal(rustModuleNeverBuilds('/c/src/cli/self_update/unix.rs', read), undefined);
    assert.equal(rustModuleNeverBuilds('/c/src/cli/self_update/extra.rs', read), undefined, 'a feature may be on anywhere');
    assert.equal(rustModuleNeverBuilds('/c/src/cli/self_update/plain.rs', read), undefined);
    // Through mod.rs, and inherited from a parent declared under not(unix).
    assert.match(rustModuleNeverBuilds('/c/src/os/win32.rs', read) ?? '', /mod\.rs declares it under #\[cfg\(target_os = "windows"\)\]/);
    assert.match(rustModuleNeverBuilds('/c/src/os/other.rs', read) ?? '', /lib\.rs declares it under #\[cfg\(not\(unix\)\)\]/);
    assert.equal(rustModuleNeverBuilds('/c/src/lib.rs', read), undefined, 'a crate root');
  });
});
