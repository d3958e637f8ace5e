// One memory sample in a fresh Node process (run with --expose-gc):
//   node --expose-gc bench/lib/memory.mjs readAll|inspect|ps-list
// Prints JSON: what one result retains on the heap (after a full GC), and how much the RSS grew
// while KEEP results were made and held.
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const { LinuxProcessSource } = require(path.join(root, 'out/src/platform/linux.js'));
const { inspect } = require(path.join(root, 'out/src/core/inspect.js'));
const psList = (await import('ps-list')).default;

const which = process.argv[2];
const source = new LinuxProcessSource();
const make = {
  readAll: async () => source.readAll(),
  inspect: async () => inspect(source),
  'ps-list': async () => psList(),
}[which];
if (!make) throw new Error(`unknown ${which}`);
const count = (r) => (Array.isArray(r) ? r.length : (r.snapshot ?? r).processes.size);

const gcFully = () => {
  globalThis.gc();
  globalThis.gc();
};
// One call first and thrown away: code, inline caches and lazily built tables are not the result.
// (Held in a block scope, and followed by another await: the last awaited value can
// stay reachable from the suspended module frame.) Then KEEP results are held at once and the
// growth divided by KEEP: one result's size, above the noise of a few KiB that a GC leaves.
const KEEP = 5;
const settle = async () => {
  await new Promise((r) => setImmediate(r));
  gcFully();
  return process.memoryUsage();
};
{
  const warm = await make();
  count(warm);
}
const m0 = await settle();
const results = [];
for (let i = 0; i < KEEP; i++) results.push(await make());
const m1 = await settle();
const processes = count(results[0]);
results.length = 0;
const m2 = await settle();
process.stdout.write(
  `${JSON.stringify({
    which,
    processes,
    heap: Math.round((m1.heapUsed - m0.heapUsed) / KEEP),
    external: Math.round((m1.external - m0.external) / KEEP),
    // What dropping them gives back: checks that the growth above was the results and nothing else.
    freed: Math.round((m1.heapUsed - m2.heapUsed) / KEEP),
    rss: m1.rss - m0.rss,
  })}\n`,
);
