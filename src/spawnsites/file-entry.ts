/**
 * What the spawn-site index keeps of one file (FileEntry), and how a file's text becomes one: an
 * empty entry for a file that cannot hold a site (for Go, its package and imports still), or the
 * parse and the language's scan, the time each step took added to the index's phases.
 */
import { dirname } from 'node:path';
import type { GoFileFacts, GoPackageView } from './go';
import { goInterestingIdents, keepRelevant, outlineGo } from './golex';
import { type Grammar, loadedParser } from './parser';
import { neverRunsWithZombies, withoutZombies } from './platform';
import type { LanguageInfo } from './prefilter';
// Loaded on first use (scanners.ts): a start from the saved index with nothing changed scans nothing.
import { scanC, scanGo, scanJavaScript, scanPython, scanRust } from './scanners';
import type { FileSig } from './snapshot';
import type { FileScan, SiteLanguage } from './types';

/** What the index keeps about Go files, for packages and programs. */
export interface GoInfo {
  packageName: string;
  imports: string[];
  /** Analysis results; absent for files that cannot hold a site. */
  facts?: GoFileFacts;
}

export interface FileEntry {
  path: string;
  language: SiteLanguage;
  grammar: Grammar;
  scan: FileScan;
  go?: GoInfo;
  /** The bytes this entry came from: what a later start compares with the disk. */
  sig?: FileSig;
}

/** What a scan needs of the index: whether to cut Go files down, where to add its time, the view of a Go file's package. */
export interface ScanContext {
  prefilter: boolean;
  phases: { outline: number; parse: number; analyze: number };
  goView(path: string, dir: string, packageName: string | undefined): GoPackageView;
}

export function emptyEntry(path: string, info: LanguageInfo, bytes: Buffer): FileEntry {
  const entry: FileEntry = { path, ...info, scan: { sites: [], findings: [] } };
  if (info.language === 'go') {
    // Only the head: whether this is a command (package main) and what it imports. Decode a
    // window that grows until the imports end inside it (they usually do within 4 KB).
    let window = 4096;
    let head = outlineGo(bytes.toString('utf8', 0, Math.min(bytes.length, window)), { headOnly: true });
    while (window < bytes.length && head.headEnd >= Math.min(bytes.length, window) - 1) {
      window *= 4;
      head = outlineGo(bytes.toString('utf8', 0, Math.min(bytes.length, window)), { headOnly: true });
    }
    entry.go = { packageName: head.packageName, imports: head.imports.map((i) => i.path) };
  }
  return entry;
}

/** Parses and scans one file (grammars must be loaded). */
export function scanFile(ctx: ScanContext, path: string, info: LanguageInfo, text: string): FileEntry {
  const parser = loadedParser(info.grammar);
  if (!parser) throw new Error(`grammar ${info.grammar} not loaded`);
  if (info.language === 'go') return scanGoText(ctx, path, info, text);
  let t = performance.now();
  const tree = parser.parse(text);
  ctx.phases.parse += performance.now() - t;
  t = performance.now();
  try {
    let scan: FileScan;
    switch (info.language) {
      case 'c':
      case 'cpp':
        scan = scanC(tree.rootNode, path, info.language);
        break;
      case 'python':
        scan = scanPython(tree.rootNode, path, text);
        break;
      case 'javascript':
      case 'typescript':
        scan = scanJavaScript(tree.rootNode, path, info.language);
        break;
      case 'rust':
        scan = scanRust(tree.rootNode, path);
        break;
      default:
        scan = { sites: [], findings: [] };
    }
    // (Only a file with sites asks: a Rust module's answer may read its parent module's file.)
    const why = scan.sites.length ? neverRunsWithZombies(path, info.language, text) : undefined;
    return { path, ...info, scan: why ? withoutZombies(scan, why) : scan };
  } finally {
    tree.delete();
    ctx.phases.analyze += performance.now() - t;
  }
}

export function scanGoText(ctx: ScanContext, path: string, info: LanguageInfo, text: string): FileEntry {
  const parser = loadedParser('go')!;
  let source = text;
  let outline;
  let t = performance.now();
  if (ctx.prefilter) {
    outline = outlineGo(text, { interesting: goInterestingIdents });
    source = keepRelevant(text, outline).text;
  }
  ctx.phases.outline += performance.now() - t;
  t = performance.now();
  let tree = parser.parse(source);
  if (source !== text && tree.rootNode.hasError) {
    // Blanking must never change the result: on any doubt parse the whole file.
    tree.delete();
    source = text;
    tree = parser.parse(text);
  }
  ctx.phases.parse += performance.now() - t;
  t = performance.now();
  try {
    const dir = dirname(path);
    const facts = scanGo(tree.rootNode, path, ctx.goView(path, dir, outline?.packageName), source, text);
    const scan = { sites: facts.sites, findings: facts.findings };
    const why = neverRunsWithZombies(path, 'go', text);
    return { path, ...info, scan: why ? withoutZombies(scan, why) : scan, go: { packageName: facts.packageName, imports: facts.imports, facts } };
  } finally {
    tree.delete();
    ctx.phases.analyze += performance.now() - t;
  }
}
