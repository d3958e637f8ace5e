/**
 * SARIF 2.1.0 (the OASIS Static Analysis Results Interchange Format) for `sites DIR --sarif`, the
 * format code-scanning tools read. One run; one rule per FindingCode; one result per finding
 * (a spawn site that is no finding is no result), with the places that decide it (the return or
 * end of scope where the child is lost) as related locations and the editor's quick fix as a
 * SARIF fix. Pure: the caller hands in the file texts it read, for the fingerprints.
 *
 * Coordinates: our lines and columns are 1-based and columns count UTF-16 code units, the end
 * exclusive (types.ts); SARIF's are the same when `run.columnKind` is `utf16CodeUnits`, which is
 * set explicitly rather than left to the default.
 */
import { createHash } from 'node:crypto';
import { relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FindingCode, SiteFinding, SourceRange } from './types';

/** The final OASIS schema of SARIF 2.1.0 (errata 01), as `$schema` of every log. */
export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** The uriBaseId every artifact location is relative to: DIR, given in originalUriBaseIds. */
export const SRCROOT = '%SRCROOT%';

/** Key of our own partial fingerprint (versioned: a change of what it hashes gets a new key). */
export const FINGERPRINT_KEY = 'processInspectorLineHash/v1';

interface RuleText {
  name: string;
  short: string;
  full: string;
  help: string;
}

const WAIT_HELP = 'A child process that exits stays in the process table as a zombie (<defunct>) until its parent waits for it. Every path that starts a child must wait for it, or hand it to code that does.';

/** One entry per FindingCode: the compiler says so when a code is added without its rule. */
const RULES: Record<FindingCode, RuleText> = {
  'go-start-without-wait': {
    name: 'GoStartWithoutWait',
    short: 'exec.Cmd.Start() without Wait()',
    full: 'A Go exec.Cmd is started with Start() and on at least one path never waited for with Wait(): its child stays a zombie after it exits.',
    help: `${WAIT_HELP} Call cmd.Wait() on every path after cmd.Start(), or use cmd.Run(), which starts and waits.`,
  },
  'go-startprocess-without-wait': {
    name: 'GoStartProcessWithoutWait',
    short: 'os.StartProcess without Wait()',
    full: 'A Go os.StartProcess child is never waited for with (*os.Process).Wait() on at least one path: it stays a zombie after it exits.',
    help: `${WAIT_HELP} Call p.Wait() on the *os.Process on every path.`,
  },
  'go-forkexec-without-wait': {
    name: 'GoForkExecWithoutWait',
    short: 'syscall.ForkExec without Wait4',
    full: 'A Go syscall.ForkExec child pid is never reaped with syscall.Wait4 on at least one path: it stays a zombie after it exits.',
    help: `${WAIT_HELP} Call syscall.Wait4(pid, ...) on every path.`,
  },
  'go-kill-without-wait': {
    name: 'GoKillWithoutWait',
    short: 'Process.Kill() without Wait()',
    full: 'A Go child is killed with Kill() but never waited for afterwards: killing does not reap, the killed child stays a zombie.',
    help: `${WAIT_HELP} Kill() only sends SIGKILL: call Wait() after it.`,
  },
  'go-release-without-wait': {
    name: 'GoReleaseWithoutWait',
    short: 'Process.Release() without Wait()',
    full: 'A Go child is released with Release() without being waited for: Release frees Go\'s handle, not the child, which stays a zombie after it exits.',
    help: `${WAIT_HELP} Wait() for the child instead of (or before) releasing it.`,
  },
  'c-fork-without-wait': {
    name: 'CForkWithoutWait',
    short: 'fork() without wait',
    full: 'A C/C++ fork() child is never reaped by the parent (waitpid/wait, or SIGCHLD ignored or handled) on at least one path: it stays a zombie after it exits.',
    help: `${WAIT_HELP} In the parent branch, call waitpid(pid, ...) on every path, or reap children in a SIGCHLD handler.`,
  },
  'c-spawn-without-wait': {
    name: 'CSpawnWithoutWait',
    short: 'posix_spawn without wait',
    full: 'A C/C++ posix_spawn/posix_spawnp child is never reaped on at least one path: it stays a zombie after it exits.',
    help: `${WAIT_HELP} Call waitpid on the pid posix_spawn returned, on every path.`,
  },
  'c-popen-without-pclose': {
    name: 'CPopenWithoutPclose',
    short: 'popen() without pclose()',
    full: 'A C/C++ popen() stream is not closed with pclose() on at least one path: pclose is what waits for the shell it started, which otherwise stays a zombie.',
    help: `${WAIT_HELP} Close every popen() stream with pclose(), not fclose(), on every path.`,
  },
  'python-popen-without-wait': {
    name: 'PythonPopenWithoutWait',
    short: 'subprocess.Popen without wait()',
    full: 'A Python subprocess.Popen (or os.popen) child is never waited for (wait(), communicate(), a with block) on at least one path: it stays a zombie after it exits.',
    help: `${WAIT_HELP} Use subprocess.run(), a with block, or call wait()/communicate() on every path.`,
  },
  'python-fork-without-wait': {
    name: 'PythonForkWithoutWait',
    short: 'os.fork() without waitpid',
    full: 'A Python os.fork() child is never reaped by the parent with os.waitpid/os.wait on at least one path: it stays a zombie after it exits.',
    help: `${WAIT_HELP} In the parent, call os.waitpid(pid, 0) on every path, or reap in a SIGCHLD handler.`,
  },
  'python-process-without-join': {
    name: 'PythonProcessWithoutJoin',
    short: 'multiprocessing.Process without join()',
    full: 'A Python multiprocessing.Process is started and never joined on at least one path: it stays a zombie after it exits, until the next start() or the end of the program.',
    help: `${WAIT_HELP} Call p.join() on every path after p.start().`,
  },
  'rust-spawn-without-wait': {
    name: 'RustSpawnWithoutWait',
    short: 'Command::spawn without wait()',
    full: 'A Rust std::process::Child is dropped without wait(): dropping a Child does not reap it, and it stays a zombie after it exits (clippy: zombie_processes).',
    help: `${WAIT_HELP} Call child.wait() (or output()/status() instead of spawn()) on every path.`,
  },
};

/** What the builder needs besides the findings. */
export interface SarifOptions {
  /** DIR, absolute: artifact URIs are relative to it. */
  root: string;
  /** The tool's version: the CLI's PI_VERSION when bundled, else 'dev'. */
  version: string;
  /** The text of a file (absolute path), for the fingerprints; undefined when it cannot be read. */
  source?: (file: string) => string | undefined;
}

type Json = Record<string, unknown>;

/** `file` (absolute) as a URI reference relative to root: forward slashes, each segment escaped. */
export function artifactUri(file: string, root: string): string {
  return relative(root, file).split(/[\\/]/).map(encodeURIComponent).join('/');
}

function region(r: SourceRange): Json {
  return { startLine: r.startLine, startColumn: r.startColumn, endLine: r.endLine, endColumn: r.endColumn };
}

function physical(file: string, r: SourceRange, root: string): Json {
  return { artifactLocation: { uri: artifactUri(file, root), uriBaseId: SRCROOT }, region: region(r) };
}

/** The line's text with its whitespace collapsed: indenting or re-wrapping around it keeps the hash. */
function lineText(text: string | undefined, line: number): string | undefined {
  if (text === undefined) return undefined;
  const l = text.split(/\r?\n/)[line - 1];
  return l === undefined ? undefined : l.trim().replace(/\s+/g, ' ');
}

/**
 * The SARIF log of `findings`, as an object ready for JSON.stringify. Results keep the order of
 * `findings`; rules are every FindingCode, in a fixed order, so ruleIndex is stable.
 */
export function buildSarif(findings: readonly SiteFinding[], opts: SarifOptions): Json {
  const codes = Object.keys(RULES) as FindingCode[];
  const rules = codes.map((code) => {
    const t = RULES[code];
    return {
      id: code,
      name: t.name,
      shortDescription: { text: t.short },
      fullDescription: { text: t.full },
      help: { text: t.help },
      defaultConfiguration: { level: 'warning' },
      properties: { tags: ['reliability', 'zombie-process'] },
    };
  });
  const texts = new Map<string, string | undefined>();
  const textOf = (file: string) => {
    if (!texts.has(file)) texts.set(file, opts.source?.(file));
    return texts.get(file);
  };
  // Two findings with the same rule, file, function and line text get the occurrence number as
  // well, so each keeps a fingerprint of its own (what code scanning does for its line hash).
  const seen = new Map<string, number>();
  const results = findings.map((f) => {
    const uri = artifactUri(f.file, opts.root);
    const line = lineText(textOf(f.file), f.range.startLine) ?? `line ${f.range.startLine}`;
    const key = [f.code, uri, f.site.function ?? '', line].join('\0');
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 32);
    const result: Json = {
      ruleId: f.code,
      ruleIndex: codes.indexOf(f.code),
      level: f.severity === 'warning' ? 'warning' : 'note',
      message: { text: f.message },
      locations: [{ physicalLocation: physical(f.file, f.range, opts.root), ...(f.site.function ? { logicalLocations: [{ name: f.site.function, kind: 'function' }] } : {}) }],
      partialFingerprints: { [FINGERPRINT_KEY]: `${hash}:${n}` },
    };
    if (f.related?.length) {
      result.relatedLocations = f.related.map((r, i) => ({ id: i + 1, physicalLocation: physical(f.file, r.range, opts.root), message: { text: r.message } }));
    }
    if (f.fix) {
      result.fixes = [
        {
          description: { text: f.fix.title },
          artifactChanges: [
            {
              artifactLocation: { uri, uriBaseId: SRCROOT },
              replacements: f.fix.edits.map((e) => ({ deletedRegion: region(e.range), insertedContent: { text: e.newText } })),
            },
          ],
        },
      ];
    }
    return result;
  });
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'process-inspector', version: opts.version, rules } },
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(opts.root.endsWith('/') ? opts.root : `${opts.root}/`).href } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}
