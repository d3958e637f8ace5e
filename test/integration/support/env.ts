/** Where things are, seen from inside the extension host (out/test/integration/support/env.js). */
import * as path from 'path';
import * as vscode from 'vscode';

/** The repository root = the development extension's path. */
export const repoRoot = path.resolve(__dirname, '../../../..');
/** Test programs (PID-to-file, exit 0) in test/fixtures/programs. */
export const programs = path.join(repoRoot, 'test/fixtures/programs');
/** The demo workspace, which both runners open. */
export const demo = path.join(repoRoot, 'demo');

export const EXTENSION_ID = 'process-inspector.process-inspector';

/** The single workspace folder both runners open (demo/). */
export function workspaceFolder(): vscode.WorkspaceFolder {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('no workspace folder is open');
  return f;
}

/** 'code-server' or 'electron': what the runner says it started (scripts/run-*.mjs set PI_HOST). */
export const expectedHost = process.env.PI_HOST;
