/**
 * Running the external tool a reader depends on (`ps` on macOS, PowerShell on Windows), with
 * every way it can fail turned into one clear error. Readers take a `ToolRunner` as a
 * constructor default, so tests feed them captured output on any machine.
 */
import { UnsupportedPlatformError } from '../core/model';

export interface ToolResult {
  /** Exit code; null when a signal (or the timeout) ended the tool. */
  status: number | null;
  signal?: string | null;
  stdout: Buffer;
  stderr: Buffer;
  /** Set when the tool could not be started or was stopped (ENOENT, EACCES, ETIMEDOUT, ENOBUFS). */
  error?: NodeJS.ErrnoException;
}

export interface ToolOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

export type ToolRunner = (file: string, args: readonly string[], options: ToolOptions) => ToolResult;

/**
 * The real runner: spawnSync, no shell, output kept as bytes (names may not be UTF-8).
 * node:child_process (and node:net under it) loads on the first run: a Linux reader never runs a
 * tool, and the CLI's start should not pay for them (about 4 ms of a `zombies`).
 */
export const runTool: ToolRunner = (file, args, options) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(file, args, {
    env: options.env,
    timeout: options.timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
    windowsHide: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout ?? Buffer.alloc(0),
    stderr: r.stderr ?? Buffer.alloc(0),
    error: r.error as NodeJS.ErrnoException | undefined,
  };
};

/**
 * The tool a reader needs failed. An UnsupportedPlatformError, so callers that already handle
 * "this platform cannot be inspected" (the CLI: exit 3) report it with its message, never a crash.
 */
export class ProcessToolError extends UnsupportedPlatformError {
  constructor(
    platform: string,
    readonly tool: string,
    detail: string,
  ) {
    super(platform, `${tool} ${detail}`);
    this.name = 'ProcessToolError';
  }
}

/** Describes a failed run in one line; undefined when the run succeeded (status 0). */
export function describeFailure(result: ToolResult, timeoutMs: number): string | undefined {
  const e = result.error;
  if (e) {
    if (e.code === 'ENOENT') return 'was not found';
    if (e.code === 'EACCES' || e.code === 'EPERM') return `cannot be run (${e.code})`;
    if (e.code === 'ETIMEDOUT') return `did not answer within ${timeoutMs} ms`;
    if (e.code === 'ENOBUFS') return 'printed more than the reader accepts';
    return `failed to run: ${e.message}`;
  }
  if (result.status === 0) return undefined;
  const stderr = result.stderr.toString('utf8').trim().split(/\r?\n/).slice(0, 3).join(' / ');
  const how = result.status === null ? `was stopped by ${result.signal ?? 'a signal'}` : `exited with status ${result.status}`;
  return stderr ? `${how}: ${stderr}` : how;
}
