/**
 * Python spawn sites: subprocess.*, os.fork/forkpty, os.posix_spawn[p], os.spawn*, os.system,
 * os.popen, os.exec* and multiprocessing.Process.
 *
 * "Never waited", per the issue: a Popen with no wait()/communicate()/`with` for it; an os.fork
 * whose parent side never calls os.wait*() and that does not ignore SIGCHLD; a Process started and
 * never joined. Python scoping is per function, so the analysis is too: an event anywhere after
 * the call in the same function counts (it is not path-sensitive). A handle that leaves the
 * function (returned, stored on an object, put in a container, passed to code we do not see,
 * captured by a nested function) is `unknown`.
 *
 * CPython detail that matters for the wording: a Popen object that is garbage-collected while its
 * child still runs is queued in subprocess._active and reaped the next time a Popen is created; a
 * Popen that stays referenced is never reaped. multiprocessing reaps finished children only when
 * another Process starts (or at exit).
 */
import type { SyntaxNode } from './parser';
import { ancestor, contains, descendants, firstWord, lineOf, named, rangeOf, unescape, walk } from './syntax';
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
  'subprocess', 'multiprocessing', 'Process', 'system', 'popen', 'fork', 'forkpty', 'posix_spawn', 'posix_spawnp', ...SPAWN_FUNCS, ...EXEC_FUNCS,
]);
const OS_WAITS = new Set(['wait', 'waitpid', 'wait3', 'wait4', 'waitid']);
const EXITS = new Set(['os._exit', 'sys.exit', 'exit', 'os.abort']);
/** Functions that take a pid or Popen and never wait for it. */
const HARMLESS = new Set(['print', 'repr', 'str', 'len', 'id', 'os.kill', 'os.killpg', 'logging.info', 'logging.debug', 'logging.warning', 'logging.error', 'isinstance']);
/** Popen methods that hand nothing over. */
const POPEN_READS = new Set(['pid', 'stdout', 'stderr', 'stdin', 'returncode', 'args', 'send_signal', 'terminate', 'kill', 'poll']);

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

interface Events {
  waits: { line: number; how: string }[];
  escapes: { line: number; why: string }[];
  kills: SyntaxNode[];
}

export class PythonScanner {
  /** local name -> dotted origin: `sp` -> `subprocess`, `Popen` -> `subprocess.Popen`. */
  private readonly names = new Map<string, string>();
  private readonly constants = new Map<string, SyntaxNode>();
  private readonly functions = new Map<string, SyntaxNode>();
  private sigchldIgnored?: number;
  private reapingHandler?: { name: string; line: number };
  private anyChildWaits: { scope: SyntaxNode; line: number; text: string }[] = [];

  constructor(
    private readonly root: SyntaxNode,
    private readonly file: string,
  ) {
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
    if (fn.type === 'identifier') return this.names.get(fn.text) ?? (fn.text === 'exit' || fn.text === 'print' ? fn.text : undefined);
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
    for (const def of descendants(this.root, new Set(['function_definition']))) {
      const name = def.childForFieldName('name')?.text;
      if (name) this.functions.set(name, def);
    }
    for (const call of descendants(this.root, CALLS)) {
      const name = this.resolve(call.childForFieldName('function'));
      const args = this.args(call);
      if (name === 'signal.signal' && this.resolve(args[0]) === 'signal.SIGCHLD') {
        const h = args[1];
        const hName = this.resolve(h);
        if (hName === 'signal.SIG_IGN') this.sigchldIgnored ??= lineOf(call);
        else if (h?.type === 'identifier' && this.functions.has(h.text)) {
          const reaps = descendants(this.functions.get(h.text)!, CALLS).some((c) => OS_WAITS.has((this.resolve(c.childForFieldName('function')) ?? '').replace(/^os\./, '')));
          if (reaps) this.reapingHandler ??= { name: h.text, line: lineOf(call) };
        }
      } else if (name && /^os\.wait/.test(name)) {
        const first = args[0];
        const any = name === 'os.wait' || name === 'os.wait3' || (first && (first.text === '-1' || first.text === '0'));
        if (any) this.anyChildWaits.push({ scope: this.scopeOf(call), line: lineOf(call), text: call.text });
      }
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
    const forks: SpawnSite[] = [];
    const execs: SyntaxNode[] = [];
    for (const call of descendants(this.root, CALLS)) {
      const name = this.resolve(call.childForFieldName('function'));
      if (!name) continue;
      const [mod, fn] = splitLast(name);
      if (mod === 'subprocess' && fn === 'Popen') sites.push(this.popen(call, 'subprocess.Popen'));
      else if (mod === 'subprocess' && WAITING_SUBPROCESS.has(fn)) {
        const p = this.commandProgram(call);
        sites.push(this.site(call, name, p.program, p.source, 'yes', `subprocess.${fn}() waits for the child`));
      } else if (name === 'os.system') {
        const p = this.commandProgram(call, true);
        sites.push(this.site(call, name, p.program, p.source, 'yes', 'os.system() waits for the shell it starts'));
      } else if (name === 'os.popen') sites.push(this.popen(call, 'os.popen'));
      else if (name === 'os.fork' || name === 'os.forkpty') {
        const site = this.fork(call, name);
        sites.push(site);
        forks.push(site);
      } else if (name === 'os.posix_spawn' || name === 'os.posix_spawnp') {
        const p = this.program(this.args(call)[0], call);
        const v = this.pidVerdict(call, this.assignedName(call), [], [], name);
        sites.push(this.withLeak(this.site(call, name, p.program, p.source, v.waited, v.reason), v));
      } else if (mod === 'os' && SPAWN_FUNCS.has(fn)) sites.push(this.spawnFamily(call, name));
      else if (mod === 'os' && EXEC_FUNCS.has(fn)) execs.push(call);
      else if (name === 'multiprocessing.Process') {
        const site = this.mpProcess(call);
        if (site) sites.push(site);
      }
    }
    for (const call of execs) sites.push(this.exec(call, forks));
    sites.sort((a, b) => a.line - b.line || a.column - b.column);
    const findings: SiteFinding[] = [];
    for (const site of sites) {
      if (site.waited !== 'no') continue;
      const code: FindingCode = site.api.endsWith('Popen') || site.api === 'os.popen' ? 'python-popen-without-wait' : site.api.startsWith('multiprocessing') ? 'python-process-without-join' : 'python-fork-without-wait';
      findings.push({ code, file: this.file, range: site.range, severity: 'warning', message: `${site.api}: ${site.reason}.`, site });
    }
    return { sites, findings };
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

  private withLeak(site: SpawnSite, v: { waited: Waited }): SpawnSite {
    if (v.waited === 'no') site.leak = 'always';
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
  // Popen and os.popen.

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

  private popen(call: SyntaxNode, api: string): SpawnSite {
    const p = this.commandProgram(call, api === 'os.popen');
    const site = (waited: Waited, reason: string) => {
      const s = this.site(call, api, p.program, p.source, waited, reason);
      if (waited === 'no') s.leak = 'always';
      return s;
    };
    const parent = call.parent;
    // `with subprocess.Popen(...) as p:` — __exit__ waits.
    if (parent?.type === 'with_item' || (parent?.type === 'as_pattern' && parent.parent?.type === 'with_item')) return site('yes', `the with block waits for it when it ends (line ${lineOf(call)})`);
    // `Popen(...).wait()` / `.communicate()`
    if (parent?.type === 'attribute' && parent.parent?.type === 'call') {
      const m = parent.childForFieldName('attribute')?.text;
      if (m === 'wait' || m === 'communicate' || (api === 'os.popen' && m === 'close')) return site('yes', `${m}() is called on it at line ${lineOf(call)}`);
      if (api === 'os.popen') return site('unknown', `the pipe object is dropped after ${m}(); closing it (explicitly or when collected) waits for the shell`);
    }
    if (this.sigchldIgnored !== undefined) return site('yes', `SIGCHLD is ignored at line ${this.sigchldIgnored}, so the kernel reaps every child`);
    if (parent?.type === 'expression_statement') {
      return site('no', api === 'os.popen' ? 'never waited: the pipe is dropped unclosed' : 'never waited: the Popen object is dropped at once, so nothing waits for the child (CPython reaps it only if it has already exited or when a later Popen is created)');
    }
    const name = this.assignedName(call);
    if (!name) {
      if (parent?.type === 'assignment') return site('unknown', `stored in ${parent.childForFieldName('left')?.text}`);
      if (parent?.type === 'return_statement') return site('unknown', `returned to the caller at line ${lineOf(parent)}, which may wait for it`);
      if (parent?.type === 'argument_list' && parent.parent?.type === 'call') {
        return site('unknown', `passed to ${parent.parent.childForFieldName('function')?.text ?? 'a call'}() at line ${lineOf(parent)}, which may keep or wait for it`);
      }
      return site('unknown', `the ${api === 'os.popen' ? 'pipe' : 'Popen'} object is handed on (${parent?.type ?? 'expression'})`);
    }
    const ev = this.events(call, name, api === 'os.popen' ? new Set(['close']) : new Set(['wait', 'communicate']));
    if (ev.waits.length) return site('yes', `${ev.waits[0].how} at line ${ev.waits[0].line}`);
    if (ev.escapes.length) return site('unknown', `${name} escapes: ${ev.escapes[0].why} (line ${ev.escapes[0].line})`);
    if (api === 'os.popen') return site('no', `never waited: ${name}.close() is never called`);
    let reason = `never waited: no ${name}.wait(), ${name}.communicate() or with block; while ${name} is referenced the child stays a zombie after it exits`;
    if (ev.kills.length) reason += `; ${ev.kills[0].text} at line ${lineOf(ev.kills[0])} does not reap it`;
    return site('no', reason);
  }

  /**
   * What happens to the object bound to `name` after `call`, in the same function and before the
   * name is rebound: waits (one of `waitMethods`, `with name:`, poll() in a loop), escapes, kills.
   */
  private events(call: SyntaxNode, name: string, waitMethods: Set<string>): Events {
    const scope = this.scopeOf(call);
    const ev: Events = { waits: [], escapes: [], kills: [] };
    const assign = call.parent!;
    let rebound = Infinity;
    walk(scope, (n) => {
      if (n.startIndex > assign.endIndex && n.type === 'assignment' && n.childForFieldName('left')?.text === name && n.startIndex < rebound) rebound = n.startIndex;
      return true;
    });
    walk(scope, (n) => {
      if (n.startIndex <= assign.endIndex) return contains(n, assign) || n.endIndex > assign.endIndex;
      if (n.startIndex >= rebound) return false;
      if (n !== scope && SCOPES.has(n.type)) {
        // A nested function or lambda that mentions the name holds on to the object.
        if (descendants(n, new Set(['identifier'])).some((i) => i.text === name)) ev.escapes.push({ line: lineOf(n), why: `captured by a nested function at line ${lineOf(n)}` });
        return false;
      }
      if (n.type === 'global_statement' && n.text.includes(name)) ev.escapes.push({ line: lineOf(n), why: `${name} is global` });
      if (n.type !== 'identifier' || n.text !== name) return true;
      const p = n.parent;
      if (!p) return true;
      if (p.type === 'attribute' && p.childForFieldName('object')?.equals(n)) {
        const attr = p.childForFieldName('attribute')?.text ?? '';
        const isCall = p.parent?.type === 'call' && p.parent.childForFieldName('function')?.equals(p);
        if (isCall && waitMethods.has(attr)) ev.waits.push({ line: lineOf(p), how: `${name}.${attr}()` });
        else if (isCall && attr === 'poll' && ancestor(p, new Set(['while_statement']))) ev.waits.push({ line: lineOf(p), how: `${name}.poll() in a loop` });
        else if (isCall && (attr === 'kill' || attr === 'terminate' || attr === 'send_signal')) ev.kills.push(p.parent!);
        else if (!POPEN_READS.has(attr) && isCall && attr === 'join') ev.waits.push({ line: lineOf(p), how: `${name}.join()` });
        return true;
      }
      if (p.type === 'with_item' || (p.type === 'as_pattern' && p.parent?.type === 'with_item')) {
        ev.waits.push({ line: lineOf(p), how: `with ${name}:` });
        return true;
      }
      if (p.type === 'comparison_operator' || p.type === 'not_operator' || p.type === 'boolean_operator') return true;
      if (p.type === 'assignment' && p.childForFieldName('left')?.equals(n)) return true;
      if (p.type === 'return_statement' || p.type === 'yield') ev.escapes.push({ line: lineOf(p), why: 'returned' });
      else if (p.type === 'argument_list') {
        const callNode = p.parent!;
        const callee = this.resolve(callNode.childForFieldName('function')) ?? callNode.childForFieldName('function')?.text ?? '';
        if (HARMLESS.has(callee)) return true;
        const local = this.functions.get(callee);
        const index = this.args(callNode).findIndex((a) => a.equals(n));
        const verdict = local ? this.paramVerdict(local, index, waitMethods) : 'unknown';
        if (verdict === 'waits') ev.waits.push({ line: lineOf(p), how: `handed to ${callee}(), which waits for it` });
        else if (verdict === 'unknown') ev.escapes.push({ line: lineOf(p), why: `passed to ${callee}()` });
      } else ev.escapes.push({ line: lineOf(n), why: `stored or passed on (${p.type})` });
      return true;
    });
    return ev;
  }

  /** Does a function of this file wait on its parameter `index`? One level deep, like the caller's own analysis. */
  private paramVerdict(fn: SyntaxNode, index: number, waitMethods: Set<string>): 'waits' | 'never' | 'unknown' {
    const params = fn.childForFieldName('parameters');
    const names = params ? named(params).map((p) => (p.type === 'identifier' ? p.text : p.childForFieldName('name')?.text ?? p.namedChild(0)?.text)) : [];
    if (names[0] === 'self' || names[0] === 'cls') names.shift();
    const param = names[index];
    if (!param) return 'unknown';
    let waits = false;
    let escapes = false;
    walk(fn, (n) => {
      if (n.type !== 'identifier' || n.text !== param || n.parent?.type === 'parameters') return true;
      const p = n.parent!;
      if (p.type === 'attribute') {
        const attr = p.childForFieldName('attribute')?.text ?? '';
        if (waitMethods.has(attr) || attr === 'join') waits = true;
        return true;
      }
      if (p.type === 'with_item' || p.type === 'as_pattern') waits = true;
      else if (p.type !== 'comparison_operator' && !(p.type === 'argument_list' && HARMLESS.has(this.resolve(p.parent!.childForFieldName('function')) ?? ''))) escapes = true;
      return true;
    });
    return waits ? 'waits' : escapes ? 'unknown' : 'never';
  }

  // -------------------------------------------------------------------------------------------
  // fork and pids.

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
    const pid = this.assignedName(call);
    const { child, parentOnly } = this.branches(call, pid);
    const execs: SyntaxNode[] = [];
    for (const region of child) {
      for (const c of descendants(region, CALLS)) {
        const name = this.resolve(c.childForFieldName('function')) ?? '';
        if (name.startsWith('os.') && EXEC_FUNCS.has(name.slice(3))) execs.push(c);
      }
    }
    const programs = execs.map((e) => this.program(this.args(e)[0], e));
    const program = new Set(programs.map((p) => p.program)).size === 1 ? programs[0] : { program: null };
    const v = this.pidVerdict(call, pid, child, parentOnly, api);
    const site = this.withLeak(this.site(call, api, program.program, program.source, v.waited, v.reason), v);
    if (execs.length) site.fork = { execLines: [...new Set(execs.map(lineOf))] };
    else {
      site.forksSelf = true;
      site.programSource = 'self';
    }
    return site;
  }

  /** Whether the parent reaps a pid-returning spawn: same order of checks as for C. */
  private pidVerdict(call: SyntaxNode, pid: string | undefined, child: SyntaxNode[], parentOnly: SyntaxNode[], api: string): { waited: Waited; reason: string } {
    if (this.sigchldIgnored !== undefined) return { waited: 'yes', reason: `SIGCHLD is ignored at line ${this.sigchldIgnored}, so the kernel reaps every child` };
    if (this.reapingHandler) return { waited: 'yes', reason: `the SIGCHLD handler ${this.reapingHandler.name}() (installed at line ${this.reapingHandler.line}) waits for children` };
    for (const region of parentOnly) {
      const exit = descendants(region, CALLS).find((c) => EXITS.has(this.resolve(c.childForFieldName('function')) ?? c.childForFieldName('function')?.text ?? ''));
      if (exit) return { waited: 'yes', reason: `the parent exits at line ${lineOf(exit)}; init adopts and reaps the child` };
    }
    const scope = this.scopeOf(call);
    const inChild = (n: SyntaxNode) => child.some((c) => contains(c, n));
    let escape: string | undefined;
    for (const c of descendants(scope, CALLS)) {
      if (c.startIndex < call.endIndex || inChild(c)) continue;
      const name = this.resolve(c.childForFieldName('function')) ?? c.childForFieldName('function')?.text ?? '';
      const a = this.args(c);
      if (name.startsWith('os.') && OS_WAITS.has(name.slice(3))) {
        const first = a[0];
        if (name === 'os.wait' || name === 'os.wait3' || !first || first.text === '-1' || first.text === '0' || (pid && first.text === pid)) {
          return { waited: 'yes', reason: `${c.text} at line ${lineOf(c)}` };
        }
      }
      if (pid && a.some((x) => x.type === 'identifier' && x.text === pid) && !HARMLESS.has(name)) {
        const local = this.functions.get(name);
        if (local && descendants(local, CALLS).some((x) => /^os\.wait/.test(this.resolve(x.childForFieldName('function')) ?? ''))) {
          return { waited: 'yes', reason: `handed to ${name}(), which waits (line ${lineOf(c)})` };
        }
        if (!local) escape ??= `the pid is passed to ${name}() at line ${lineOf(c)}`;
      }
    }
    if (pid) {
      walk(scope, (n) => {
        if (escape) return false;
        if (n.startIndex < call.endIndex || inChild(n)) return true;
        if ((n.type === 'return_statement' || n.type === 'yield') && descendants(n, new Set(['identifier'])).some((i) => i.text === pid)) escape = `the pid is returned at line ${lineOf(n)}`;
        if (n.type === 'assignment' && n.childForFieldName('right')?.text === pid && n.childForFieldName('left')?.type !== 'identifier') escape = `the pid is stored in ${n.childForFieldName('left')?.text} at line ${lineOf(n)}`;
        return true;
      });
    } else if (call.parent?.type === 'assignment' || call.parent?.type === 'return_statement') {
      escape = `the pid is stored or returned at line ${lineOf(call)}`;
    }
    if (escape) return { waited: 'unknown', reason: escape };
    const elsewhere = this.anyChildWaits.find((w) => w.scope !== scope);
    if (elsewhere) return { waited: 'unknown', reason: `${elsewhere.text} at line ${elsewhere.line} may reap it` };
    return { waited: 'no', reason: `never waited: no os.wait*() on the parent side of ${api}() and SIGCHLD is not ignored` };
  }

  private spawnFamily(call: SyntaxNode, api: string): SpawnSite {
    const a = this.args(call);
    const mode = this.resolve(a[0]) ?? a[0]?.text;
    const p = this.program(a[1], call);
    if (mode === 'os.P_WAIT') return this.site(call, api, p.program, p.source, 'yes', 'P_WAIT: waits for the child');
    if (mode === 'os.P_NOWAIT' || mode === 'os.P_NOWAITO') {
      const v = this.pidVerdict(call, this.assignedName(call), [], [], api);
      return this.withLeak(this.site(call, api, p.program, p.source, v.waited, `${mode.slice(3)}: ${v.reason}`), v);
    }
    return this.site(call, api, p.program, p.source, 'unknown', 'the spawn mode is not a constant');
  }

  private mpProcess(call: SyntaxNode): SpawnSite | undefined {
    // The child starts at .start(); that call is the site, chained or through a variable.
    const parent = call.parent;
    if (parent?.type === 'attribute' && parent.childForFieldName('attribute')?.text === 'start' && parent.parent?.type === 'call') {
      const s = this.site(parent.parent, 'multiprocessing.Process.start', null, 'self', 'no', 'never joined: the Process object is dropped at once; multiprocessing reaps a finished child only when another Process starts');
      s.leak = 'always';
      return s;
    }
    const name = this.assignedName(call);
    if (!name) return undefined;
    const scope = this.scopeOf(call);
    let start: SyntaxNode | undefined;
    walk(scope, (n) => {
      if (start) return false;
      if (n.type === 'call' && n.startIndex > call.endIndex) {
        const fn = n.childForFieldName('function');
        if (fn?.type === 'attribute' && fn.childForFieldName('object')?.text === name && fn.childForFieldName('attribute')?.text === 'start') start = n;
      }
      return true;
    });
    if (!start) return undefined;
    const ev = this.events(call, name, new Set(['join']));
    const waited: Waited = ev.waits.length ? 'yes' : ev.escapes.length ? 'unknown' : 'no';
    const reason = ev.waits.length
      ? `${ev.waits[0].how} at line ${ev.waits[0].line}`
      : ev.escapes.length
        ? `${name} escapes: ${ev.escapes[0].why} (line ${ev.escapes[0].line})`
        : `never joined: no ${name}.join(); multiprocessing reaps a finished child only when another Process starts or the program exits`;
    const s = this.site(start, 'multiprocessing.Process.start', null, 'self', waited, reason);
    if (waited === 'no') s.leak = 'always';
    return s;
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

function splitLast(name: string): [string, string] {
  const i = name.lastIndexOf('.');
  return i < 0 ? ['', name] : [name.slice(0, i), name.slice(i + 1)];
}

export function scanPython(root: SyntaxNode, file: string): FileScan {
  return new PythonScanner(root, file).scan();
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
