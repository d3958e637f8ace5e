/**
 * The Processes view: TreeItems for the nodes of nodes.ts, in theme colors and codicons.
 */
import * as vscode from 'vscode';
import { describeActivity, formatAge } from '../core/diagnose';
import { describeLimit, sparkline } from '../core/forecast';
import { describeExit, displayName, escapeText } from '../core/format';
import type { ProcessInfo } from '../core/model';
import { isZombie } from '../core/model';
import { Commands, ItemContext, ItemFlag } from '../ids';
import type { Node, NodeIndex, SpawnSiteRef } from './nodes';

const STATE_WORDS: Record<string, string> = {
  R: 'running',
  S: 'sleeping',
  D: 'disk wait',
  Z: 'defunct',
  T: 'stopped',
  t: 'paused by debugger',
  X: 'dead',
  I: 'idle',
};

/** Short words for a cause, for the row; the full verdict is in the tooltip. */
const CAUSE_WORDS: Record<string, string> = {
  'never-waits': 'never waits',
  'handler-does-not-reap': 'never waits',
  'sigchld-blocked': 'SIGCHLD blocked',
  'waits-for-another-child': 'waits for another child',
  'paused-by-debugger': 'paused by debugger',
  stopped: 'stopped',
  'parent-is-zombie': 'itself a zombie',
  'init-does-not-reap': 'init does not reap',
  'zombies-predate-sig-ign': 'zombies predate SIG_IGN',
};

export class ProcessTreeProvider implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private now = Date.now();

  constructor(private index: NodeIndex) {}

  get current(): NodeIndex {
    return this.index;
  }

  /**
   * Until when (ms) the rows are held still for a reader. VS Code asks for a process row's tooltip
   * (resolveTreeItem) when the user hovers it; a refresh draws every row again, which closes an
   * open tooltip, so updates are held for a moment while someone reads one (a recorded stack's
   * frames are links to click).
   */
  private heldUntil = 0;

  /** While a tooltip is being read, updates are kept and drawn once the reader has moved on. */
  get held(): boolean {
    return Date.now() < this.heldUntil;
  }

  /** A new set of rows; drawn at once unless held for a reader (then at the first update after). */
  update(index: NodeIndex, now: number): void {
    this.index = index;
    this.now = now;
    if (!this.held) {
      this.changed.fire(undefined);
      return;
    }
    // Drawn when the hold ends, even if no other update comes (the session may have ended).
    this.heldTimer ??= setTimeout(() => {
      this.heldTimer = undefined;
      this.changed.fire(undefined);
    }, Math.max(0, this.heldUntil - Date.now()));
  }

  private heldTimer: NodeJS.Timeout | undefined;

  dispose(): void {
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.changed.dispose();
  }

  /** Process rows get their tooltip here, when hovered: it says the user is reading the view. */
  resolveTreeItem(item: vscode.TreeItem, node: Node): vscode.TreeItem {
    if (node.kind === 'process' && item.tooltip === undefined) {
      item.tooltip = this.tooltipFor(node);
      this.heldUntil = Date.now() + HOVER_HOLD_MS;
    }
    return item;
  }

  /** A process row's tooltip, as its hover shows it (for tests: without holding the rows). */
  tooltipFor(node: Extract<Node, { kind: 'process' }>): vscode.MarkdownString {
    return tooltip(node.process, node, this.now);
  }

  getChildren(element?: Node): Node[] {
    const ids = element ? (this.index.children.get(element.id) ?? []) : this.index.roots;
    return ids.map((id) => this.index.nodes.get(id)!);
  }

  getParent(element: Node): Node | undefined {
    return this.index.parentOf(element);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const hasChildren = (this.index.children.get(node.id)?.length ?? 0) > 0;
    const collapsed = hasChildren ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None;
    switch (node.kind) {
      case 'root': {
        const r = node.root;
        const item = new vscode.TreeItem(r.label, hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        const zombies = r.view?.diagnosis.zombies.length ?? 0;
        const parts = [
          r.view ? `pid ${r.view.pid}` : undefined,
          r.ended ? 'ended' : undefined,
          zombies ? `${zombies} zombie${zombies === 1 ? '' : 's'}` : undefined,
          r.recording === true ? 'spawns recorded' : r.recording === false ? 'not recorded' : undefined,
        ];
        item.description = parts.filter(Boolean).join(' · ');
        item.iconPath = new vscode.ThemeIcon(r.ended ? 'debug-stop' : r.key === 'machine' ? 'server' : 'debug-alt', zombies ? new vscode.ThemeColor('list.errorForeground') : undefined);
        item.tooltip = `${r.label}\n${r.how}${r.ended ? '\nThe session has ended: what its program left behind stays listed until dismissed.' : ''}`;
        item.contextValue = ItemContext.Root + (r.ended ? ItemFlag.Ended : '');
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(`${node.from + 1}–${node.from + node.pids.length}`, collapsed);
        item.id = node.id;
        item.description = node.zombies ? `${node.zombies} zombies` : `${node.pids.length} processes`;
        item.iconPath = new vscode.ThemeIcon('list-tree');
        item.contextValue = ItemContext.Group;
        return item;
      }
      case 'orphans': {
        const item = new vscode.TreeItem('Left behind', vscode.TreeItemCollapsibleState.Expanded);
        item.id = node.id;
        item.description = 're-parented, still here';
        item.iconPath = new vscode.ThemeIcon('debug-disconnect', new vscode.ThemeColor('list.warningForeground'));
        item.tooltip = 'Processes the program started that outlived their parent: re-parented to init or a subreaper, still running (or zombies nobody reaps).';
        item.contextValue = ItemContext.Group;
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.id = node.id;
        item.contextValue = ItemContext.Message;
        return item;
      }
      case 'process':
        return this.processItem(node, hasChildren);
    }
  }

  private processItem(node: Extract<Node, { kind: 'process' }>, hasChildren: boolean): vscode.TreeItem {
    const p = node.process;
    const d = node.diagnosis;
    // Expand what leads to zombies the first time it is seen; VS Code remembers the user's
    // choice for the same id afterwards.
    const state = !hasChildren ? vscode.TreeItemCollapsibleState.None : d && d.zombies.length > GROUP_EXPAND_LIMIT ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded;
    const item = new vscode.TreeItem(displayName(p), state);
    item.id = node.id;
    const age = formatAge(Math.max(0, this.now - p.startTime));
    let context: string;
    if (isZombie(p)) {
      item.description = `${p.pid} · defunct · ${describeExit(p.exit)} · ${age}`;
      item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
      context = ItemContext.Zombie;
      if (node.site) {
        item.command = { command: Commands.OpenSpawnSite, title: 'Open Spawn Site', arguments: [node] };
        item.description += ` · ${siteWords(node.site)}`;
      }
    } else if (d) {
      item.description = `${p.pid} · ${d.zombies.length} zombie${d.zombies.length === 1 ? '' : 's'} · ${CAUSE_WORDS[d.cause] ?? d.cause}`;
      item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
      context = ItemContext.NonReapingParent;
    } else {
      item.description = `${p.pid} · ${STATE_WORDS[p.state] ?? p.state} · ${age}${node.site ? ` · ${siteWords(node.site)}` : ''}`;
      item.iconPath = new vscode.ThemeIcon(p.state === 't' || p.state === 'T' ? 'debug-pause' : p.state === 'R' ? 'pulse' : 'circle-outline');
      context = ItemContext.Process;
    }
    const own = p.uid === undefined ? !isZombie(p) && ownsProcess(p) : p.uid === process.getuid?.();
    item.contextValue = context + (own ? ItemFlag.Own : '') + (node.site ? ItemFlag.Site : '');
    // The tooltip comes from resolveTreeItem, on hover (tooltipOf gives it to the tests).
    item.accessibilityInformation = { label: `${displayName(p)}, process ${p.pid}, ${STATE_WORDS[p.state] ?? p.state}${d ? `, ${d.verdict}` : ''}` };
    return item;
  }
}

/** How long the rows are held still after a tooltip is asked for (a refresh would close it). */
const HOVER_HOLD_MS = 10_000;

/** Above this many zombies a parent starts collapsed (its groups are one click away). */
const GROUP_EXPAND_LIMIT = 50;

function ownsProcess(p: ProcessInfo): boolean {
  return p.uid === process.getuid?.();
}

function shortPath(file: string): string {
  return vscode.workspace.asRelativePath(file, false);
}

/** "recorded at main.go:41", "likely from main.go:41". */
function siteWords(site: SpawnSiteRef): string {
  return `${site.confidence === 'recorded' ? 'recorded at' : `${site.confidence} from`} ${escapeText(shortPath(site.file))}:${site.line}`;
}

/** A markdown link that opens a frame's line (the tooltip is trusted for this one command only). */
function frameLink(f: { file: string; line: number; function?: string }): string {
  const ref: SpawnSiteRef = { file: f.file, line: f.line, column: 1, confidence: 'recorded', reason: '' };
  const uri = `command:${Commands.OpenSpawnSite}?${encodeURIComponent(JSON.stringify([ref]))}`;
  const label = escape(`${escapeText(shortPath(f.file))}:${f.line}`);
  return `[${label}](${uri})${f.function ? ` \`${escapeText(f.function).replace(/`/g, "'")}\`` : ''}`;
}

function tooltip(p: ProcessInfo, node: Extract<Node, { kind: 'process' }>, now: number): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.supportThemeIcons = true;
  const d = node.diagnosis;
  md.appendMarkdown(`**${escape(displayName(p))}** — PID ${p.pid}${isZombie(p) ? ' $(error) zombie' : ''}\n\n`);
  if (d) md.appendMarkdown(`$(warning) ${escape(escapeText(d.verdict))}\n\n`);
  if (d) forecastMarkdown(md, d, now);
  const rows: [string, string | undefined][] = [
    ['State', `${STATE_WORDS[p.state] ?? p.state} (${p.state})`],
    ['Exit', isZombie(p) ? describeExit(p.exit) : undefined],
    ['Started', `${new Date(p.startTime).toLocaleString()} (${formatAge(Math.max(0, now - p.startTime))} ago)`],
    ['Parent PID', String(p.ppid)],
    ['Command line', p.cmdline?.length ? p.cmdline.join(' ') : isZombie(p) ? '(gone: a zombie keeps only its name)' : undefined],
    ['Executable', p.exe],
    ['Waiting in', p.wchan],
    ['Doing', d ? describeActivity(d.activity) : undefined],
    ['SIGCHLD', p.sigchld ? `${p.sigchld.disposition}${p.sigchld.blocked ? ', blocked' : ''}` : undefined],
    ['TracerPid', p.tracerPid ? String(p.tracerPid) : undefined],
    ['UID', p.uid !== undefined ? String(p.uid) : undefined],
    ['Threads', String(p.threads)],
    ['Spawn site', node.site ? `${shortPath(node.site.file)}:${node.site.line} (${node.site.confidence}: ${node.site.reason})` : undefined],
  ];
  // Command lines, paths and reasons come from other programs: a newline would end the code span and start markdown of theirs.
  for (const [k, v] of rows) if (v !== undefined) md.appendMarkdown(`${k}: \`${escapeText(v).replace(/`/g, "'")}\`  \n`);
  if (node.site?.stack?.length) {
    md.isTrusted = { enabledCommands: [Commands.OpenSpawnSite] };
    md.appendMarkdown('\nRecorded call stack (your code, innermost first):\n\n');
    for (const f of node.site.stack.slice(0, 12)) md.appendMarkdown(`- ${frameLink(f)}\n`);
    if (node.site.stack.length > 12) md.appendMarkdown(`- … ${node.site.stack.length - 12} more\n`);
  }
  if (p.restricted) md.appendMarkdown('\n_Some fields belong to another user and cannot be read._');
  return md;
}

/** The parent's zombie count over the last minutes (unicode blocks: VS Code's hovers render them as text), its forecast and limits. */
function forecastMarkdown(md: vscode.MarkdownString, d: NonNullable<Extract<Node, { kind: 'process' }>['diagnosis']>, now: number): void {
  if (d.history?.length) {
    const s = sparkline(d.history, now, SPARK_MS);
    md.appendMarkdown(`Zombies, last ${formatAge(SPARK_MS)}: \`${s.line}\` ${s.min === s.max ? `(${s.max})` : `(${s.min} → ${s.max})`}  \n`);
  }
  if (d.forecast && d.forecast.trend !== 'leaking') md.appendMarkdown(`Forecast: ${escape(d.forecast.text)}  \n`);
  if (d.limits) {
    if (d.limits.unknown) md.appendMarkdown(`Limits: ${escape(d.limits.unknown)}\n\n`);
    else md.appendMarkdown(`Limits on its tasks:\n\n${d.limits.readings.map((r) => `- ${escape(describeLimit(r))}${r === d.forecast?.tightest ? ' **(tightest)**' : ''}`).join('\n')}\n\n`);
  }
}

/** The span of the tooltip's sparkline. */
const SPARK_MS = 5 * 60_000;

function escape(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
