// One cold spawn-site index in a fresh process, for bench/sites.mjs:
//   node bench/lib/sites-cold.mjs DIR            index DIR, print the IndexStats as JSON
//   node bench/lib/sites-cold.mjs DIR --phases   the same, also timing the module load and the
//                                                Go grammar load (done first, so outside the index)
//   node bench/lib/sites-cold.mjs DIR --snapshot FILE
//                                                start from the index saved in FILE (as the CLI
//                                                and the extension do after their first run);
//                                                FILE is read, never written
//   node bench/lib/sites-cold.mjs DIR --code TREE the same with the index of another checkout
//                                                TREE (built there by its own scripts/build.mjs:
//                                                bench/sites.mjs --baseline COMMIT), so that two
//                                                builds run under one harness
// "Cold" is the point: a new process, so loading our code, the tree-sitter runtime and the
// grammars is counted, as it is the first time the extension or the CLI indexes a workspace.
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const codeAt = process.argv.indexOf('--code');
const ROOT = codeAt > 0 ? path.resolve(process.argv[codeAt + 1]) : path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const dir = process.argv[2];
const phases = process.argv.includes('--phases');
const snapAt = process.argv.indexOf('--snapshot');
const snapshotPath = snapAt > 0 ? process.argv[snapAt + 1] : undefined;
if (!dir) {
  process.stderr.write('usage: node bench/lib/sites-cold.mjs DIR [--phases] [--snapshot FILE] [--code TREE]\n');
  process.exit(2);
}

const t0 = performance.now();
const { SpawnSiteIndex } = require(path.join(ROOT, 'out/src/spawnsites/index.js'));
const t1 = performance.now();
let grammarMs;
if (phases && !snapshotPath) {
  const { loadGrammar } = require(path.join(ROOT, 'out/src/spawnsites/parser.js'));
  await loadGrammar('go');
  grammarMs = performance.now() - t1;
}
let snapshot;
let snapshotMs;
if (snapshotPath) {
  const t2 = performance.now();
  const { readSnapshotFile } = require(path.join(ROOT, 'out/src/spawnsites/snapshot.js'));
  const saved = readSnapshotFile(snapshotPath);
  if (!saved.data) {
    process.stderr.write(`no snapshot in ${snapshotPath}: ${saved.error ?? 'no such file'}\n`);
    process.exit(1);
  }
  snapshot = saved.data;
  snapshotMs = performance.now() - t2;
}
const stats = await new SpawnSiteIndex().indexDirectory(dir, snapshot ? { snapshot } : {});
const out = phases ? { requireMs: t1 - t0, grammarMs, snapshotMs, stats } : stats;
process.stdout.write(`${JSON.stringify(out)}\n`);
