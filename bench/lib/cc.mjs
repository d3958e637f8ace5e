// Builds the benchmark's C helpers with `cc` into a temp dir, once per source version.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);

/** True when a C compiler is on PATH. */
export function haveCc() {
  return spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Compiles bench/lib/NAME.c; returns the binary's path (with `{ shared: true }`, a shared library's),
 * `flags` added to cc's. Throws with cc's output on failure.
 */
export function buildC(name, { shared = false, flags = [] } = {}) {
  const src = path.join(here, `${name}.c`);
  const hash = createHash('sha1').update(fs.readFileSync(src)).update(flags.join(' ')).digest('hex').slice(0, 12);
  const dir = path.join(os.tmpdir(), `pi-bench-${process.getuid?.() ?? 0}`);
  const bin = path.join(dir, `${name}-${hash}${shared ? '.so' : ''}`);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}`;
  const r = spawnSync('cc', [...(shared ? ['-shared', '-fPIC'] : []), '-O2', '-Wall', ...flags, '-o', tmp, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc failed on ${src}:\n${r.stderr}`);
  fs.renameSync(tmp, bin);
  return bin;
}
