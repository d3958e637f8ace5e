/**
 * The cheap half of `--workspace DIR`: is DIR a directory? Apart from workspace.ts so that the CLI
 * can check it (and name the error) without loading the spawn-site engine, which it loads only
 * when a workspace is to be indexed (src/cli/sites.ts, its own bundle: dist/cli-sites.js).
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

/** The workspace cannot be read: the CLI's exit status 1, like a process that does not exist. */
export class WorkspaceError extends Error {}

/** Checks that `dir` names a directory; returns it absolute. Cheap: done before anything is read. */
export function checkWorkspace(dir: string): string {
  const root = resolve(dir);
  let isDir: boolean;
  try {
    isDir = statSync(root).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WorkspaceError(`--workspace ${dir}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (!isDir) throw new WorkspaceError(`--workspace ${dir}: not a directory`);
  return root;
}

