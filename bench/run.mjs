// The benchmarks: `npm run bench` (build, then this), or directly after a build:
//   node bench/run.mjs [--only process|sites|recorders|gitignore|accuracy] [--write-docs] [--rounds N] [...]
// Runs each benchmark as its own child process, in turn:
//   process  bench/lib/process-table.mjs (the /proc reader against ps, ps-list and a floor)
//   sites    bench/sites.mjs, when that file exists (the spawn-site index against rg and ast-grep;
//            with --baseline COMMIT also against the index as of that commit, built apart:
//            `npm run bench -- --only sites --baseline 1ddf22e`)
//   recorders  bench/recorders.mjs (the spawn recorders of Go, Python, Node and C side by side: cost
//              per spawn recording, loaded but off, and without; the Go overlay's build times)
//   gitignore bench/gitignore.mjs (a 10,000-line .gitignore: the index against git on one tree)
//   accuracy bench/accuracy.mjs (precision and recall of the spawn-site analysis on pinned public
//            repositories, reported leaks and clippy's zombie_processes tests; needs the
//            repositories in /work/.mirror and says which are missing; --write-docs: docs/accuracy.md)
// Every other argument is passed on to each benchmark, which takes the ones it knows and ignores
// the rest (--write-docs: each rewrites its own section of docs/benchmarks.md). Exit status: the
// first non-zero one.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const argv = process.argv.slice(2);
let only;
const rest = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--only') only = argv[++i];
  else if (argv[i].startsWith('--only=')) only = argv[i].slice(7);
  else rest.push(argv[i]);
}
const command = `node bench/run.mjs ${argv.join(' ')}`.trim();

const benches = [
  { name: 'process', file: 'bench/lib/process-table.mjs', node: ['--expose-gc'], args: ['--command', command] },
  { name: 'sites', file: 'bench/sites.mjs', node: [], args: [] },
  { name: 'recorders', file: 'bench/recorders.mjs', node: [], args: [] },
  { name: 'gitignore', file: 'bench/gitignore.mjs', node: [], args: [] },
  { name: 'accuracy', file: 'bench/accuracy.mjs', node: [], args: [] },
];
if (only !== undefined && !benches.some((b) => b.name === only)) {
  process.stderr.write(`bench: unknown --only ${JSON.stringify(only)}; one of ${benches.map((b) => b.name).join(', ')}\n`);
  process.exit(2);
}

let status = 0;
for (const b of benches) {
  if (only !== undefined && b.name !== only) continue;
  if (!fs.existsSync(path.join(root, b.file))) {
    process.stderr.write(`bench: ${b.file} does not exist, skipping "${b.name}"\n`);
    continue;
  }
  // A Ctrl-C reaches the child too (same process group); it cleans up and exits, then so do we.
  const r = spawnSync(process.execPath, [...b.node, b.file, ...b.args, ...rest], { cwd: root, stdio: 'inherit' });
  const code = r.status ?? 128 + 2;
  if (r.error) process.stderr.write(`bench: cannot run ${b.file}: ${r.error.message}\n`);
  if (code !== 0) {
    process.stderr.write(`bench: ${b.name} failed (exit ${r.status ?? r.signal})\n`);
    status ||= code;
  }
}
process.exit(status);
