/**
 * Issue 12, item 8: indexing a large tree shows progress on a terminal, and can be cancelled.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type IndexProgress, PROGRESS_EVERY, SpawnSiteIndex } from '../../src/spawnsites/index';
import { CLI } from '../support/procs';

describe('long indexing: progress and cancellation (issue 12, item 8)', function () {
  this.timeout(120000);
  let dir: string;
  const FILES = 3 * PROGRESS_EVERY + 7;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-progress-'));
    for (let i = 0; i < FILES; i++) {
      const d = path.join(dir, `p${i % 10}`);
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, `f${i}.py`), i % 100 === 0 ? 'import subprocess\n\ndef run():\n    subprocess.Popen(["x"])\n' : 'x = 1\n');
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports each phase, counting up to the files found', async () => {
    const seen: IndexProgress[] = [];
    const idx = new SpawnSiteIndex();
    await idx.indexDirectory(dir, { onProgress: (p) => seen.push({ ...p }) });
    for (const phase of ['walk', 'read', 'parse'] as const) assert.ok(seen.some((p) => p.phase === phase), phase);
    assert.ok(seen.filter((p) => p.phase === 'walk' && p.total === undefined).length >= 3, 'walk progress before the walk ends');
    const reads = seen.filter((p) => p.phase === 'read');
    assert.deepEqual(reads.at(-1), { phase: 'read', done: FILES, total: FILES });
    assert.ok(reads.length >= 3);
  });

  it('is cancelled by its signal, and the next index is whole', async () => {
    const idx = new SpawnSiteIndex();
    const ac = new AbortController();
    await assert.rejects(
      idx.indexDirectory(dir, { signal: ac.signal, onProgress: (p) => p.phase === 'read' && ac.abort() }),
      (e: Error) => e.name === 'AbortError',
    );
    const stats = await idx.indexDirectory(dir);
    assert.equal(stats.files, FILES);
    assert.equal(idx.sites().length, Math.ceil(FILES / 100));
  });

  it('the CLI draws it on a terminal (stderr a TTY), and never into a pipe', () => {
    // script(1) gives the CLI a pseudo-terminal as stdout and stderr.
    const tty = spawnSync('script', ['-qfec', `${process.execPath} ${CLI} sites ${dir} --no-cache`, '/dev/null'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(tty.status, 0, tty.stderr);
    // eslint-disable-next-line no-control-regex
    assert.match(tty.stdout, /\r\x1b\[Kindexing spawn sites: (finding source files|reading|parsing) \d+/);
    assert.match(tty.stdout, /sites? in \d+ files?/);
    const piped = spawnSync(process.execPath, [CLI, 'sites', dir, '--no-cache'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(piped.status, 0);
    assert.doesNotMatch(piped.stderr, /indexing/);
  });
});
