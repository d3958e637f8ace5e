/**
 * Where the recorders' own sources live, and where what is built from them is cached.
 *
 * The recorders are partly not TypeScript: a C preload library (compiled on first use), a Python
 * sitecustomize, a Node preload. They live in src/record/assets/; scripts/build.mjs copies them to
 * dist/record/ beside the bundles (all a packaged extension has). Tests run the file-by-file
 * transpile in out/src/record/, from which dist/record/ or src/record/assets/ is found by walking
 * up. PROCESS_INSPECTOR_RECORD_ASSETS overrides both.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export function locateAsset(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const tried: string[] = [];
  if (env.PROCESS_INSPECTOR_RECORD_ASSETS) tried.push(join(env.PROCESS_INSPECTOR_RECORD_ASSETS, name));
  let dir = __dirname;
  for (let up = 0; up <= 4; up++) {
    tried.push(join(dir, 'record', name), join(dir, 'dist', 'record', name), join(dir, 'src', 'record', 'assets', name));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const candidate of tried) if (existsSync(candidate)) return candidate;
  throw new Error(`cannot find the recorder file ${name}; looked in:\n  ${tried.join('\n  ')}`);
}

/**
 * Where built recorder artefacts are kept (the compiled preload library, the Go overlay, the
 * Python and Node preloads as written for a run): $PROCESS_INSPECTOR_RECORDER_CACHE, else
 * $XDG_CACHE_HOME/process-inspector/recorders, else ~/.cache/process-inspector/recorders. Inside,
 * each artefact sits in a directory named by a hash of what it was built from.
 */
export function defaultRecorderCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROCESS_INSPECTOR_RECORDER_CACHE) return env.PROCESS_INSPECTOR_RECORDER_CACHE;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'process-inspector', 'recorders');
}
