/**
 * Adding the recorders to a debug launch configuration, for each debug type's own shape of it:
 *
 *   go (Delve)                      buildFlags (a string, or an array) gets -overlay=FILE; env {}
 *   debugpy, python                 env {} gets PYTHONPATH; pythonArgs -E/-I/-S defeat it
 *   node, pwa-node                  env {} gets NODE_OPTIONS --require
 *   lldb (CodeLLDB)                 env {} gets LD_PRELOAD
 *   cppdbg                          environment [{name, value}] gets LD_PRELOAD
 *   lldb-dap, lldb-vscode           env ["K=V"] (or {}) gets LD_PRELOAD
 *
 * Pure except for what the recorders' prepare() do (build the preload library once, write the
 * overlay): the vscode side (src/debug/recording.ts) only calls it. Never throws; a launch is
 * never changed in a way that could make it fail: what cannot be added is said, and left out.
 */
import { prepareOne } from './prepare';
import { elfLinkage } from './elf';
import { pythonArgsDefeatRecorder } from './python';
import type { RecorderContext, RecorderLanguage } from './types';
import { RECORD_ENV } from './types';

/** The key under which the launch carries what was injected, read back from session.configuration. */
export const LAUNCH_KEY = '__processInspector';

export interface LaunchRecording {
  /** The record file, when any recorder was added. */
  recordFile?: string;
  language?: RecorderLanguage;
  /** What was injected, or why not, in words. */
  notes: string[];
}

type EnvShape = 'object' | 'cppdbg' | 'strings';

const TYPES: Readonly<Record<string, { language: RecorderLanguage; env: EnvShape; envKey: string }>> = {
  go: { language: 'go', env: 'object', envKey: 'env' },
  debugpy: { language: 'python', env: 'object', envKey: 'env' },
  python: { language: 'python', env: 'object', envKey: 'env' },
  node: { language: 'node', env: 'object', envKey: 'env' },
  'pwa-node': { language: 'node', env: 'object', envKey: 'env' },
  lldb: { language: 'native', env: 'object', envKey: 'env' },
  cppdbg: { language: 'native', env: 'cppdbg', envKey: 'environment' },
  'lldb-dap': { language: 'native', env: 'strings', envKey: 'env' },
  'lldb-vscode': { language: 'native', env: 'strings', envKey: 'env' },
};

export const RECORDED_DEBUG_TYPES: readonly string[] = Object.keys(TYPES);

export function languageOfDebugType(type: string): RecorderLanguage | undefined {
  return TYPES[type]?.language;
}

/** The launch's own value of an environment variable, in whichever shape its env has. */
function getEnv(config: Record<string, unknown>, shape: EnvShape, key: string, name: string): string | undefined {
  const env = config[key];
  if (shape === 'cppdbg' || (shape === 'strings' && Array.isArray(env))) {
    if (!Array.isArray(env)) return undefined;
    for (const e of env) {
      if (shape === 'cppdbg' && e && typeof e === 'object' && (e as { name?: unknown }).name === name) return String((e as { value?: unknown }).value ?? '');
      if (typeof e === 'string' && e.startsWith(`${name}=`)) return e.slice(name.length + 1);
    }
    return undefined;
  }
  if (env && typeof env === 'object' && !Array.isArray(env)) {
    const v = (env as Record<string, unknown>)[name];
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}

/** Sets variables in the launch's env, keeping its shape and every other variable. */
function setEnv(config: Record<string, unknown>, shape: EnvShape, key: string, vars: Record<string, string>): void {
  const env = config[key];
  if (shape === 'cppdbg') {
    const list = Array.isArray(env) ? env.filter((e) => !(e && typeof e === 'object' && (e as { name?: unknown }).name as string in vars)) : [];
    for (const [name, value] of Object.entries(vars)) list.push({ name, value });
    config[key] = list;
  } else if (shape === 'strings' && (Array.isArray(env) || env === undefined)) {
    const list = (Array.isArray(env) ? env : []).filter((e) => !(typeof e === 'string' && Object.keys(vars).some((n) => e.startsWith(`${n}=`))));
    for (const [name, value] of Object.entries(vars)) list.push(`${name}=${value}`);
    config[key] = list;
  } else {
    const obj = env && typeof env === 'object' && !Array.isArray(env) ? { ...(env as Record<string, unknown>) } : {};
    Object.assign(obj, vars);
    config[key] = obj;
  }
}

export interface InjectOptions {
  /** Per language: false turns its recorder off (the setting processInspector.record.LANG). */
  enabled: Partial<Record<RecorderLanguage, boolean>>;
  /** Makes the record file's path (only called when a recorder is added). */
  newRecordFile: () => string;
  cacheDir: string;
  /** The environment the debugger and so the program inherit (the extension host's). */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * Adds the recorder for `config.type` to a launch configuration (in place) and returns what was
 * done. Attach requests, unknown types, a setting turned off, a prebuilt Go binary, a static
 * native binary, `python -E/-I/-S`: the configuration is left as it was, and the note says why.
 */
export function injectIntoLaunch(config: Record<string, unknown>, opts: InjectOptions): LaunchRecording {
  const type = String(config.type ?? '');
  const t = TYPES[type];
  if (!t) return { notes: [] };
  const lang = t.language;
  const say = (note: string): LaunchRecording => {
    config[LAUNCH_KEY] = { notes: [note] };
    return { language: lang, notes: [note] };
  };
  if (config[LAUNCH_KEY]) return { language: lang, notes: ['already prepared'] };
  if (opts.enabled[lang] === false) return say(`spawn recording is off for ${lang} (setting processInspector.record.${lang})`);
  if (config.request !== 'launch') return say(`nothing recorded: an ${String(config.request ?? 'unknown')} request joins a program already running, which cannot be given a recorder`);

  const program = typeof config.program === 'string' ? config.program : undefined;
  if (lang === 'go') {
    const mode = typeof config.mode === 'string' ? config.mode : 'debug';
    if (mode === 'exec') return say('nothing recorded: mode "exec" debugs a prebuilt binary, and the Go recorder is added when Delve builds the program (use mode "debug" or "test")');
    if (mode !== 'debug' && mode !== 'test' && mode !== 'auto') return say(`nothing recorded: Delve mode "${mode}" builds nothing`);
    const flags = config.buildFlags;
    if ((typeof flags === 'string' && /(^|\s)-?-overlay[= ]/.test(flags)) || (Array.isArray(flags) && flags.some((f) => typeof f === 'string' && /^-?-overlay/.test(f)))) {
      return say('nothing recorded: buildFlags already has an -overlay, which the Go recorder would replace');
    }
  }
  if (lang === 'python') {
    const args = Array.isArray(config.pythonArgs) ? config.pythonArgs.filter((a): a is string => typeof a === 'string') : [];
    const why = pythonArgsDefeatRecorder(args);
    if (why) return say(`nothing recorded: ${why}`);
  }
  const linkage = lang === 'native' && program ? elfLinkage(program) : undefined;
  if (lang === 'native' && program) {
    if (linkage === 'static') return say(`nothing recorded: ${program} is statically linked, and the recorder is a preload library (dynamically linked programs only)`);
  }

  let recordFile: string;
  try {
    recordFile = opts.newRecordFile();
  } catch (e) {
    return say(`nothing recorded: no place for the record file (${e instanceof Error ? e.message : String(e)})`);
  }
  // What the program would see of each list variable: the launch's own value, else the inherited one.
  const ownEnv: Record<string, string | undefined> = { ...opts.env };
  for (const name of ['PYTHONPATH', 'NODE_OPTIONS', 'LD_PRELOAD', 'GOFLAGS']) {
    const v = getEnv(config, t.env, t.envKey, name);
    if (v !== undefined) ownEnv[name] = v;
  }
  const ctx: RecorderContext = { recordFile, cacheDir: opts.cacheDir, env: ownEnv };
  const prep = prepareOne(lang, ctx);
  if (!prep.ok) return say(`nothing recorded: ${prep.reason}`);
  setEnv(config, t.env, t.envKey, { ...prep.env, [RECORD_ENV]: recordFile });
  if (lang === 'go' && prep.goFlags?.length) {
    const flags = config.buildFlags;
    if (Array.isArray(flags)) config.buildFlags = [...flags, ...prep.goFlags];
    else config.buildFlags = [typeof flags === 'string' ? flags : '', ...prep.goFlags].filter(Boolean).join(' ');
  }
  const recording: LaunchRecording = { recordFile, language: lang, notes: [`recording spawns: ${prep.note}`] };
  if (lang === 'native' && program && linkage === undefined) recording.notes.push(`${program} could not be read to check that it is dynamically linked`);
  config[LAUNCH_KEY] = { recordFile, notes: recording.notes };
  return recording;
}

/** What a session's configuration says was injected (set by injectIntoLaunch). */
export function recordingOf(config: Record<string, unknown> | undefined): { recordFile?: string; notes: string[] } | undefined {
  const v = config?.[LAUNCH_KEY];
  if (!v || typeof v !== 'object') return undefined;
  const o = v as { recordFile?: unknown; notes?: unknown };
  return { recordFile: typeof o.recordFile === 'string' ? o.recordFile : undefined, notes: Array.isArray(o.notes) ? o.notes.filter((n): n is string => typeof n === 'string') : [] };
}
