/**
 * Reading files of a source tree that anyone may have shaped: a FIFO, a socket or a device where
 * a source file, a .gitignore, `.git/info/exclude` or a go.mod is expected would block an
 * ordinary open (a FIFO without a writer) or a read forever. Files are opened without blocking
 * and read only when they are regular files.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** A file that is not a regular file, refused before a byte is read. */
export class NotAFileError extends Error {
  readonly code = 'ENOTREG';
  constructor(path: string, st: Stats) {
    super(`${path}: not a regular file (${st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isDirectory() ? 'a directory' : 'special'})`);
  }
}

/** Opens `path` for reading without blocking; throws NotAFileError unless it is a regular file. Returns the fd and its stat. */
export function openRegular(path: string): { fd: number; st: Stats } {
  const fd = openSync(path, FLAGS);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new NotAFileError(path, st);
    return { fd, st };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** The text of a regular file; throws for anything else (or when it cannot be read). */
export function readRegularText(path: string): string {
  const { fd } = openRegular(path);
  try {
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** The text of a regular file, or undefined when it is missing, unreadable or not a regular file. */
export function readTextIfFile(path: string): string | undefined {
  try {
    return readRegularText(path);
  } catch {
    return undefined;
  }
}
