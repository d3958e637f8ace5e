/**
 * From a record to the line a person wants: the user's part of the recorded stack and its
 * innermost frame, the spawn site. Frames of the runtime's own library (Go's std, CPython's
 * stdlib and site-packages, Node's internals and node_modules, libc and Rust's std) are the
 * machinery between the user's call and the fork; the site is the first frame above them.
 * When workspace roots are known, a frame inside them wins over any other frame (a library
 * that spawns on the user's behalf is called from somewhere in the user's code).
 */
import { isAbsolute, join, normalize } from 'node:path';
import type { RecordFrame, SpawnRecord } from './types';

export interface StackFrame {
  file: string;
  line: number;
  column?: number;
  function?: string;
}

export interface RecordedSite {
  file: string;
  line: number;
  column: number;
  function?: string;
  api: string;
  lang: SpawnRecord['lang'];
  /** The user's frames, innermost first: the site is the first. */
  stack: StackFrame[];
  /** Every frame that had a file and line, innermost first (the user's and the runtime's). */
  fullStack: StackFrame[];
}

/** Resolves native {module, offset} frames to file and line (src/record/native.ts's resolveNativeFrames). */
export type NativeResolver = (frames: RecordFrame[]) => RecordFrame[];

/** A Go function's package path is a standard library one: no dot in its first element, and not main. */
function goStdFunction(fn: string | undefined): boolean {
  if (!fn) return false;
  // "os/exec.(*Cmd).Start", "main.leak", "github.com/x/y.F", "example.com/m/pkg.(*T).M"
  const slash = fn.lastIndexOf('/');
  const pkgEnd = fn.indexOf('.', slash + 1);
  const pkg = pkgEnd < 0 ? fn : fn.slice(0, pkgEnd);
  const first = pkg.split('/')[0];
  return first !== 'main' && !first.includes('.');
}

/** A frame of the runtime's own machinery, for this recorder's language. */
export function isRuntimeFrame(lang: SpawnRecord['lang'], f: StackFrame): boolean {
  const file = f.file;
  switch (lang) {
    case 'go':
      return goStdFunction(f.function) || /\/src\/(runtime|syscall|os|internal)\//.test(file) && /\/(go|go-[0-9.]+|goroot)\/src\//.test(file);
    case 'python':
      return file.startsWith('<') || /\/lib\/python[0-9.]+\//.test(file) || /\/(site|dist)-packages\//.test(file) || file.includes('/debugpy/');
    case 'node':
      return file.startsWith('node:') || file.startsWith('internal/') || file.includes('/node_modules/');
    case 'native':
      return file.startsWith('/rustc/') || /\/library\/(std|core|alloc)\/src\//.test(file) || /\/(glibc|libc)[^/]*\//.test(file) || file.startsWith('/usr/include/') || file.startsWith('./') && /\/(posix|sysdeps|stdlib)\//.test(file);
  }
}

function inside(file: string, root: string): boolean {
  return file === root || file.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/**
 * The recorded site of `rec`, or undefined when no frame has a file and line (a stripped binary,
 * a static one, a record whose stack was lost). `roots`: the workspace folders, absolute.
 */
export function recordedSite(rec: SpawnRecord, roots: readonly string[] = [], resolveNative?: NativeResolver): RecordedSite | undefined {
  let frames = rec.stack;
  if (resolveNative && frames.some((f) => f.module !== undefined && f.line === undefined)) {
    try {
      frames = resolveNative(frames);
    } catch {
      // Unresolved native frames stay without lines.
    }
  }
  const full: StackFrame[] = [];
  for (const f of frames) {
    if (!f.file || !f.line) continue;
    let file = f.file;
    if (file.startsWith('file://')) {
      try {
        file = decodeURIComponent(new URL(file).pathname);
      } catch {
        continue;
      }
    }
    if (!isAbsolute(file) && rec.cwd && !file.startsWith('<') && !file.startsWith('node:') && !file.startsWith('internal/')) file = join(rec.cwd, file);
    else if (isAbsolute(file)) file = normalize(file);
    full.push({ file, line: f.line, ...(f.column ? { column: f.column } : {}), ...(f.function ? { function: f.function } : {}) });
  }
  if (!full.length) return undefined;
  let first = roots.length ? full.findIndex((f) => roots.some((r) => inside(f.file, r))) : -1;
  if (first < 0) first = full.findIndex((f) => !isRuntimeFrame(rec.lang, f) && isAbsolute(f.file));
  if (first < 0) return undefined;
  // The user's part: from the site outwards, without the runtime frames above it (goroutine
  // trampolines, main's caller) and, when roots are known, without frames outside them.
  const stack = full.slice(first).filter((f) => (roots.length && roots.some((r) => inside(f.file, r))) || (!isRuntimeFrame(rec.lang, f) && isAbsolute(f.file)));
  const site = stack[0];
  return { file: site.file, line: site.line, column: site.column ?? 1, ...(site.function ? { function: site.function } : {}), api: rec.api, lang: rec.lang, stack, fullStack: full };
}

/** The first of a process's records (best first, RecordLog.findAll) that names a line. */
export function bestRecordedSite(records: readonly SpawnRecord[], roots: readonly string[] = [], resolveNative?: NativeResolver): { record: SpawnRecord; site: RecordedSite } | undefined {
  for (const record of records) {
    const site = recordedSite(record, roots, resolveNative);
    if (site) return { record, site };
  }
  return undefined;
}

/** A recorded link's reason, in words: `api` is the index's name for the call when it knows the line. */
export function recordedReason(record: SpawnRecord, site: RecordedSite, api = site.api): string {
  return `the ${record.lang} recorder saw ${api}${site.function ? ` in ${site.function}` : ''} start it (pid ${record.pid}) as the program ran`;
}
