// Writes the tree of one commit of a bare git directory (a mirror brought by `fetch`) into a
// directory, file by file: `git archive` stops at the first blob the mirror lacks (a mirror may
// list its largest files without holding them), this skips those and says how many it skipped.
// Symbolic links and submodules are left out: the index does not follow links, and a submodule
// is another repository.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Exports COMMIT of GITDIR (optionally only the tree under SUBDIR) into INTO, which must exist.
 * Returns { files, missing } (missing: paths whose blob is not in the mirror).
 */
export async function exportTree(gitDir, commit, into, subdir) {
  const args = ['--git-dir', gitDir, 'ls-tree', '-r', '-z', '--full-tree', commit];
  if (subdir) args.push('--', subdir);
  const listing = execFileSync('git', args, { maxBuffer: 1 << 30 }).toString('utf8');
  const entries = [];
  for (const rec of listing.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid] = rec.slice(0, tab).split(' ');
    if (type !== 'blob' || mode === '120000') continue;
    entries.push({ oid, file: rec.slice(tab + 1) });
  }
  const missing = [];
  // One `git cat-file --batch` for every blob: one process, not one per file.
  const cat = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const done = new Promise((resolve, reject) => {
    cat.on('error', reject);
    cat.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git cat-file exited ${code}`))));
  });
  let buf = Buffer.alloc(0);
  let i = 0;
  const made = new Set();
  cat.stdout.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      const nl = buf.indexOf(10);
      if (nl < 0) return;
      const header = buf.subarray(0, nl).toString('utf8');
      if (header.endsWith(' missing')) {
        missing.push(entries[i++].file);
        buf = buf.subarray(nl + 1);
        continue;
      }
      const size = Number(header.split(' ')[2]);
      if (buf.length < nl + 1 + size + 1) return;
      const rel = entries[i++].file;
      const target = path.join(into, rel);
      const dir = path.dirname(target);
      if (!made.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      fs.writeFileSync(target, buf.subarray(nl + 1, nl + 1 + size));
      buf = buf.subarray(nl + 1 + size + 1);
    }
  });
  for (const e of entries) cat.stdin.write(`${e.oid}\n`);
  cat.stdin.end();
  await done;
  return { files: entries.length - missing.length, missing };
}
