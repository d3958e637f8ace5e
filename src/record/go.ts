/**
 * The Go spawn recorder: a build-time overlay of one standard-library file.
 *
 * Every child a Go program starts (os/exec, os.StartProcess, syscall.ForkExec) goes through
 * syscall.forkExec in $GOROOT/src/syscall/exec_unix.go. `go build -overlay=FILE.json` can replace
 * that file for one build: our copy calls a hook (src/record/assets/gohook.go.txt) right after
 * `pid, err1 = forkAndExecInChild(...)`, on that same line, and the hook itself sits after the
 * file's last line. So no line of the original moves: panics, stacks and debuggers inside package
 * syscall still name the lines of the real file, and the records carry the real GOROOT paths.
 *
 * Only an existing file is replaced, none added: a new file through the overlay breaks `go vet`
 * (and so `go test`) and gopls. The first build with the overlay recompiles the standard library
 * (3-5 s), later ones hit GOCACHE. The overlay is written once per (GOROOT, file contents, hook
 * source) into the recorder cache and reused.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { locateAsset } from './assets';
import type { NotInjected, Preparation, RecorderContext } from './types';
import { RECORD_ENV } from './types';

export interface GoRecorderOptions {
  /** The go binary; default `go`, found on the PATH of ctx.env. */
  go?: string;
}

/** The file the overlay replaces, relative to GOROOT. */
export const GO_HOOKED_FILE = 'src/syscall/exec_unix.go';

/**
 * The line forkExec forks on, as Go 1.19 to 1.23 write it. It must occur exactly once: a file
 * where it is missing or doubled is a Go we have not seen, and it is left alone.
 */
const ANCHOR = /^[ \t]*pid, err1 = forkAndExecInChild\([^\n]*\)[ \t]*$/;
/** Before the anchor's fork: CLOCK_BOOTTIME, so that the child's start tick needs no read of its stat. */
const HOOK_BEFORE = 'piRecordT0 := piRecordBoot()';
const HOOK_CALL = 'piRecordSpawn(pid, err1, piRecordT0)';

interface GoEnv {
  goroot: string;
  version: string;
  goos: string;
}

/**
 * Prepares recording for one Go build: writes (or finds, cached) the overlaid exec_unix.go and its
 * overlay JSON. The build then takes `goFlags` (`go build`, Delve's buildFlags) or GOFLAGS via
 * goFlagsEnv (`go run`, `go test`); the program takes `env`. When this fails the caller adds
 * nothing and the build runs as it would without us.
 */
export function prepareGo(ctx: RecorderContext, opts: GoRecorderOptions = {}): Preparation {
  const notInjected = (reason: string): NotInjected => ({ language: 'go', ok: false, reason });
  const go = opts.go ?? 'go';

  let goEnv: GoEnv;
  try {
    goEnv = readGoEnv(go, ctx.env);
  } catch (e) {
    return notInjected(e instanceof Error ? e.message : String(e));
  }
  const goName = `Go ${goEnv.version.replace(/^go/, '')}`;
  if (goEnv.goos !== 'linux') {
    return notInjected(`${goName} builds for GOOS=${goEnv.goos}: the Go spawn recorder works for GOOS=linux only`);
  }

  const original = join(goEnv.goroot, GO_HOOKED_FILE);
  let text: string;
  try {
    text = readFileSync(original, 'utf8');
  } catch (e) {
    return notInjected(`${goName}: cannot read ${original}: ${(e as Error).message}`);
  }
  const patched = patchExecUnix(text);
  if (typeof patched === 'string') return notInjected(`${goName}: ${original}: ${patched}; Go spawns are not recorded`);

  let hook: string;
  try {
    hook = readFileSync(locateAsset('gohook.go.txt'), 'utf8');
  } catch (e) {
    return notInjected((e as Error).message);
  }

  const key = createHash('sha256').update(goEnv.goroot).update('\0').update(text).update('\0').update(hook).digest('hex').slice(0, 16);
  const dir = join(ctx.cacheDir, `go-overlay-${key}`);
  const copy = join(dir, 'exec_unix.go');
  const overlay = join(dir, 'overlay.json');
  try {
    mkdirSync(dir, { recursive: true });
    writeIfChanged(copy, patched.text + hook);
    writeIfChanged(overlay, `${JSON.stringify({ Replace: { [original]: copy } }, null, 2)}\n`);
  } catch (e) {
    return notInjected(`cannot write the Go overlay in ${dir}: ${(e as Error).message}`);
  }
  // A launch must never fail because of us: the overlaid package is compiled once (then Go's
  // cache has it, and the user's build reuses it), and an overlay that does not compile is left out.
  const broken = verifyOverlay(go, ctx.env, overlay, join(dir, 'compiles'));
  if (broken) return notInjected(`${goName}: the overlaid syscall package does not compile, so it is left out (${broken}); Go spawns are not recorded`);
  return {
    language: 'go',
    ok: true,
    env: { [RECORD_ENV]: ctx.recordFile },
    goFlags: [`-overlay=${overlay}`],
    note: `${goName}: syscall/exec_unix.go overlaid (hook on line ${patched.line})`,
  };
}

/**
 * exec_unix.go with the hook on the anchor line (every line keeps its number): a clock reading
 * before the fork, the call after it; or why not. The hook's source is appended by the caller,
 * after the last line.
 */
export function patchExecUnix(text: string): { text: string; line: number } | string {
  const lines = text.split('\n');
  const hits: number[] = [];
  lines.forEach((l, i) => {
    if (ANCHOR.test(l)) hits.push(i);
  });
  if (hits.length !== 1) {
    return hits.length === 0
      ? 'the line "pid, err1 = forkAndExecInChild(...)" is not there'
      : `the line "pid, err1 = forkAndExecInChild(...)" is there ${hits.length} times (lines ${hits.map((i) => i + 1).join(', ')}), not once`;
  }
  for (const pkg of ['runtime', 'unsafe']) {
    if (!new RegExp(`^import \\([^)]*^\\s*"${pkg}"\\s*$`, 'm').test(text)) return `it does not import "${pkg}", which the hook needs`;
  }
  if (/\bpiRecord/.test(text)) return 'it already has a piRecord name';
  const at = hits[0];
  const [, indent, statement] = /^([ \t]*)(.*?)[ \t]*$/.exec(lines[at])!;
  lines[at] = `${indent}${HOOK_BEFORE}; ${statement}; ${HOOK_CALL}`;
  let out = lines.join('\n');
  if (!out.endsWith('\n')) out += '\n';
  return { text: out, line: at + 1 };
}

/**
 * GOFLAGS with our flags after what was there (for `go run`, `go test`, or a `go build` that is not
 * ours to give flags to). Refused, with the reason, when GOFLAGS already has an -overlay (go takes
 * one) or a flag holds white space (GOFLAGS is split at white space, with no quoting).
 */
export function goFlagsEnv(existingGOFLAGS: string | undefined, flags: string[]): string | NotInjected {
  const existing = (existingGOFLAGS ?? '').trim();
  const theirs = existing.split(/\s+/).find((f) => /^--?overlay(=|$)/.test(f));
  if (theirs !== undefined) {
    return { language: 'go', ok: false, reason: `GOFLAGS already has ${theirs}, and go takes one overlay: Go spawns are not recorded` };
  }
  const spaced = flags.find((f) => /\s/.test(f));
  if (spaced !== undefined) {
    return { language: 'go', ok: false, reason: `GOFLAGS cannot carry ${JSON.stringify(spaced)}: it holds white space (move the recorder cache to a path without spaces)` };
  }
  return [existing, ...flags].filter((f) => f !== '').join(' ');
}

/**
 * Compiles package syscall with the overlay (`go build -overlay=FILE syscall`, which writes no
 * binary) unless `marker` says it already did; returns why it does not compile, or undefined.
 * GOFLAGS is dropped for this build: it may already carry our overlay.
 */
function verifyOverlay(go: string, env: RecorderContext['env'], overlay: string, marker: string): string | undefined {
  if (existsSync(marker)) return undefined;
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && k !== 'GOFLAGS') childEnv[k] = v;
  try {
    execFileSync(go, ['build', `-overlay=${overlay}`, 'syscall'], { env: childEnv, encoding: 'utf8', timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    return ((err.stderr ?? '').trim().split('\n').slice(0, 3).join('; ') || err.message).slice(0, 400);
  }
  try {
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  } catch {
    // not remembered: checked again next time
  }
  return undefined;
}

function readGoEnv(go: string, env: RecorderContext['env']): GoEnv {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  let out: string;
  try {
    out = execFileSync(go, ['env', 'GOROOT', 'GOVERSION', 'GOOS'], { env: childEnv, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error(`no Go toolchain: "${go}" was not found (install golang-go)`, { cause: e });
    const detail = (err.stderr ?? '').trim() || err.message;
    throw new Error(`"${go} env GOROOT GOVERSION GOOS" failed: ${detail}`, { cause: e });
  }
  const [goroot = '', version = '', goos = ''] = out.split('\n').map((l) => l.trim());
  if (goroot.startsWith('/') && version === '') {
    // GOVERSION came with Go 1.16, and so did -overlay.
    throw new Error(`"${go}" is older than Go 1.16 (its go env has no GOVERSION): recording Go spawns needs -overlay, Go 1.16 or later`);
  }
  if (!goroot.startsWith('/') || version === '' || goos === '') {
    throw new Error(`"${go} env GOROOT GOVERSION GOOS" printed no usable GOROOT, GOVERSION and GOOS: ${JSON.stringify(out)}`);
  }
  return { goroot, version, goos };
}

/**
 * Writes through a temporary file and a rename, so a build never reads a half-written file; leaves
 * a file with these exact contents alone (its mtime too: go's cache and the user's eyes see it once).
 */
function writeIfChanged(file: string, contents: string): void {
  if (existsSync(file)) {
    try {
      if (readFileSync(file, 'utf8') === contents) return;
    } catch {
      // unreadable: write it again
    }
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents, { mode: 0o644 });
  renameSync(tmp, file);
}
