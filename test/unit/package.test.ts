/**
 * `npm run package` builds a real .vsix with @vscode/vsce; this lists what is inside. The
 * .vscodeignore allowlist must keep sources, tests, source maps and dependencies out.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');

describe('the .vsix package', function () {
  this.timeout(120_000);
  let files: { name: string; size: number }[] = [];
  let vsixBytes = 0;

  before(() => {
    const vsix = path.join(REPO, 'process-inspector.vsix');
    fs.rmSync(vsix, { force: true });
    const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    // List the zip with Python's zipfile (an independent reader of the archive).
    const list = spawnSync('/usr/bin/python3', ['-c', 'import sys,zipfile,json; print(json.dumps([[i.filename,i.file_size] for i in zipfile.ZipFile(sys.argv[1]).infolist()]))', vsix], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    vsixBytes = fs.statSync(vsix).size;
    files = (JSON.parse(list.stdout) as [string, number][]).map(([name, size]) => ({ name, size }));
    // Put back the development build (with source maps) the other tests expect.
    assert.equal(spawnSync(process.execPath, [path.join(REPO, 'scripts/build.mjs')], { cwd: REPO }).status, 0);
  });

  it('holds the bundled extension, the CLI, the manifest and media', () => {
    const names = files.map((f) => f.name);
    for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/cli.js', 'extension/media/processes.svg', 'extension/readme.md', 'extension/changelog.md', 'extension/dist/wasm/tree-sitter.wasm', 'extension/dist/wasm/tree-sitter-go.wasm', 'extension/docs/screenshots/processes-zombies-window.png']) assert.ok(names.includes(f), `${f} in ${names.join(', ')}`);
  });

  it('holds no sources, tests, source maps or dependencies', () => {
    for (const { name } of files) {
      // docs/screenshots/*.png are the README's images; nothing else of docs/ goes in.
      if (/^extension\/docs\/screenshots\/[\w-]+\.png$/.test(name)) continue;
      assert.doesNotMatch(name, /(^|\/)(src|test|node_modules|scripts|bench|demo|out|docs)\//, name);
      assert.doesNotMatch(name, /\.(ts|map)$/, name);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.devDependencies)) assert.ok(!files.some((f) => f.name.includes(`/${dep}/`)), dep);
  });

  it('stays small: a download under 5 MiB, under 20 MiB unpacked (the tree-sitter grammars are most of it)', () => {
    const total = files.reduce((n, f) => n + f.size, 0);
    assert.ok(total < 20 * 1024 * 1024, `${total} bytes unpacked`);
    assert.ok(vsixBytes > 0 && vsixBytes < 5 * 1024 * 1024, `${vsixBytes} bytes packed`);
    const wasm = files.filter((f) => f.name.startsWith('extension/dist/wasm/')).reduce((n, f) => n + f.size, 0);
    assert.ok(wasm > total / 2, `grammars ${wasm} of ${total} bytes: anything else this big is a mistake`);
  });
});
