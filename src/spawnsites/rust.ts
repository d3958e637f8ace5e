/**
 * Rust spawn sites: std::process::Command's spawn() (and status()/output(), which wait).
 *
 * "Never waited" follows clippy's zombie_processes lint: std's Child does not wait when dropped,
 * so a spawned child must be wait()ed (or wait_with_output()/try_wait()) on every path of the
 * function, unless the Child is handed on (passed to a function, returned, stored, borrowed
 * mutably, moved into a closure that waits). Flagged like clippy: no wait at all; a wait only on
 * some branches; an early `return` or `?` between the spawn and the wait. An unconditional
 * std::process::exit/abort after the spawn ends the program, and init reaps the child.
 */
import type { SyntaxNode } from './parser';
import { ancestor, contains, descendants, lineOf, named, rangeOf, unescape, walk } from './syntax';
import type { FileScan, ProgramSource, SiteFinding, SpawnSite, Waited } from './types';

const FUNCTIONS = new Set(['function_item', 'closure_expression']);
const WAITS = new Set(['wait', 'wait_with_output', 'try_wait']);
const UNWRAPS = new Set(['unwrap', 'expect', 'unwrap_or_else', 'unwrap_unchecked']);
/** Macros that only borrow their arguments. */
const BORROWING_MACROS = new Set(['println', 'print', 'eprintln', 'eprint', 'format', 'write', 'writeln', 'dbg', 'assert', 'assert_eq', 'debug', 'info', 'warn', 'error', 'trace', 'log', 'panic']);
const BLOCKS = new Set(['block']);

function rustString(node: SyntaxNode | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'string_literal') {
    const t = node.text;
    return unescape(t.slice(t.indexOf('"') + 1, -1));
  }
  if (node.type === 'raw_string_literal') {
    const t = node.text;
    const open = t.indexOf('"');
    return t.slice(open + 1, t.length - open + 1);
  }
  return undefined;
}

export class RustScanner {
  /** `Command` (or an alias) names std::process::Command; `process` names std::process. */
  private readonly commandNames = new Set<string>();
  private readonly processNames = new Set<string>();
  private readonly constants = new Map<string, string>();

  constructor(
    private readonly root: SyntaxNode,
    private readonly file: string,
  ) {
    this.readUses();
  }

  private readUses(): void {
    for (const use of descendants(this.root, new Set(['use_declaration']))) {
      const arg = use.childForFieldName('argument');
      if (arg) this.useTree(arg, []);
    }
    for (const item of descendants(this.root, new Set(['const_item', 'static_item']))) {
      const name = item.childForFieldName('name')?.text;
      const value = rustString(item.childForFieldName('value'));
      if (name && value !== undefined) this.constants.set(name, value);
    }
  }

  /** Walks a use tree with the path so far: `std::process::{self, Command as Cmd}`. */
  private useTree(node: SyntaxNode, prefix: string[]): void {
    const pathOf = (n: SyntaxNode | null) => (n ? n.text.split('::').map((s) => s.trim()) : []);
    switch (node.type) {
      case 'scoped_identifier':
      case 'identifier': {
        const path = [...prefix, ...pathOf(node)];
        this.bind(path, path[path.length - 1]);
        return;
      }
      case 'use_as_clause': {
        const path = [...prefix, ...pathOf(node.childForFieldName('path'))];
        const alias = node.childForFieldName('alias')?.text;
        if (alias) this.bind(path, alias);
        return;
      }
      case 'scoped_use_list': {
        const path = [...prefix, ...pathOf(node.childForFieldName('path'))];
        const list = node.childForFieldName('list');
        for (const c of list ? named(list) : []) this.useTree(c, path);
        return;
      }
      case 'use_list':
        for (const c of named(node)) this.useTree(c, prefix);
        return;
      case 'use_wildcard': {
        const path = [...prefix, ...pathOf(node.namedChild(0))];
        if (path.join('::') === 'std::process') this.commandNames.add('Command');
        return;
      }
      case 'self':
        if (prefix.join('::') === 'std::process') this.processNames.add('process');
        return;
      default:
        return;
    }
  }

  private bind(path: string[], local: string): void {
    const full = path.join('::');
    if (full === 'std::process::Command') this.commandNames.add(local);
    if (full === 'std::process') this.processNames.add(local);
  }

  /** `Command::new`, `process::Command::new`, `std::process::Command::new`. */
  private isCommandNew(fn: SyntaxNode | null): boolean {
    if (fn?.type !== 'scoped_identifier' || fn.childForFieldName('name')?.text !== 'new') return false;
    const path = fn.childForFieldName('path')?.text.replace(/\s/g, '').replace(/^::/, '') ?? '';
    if (this.commandNames.has(path)) return true;
    const parts = path.split('::');
    if (parts.length === 2 && this.processNames.has(parts[0]) && parts[1] === 'Command') return true;
    return path === 'std::process::Command';
  }

  /**
   * If `recv` is a std Command (a builder chain from Command::new, a variable bound to one, or a
   * parameter typed Command / &mut Command), the program it runs (null when not known).
   */
  private commandOf(recv: SyntaxNode | null, depth = 0): { program: string | null; source?: ProgramSource } | undefined {
    if (!recv || depth > 32) return undefined;
    if (recv.type === 'reference_expression' || recv.type === 'parenthesized_expression') return this.commandOf(recv.namedChild(recv.namedChildCount - 1), depth + 1);
    if (recv.type === 'call_expression') {
      const fn = recv.childForFieldName('function');
      if (this.isCommandNew(fn)) return this.program(named(recv.childForFieldName('arguments')!)[0], recv);
      if (fn?.type === 'field_expression') return this.commandOf(fn.childForFieldName('value'), depth + 1); // .arg(..).env(..)
      return undefined;
    }
    if (recv.type === 'identifier') {
      const fn = ancestor(recv, FUNCTIONS);
      if (!fn) return undefined;
      let found: { program: string | null; source?: ProgramSource } | undefined;
      walk(fn, (n) => {
        if (found || n.startIndex > recv.startIndex) return false;
        if (n.type === 'let_declaration' && patternName(n.childForFieldName('pattern')) === recv.text) {
          const v = this.commandOf(n.childForFieldName('value'), depth + 1);
          if (v) found = v;
        }
        if (n.type === 'parameter' && patternName(n.childForFieldName('pattern')) === recv.text) {
          const t = n.childForFieldName('type')?.text.replace(/&|mut\s+|\s/g, '') ?? '';
          if (this.commandNames.has(t) || t === 'std::process::Command') found = { program: null };
        }
        return true;
      });
      return found;
    }
    return undefined;
  }

  private program(arg: SyntaxNode | undefined, at: SyntaxNode): { program: string | null; source?: ProgramSource } {
    const lit = rustString(arg);
    if (lit !== undefined) return { program: lit, source: 'literal' };
    if (arg?.type === 'identifier') {
      const c = this.constants.get(arg.text);
      if (c !== undefined) return { program: c, source: 'constant' };
      const fn = ancestor(at, FUNCTIONS);
      let local: string | undefined;
      if (fn) {
        walk(fn, (n) => {
          if (n.type === 'let_declaration' && patternName(n.childForFieldName('pattern')) === arg.text) local = rustString(n.childForFieldName('value'));
          return true;
        });
      }
      if (local !== undefined) return { program: local, source: 'constant' };
    }
    if (arg?.type === 'reference_expression') return this.program(arg.namedChild(arg.namedChildCount - 1) ?? undefined, at);
    return { program: null };
  }

  scan(): FileScan {
    const sites: SpawnSite[] = [];
    for (const call of descendants(this.root, new Set(['call_expression']))) {
      const fn = call.childForFieldName('function');
      if (fn?.type !== 'field_expression') continue;
      const method = fn.childForFieldName('field')?.text;
      if (method !== 'spawn' && method !== 'status' && method !== 'output') continue;
      const cmd = this.commandOf(fn.childForFieldName('value'));
      if (!cmd) continue;
      const r = rangeOf(call);
      const site: SpawnSite = {
        file: this.file,
        line: r.startLine,
        column: r.startColumn,
        language: 'rust',
        api: `Command::${method}`,
        program: cmd.program,
        waited: 'yes',
        reason: `${method}() waits for the child`,
        range: r,
      };
      if (cmd.source) site.programSource = cmd.source;
      const f = ancestor(call, new Set(['function_item']));
      const name = f?.childForFieldName('name')?.text;
      if (name) site.function = name;
      if (method === 'spawn') {
        const v = this.spawnVerdict(call);
        site.waited = v.waited;
        site.reason = v.reason;
        if (v.leak) site.leak = v.leak;
      }
      sites.push(site);
    }
    const findings: SiteFinding[] = sites
      .filter((s) => s.waited === 'no')
      .map((site) => ({
        code: 'rust-spawn-without-wait' as const,
        file: this.file,
        range: site.range,
        severity: 'warning' as const,
        message: `spawned process is never wait()ed on${site.leak === 'some-paths' ? ' on every path' : ''}: ${site.reason}. std's Child does not wait when dropped, so the child stays a zombie.`,
        site,
      }));
    return { sites, findings };
  }

  private spawnVerdict(call: SyntaxNode): { waited: Waited; reason: string; leak?: 'always' | 'some-paths' } {
    // Climb through `?`, .unwrap(), .expect(..) to the expression holding the Child.
    let cur = call;
    for (;;) {
      const p = cur.parent;
      if (p?.type === 'try_expression') {
        cur = p;
        continue;
      }
      if (p?.type === 'field_expression' && UNWRAPS.has(p.childForFieldName('field')?.text ?? '') && p.parent?.type === 'call_expression') {
        cur = p.parent;
        continue;
      }
      break;
    }
    const p = cur.parent;
    if (!p) return { waited: 'unknown', reason: 'the Child is not kept' };
    if (p.type === 'field_expression' && p.parent?.type === 'call_expression') {
      const m = p.childForFieldName('field')?.text ?? '';
      if (WAITS.has(m)) return { waited: 'yes', reason: `${m}() is called on it at line ${lineOf(p)}` };
      return { waited: 'no', reason: `the Child is dropped after ${m}() at line ${lineOf(p)} without a wait()`, leak: 'always' };
    }
    if (p.type === 'expression_statement') return { waited: 'no', reason: `the Child is dropped at once (line ${lineOf(p)})`, leak: 'always' };
    if (p.type === 'let_declaration') {
      const pattern = p.childForFieldName('pattern');
      const name = patternName(pattern);
      if (!name) return pattern?.text === '_' ? { waited: 'no', reason: `\`let _ =\` drops the Child at once (line ${lineOf(p)})`, leak: 'always' } : { waited: 'unknown', reason: 'bound by a pattern' };
      const block = ancestor(p, BLOCKS);
      return block ? this.childUses(name, p, block) : { waited: 'unknown', reason: 'no enclosing block' };
    }
    if (p.type === 'let_condition' || p.type === 'match_expression') {
      // `if let Ok(child) = cmd.spawn() {..}` / `match cmd.spawn() { Ok(child) => .. }`
      const arms = p.type === 'let_condition' ? [{ pattern: p.childForFieldName('pattern'), body: p.parent?.childForFieldName('consequence') ?? null }] : descendants(p, new Set(['match_arm'])).map((a) => ({ pattern: a.childForFieldName('pattern'), body: a.childForFieldName('value') }));
      for (const arm of arms) {
        const bound = arm.pattern ? descendants(arm.pattern, new Set(['identifier'])).filter((i) => i.parent?.type !== 'tuple_struct_pattern' || !i.parent.childForFieldName('type')?.equals(i)) : [];
        const name = bound.find((b) => b.text !== 'Ok' && b.text !== 'Some' && b.text !== 'Err')?.text;
        if (!name || !arm.body || /^(e|err|_.*)$/.test(name)) continue;
        return this.childUses(name, arm.pattern!, arm.body);
      }
      return { waited: 'unknown', reason: 'matched without binding the Child' };
    }
    if (p.type === 'return_expression' || p.type === 'block') return { waited: 'unknown', reason: `returned to the caller at line ${lineOf(p)}` };
    return { waited: 'unknown', reason: `the Child is handed on (${p.type}) at line ${lineOf(p)}` };
  }

  /** Follows a bound Child through `scope` after `from`. */
  private childUses(name: string, from: SyntaxNode, scope: SyntaxNode): { waited: Waited; reason: string; leak?: 'always' | 'some-paths' } {
    const waits: SyntaxNode[] = [];
    const kills: SyntaxNode[] = [];
    let escape: string | undefined;
    let threadWait: SyntaxNode | undefined;
    walk(scope, (n) => {
      if (n.endIndex <= from.endIndex) return false;
      if (n.type === 'let_declaration' && patternName(n.childForFieldName('pattern')) === name && n.startIndex > from.endIndex) return false; // shadowed
      if (n.type === 'token_tree') {
        const macro = n.parent?.type === 'macro_invocation' ? n.parent.childForFieldName('macro')?.text ?? '' : '';
        if (!BORROWING_MACROS.has(macro) && descendants(n, new Set(['identifier'])).some((i) => i.text === name)) escape ??= `used in ${macro}!() at line ${lineOf(n)}`;
        return false;
      }
      if (n.type !== 'identifier' || n.text !== name) return true;
      const p = n.parent!;
      if (p.type === 'field_expression' && p.childForFieldName('value')?.equals(n)) {
        const m = p.childForFieldName('field')?.text ?? '';
        const isCall = p.parent?.type === 'call_expression';
        if (isCall && WAITS.has(m)) {
          const closure = ancestor(p, new Set(['closure_expression']));
          if (closure && contains(scope, closure) && !contains(closure, from)) {
            // A closure given to thread::spawn runs: the thread reaps the child. Any other
            // closure may never be called.
            const callee = closure.parent?.type === 'arguments' ? closure.parent.parent?.childForFieldName('function')?.text.replace(/\s/g, '') ?? '' : '';
            if (/(^|::)thread::spawn$|^spawn$/.test(callee)) threadWait ??= closure;
            else escape ??= `moved into a closure that waits (line ${lineOf(closure)})`;
          } else waits.push(p.parent!);
        } else if (isCall && m === 'kill') kills.push(p.parent!);
        return true;
      }
      if (p.type === 'reference_expression' && !p.children.some((c) => c.type === 'mutable_specifier')) return true; // &child: a shared borrow cannot wait
      if (p.type === 'binary_expression') return true;
      const tail = p.type === 'block' && p.lastNamedChild?.equals(n) && p.parent?.type === 'function_item';
      escape ??= `${p.type === 'arguments' ? 'passed to a function' : p.type === 'reference_expression' ? 'borrowed mutably' : p.type === 'return_expression' || tail ? 'returned' : `handed on (${p.type})`} at line ${lineOf(n)}`;
      return true;
    });
    const killNote = kills.length ? `; ${kills[0].text} at line ${lineOf(kills[0])} does not reap it` : '';
    if (threadWait && waits.length === 0 && !escape) return { waited: 'yes', reason: `a thread started at line ${lineOf(threadWait)} waits for it` };
    if (escape && waits.length === 0) return { waited: 'unknown', reason: `the Child is ${escape}` };
    const exit = this.unconditionalExit(from, scope);
    if (waits.length === 0) {
      if (exit) return { waited: 'yes', reason: `the program exits at line ${exit} (init reaps the child)` };
      return { waited: 'no', reason: `never waited: no ${name}.wait() in this function${killNote}`, leak: 'always' };
    }
    if (!this.covered(scope, waits, from)) {
      return { waited: 'no', reason: `${name}.wait() at line ${lineOf(waits[0])} runs only on some branches${killNote}`, leak: 'some-paths' };
    }
    const first = Math.min(...waits.map((w) => w.startIndex));
    let early: SyntaxNode | undefined;
    walk(scope, (n) => {
      if (early || n.endIndex <= from.endIndex || n.startIndex >= first) return !early && n.startIndex < first;
      if (n.type === 'closure_expression' || n.type === 'function_item') return false;
      if ((n.type === 'return_expression' || n.type === 'try_expression') && n.startIndex > from.endIndex) early = n;
      return true;
    });
    if (early) {
      return { waited: 'no', reason: `${early.type === 'return_expression' ? 'a return' : 'the ? operator'} at line ${lineOf(early)} can leave before ${name}.wait() at line ${lineOf(waits[0])}${killNote}`, leak: 'some-paths' };
    }
    return { waited: 'yes', reason: `${waits[0].text.replace(/\s+/g, ' ')} at line ${lineOf(waits[0])}` };
  }

  /** Does every path through `scope` after `from` reach one of `waits`? Straight-line code and if/else-if/else chains; loops and match arms do not count. */
  private covered(scope: SyntaxNode, waits: SyntaxNode[], from: SyntaxNode): boolean {
    const coversBlock = (block: SyntaxNode): boolean => {
      for (const stmt of named(block)) {
        if (stmt.endIndex <= from.endIndex) continue;
        if (coversStmt(stmt)) return true;
      }
      return false;
    };
    const coversStmt = (stmt: SyntaxNode): boolean => {
      let e = stmt.type === 'expression_statement' ? stmt.namedChild(0) : stmt;
      if (!e) return false;
      if (e.type === 'if_expression') {
        const cons = e.childForFieldName('consequence');
        let alt = e.childForFieldName('alternative');
        if (alt?.type === 'else_clause') alt = alt.namedChild(0);
        if (!cons || !alt) return false;
        return coversBlock(cons) && (alt.type === 'if_expression' ? coversStmt(alt) : coversBlock(alt));
      }
      if (e.type === 'let_declaration') e = e.childForFieldName('value') ?? e;
      if (/^(while|loop|for)_expression$/.test(e.type) || e.type === 'match_expression' || e.type === 'closure_expression') return false;
      return waits.some((w) => contains(e!, w) && !ancestorBetween(w, e!, new Set(['if_expression', 'match_expression', 'while_expression', 'for_expression', 'loop_expression', 'closure_expression'])));
    };
    return coversBlock(scope.type === 'block' ? scope : scope.namedChild(0) ?? scope);
  }

  /** Line of a std::process::exit/abort statement directly in `scope` after `from`. */
  private unconditionalExit(from: SyntaxNode, scope: SyntaxNode): number | undefined {
    for (const stmt of named(scope)) {
      if (stmt.startIndex <= from.endIndex) continue;
      const e = stmt.type === 'expression_statement' ? stmt.namedChild(0) : stmt;
      if (e?.type !== 'call_expression') continue;
      const f = e.childForFieldName('function')?.text.replace(/\s/g, '') ?? '';
      if (/(^|::)(process::)?(exit|abort)$/.test(f) && (f.includes('process::') || this.processNames.size > 0 || f === 'exit')) return lineOf(e);
    }
    return undefined;
  }
}

/** The identifier a simple pattern binds: `x`, `mut x`. */
function patternName(pattern: SyntaxNode | null): string | undefined {
  if (!pattern) return undefined;
  if (pattern.type === 'identifier') return pattern.text;
  if (pattern.type === 'mut_pattern') return patternName(pattern.namedChild(pattern.namedChildCount - 1));
  return undefined;
}

function ancestorBetween(node: SyntaxNode, top: SyntaxNode, types: ReadonlySet<string>): boolean {
  for (let p = node.parent; p && !p.equals(top); p = p.parent) if (types.has(p.type)) return true;
  return false;
}

export function scanRust(root: SyntaxNode, file: string): FileScan {
  return new RustScanner(root, file).scan();
}
