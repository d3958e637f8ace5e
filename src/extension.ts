import * as vscode from 'vscode';
import { Commands, Views } from './ids';

/** Activation: wiring only. Each feature registers itself and hands back its disposables. */
export function activate(context: vscode.ExtensionContext): void {
  const view = vscode.window.createTreeView(Views.Processes, {
    treeDataProvider: { getTreeItem: (e: vscode.TreeItem) => e, getChildren: () => [] },
    showCollapseAll: true,
  });
  context.subscriptions.push(
    view,
    vscode.commands.registerCommand(Commands.FindZombies, () => undefined),
    vscode.commands.registerCommand(Commands.Refresh, () => undefined),
  );
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
