/**
 * Activation: wiring only. Activation is lazy (a debug session, the view, or a command), and
 * each feature registers itself; every disposable lands in context.subscriptions.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { UnsupportedPlatformError, type ProcessSource } from './core/model';
import { registerRecording } from './debug/recording';
import { SessionTracker } from './debug/sessions';
import { Commands } from './ids';
import { createProcessSource } from './platform';
import { registerCommands } from './ui/commands';
import { Controller } from './ui/controller';
import { SpawnSites } from './ui/spawnSites';

/** What the extension exports: a read-only window onto its state, used by its own tests. */
export interface ProcessInspectorApi {
  controller: Controller;
  sessions: SessionTracker;
  spawnSites: SpawnSites;
}

export function activate(context: vscode.ExtensionContext): ProcessInspectorApi | undefined {
  let source: ProcessSource;
  try {
    source = createProcessSource();
  } catch (e) {
    // macOS/Windows and anything else we cannot read: say so once, never crash.
    const message = e instanceof UnsupportedPlatformError ? e.message : `Process Inspector cannot start: ${(e as Error).message}`;
    void vscode.window.showErrorMessage(message);
    if (!(e instanceof UnsupportedPlatformError)) throw e;
    for (const id of [Commands.FindZombies, Commands.InspectProcess, Commands.Refresh]) {
      context.subscriptions.push(vscode.commands.registerCommand(id, () => vscode.window.showErrorMessage(message)));
    }
    return undefined;
  }
  // Before any session starts: the recorders are added while a launch is resolved.
  const recordingLog = vscode.window.createOutputChannel('Process Inspector: Recording', { log: true });
  context.subscriptions.push(recordingLog, ...registerRecording(recordingLog));
  const sessions = new SessionTracker(() => source);
  const controller = new Controller(source, sessions, context.workspaceState);
  // Spawn-site indexes are saved in the workspace's storage (the global one for a lone window).
  const spawnSites = new SpawnSites(controller, join((context.storageUri ?? context.globalStorageUri).fsPath, 'spawn-sites'));
  context.subscriptions.push(sessions, controller, spawnSites, ...registerCommands(controller));
  return { controller, sessions, spawnSites };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
