/**
 * Recorder files as a run uses them: a copy of an asset in the recorder cache, in a directory
 * named by a hash of the asset's content, so a new version of the asset never meets an old copy
 * and two runs of the same version share one.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, join } from 'node:path';
import { locateAsset } from './assets';

/**
 * Copies the asset `name` to CACHE/PREFIX-HASH/NAME (HASH: the first 16 hex digits of the
 * content's SHA-256) unless that file is already there with the same content, and returns its
 * path. The copy is written beside its final name and renamed into place, so a reader never sees
 * half a file and concurrent runs cannot clash. The directory holds nothing else: for Python it
 * goes on PYTHONPATH, where any other file would shadow a module. Throws with the path on failure.
 */
export function installAsset(name: string, cacheDir: string, prefix: string): string {
  const content = fs.readFileSync(locateAsset(name));
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 16);
  const dir = join(cacheDir, `${prefix}-${hash}`);
  const file = join(dir, basename(name));
  try {
    if (fs.readFileSync(file).equals(content)) return file;
  } catch {
    // not there yet (or unreadable: written again below)
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  // A dot name that is no module name, so that not even a left-over copy can be imported.
  const temp = join(dir, `.${basename(name)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(temp, content, { mode: 0o644 });
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  return file;
}

/** The message of a thrown value, for a NotInjected reason. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
