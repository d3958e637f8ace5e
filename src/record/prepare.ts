/**
 * Preparing the recorders for one launch: which fit, what each adds to the environment (and for
 * Go to the build flags), and why the others do not. Used by `process-inspector run` and by the
 * debug-configuration resolver. Never throws: a recorder that cannot be prepared is a reason, and
 * the launch goes on without it.
 */
import { prepareGo, goFlagsEnv } from './go';
import { prepareNative } from './native';
import { prepareNode } from './node';
import { preparePython } from './python';
import type { Injection, NotInjected, Preparation, RecorderContext, RecorderLanguage } from './types';
import { RECORD_ENV } from './types';

export const RECORDER_LANGUAGES: readonly RecorderLanguage[] = ['go', 'python', 'node', 'native'];

export function prepareOne(language: RecorderLanguage, ctx: RecorderContext): Preparation {
  try {
    switch (language) {
      case 'go':
        return prepareGo(ctx);
      case 'python':
        return preparePython(ctx);
      case 'node':
        return prepareNode(ctx);
      case 'native':
        return prepareNative(ctx);
    }
  } catch (e) {
    return { language, ok: false, reason: `could not prepare the ${language} recorder: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * The environment of a launch with every injection applied: each recorder sets its own variables
 * (PYTHONPATH, NODE_OPTIONS, LD_PRELOAD, GOFLAGS), already merged with the launch's value, and all
 * of them the same PROCESS_INSPECTOR_RECORD, so applying them in turn loses nothing.
 */
export function mergeEnv(injections: readonly Injection[]): Record<string, string> {
  return Object.assign({}, ...injections.map((i) => i.env)) as Record<string, string>;
}

export interface CommandPreparation {
  /** Variables to set for the command (over its inherited environment). */
  env: Record<string, string>;
  injected: Injection[];
  skipped: NotInjected[];
}

/** `go run`, `go test`, `go build`, `go install`, `go vet` is pointless: the subcommands that build and may run. */
const GO_BUILDING = new Set(['run', 'test', 'build', 'install']);

/**
 * The recorders for a command line (`process-inspector run -- CMD ARGS`): native, Python and Node
 * always (each costs nothing to a program it does not concern); Go when CMD is `go run|test|build|install`,
 * through GOFLAGS, since a Go binary built without the overlay cannot be recorded.
 */
export function prepareForCommand(cmd: readonly string[], ctx: RecorderContext): CommandPreparation {
  const injected: Injection[] = [];
  const skipped: NotInjected[] = [];
  const base = cmd[0]?.split('/').pop();
  for (const lang of RECORDER_LANGUAGES) {
    if (lang === 'go') {
      if (base !== 'go' || !GO_BUILDING.has(cmd[1] ?? '')) continue;
      const p = prepareOne('go', ctx);
      if (!p.ok) {
        skipped.push(p);
        continue;
      }
      const goflags = goFlagsEnv(ctx.env.GOFLAGS, p.goFlags ?? []);
      if (typeof goflags !== 'string') {
        skipped.push(goflags);
        continue;
      }
      injected.push({ ...p, env: { ...p.env, GOFLAGS: goflags } });
      continue;
    }
    const p = prepareOne(lang, ctx);
    if (p.ok) injected.push(p);
    else skipped.push(p);
  }
  const env = mergeEnv(injected);
  env[RECORD_ENV] = ctx.recordFile;
  return { env, injected, skipped };
}
