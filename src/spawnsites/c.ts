/**
 * C and C++ spawn sites: fork, vfork, forkpty, fdforkpty, posix_spawn[p], popen, system and the
 * exec* family. This file holds what the C library means (which call starts a child, which waits,
 * which ends the process, how SIGCHLD is set); lower/c.ts turns each function into the engine's
 * IR and the engine (engine/verdict.ts) decides, path by path, whether each child is waited for.
 *
 * File-wide facts come first: SIGCHLD ignored (SIG_IGN, SA_NOCLDWAIT) or handled by a handler that
 * reaps any child, installed with signal/sigaction or through the project's own wrapper
 * (`xsignal(SIGCHLD, reaper)`): then the kernel or the handler reaps every child. A branch of
 * `#ifdef _WIN32` (or any `#if` no unix target compiles) has no zombies.
 *
 * The exec in a fork's child names the child (the kernel sets comm from the file it executes),
 * which is what links a zombie's name to its fork; the exec's own site follows its fork's verdict
 * and is never a finding of its own.
 */
import { analyze, relatedOf, type Verdict } from './engine/verdict';
import type { FunctionIR, ProgramIR, SiteIR } from './engine/ir';
import { type CallModel, declaredName, FunctionLowering, type LowerNotes, type ResultKind } from './lower/c';
import type { SyntaxNode } from './parser';
import { cNeverBuildsWithZombies } from './platform';
import { ancestor, descendants, firstWord, lineOf, named, rangeOf, unescape, walk } from './syntax';
import type { FileScan, ProgramSource, SiteFinding, SiteLanguage, SpawnSite, Waited } from './types';

/** Calls that start a child: how their result reads, and where a pid is written. */
const SPAWNERS: Record<string, { result: ResultKind; pidArg?: number; fork?: boolean }> = {
  fork: { result: 'pid', fork: true },
  vfork: { result: 'pid', fork: true },
  forkpty: { result: 'pid', fork: true },
  fdforkpty: { result: 'pid', fork: true },
  posix_spawn: { result: 'errcode', pidArg: 0 },
  posix_spawnp: { result: 'errcode', pidArg: 0 },
  popen: { result: 'ptr' },
};
const FORKS = new Set(Object.keys(SPAWNERS).filter((k) => SPAWNERS[k].fork));
/** exec* functions and the index of the argument naming the program. */
const EXECS: Record<string, number> = {
  execl: 0, execlp: 0, execle: 0, execv: 0, execvp: 0, execvpe: 0, execve: 0, execvP: 0, fexecve: -1,
};
/** Every function name whose call is a site: a file without one of them as an identifier has none (the index's pre-filter). */
export const C_SITE_FUNCTIONS: ReadonlySet<string> = new Set([...Object.keys(SPAWNERS), 'system', ...Object.keys(EXECS).filter((e) => EXECS[e] >= 0)]);
const WAITS = new Set(['wait', 'waitpid', 'wait3', 'wait4', 'waitid']);
/** Calls that end the process (the C library's own noreturn functions). */
const EXITS = new Set(['exit', '_exit', '_Exit', 'abort', 'quick_exit', 'err', 'errx', 'verr', 'verrx', '__builtin_trap']);
/** Calls that keep the program waiting a while: children lost before them stay zombies meanwhile. */
const BLOCKS = new Set(['sleep', 'usleep', 'nanosleep', 'clock_nanosleep', 'pause', 'sigsuspend', 'sigwait', 'sigwaitinfo', 'sigtimedwait']);
/** Calls that take a pid or a FILE* and keep nothing of it (none waits). */
const HARMLESS = new Set([
  'printf', 'fprintf', 'dprintf', 'sprintf', 'snprintf', 'syslog', 'perror', 'killpg', 'setpgid', 'getpgid', 'tcsetpgrp', 'warn', 'warnx',
  'fgets', 'fgetc', 'getc', 'fread', 'fwrite', 'fputs', 'fputc', 'putc', 'fscanf', 'getline', 'getdelim', 'fileno',
  'fflush', 'feof', 'ferror', 'clearerr', 'setvbuf', 'setbuf', 'assert', 'fclose', 'sleep', 'usleep', 'close', 'strerror',
  'system', 'signal', 'sigaction', 'sigemptyset', 'sigaddset', 'sigprocmask', 'memset',
]);
/** Calls that mention SIGCHLD without setting its disposition. */
const SIGNAL_MASKS = new Set(['sigaddset', 'sigdelset', 'sigismember', 'sigprocmask', 'pthread_sigmask', 'kill', 'killpg', 'raise', 'sigwait', 'sigwaitinfo', 'sigtimedwait', 'signalfd', 'sigsuspend']);

const FUNCTION_TYPES = new Set(['function_definition']);
const CALLS = new Set(['call_expression']);

interface FileFacts {
  /** Where SIGCHLD is set to SIG_IGN (or SA_NOCLDWAIT): the kernel reaps every child. */
  sigchldIgnored?: number;
  /** A SIGCHLD handler defined in this file that reaps any child. */
  reapingHandler?: { name: string; line: number };
  /** A SIGCHLD handler we cannot see reap. */
  otherHandler?: { name: string; line: number };
  /** wait()/waitpid(-1, ...)-style calls that reap any child, with their function. */
  anyChildWaits: { fn: SyntaxNode | null; line: number; text: string }[];
  /** Function definitions by name (several under #if alternatives). */
  functions: Map<string, SyntaxNode[]>;
  constants: Map<string, string>;
  /** File-level variables: name -> visible to other files (not static). */
  globals: Map<string, boolean>;
  /** Functions this file declares noreturn. */
  noreturn: Set<string>;
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

const isStatic = (n: SyntaxNode) => named(n).some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
const oneLine = (n: SyntaxNode) => n.text.replace(/\s+/g, ' ');

/** `waitpid(-1, ...)`, `wait(&st)`, `waitid(P_ALL, ...)`: a wait that reaps whichever child has exited. */
function waitsForAny(name: string, a: SyntaxNode[]): boolean {
  if (name === 'wait' || name === 'wait3') return true;
  const first = a[0]?.text.replace(/[\s()]/g, '') ?? '';
  if (name === 'waitpid' || name === 'wait4') return first === '-1' || first === '0' || first.startsWith('-') || first === 'WAIT_ANY' || first === 'WAIT_MYPGRP';
  if (name === 'waitid') return first !== 'P_PID' && first !== 'P_PIDFD';
  return false;
}

/** How deep the lowering follows calls of this file from a function with a site. */
const CALL_DEPTH = 3;

export class CScanner {
  private readonly facts: FileFacts;
  private readonly calls: SyntaxNode[];
  /** Spawn-site ids by their call's start index. */
  private readonly siteIds = new Map<number, number>();
  private readonly keys = new Map<SyntaxNode['id'], string>();

  constructor(
    private readonly root: SyntaxNode,
    private readonly file: string,
    private readonly language: SiteLanguage,
  ) {
    this.calls = descendants(root, CALLS);
    this.facts = this.readFacts();
  }

  private readFacts(): FileFacts {
    const facts: FileFacts = { anyChildWaits: [], functions: new Map(), constants: new Map(), globals: new Map(), noreturn: new Set() };
    for (const top of named(this.root)) this.readTop(top, facts);
    const mentionsSigchld = this.root.text.includes('SIGCHLD');
    for (const def of descendants(this.root, FUNCTION_TYPES)) {
      const name = functionNameOf(def);
      if (!name) continue;
      const defs = facts.functions.get(name) ?? [];
      defs.push(def);
      facts.functions.set(name, defs);
      this.keys.set(def.id, defs.length === 1 ? name : `${name}#${defs.length}`);
    }
    for (const call of this.calls) {
      const name = this.nameOf(call);
      if (!name) continue;
      if (!WAITS.has(name) && !mentionsSigchld) continue;
      const a = args(call);
      if (WAITS.has(name)) {
        if (waitsForAny(name, a)) facts.anyChildWaits.push({ fn: ancestor(call, FUNCTION_TYPES), line: lineOf(call), text: oneLine(call) });
        continue;
      }
      if (SIGNAL_MASKS.has(name) || !a.some((x) => x.text === 'SIGCHLD')) continue;
      if (name === 'sigaction') {
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
        continue;
      }
      // signal(SIGCHLD, h), or the project's own wrapper around signal/sigaction: xsignal(SIGCHLD, h).
      const others = a.filter((x) => x.text !== 'SIGCHLD').map((x) => x.text.replace(/^&/, '').replace(/^\(\w+\)\s*/, '').trim());
      if (others.includes('SIG_IGN')) facts.sigchldIgnored ??= lineOf(call);
      else {
        const h = others.find((x) => facts.functions.has(x)) ?? (name === 'signal' ? others.find((x) => /^\w+$/.test(x) && x !== 'SIG_DFL') : undefined);
        if (h) this.noteHandler(facts, h, lineOf(call));
      }
    }
    return facts;
  }

  private readTop(top: SyntaxNode, facts: FileFacts): void {
    if (top.type === 'preproc_def') {
      // `#define WORKER "/usr/libexec/worker"`: the value is one preprocessor token run.
      const name = top.childForFieldName('name')?.text;
      const value = top.childForFieldName('value')?.text.trim();
      if (name && value && /^"([^"\\]|\\.)*"$/.test(value)) facts.constants.set(name, unescape(value.slice(1, -1)));
    } else if (top.type === 'declaration') {
      const text = top.text;
      const noreturn = /noreturn|_Noreturn/.test(text);
      const extern = named(top).some((c) => c.type === 'storage_class_specifier' && c.text === 'extern');
      for (const d of named(top)) {
        if (d.type === 'function_declarator' || (d.type === 'pointer_declarator' && d.text.includes('('))) {
          if (noreturn) {
            const id = declaredName(d.childForFieldName('declarator'));
            if (id) facts.noreturn.add(id.text);
          }
          continue;
        }
        if (d.type !== 'init_declarator' && d.type !== 'identifier' && d.type !== 'pointer_declarator' && d.type !== 'array_declarator') continue;
        const id = declaredName(d.type === 'init_declarator' ? d.childForFieldName('declarator') : d);
        if (!id) continue;
        facts.globals.set(id.text, extern || !isStatic(top));
        const value = d.type === 'init_declarator' ? cString(d.childForFieldName('value')) : undefined;
        if (value !== undefined) facts.constants.set(id.text, value);
      }
    } else if (/^preproc_(if|ifdef|else|elif|elifdef)$/.test(top.type) || top.type === 'linkage_specification' || top.type === 'declaration_list' || top.type === 'namespace_definition') {
      for (const c of named(top)) this.readTop(c, facts);
    }
  }

  /** Does this function (or one it calls, a few levels down) wait for any child? */
  private reapsAny(facts: FileFacts, def: SyntaxNode, depth = 0, seen = new Set<number>()): boolean {
    if (seen.has(def.id)) return false;
    seen.add(def.id);
    for (const c of descendants(def, CALLS)) {
      const name = calleeName(c) ?? '';
      if (WAITS.has(name) && waitsForAny(name, args(c))) return true;
      if (depth < CALL_DEPTH) for (const d of facts.functions.get(name) ?? []) if (this.reapsAny(facts, d, depth + 1, seen)) return true;
    }
    return false;
  }

  private noteHandler(facts: FileFacts, name: string, line: number): void {
    const defs = facts.functions.get(name);
    if (defs?.some((d) => this.reapsAny(facts, d))) facts.reapingHandler ??= { name, line };
    else facts.otherHandler ??= { name, line };
  }

  private readonly names = new Map<number, string | undefined>();

  /** calleeName, once per call node (the lowering asks again for conditions and branch ends). */
  private nameOf(call: SyntaxNode): string | undefined {
    if (this.names.has(call.id)) return this.names.get(call.id);
    const n = calleeName(call);
    this.names.set(call.id, n);
    return n;
  }

  private model(call: SyntaxNode, name: string | undefined): CallModel {
    const site = this.siteIds.get(call.startIndex);
    if (site !== undefined && name) {
      const s = SPAWNERS[name];
      return { k: 'spawn', site, result: s.result, pidArg: s.pidArg };
    }
    if (!name) return { k: 'unknown' };
    const defs = this.facts.functions.get(name);
    if (defs) return { k: 'local', key: this.keys.get(defs[0].id)! };
    if (WAITS.has(name)) {
      const a = args(call);
      if (waitsForAny(name, a)) return { k: 'waitAny' };
      return { k: 'wait', arg: name === 'waitid' ? 1 : 0 };
    }
    if (name === 'pclose') return { k: 'wait', arg: 0 };
    if (name === 'kill') return { k: 'kill', arg: 0 };
    if (EXITS.has(name) || this.facts.noreturn.has(name)) return { k: 'exit' };
    if (name in EXECS) return { k: 'exec' };
    if (BLOCKS.has(name)) return { k: 'block' };
    if (HARMLESS.has(name)) return { k: 'harmless' };
    return { k: 'unknown' };
  }

  scan(): FileScan {
    const sites: SpawnSite[] = [];
    const findings: SiteFinding[] = [];
    const engineSites: { call: SyntaxNode; name: string; ir: SiteIR }[] = [];
    const execCalls: SyntaxNode[] = [];
    const systemCalls: SyntaxNode[] = [];
    for (const call of this.calls) {
      const name = this.nameOf(call);
      if (!name || this.facts.functions.has(name)) continue;
      if (name in SPAWNERS) {
        const ir: SiteIR = { id: engineSites.length, at: rangeOf(call), words: `${name}()` };
        this.siteIds.set(call.startIndex, ir.id);
        engineSites.push({ call, name, ir });
      } else if (name === 'system') systemCalls.push(call);
      else if (name in EXECS && EXECS[name] >= 0) execCalls.push(call);
    }
    const { program, notes } = this.lowerProgram(engineSites.map((s) => s.call));
    const analysis = engineSites.length ? analyze(program) : undefined;

    const forkSites = new Map<number, SpawnSite>();
    for (const s of engineSites) {
      const site = this.engineSite(s.call, s.name, s.ir.id, analysis!.verdicts.get(s.ir.id)!, notes);
      sites.push(site);
      if (FORKS.has(s.name)) forkSites.set(s.ir.id, site);
      if (site.waited !== 'no') continue;
      const v = analysis!.verdicts.get(s.ir.id)!;
      const code = s.name === 'popen' ? 'c-popen-without-pclose' : FORKS.has(s.name) ? 'c-fork-without-wait' : 'c-spawn-without-wait';
      const finding: SiteFinding = {
        code,
        file: this.file,
        range: site.range,
        severity: 'warning',
        message: `${v.reason}; when it exits it stays a zombie (<defunct>)`,
        site,
      };
      const related = relatedOf(v, site.range);
      if (related.length) finding.related = related;
      findings.push(finding);
    }
    for (const call of systemCalls) {
      const cmd = this.program(args(call)[0], call);
      sites.push(this.guarded(call, this.site(call, 'system', cmd.program ? firstWord(cmd.program) : null, cmd.source, 'yes', 'system() waits for the shell it starts', { shell: true })));
    }
    const execOwner = new Map<number, number>();
    for (const [start, site] of notes.execIn) execOwner.set(start, site);
    for (const [site, fns] of notes.childCalls) {
      for (const fn of fns) {
        const def = this.defOfKey(fn);
        if (!def) continue;
        for (const c of descendants(def, CALLS)) if ((calleeName(c) ?? '') in EXECS && !execOwner.has(c.startIndex)) execOwner.set(c.startIndex, site);
      }
    }
    for (const call of execCalls) sites.push(this.exec(call, forkSites.get(execOwner.get(call.startIndex) ?? -1)));
    sites.sort((a, b) => a.line - b.line || a.column - b.column);
    findings.sort((a, b) => a.range.startLine - b.range.startLine || a.range.startColumn - b.range.startColumn);
    const main = mainsOf(this.root);
    const reaper = main.any ? this.processWideReaper() : undefined;
    return { sites, findings: findings.filter((f) => f.site.waited === 'no'), ...(reaper ? { reaper } : {}), ...(main.plain ? { hasMain: true } : {}) };
  }

  /** In a file that defines main(): what makes the program reap every child, for the other files of the program. */
  private processWideReaper(): FileScan['reaper'] {
    const f = this.facts;
    if (f.sigchldIgnored !== undefined) return { line: f.sigchldIgnored, words: 'SIGCHLD is ignored' };
    if (f.reapingHandler) return { line: f.reapingHandler.line, words: `the SIGCHLD handler ${f.reapingHandler.name}() waits for any child` };
    // libev's default loop watches SIGCHLD and reaps every child (waitpid(-1, WNOHANG)).
    const ev = descendants(this.root, new Set(['identifier', 'call_expression'])).find((n) => (n.type === 'identifier' ? n.text === 'EV_DEFAULT' : calleeName(n) === 'ev_default_loop'));
    if (ev) return { line: ev.startPosition.row + 1, words: "libev's default loop, whose SIGCHLD watcher reaps every child, is made" };
    return undefined;
  }

  private defOfKey(key: string): SyntaxNode | undefined {
    const name = key.replace(/#\d+$/, '');
    return this.facts.functions.get(name)?.find((d) => this.keys.get(d.id) === key);
  }

  /**
   * Lowers the functions with a site, the functions that touch the variables those sites store
   * into, and the functions they call (a few levels down); the rest of the file is not needed.
   */
  private lowerProgram(siteCalls: SyntaxNode[]): { program: ProgramIR; notes: LowerNotes } {
    const notes: LowerNotes = { execIn: new Map(), childCalls: new Map(), childSeen: new Set(), cells: new Map(), callees: new Set() };
    const functions: FunctionIR[] = [];
    const done = new Set<number>();
    const env = { model: (c: SyntaxNode, n: string | undefined) => this.model(c, n), calleeName: (c: SyntaxNode) => this.nameOf(c), globals: this.facts.globals };
    const lowerDef = (def: SyntaxNode) => {
      if (done.has(def.id)) return;
      done.add(def.id);
      const name = functionNameOf(def) ?? '?';
      const key = this.keys.get(def.id) ?? name;
      const exported = this.language === 'cpp' || !isStatic(def);
      functions.push(new FunctionLowering(env, notes, name).lower(def, key, exported));
    };
    for (const c of siteCalls) {
      const def = ancestor(c, FUNCTION_TYPES);
      if (def) lowerDef(def);
    }
    // Functions that read or write a cell a site may store into.
    // (File-level variables only: a struct field is visible to other files anyway, and a field
    // name such as `pid` is in half the functions of a file.)
    const cellNames = [...notes.cells.keys()].filter((c) => !c.includes(':') && !c.startsWith('@.')).map((c) => c.slice(1));
    if (cellNames.length) {
      const re = new RegExp(`\\b(${cellNames.map((n) => n.replace(/[^\w]/g, '')).join('|')})\\b`);
      const text = this.root.text;
      for (const defs of this.facts.functions.values()) {
        for (const def of defs) {
          if (!done.has(def.id) && re.test(text.slice(def.startIndex, def.endIndex))) lowerDef(def);
        }
      }
    }
    for (let depth = 0; depth < CALL_DEPTH && notes.callees.size; depth++) {
      const callees = [...notes.callees];
      notes.callees.clear();
      for (const key of callees) {
        const def = this.defOfKey(key);
        if (def) lowerDef(def);
      }
    }
    const cells = [...notes.cells].map(([name, c]) => ({ name, exported: c.exported, words: c.words }));
    const sites: SiteIR[] = siteCalls.map((c, id) => ({ id, at: rangeOf(c), words: `${calleeName(c)}()` }));
    return { program: { functions, sites, cells }, notes };
  }

  private engineSite(call: SyntaxNode, api: string, id: number, v: Verdict, notes: LowerNotes): SpawnSite {
    const f = this.facts;
    let waited: Waited = v.waited;
    let reason = v.reason;
    let leak = v.leak;
    const prefix = new RegExp(`^${api}\\(\\) at line \\d+ starts a child that is never waited for: `);
    if (waited === 'no') reason = reason.replace(prefix, 'never waited: ');
    // Kept in a file-level variable and only signalled here: the program's SIGCHLD handler, in
    // another file, may be what reaps it (openssh's sshconnect.c kills proxy_command_pid, and
    // ssh.c's handler waits for any child).
    if (waited === 'no' && v.losses.length && v.losses.every((l) => l.message.startsWith('kept in ') && l.message.includes('; only '))) {
      waited = 'unknown';
      reason = `${v.losses[0].message.replace('; only ', '; it is only signalled here (')}), and a SIGCHLD handler in another file may reap it`;
    }
    if (f.sigchldIgnored !== undefined) {
      waited = 'yes';
      reason = `SIGCHLD is ignored at line ${f.sigchldIgnored}, so the kernel reaps every child`;
    } else if (f.reapingHandler && api !== 'popen') {
      waited = 'yes';
      reason = `the SIGCHLD handler ${f.reapingHandler.name}() (installed at line ${f.reapingHandler.line}) waits for children`;
    } else if (waited === 'no') {
      const fn = ancestor(call, FUNCTION_TYPES);
      const elsewhere = api === 'popen' ? undefined : f.anyChildWaits.find((w) => w.fn?.id !== fn?.id);
      if (elsewhere) {
        waited = 'unknown';
        reason = `${elsewhere.text} at line ${elsewhere.line} waits for any child and may reap it`;
      } else if (f.otherHandler && api !== 'popen') {
        waited = 'unknown';
        reason = `a SIGCHLD handler ${f.otherHandler.name}() is installed at line ${f.otherHandler.line}`;
      }
    }
    if (waited !== 'no') leak = undefined;

    let program: { program: string | null; source?: ProgramSource } = { program: null };
    let fork: SpawnSite['fork'] | undefined;
    let forksSelf = false;
    if (FORKS.has(api)) {
      const execs = this.execsOf(id, notes);
      const programs = execs.map((e) => this.program(args(e)[EXECS[calleeName(e)!]], e));
      const distinct = new Set(programs.map((p) => p.program));
      if (distinct.size === 1) program = programs[0];
      fork = {};
      if (execs.length) fork.execLines = [...new Set(execs.map(lineOf))];
      forksSelf = notes.childSeen.has(id) && execs.length === 0;
    } else if (api === 'popen') {
      const cmd = this.program(args(call)[0], call);
      program = { program: cmd.program ? firstWord(cmd.program) : null, source: cmd.source };
      fork = { shell: true };
    } else {
      program = this.program(args(call)[1], call);
    }
    const site = this.site(call, api, program.program, program.source, waited, reason, fork);
    if (leak) site.leak = leak;
    if (forksSelf) site.forksSelf = true;
    if (!site.programSource && site.forksSelf) site.programSource = 'self';
    return this.guarded(call, site);
  }

  /** The exec calls a fork's child runs: in its branch, or in a function of this file the branch calls. */
  private execsOf(id: number, notes: LowerNotes): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    const starts = new Set<number>();
    for (const [start, site] of notes.execIn) if (site === id) starts.add(start);
    for (const key of notes.childCalls.get(id) ?? []) {
      const def = this.defOfKey(key);
      if (def) for (const c of descendants(def, CALLS)) if ((calleeName(c) ?? '') in EXECS) starts.add(c.startIndex);
    }
    for (const c of this.calls) if (starts.has(c.startIndex) && EXECS[calleeName(c) ?? ''] >= 0) out.push(c);
    return out;
  }

  /** A site in a branch no unix target compiles: no zombie can be left there. */
  private guarded(call: SyntaxNode, site: SpawnSite): SpawnSite {
    const why = cNeverBuildsWithZombies(call);
    if (!why) return site;
    const { leak: _leak, ...rest } = site;
    return { ...rest, waited: 'yes', reason: `never runs where a child can become a zombie: ${why}` };
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
          if (declaredName(n.childForFieldName('declarator'))?.text === arg.text) {
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

  private exec(call: SyntaxNode, fork: SpawnSite | undefined): SpawnSite {
    const name = calleeName(call)!;
    const program = this.program(args(call)[EXECS[name]], call);
    if (fork) {
      const site = this.site(call, name, program.program, program.source, fork.waited, `runs in the child of ${fork.api}() at line ${fork.line}: ${fork.reason}`, { forkLine: fork.line });
      if (fork.leak) site.leak = fork.leak;
      return site;
    }
    return this.guarded(call, this.site(call, name, program.program, program.source, 'unknown', `${name}() replaces the calling process; no child is started here`));
  }
}

export function scanC(root: SyntaxNode, file: string, language: 'c' | 'cpp'): FileScan {
  return new CScanner(root, file, language).scan();
}

const PREPROC_CONDITIONALS = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif']);

/**
 * Does the file define main() (`any`), and one outside every #if (`plain`: a program of its own;
 * one under `#ifdef TEST_PARSER` is not counted)? One walk for both.
 */
function mainsOf(root: SyntaxNode): { any: boolean; plain: boolean } {
  const mains = descendants(root, FUNCTION_TYPES).filter((d) => functionNameOf(d) === 'main');
  return { any: mains.length > 0, plain: mains.some((d) => !ancestor(d, PREPROC_CONDITIONALS)) };
}

/** True when the file defines main(): the unit a built binary is named after. */
export function cHasMain(root: SyntaxNode): boolean {
  return descendants(root, FUNCTION_TYPES).some((d) => functionNameOf(d) === 'main');
}
