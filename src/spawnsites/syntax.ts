/** Small helpers over tree-sitter nodes shared by the language scanners. */
import type { SyntaxNode } from './parser';
import type { SourceRange } from './types';

/** The node's span, 1-based (tree-sitter rows and columns are 0-based). */
export function rangeOf(node: SyntaxNode): SourceRange {
  return {
    startLine: node.startPosition.row + 1,
    startColumn: node.startPosition.column + 1,
    endLine: node.endPosition.row + 1,
    endColumn: node.endPosition.column + 1,
  };
}

export function lineOf(node: SyntaxNode): number {
  return node.startPosition.row + 1;
}

/**
 * Named children, without allocating the unnamed ones: web-tree-sitter's `namedChildren`, one
 * call into WASM for all of them (namedChildCount and namedChild(i) were one call each, the most
 * frequent calls of the whole index).
 */
export function named(node: SyntaxNode): SyntaxNode[] {
  return node.namedChildren;
}

/** Pre-order walk; `visit` returns false to skip a node's children. */
export function walk(node: SyntaxNode, visit: (n: SyntaxNode) => boolean | void): void {
  const cursor = node.walk();
  try {
    let depth = 0;
    for (;;) {
      const descend = visit(cursor.currentNode) !== false;
      if (descend && cursor.gotoFirstChild()) {
        depth++;
        continue;
      }
      for (;;) {
        if (depth === 0) return;
        if (cursor.gotoNextSibling()) break;
        cursor.gotoParent();
        depth--;
      }
    }
  } finally {
    cursor.delete();
  }
}

/**
 * All descendants (the node included) whose type is in `types`, in document order. Collected by
 * web-tree-sitter inside WASM, far cheaper than visiting every node from JavaScript.
 */
export function descendants(node: SyntaxNode, types: ReadonlySet<string>): SyntaxNode[] {
  const found = node.descendantsOfType([...types]);
  if (types.has(node.type) && !found.some((n) => n.id === node.id)) found.unshift(node);
  return found;
}

/** The nearest ancestor (not the node itself) whose type is in `types`. */
export function ancestor(node: SyntaxNode, types: ReadonlySet<string>): SyntaxNode | null {
  for (let p = node.parent; p; p = p.parent) if (types.has(p.type)) return p;
  return null;
}

/** True when `inner` lies within `outer` (same tree). */
export function contains(outer: SyntaxNode, inner: SyntaxNode): boolean {
  return inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}

/** Decodes the usual backslash escapes shared by C, Go, Python, JS and Rust string literals. */
export function unescape(body: string): string {
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '0': out += '\0'; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case 'x': {
        const hex = body.slice(i + 1, i + 3);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2;
        break;
      }
      default: out += e;
    }
  }
  return out;
}

/** Last path element, as the kernel derives comm from the file it executes (`kbasename`). */
export function baseName(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash >= 0 ? trimmed.slice(slash + 1) : trimmed;
}

/**
 * The kernel's comm for a program: its basename cut to 15 bytes (TASK_COMM_LEN is 16 with the
 * NUL). The cut is by bytes and can split a multi-byte character; decoding the cut bytes as UTF-8
 * (with U+FFFD for the broken tail) gives the same string the /proc reader makes of such a comm.
 */
export function commOf(program: string): string {
  return commBytesOf(program).toString('utf8');
}

/** The raw bytes of commOf, for comparing with a comm the reader could only give in hex. */
export function commBytesOf(program: string): Buffer {
  const bytes = Buffer.from(baseName(program), 'utf8');
  return bytes.length <= 15 ? bytes : bytes.subarray(0, 15);
}

/** The first word of a shell command line (what `sh -c` would run first), or null. */
export function firstWord(command: string): string | null {
  const word = command.trim().split(/\s+/)[0];
  return word ? word : null;
}
