/**
 * Tree-sitter, loaded once: the web-tree-sitter runtime and one WASM grammar per language, each
 * loaded on first use (a workspace with no Rust never pays for the Rust grammar).
 *
 * Where the .wasm files are: the extension and the CLI are esbuild bundles (dist/extension.js,
 * dist/cli.js) and scripts/build.mjs copies the files to dist/wasm/ beside them, which is all a
 * packaged extension has. Tests run the file-by-file transpile in out/src/spawnsites/, from which
 * the repository's dist/wasm/ or node_modules are found by walking up. PROCESS_INSPECTOR_WASM_DIR
 * overrides both.
 */
import type Parser = require('web-tree-sitter');
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type Grammar = 'go' | 'c' | 'cpp' | 'python' | 'javascript' | 'typescript' | 'tsx' | 'rust';
export type SyntaxNode = Parser.SyntaxNode;
export type Tree = Parser.Tree;

/** The grammar files build.mjs copies to dist/wasm (tree-sitter-wasms 0.1.13, ABI 14). */
export const GRAMMAR_FILES: Readonly<Record<Grammar, string>> = {
  go: 'tree-sitter-go.wasm',
  c: 'tree-sitter-c.wasm',
  cpp: 'tree-sitter-cpp.wasm',
  python: 'tree-sitter-python.wasm',
  javascript: 'tree-sitter-javascript.wasm',
  typescript: 'tree-sitter-typescript.wasm',
  tsx: 'tree-sitter-tsx.wasm',
  rust: 'tree-sitter-rust.wasm',
};
export const RUNTIME_WASM = 'tree-sitter.wasm';

/** Where each file lives inside node_modules, for the unbundled case. */
function moduleSpecifier(file: string): string {
  return file === RUNTIME_WASM ? `web-tree-sitter/${file}` : `tree-sitter-wasms/out/${file}`;
}

/**
 * Finds a .wasm file: $PROCESS_INSPECTOR_WASM_DIR, then a `wasm/` or `dist/wasm/` directory beside
 * this code or up to four levels above it, then node_modules. Throws with every place tried.
 */
export function locateWasm(file: string): string {
  const tried: string[] = [];
  const envDir = process.env.PROCESS_INSPECTOR_WASM_DIR;
  if (envDir) tried.push(join(envDir, file));
  let dir = __dirname;
  for (let up = 0; up <= 4; up++) {
    tried.push(join(dir, 'wasm', file), join(dir, 'dist', 'wasm', file));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const candidate of tried) if (existsSync(candidate)) return candidate;
  try {
    return require.resolve(moduleSpecifier(file));
  } catch {
    tried.push(`node_modules/${moduleSpecifier(file)}`);
  }
  throw new Error(`cannot find ${file}; looked in:\n  ${tried.join('\n  ')}`);
}

/**
 * The web-tree-sitter runtime, required on first use: a start from the saved index that finds
 * nothing changed parses nothing, and so never loads it (bench/sites.mjs, "A start from the saved
 * index").
 */
let runtimeModule: typeof Parser | undefined;
function treeSitter(): typeof Parser {
  // A require at the call, not an import: an import would load the module with this one.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  runtimeModule ??= require('web-tree-sitter') as typeof Parser;
  return runtimeModule;
}

let runtime: Promise<void> | undefined;
const languages = new Map<Grammar, Promise<Parser.Language>>();
const loaded = new Map<Grammar, Parser.Language>();
const parsers = new Map<Grammar, Parser>();
/**
 * Grammar loads run one at a time: web-tree-sitter links each grammar into the shared WASM
 * module, and two links in flight corrupt each other ("bad export type for
 * 'tree_sitter_python_external_scanner_create'" when Go and Python loaded together).
 */
let loadChain: Promise<unknown> = Promise.resolve();

/** Loads the tree-sitter runtime (once per process). */
export function initTreeSitter(): Promise<void> {
  runtime ??= treeSitter().init({
    // Emscripten looks for tree-sitter.wasm beside the script by default; in a bundle that is
    // dist/, not dist/wasm/, so every lookup goes through locateWasm.
    locateFile: (name: string) => locateWasm(name),
  });
  return runtime;
}

/** Loads one grammar (once per process). */
export function loadGrammar(grammar: Grammar): Promise<Parser.Language> {
  let pending = languages.get(grammar);
  if (!pending) {
    pending = loadChain
      .catch(() => undefined)
      .then(() => initTreeSitter())
      .then(() => treeSitter().Language.load(readFileSync(locateWasm(GRAMMAR_FILES[grammar]))))
      .then((language) => {
        loaded.set(grammar, language);
        return language;
      });
    loadChain = pending;
    languages.set(grammar, pending);
    // A failed load must not stick: the next call tries again.
    pending.catch(() => languages.delete(grammar));
  }
  return pending;
}

/** A parser for a grammar, loading it if needed. Parsers are reused: everything here parses synchronously, one file at a time. */
export async function parserFor(grammar: Grammar): Promise<Parser> {
  await loadGrammar(grammar);
  return loadedParser(grammar)!;
}

/** The parser of a grammar already loaded (the synchronous path of the index), else undefined. */
export function loadedParser(grammar: Grammar): Parser | undefined {
  let parser = parsers.get(grammar);
  if (!parser) {
    const language = loaded.get(grammar);
    if (!language) return undefined;
    parser = new (treeSitter())();
    parser.setLanguage(language);
    parsers.set(grammar, parser);
  }
  return parser;
}

/** Parses text; the caller must `tree.delete()` when done (trees live in WASM memory). */
export async function parse(grammar: Grammar, text: string): Promise<Tree> {
  return (await parserFor(grammar)).parse(text);
}
