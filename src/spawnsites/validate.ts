/**
 * The shape of what a saved index holds (snapshot.ts), checked field by field before any of it is
 * trusted: a saved index is a file on disk, and valid JSON of the wrong shape (a field missing or
 * of another type, a number no line can be, a path outside the root) must not reach the output,
 * crash a later run or change a link. Each check returns why it fails, or undefined.
 */
import type { FindingCode } from './types';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
/** A line or column: a whole number from 1 that a 32-bit editor position holds. */
const isPos = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) < 2 ** 31;
const optional = (v: unknown, check: (x: unknown) => boolean) => v === undefined || check(v);
const oneOf =
  <T extends string>(...values: T[]) =>
  (v: unknown): v is T =>
    typeof v === 'string' && (values as string[]).includes(v);

export const isLanguage = oneOf('go', 'c', 'cpp', 'python', 'javascript', 'typescript', 'rust');
export const isGrammar = oneOf('go', 'c', 'cpp', 'python', 'javascript', 'typescript', 'tsx', 'rust');
const isWaited = oneOf('yes', 'no', 'unknown');
const isProgramSource = oneOf('literal', 'constant', 'path-base', 'flag-default', 'self', 'interpreter');
const isLeak = oneOf('always', 'some-paths');
const FINDING_CODES: FindingCode[] = [
  'go-start-without-wait',
  'go-startprocess-without-wait',
  'go-forkexec-without-wait',
  'go-kill-without-wait',
  'go-release-without-wait',
  'c-fork-without-wait',
  'c-spawn-without-wait',
  'c-popen-without-pclose',
  'python-popen-without-wait',
  'python-fork-without-wait',
  'python-process-without-join',
  'rust-spawn-without-wait',
];
const isCode = oneOf(...FINDING_CODES);
const isStrList = (v: unknown) => Array.isArray(v) && v.every(isStr);

export function isRange(v: unknown): boolean {
  return isObj(v) && isPos(v.startLine) && isPos(v.startColumn) && isPos(v.endLine) && isPos(v.endColumn);
}

/** A site of the file `path` (its `file` must be that path). */
export function siteProblem(v: unknown, path: string): string | undefined {
  if (!isObj(v)) return 'a damaged site: that is no object';
  if (v.file !== path) return 'a damaged site: of another file';
  if (!isPos(v.line) || !isPos(v.column)) return 'a damaged site: whose line or column is no line or column';
  if (!isLanguage(v.language)) return 'a damaged site: of no known language';
  if (!isStr(v.api) || v.api === '') return 'a damaged site: without its API';
  if (v.program !== null && !isStr(v.program)) return 'a damaged site: whose program is neither a string nor null';
  if (!isWaited(v.waited)) return 'a damaged site: whose "waited" is not yes, no or unknown';
  if (!isStr(v.reason)) return 'a damaged site: without its reason';
  if (!isRange(v.range)) return 'a damaged site: without a valid range';
  if (!optional(v.programSource, isProgramSource) || !optional(v.function, isStr) || !optional(v.leak, isLeak) || !optional(v.forksSelf, (x) => typeof x === 'boolean')) return 'a damaged site: with a damaged optional field';
  if (v.go !== undefined) {
    const g = v.go;
    if (!isObj(g) || !optional(g.variable, isStr) || !optional(g.commandLine, isPos) || !optional(g.field, isStr) || !optional(g.flag, isStr)) return 'a damaged site: with damaged Go details';
  }
  if (v.fork !== undefined) {
    const f = v.fork;
    if (!isObj(f) || !optional(f.execLines, (x) => Array.isArray(x) && x.every(isPos)) || !optional(f.forkLine, isPos) || !optional(f.shell, (x) => typeof x === 'boolean')) return 'a damaged site: with damaged fork details';
  }
  return undefined;
}

export function findingProblem(v: unknown, path: string): string | undefined {
  if (!isObj(v)) return 'a finding that is no object';
  if (!isCode(v.code) || v.file !== path || !isRange(v.range) || !oneOf('warning', 'information')(v.severity) || !isStr(v.message)) return 'a damaged finding';
  const site = siteProblem(v.site, path);
  if (site) return `a finding with ${site}`;
  if (v.related !== undefined && !(Array.isArray(v.related) && v.related.every((r) => isObj(r) && isRange(r.range) && isStr(r.message)))) return 'a finding with damaged related places';
  if (v.fix !== undefined) {
    const fix = v.fix;
    if (!isObj(fix) || !oneOf('start-to-run', 'insert-wait')(fix.kind) || !isStr(fix.title) || !Array.isArray(fix.edits) || !fix.edits.every((e) => isObj(e) && isRange(e.range) && isStr(e.newText))) return 'a finding with a damaged fix';
  }
  return undefined;
}

const isParam = (v: unknown) => v === null || oneOf('waits', 'never', 'escapes', 'some')(v);
const isEvList = (v: unknown) => Array.isArray(v) && v.every((e) => isObj(e) && isRange(e.at) && isStr(e.how) && isStr(e.fn));

/** The encoded GoFileFacts of snapshot.ts (Maps and Sets as arrays). */
export function goFactsProblem(f: unknown): string | undefined {
  if (!isObj(f)) return 'Go facts that are no object';
  if (!isStr(f.packageName) || !isStrList(f.imports) || typeof f.hasMain !== 'boolean') return 'damaged Go facts';
  const pairs = (v: unknown, value: (x: unknown) => boolean) => Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && isStr(p[0]) && value(p[1]));
  const engine = (e: unknown) =>
    isObj(e) &&
    isStr(e.key) &&
    Array.isArray(e.params) &&
    e.params.every(isParam) &&
    Array.isArray(e.paramCells) &&
    e.paramCells.every((c) => c === null || isStr(c)) &&
    Array.isArray(e.paramKills) &&
    e.paramKills.every(isEvList) &&
    Array.isArray(e.returnsSites) &&
    ['returns', 'exits', 'reapsAll', 'exported'].every((k) => typeof e[k] === 'boolean');
  const summary = (s: unknown) =>
    isObj(s) &&
    engine(s.s) &&
    optional(s.result, oneOf('cmd', 'process', 'pid')) &&
    optional(s.resultIndex, (x) => typeof x === 'number' && Number.isInteger(x) && x >= 0) &&
    optional(s.errorLast, (x) => typeof x === 'boolean') &&
    optional(s.returnsCmd, (r) => isObj(r) && (r.program === null || isStr(r.program)) && optional(r.programSource, isProgramSource));
  const cell = (c: unknown) => isObj(c) && isEvList(c.waits) && isEvList(c.kills) && isEvList(c.escapes);
  if (!optional(f.cells, (c) => isObj(c) && Object.values(c).every(cell))) return 'damaged Go field facts';
  if (!pairs(f.functions, summary)) return 'damaged Go function summaries';
  if (!pairs(f.constants, isStr) || !pairs(f.flags, (x) => isObj(x) && isStr(x.flag) && isStr(x.value))) return 'damaged Go constants or flags';
  if (!isStrList(f.cmdFields) || !isStrList(f.consulted)) return 'damaged Go fields';
  if (!optional(f.reapsAnyChild, isPos) || !optional(f.ignoresSigchld, isPos)) return 'damaged Go line facts';
  return undefined;
}
