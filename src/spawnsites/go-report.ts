/**
 * A Go site's record and verdict turned into the model (types.ts): the SpawnSite with its Go
 * details, the findings (the start, the Kill and Release that do not reap) with the deciding path
 * as related locations, and the one obvious fix when there is one (Start -> Run, an inserted Wait).
 */
import { relatedOf, type Verdict } from './engine/verdict';
import type { SyntaxNode } from './parser';
import { rangeOf, walk } from './syntax';
import type { FindingCode, ProgramSource, SiteFinding, SiteFix, SourceRange, SpawnSite } from './types';

/** The file being reported: its path and the parsed text. */
export interface ReportFile {
  file: string;
  text: string;
}

export interface Creation {
  program: string | null;
  programSource?: ProgramSource;
  flag?: string;
  line?: number;
  /** Built by a function of the package: its returnsCmd, resolved once every function is lowered. */
  fromFunc?: string;
}

export interface SiteRec {
  id: number;
  call: SyntaxNode;
  method?: SyntaxNode;
  api: string;
  creation: number | null;
  variable?: string;
  field?: string;
}

const PIPE_METHODS = new Set(['StdoutPipe', 'StderrPipe', 'StdinPipe']);

export function finishSite(r0: ReportFile, rec: SiteRec, v: Verdict, creation: Creation | undefined): SpawnSite {
  const r = rangeOf(rec.call);
  const site: SpawnSite = {
    file: r0.file,
    line: r.startLine,
    column: r.startColumn,
    language: 'go',
    api: rec.api,
    program: creation?.program ?? null,
    waited: 'unknown',
    reason: '',
    range: r,
    function: functionName(rec.call),
  };
  if (creation?.programSource) site.programSource = creation.programSource;
  if (creation?.programSource === 'self') site.forksSelf = true;
  const go: SpawnSite['go'] = {};
  if (rec.variable) go.variable = rec.variable;
  if (creation?.line && creation.line !== r.startLine) go.commandLine = creation.line;
  if (rec.field) go.field = rec.field;
  if (creation?.flag) go.flag = creation.flag;
  site.go = go;
  if (rec.api !== 'exec.Cmd.Start' && rec.api.startsWith('exec.Cmd.')) {
    site.waited = 'yes';
    site.reason = `${rec.api.replace('exec.Cmd.', '')}() starts the child and waits for it`;
    return site;
  }
  site.waited = v.waited;
  site.reason = v.reason;
  if (v.leak) site.leak = v.leak;
  const traced = v.waited === 'no' ? tracedAt(rec.call) : undefined;
  if (traced !== undefined) {
    // delve's native backend, containerd's userns helper: the parent traces the child and reaps it in its own wait4 on the pid.
    site.waited = 'unknown';
    site.reason = `started traced (SysProcAttr Ptrace: true at line ${traced}): this program is its tracer, and a tracer reaps its tracee through its own wait4 on the pid, which is not followed`;
    delete site.leak;
    return site;
  }
  if (v.waited === 'no') {
    const release = [...v.facts.leaks.values()].find((l) => l.kind === 'release');
    if (release) site.reason += `; ${textAt(r0, release.at)} at line ${release.at.startLine} does not reap it`;
  }
  return site;
}

/** The source text of a one-line range (the Release call), for words. */
function textAt(r0: ReportFile, r: SourceRange): string {
  const line = r0.text.split('\n', r.startLine)[r.startLine - 1] ?? '';
  return r.endLine === r.startLine ? line.slice(r.startColumn - 1, r.endColumn - 1) : 'Release()';
}

export function findingsFor(r0: ReportFile, rec: SiteRec, site: SpawnSite, v: Verdict): SiteFinding[] {
  if (site.waited !== 'no') return [];
  const code: FindingCode =
    rec.api === 'os.StartProcess' ? 'go-startprocess-without-wait' : rec.api.startsWith('syscall.') ? 'go-forkexec-without-wait' : 'go-start-without-wait';
  const name = rec.variable ?? 'the Cmd';
  const call = rec.api === 'os.StartProcess' || rec.api.startsWith('syscall.') ? `${rec.api}()` : rec.api === 'pty.Start' ? 'pty.Start()' : `${rec.variable ?? (rec.field ? `.${rec.field}` : 'exec.Command(...)')}.Start()`;
  const lines = v.losses.map((l) => `line ${l.at.startLine}`).join(', ');
  const message =
    site.leak === 'always'
      ? `${call} starts a child that is never waited for: when it exits it stays a zombie (<defunct>) until this program ends. ${rec.api.startsWith('exec.') || rec.api === 'pty.Start' ? `Call ${name}.Wait() (or use Run()).` : 'Wait for it.'}`
      : `${call}: the child is not waited for on every path (${lines}); there it stays a zombie after it exits.`;
  const finding: SiteFinding = { code, file: r0.file, range: rangeOf(rec.call), severity: 'warning', message, site, related: relatedOf(v, rangeOf(rec.call)) };
  const fix = fixFor(r0, rec, site, v);
  if (fix) finding.fix = fix;
  const out = [finding];
  for (const k of v.facts.kills) {
    out.push({
      code: 'go-kill-without-wait',
      file: r0.file,
      range: k.at,
      severity: 'warning',
      message: `${k.how} sends a signal but does not reap the child: it stays a zombie until someone calls Wait().`,
      site,
    });
  }
  for (const l of v.facts.leaks.values()) {
    if (l.kind !== 'release') continue;
    const text = textAt(r0, l.at);
    out.push({
      code: 'go-release-without-wait',
      file: r0.file,
      range: l.at,
      severity: 'warning',
      message: `${text} frees the handle without reaping the child: on Unix it stays a zombie after it exits. Call Wait() instead.`,
      site,
    });
  }
  return out;
}

/**
 * An edit only when it is the one obvious change:
 * - Start() -> Run() when nothing touches the Cmd after the Start statement (no pipes to read,
 *   no Process to signal): the child then runs to completion right there, as the seed's fix did.
 * - Otherwise, with a single leaking exit, `_ = x.Wait()` inserted just before it.
 */
function fixFor(r0: ReportFile, rec: SiteRec, site: SpawnSite, v: Verdict): SiteFix | undefined {
  if (rec.api === 'exec.Cmd.Start' && rec.method && site.leak === 'always' && !rec.field && !usedAfter(rec)) {
    return { kind: 'start-to-run', title: 'Use Run() instead of Start(): it waits for the child', edits: [{ range: rangeOf(rec.method), newText: 'Run' }] };
  }
  const leaks = [...v.facts.leaks.values()];
  if (!rec.variable || leaks.length !== 1 || v.losses.length !== 1 || rec.api.startsWith('syscall.') || rec.api === 'pty.Start') return undefined;
  const leak = leaks[0];
  if (leak.fn !== functionName(rec.call)) return undefined;
  const waitCall = rec.api === 'os.StartProcess' ? `_, _ = ${rec.variable}.Wait()` : `_ = ${rec.variable}.Wait()`;
  const lines = r0.text.split('\n');
  const row = leak.at.startLine - 1;
  const indent = /^\s*/.exec(lines[row] ?? '')![0];
  if (indent.length !== leak.at.startColumn - 1) return undefined; // something precedes it on the line
  if (leak.kind === 'return' && /^return\b/.test((lines[row] ?? '').slice(indent.length))) {
    return insertAt(row, `${indent}${waitCall}\n`, `Insert ${waitCall.replace(/^_(, _)? = /, '')} before this return`);
  }
  if (leak.kind === 'scope-end' && (lines[row] ?? '').slice(indent.length).startsWith('}')) {
    return insertAt(row, `${indent}\t${waitCall}\n`, `Insert ${waitCall.replace(/^_(, _)? = /, '')} where ${rec.variable} goes out of scope`);
  }
  return undefined;
}

/** Is the Cmd's variable used after the statement that starts it (outside that statement), in its function? */
function usedAfter(rec: SiteRec): boolean {
  if (!rec.variable) return false; // exec.Command(...).Start(): nothing can use it
  const stmt = statementOf(rec.call);
  let scope: SyntaxNode | null = stmt.parent;
  while (scope && scope.type !== 'function_declaration' && scope.type !== 'method_declaration' && scope.type !== 'func_literal') scope = scope.parent;
  if (!scope) return true;
  let used = false;
  let pipes = false;
  walk(scope, (n) => {
    if (used) return false;
    if (n.type === 'identifier' && n.text === rec.variable) {
      if (n.startIndex >= stmt.endIndex) used = true;
      // Pipes set up before Start would be read after it; Run would deadlock or lose them.
      const sel = n.parent;
      if (sel?.type === 'selector_expression' && PIPE_METHODS.has(sel.childForFieldName('field')?.text ?? '')) pipes = true;
    }
    return true;
  });
  return used || pipes;
}


/** How a verdict names the start: `cmd.Start()`, `s.cmd.Start()`, `os.StartProcess()`. */
export function siteWords(s: SiteRec): string {
  if (s.api.startsWith('exec.Cmd.')) {
    const text = s.call.text;
    return text.length <= 60 ? text : `${s.variable ?? s.field ?? 'exec.Command(...)'}.${s.api.slice(9)}()`;
  }
  return `${s.api}()`;
}

function insertAt(row: number, text: string, title: string): SiteFix {
  const at: SourceRange = { startLine: row + 1, startColumn: 1, endLine: row + 1, endColumn: 1 };
  return { kind: 'insert-wait', title, edits: [{ range: at, newText: text }] };
}

function statementOf(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.parent && !/(_statement|_declaration)$/.test(n.type)) n = n.parent;
  // `if err := cmd.Start(); err != nil {...}`: the whole if is the Start statement.
  if (n.parent?.type === 'if_statement' && n.parent.childForFieldName('initializer')?.equals(n)) return n.parent;
  return n;
}

export function functionName(node: SyntaxNode): string | undefined {
  for (let p: SyntaxNode | null = node.parent; p; p = p.parent) {
    if (p.type === 'function_declaration' || p.type === 'method_declaration') return displayName(p);
  }
  return undefined;
}

/** `run`, or `(*Server).run` for a method. */
export function displayName(decl: SyntaxNode): string | undefined {
  const name = decl.childForFieldName('name')?.text;
  if (!name || decl.type !== 'method_declaration') return name;
  const recvType = decl.childForFieldName('receiver')?.namedChild(0)?.childForFieldName('type');
  if (!recvType) return name;
  return `(${recvType.text}).${name}`;
}

/** The line of a `Ptrace: true` in the function around `call` (its SysProcAttr), if any. */
function tracedAt(call: SyntaxNode): number | undefined {
  let fn: SyntaxNode | null = call.parent;
  while (fn && fn.type !== 'function_declaration' && fn.type !== 'method_declaration') fn = fn.parent;
  if (!fn) return undefined;
  const m = /\bPtrace\s*:\s*true\b/.exec(fn.text);
  if (!m) return undefined;
  return fn.startPosition.row + 1 + (fn.text.slice(0, m.index).match(/\n/g)?.length ?? 0);
}
