/**
 * The native recorder (C, C++, Rust, anything dynamically linked against glibc): an LD_PRELOAD
 * library compiled from src/record/assets/preload.c with the machine's `cc` on first use, cached
 * by a hash of its source and the compiler, and the addr2line step that turns its
 * {module, offset} frames into file:line.
 *
 * What it cannot see, and cannot tell at prepare time: static binaries (`cc -static`: LD_PRELOAD
 * does nothing, the program runs unchanged and records nothing), Go programs, raw clone syscalls.
 * The record path is read once by the library when it loads, so a program that clears its
 * environment still records (see preload.c).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { locateAsset } from './assets';
import { RECORD_ENV, type Preparation, type RecordFrame, type RecorderContext } from './types';

export const PRELOAD_LIBRARY = 'libpirecord.so';
const CC_FLAGS = ['-shared', '-fPIC', '-O2', '-g0'];
// Every child of a recorded program loads the library too (LD_PRELOAD is inherited), spawning or
// not, and a fork() copies every mapping of the recorded program (bench/recorders.mjs):
//  - two PT_LOAD segments instead of four (code not in a segment of its own) and no RELRO: two
//    mmaps and an mprotect fewer in each child;
//  - the unwinder linked in from libgcc_eh, its symbols local: glibc's backtrace() would dlopen
//    libgcc_s into the recorded program at its first record, six mappings that each later fork
//    copies (preload.c uses _Unwind_Backtrace under PIRECORD_STATIC_UNWIND, backtrace() without).
// A compiler or linker that refuses one of these fails the build, which is then made without all.
const LINK_FLAGS = ['-DPIRECORD_STATIC_UNWIND', '-static-libgcc', '-Wl,--exclude-libs,ALL', '-Wl,-z,noseparate-code', '-Wl,-z,norelro'];

/** Builds (or reuses) the preload library and says how to inject it into a launch. */
export function prepareNative(ctx: RecorderContext, opts: { cc?: string } = {}): Preparation {
  const cc = opts.cc ?? 'cc';
  let version: string;
  try {
    version = execFileSync(cc, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (e) {
    return { language: 'native', ok: false, reason: `no C compiler (${cc}) found: ${errorText(e)}; install gcc to record native spawns` };
  }
  let source: string;
  try {
    source = readFileSync(locateAsset('preload.c'), 'utf8');
  } catch (e) {
    return { language: 'native', ok: false, reason: errorText(e) };
  }
  const hash = createHash('sha256').update(source).update('\0').update(version).update('\0').update([...CC_FLAGS, ...LINK_FLAGS].join(' ')).digest('hex').slice(0, 16);
  const dir = join(ctx.cacheDir, `native-${hash}`);
  const so = join(dir, PRELOAD_LIBRARY);
  // LD_PRELOAD splits on spaces and colons and has no escape: such a path cannot be carried.
  if (/[\s:]/.test(so)) {
    return { language: 'native', ok: false, reason: `the recorder cache path ${JSON.stringify(so)} holds a space or a colon, which LD_PRELOAD cannot carry` };
  }
  let built = false;
  if (!existsSync(so)) {
    try {
      mkdirSync(dir, { recursive: true });
      // Written under this process's own name, then renamed: two prepares at once each build a whole
      // file and the last rename wins; nobody ever loads a half-written library.
      const tmp = `${so}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      const src = join(dir, 'preload.c');
      const srcTmp = `${src}.${process.pid}.tmp`;
      writeFileSync(srcTmp, source); // beside the library: what it was built from
      renameSync(srcTmp, src);
      try {
        const compile = (extra: string[]) =>
          execFileSync(cc, [...CC_FLAGS, ...extra, '-o', tmp, src, '-ldl'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
        try {
          compile(LINK_FLAGS);
        } catch {
          compile([]);
        }
        renameSync(tmp, so);
      } finally {
        rmSync(tmp, { force: true });
      }
      built = true;
    } catch (e) {
      return { language: 'native', ok: false, reason: `cannot build the native recorder with ${cc}: ${errorText(e)}` };
    }
  }
  return {
    language: 'native',
    ok: true,
    env: { [RECORD_ENV]: ctx.recordFile, LD_PRELOAD: withPreload(so, ctx.env.LD_PRELOAD) },
    note: `LD_PRELOAD recorder (${built ? 'built' : 'built earlier'} with ${compilerName(version)}, cached in ${dir})`,
  };
}

/**
 * `so` first, then what LD_PRELOAD held (space- or colon-separated), kept as it was unless it
 * already names `so` (a launch from inside a recorded program): then without that duplicate.
 */
export function withPreload(so: string, existing: string | undefined): string {
  if (!existing || !existing.trim()) return so;
  const parts = existing.split(/[\s:]+/).filter(Boolean);
  if (!parts.includes(so)) return `${so} ${existing}`;
  const rest = parts.filter((p) => p !== so);
  return rest.length ? `${so} ${rest.join(' ')}` : so;
}

/** "gcc 12.2.0" or "clang 14.0.6" from `cc --version`; its first line otherwise. */
export function compilerName(versionText: string): string {
  const first = versionText.split('\n')[0].trim();
  const clang = /clang version (\S+)/.exec(first);
  if (clang) return `clang ${clang[1]}`;
  const gcc = /^(?:cc|gcc|\S*-gcc(?:-\d+)?)\b.*\s(\d+\.\d+(?:\.\d+)?)\s*$/.exec(first);
  if (gcc) return `gcc ${gcc[1]}`;
  return first;
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { stderr?: string | Buffer };
  const stderr = err.stderr ? String(err.stderr).trim() : '';
  if (err.code === 'ENOENT') return `${err.path ?? 'command'} does not exist`;
  return stderr || err.message || String(e);
}

// --- addr2line ---------------------------------------------------------------------------------

/** Per module version (path, mtime, size): offset -> the frames it resolved to, or null (unresolved). */
const resolved = new Map<string, Map<number, RecordFrame[] | null>>();

/** True when `addr2line` (binutils) can be run. Without it frames stay {module, offset}. */
export function addr2lineAvailable(): boolean {
  try {
    execFileSync('addr2line', ['--version'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Turns {module, offset} frames into {file, line, function, module}: ONE `addr2line` run per module
 * for all its offsets. An address inside inlined code becomes several frames (innermost first, as
 * `addr2line -i` gives them), so an inlined helper's line and its caller's line both show. Frames
 * that cannot be resolved (no debug info: "??:0"; no addr2line; a module gone) stay as they are, a
 * function name found without a line is added. Results are cached per module version and offset.
 */
export function resolveNativeFrames(frames: RecordFrame[]): RecordFrame[] {
  const wanted = new Map<string, { key: string; offsets: Set<number> }>();
  const keyOf = new Map<string, string | null>();
  for (const f of frames) {
    if (f.file !== undefined || !f.module || f.offset === undefined) continue;
    let key = keyOf.get(f.module);
    if (key === undefined) {
      key = moduleKey(f.module);
      keyOf.set(f.module, key);
    }
    if (key === null) continue;
    if (resolved.get(key)?.has(f.offset)) continue;
    let w = wanted.get(f.module);
    if (!w) wanted.set(f.module, (w = { key, offsets: new Set() }));
    w.offsets.add(f.offset);
  }
  for (const [module, { key, offsets }] of wanted) {
    const got = runAddr2line(module, [...offsets]);
    if (!got) continue; // addr2line missing or failed: not cached, so a later call tries again
    let m = resolved.get(key);
    if (!m) resolved.set(key, (m = new Map()));
    for (const off of offsets) m.set(off, got.get(off) ?? null);
  }
  const out: RecordFrame[] = [];
  for (const f of frames) {
    const key = f.module && f.offset !== undefined && f.file === undefined ? keyOf.get(f.module) : null;
    const r = key ? resolved.get(key)?.get(f.offset!) : undefined;
    if (r) out.push(...r.map((x) => ({ ...x })));
    else out.push(f);
  }
  return out;
}

function moduleKey(module: string): string | null {
  try {
    const st = statSync(module);
    return `${module}\0${st.mtimeMs}\0${st.size}`;
  } catch {
    return null;
  }
}

/** offset -> frames, or undefined when addr2line cannot run on this module. */
function runAddr2line(module: string, offsets: number[]): Map<number, RecordFrame[]> | undefined {
  let text: string;
  try {
    text = execFileSync('addr2line', ['-a', '-f', '-C', '-i', '-e', module], {
      input: offsets.map((o) => `0x${o.toString(16)}`).join('\n') + '\n',
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'ignore'],
      maxBuffer: 64 * 1024 * 1024,
      timeout: 60_000,
    });
  } catch {
    return undefined;
  }
  return parseAddr2line(text, module);
}

/**
 * Parses `addr2line -a -f -C -i` output: per address a line `0x...`, then (function, file:line)
 * pairs, innermost first. Exported for the unit tests of its corner cases.
 */
export function parseAddr2line(text: string, module: string): Map<number, RecordFrame[]> {
  const result = new Map<number, RecordFrame[]>();
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const head = /^0x([0-9a-f]+)$/i.exec(lines[i].trim());
    i++;
    if (!head) continue;
    const offset = parseInt(head[1], 16);
    const pairs: RecordFrame[] = [];
    while (i < lines.length && lines[i] !== '' && !/^0x[0-9a-f]+$/i.test(lines[i].trim())) {
      const fn = lines[i].trim();
      const loc = (lines[i + 1] ?? '').trim().replace(/\s+\(discriminator \d+\)$/, '');
      i += 2;
      const frame: RecordFrame = {};
      const colon = loc.lastIndexOf(':');
      const file = colon > 0 ? loc.slice(0, colon) : '';
      const line = colon > 0 ? Number(loc.slice(colon + 1)) : NaN;
      if (file && file !== '??' && Number.isInteger(line) && line > 0) {
        frame.file = file;
        frame.line = line;
      }
      if (fn && fn !== '??') frame.function = fn;
      pairs.push(frame);
    }
    const usable = pairs.filter((p) => p.file !== undefined);
    if (usable.length > 0) {
      result.set(offset, pairs.filter((p) => p.file !== undefined || p.function !== undefined).map((p) => ({ ...p, module })));
    } else if (pairs[0]?.function) {
      result.set(offset, [{ module, offset, function: pairs[0].function }]);
    }
  }
  return result;
}
