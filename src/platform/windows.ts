/**
 * The Windows reader: the process tree from CIM, through Windows PowerShell.
 *
 *   Get-CimInstance Win32_Process | Select-Object ProcessId,ParentProcessId,Name,CreationDate,
 *     ExecutablePath,CommandLine,ThreadCount | ConvertTo-Json
 *
 * Windows has no zombies: a process that exits leaves the process list at once (a handle kept
 * open on it keeps only a kernel object with its exit code, which no process list shows). So this
 * reader gives the tree for the views and `capabilities.zombies` is false; the zombie search finds
 * nothing here by construction, and says nothing it cannot know.
 *
 * Two things Windows does differently, handled here:
 * - ParentProcessId is only the PID the parent had when the child started. Once the parent exits
 *   its PID is soon reused (within a few hundred process starts), and the number then names an
 *   unrelated, younger process. A parent that started after its child cannot be its parent:
 *   such a child gets ppid -1 (parent gone), never a false edge in the tree.
 * - Win32_Process has no process state: `state` is '?' (unknown), never a guess.
 *
 * Not available (0 or unset): process group, session, uid; capabilities sigchld, wchan and tracer
 * are false. `startTicks` (part of the identity) is the creation time in milliseconds since the
 * epoch. PowerShell and CIM start slowly (typically 0.5-2 s a read): a view should refresh
 * a Windows tree less often than a Linux one.
 */
import type { Capabilities, ProcessInfo, ProcessSource, Snapshot } from '../core/model';
import { ProcessNotFoundError } from '../core/model';
import { indexChildren, subtree } from '../core/tree';
import { describeFailure, ProcessToolError, runTool, type ToolRunner } from './tool';

/** What one Win32_Process row holds after ConvertTo-Json and JSON.parse. */
export interface CimProcess {
  ProcessId: number;
  ParentProcessId?: number | null;
  Name?: string | null;
  /** `\/Date(ms)\/` (Windows PowerShell 5.1), ISO 8601 (PowerShell 7) or a CIM datetime. */
  CreationDate?: string | null;
  ExecutablePath?: string | null;
  CommandLine?: string | null;
  ThreadCount?: number | null;
}

export class CimParseError extends Error {
  constructor(detail: string) {
    super(`cannot parse the Win32_Process JSON: ${detail}`);
    this.name = 'CimParseError';
  }
}

/** The properties the reader selects, in this order. */
export const CIM_PROPERTIES = ['ProcessId', 'ParentProcessId', 'Name', 'CreationDate', 'ExecutablePath', 'CommandLine', 'ThreadCount'] as const;

/**
 * Parses ConvertTo-Json output of Win32_Process rows: an array, or a single object (what
 * ConvertTo-Json prints for one row), or nothing (no row). A UTF-8 byte-order mark is ignored.
 * Every row must have an integer ProcessId; anything else is an error, never a guess.
 */
export function parseCimJson(text: string): CimProcess[] {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (body === '') return [];
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (e) {
    throw new CimParseError((e as Error).message);
  }
  const list = Array.isArray(data) ? data : [data];
  return list.map((item, i) => {
    if (item === null || typeof item !== 'object') throw new CimParseError(`row ${i} is not an object`);
    const row = item as Record<string, unknown>;
    if (!Number.isSafeInteger(row.ProcessId) || (row.ProcessId as number) < 0) throw new CimParseError(`row ${i} has no ProcessId`);
    for (const key of ['ParentProcessId', 'ThreadCount'] as const) {
      if (row[key] !== undefined && row[key] !== null && !Number.isSafeInteger(row[key])) throw new CimParseError(`row ${i}: ${key} is not an integer`);
    }
    for (const key of ['Name', 'CreationDate', 'ExecutablePath', 'CommandLine'] as const) {
      if (row[key] !== undefined && row[key] !== null && typeof row[key] !== 'string') throw new CimParseError(`row ${i}: ${key} is not a string`);
    }
    return row as unknown as CimProcess;
  });
}

const MS_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;
const CIM_DATETIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{6})([+-])(\d{3})$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** A CreationDate as milliseconds since the epoch; undefined when absent or unreadable. */
export function parseCimDate(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  let m = MS_DATE.exec(value);
  if (m) return Number(m[1]);
  m = CIM_DATETIME.exec(value);
  if (m) {
    const utc = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], Math.floor(+m[7] / 1000));
    const offsetMinutes = (m[8] === '-' ? -1 : 1) * Number(m[9]);
    return utc - offsetMinutes * 60_000;
  }
  if (ISO.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * Splits a Windows command line into arguments by the Microsoft C runtime's rules (what a
 * program's main() receives): the program name ends at the closing quote or the first blank;
 * then 2n backslashes before a quote give n backslashes and open/close quoting, 2n+1 give n and a
 * literal quote; backslashes elsewhere are literal; "" inside quotes is a literal quote.
 */
export function splitWindowsCommandLine(cmd: string): string[] {
  const args: string[] = [];
  let i = 0;
  const n = cmd.length;
  // argv[0]: no escapes at all.
  let arg0 = '';
  if (cmd[0] === '"') {
    i = 1;
    while (i < n && cmd[i] !== '"') arg0 += cmd[i++];
    if (i < n) i++;
  } else {
    while (i < n && cmd[i] !== ' ' && cmd[i] !== '\t') arg0 += cmd[i++];
  }
  if (n > 0) args.push(arg0);
  for (;;) {
    while (i < n && (cmd[i] === ' ' || cmd[i] === '\t')) i++;
    if (i >= n) break;
    let arg = '';
    let quoted = false;
    while (i < n) {
      const c = cmd[i];
      if (c === '\\') {
        let k = i;
        while (k < n && cmd[k] === '\\') k++;
        const count = k - i;
        if (cmd[k] === '"') {
          arg += '\\'.repeat(Math.floor(count / 2));
          if (count % 2 === 1) {
            arg += '"';
            i = k + 1;
          } else i = k; // the quote is handled below
        } else {
          arg += '\\'.repeat(count);
          i = k;
        }
        continue;
      }
      if (c === '"') {
        if (quoted && cmd[i + 1] === '"') {
          arg += '"';
          i += 2;
          continue;
        }
        quoted = !quoted;
        i++;
        continue;
      }
      if (!quoted && (c === ' ' || c === '\t')) break;
      arg += c;
      i++;
    }
    args.push(arg);
  }
  return args;
}

/**
 * Processes from parsed rows. A parent younger than its child is not its parent (the PID was
 * reused after the real parent exited): that child's ppid becomes -1.
 */
export function cimToProcesses(rows: CimProcess[]): Map<number, ProcessInfo> {
  const processes = new Map<number, ProcessInfo>();
  for (const r of rows) {
    const startTime = parseCimDate(r.CreationDate) ?? 0;
    const p: ProcessInfo = {
      pid: r.ProcessId,
      ppid: r.ParentProcessId ?? -1,
      pgid: 0,
      sid: 0,
      state: '?',
      comm: r.Name ?? '',
      threads: r.ThreadCount ?? 0,
      startTicks: startTime,
      startTime,
    };
    if (r.ExecutablePath) p.exe = r.ExecutablePath;
    if (r.CommandLine) p.cmdline = splitWindowsCommandLine(r.CommandLine);
    processes.set(p.pid, p);
  }
  for (const p of processes.values()) {
    if (p.ppid === p.pid) continue; // the Idle process (0) names itself
    const parent = processes.get(p.ppid);
    if (parent && parent.startTime > 0 && p.startTime > 0 && parent.startTime > p.startTime) p.ppid = -1;
  }
  return processes;
}

/** The PowerShell script: UTF-8 out, every failure an error, always a JSON array. */
export function cimScript(pids?: number[]): string {
  const filter = pids ? ` -Filter "${pids.map((pid) => `ProcessId=${pid}`).join(' OR ')}"` : '';
  return [
    "$ErrorActionPreference = 'Stop'",
    '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false',
    `$p = @(Get-CimInstance -ClassName Win32_Process${filter} | Select-Object ${CIM_PROPERTIES.join(',')})`,
    'ConvertTo-Json -InputObject $p -Compress -Depth 2',
  ].join('; ');
}

export interface WindowsSourceOptions {
  /** Runs PowerShell; tests pass one that returns captured output. */
  run?: ToolRunner;
  /** powershell.exe by default (Windows PowerShell 5.1, present on every Windows 10 and 11). */
  powershell?: string;
  timeoutMs?: number;
}

/** Above this many PIDs, details() reads the whole table instead of a long WQL filter. */
const MAX_FILTERED_PIDS = 64;

export class WindowsProcessSource implements ProcessSource {
  readonly platform = 'win32' as const;
  readonly capabilities: Capabilities = { zombies: false, sigchld: false, wchan: false, tracer: false };
  private readonly run: ToolRunner;
  private readonly powershell: string;
  private readonly timeoutMs: number;

  constructor(options: WindowsSourceOptions = {}) {
    this.run = options.run ?? runTool;
    const systemRoot = process.env.SystemRoot;
    this.powershell = options.powershell ?? (systemRoot ? `${systemRoot}\\System32\\WindowsPowerShell\\v1.0\\powershell.exe` : 'powershell.exe');
    this.timeoutMs = options.timeoutMs ?? 30000;
  }

  private query(pids?: number[]): Map<number, ProcessInfo> {
    // -EncodedCommand (UTF-16LE, base64): no quoting of the script through the command line.
    const encoded = Buffer.from(cimScript(pids), 'utf16le').toString('base64');
    const result = this.run(this.powershell, ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encoded], {
      env: process.env,
      timeoutMs: this.timeoutMs,
    });
    const failure = describeFailure(result, this.timeoutMs);
    if (failure) throw new ProcessToolError('win32', 'PowerShell (Get-CimInstance Win32_Process)', failure);
    let rows: CimProcess[];
    try {
      rows = parseCimJson(result.stdout.toString('utf8'));
    } catch (e) {
      throw new ProcessToolError('win32', 'PowerShell (Get-CimInstance Win32_Process)', `printed what the reader cannot read: ${(e as Error).message}`);
    }
    const processes = cimToProcesses(rows);
    if (!pids && processes.size === 0) throw new ProcessToolError('win32', 'PowerShell (Get-CimInstance Win32_Process)', 'listed no processes');
    return processes;
  }

  readAll(): Snapshot {
    const processes = this.query();
    return { takenAt: Date.now(), processes, children: indexChildren(processes) };
  }

  readProcess(pid: number): ProcessInfo | undefined {
    if (!Number.isSafeInteger(pid) || pid < 0) return undefined;
    const p = this.query([pid]).get(pid);
    // Alone, a row cannot be checked against its parent's age: the caller gets the reported ppid.
    return p;
  }

  readSubtree(root: number): Snapshot {
    if (!Number.isSafeInteger(root) || root < 0) throw new ProcessNotFoundError(root);
    const all = this.readAll();
    if (!all.processes.has(root)) throw new ProcessNotFoundError(root);
    return subtree(all, root);
  }

  /** Everything CIM tells is read with the table: this only drops processes gone or replaced. */
  details(processes: Iterable<ProcessInfo>): ProcessInfo[] {
    const list = [...processes];
    if (list.length === 0) return [];
    const now = this.query(list.length <= MAX_FILTERED_PIDS ? list.map((p) => p.pid) : undefined);
    return list.filter((p) => now.get(p.pid)?.startTicks !== p.startTicks);
  }
}
