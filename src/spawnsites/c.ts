/**
 * C and C++ spawn sites: fork, vfork, posix_spawn[p], popen, system and the exec* family.
 *
 * "Never waited" for a fork: its parent side (the code of the function outside the branch where
 * the fork returned 0) calls no wait*() for it, nothing hands the pid on, and the file neither
 * ignores SIGCHLD (the kernel then reaps) nor installs a SIGCHLD handler that waits. The analysis
 * is per function and not path-sensitive: one wait anywhere on the parent side counts.
 *
 * The exec in the child branch names the child: the kernel sets comm from the file it executes,
 * which is what links a zombie's name to this fork.
 */
import type { SyntaxNode } from './parser';
import { ancestor, contains, descendants, firstWord, lineOf, named, rangeOf, unescape, walk } from './syntax';
import type { FileScan, ProgramSource, SiteFinding, SiteLanguage, SpawnSite, Waited } from './types';

const FORKS = new Set(['fork', 'vfork']);
const SPAWNS = new Set(['posix_spawn', 'posix_spawnp']);
/** exec* functions and the index of the argument naming the program. */
const EXECS: Record<string, number> = {
  execl: 0, execlp: 0, execle: 0, execv: 0, execvp: 0, execvpe: 0, execve: 0, execvP: 0,
};
/** Every function name whose call is a site: a file without one of them as an identifier has none (the index's pre-filter). */
export const C_SITE_FUNCTIONS: ReadonlySet<string> = new Set([...FORKS, ...SPAWNS, 'popen', 'system', ...Object.keys(EXECS)]);
const WAITS = new Set(['wait', 'waitpid', 'wait3', 'wait4', 'waitid']);
const EXITS = new Set(['exit', '_exit', '_Exit', 'abort']);
/** Calls that take a pid or a FILE* and never wait for the child. */
const HARMLESS = new Set([
  'printf', 'fprintf', 'dprintf', 'sprintf', 'snprintf', 'syslog', 'perror', 'kill', 'killpg', 'setpgid', 'getpgid',
  'fgets', 'fgetc', 'getc', 'fread', 'fwrite', 'fputs', 'fputc', 'putc', 'fscanf', 'getline', 'getdelim', 'fileno',
  'fflush', 'feof', 'ferror', 'clearerr', 'setvbuf', 'setbuf', 'assert',
]);

const FUNCTION_TYPES = new Set(['function_definition']);
const CALLS = new Set(['call_expression']);

interface FileFacts {
  /** Where SIGCHLD is set to SIG_IGN (or SA_NOCLDWAIT): the kernel reaps every child. */
  sigchldIgnored?: number;
  /** A SIGCHLD handler defined in this file that calls wait*(). */
  reapingHandler?: { name: string; line: number };
  /** A SIGCHLD handler we cannot see. */
  otherHandler?: { name: string; line: number };
  /** wait()/waitpid(-1, ...)-style calls that reap any child, with their function. */
  anyChildWaits: { fn: SyntaxNode | null; line: number; text: string }[];
  functions: Map<string, SyntaxNode>;
  constants: Map<string, string>;
}

/** The called function's plain name: `fork`, `::fork`, `std::system` -> `fork`, `system`. */
function calleeName(call: SyntaxNode): string | undefined {
  const fn = call.childForFieldName('function');
  if (!fn) return undefined;
  if (fn.type === 'identifier') return fn.text;
  if (fn.type === 'qualified_identifier') {
    const scope = fn.childForFieldName('scope')?.text;
    if (scope && scope !== 'std') return undefined;
    const name = fn.childForFieldName('name');
    return name?.type === 'identifier' ? name.text : undefined;
  }
  return undefined;
}

function args(call: SyntaxNode): SyntaxNode[] {
  const list = call.childForFieldName('arguments');
  return list ? named(list).filter((n) => n.type !== 'comment') : [];
}

function unwrap(node: SyntaxNode | null): SyntaxNode | null {
  while (node && (node.type === 'parenthesized_expression' || node.type === 'condition_clause')) {
    node = node.type === 'condition_clause' ? node.childForFieldName('value') ?? node.namedChild(0) : node.namedChild(0);
  }
  return node;
}

function cString(node: SyntaxNode | null): string | undefined {
  if (!node) return undefined;
  if (node.type === 'string_literal') {
    const t = node.text;
    const open = t.indexOf('"');
    return unescape(t.slice(open + 1, -1));
  }
  if (node.type === 'concatenated_string') {
    let out = '';
    for (const part of named(node)) {
      const s = cString(part);
      if (s === undefined) return undefined;
      out += s;
    }
    return out;
  }
  return undefined;
}

function functionNameOf(def: SyntaxNode): string | undefined {
  let d = def.childForFieldName('declarator');
  while (d && d.type !== 'function_declarator') d = d.childForFieldName('declarator');
  const id = d?.childForFieldName('declarator');
  if (!id) return undefined;
  if (id.type === 'identifier' || id.type === 'field_identifier') return id.text;
  if (id.type === 'qualified_identifier') return id.childForFieldName('name')?.text;
  return id.text;
}

const isMinusOne = (n: SyntaxNode | undefined) => !!n && n.text.replace(/[\s()]/g, '') === '-1';
const isZero = (n: SyntaxNode | undefined) => !!n && n.text.replace(/[\s()]/g, '') === '0';

export class CScanner {
  private readonly facts: FileFacts;

  constructor(
    private readonly root: SyntaxNode,
    private readonly file: string,
    private readonly language: SiteLanguage,
  ) {
    this.facts = this.readFacts();
  }

  private readFacts(): FileFacts {
    const facts: FileFacts = { anyChildWaits: [], functions: new Map(), constants: new Map() };
    for (const top of named(this.root)) {
      if (top.type === 'preproc_def') {
        // `#define WORKER "/usr/libexec/worker"`: the value is one preprocessor token run.
        const name = top.childForFieldName('name')?.text;
        const value = top.childForFieldName('value')?.text.trim();
        if (name && value && /^"([^"\\]|\\.)*"$/.test(value)) facts.constants.set(name, unescape(value.slice(1, -1)));
      } else if (top.type === 'declaration') {
        for (const init of descendants(top, new Set(['init_declarator']))) {
          const value = cString(init.childForFieldName('value'));
          let d = init.childForFieldName('declarator');
          while (d && d.type !== 'identifier') d = d.childForFieldName('declarator') ?? d.namedChild(0);
          if (d && value !== undefined) facts.constants.set(d.text, value);
        }
      }
    }
    for (const def of descendants(this.root, FUNCTION_TYPES)) {
      const name = functionNameOf(def);
      if (name) facts.functions.set(name, def);
    }
    for (const call of descendants(this.root, CALLS)) {
      const name = calleeName(call);
      if (!name) continue;
      const a = args(call);
      if (name === 'signal' && a[0]?.text === 'SIGCHLD') {
        const h = a[1]?.text;
        if (h === 'SIG_IGN') facts.sigchldIgnored ??= lineOf(call);
        else if (h && h !== 'SIG_DFL') this.noteHandler(facts, h, lineOf(call));
      } else if (name === 'sigaction' && a[0]?.text === 'SIGCHLD') {
        // The handler or flags are set on the struct before the call, in the same function.
        const fn = ancestor(call, FUNCTION_TYPES) ?? this.root;
        let handler: string | undefined;
        walk(fn, (n) => {
          if (n.type === 'identifier' && (n.text === 'SA_NOCLDWAIT' || n.text === 'SIG_IGN')) facts.sigchldIgnored ??= lineOf(call);
          if (n.type === 'assignment_expression') {
            const field = n.childForFieldName('left');
            const fieldName = field?.type === 'field_expression' ? field.childForFieldName('field')?.text : undefined;
            const right = n.childForFieldName('right')?.text;
            if ((fieldName === 'sa_handler' || fieldName === 'sa_sigaction') && right && right !== 'SIG_IGN' && right !== 'SIG_DFL') handler = right;
          }
        });
        if (handler && facts.sigchldIgnored === undefined) this.noteHandler(facts, handler.replace(/^&/, ''), lineOf(call));
      } else if (WAITS.has(name)) {
        const first = a[0];
        const anyChild =
          name === 'wait' || name === 'wait3' || ((name === 'waitpid' || name === 'wait4') && (isMinusOne(first) || isZero(first))) || (name === 'waitid' && first?.text === 'P_ALL');
        if (anyChild) facts.anyChildWaits.push({ fn: ancestor(call, FUNCTION_TYPES), line: lineOf(call), text: call.text });
      }
    }
    return facts;
  }

  private noteHandler(facts: FileFacts, name: string, line: number): void {
    const fn = facts.functions.get(name);
    const reaps = fn && descendants(fn, CALLS).some((c) => WAITS.has(calleeName(c) ?? ''));
    if (reaps) facts.reapingHandler ??= { name, line };
    else facts.otherHandler ??= { name, line };
  }

  scan(): FileScan {
    const sites: SpawnSite[] = [];
    const findings: SiteFinding[] = [];
    const forkSites = new Map<number, SpawnSite>();
    const execCalls: SyntaxNode[] = [];
    const calls = descendants(this.root, CALLS);
    for (const call of calls) {
      const name = calleeName(call);
      if (!name) continue;
      if (FORKS.has(name)) {
        const site = this.fork(call, name);
        sites.push(site);
        forkSites.set(call.startIndex, site);
      } else if (SPAWNS.has(name)) sites.push(this.posixSpawn(call, name));
      else if (name === 'popen') sites.push(this.popen(call));
      else if (name === 'system') {
        const cmd = this.program(args(call)[0], call);
        sites.push(this.site(call, 'system', cmd.program ? firstWord(cmd.program) : null, cmd.source, 'yes', 'system() waits for the shell it starts', { shell: true }));
      } else if (name in EXECS) execCalls.push(call);
    }
    // exec* after the forks: an exec in a child branch inherits its fork's verdict.
    for (const call of execCalls) sites.push(this.exec(call, forkSites));
    sites.sort((a, b) => a.line - b.line || a.column - b.column);
    for (const site of sites) {
      if (site.waited !== 'no') continue;
      const code = site.api === 'popen' ? 'c-popen-without-pclose' : FORKS.has(site.api) ? 'c-fork-without-wait' : 'c-spawn-without-wait';
      findings.push({
        code,
        file: this.file,
        range: site.range,
        severity: 'warning',
        message: `${site.api}() starts a child that is never waited for: when it exits it stays a zombie (<defunct>). ${site.reason}.`,
        site,
      });
    }
    return { sites, findings };
  }

  private site(call: SyntaxNode, api: string, program: string | null, source: ProgramSource | undefined, waited: Waited, reason: string, fork?: SpawnSite['fork']): SpawnSite {
    const r = rangeOf(call);
    const site: SpawnSite = { file: this.file, line: r.startLine, column: r.startColumn, language: this.language, api, program, waited, reason, range: r };
    if (source) site.programSource = source;
    const fn = ancestor(call, FUNCTION_TYPES);
    const name = fn && functionNameOf(fn);
    if (name) site.function = name;
    if (fork) site.fork = fork;
    return site;
  }

  /** What a program argument names: a literal, a #define, a file-level or local constant string. */
  private program(arg: SyntaxNode | undefined, at: SyntaxNode): { program: string | null; source?: ProgramSource } {
    if (!arg) return { program: null };
    const lit = cString(arg);
    if (lit !== undefined) return { program: lit, source: 'literal' };
    if (arg.type === 'identifier') {
      const fn = ancestor(at, FUNCTION_TYPES);
      if (fn) {
        // A local `const char *prog = "x";` declared once in this function.
        let local: string | undefined;
        let count = 0;
        walk(fn, (n) => {
          if (n.type !== 'init_declarator') return true;
          let d = n.childForFieldName('declarator');
          while (d && d.type !== 'identifier') d = d.childForFieldName('declarator') ?? d.namedChild(0);
          if (d?.text === arg.text) {
            count++;
            local = cString(n.childForFieldName('value'));
          }
          return false;
        });
        if (count === 1 && local !== undefined) return { program: local, source: 'constant' };
        if (count > 0) return { program: null };
      }
      const c = this.facts.constants.get(arg.text);
      if (c !== undefined) return { program: c, source: 'constant' };
    }
    if (arg.type === 'subscript_expression' && arg.text.replace(/\s/g, '') === 'argv[0]') return { program: null, source: 'self' };
    return { program: null };
  }

  // -------------------------------------------------------------------------------------------

  /** The variable a call's result is stored in: `pid_t p = fork();`, `p = fork()`, `(p = fork())`. */
  private resultVar(call: SyntaxNode): string | undefined {
    let p = call.parent;
    while (p && (p.type === 'parenthesized_expression' || p.type === 'cast_expression')) p = p.parent;
    if (!p) return undefined;
    if (p.type === 'init_declarator') {
      let d = p.childForFieldName('declarator');
      while (d && d.type !== 'identifier') d = d.childForFieldName('declarator') ?? d.namedChild(0);
      return d?.text;
    }
    if (p.type === 'assignment_expression' && p.childForFieldName('left')?.type === 'identifier') return p.childForFieldName('left')!.text;
    return undefined;
  }

  /**
   * Splits a function around a fork: the child branches (run only when the fork returned 0),
   * the error branches (-1) and the parent-only branches (> 0). Recognises `if (pid == 0)`,
   * `if (!pid)`, `if (pid > 0)`, `if (pid < 0)`, `if (pid)`, else-if chains, `switch (pid)`, and
   * the same forms on the fork call itself (`if (fork() == 0)`).
   */
  private branches(fn: SyntaxNode, call: SyntaxNode, pid: string | undefined) {
    const child: SyntaxNode[] = [];
    const error: SyntaxNode[] = [];
    const parent: SyntaxNode[] = [];
    const isX = (n: SyntaxNode | null): boolean => {
      n = unwrap(n);
      if (!n) return false;
      if (pid && n.type === 'identifier' && n.text === pid) return true;
      if (n.startIndex === call.startIndex && n.endIndex === call.endIndex) return true;
      if (n.type === 'assignment_expression') return isX(n.childForFieldName('right'));
      return false;
    };
    type Test = 'zero' | 'nonzero' | 'positive' | 'negative';
    const classify = (cond: SyntaxNode | null): Test | undefined => {
      cond = unwrap(cond);
      if (!cond) return undefined;
      if (isX(cond)) return 'nonzero';
      if (cond.type === 'unary_expression' && cond.childForFieldName('operator')?.text === '!' && isX(cond.childForFieldName('argument'))) return 'zero';
      if (cond.type !== 'binary_expression') return undefined;
      const op = cond.childForFieldName('operator')?.text;
      let l = cond.childForFieldName('left');
      let r = cond.childForFieldName('right');
      let flipped = false;
      if (!isX(l) && isX(r)) {
        [l, r] = [r, l];
        flipped = true;
      }
      if (!isX(l) || !r) return undefined;
      const zero = isZero(r);
      const minus = isMinusOne(r);
      if (op === '==' && zero) return 'zero';
      if (op === '!=' && zero) return 'nonzero';
      if (op === '==' && minus) return 'negative';
      if ((op === '>' && zero && !flipped) || (op === '<' && zero && flipped)) return 'positive';
      if ((op === '<' && zero && !flipped) || (op === '>' && zero && flipped)) return 'negative';
      return undefined;
    };
    const visitIf = (node: SyntaxNode): void => {
      const test = classify(node.childForFieldName('condition'));
      if (!test) return;
      const cons = node.childForFieldName('consequence');
      let alt = node.childForFieldName('alternative');
      if (alt?.type === 'else_clause') alt = alt.namedChild(0);
      const pushAlt = (into: SyntaxNode[]) => {
        if (!alt) return;
        if (alt.type === 'if_statement' && classify(alt.childForFieldName('condition'))) return; // handled on its own
        into.push(alt);
      };
      if (test === 'zero') {
        if (cons) child.push(cons);
        pushAlt(parent);
      } else if (test === 'nonzero' || test === 'positive') {
        if (cons) parent.push(cons);
        pushAlt(child);
      } else {
        if (cons) error.push(cons);
      }
    };
    walk(fn, (n) => {
      if (n.startIndex < call.startIndex && !contains(n, call)) return false;
      if (n.type === 'if_statement') visitIf(n);
      if (n.type === 'switch_statement' && isX(n.childForFieldName('condition'))) {
        const body = n.childForFieldName('body');
        for (const c of body ? named(body) : []) {
          if (c.type !== 'case_statement') continue;
          const v = c.childForFieldName('value');
          (v && isZero(v) ? child : v && isMinusOne(v) ? error : parent).push(c);
        }
      }
      return true;
    });
    return { child, error, parent };
  }

  private fork(call: SyntaxNode, api: string): SpawnSite {
    const fn = ancestor(call, FUNCTION_TYPES);
    const pid = this.resultVar(call);
    const scope = fn ?? this.root;
    const { child, error, parent } = this.branches(scope, call, pid);
    const inChild = (n: SyntaxNode) => child.some((c) => contains(c, n)) || error.some((c) => contains(c, n));

    // What the child runs: the exec* in its branch, or (one level down) in a function it calls.
    const execs: SyntaxNode[] = [];
    for (const region of child) {
      for (const c of descendants(region, CALLS)) {
        const name = calleeName(c) ?? '';
        if (name in EXECS) execs.push(c);
        else if (this.facts.functions.has(name) && fn !== this.facts.functions.get(name)) {
          for (const inner of descendants(this.facts.functions.get(name)!, CALLS)) if ((calleeName(inner) ?? '') in EXECS) execs.push(inner);
        }
      }
    }
    const programs = execs.map((e) => this.program(args(e)[EXECS[calleeName(e)!]], e));
    const distinct = new Set(programs.map((p) => p.program));
    const program = distinct.size === 1 ? programs[0] : { program: null };
    const fork: SpawnSite['fork'] = {};
    if (execs.length) fork.execLines = [...new Set(execs.map(lineOf))];

    const verdict = this.parentVerdict(call, scope, pid, inChild, parent, `${api}()`);
    const site = this.site(call, api, program.program, program.source, verdict.waited, verdict.reason, fork);
    if (verdict.leak) site.leak = verdict.leak;
    if (child.length && execs.length === 0) site.forksSelf = true;
    if (!site.programSource && site.forksSelf) site.programSource = 'self';
    return site;
  }

  /**
   * Does the parent side reap the child? Checked in order: SIGCHLD ignored or reaped by a
   * handler (file-wide), the parent exits right away, a wait in the parent side, the pid handed
   * on (unknown), a wait for any child elsewhere in the file (unknown), else never.
   */
  private parentVerdict(
    call: SyntaxNode,
    fn: SyntaxNode,
    pid: string | undefined,
    inChild: (n: SyntaxNode) => boolean,
    parentOnly: SyntaxNode[],
    what: string,
  ): { waited: Waited; reason: string; leak?: 'always' } {
    const f = this.facts;
    if (f.sigchldIgnored !== undefined) return { waited: 'yes', reason: `SIGCHLD is ignored at line ${f.sigchldIgnored}, so the kernel reaps every child` };
    if (f.reapingHandler) return { waited: 'yes', reason: `the SIGCHLD handler ${f.reapingHandler.name}() (installed at line ${f.reapingHandler.line}) waits for children` };

    // The parent exits at once (daemonising): init adopts the child and reaps it.
    for (const region of parentOnly) {
      const exit = descendants(region, CALLS).find((c) => EXITS.has(calleeName(c) ?? ''));
      if (exit) return { waited: 'yes', reason: `the parent exits at line ${lineOf(exit)}; init adopts and reaps the child` };
    }
    // A fork inside another fork's child branch that then exits (the double fork).
    const outer = this.enclosingChildExit(call, fn);
    if (outer) return { waited: 'yes', reason: `its parent (the child of the fork at line ${outer.fork}) exits at line ${outer.exit}; init reaps it` };
    // `fork(); ... _exit(0);` with the exit a later statement of a block around the fork: the
    // parent ends on every path through here, so init adopts the child.
    const exitAfter = this.exitAfter(call, fn, inChild);
    if (exitAfter) return { waited: 'yes', reason: `the parent exits at line ${exitAfter} right after; init adopts and reaps the child` };

    let escape: string | undefined;
    for (const c of descendants(fn, CALLS)) {
      if (c.startIndex < call.endIndex || inChild(c)) continue;
      const name = calleeName(c) ?? '';
      const a = args(c);
      if (WAITS.has(name)) {
        const first = a[0];
        const target = name === 'wait' || name === 'wait3' ? 'any' : first && pid && first.text === pid ? 'pid' : isMinusOne(first) || isZero(first) || name === 'waitid' ? 'any' : 'other';
        if (target === 'pid' || target === 'any') return { waited: 'yes', reason: `${c.text.replace(/\s+/g, ' ')} at line ${lineOf(c)}${target === 'any' ? ' reaps any child' : ''}` };
        escape ??= `${c.text.replace(/\s+/g, ' ')} at line ${lineOf(c)} waits for some pid`;
      }
      if (pid && a.some((x) => x.type === 'identifier' && x.text === pid) && !HARMLESS.has(name) && !WAITS.has(name)) {
        const callee = this.facts.functions.get(name);
        if (callee && descendants(callee, CALLS).some((x) => WAITS.has(calleeName(x) ?? ''))) {
          return { waited: 'yes', reason: `handed to ${name}(), which waits (line ${lineOf(c)})` };
        }
        if (!callee) escape ??= `the pid is passed to ${name}() at line ${lineOf(c)}`;
      }
    }
    if (pid) {
      walk(fn, (n) => {
        if (escape || n.startIndex < call.endIndex || inChild(n)) return !escape;
        if (n.type === 'return_statement' && descendants(n, new Set(['identifier'])).some((i) => i.text === pid)) escape = `the pid is returned at line ${lineOf(n)}`;
        if (n.type === 'assignment_expression' && n.childForFieldName('right')?.text === pid) escape = `the pid is stored in ${n.childForFieldName('left')?.text} at line ${lineOf(n)}`;
        return true;
      });
      // A pid stored in a global or passed out by pointer from the start: `*out = fork()`.
    }
    const p = call.parent;
    if (p?.type === 'assignment_expression' && p.childForFieldName('left')?.type !== 'identifier') escape ??= `the pid is stored in ${p.childForFieldName('left')?.text} at line ${lineOf(p)}`;
    if (p?.type === 'return_statement') escape ??= `the pid is returned at line ${lineOf(p)}`;
    if (escape) return { waited: 'unknown', reason: escape };
    const elsewhere = f.anyChildWaits.find((w) => w.fn !== fn);
    if (elsewhere) return { waited: 'unknown', reason: `${elsewhere.text.replace(/\s+/g, ' ')} at line ${elsewhere.line} may reap it` };
    if (f.otherHandler) return { waited: 'unknown', reason: `a SIGCHLD handler ${f.otherHandler.name}() is installed at line ${f.otherHandler.line}` };
    return { waited: 'no', reason: `never waited: no wait()/waitpid() on the parent side of ${what} and SIGCHLD is not ignored`, leak: 'always' };
  }

  /** Line of an exit()/_exit() statement following the fork's statement in an enclosing block (outside the child branch). */
  private exitAfter(call: SyntaxNode, fn: SyntaxNode, inChild: (n: SyntaxNode) => boolean): number | undefined {
    for (let stmt: SyntaxNode | null = call; stmt && stmt !== fn; stmt = stmt.parent) {
      // Past a loop the exit no longer follows each fork: the loop forks again first.
      if (stmt !== call && /^(for|while|do)_statement$/.test(stmt.type)) break;
      const block = stmt.parent;
      if (!block || block.type !== 'compound_statement') continue;
      for (let next = stmt.nextNamedSibling; next; next = next.nextNamedSibling) {
        if (next.type !== 'expression_statement' || inChild(next)) continue;
        const c = next.namedChild(0);
        if (c?.type === 'call_expression' && EXITS.has(calleeName(c) ?? '')) return lineOf(c);
      }
    }
    return undefined;
  }

  /** When the call sits in the child branch of an earlier fork whose branch calls exit afterwards. */
  private enclosingChildExit(call: SyntaxNode, fn: SyntaxNode): { fork: number; exit: number } | undefined {
    for (const other of descendants(fn, CALLS)) {
      if (other.startIndex >= call.startIndex || !FORKS.has(calleeName(other) ?? '')) continue;
      const { child } = this.branches(fn, other, this.resultVar(other));
      for (const region of child) {
        if (!contains(region, call)) continue;
        const exit = descendants(region, CALLS).find((c) => c.startIndex > call.endIndex && EXITS.has(calleeName(c) ?? ''));
        if (exit) return { fork: lineOf(other), exit: lineOf(exit) };
      }
    }
    return undefined;
  }

  private posixSpawn(call: SyntaxNode, api: string): SpawnSite {
    const a = args(call);
    const first = unwrap(a[0] ?? null);
    const pid = first?.type === 'pointer_expression' && first.childForFieldName('argument')?.type === 'identifier' ? first.childForFieldName('argument')!.text : undefined;
    const fn = ancestor(call, FUNCTION_TYPES) ?? this.root;
    const program = this.program(a[1], call);
    const verdict = this.parentVerdict(call, fn, pid, () => false, [], `${api}()`);
    const site = this.site(call, api, program.program, program.source, verdict.waited, verdict.reason);
    if (verdict.leak) site.leak = verdict.leak;
    return site;
  }

  private popen(call: SyntaxNode): SpawnSite {
    const fn = ancestor(call, FUNCTION_TYPES) ?? this.root;
    const cmd = this.program(args(call)[0], call);
    const program = cmd.program ? firstWord(cmd.program) : null;
    const fp = this.resultVar(call);
    let waited: Waited = 'no';
    let reason = `never waited: the FILE* from popen() is never pclose()d, and pclose() is what waits for the shell`;
    if (this.facts.sigchldIgnored !== undefined) {
      waited = 'yes';
      reason = `SIGCHLD is ignored at line ${this.facts.sigchldIgnored}, so the kernel reaps every child`;
    } else if (!fp) {
      const p = call.parent;
      if (p?.type === 'argument_list' && calleeName(p.parent!) === 'pclose') {
        waited = 'yes';
        reason = 'pclose() waits for it';
      } else {
        waited = 'unknown';
        reason = 'the FILE* is not kept in a local variable';
      }
    } else {
      for (const c of descendants(fn, CALLS)) {
        if (c.startIndex < call.endIndex) continue;
        const name = calleeName(c) ?? '';
        const passes = args(c).some((x) => x.type === 'identifier' && x.text === fp);
        if (!passes) continue;
        if (name === 'pclose') {
          waited = 'yes';
          reason = `pclose(${fp}) at line ${lineOf(c)} waits for it`;
          break;
        }
        if (!HARMLESS.has(name)) {
          waited = 'unknown';
          reason = `${fp} is passed to ${name}() at line ${lineOf(c)}`;
        }
      }
      if (waited === 'no') {
        walk(fn, (n) => {
          if (n.startIndex < call.endIndex) return true;
          if (n.type === 'return_statement' && n.text.includes(fp) && descendants(n, new Set(['identifier'])).some((i) => i.text === fp)) {
            waited = 'unknown';
            reason = `${fp} is returned at line ${lineOf(n)}`;
          }
          return waited === 'no';
        });
      }
    }
    const site = this.site(call, 'popen', program, cmd.source, waited, reason, { shell: true });
    if (waited === 'no') site.leak = 'always';
    return site;
  }

  private exec(call: SyntaxNode, forks: Map<number, SpawnSite>): SpawnSite {
    const name = calleeName(call)!;
    const program = this.program(args(call)[EXECS[name]], call);
    // Is this exec in the child branch of a fork (in the same function, or in a helper the child calls)?
    for (const fork of forks.values()) {
      if (fork.fork?.execLines?.includes(lineOf(call)) && fork.file === this.file) {
        const site = this.site(call, name, program.program, program.source, fork.waited, `runs in the child of ${fork.api}() at line ${fork.line}: ${fork.reason}`, { forkLine: fork.line });
        if (fork.leak) site.leak = fork.leak;
        return site;
      }
    }
    return this.site(call, name, program.program, program.source, 'unknown', `${name}() replaces the calling process; no child is started here`);
  }
}

export function scanC(root: SyntaxNode, file: string, language: 'c' | 'cpp'): FileScan {
  return new CScanner(root, file, language).scan();
}

/** True when the file defines main(): the unit a built binary is named after. */
export function cHasMain(root: SyntaxNode): boolean {
  return descendants(root, FUNCTION_TYPES).some((d) => functionNameOf(d) === 'main');
}

