/**
 * Python spawn sites: subprocess.*, os.fork/forkpty, os.posix_spawn[p], os.spawn*, os.system,
 * os.popen, os.exec*, multiprocessing.Process and Pool, asyncio.create_subprocess_*.
 *
 * This file knows Python's APIs: which call starts a child, what a handle of each kind is waited
 * with, what the program is. The verdict comes from the one analysis every language shares
 * (engine/): lower/python.ts turns each function into the engine's handle events, `analyze` walks
 * every path. What stays here are facts of the whole file the engine has no event for: SIGCHLD
 * ignored (or handled by a reaping handler) anywhere in the file, a wait for any child in another
 * function, and code that only runs on Windows.
 *
 * CPython detail that matters for the wording: a Popen object that is garbage-collected while its
 * child still runs is queued in subprocess._active and reaped the next time a Popen is created; a
 * Popen that stays referenced is never reaped. multiprocessing reaps finished children only when
 * another Process starts (or at exit).
 */
import type { SyntaxNode } from './parser';
import type { Outcome, ProgramIR } from './engine/ir';
import { analyze, relatedOf } from './engine/verdict';
import { lowerPython, type PyKind, type PySiteRef } from './lower/python';
import { ancestor, descendants, firstWord, lineOf, named, rangeOf, unescape, walk } from './syntax';
import type { FileScan, FindingCode, ProgramSource, SiteFinding, SpawnSite, Waited } from './types';

const SCOPES = new Set(['function_definition', 'lambda']);
const CALLS = new Set(['call']);
const WAITING_SUBPROCESS = new Set(['run', 'call', 'check_call', 'check_output', 'getoutput', 'getstatusoutput']);
const SPAWN_FUNCS = new Set(['spawnl', 'spawnle', 'spawnlp', 'spawnlpe', 'spawnv', 'spawnve', 'spawnvp', 'spawnvpe']);
const EXEC_FUNCS = new Set(['execl', 'execle', 'execlp', 'execlpe', 'execv', 'execve', 'execvp', 'execvpe']);
/**
 * Identifiers one of which every site's file contains (the index's pre-filter): a site is a call
 * resolved through the imports to subprocess.*, multiprocessing.Process or one of these os
 * functions, so the module's name or the function's is spelled out in the import or the call.
 */
export const PYTHON_SITE_NAMES: ReadonlySet<string> = new Set([
  'subprocess', 'multiprocessing', 'Process', 'system', 'popen', 'fork', 'forkpty', 'posix_spawn', 'posix_spawnp', 'create_subprocess_exec', 'create_subprocess_shell', ...SPAWN_FUNCS, ...EXEC_FUNCS,
]);
const OS_WAITS = new Set(['wait', 'waitpid', 'wait3', 'wait4', 'waitid']);
const POOLS = new Set(['multiprocessing.Pool', 'multiprocessing.pool.Pool', 'multiprocessing.context.Pool']);
const PROCESSES = new Set(['multiprocessing.Process', 'multiprocessing.context.Process']);
const WINDOWS_COND = /^(?:sys\.platform\s*==\s*['"]win32['"]|['"]win32['"]\s*==\s*sys\.platform|sys\.platform\.startswith\(\s*['"]win(?:32)?['"]\s*\)|os\.name\s*==\s*['"]nt['"]|platform\.system\(\)\s*==\s*['"]Windows['"])$/;
const POSIX_COND = /^(?:sys\.platform\s*!=\s*['"]win32['"]|os\.name\s*(?:!=\s*['"]nt['"]|==\s*['"]posix['"]))$/;

function pyString(node: SyntaxNode | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'concatenated_string') {
    let out = '';
    for (const part of named(node)) {
      const s = pyString(part);
      if (s === undefined) return undefined;
      out += s;
    }
    return out;
  }
  if (node.type !== 'string') return undefined;
  let raw = false;
  let body = '';
  for (const c of named(node)) {
    if (c.type === 'interpolation') return undefined; // an f-string with {...}
    if (c.type === 'string_start') {
      const prefix = c.text.replace(/['"]/g, '').toLowerCase();
      if (prefix.includes('b')) return undefined;
      raw = prefix.includes('r');
    }
    if (c.type === 'string_content') body += c.text;
    if (c.type === 'escape_sequence') body += c.text;
  }
  return raw ? body : unescape(body);
}

interface Pending {
  site: SpawnSite;
  /** The call the engine's spawn event sits on (for multiprocessing.Process: `.start()`). */
  call: SyntaxNode;
  kind: PyKind;
}

/** Sites whose finding reads "never joined" rather than "never waited". */
const FINDING_CODE: Record<PyKind, FindingCode> = {
  popen: 'python-popen-without-wait',
  pipe: 'python-popen-without-wait',
  process: 'python-process-without-join',
  pid: 'python-fork-without-wait',
};

export class PythonScanner {
  /** local name -> dotted origin: `sp` -> `subprocess`, `Popen` -> `subprocess.Popen`. */
  private readonly names = new Map<string, string>();
  private readonly constants = new Map<string, SyntaxNode>();
  private readonly functions = new Map<string, SyntaxNode>();
  private readonly calls: SyntaxNode[];
  private sigchldIgnored?: number;
  private reapingHandler?: { name: string; line: number };
  private anyChildWaits: { scope: SyntaxNode; line: number; text: string }[] = [];

  constructor(
    private readonly root: SyntaxNode,
    private readonly file: string,
    private readonly text?: string,
  ) {
    this.calls = descendants(root, CALLS);
    this.readImports();
    this.readFacts();
  }

  private readImports(): void {
    for (const n of descendants(this.root, new Set(['import_statement', 'import_from_statement']))) {
      if (n.type === 'import_statement') {
        for (const c of n.childrenForFieldName('name')) {
          if (c.type === 'aliased_import') {
            const mod = c.childForFieldName('name')?.text;
            const alias = c.childForFieldName('alias')?.text;
            if (mod && alias) this.names.set(alias, mod);
          } else {
            // `import os.path` binds `os`.
            const first = c.text.split('.')[0];
            this.names.set(first, first);
          }
        }
        continue;
      }
      const mod = n.childForFieldName('module_name')?.text;
      if (!mod) continue;
      for (const c of n.childrenForFieldName('name')) {
        if (c.type === 'aliased_import') {
          const name = c.childForFieldName('name')?.text;
          const alias = c.childForFieldName('alias')?.text;
          if (name && alias) this.names.set(alias, `${mod}.${name}`);
        } else this.names.set(c.text, `${mod}.${c.text}`);
      }
    }
  }


  /** The dotted name a callee resolves to through the imports: `sp.Popen` -> `subprocess.Popen`. */
  private resolve(fn: SyntaxNode | null): string | undefined {
    if (!fn) return undefined;
    if (fn.type === 'identifier') return this.names.get(fn.text) ?? (fn.text === 'exit' || fn.text === 'quit' || fn.text === 'print' ? fn.text : undefined);
    if (fn.type === 'attribute') {
      const obj = this.resolve(fn.childForFieldName('object'));
      const attr = fn.childForFieldName('attribute')?.text;
      return obj && attr ? `${obj}.${attr}` : undefined;
    }
    return undefined;
  }

  private readFacts(): void {
    for (const top of named(this.root)) {
      if (top.type === 'expression_statement' && top.namedChild(0)?.type === 'assignment') {
        const a = top.namedChild(0)!;
        const left = a.childForFieldName('left');
        const right = a.childForFieldName('right');
        if (left?.type === 'identifier' && right) this.constants.set(left.text, right);
      }
    }
    for (const call of this.calls) {
      const name = this.resolve(call.childForFieldName('function'));
      if (name === 'signal.signal') {
        const args = this.args(call);
        if (this.resolve(args[0]) !== 'signal.SIGCHLD') continue;
        const h = args[1];
        if (this.resolve(h) === 'signal.SIG_IGN') this.sigchldIgnored ??= lineOf(call);
        else if (h?.type === 'identifier') {
          this.functionsByName();
          const def = this.functions.get(h.text);
          const reaps = def && descendants(def, CALLS).some((c) => OS_WAITS.has((this.resolve(c.childForFieldName('function')) ?? '').replace(/^os\./, '')));
          if (reaps) this.reapingHandler ??= { name: h.text, line: lineOf(call) };
        }
      } else if (name && /^os\.wait/.test(name)) {
        const first = this.args(call)[0];
        const any = name === 'os.wait' || name === 'os.wait3' || (first && (first.text === '-1' || first.text === '0' || first.text === 'os.P_ALL'));
        if (any) this.anyChildWaits.push({ scope: this.scopeOf(call), line: lineOf(call), text: call.text });
      }
    }
  }

  private functionsByName(): void {
    if (this.functions.size) return;
    for (const def of descendants(this.root, new Set(['function_definition']))) {
      const name = def.childForFieldName('name')?.text;
      if (name && !this.functions.has(name)) this.functions.set(name, def);
    }
  }

  private args(call: SyntaxNode): SyntaxNode[] {
    const list = call.childForFieldName('arguments');
    return list ? named(list).filter((n) => n.type !== 'keyword_argument' && n.type !== 'comment') : [];
  }

  private kwarg(call: SyntaxNode, name: string): SyntaxNode | undefined {
    const list = call.childForFieldName('arguments');
    for (const n of list ? named(list) : []) {
      if (n.type === 'keyword_argument' && n.childForFieldName('name')?.text === name) return n.childForFieldName('value') ?? undefined;
    }
    return undefined;
  }

  private scopeOf(node: SyntaxNode): SyntaxNode {
    return ancestor(node, SCOPES) ?? this.root;
  }

  scan(): FileScan {
    const sites: SpawnSite[] = [];
    const pending: Pending[] = [];
    const forks: SpawnSite[] = [];
    const execs: SyntaxNode[] = [];
    const handle = (call: SyntaxNode, api: string, kind: PyKind, p: { program: string | null; source?: ProgramSource }) => {
      const site = this.site(call, api, p.program, p.source, 'unknown', '');
      sites.push(site);
      pending.push({ site, call, kind });
      return site;
    };
    for (const call of this.calls) {
      const name = this.resolve(call.childForFieldName('function'));
      if (!name) continue;
      const [mod, fn] = splitLast(name);
      if (mod === 'subprocess' && fn === 'Popen') handle(call, 'subprocess.Popen', 'popen', this.commandProgram(call));
      else if (mod === 'subprocess' && WAITING_SUBPROCESS.has(fn)) {
        const p = this.commandProgram(call);
        sites.push(this.site(call, name, p.program, p.source, 'yes', `subprocess.${fn}() waits for the child`));
      } else if (name === 'os.system') {
        const p = this.commandProgram(call, true);
        sites.push(this.site(call, name, p.program, p.source, 'yes', 'os.system() waits for the shell it starts'));
      } else if (name === 'os.popen') handle(call, 'os.popen', 'pipe', this.commandProgram(call, true));
      else if (name === 'asyncio.create_subprocess_exec' || name === 'asyncio.create_subprocess_shell') {
        // asyncio's child watcher (a thread per child, or a pidfd, since Python 3.8) reaps the child whether
        // or not the program awaits wait(): measured on CPython 3.11, an unawaited one leaves no zombie.
        const p = this.commandProgram(call, fn.endsWith('shell'));
        sites.push(this.site(call, name, p.program, p.source, 'yes', `asyncio's child watcher reaps the child, awaited or not`));
      } else if (name === 'os.fork' || name === 'os.forkpty') {
        const site = this.fork(call, name);
        const pending = handle(call, name, 'pid', { program: null });
        if (site.fork) pending.fork = site.fork;
        Object.assign(sites[sites.length - 1], site, { waited: 'unknown', reason: '' });
        forks.push(sites[sites.length - 1]);
      } else if (name === 'os.posix_spawn' || name === 'os.posix_spawnp') handle(call, name, 'pid', this.program(this.args(call)[0], call));
      else if (mod === 'os' && SPAWN_FUNCS.has(fn)) {
        const a = this.args(call);
        const mode = this.resolve(a[0]) ?? a[0]?.text;
        const p = this.program(a[1], call);
        if (mode === 'os.P_WAIT') sites.push(this.site(call, name, p.program, p.source, 'yes', 'P_WAIT: waits for the child'));
        else if (mode === 'os.P_NOWAIT' || mode === 'os.P_NOWAITO') handle(call, name, 'pid', p);
        else sites.push(this.site(call, name, p.program, p.source, 'unknown', 'the spawn mode is not a constant'));
      } else if (mod === 'os' && EXEC_FUNCS.has(fn)) execs.push(call);
      else if (PROCESSES.has(name)) {
        const start = this.processStart(call);
        if (start) handle(start, 'multiprocessing.Process.start', 'process', { program: null, source: 'self' });
      } else if (POOLS.has(name)) {
        // A Pool joins its workers itself: its worker handler as they exit, its finalizer when it is
        // dropped; one left open keeps them running, but none stays a zombie (measured on CPython 3.11).
        const site = this.site(call, 'multiprocessing.Pool', null, 'self', 'yes', 'the Pool joins its own workers (as they exit, and when it is closed or dropped)');
        site.forksSelf = true;
        sites.push(site);
      }
    }
    if (pending.length) this.judge(pending);
    for (const call of execs) sites.push(this.exec(call, forks));
    sites.sort((a, b) => a.line - b.line || a.column - b.column);
    const findings: SiteFinding[] = [];
    const byPending = new Map(pending.map((p) => [p.site, p]));
    for (const site of sites) {
      if (site.waited !== 'no') continue;
      const p = byPending.get(site);
      const code: FindingCode = p ? FINDING_CODE[p.kind] : 'python-fork-without-wait';
      const finding: SiteFinding = { code, file: this.file, range: site.range, severity: 'warning', message: `${site.api}: ${site.reason}.`, site };
      const related = (p as Pending & { related?: SiteFinding['related'] })?.related;
      if (related?.length) finding.related = related;
      findings.push(finding);
    }
    return { sites, findings };
  }

  /** The engine's verdict for every handle site, then the file-wide facts it has no event for. */
  private judge(pending: Pending[]): void {
    const refs = new Map<number, PySiteRef>();
    const program: ProgramIR = { functions: [], sites: [] };
    pending.forEach((p, id) => {
      const outcomes: Outcome[] = p.site.api === 'os.fork' || p.site.api === 'os.forkpty' ? ['parent', 'child'] : ['parent'];
      refs.set(p.call.id, { id, kind: p.kind, words: `${p.site.api}()`, outcomes });
      program.sites.push({ id, at: rangeOf(p.call), words: `${p.site.api}()` });
    });
    const lowered = lowerPython({
      root: this.root,
      resolve: (fn) => this.resolve(fn),
      sites: refs,
      platform: (c) => this.platform(c),
      exitWords: (name) => exitWords(name),
      script: this.isScript(),
    });
    program.functions = lowered.functions;
    program.cells = [...lowered.cellsUsed].map((name) => ({ name, exported: true, words: `self.${name.split('.').pop()} of ${name.slice(1, name.lastIndexOf('.'))}` }));
    const { verdicts } = analyze(program);
    pending.forEach((p, id) => {
      const v = verdicts.get(id)!;
      const s = p.site;
      s.waited = v.waited;
      s.reason = v.reason;
      if (v.leak) s.leak = v.leak;
      const override = this.fileWide(p, v.waited);
      if (override) {
        s.waited = override.waited;
        s.reason = override.reason;
        delete s.leak;
      } else if (v.waited === 'no') (p as Pending & { related?: SiteFinding['related'] }).related = relatedOf(v, s.range);
    });
  }

  /** What the file says that overrides the walk: SIGCHLD ignored or reaped, a wait for any child elsewhere (Windows-only code is the engine's platform condition). */
  private fileWide(p: Pending, waited: Waited): { waited: Waited; reason: string } | undefined {
    if (waited === 'yes') return undefined;
    if (this.sigchldIgnored !== undefined) return { waited: 'yes', reason: `SIGCHLD is ignored at line ${this.sigchldIgnored}, so the kernel reaps every child` };
    if (this.reapingHandler) return { waited: 'yes', reason: `the SIGCHLD handler ${this.reapingHandler.name}() (installed at line ${this.reapingHandler.line}) waits for children` };
    if (waited !== 'no') return undefined;
    const scope = this.scopeOf(p.call);
    const elsewhere = this.anyChildWaits.find((w) => w.scope.id !== scope.id);
    if (elsewhere) return { waited: 'unknown', reason: `${elsewhere.text} at line ${elsewhere.line} may reap it` };
    return undefined;
  }

  /** Run as a script (its module code's end ends the program): a `__main__` guard, a `#!` line, or `__main__.py`. */
  private isScript(): boolean {
    if (/(^|\/)__main__\.py$/.test(this.file) || (this.text ?? this.root.text).startsWith('#!')) return true;
    const top = named(this.root);
    if (top.some((s) => s.type === 'if_statement' && /__name__/.test(s.childForFieldName('condition')?.text ?? ''))) return true;
    // A file that defines no function or class has nothing to import but its variables: it is run, not imported.
    return !top.some((s) => /^(function_definition|class_definition|decorated_definition)$/.test(s.type));
  }

  /** `windows` when the condition holds only on Windows, `posix` when only elsewhere. */
  private platform(cond: SyntaxNode): 'windows' | 'posix' | undefined {
    let n: SyntaxNode | null = cond;
    while (n?.type === 'parenthesized_expression') n = n.namedChild(0);
    if (!n) return undefined;
    if (n.type === 'not_operator') {
      const inner = this.platform(n.childForFieldName('argument')!);
      return inner === 'windows' ? 'posix' : inner === 'posix' ? 'windows' : undefined;
    }
    if (n.type === 'boolean_operator') {
      const a = this.platform(n.childForFieldName('left')!);
      const b = this.platform(n.childForFieldName('right')!);
      const and = n.childForFieldName('operator')?.text === 'and';
      if (and) return a === 'windows' || b === 'windows' ? 'windows' : a === 'posix' || b === 'posix' ? 'posix' : undefined;
      return a && a === b ? a : undefined;
    }
    if (n.type === 'identifier') {
      const c = this.constants.get(n.text);
      return c && c.type !== 'identifier' ? this.platform(c) : undefined;
    }
    const text = n.text.replace(/\s+/g, ' ');
    if (WINDOWS_COND.test(text)) return 'windows';
    if (POSIX_COND.test(text)) return 'posix';
    return undefined;
  }

  private site(call: SyntaxNode, api: string, program: string | null, source: ProgramSource | undefined, waited: Waited, reason: string): SpawnSite {
    const r = rangeOf(call);
    const site: SpawnSite = { file: this.file, line: r.startLine, column: r.startColumn, language: 'python', api, program, waited, reason, range: r };
    if (source) site.programSource = source;
    if (source === 'self') site.forksSelf = true;
    const fn = ancestor(call, new Set(['function_definition']));
    const name = fn?.childForFieldName('name')?.text;
    if (name) site.function = name;
    return site;
  }

  // -------------------------------------------------------------------------------------------
  // Programs.

  private program(arg: SyntaxNode | undefined, at: SyntaxNode, depth = 0): { program: string | null; source?: ProgramSource } {
    if (!arg || depth > 3) return { program: null };
    const s = pyString(arg);
    if (s !== undefined) return { program: s, source: 'literal' };
    if (arg.type === 'list' || arg.type === 'tuple') {
      const first = named(arg)[0];
      const p = this.program(first, at, depth + 1);
      return p;
    }
    if (this.resolve(arg) === 'sys.executable') return { program: null, source: 'self' };
    if (arg.type === 'call' && this.resolve(arg.childForFieldName('function')) === 'shlex.split') {
      const s2 = pyString(this.args(arg)[0]);
      if (s2 !== undefined) return { program: firstWord(s2), source: 'literal' };
    }
    if (arg.type === 'identifier') {
      // A name assigned exactly once in this function, else a module-level constant.
      const scope = this.scopeOf(at);
      const assigned: SyntaxNode[] = [];
      if (scope !== this.root) {
        walk(scope, (n) => {
          if (n.type === 'assignment' && n.childForFieldName('left')?.text === arg.text && n.childForFieldName('right')) assigned.push(n.childForFieldName('right')!);
          return true;
        });
      }
      if (assigned.length === 1) {
        const p = this.program(assigned[0], at, depth + 1);
        return p.program !== null ? { program: p.program, source: 'constant' } : p;
      }
      const c = assigned.length === 0 ? this.constants.get(arg.text) : undefined;
      if (c) {
        const p = this.program(c, at, depth + 1);
        return p.program !== null ? { program: p.program, source: 'constant' } : p;
      }
    }
    return { program: null };
  }

  /** The program of a subprocess call: argv[0], or the first word of a shell command line. */
  private commandProgram(call: SyntaxNode, shell = false): { program: string | null; source?: ProgramSource } {
    const first = this.args(call)[0] ?? this.kwarg(call, 'args');
    const p = this.program(first, call);
    const useShell = shell || this.kwarg(call, 'shell')?.text === 'True';
    if (p.program !== null && useShell) return { program: firstWord(p.program), source: p.source };
    return p;
  }

  // -------------------------------------------------------------------------------------------
  // fork and exec.

  /** The name a call's result is bound to (`p = Popen(...)`, `pid, fd = os.forkpty()`), or undefined. */
  private assignedName(call: SyntaxNode): string | undefined {
    const p = call.parent;
    if (p?.type !== 'assignment' || p.childForFieldName('right')?.startIndex !== call.startIndex) return undefined;
    const left = p.childForFieldName('left');
    if (left?.type === 'identifier') return left.text;
    if (left?.type === 'pattern_list' || left?.type === 'tuple_pattern') {
      const first = left.namedChild(0);
      return first?.type === 'identifier' ? first.text : undefined;
    }
    return undefined;
  }

  /** The branches of `if pid == 0:` / `if not pid:` / `if pid:` / `if pid > 0:` after a fork. */
  private branches(call: SyntaxNode, pid: string | undefined) {
    const child: SyntaxNode[] = [];
    const parentOnly: SyntaxNode[] = [];
    const scope = this.scopeOf(call);
    const isX = (n: SyntaxNode | null): boolean => {
      while (n?.type === 'parenthesized_expression') n = n.namedChild(0);
      if (!n) return false;
      if (pid && n.type === 'identifier' && n.text === pid) return true;
      return n.startIndex === call.startIndex && n.endIndex === call.endIndex;
    };
    const classify = (cond: SyntaxNode | null): 'zero' | 'nonzero' | undefined => {
      while (cond?.type === 'parenthesized_expression') cond = cond.namedChild(0);
      if (!cond) return undefined;
      if (isX(cond)) return 'nonzero';
      if (cond.type === 'not_operator' && isX(cond.childForFieldName('argument'))) return 'zero';
      if (cond.type === 'comparison_operator') {
        const parts = named(cond);
        const op = cond.children.find((c) => !c.isNamed)?.text;
        if (parts.length !== 2) return undefined;
        const [a, b] = isX(parts[0]) ? parts : [parts[1], parts[0]];
        if (!isX(a) || b.text !== '0') return undefined;
        if (op === '==' || op === 'is') return 'zero';
        if (op === '!=' || op === '>' || op === '<') return 'nonzero';
      }
      return undefined;
    };
    walk(scope, (n) => {
      if (n.type !== 'if_statement' || n.startIndex < call.endIndex) return true;
      const t = classify(n.childForFieldName('condition'));
      if (!t) return true;
      const cons = n.childForFieldName('consequence');
      const alts = n.childrenForFieldName('alternative');
      const elseBody = alts.find((a) => a.type === 'else_clause')?.childForFieldName('body') ?? null;
      if (t === 'zero') {
        if (cons) child.push(cons);
        if (elseBody) parentOnly.push(elseBody);
      } else {
        if (cons) parentOnly.push(cons);
        if (elseBody) child.push(elseBody);
      }
      return true;
    });
    return { child, parentOnly };
  }

  private fork(call: SyntaxNode, api: string): SpawnSite {
    const { child } = this.branches(call, this.assignedName(call));
    const execs: SyntaxNode[] = [];
    for (const region of child) {
      for (const c of descendants(region, CALLS)) {
        const name = this.resolve(c.childForFieldName('function')) ?? '';
        if (name.startsWith('os.') && EXEC_FUNCS.has(name.slice(3))) execs.push(c);
      }
    }
    const programs = execs.map((e) => this.program(this.args(e)[0], e));
    const program = new Set(programs.map((p) => p.program)).size === 1 ? programs[0] : { program: null };
    const site = this.site(call, api, program.program, program.source, 'unknown', '');
    if (execs.length) site.fork = { execLines: [...new Set(execs.map(lineOf))] };
    else {
      site.forksSelf = true;
      site.programSource = 'self';
    }
    return site;
  }

  /** The `.start()` of a multiprocessing.Process: chained, or the first on the name it is bound to. */
  private processStart(call: SyntaxNode): SyntaxNode | undefined {
    const parent = call.parent;
    if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.text === 'start' && parent.parent?.type === 'call') return parent.parent;
    const name = this.assignedName(call);
    if (!name) return undefined;
    let start: SyntaxNode | undefined;
    walk(this.scopeOf(call), (n) => {
      if (start) return false;
      if (n.type === 'call' && n.startIndex > call.endIndex) {
        const fn = n.childForFieldName('function');
        if (fn?.type === 'attribute' && fn.childForFieldName('object')?.text === name && fn.childForFieldName('attribute')?.text === 'start') start = n;
      }
      return true;
    });
    return start;
  }

  private exec(call: SyntaxNode, forks: SpawnSite[]): SpawnSite {
    const name = this.resolve(call.childForFieldName('function'))!;
    const p = this.program(this.args(call)[0], call);
    const fork = forks.find((f) => f.fork?.execLines?.includes(lineOf(call)));
    if (fork) {
      const s = this.site(call, name, p.program, p.source, fork.waited, `runs in the child of ${fork.api}() at line ${fork.line}: ${fork.reason}`);
      s.fork = { forkLine: fork.line };
      if (fork.leak) s.leak = fork.leak;
      return s;
    }
    return this.site(call, name, p.program, p.source, 'unknown', `${name}() replaces the calling process; no child is started here`);
  }
}

/** How a call that ends the process reads in a verdict, or undefined. */
function exitWords(name: string): string | undefined {
  if (name === 'sys.exit' || name === 'exit' || name === 'quit') return `${name}()`;
  if (name === 'os._exit' || name === 'os.abort') return `${name}()`;
  if (name.startsWith('os.') && EXEC_FUNCS.has(name.slice(3))) return `${name}(), which replaces the process`;
  return undefined;
}

function splitLast(name: string): [string, string] {
  const i = name.lastIndexOf('.');
  return i < 0 ? ['', name] : [name.slice(0, i), name.slice(i + 1)];
}

export function scanPython(root: SyntaxNode, file: string, text?: string): FileScan {
  return new PythonScanner(root, file, text).scan();
}

/** Module names a Python file imports (for tying a script to the modules it runs). */
export function pythonImports(root: SyntaxNode): string[] {
  const out: string[] = [];
  walk(root, (n) => {
    if (n.type === 'import_statement') {
      for (const c of n.childrenForFieldName('name')) out.push((c.type === 'aliased_import' ? c.childForFieldName('name')?.text : c.text) ?? '');
      return false;
    }
    if (n.type === 'import_from_statement') {
      const mod = n.childForFieldName('module_name')?.text;
      if (mod) out.push(mod);
      return false;
    }
    return true;
  });
  return out.filter(Boolean);
}
