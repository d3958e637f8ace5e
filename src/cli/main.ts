/**
 * process-inspector: the extension's core from a terminal or CI.
 *
 *   process-inspector tree    [--root PID] [--json]
 *   process-inspector zombies [--root PID] [--json] [--all] [--workspace DIR]
 *   process-inspector sites   DIR [--json | --sarif] [--check]
 *   process-inspector run     [--json] [--for SECONDS] [--check] [--report FILE] -- CMD ARGS...
 *
 * Exit codes: 0 done, 1 the thing asked about does not exist or cannot be read, 2 bad usage,
 * 3 this platform cannot be inspected, 4 (sites --check) a child is never waited for.
 */
import { parseArgs } from 'node:util';
import { inspect } from '../core/inspect';
import { ProcessNotFoundError, ProcessTableError, UnsupportedPlatformError, type ProcessSource } from '../core/model';
import { processJson, renderTree, renderZombies, zombiesJson } from '../core/format';
import { createProcessSource } from '../platform';
import { readIssuesJson, readIssuesText } from '../core/notes';
import { watchCommand, WATCH_USAGE_LINE } from './watch';
import { checkWorkspace, WorkspaceError } from './workspaceCheck';

/** The spawn-site engine, loaded when a command needs it (its own bundle: see sites.ts). */
const sitesModule = () => import('./sites');
/** `run` and the recorders, loaded for `run` only: `zombies` and `tree` do not pay for them. */
const runModule = () => import('./run');

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Set when stderr is a terminal: a progress line drawn in place (undefined: erase it). */
  progress?: (line: string | undefined) => void;
}

declare const PI_VERSION: string | undefined;

export const USAGE = `Usage: process-inspector <command> [options]

Finds child processes that were never reaped (zombies, <defunct>), the parent that never waits,
and why.

Commands:
  tree    [--root PID] [--json]          the process tree (of PID, or of the whole machine)
  zombies [--root PID] [--json] [--all] [--workspace DIR [--no-cache]]
                                         every zombie, grouped by the parent that does not reap it,
                                         with a verdict on why; with --workspace, the line of DIR's
                                         source that spawned it
  sites   DIR [--json | --sarif] [--check] [--no-cache]
                                         every place in DIR's source that starts a process, and
                                         whether its child is waited for (yes, no or unknown);
                                         --sarif: SARIF 2.1.0; --check: exit 4 on a warning
  run     [--json] [--for S] [--check] -- CMD [ARGS...]
                                         run CMD recording where each child is spawned, and report
                                         the zombies it made and what it left running, by line
                                         (run --help for more)
${WATCH_USAGE_LINE}

Options:
  --root PID        only PID and its descendants
  --json            machine-readable output
  --all             list every zombie in the readable report (default: 10 per parent)
  --workspace DIR   (zombies) link each zombie to the line of DIR's source that spawned it: its
                    record when the program ran under \`run\` or a debug session of the extension
                    (confidence "recorded", with "stack"), else from its name, its parent's
                    executable or script, and whether the site waits.
                    --json adds "workspace" (DIR, absolute) and to each zombie "spawnSite":
                    {"file", "line", "column", "language", "api", "confidence", "reason"}, file
                    relative to DIR with forward slashes (as in sites --json), confidence
                    "recorded", "likely" (two kinds of evidence agree on one site and no other
                    never-waited site could have started it) or "possible";
                    "spawnSite": null when no site fits well enough.
                    The readable report says "spawned at FILE:LINE (confidence: reason)".
  --no-cache        (zombies --workspace, sites) index DIR from scratch and save nothing. By
                    default the index is saved in $PROCESS_INSPECTOR_CACHE_DIR (else
                    $XDG_CACHE_HOME/process-inspector/sites, else ~/.cache/process-inspector/sites)
                    and the next run reads only the files changed since
  --proc DIR        read procfs mounted at DIR (Linux; default /proc), e.g. a host's /proc in a
                    container
  -h, --help        this help (sites --help: the sites command's)
  -v, --version

zombies reads the limits on each guilty parent's tasks (its cgroup's pids.max and every ancestor's,
RLIMIT_NPROC against its user's tasks, kernel.pid_max, kernel.threads-max) and forecasts from its
zombies' start times when the tightest is reached; --json adds to each parent "limits":
{"readings": [{"kind", "scope", "status", "max", "current", "reason"}]} and "forecast": {"trend",
"ratePerSecond", "secondsLeft", "tightest", "text"}.

sites --json prints {"sites": [{"file", "line", "column", "language", "api", "program",
"waited", "reason"}]}.

Exit status: 0 ok, 1 no such process, directory or unreadable, 2 bad usage, 3 unsupported platform,
4 (sites --check) a child is never waited for.`;

export class UsageError extends Error {}

function parsePid(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(`--root wants a process ID (a whole number), not ${JSON.stringify(value)}`);
  return Number(value);
}

export async function main(argv: string[], io: Io, makeSource: (procRoot?: string) => ProcessSource = (procRoot) => createProcessSource(process.platform, { procRoot })): Promise<number> {
  try {
    return await run(argv, io, makeSource);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`process-inspector: ${(e as Error).message}\nRun 'process-inspector --help' for usage.\n`);
      return 2;
    }
    if (e instanceof ProcessNotFoundError || e instanceof WorkspaceError || e instanceof ProcessTableError) {
      io.stderr(`process-inspector: ${e.message}\n`);
      return 1;
    }
    if (e instanceof UnsupportedPlatformError) {
      io.stderr(`process-inspector: ${e.message}\n`);
      return 3;
    }
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EACCES' || err.code === 'ENOENT' || err.code === 'EPERM') {
      io.stderr(`process-inspector: ${err.message}\n`);
      return 1;
    }
    throw e;
  }
}

async function run(argv: string[], io: Io, makeSource: (procRoot?: string) => ProcessSource): Promise<number> {
  if (argv[0] === 'watch') return watchCommand(argv.slice(1), io, makeSource);
  // `run` passes what follows it to CMD: its options are read by parseRunArgs, not parseArgs.
  if (argv[0] === 'run') {
    const { parseRunArgs, runCommand, RUN_USAGE } = await runModule();
    const parsed = parseRunArgs(argv.slice(1));
    if ('help' in parsed) {
      io.stdout(`${RUN_USAGE}\n`);
      return 0;
    }
    if ('error' in parsed) throw new UsageError(parsed.error);
    return runCommand(parsed.cmd, parsed.opts, io, makeSource());
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      root: { type: 'string' },
      json: { type: 'boolean' },
      sarif: { type: 'boolean' },
      check: { type: 'boolean' },
      all: { type: 'boolean' },
      workspace: { type: 'string' },
      'no-cache': { type: 'boolean' },
      proc: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) {
    io.stdout(`${typeof PI_VERSION === 'string' ? PI_VERSION : 'dev'}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') {
    io.stdout(command === 'sites' ? (await sitesModule()).SITES_USAGE : `${USAGE}\n`);
    return 0;
  }
  if (command === undefined) throw new UsageError('no command given');
  switch (command) {
    case 'sites': {
      for (const name of ['root', 'all', 'workspace', 'proc'] as const) {
        if (values[name] !== undefined) throw new UsageError(`--${name} does not go with sites (sites DIR [--json])`);
      }
      // parseArgs took the options (and any `--`): what is left are DIRs, passed after a `--`.
      const flags = (['json', 'sarif', 'check', 'no-cache'] as const).filter((name) => values[name]).map((name) => `--${name}`);
      return (await sitesModule()).sitesCommand([...flags, '--', ...rest], io);
    }
    case 'tree':
    case 'zombies': {
      if (rest.length) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
      if (values.sarif || values.check) throw new UsageError(`--${values.sarif ? 'sarif' : 'check'} goes with sites (or run --check)`);
      if (values.workspace !== undefined && command === 'tree') throw new UsageError('--workspace goes with zombies (tree does not link spawn sites)');
      if (values.workspace === '') throw new UsageError('--workspace wants a directory');
      if (values.proc === '') throw new UsageError('--proc wants a directory');
      if (values['no-cache'] && values.workspace === undefined) throw new UsageError('--no-cache goes with --workspace (or sites): it is about the spawn-site index');
      const root = parsePid(values.root);
      // A workspace that is no directory fails before anything is read; the index (which takes a
      // moment) is built once the processes are known to exist. Output is written only at the end.
      const workspace = values.workspace !== undefined ? checkWorkspace(values.workspace) : undefined;
      const source = makeSource(values.proc);
      const { snapshot, diagnosis } = inspect(source, { root, allDetails: command === 'tree' && values.json === true, forecast: command === 'zombies' });
      if (command === 'tree') {
        if (values.json) {
          const now = snapshot.takenAt;
          io.stdout(`${JSON.stringify({ root: snapshot.root ?? null, takenAt: new Date(now).toISOString(), processes: [...snapshot.processes.values()].map((p) => processJson(p, now)), ...readIssuesJson(snapshot) })}\n`);
        } else io.stdout(`${renderTree(snapshot)}\n`);
      } else {
        // No zombie, nothing to link: the workspace is not indexed (on a big tree that is most of the cost).
        const engine = workspace !== undefined && diagnosis.zombies.length > 0 ? await sitesModule() : undefined;
        const index = engine && workspace !== undefined ? await engine.indexWorkspace(workspace, values.workspace, { noCache: values['no-cache'], warn: (w) => io.stderr(`process-inspector: ${w}\n`), progress: io.progress }) : undefined;
        const sites = index && engine ? engine.spawnSites(snapshot, diagnosis, index) : undefined;
        if (values.json) {
          const ws = workspace !== undefined ? { workspace } : {};
          io.stdout(`${JSON.stringify({ root: snapshot.root ?? null, takenAt: new Date(snapshot.takenAt).toISOString(), ...ws, ...zombiesJson(snapshot, diagnosis, sites), ...readIssuesJson(snapshot) })}\n`);
        } else io.stdout(`${renderZombies(snapshot, diagnosis, values.all ? Infinity : 10, sites)}\n`);
      }
      if (!values.json) for (const line of readIssuesText(snapshot)) io.stderr(`process-inspector: ${line}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}
