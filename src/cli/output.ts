/**
 * The CLI's stdout and stderr, with the write errors a Unix tool must expect.
 *
 * - EPIPE: the reader went away (`process-inspector tree | head -1`). Node ignores SIGPIPE, so
 *   the write fails with EPIPE, emitted as an 'error' event that would otherwise crash with a
 *   stack trace. Other tools die of SIGPIPE silently; this one exits 0, silently.
 * - any other write error (ENOSPC on `> /dev/full`, EIO): one line on stderr, exit 1.
 */
import type { Io } from './main';

/** Exit status after a write error other than EPIPE (README: 1, "cannot be read or written"). */
export const WRITE_ERROR_STATUS = 1;

/** `process.exit` wrapper, so that tests of this module can watch it. */
export interface Exits {
  exit: (code: number) => never;
  writeStderr: (s: string) => void;
}

/** What to do on an 'error' of stdout or stderr: exit quietly on EPIPE, else say it once and exit 1. */
export function onWriteError(e: NodeJS.ErrnoException, stream: 'stdout' | 'stderr', exits: Exits): never {
  if (e.code === 'EPIPE') return exits.exit(0);
  if (stream === 'stdout') {
    try {
      exits.writeStderr(`process-inspector: cannot write the output: ${e.message}\n`);
    } catch {
      // stderr is gone too: the status says it
    }
  }
  return exits.exit(WRITE_ERROR_STATUS);
}

/** The Io of the real process: writes that never crash the CLI with a stack trace. */
export function processIo(): Io {
  const exits: Exits = { exit: (code) => process.exit(code), writeStderr: (s) => process.stderr.write(s) };
  process.stdout.on('error', (e: NodeJS.ErrnoException) => onWriteError(e, 'stdout', exits));
  process.stderr.on('error', (e: NodeJS.ErrnoException) => onWriteError(e, 'stderr', exits));
  const guard = (stream: 'stdout' | 'stderr', s: string) => {
    try {
      (stream === 'stdout' ? process.stdout : process.stderr).write(s);
    } catch (e) {
      // A synchronous write (a file, a TTY) may throw instead of emitting 'error'.
      onWriteError(e as NodeJS.ErrnoException, stream, exits);
    }
  };
  const io: Io = { stdout: (s) => guard('stdout', s), stderr: (s) => guard('stderr', s) };
  // Long work (indexing a big tree) shows where it is, on a terminal only: a line redrawn in
  // place at most every 100 ms, erased when done. Piped or redirected stderr gets none of it.
  if (process.stderr.isTTY) {
    let last = 0;
    let shown = false;
    io.progress = (line) => {
      if (line === undefined) {
        if (shown) guard('stderr', '\r\x1b[K');
        shown = false;
        return;
      }
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      guard('stderr', `\r\x1b[K${line.slice(0, Math.max(20, (process.stderr.columns || 80) - 1))}`);
    };
  }
  return io;
}
