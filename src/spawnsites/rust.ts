/**
 * Rust spawn sites: std::process::Command's spawn() (and status()/output(), which wait).
 *
 * This file keeps the API knowledge: which calls are sites (a Command from Command::new, a builder
 * variable or a parameter typed Command, through `use` aliases), the program's name, which calls
 * end the process, and the guards (`#[cfg(...)]` on an enclosing item that no unix target meets;
 * `#[allow/expect(clippy::zombie_processes)]`, which keeps the verdict and drops the warning).
 * The verdicts come from the engine (engine/verdict.ts) over the IR that lower/rust.ts makes of
 * the functions that matter (lower/rust-items.ts picks them). They follow clippy's
 * zombie_processes: std's Child does not wait when dropped, so it must be waited for on every path
 * unless handed on; a child still held at an unconditional exit is reaped by init, but one dropped
 * before a later exit is a leak where it is dropped; a Child returned to a caller that drops it is
 * reported at that call.
 */
import type { ProgramIR, FunctionIR } from './engine/ir';
import { analyze as analyzeProgram, relatedOf, type Verdict } from './engine/verdict';
import { RustFnLowering, type RustApi } from './lower/rust';
import { outerAttributes, RustItems } from './lower/rust-items';
import type { SyntaxNode } from './parser';
import { rustCfg } from './platform';
import { ancestor, descendants, lineOf, named, rangeOf, unescape, walk } from './syntax';
import type { FileScan, ProgramSource, SiteFinding, SpawnSite } from './types';

const FUNCTIONS = new Set(['function_item', 'closure_expression']);

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

/** Crates whose process API reaps a dropped Child itself (a runtime's reaper thread or signal driver). */
const ASYNC_PROCESS_CRATES = new Set(['tokio', 'async_process', 'async_std', 'smol', 'async_io']);
/** A path to one of them spelled out, or a file's own `fn spawn` (which a bare `.spawn()` may be calling). */
const ASYNC_OR_OWN_SPAWN = new RegExp(`\\b(${[...ASYNC_PROCESS_CRATES].join('|')})::process\\b|\\bfn\\s+spawn\\b`);

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
    // `use tokio::{io, process::{Child, Command}}`: an async runtime's process API, whose Child it reaps.
    if (ASYNC_PROCESS_CRATES.has(path[0]) && path.includes('process')) this.asyncProcess = true;
    if (full === 'std::process::Command') this.commandNames.add(local);
    if (full === 'std::process') this.processNames.add(local);
  }

  /** `Command::new`, `process::Command::new`, `std::process::Command::new`. */
  private isCommandNew(fn: SyntaxNode | null): boolean {
    if (fn?.type !== 'scoped_identifier' || fn.childForFieldName('name')?.text !== 'new') return false;
    return this.isCommandType(fn.childForFieldName('path')?.text.replace(/\s/g, '').replace(/^::/, '') ?? '');
  }

  /** `Command`, `process::Command`, `std::process::Command` under this file's `use`s. */
  private isCommandType(path: string): boolean {
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
          if (this.isCommandType(t)) found = { program: null };
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

  private stdOnly?: boolean;
  private asyncProcess = false;

  /**
   * A `.spawn()` with no arguments on a receiver of unknown type (a Command from a helper,
   * `self.build_command()`, `piped(&mut cmd)`, a field) is std's Command::spawn when the file uses
   * std::process and no async process API (tokio's and async-std's Child are reaped by their runtime).
   */
  private anyReceiverIsStd(call: SyntaxNode): boolean {
    if (call.childForFieldName('arguments')?.namedChildCount !== 0) return false;
    if (this.stdOnly === undefined) {
      const text = this.root.text;
      this.stdOnly = /\bstd::process\b/.test(text) && !this.asyncProcess && !ASYNC_OR_OWN_SPAWN.test(text);
    }
    return this.stdOnly;
  }

  /** Can a bare `exit(..)` / `abort()` be std's (imported, or not defined in this file)? */
  isExit(callee: string): boolean {
    if (/^(::)?(std::)?process::(exit|abort)$/.test(callee) || /^libc::(_exit|exit|abort)$/.test(callee) || /^nix::unistd::_exit$/.test(callee)) return true;
    const parts = callee.split('::');
    if (parts.length === 2 && this.processNames.has(parts[0]) && (parts[1] === 'exit' || parts[1] === 'abort')) return true;
    return (callee === 'exit' || callee === 'abort') && !this.localFns.has(callee);
  }

  private readonly localFns = new Set<string>();

  scan(collect?: { site: SpawnSite; call: SyntaxNode }[]): FileScan {
    const sites: SpawnSite[] = [];
    const spawns: { site: SpawnSite; call: SyntaxNode }[] = collect ?? [];
    const calls = descendants(this.root, new Set(['call_expression']));
    for (const call of calls) {
      const fn = call.childForFieldName('function');
      if (fn?.type !== 'field_expression') continue;
      const method = fn.childForFieldName('field')?.text;
      if (method !== 'spawn' && method !== 'status' && method !== 'output') continue;
      const cmd = this.commandOf(fn.childForFieldName('value')) ?? (method === 'spawn' && this.anyReceiverIsStd(call) ? { program: null } : undefined);
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
      sites.push(site);
      if (method === 'spawn') spawns.push({ site, call });
    }
    const findings: SiteFinding[] = [];
    if (!spawns.length || collect) return { sites, findings };
    let analysis: Map<number, Verdict>;
    try {
      analysis = this.analyze(spawns, calls);
    } catch (e) {
      // Never a guess: code the lowering trips on leaves its sites unknown, the rest of the index goes on.
      for (const { site } of spawns) site.waited = 'unknown';
      for (const { site } of spawns) site.reason = `not analysed (${e instanceof Error ? e.message : String(e)})`;
      return { sites, findings };
    }
    spawns.forEach(({ site, call }, id) => {
      const v = analysis.get(id)!;
      const guard = this.guardOf(call);
      if (guard?.kind === 'cfg') {
        site.reason = `never runs where a child can become a zombie: ${guard.why}`;
        return;
      }
      site.waited = v.waited;
      site.reason = v.reason;
      if (v.leak) site.leak = v.leak;
      if (v.waited !== 'no') return;
      if (guard?.kind === 'allow') {
        site.reason += ` (not reported: ${guard.why})`;
        return;
      }
      // A Child returned to a caller that drops it is reported at that caller's call, as clippy does.
      // (The deciding path then goes through the call that returned it.)
      const returnedBy = [...v.path].reverse().find((s) => s.words.startsWith('returned by '));
      const range = returnedBy ? returnedBy.at : site.range;
      findings.push({
        code: 'rust-spawn-without-wait',
        file: this.file,
        range,
        severity: 'warning',
        message: `spawned process is never wait()ed on${site.leak === 'some-paths' ? ' on every path' : ''}: ${site.reason}. std's Child does not wait when dropped, so the child stays a zombie.`,
        site,
        related: relatedOf(v, range),
      });
    });
    return { sites, findings };
  }

  /** Lowers the functions that matter to the engine's IR and judges every spawn site. */
  private analyze(spawns: { site: SpawnSite; call: SyntaxNode }[], calls: SyntaxNode[]): Map<number, Verdict> {
    // As clippy: a Child dropped is a leak even when the program exits later.
    return analyzeProgram(this.lower(spawns, calls), { exitExcusesLost: false }).verdicts;
  }

  /** The file's IR (for the tests and for reading what the lowering made of a file). */
  lowered(): ProgramIR {
    const calls = descendants(this.root, new Set(['call_expression']));
    const spawns: { site: SpawnSite; call: SyntaxNode }[] = [];
    this.scan(spawns);
    return this.lower(spawns, calls);
  }

  private lower(spawns: { site: SpawnSite; call: SyntaxNode }[], calls: SyntaxNode[]): ProgramIR {
    const items = new RustItems(this.root);
    for (const f of items.fns) this.localFns.add(f.key);
    const siteIds = new Map<number, number>(spawns.map((s, i) => [s.call.id, i]));
    const api: RustApi = { siteOf: (call) => siteIds.get(call.id), isExit: (c) => this.isExit(c) };
    // Each site's own function: the nearest fn, or a closure (run by code we may not see).
    const apart = new Set<number>();
    const siteFns: SyntaxNode[] = [];
    const closures: SyntaxNode[] = [];
    for (const { call } of spawns) {
      const owner = ancestor(call, FUNCTIONS);
      if (!owner) continue;
      if (owner.type === 'closure_expression') {
        if (!apart.has(owner.id)) closures.push(owner);
        apart.add(owner.id);
      } else siteFns.push(owner);
    }
    const functions: FunctionIR[] = [];
    for (const node of items.needed(siteFns, calls)) {
      const f = items.fnOfNode(node);
      if (!f) continue;
      const low = new RustFnLowering(items, api, { key: f.key, display: f.key, implType: f.implType, exported: f.exported, test: f.test }, apart);
      functions.push(low.lowerFunction(node), ...low.extra);
    }
    for (const c of closures) {
      const outer = ancestor(c, new Set(['function_item']));
      const implType = outer ? items.fnOfNode(outer)?.implType : undefined;
      const key = `closure@${c.startPosition.row + 1}:${c.startPosition.column + 1}`;
      const low = new RustFnLowering(items, api, { key, display: `the closure at line ${c.startPosition.row + 1}`, implType, exported: true }, apart);
      functions.push(low.lowerFunction(c), ...low.extra);
    }
    const program: ProgramIR = {
      functions,
      sites: spawns.map((s, id) => ({ id, at: s.site.range, words: `${s.site.api.replace('Command::', '')}()` })),
      cells: items.cells,
    };
    return program;
  }

  /**
   * What the attributes around a site say: a `#[cfg(windows)]` (or any cfg no unix target meets)
   * on an enclosing item or statement: it never runs where zombies exist; an
   * `#[allow(clippy::zombie_processes)]` / `#[expect(..)]`: the author has said so, no warning.
   */
  private guardOf(node: SyntaxNode): { kind: 'cfg' | 'allow'; why: string } | undefined {
    let allow: { kind: 'allow'; why: string } | undefined;
    for (let n: SyntaxNode | null = node; n; n = n.parent) {
      const attrs = outerAttributes(n);
      for (const c of n.type === 'source_file' || n.type === 'declaration_list' ? named(n) : []) if (c.type === 'inner_attribute_item') attrs.push(c);
      for (const a of attrs) {
        const t = a.text.replace(/\s+/g, '');
        const cfg = /^#!?\[cfg\(([\s\S]*)\)\]$/.exec(t);
        if (cfg && rustCfg(cfg[1]) === false) return { kind: 'cfg', why: `${a.text} at line ${lineOf(a)} builds it only where there are no zombies` };
        if (!allow && /^#!?\[(allow|expect)\(.*\bclippy::zombie_processes\b/.test(t)) allow = { kind: 'allow', why: `${a.text} at line ${lineOf(a)}` };
      }
    }
    return allow;
  }
}

/** The identifier a simple pattern binds: `x`, `mut x`. */
function patternName(pattern: SyntaxNode | null): string | undefined {
  if (!pattern) return undefined;
  if (pattern.type === 'identifier') return pattern.text;
  if (pattern.type === 'mut_pattern') return patternName(pattern.namedChild(pattern.namedChildCount - 1));
  return undefined;
}

export function scanRust(root: SyntaxNode, file: string): FileScan {
  return new RustScanner(root, file).scan();
}
