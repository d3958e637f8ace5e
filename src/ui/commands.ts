/**
 * Commands: Find Zombies, Inspect Process…, the filter, and the row actions.
 * Signals go straight through process.kill (never a shell), only to the user's own processes,
 * always after a confirmation, and only if the PID still names the same process.
 */
import * as vscode from 'vscode';
import { formatAge } from '../core/diagnose';
import { describeExit, displayName } from '../core/format';
import type { ProcessInfo } from '../core/model';
import { identity, isZombie } from '../core/model';
import { readConfig } from '../config';
import { Commands, Views } from '../ids';
import type { Controller } from './controller';
import type { Node, SpawnSiteRef } from './nodes';

type ProcessNode = Extract<Node, { kind: 'process' }>;

interface ZombiePick extends vscode.QuickPickItem {
  rootKey?: string;
  zombie?: ProcessInfo;
  site?: SpawnSiteRef;
}

export function registerCommands(c: Controller): vscode.Disposable[] {
  const processOf = (n: unknown): ProcessNode | undefined => {
    const node = (n as Node | undefined) ?? c.view.selection[0];
    return node?.kind === 'process' ? node : undefined;
  };
  return [
    vscode.commands.registerCommand(Commands.FindZombies, () => findZombies(c)),
    vscode.commands.registerCommand(Commands.Refresh, () => c.schedule(true)),
    vscode.commands.registerCommand(Commands.InspectProcess, () => inspectProcess(c)),
    vscode.commands.registerCommand(Commands.FilterZombies, () => c.setFilter(true)),
    vscode.commands.registerCommand(Commands.ShowAllProcesses, () => c.setFilter(false)),
    vscode.commands.registerCommand(Commands.RevealParent, async (n?: Node) => {
      const node = processOf(n);
      if (node && !(await c.reveal(node.rootKey, node.process.ppid))) void vscode.window.showInformationMessage(`The parent (PID ${node.process.ppid}) is outside this tree.`);
    }),
    vscode.commands.registerCommand(Commands.CopyPid, async (n?: Node) => {
      const node = processOf(n);
      if (node) await vscode.env.clipboard.writeText(String(node.process.pid));
    }),
    vscode.commands.registerCommand(Commands.CopyCommandLine, async (n?: Node) => {
      const node = processOf(n);
      if (!node) return;
      const cmd = node.process.cmdline;
      if (!cmd?.length) void vscode.window.showInformationMessage(isZombie(node.process) ? 'A zombie has no command line left; only its name.' : 'Its command line cannot be read.');
      else await vscode.env.clipboard.writeText(cmd.map(shellQuote).join(' '));
    }),
    vscode.commands.registerCommand(Commands.SendSigchld, (n?: Node) => signal(c, processOf(n), 'SIGCHLD')),
    vscode.commands.registerCommand(Commands.Terminate, (n?: Node) => signal(c, processOf(n), 'SIGTERM')),
    vscode.commands.registerCommand(Commands.Kill, (n?: Node) => signal(c, processOf(n), 'SIGKILL')),
    vscode.commands.registerCommand(Commands.Dismiss, (n?: Node) => {
      if (n?.kind === 'root') c.dismiss(n.root.key);
    }),
    vscode.commands.registerCommand(Commands.OpenSpawnSite, (n?: Node | SpawnSiteRef) => {
      const site = n && 'kind' in n ? (n.kind === 'process' ? n.site : undefined) : n;
      if (site) return openSite(site);
      return undefined;
    }),
  ];
}

/**
 * Opens a file at a 1-based line and column with the spawning call selected (to the end of the
 * line when its end is unknown). The cursor stays at the call's start, so a long line does not
 * scroll the editor sideways away from it.
 */
export async function openSite(site: SpawnSiteRef): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(site.file));
  const line = Math.min(doc.lineCount - 1, Math.max(0, site.line - 1));
  const start = new vscode.Position(line, Math.max(0, site.column - 1));
  const end = site.endLine !== undefined && site.endColumn !== undefined ? doc.validatePosition(new vscode.Position(site.endLine - 1, site.endColumn - 1)) : doc.lineAt(line).range.end;
  const editor = await vscode.window.showTextDocument(doc, { preview: true });
  editor.selection = new vscode.Selection(end, start);
  editor.revealRange(new vscode.Range(start, end), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

const SIGNAL_HELP: Record<string, string> = {
  SIGCHLD: 'A parent with a SIGCHLD handler that reaps will collect its zombies; one that never waits will not.',
  SIGTERM: 'It may clean up and exit; its zombie children then pass to init, which reaps them.',
  SIGKILL: 'It ends at once; its zombie children then pass to init, which reaps them.',
};

async function signal(c: Controller, node: ProcessNode | undefined, sig: 'SIGCHLD' | 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (!node) return;
  const p = node.process;
  const me = process.getuid?.();
  if (p.uid === undefined || p.uid !== me) {
    void vscode.window.showErrorMessage(`${displayName(p)} (${p.pid}) belongs to another user (uid ${p.uid ?? 'unknown'}); Process Inspector only signals your own processes.`);
    return;
  }
  if (isZombie(p)) {
    void vscode.window.showInformationMessage(`${displayName(p)} (${p.pid}) is a zombie: it has already exited, and signals cannot reach it. Only its parent (${p.ppid}) can reap it.`);
    return;
  }
  const go = `Send ${sig}`;
  const answer = await vscode.window.showWarningMessage(`Send ${sig} to ${displayName(p)} (PID ${p.pid})?`, { modal: true, detail: SIGNAL_HELP[sig] }, go);
  if (answer !== go) return;
  const now = c.source.readProcess(p.pid);
  if (!now || identity(now) !== identity(p)) {
    void vscode.window.showWarningMessage(`${displayName(p)} (${p.pid}) has exited${now ? '; its PID now belongs to another process' : ''}. Nothing was sent.`);
    c.schedule(true);
    return;
  }
  try {
    process.kill(p.pid, sig);
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not send ${sig} to ${p.pid}: ${(e as Error).message}`);
  }
  setTimeout(() => c.schedule(true), 200);
}

async function inspectProcess(c: Controller): Promise<void> {
  const { processes } = c.source.readAll();
  const list = [...processes.values()].filter((p) => p.pid !== 0);
  c.source.details(list.filter((p) => !isZombie(p)));
  const now = Date.now();
  const items = list
    .sort((a, b) => b.startTicks - a.startTicks)
    .map((p) => ({
      label: displayName(p),
      description: `${p.pid}${isZombie(p) ? ' · zombie' : ''} · ${formatAge(now - p.startTime)}`,
      detail: p.cmdline?.join(' ') || undefined,
      process: p,
    }));
  const pick = await vscode.window.showQuickPick(items, { title: 'Inspect Process', placeHolder: 'Pick a process to watch in the Processes view (type a name, PID or command line)', matchOnDescription: true, matchOnDetail: true });
  if (!pick) return;
  c.addManualRoot(pick.process);
  await vscode.commands.executeCommand(`${Views.Processes}.focus`);
}

async function findZombies(c: Controller): Promise<void> {
  c.refresh();
  let views = c.views().filter((v) => v.key !== 'machine');
  const machineWide = readConfig().findScope === 'machine' || views.length === 0;
  if (machineWide) views = [c.searchMachine()];
  const items: ZombiePick[] = [];
  const now = Date.now();
  for (const v of views) {
    const label = machineWide ? 'Whole machine' : c.labelOf(v.key);
    for (const d of v.diagnosis.parents) {
      items.push({ kind: vscode.QuickPickItemKind.Separator, label: `${label}: ${displayName(d.parent)} (${d.parent.pid})` });
      for (const z of d.zombies) {
        const site = c.siteOf(z, d.parent, v.key);
        items.push({
          label: `$(error) ${displayName(z)}`,
          description: `${z.pid} · ${describeExit(z.exit)} · ${formatAge(now - z.startTime)} ago`,
          detail: site ? `$(go-to-file) ${vscode.workspace.asRelativePath(site.file)}:${site.line} (${site.confidence}) — ${d.verdict}` : d.verdict,
          rootKey: v.key,
          zombie: z,
          site,
        });
      }
    }
  }
  if (!items.length) {
    void vscode.window.showInformationMessage(machineWide ? 'No zombie processes on this machine (no debug session was running, so the whole machine was searched).' : 'No zombie processes under the debugged programs.');
    return;
  }
  const count = items.filter((i) => i.zombie).length;
  const pick = await vscode.window.showQuickPick(items, {
    title: machineWide ? `Find Zombies: ${count} on the whole machine (no debug session running)` : `Find Zombies: ${count} under the debugged programs`,
    placeHolder: 'Pick a zombie to open the line that spawned it, or to reveal it in the Processes view',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!pick?.zombie || !pick.rootKey) return;
  if (pick.site) await openSite(pick.site);
  else {
    await vscode.commands.executeCommand(`${Views.Processes}.focus`);
    await c.reveal(pick.rootKey, pick.zombie.pid);
  }
}
