// Indexes DIR cold and saves the index as an earlier run would leave it, for bench/sites.mjs:
//   node bench/lib/sites-save.mjs DIR FILE [--code TREE]
// With --code, the index of another checkout TREE (bench/sites.mjs --baseline): each build reads
// only the saved indexes of its own build, so each start from a saved index needs its own file.
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const codeAt = process.argv.indexOf('--code');
const ROOT = codeAt > 0 ? path.resolve(process.argv[codeAt + 1]) : path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const [dir, file] = process.argv.slice(2);
if (!dir || !file || dir.startsWith('--') || file.startsWith('--')) {
  process.stderr.write('usage: node bench/lib/sites-save.mjs DIR FILE [--code TREE]\n');
  process.exit(2);
}
const { SpawnSiteIndex } = require(path.join(ROOT, 'out/src/spawnsites/index.js'));
const { writeSnapshotFile } = require(path.join(ROOT, 'out/src/spawnsites/snapshot.js'));
const index = new SpawnSiteIndex();
const stats = await index.indexDirectory(dir);
const error = writeSnapshotFile(file, index.snapshot());
if (error) {
  process.stderr.write(`${error}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify(stats)}\n`);
