/**
 * Python calls to the engine's handle events (the other expressions are in python-expr.ts, the
 * statements in python.ts): a spawn site; the calls of os, time and signal that end the process,
 * reap every child, wait for one, kill it or sleep; a method of a handle (a wait, a kill, a local
 * container's add or read); a function of this file, whose summary decides; and code this does not
 * see, to which whatever it is handed escapes. FnLower, in python.ts, extends CallLower.
 */
import type { Handle, Node } from '../engine/ir';
import type { SyntaxNode } from '../parser';
import { named, rangeOf } from '../syntax';
import { CONTAINER_READ, type Def, ExprLower, type Mode, type PyKind, unparen } from './python-expr';
import { mixedReturns, pidOf } from './python-names';

/** Wait-like methods by kind (`terminate` joins a Pool's workers but only signals a Popen). */
const WAITS: Record<PyKind | 'any', ReadonlySet<string>> = {
  popen: new Set(['wait', 'communicate']),
  pipe: new Set(['close']),
  process: new Set(['join']),
  pid: new Set(),
  any: new Set(['wait', 'communicate', 'join', 'close']),
};
const KILLS = new Set(['kill', 'terminate', 'send_signal']);
/** Calls that look at a handle and keep nothing. */
const HARMLESS = new Set(['print', 'repr', 'str', 'len', 'id', 'isinstance', 'bool', 'int', 'hash', 'type', 'format', 'os.getpgid', 'os.waitstatus_to_exitcode']);
const HARMLESS_METHODS = new Set(['debug', 'info', 'warning', 'warn', 'error', 'exception', 'critical', 'log', 'write', 'format']);
const CONTAINER_ADD = new Set(['append', 'add', 'insert', 'extend', 'appendleft', 'setdefault']);

export class CallLower extends ExprLower {
  protected call(n: SyntaxNode, out: Node[], mode: Mode): Handle | null {
    const at = rangeOf(n);
    const fn = n.childForFieldName('function')!;
    const argList = n.childForFieldName('arguments');
    const args = argList && argList.type === 'argument_list' ? named(argList).filter((a) => a.type !== 'comment') : argList ? [argList] : [];
    const site = this.c.f.sites.get(n.id);
    if (site) {
      let into: Handle | null = null;
      if (site.kind === 'process') {
        // `proc.start()`: the child starts here and `proc` holds it.
        const recv = fn.type === 'attribute' ? unparen(fn.childForFieldName('object')) : null;
        if (recv?.type === 'identifier') into = recv.text;
        else if (recv) this.expr(recv, out, 'discard');
      } else {
        this.spawnArgs(n, out);
        into = mode === 'value' ? this.temp() : null;
      }
      const attr = n.parent?.type === 'attribute' ? n.parent.childForFieldName('attribute')?.text : undefined;
      if (site.kind === 'pipe' && ((attr && attr !== 'close') || n.parent?.type === 'subscript')) {
        // `os.popen(cmd).read()`: the pipe lives while it is read; collected after, its Popen polls
        // the shell (done by then, the output having ended) and reaps it, or leaves it to the next Popen.
        into = this.temp();
        out.push({ op: 'spawn', site: site.id, into, outcomes: site.outcomes, at });
        out.push({ op: 'escape', h: into, to: 'other', at, why: `the pipe is dropped after ${attr ? `.${attr}()` : 'use'}, and reaped when it is collected if the shell has exited` });
        return null;
      }
      if (into) this.kinds.set(into, site.kind);
      out.push({ op: 'spawn', site: site.id, into, outcomes: site.outcomes, at });
      return site.kind === 'process' ? null : into;
    }
    const name = this.c.f.resolve(fn);
    if (name) {
      const exit = this.c.f.exitWords(name);
      if (exit) {
        this.spawnArgs(n, out);
        out.push({ op: 'exit', at, how: exit });
        return null;
      }
      const first = args[0] && pidOf(args[0]);
      if (name === 'os.wait' || name === 'os.wait3' || ((name === 'os.waitpid' || name === 'os.wait4') && first && /^(-1|0)$/.test(first.text)) || (name === 'os.waitid' && first?.text === 'os.P_ALL')) {
        out.push({ op: 'reapAll', at, how: `${n.text.split('\n')[0]}` });
        return null;
      }
      const pidArg = name === 'os.waitid' ? args[1] && pidOf(args[1]) : first;
      if ((name === 'os.waitpid' || name === 'os.wait4' || name === 'os.waitid') && pidArg) {
        const h = this.expr(pidArg, out, 'value');
        if (h) out.push({ op: 'wait', h, at, how: n.text.split('\n')[0] });
        return null;
      }
      if ((name === 'os.kill' || name === 'os.killpg') && first) {
        const h = this.expr(first, out, 'value');
        if (h) out.push({ op: 'kill', h, at, how: n.text.split('\n')[0] });
        return null;
      }
      if (name === 'time.sleep' || name === 'signal.pause') {
        // The program waits a while: children lost before stay zombies meanwhile.
        this.spawnArgs(n, out);
        out.push({ op: 'block', at, how: `${name}()` });
        return null;
      }
      if (HARMLESS.has(name) || name.startsWith('logging.') || name.startsWith('signal.')) {
        this.spawnArgs(n, out);
        return null;
      }
    }
    if (fn.type === 'identifier' && HARMLESS.has(fn.text)) {
      this.spawnArgs(n, out);
      return null;
    }
    // A function of this file: its summary decides.
    const local = this.localKey(fn);
    if (local) return this.localCall(local, n, args, out, mode);
    if (fn.type === 'attribute') {
      const method = fn.childForFieldName('attribute')?.text ?? '';
      const objNode = unparen(fn.childForFieldName('object'))!;
      const chained = objNode.type === 'call' || objNode.type === 'await';
      // `procs[i].wait()`: the element of a container stands for the container (optimistic: one wait for all).
      const base = objNode.type === 'subscript' ? unparen(objNode.childForFieldName('value'))! : objNode;
      const recv = this.cellOf(base) ?? (base.type === 'identifier' ? base.text : chained ? this.expr(objNode, out, 'value') : null);
      if (recv) {
        const kind = this.kinds.get(recv) ?? 'any';
        const how = `${objNode.type === 'identifier' || objNode.text.length < 24 ? objNode.text : `${objNode.text.split('(')[0]}(…)`}.${method}()`;
        if (WAITS[kind].has(method)) {
          this.spawnArgs(n, out);
          out.push({ op: 'wait', h: recv, at, how });
          return null;
        }
        if (method === 'poll' && this.loops > 0) {
          out.push({ op: 'wait', h: recv, at, how: `${how} in a loop` });
          return null;
        }
        if (KILLS.has(method)) {
          this.spawnArgs(n, out);
          out.push({ op: 'kill', h: recv, at, how });
          return null;
        }
        if (this.containers.has(recv) && CONTAINER_ADD.has(method) && !this.shared(recv)) {
          const v = args[args.length - 1];
          const h = v ? this.expr(v.type === 'keyword_argument' ? v.childForFieldName('value')! : v, out, 'value') : null;
          if (h) out.push({ op: 'copy', from: h, to: recv, at, add: true });
          return null;
        }
        if (this.containers.has(recv) && CONTAINER_READ.has(method)) {
          this.spawnArgs(n, out);
          return mode === 'value' ? recv : null;
        }
        if (method === 'clear' && this.containers.has(recv)) {
          out.push({ op: 'drop', h: recv, at, why: how });
          return null;
        }
      } else if (!chained) this.expr(objNode, out, 'discard');
      if (HARMLESS_METHODS.has(method)) {
        this.spawnArgs(n, out);
        return null;
      }
    } else if (fn.type !== 'identifier') this.expr(fn, out, 'discard');
    // Code this analysis does not see: whatever it is handed may be kept or waited for there.
    for (const a of args) {
      const v = a.type === 'keyword_argument' ? a.childForFieldName('value')! : a.type === 'list_splat' || a.type === 'dictionary_splat' ? a.namedChild(0)! : a;
      const h = this.expr(v, out, 'value');
      if (h) out.push({ op: 'escape', h, to: 'callee', at: rangeOf(a), why: `passed to ${fn.text.split('\n')[0]}()` });
    }
    return null;
  }

  protected localKey(fn: SyntaxNode): string | undefined {
    if (fn.type === 'identifier') return scopedKey(this.c.defs, fn.text, this.c.key);
    if (fn.type === 'attribute' && fn.childForFieldName('object')?.text === 'self' && this.c.cls) {
      const m = fn.childForFieldName('attribute')?.text ?? '';
      return this.c.classes.get(this.c.cls)?.has(m) ? `${this.c.cls}.${m}` : undefined;
    }
    return undefined;
  }

  protected localCall(key: string, n: SyntaxNode, args: SyntaxNode[], out: Node[], mode: Mode): Handle | null {
    this.c.called(key);
    const def = this.c.defs.get(key)!;
    const handles: (Handle | null)[] = def.params.map(() => null);
    let i = 0;
    for (const a of args) {
      if (a.type === 'keyword_argument') {
        const k = def.params.indexOf(a.childForFieldName('name')?.text ?? '');
        const h = this.expr(a.childForFieldName('value')!, out, 'value');
        if (h && k >= 0) handles[k] = h;
        else if (h) out.push({ op: 'escape', h, to: 'callee', at: rangeOf(a), why: `passed to ${key}()` });
      } else if (a.type === 'list_splat' || a.type === 'dictionary_splat' || i >= handles.length) {
        const h = this.expr(a.type.endsWith('splat') ? a.namedChild(0)! : a, out, 'value');
        if (h) out.push({ op: 'escape', h, to: 'callee', at: rangeOf(a), why: `passed to ${key}()` });
      } else handles[i++] = this.expr(a, out, 'value');
    }
    const into = mode === 'value' ? this.temp() : null;
    out.push({ op: 'call', fn: key, args: handles, into, at: rangeOf(n), words: `${key}()` });
    // `return proc` on one path, `return out, err, code` on another: which one the caller got is
    // not followed, so what it does with the result says nothing of the child.
    if (into && mixedReturns(def.node)) out.push({ op: 'escape', h: into, to: 'caller', at: rangeOf(n), why: `${key}() returns the child on some paths and other values on others` });
    return into;
  }
}

/** The function a bare `name(...)` calls from function `at`: the innermost enclosing one's nested def, else a top-level one. */
export function scopedKey(defs: ReadonlyMap<string, Def>, name: string, at: string | undefined): string | undefined {
  for (let scope = at; scope; scope = scope.includes('.') ? scope.slice(0, scope.lastIndexOf('.')) : undefined) {
    const d = defs.get(`${scope}.${name}`);
    if (d && !d.cls) return d.key;
  }
  const d = defs.get(name);
  return d && !d.cls ? name : undefined;
}
