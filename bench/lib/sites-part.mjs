// Part of a cold index, for bench/sites.mjs's test of parallel headroom: a fresh Node process
// that indexes each DIR given (a fresh SpawnSiteIndex each) and prints {"files":N,"sites":N}.
// Two of these at once, on two halves of the corpus, are what worker threads could do at best.
//   node bench/lib/sites-part.mjs DIR [DIR ...]
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const dirs = process.argv.slice(2);
if (!dirs.length) {
  process.stderr.write('usage: node bench/lib/sites-part.mjs DIR [DIR ...]\n');
  process.exit(2);
}
const { SpawnSiteIndex } = require(path.join(ROOT, 'out/src/spawnsites/index.js'));
let files = 0;
let sites = 0;
for (const dir of dirs) {
  const stats = await new SpawnSiteIndex().indexDirectory(dir);
  files += stats.files;
  sites += stats.sites;
}
process.stdout.write(`${JSON.stringify({ files, sites })}\n`);
