// The I/O floor of a cold index, for bench/sites.mjs: a fresh Node process that finds and reads
// every file the spawn-site index would read (same walk: hidden directories and the index's
// default ignore list skipped, same extensions) and does nothing else. Prints
// {"files":N,"go":N,"bytes":N,"byExt":{".go":N,...}}. bench/sites.mjs checks that N equals the index's own file count,
// so these copies of the lists cannot drift unnoticed.
//   node bench/lib/sites-floor.mjs DIR
import * as fs from 'node:fs';
import * as path from 'node:path';

// Copies of DEFAULT_IGNORE (src/spawnsites/index.ts) and the EXTENSIONS keys (src/spawnsites/prefilter.ts). (No .gitignore
// files are read: the corpus, GOROOT/src, has none; the file-count check would say otherwise.)
const IGNORE = new Set(['node_modules', 'vendor', '__pycache__', 'venv']);
const EXTENSIONS = new Set(['.go', '.c', '.h', '.cc', '.cpp', '.cxx', '.c++', '.hpp', '.hh', '.hxx', '.py', '.js', '.mjs', '.cjs', '.jsx', '.ts', '.mts', '.cts', '.tsx', '.rs']);

let files = 0;
let go = 0;
let bytes = 0;
const byExt = {};
function walk(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      if (!e.name.startsWith('.') && !IGNORE.has(e.name)) walk(path.join(dir, e.name));
    } else if (e.isFile()) {
      const ext = path.extname(e.name).toLowerCase();
      if (e.name.endsWith('.d.ts') || !EXTENSIONS.has(ext)) continue;
      try {
        bytes += fs.readFileSync(path.join(dir, e.name)).length;
      } catch {
        continue;
      }
      files++;
      byExt[ext] = (byExt[ext] ?? 0) + 1;
      if (e.name.endsWith('.go')) go++;
    }
  }
}

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node bench/lib/sites-floor.mjs DIR\n');
  process.exit(2);
}
walk(path.resolve(dir));
process.stdout.write(`${JSON.stringify({ files, go, bytes, byExt })}\n`);
