// One cold spawn-site index in a fresh process, for bench/sites.mjs:
//   node bench/lib/sites-cold.mjs DIR            index DIR, print the IndexStats as JSON
//   node bench/lib/sites-cold.mjs DIR --phases   the same, also timing the module load and the
//                                                Go grammar load (done first, so outside the index)
// "Cold" is the point: a new process, so loading our code, the tree-sitter runtime and the
// grammars is counted, as it is the first time the extension or the CLI indexes a workspace.
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const dir = process.argv[2];
const phases = process.argv.includes('--phases');
if (!dir) {
  process.stderr.write('usage: node bench/lib/sites-cold.mjs DIR [--phases]\n');
  process.exit(2);
}

const t0 = performance.now();
const { SpawnSiteIndex } = require(path.join(ROOT, 'out/src/spawnsites/index.js'));
const t1 = performance.now();
let grammarMs;
if (phases) {
  const { loadGrammar } = require(path.join(ROOT, 'out/src/spawnsites/parser.js'));
  await loadGrammar('go');
  grammarMs = performance.now() - t1;
}
const stats = await new SpawnSiteIndex().indexDirectory(dir);
const out = phases ? { requireMs: t1 - t0, grammarMs, stats } : stats;
process.stdout.write(`${JSON.stringify(out)}\n`);
