/**
 * What the names of one Go file mean, read before any function is lowered: its imports, its
 * top-level functions, constants, `flag.String` variables and *exec.Cmd fields, what a program
 * argument names, and which conditions test the platform or a Start's error. GoScanner (go.ts)
 * extends it with what the APIs do. Whatever it reads from the package's other files is noted in
 * `consulted`: the file is analysed again when one of those changes (index.ts).
 */
import { isErrPredicate, STD_ERR_PREDICATES } from './go-errpred';
import { goosComparison, PLATFORM_NAME } from './go-platform';
import type { GoPackageView } from './go';
import { goInterestingIdents, hasInterestingIdent, SMALL_VAR_ROWS } from './golex';
import { type FnLower, type HandleKind, stringValue } from './lower/go';
import type { SyntaxNode } from './parser';
import { baseName, named, walk } from './syntax';
import type { ProgramSource } from './types';

interface Imports {
  byName: Map<string, string>;
  byPath: Map<string, string[]>;
  list: { name?: string; path: string }[];
}

function readImports(root: SyntaxNode): Imports {
  const byName = new Map<string, string>();
  const byPath = new Map<string, string[]>();
  const list: { name?: string; path: string }[] = [];
  for (const decl of named(root)) {
    if (decl.type !== 'import_declaration') continue;
    walk(decl, (n) => {
      if (n.type !== 'import_spec') return true;
      const path = stringValue(n.childForFieldName('path'));
      if (path === undefined) return false;
      const alias = n.childForFieldName('name');
      list.push(alias ? { name: alias.text, path } : { path });
      // `import _ "x"` binds nothing; `import . "x"` is too rare here to model.
      const local = alias ? alias.text : baseName(path);
      if (local === '_' || local === '.') return false;
      byName.set(local, path);
      byPath.set(path, [...(byPath.get(path) ?? []), local]);
      return false;
    });
  }
  return { byName, byPath, list };
}

const HANDLE_TYPES: Record<string, { path: string; kind: HandleKind }> = {
  Cmd: { path: 'os/exec', kind: 'cmd' },
  Process: { path: 'os', kind: 'process' },
};

function functionKey(decl: SyntaxNode): string | undefined {
  const name = decl.childForFieldName('name')?.text;
  if (!name) return undefined;
  return decl.type === 'method_declaration' ? `.${name}` : name;
}

/** Go's rule: an upper-case first letter exports. */
export function exportedName(name: string): boolean {
  const c = name.charCodeAt(0);
  if (c < 128) return c >= 65 && c <= 90;
  const ch = String.fromCodePoint(name.codePointAt(0)!);
  return ch !== ch.toLowerCase() && ch === ch.toUpperCase();
}

/** One file's names; see the head of this file. */
export abstract class GoNames {
  protected readonly imports: Imports;
  private readonly osNames: Set<string>;
  private readonly pathNames: Set<string>;
  private readonly flagNames: Set<string>;
  protected readonly localFuncs = new Map<string, SyntaxNode>();
  protected readonly interesting: Set<string>;
  protected readonly constants = new Map<string, string>();
  protected readonly flags = new Map<string, { flag: string; value: string }>();
  protected readonly cmdFields = new Set<string>();
  protected readonly consulted = new Set<string>();
  readonly text: string;
  /** The lowering of the function being lowered (for program names: its local constants). */
  protected current?: FnLower;

  constructor(
    protected readonly root: SyntaxNode,
    readonly file: string,
    protected readonly pkg: GoPackageView,
    text?: string,
    /** The whole file, when `root` was parsed from a cut-down copy (fields used in the cut parts count). */
    protected readonly fullText?: string,
  ) {
    this.text = text ?? root.tree.rootNode.text;
    this.imports = readImports(root);
    const names = (path: string) => new Set(this.imports.byPath.get(path) ?? []);
    this.osNames = names('os');
    this.pathNames = new Set([...names('path/filepath'), ...names('path')]);
    this.flagNames = names('flag');
    this.interesting = goInterestingIdents(this.imports.list);
    this.readTopLevel();
  }

  private readTopLevel(): void {
    for (const decl of named(this.root)) {
      if (decl.type === 'function_declaration' || decl.type === 'method_declaration') {
        const key = functionKey(decl);
        if (key && decl.childForFieldName('body')) this.localFuncs.set(key, decl);
      } else if (decl.type === 'const_declaration' || decl.type === 'var_declaration') {
        // Same rule as the index's pre-pass (golex.keepRelevant): a long var block (a table) is
        // read only when it mentions a handle API.
        if (decl.type === 'var_declaration' && decl.endPosition.row - decl.startPosition.row >= SMALL_VAR_ROWS && !hasInterestingIdent(decl.text, this.interesting)) continue;
        walk(decl, (n) => {
          if (n.type !== 'const_spec' && n.type !== 'var_spec') return true;
          const names = n.childrenForFieldName('name').filter((x) => x.type === 'identifier');
          const values = n.childForFieldName('value');
          const exprs = values ? named(values) : [];
          names.forEach((name, i) => {
            const lit = stringValue(exprs[i] ?? null);
            if (lit !== undefined) this.constants.set(name.text, lit);
            const flag = exprs[i] && this.flagDefault(exprs[i]);
            if (flag) this.flags.set(name.text, flag);
          });
          return false;
        });
      } else if (decl.type === 'type_declaration') {
        walk(decl, (n) => {
          if (n.type !== 'field_declaration') return true;
          if (this.handleType(n.childForFieldName('type')) === 'cmd') {
            for (const f of n.childrenForFieldName('name')) if (f.type === 'field_identifier') this.cmdFields.add(f.text);
          }
          return false;
        });
      }
    }
  }

  /** `flag.String("bin", "default", "usage")` -> {flag, value}. */
  private flagDefault(expr: SyntaxNode): { flag: string; value: string } | undefined {
    if (expr.type !== 'call_expression') return undefined;
    const fn = expr.childForFieldName('function');
    if (fn?.type !== 'selector_expression') return undefined;
    const pkg = fn.childForFieldName('operand')?.text;
    if (!pkg || !this.flagNames.has(pkg) || fn.childForFieldName('field')?.text !== 'String') return undefined;
    const args = named(expr.childForFieldName('arguments')!);
    const flag = stringValue(args[0] ?? null);
    const value = stringValue(args[1] ?? null);
    return flag !== undefined && value !== undefined ? { flag, value } : undefined;
  }

  handleType(type: SyntaxNode | null): HandleKind | undefined {
    if (!type) return undefined;
    if (type.type === 'pointer_type') type = type.namedChild(0);
    if (!type || type.type !== 'qualified_type') return undefined;
    const pkg = type.childForFieldName('package')?.text;
    const name = type.childForFieldName('name')?.text;
    const want = name ? HANDLE_TYPES[name] : undefined;
    if (!pkg || !want || this.imports.byName.get(pkg) !== want.path) return undefined;
    return want.kind;
  }

  isGoos(node: SyntaxNode | null): boolean {
    const operand = node?.type === 'selector_expression' ? node.childForFieldName('operand') : null;
    return operand?.type === 'identifier' && node!.childForFieldName('field')?.text === 'GOOS' && this.imports.byName.get(operand.text) === 'runtime';
  }

  goosCase(value: SyntaxNode): { holds: boolean; words: string } | undefined {
    const v = stringValue(value) ?? (value.type === 'identifier' ? this.constants.get(value.text) ?? this.pkgConstant(value.text) : undefined);
    const holds = v === undefined ? undefined : goosComparison('==', v);
    return holds === undefined ? undefined : { holds, words: `\`runtime.GOOS == ${value.text}\`` };
  }

  platform(cond: SyntaxNode): { holds: boolean; words: string } | undefined {
    if (cond.type === 'binary_expression') {
      const op = cond.childForFieldName('operator')?.text ?? '';
      let [a, b] = [cond.childForFieldName('left'), cond.childForFieldName('right')];
      if (!this.isGoos(a)) [a, b] = [b, a];
      if (!b || !this.isGoos(a) || (op !== '==' && op !== '!=')) return undefined;
      const p = this.goosCase(b);
      return p && { holds: op === '==' ? p.holds : !p.holds, words: `\`${cond.text}\`` };
    }
    let found: { holds: boolean; words: string } | undefined;
    // Only names that may be such a constant are looked up: reading a package's files for every
    // `if debug` would cost the cold index more than it finds.
    const name = cond.type === 'identifier' ? cond.text : cond.type === 'selector_expression' ? (cond.childForFieldName('field')?.text ?? '') : '';
    if (!PLATFORM_NAME.test(name)) return undefined;
    if (cond.type === 'identifier') found = this.pkg.platformConst?.(undefined, name);
    else {
      const operand = cond.childForFieldName('operand');
      const path = operand?.type === 'identifier' ? this.imports.byName.get(operand.text) : undefined;
      if (path !== undefined) found = this.pkg.platformConst?.(path, name);
    }
    return found && { holds: found.holds, words: `\`${cond.text}\` (${found.words})` };
  }

  errPredicate(call: SyntaxNode): string | undefined {
    const fn = call.childForFieldName('function');
    if (fn?.type === 'selector_expression') {
      const pkg = fn.childForFieldName('operand');
      const field = fn.childForFieldName('field')?.text ?? '';
      const path = pkg?.type === 'identifier' ? this.imports.byName.get(pkg.text) : undefined;
      return path !== undefined && STD_ERR_PREDICATES[path]?.has(field) ? `${pkg!.text}.${field}() is false for a nil error` : undefined;
    }
    if (fn?.type !== 'identifier') return undefined;
    const local = this.localFuncs.get(fn.text);
    const here = local ? isErrPredicate([local.text], fn.text) : undefined;
    const there = this.pkg.errPredicate?.(fn.text);
    if (here === false || there === false || (here ?? there) === undefined) return undefined;
    return `${fn.text}() is true only for an error`;
  }

  // --- programs ---

  /** What a program argument names, when it can be known from the source. */
  protected program(arg: SyntaxNode): { program: string | null; programSource?: ProgramSource; flag?: string } {
    const lit = stringValue(arg);
    if (lit !== undefined) return { program: lit, programSource: 'literal' };
    if (arg.type === 'parenthesized_expression' && arg.namedChild(0)) return this.program(arg.namedChild(0)!);
    if (arg.type === 'identifier') {
      const local = this.current?.lookup(arg.text);
      if (local) return local.literal !== undefined ? { program: local.literal, programSource: 'constant' } : { program: null };
      const c = this.constants.get(arg.text) ?? this.pkgConstant(arg.text);
      if (c !== undefined) return { program: c, programSource: 'constant' };
      return { program: null };
    }
    if (arg.type === 'unary_expression' && arg.childForFieldName('operator')?.text === '*') {
      const operand = arg.childForFieldName('operand');
      if (operand?.type === 'identifier' && !this.current?.lookup(operand.text)) {
        const f = this.flags.get(operand.text) ?? this.pkgFlag(operand.text);
        if (f && f.value) return { program: f.value, programSource: 'flag-default', flag: f.flag };
        if (f) return { program: null, flag: f.flag };
      }
      return { program: null };
    }
    if (arg.type === 'index_expression') {
      // os.Args[0]: the program runs itself again.
      const operand = arg.childForFieldName('operand');
      const index = arg.childForFieldName('index');
      if (operand?.type === 'selector_expression' && index?.text === '0') {
        const pkg = operand.childForFieldName('operand')?.text;
        if (pkg && this.osNames.has(pkg) && operand.childForFieldName('field')?.text === 'Args') return { program: null, programSource: 'self' };
      }
      return { program: null };
    }
    if (arg.type === 'call_expression') {
      const fn = arg.childForFieldName('function');
      if (fn?.type === 'selector_expression') {
        const pkg = fn.childForFieldName('operand')?.text ?? '';
        const field = fn.childForFieldName('field')?.text;
        const args = named(arg.childForFieldName('arguments')!);
        if (this.pathNames.has(pkg) && (field === 'Join' || field === 'Base') && args.length) {
          const last = this.program(args[args.length - 1]);
          if (last.program !== null) return { program: baseName(last.program), programSource: 'path-base' };
        }
      }
    }
    return { program: null };
  }

  private pkgConstant(name: string): string | undefined {
    this.consulted.add(`const:${name}`);
    return this.pkg.constant(name);
  }

  private pkgFlag(name: string): { flag: string; value: string } | undefined {
    this.consulted.add(`flag:${name}`);
    return this.pkg.flag(name);
  }
}
