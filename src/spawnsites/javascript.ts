/**
 * JavaScript and TypeScript spawn sites: child_process.spawn/exec/execFile/fork and their Sync
 * forms, reached through `import`, `require` (destructured or not) or `node:child_process`.
 *
 * Waited: always `yes`. Node's libuv installs a SIGCHLD handler and reaps every child it spawned
 * as soon as it exits, whether or not the program listens for 'exit', as long as the event loop
 * gets to run; the Sync forms return only after the child has exited. A zombie under Node
 * therefore means a blocked event loop, not a missing call, so these sites are listed (for
 * linking) but never flagged.
 */
import type { SyntaxNode } from './parser';
import { ancestor, descendants, firstWord, named, rangeOf, unescape } from './syntax';
import type { FileScan, ProgramSource, SiteLanguage, SpawnSite } from './types';

const ASYNC = new Set(['spawn', 'exec', 'execFile', 'fork']);
const SYNC = new Set(['spawnSync', 'execSync', 'execFileSync']);
const MODULES = new Set(['child_process', 'node:child_process']);
const FUNCTIONS = new Set(['function_declaration', 'function_expression', 'arrow_function', 'method_definition', 'generator_function_declaration']);

function jsString(node: SyntaxNode | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'string') {
    let out = '';
    for (const c of named(node)) out += c.type === 'escape_sequence' ? unescape(c.text) : c.text;
    return out;
  }
  if (node.type === 'template_string') {
    if (named(node).some((c) => c.type === 'template_substitution')) return undefined;
    return unescape(node.text.slice(1, -1));
  }
  return undefined;
}

/** `require('child_process')` or `require("node:child_process")`. */
function isRequire(node: SyntaxNode | null): boolean {
  if (node?.type !== 'call_expression' || node.childForFieldName('function')?.text !== 'require') return false;
  const arg = node.childForFieldName('arguments')?.namedChild(0);
  return MODULES.has(jsString(arg) ?? '');
}

export class JsScanner {
  /** local name -> child_process function (`spawn`, `exec`...) */
  private readonly functions = new Map<string, string>();
  /** local names bound to the module itself */
  private readonly namespaces = new Set<string>();
  private readonly constants = new Map<string, string>();

  constructor(
    private readonly root: SyntaxNode,
    private readonly file: string,
    private readonly language: SiteLanguage,
  ) {
    this.readBindings();
  }

  private readBindings(): void {
    for (const n of descendants(this.root, new Set(['import_statement', 'variable_declarator', 'import_alias']))) {
      if (n.type === 'import_statement') {
        if (!MODULES.has(jsString(n.childForFieldName('source')) ?? '')) continue;
        for (const c of descendants(n, new Set(['import_specifier', 'namespace_import', 'import_clause']))) {
          if (c.type === 'import_specifier') {
            const name = c.childForFieldName('name')?.text;
            const alias = c.childForFieldName('alias')?.text ?? name;
            if (name && alias) this.functions.set(alias, name);
          } else if (c.type === 'namespace_import') {
            const id = c.namedChild(0)?.text;
            if (id) this.namespaces.add(id);
          } else {
            const def = c.namedChild(0);
            if (def?.type === 'identifier') this.namespaces.add(def.text);
          }
        }
        continue;
      }
      if (n.type === 'import_alias') continue;
      const name = n.childForFieldName('name');
      const value = n.childForFieldName('value');
      if (!name || !value) continue;
      const lit = jsString(value);
      if (lit !== undefined && name.type === 'identifier') this.constants.set(name.text, lit);
      if (!isRequire(value)) continue;
      if (name.type === 'identifier') this.namespaces.add(name.text);
      else if (name.type === 'object_pattern') {
        for (const p of named(name)) {
          if (p.type === 'shorthand_property_identifier_pattern') this.functions.set(p.text, p.text);
          else if (p.type === 'pair_pattern') {
            const key = p.childForFieldName('key')?.text;
            const val = p.childForFieldName('value')?.text;
            if (key && val) this.functions.set(val, key);
          }
        }
      }
    }
    // TypeScript `import cp = require('child_process')`.
    for (const n of descendants(this.root, new Set(['import_require_clause']))) {
      const id = n.namedChild(0);
      const src = n.childForFieldName('source') ?? n.namedChild(1);
      if (id?.type === 'identifier' && MODULES.has(jsString(src) ?? '')) this.namespaces.add(id.text);
    }
  }

  /** The child_process function a call invokes, if any. */
  private api(call: SyntaxNode): string | undefined {
    const fn = call.childForFieldName('function');
    if (!fn) return undefined;
    if (fn.type === 'identifier') return this.functions.get(fn.text);
    if (fn.type === 'member_expression') {
      const obj = fn.childForFieldName('object');
      const prop = fn.childForFieldName('property')?.text;
      if (!prop || !(ASYNC.has(prop) || SYNC.has(prop))) return undefined;
      if ((obj?.type === 'identifier' && this.namespaces.has(obj.text)) || isRequire(obj)) return prop;
    }
    return undefined;
  }

  scan(): FileScan {
    const sites: SpawnSite[] = [];
    for (const call of descendants(this.root, new Set(['call_expression']))) {
      const api = this.api(call);
      if (!api || !(ASYNC.has(api) || SYNC.has(api))) continue;
      const args = named(call.childForFieldName('arguments')!).filter((a) => a.type !== 'comment');
      let program = this.value(args[0]);
      let source: ProgramSource | undefined = program.source;
      let forksSelf = false;
      const shellOpt = args.some((a) => a.type === 'object' && named(a).some((p) => p.type === 'pair' && p.childForFieldName('key')?.text === 'shell' && p.childForFieldName('value')?.text !== 'false'));
      if ((api === 'exec' || api === 'execSync' || shellOpt) && program.value) program = { value: firstWord(program.value), source };
      if (api === 'fork') {
        // fork() runs process.execPath (node) on the module: the child's comm is the parent's.
        forksSelf = true;
        source = 'interpreter';
      }
      const r = rangeOf(call);
      const site: SpawnSite = {
        file: this.file,
        line: r.startLine,
        column: r.startColumn,
        language: this.language,
        api: `child_process.${api}`,
        program: program.value,
        waited: 'yes',
        reason: SYNC.has(api)
          ? `${api}() returns only after the child has exited`
          : `Node (libuv) reaps the child as soon as it exits, while the event loop runs`,
        range: r,
      };
      if (source) site.programSource = source;
      if (forksSelf) site.forksSelf = true;
      if (api === 'exec' || api === 'execSync' || shellOpt) site.fork = { shell: true };
      const fn = ancestor(call, FUNCTIONS);
      const fnName = fn?.childForFieldName('name')?.text;
      if (fnName) site.function = fnName;
      sites.push(site);
    }
    return { sites, findings: [] };
  }

  private value(node: SyntaxNode | undefined): { value: string | null; source?: ProgramSource } {
    const lit = jsString(node);
    if (lit !== undefined) return { value: lit, source: 'literal' };
    if (node?.type === 'identifier' && this.constants.has(node.text)) return { value: this.constants.get(node.text)!, source: 'constant' };
    return { value: null };
  }
}

export function scanJavaScript(root: SyntaxNode, file: string, language: 'javascript' | 'typescript'): FileScan {
  return new JsScanner(root, file, language).scan();
}
