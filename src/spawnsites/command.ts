/**
 * `process-inspector sites DIR [--json | --sarif] [--check]`: every spawn site under DIR, whether
 * its child is waited for, and why; or the findings as SARIF 2.1.0 for code scanning. The CLI dispatches here; this module never touches process.stdout or
 * process.exit itself, so it runs the same in tests.
 */
import { readFileSync, statSync, utimesSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { escapeText } from '../core/format';
import { type IndexDirectoryOptions, type IndexProgress, type IndexStats, SpawnSiteIndex } from './index';
import { buildSarif } from './sarif';
import { defaultSnapshotDir, indexBuild, pruneSnapshotDir, readSnapshotFile, snapshotFile, writeSnapshotFile } from './snapshot';
import type { SpawnSite } from './types';

export interface CommandIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Set when stderr is a terminal: a progress line drawn in place (undefined: erase it). */
  progress?: (line: string | undefined) => void;
}

/** An onProgress for indexWithCache that draws on `io.progress` (nothing when there is none). */
export function progressLine(progress: CommandIO['progress']): ((p: IndexProgress) => void) | undefined {
  if (!progress) return undefined;
  const words = { walk: 'finding source files', read: 'reading', parse: 'parsing' };
  return (p) => progress(`indexing spawn sites: ${words[p.phase]} ${p.done}${p.total !== undefined ? ` of ${p.total}` : ''} files…`);
}

declare const PI_VERSION: string | undefined;

/** `sites --check` exits with this when any warning is found (after printing as usual). */
export const EXIT_FINDINGS = 4;

export const SITES_USAGE = `Usage: process-inspector sites DIR [--json | --sarif] [--check] [--no-cache]

Lists every place under DIR that starts a child process (Go, C/C++, Python,
JavaScript/TypeScript, Rust), whether the child is waited for, and why.

  --json     {"sites":[{"file","line","column","language","api","program","waited","reason"}]}
             (an exec in a fork's child adds "childOf": the fork's line; the
             child is counted once, at its fork)
  --sarif    the never-waited findings as SARIF 2.1.0 (one result each, the lines
             that decide it as relatedLocations, the quick fix as fixes), for
             code-scanning tools; URIs relative to %SRCROOT%, which is DIR
  --check    exit ${EXIT_FINDINGS} when any warning is found (for CI), after the output
  --no-cache index DIR from scratch, and save nothing
  --         the end of the options: a DIR that starts with - goes after it
  -h, --help this text

The index of DIR is saved in $PROCESS_INSPECTOR_CACHE_DIR (default
$XDG_CACHE_HOME/process-inspector/sites, or ~/.cache/process-inspector/sites):
the next run reads only the files changed since. A damaged or outdated saved
index is ignored; one unused for 30 days is deleted.

Exit status: 0 on success, 1 when DIR cannot be read, 2 on bad arguments,
${EXIT_FINDINGS} with --check when a child is never waited for (a warning).
`;

/** The JSON shape of one site: `file` relative to DIR, with forward slashes. */
export interface SiteJson {
  file: string;
  line: number;
  column: number;
  language: SpawnSite['language'];
  api: string;
  program: string | null;
  waited: SpawnSite['waited'];
  reason: string;
  /** An exec in the child of the fork at this line: the same child as the fork's, counted there. */
  childOf?: number;
}

export function siteJson(site: SpawnSite, root: string): SiteJson {
  return {
    file: relative(root, site.file).split('\\').join('/'),
    line: site.line,
    column: site.column,
    language: site.language,
    api: site.api,
    program: site.program,
    waited: site.waited,
    reason: site.reason,
    ...(site.fork?.forkLine !== undefined ? { childOf: site.fork.forkLine } : {}),
  };
}

/**
 * Indexes `root`, starting from the index saved by an earlier run when `cacheDir` is given, and
 * saves the result there when anything had to be read. `warnings` are for stderr: a saved index
 * that was damaged, or one that could not be saved; neither stops the index.
 */
export async function indexWithCache(root: string, cacheDir: string | undefined, run: Pick<IndexDirectoryOptions, 'onProgress' | 'signal'> = {}): Promise<{ index: SpawnSiteIndex; stats: IndexStats; warnings: string[] }> {
  const index = new SpawnSiteIndex();
  const warnings: string[] = [];
  if (cacheDir === undefined || indexBuild() === undefined) return { index, stats: await index.indexDirectory(root, run), warnings };
  const file = snapshotFile(cacheDir, root);
  const saved = readSnapshotFile(file);
  if (saved.error) warnings.push(`ignoring the saved index: ${saved.error}`);
  const stats = await index.indexDirectory(root, saved.data !== undefined ? { ...run, snapshot: saved.data } : run);
  if (stats.snapshotRejected && !stats.snapshotOutdated) {
    warnings.push(`ignoring the saved index ${file}: ${stats.snapshotRejected}`);
  }
  // Saved again when anything had to be read, or files are gone since: otherwise it is as it was.
  if (saved.data === undefined || stats.snapshotRejected || stats.reused < stats.files || stats.snapshotFiles !== stats.files) {
    const error = writeSnapshotFile(file, index.snapshot());
    if (error) warnings.push(error);
    else pruneSnapshotDir(cacheDir);
  } else {
    // Used as it was: its mtime says when it was last used, for pruneSnapshotDir.
    try {
      const now = new Date();
      utimesSync(file, now, now);
    } catch {
      // read-only cache: it is only pruned earlier
    }
  }
  return { index, stats, warnings };
}

/** The CLI's cache directory, or undefined with --no-cache. */
export function cacheDirFor(noCache: boolean | undefined): string | undefined {
  return noCache ? undefined : defaultSnapshotDir();
}

/**
 * Runs `sites DIR [--json | --sarif] [--check] [--no-cache]`. `argv` is what follows the program name; a leading `sites` is
 * accepted and skipped, so the CLI may pass its argv either way. Resolves to the exit status.
 */
export async function sitesCommand(argv: string[], io: CommandIO): Promise<number> {
  const args = argv[0] === 'sites' ? argv.slice(1) : [...argv];
  let json = false;
  let sarif = false;
  let check = false;
  let noCache = false;
  const dirs: string[] = [];
  let options = true; // until `--`: what follows it is a DIR, whatever it starts with
  for (const a of args) {
    if (!options) dirs.push(a);
    else if (a === '--') options = false;
    else if (a === '--json') json = true;
    else if (a === '--sarif') sarif = true;
    else if (a === '--check') check = true;
    else if (a === '--no-cache') noCache = true;
    else if (a === '-h' || a === '--help') {
      io.stdout(SITES_USAGE);
      return 0;
    } else if (a.startsWith('-')) {
      io.stderr(`process-inspector sites: unknown option ${a}\n\n${SITES_USAGE}`);
      return 2;
    } else dirs.push(a);
  }
  if (json && sarif) {
    io.stderr(`process-inspector sites: --json and --sarif are two output formats: pick one\n\n${SITES_USAGE}`);
    return 2;
  }
  if (dirs.length !== 1) {
    io.stderr(`process-inspector sites: ${dirs.length === 0 ? 'missing DIR' : `expected one DIR, got ${dirs.length}`}\n\n${SITES_USAGE}`);
    return 2;
  }
  const root = resolve(dirs[0]);
  try {
    if (!statSync(root).isDirectory()) {
      io.stderr(`process-inspector sites: ${dirs[0]} is not a directory\n`);
      return 1;
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    io.stderr(`process-inspector sites: ${dirs[0]}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : String(e)}\n`);
    return 1;
  }
  let index: SpawnSiteIndex;
  try {
    let built;
    try {
      built = await indexWithCache(root, cacheDirFor(noCache), { onProgress: progressLine(io.progress) });
    } finally {
      io.progress?.(undefined);
    }
    // A warning may quote a path from the tree or the saved index: escaped like any such text.
    for (const w of built.warnings) io.stderr(`process-inspector sites: ${escapeText(w)}\n`);
    index = built.index;
  } catch (e) {
    io.stderr(`process-inspector sites: cannot index ${dirs[0]}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const sites = index.sites();
  const skipped = index.skipped().map((s) => ({ file: relative(root, s.path).split('\\').join('/'), reason: s.reason }));
  const findings = index.findings();
  if (sarif) {
    const log = buildSarif(findings, { root, version: typeof PI_VERSION === 'string' ? PI_VERSION : 'dev', source: readText });
    io.stdout(`${JSON.stringify(log, null, 2)}\n`);
    for (const line of skippedText(index.skipped(), root)) io.stderr(`process-inspector sites: ${line}\n`);
  } else if (json) {
    io.stdout(`${JSON.stringify({ sites: sites.map((s) => siteJson(s, root)), skipped }, null, 2)}\n`);
  } else {
    for (const line of skippedText(index.skipped(), root)) io.stderr(`process-inspector sites: ${line}\n`);
    io.stdout(formatSites(sites, root));
  }
  // Information-level findings (a maybe) do not fail a CI run; warnings do.
  return check && findings.some((f) => f.severity === 'warning') ? EXIT_FINDINGS : 0;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined; // gone since it was indexed: the fingerprint falls back to the line number
  }
}

/** Skipped paths in words, for stderr or a log: a count, then each (at most `max`), relative to `root`. */
export function skippedText(skipped: { path: string; reason: string }[], root: string, max = 20): string[] {
  if (skipped.length === 0) return [];
  const lines = [`skipped ${skipped.length} path${skipped.length === 1 ? '' : 's'} it could not read:`];
  for (const s of skipped.slice(0, max)) lines.push(`  ${escapeText(relative(root, s.path) || s.path)}: ${s.reason}`);
  if (skipped.length > max) lines.push(`  … ${skipped.length - max} more (--json lists all)`);
  return lines;
}

/** The readable listing: `file:line:col  api  program  waited  reason`, columns aligned. */
export function formatSites(sites: SpawnSite[], root: string): string {
  if (sites.length === 0) return 'No spawn sites found.\n';
  const rows = sites.map((s) => {
    const j = siteJson(s, root);
    // File names, programs and reasons come from the source tree: escaped, as process names are.
    return [`${escapeText(j.file)}:${j.line}:${j.column}`, escapeText(j.api), j.program === null ? '-' : escapeText(j.program), j.waited, escapeText(j.reason)];
  });
  const widths = [0, 1, 2, 3].map((c) => Math.min(60, Math.max(...rows.map((r) => r[c].length))));
  const lines = rows.map((r) => r.map((cell, c) => (c < 4 ? cell.padEnd(widths[c]) : cell)).join('  ').trimEnd());
  const files = new Set(sites.map((s) => s.file)).size;
  // An exec in a fork's child is the fork's child: counted once, at the fork.
  const children = sites.filter((s) => s.fork?.forkLine === undefined);
  const never = children.filter((s) => s.waited === 'no').length;
  const unknown = children.filter((s) => s.waited === 'unknown').length;
  lines.push('', `${sites.length} site${sites.length === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'}: ${never} not waited for, ${unknown} unknown.`);
  return `${lines.join('\n')}\n`;
}
