/**
 * The Python recorder: src/record/assets/sitecustomize.py, first on PYTHONPATH. What it wraps,
 * and what it cannot see, is written at the top of that file.
 */
import { dirname } from 'node:path';
import { installAsset, messageOf } from './install';
import { RECORD_ENV, type Preparation, type RecorderContext } from './types';

/**
 * Copies the sitecustomize into the cache (once per version of it) and gives the environment that
 * loads it: PROCESS_INSPECTOR_RECORD, and PYTHONPATH with its directory first and the launch's own
 * PYTHONPATH after it (the sitecustomize chain-loads any other sitecustomize, so nothing the
 * launch had is lost). Never throws: a recorder that cannot be prepared is a NotInjected.
 */
export function preparePython(ctx: RecorderContext): Preparation {
  let dir: string;
  try {
    dir = dirname(installAsset('sitecustomize.py', ctx.cacheDir, 'python'));
  } catch (err) {
    return { language: 'python', ok: false, reason: `cannot prepare the Python recorder: ${messageOf(err)}` };
  }
  const existing = ctx.env.PYTHONPATH;
  // An empty PYTHONPATH entry would mean the current directory: add ':' only before a real value.
  // A nested run already has our directory first: it is not added twice.
  const pythonPath = !existing ? dir : existing === dir || existing.startsWith(`${dir}:`) ? existing : `${dir}:${existing}`;
  return {
    language: 'python',
    ok: true,
    env: { [RECORD_ENV]: ctx.recordFile, PYTHONPATH: pythonPath },
    note: `Python: sitecustomize.py from ${dir} first on PYTHONPATH`,
  };
}

/** What each interpreter flag that keeps the recorder out does. */
const DEFEATING_FLAGS: Record<string, string> = {
  I: '-I (isolated mode) ignores PYTHONPATH',
  E: '-E ignores the PYTHON* environment variables, PYTHONPATH with them',
  S: '-S skips the site module, which is what imports sitecustomize',
};

/** Short options that take a value: the rest of the token or the next argument. */
const WITH_VALUE = new Set(['c', 'm', 'W', 'X']);

/**
 * Why these interpreter arguments keep the recorder from loading, or undefined when they do not.
 * `args` are what comes between the interpreter and the script (a debug configuration's
 * pythonArgs), or a whole command line whose first word is the interpreter (`python3`,
 * `/usr/bin/python3.11`). Only -I, -E and -S matter (alone or among combined short flags such as
 * `-IS` or `-bE`); options end, as for Python itself, at the script, `-`, `--`, or the value of
 * -c / -m, so a `-I` after those belongs to the program.
 */
export function pythonArgsDefeatRecorder(args: readonly string[]): string | undefined {
  const found: string[] = [];
  let i = args.length > 0 && /(^|\/)python[0-9.]*$/.test(args[0]) ? 1 : 0;
  scan: for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-' || arg === '--' || !arg.startsWith('-')) break;
    if (arg.startsWith('--')) {
      if (arg === '--check-hash-based-pycs') i++;
      continue;
    }
    for (let j = 1; j < arg.length; j++) {
      const flag = arg[j];
      if (DEFEATING_FLAGS[flag] && !found.includes(flag)) found.push(flag);
      if (WITH_VALUE.has(flag)) {
        if (j === arg.length - 1) i++;
        if (flag === 'c' || flag === 'm') break scan;
        break;
      }
    }
  }
  if (found.length === 0) return undefined;
  return `Python is started with ${found.map((f) => DEFEATING_FLAGS[f]).join('; ')}: the spawn recorder cannot load`;
}
