/**
 * Keeps the Processes view, its badge, the status bar item and the first-zombie notification in
 * step with the processes of every debug session. Reads /proc only while the view is visible or
 * a session runs: when idle, no timer runs at all.
 */
import * as vscode from 'vscode';
import { describeEvidence } from '../core/evidence';
import { formatLeft } from '../core/forecast';
import { displayName } from '../core/format';
import { readIssuesText } from '../core/notes';
import { inspect } from '../core/inspect';
import type { ParentDiagnosis } from '../core/diagnose';
import type { LimitKind } from '../core/forecast';
import { identity, isZombie, type ProcessInfo, type ProcessSource } from '../core/model';
import { Monitor, type RootView } from '../core/monitor';
import { readConfig } from '../config';
import type { SessionTracker, TrackedSession } from '../debug/sessions';
import { Commands, ContextKeys, Views } from '../ids';
import { RecordSet } from '../record/log';
import { resolveNativeFrames } from '../record/native';
import { bestRecordedSite, recordedReason } from '../record/site';
import type { SpawnSite } from '../spawnsites/types';
import { NodeIndex, type Node, type RootInfo, type SpawnSiteRef } from './nodes';
import { ProcessTreeProvider } from './processTree';

/** A process picked by hand with "Inspect Process…". */
interface ManualRoot {
  key: string;
  pid: number;
  startTicks: number;
  label: string;
}

/**
 * Links a zombie to its spawn site. `program` is what the debugger was told the parent runs (the
 * launch configuration's `program`), given only when the parent is the session's debuggee.
 */
export type SiteLinker = (zombie: ProcessInfo, parent: ProcessInfo | undefined, program?: string) => SpawnSiteRef | undefined;

export class Controller implements vscode.Disposable {
  readonly provider: ProcessTreeProvider;
  readonly view: vscode.TreeView<Node>;
  private readonly monitor: Monitor;
  private readonly manual = new Map<string, ManualRoot>();
  private machine: { view: RootView; label: string } | undefined;
  private readonly statusBar: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastViews = new Map<string, RootView>();
  private onlyZombies: boolean;
  private readonly notified = new Set<string>();
  /** Parents (by identity) already warned about a limit they are close to. */
  private readonly warned = new Set<string>();
  private readonly refreshed = new vscode.EventEmitter<void>();
  /** Fires after every refresh (tests and the spawn-site CodeLens listen). */
  readonly onDidRefresh = this.refreshed.event;
  siteLinker: SiteLinker = () => undefined;
  /** The index's spawning call on a line, when it has one (set by SpawnSites): what a recorded site selects. */
  siteAt: (file: string, line: number) => SpawnSite | undefined = () => undefined;
  /** The record files of the sessions shown (src/record): a recorded spawn beats every inference. */
  readonly records = new RecordSet();
  /** identity -> its recorded site (a record never changes once written). */
  private readonly recordedCache = new Map<string, SpawnSiteRef>();

  constructor(
    readonly source: ProcessSource,
    private readonly sessions: SessionTracker,
    private readonly memento: vscode.Memento,
  ) {
    this.monitor = new Monitor(source);
    this.onlyZombies = memento.get<boolean>(ContextKeys.FilterZombies, false);
    this.monitor.detailsFor = this.onlyZombies ? 'zombie-paths' : 'all';
    this.provider = new ProcessTreeProvider(new NodeIndex([], false, () => undefined));
    this.view = vscode.window.createTreeView(Views.Processes, { treeDataProvider: this.provider, showCollapseAll: true });
    this.statusBar = vscode.window.createStatusBarItem('processInspector.zombies', vscode.StatusBarAlignment.Left, 10);
    this.statusBar.name = 'Process Inspector: zombies';
    this.statusBar.command = Commands.FindZombies;
    void vscode.commands.executeCommand('setContext', ContextKeys.FilterZombies, this.onlyZombies);
    this.disposables.push(
      this.view,
      this.statusBar,
      this.refreshed,
      this.provider,
      this.view.onDidChangeVisibility(() => this.schedule()),
      sessions.onDidChange((s) => this.sessionChanged(s)),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('processInspector') && this.schedule(true)),
    );
    this.schedule();
  }

  /** True when no refresh timer runs: nothing is read until a session starts or the view opens. */
  get idle(): boolean {
    return this.timer === undefined;
  }

  /** Is there anything to refresh for? The answer decides whether a timer runs. */
  private get active(): boolean {
    return this.sessions.running > 0 || (this.view.visible && (this.monitor.size > 0 || this.machine !== undefined));
  }

  private sessionChanged(s: TrackedSession): void {
    const key = `session:${s.id}`;
    const live = this.sessions.get(s.id);
    if (s.recording?.recordFile) {
      if (live) this.records.add(s.recording.recordFile);
      else this.records.remove(s.recording.recordFile);
    }
    if (!live) this.monitor.untrack(key);
    else if (s.evidence && !this.monitor.has(key)) this.monitor.track({ key, pid: s.evidence.pid });
    else if (s.evidence && this.lastViews.get(key)?.pid !== s.evidence.pid) {
      this.monitor.untrack(key);
      this.monitor.track({ key, pid: s.evidence.pid });
    }
    this.schedule(true);
  }

  /** Starts or stops the refresh timer; `now` refreshes at once. */
  schedule(now = false): void {
    // A change made by a refresh itself (dropping a finished session) is rendered by that refresh.
    if (this.refreshing) return;
    if (now || (this.active && !this.timer)) this.refresh();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.active) this.timer = setTimeout(() => { this.timer = undefined; this.refresh(); this.schedule(); }, readConfig().refreshInterval);
  }

  private refreshing = false;

  refresh(): void {
    this.refreshing = true;
    try {
      this.refreshNow();
    } finally {
      this.refreshing = false;
    }
  }

  private refreshNow(): void {
    let views: RootView[];
    try {
      views = this.monitor.refresh();
    } catch (e) {
      void vscode.window.showErrorMessage(`Process Inspector: cannot read processes: ${(e as Error).message}`);
      views = [];
    }
    this.lastViews = new Map(views.map((v) => [v.key, v]));
    // After the read: a child seen in it was recorded before it existed.
    this.records.poll();
    // An ended session whose program left nothing behind has nothing to show: drop it, so only
    // sessions with leftovers wait for the user to dismiss them.
    for (const s of this.sessions.all()) {
      const v = this.lastViews.get(`session:${s.id}`);
      if (s.endedAt !== undefined && v && v.snapshot.processes.size === 0) {
        this.monitor.untrack(v.key);
        this.lastViews.delete(v.key);
        this.sessions.forget(s.id);
      }
    }
    this.render();
    this.notify(views);
    this.refreshed.fire();
  }

  /** The launch configuration's program, when `parent` is the debuggee of the session `rootKey`. */
  programOf(rootKey: string, parent: ProcessInfo | undefined): string | undefined {
    if (!parent || !rootKey.startsWith('session:')) return undefined;
    const view = this.lastViews.get(rootKey);
    if (!view || view.pid !== parent.pid) return undefined;
    let s = this.sessions.get(rootKey.slice('session:'.length));
    // js-debug's child session carries the PID; its parent session carries the configuration.
    while (s && !s.program && s.parentId) s = this.sessions.get(s.parentId);
    return s?.program;
  }

  /**
   * Where `p` was spawned: its record when its runtime wrote one (any process, an orphan still
   * running too), else for a zombie what the spawn-site index infers.
   */
  siteOf(p: ProcessInfo, parent: ProcessInfo | undefined, rootKey: string): SpawnSiteRef | undefined {
    return this.recordedSiteOf(p) ?? (isZombie(p) ? this.siteLinker(p, parent, this.programOf(rootKey, parent)) : undefined);
  }

  recordedSiteOf(p: ProcessInfo): SpawnSiteRef | undefined {
    if (this.records.size === 0) return undefined;
    const key = identity(p);
    const hit = this.recordedCache.get(key);
    if (hit) return hit;
    const recs = this.records.findAll(p);
    if (!recs.length) return undefined;
    const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const best = bestRecordedSite(recs, roots, resolveNativeFrames);
    if (!best) return undefined;
    const { record: rec, site } = best;
    const known = this.siteAt(site.file, site.line);
    const ref: SpawnSiteRef = {
      file: site.file,
      line: site.line,
      column: known?.range.startColumn ?? site.column,
      ...(known ? { endLine: known.range.endLine, endColumn: known.range.endColumn } : {}),
      confidence: 'recorded',
      reason: recordedReason(rec, site, known?.api),
      api: known?.api ?? site.api,
      stack: site.stack,
    };
    if (this.recordedCache.size > 50_000) this.recordedCache.clear();
    this.recordedCache.set(key, ref);
    return ref;
  }

  /** Draws the last read again, e.g. after the spawn-site index changed; reads nothing. */
  relink(): void {
    this.recordedCache.clear();
    this.render();
    this.refreshed.fire();
  }

  private roots(): RootInfo[] {
    const out: RootInfo[] = [];
    const all = this.sessions.all();
    for (const s of all) {
      const key = `session:${s.id}`;
      const view = this.lastViews.get(key);
      // A session whose children carry the program (js-debug) shows through them.
      if (!s.evidence && all.some((c) => c.parentId === s.id)) continue;
      const rec = this.sessions.recordingOf(s.id);
      const how = s.evidence ? `Debug session (${s.type}): ${describeEvidence(s.evidence)}.` : `Debug session (${s.type}).`;
      out.push({
        key,
        label: s.name,
        how: rec?.notes.length ? `${how}\nSpawn recording: ${rec.notes.join('; ')}` : how,
        recording: rec ? !!rec.recordFile : undefined,
        ended: s.endedAt !== undefined,
        view,
        message: s.evidence ? undefined : 'Looking for the debugged process…',
      });
    }
    for (const m of this.manual.values()) out.push({ key: m.key, label: m.label, how: 'Picked with Inspect Process…', ended: false, view: this.lastViews.get(m.key) });
    if (this.machine) out.push({ key: 'machine', label: this.machine.label, how: 'Find Zombies searched the whole machine (no debug session was running).', ended: false, view: this.machine.view });
    return out;
  }

  private render(): void {
    const index = new NodeIndex(this.roots(), this.onlyZombies, (p, parent, rootKey) => this.siteOf(p, parent, rootKey));
    this.provider.update(index, Date.now());
    const zombies = this.zombieCount();
    this.view.badge = zombies ? { value: zombies, tooltip: `${zombies} zombie process${zombies === 1 ? '' : 'es'}` } : undefined;
    // What the reads could not show (hidepid, other users', damaged /proc files): said above the tree.
    const issues = [...new Set([...this.lastViews.values()].flatMap((v) => readIssuesText(v.snapshot)))];
    this.view.message = issues.length ? `Not everything could be read: ${issues.join('; ')}.` : undefined;
    if (this.sessions.running > 0) {
      const near = this.nearestLimit();
      this.statusBar.text = zombies ? `$(error) ${zombies} zombie${zombies === 1 ? '' : 's'}` : '$(pass) 0 zombies';
      this.statusBar.tooltip = 'Zombie processes under the debugged programs: click to find them';
      this.statusBar.backgroundColor = zombies ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
      if (near) {
        // Close to the wall: the limit and the time left, in the error color.
        const f = near.forecast!;
        this.statusBar.text += ` · ${f.tightest ? limitName(f.tightest.kind) : 'limit'} ${f.secondsLeft! > 0 ? `in ${formatLeft(f.secondsLeft!)}` : 'reached'}`;
        this.statusBar.tooltip = `${displayName(near.parent)} (${near.parent.pid}) ${f.text}. Click to find the zombies.`;
        this.statusBar.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      }
      this.statusBar.show();
    } else this.statusBar.hide();
  }

  /** The leaking parent closest to a limit, when within the warning threshold. */
  nearestLimit(): ParentDiagnosis | undefined {
    const within = readConfig().forecastWarnMinutes * 60;
    let best: ParentDiagnosis | undefined;
    for (const v of this.lastViews.values()) {
      for (const d of v.diagnosis.parents) {
        const left = d.forecast?.secondsLeft;
        if (left !== undefined && left < within && (best === undefined || left < best.forecast!.secondsLeft!)) best = d;
      }
    }
    return best;
  }

  zombieCount(): number {
    let n = 0;
    for (const v of this.lastViews.values()) n += v.diagnosis.zombies.length;
    return n;
  }

  /** The last views, for Find Zombies and for tests (through the extension's exports). */
  views(): RootView[] {
    const out = [...this.lastViews.values()];
    if (this.machine) out.push(this.machine.view);
    return out;
  }

  labelOf(key: string): string {
    return this.roots().find((r) => r.key === key)?.label ?? key;
  }

  setFilter(onlyZombies: boolean): void {
    this.onlyZombies = onlyZombies;
    // Details are read for what is shown: with the filter, only the way to each zombie.
    this.monitor.detailsFor = onlyZombies ? 'zombie-paths' : 'all';
    void this.memento.update(ContextKeys.FilterZombies, onlyZombies);
    void vscode.commands.executeCommand('setContext', ContextKeys.FilterZombies, onlyZombies);
    this.render();
  }

  addManualRoot(p: ProcessInfo): void {
    const key = `manual:${p.pid}@${p.startTicks}`;
    this.manual.set(key, { key, pid: p.pid, startTicks: p.startTicks, label: `${displayName(p)} (${p.pid})` });
    this.monitor.track({ key, pid: p.pid, startTicks: p.startTicks });
    this.schedule(true);
  }

  /** Machine-wide search, shown as its own root so results can be revealed. */
  searchMachine(): RootView {
    const { snapshot, diagnosis } = inspect(this.source);
    // Keep only zombies and their parents: the machine's full tree is not what was asked.
    const keepPids = new Set<number>();
    for (const d of diagnosis.parents) {
      keepPids.add(d.parent.pid);
      for (const z of d.zombies) keepPids.add(z.pid);
    }
    for (const z of diagnosis.orphanedZombies) keepPids.add(z.pid);
    const processes = new Map([...snapshot.processes].filter(([pid]) => keepPids.has(pid)));
    const children = new Map<number, number[]>();
    for (const p of processes.values()) if (processes.has(p.ppid)) (children.get(p.ppid) ?? children.set(p.ppid, []).get(p.ppid)!).push(p.pid);
    const view: RootView = { key: 'machine', pid: 0, alive: true, snapshot: { ...snapshot, processes, children }, diagnosis, orphans: [] };
    this.machine = { view, label: 'Whole machine' };
    this.render();
    this.schedule();
    return view;
  }

  dismiss(key: string): void {
    if (key === 'machine') this.machine = undefined;
    else if (key.startsWith('manual:')) {
      this.manual.delete(key);
      this.monitor.untrack(key);
    } else if (key.startsWith('session:')) this.sessions.forget(key.slice('session:'.length));
    this.lastViews.delete(key);
    this.render();
    this.schedule();
  }

  /** Once per parent: a warning when its leak reaches a limit within the threshold. */
  private warnNearLimits(views: RootView[]): void {
    const within = readConfig().forecastWarnMinutes * 60;
    for (const v of views) {
      for (const d of v.diagnosis.parents) {
        const left = d.forecast?.secondsLeft;
        const key = identity(d.parent);
        if (left === undefined || left >= within || this.warned.has(key)) continue;
        this.warned.add(key);
        void vscode.window.showWarningMessage(`${displayName(d.parent)} (${d.parent.pid}) ${d.forecast!.text}: then fork fails with "Resource temporarily unavailable".`, 'Show').then((choice) => {
          if (choice === 'Show') void this.reveal(v.key, d.parent.pid);
        });
      }
    }
  }

  private notify(views: RootView[]): void {
    this.warnNearLimits(views);
    if (!readConfig().notifyOnZombies) return;
    for (const v of views) {
      if (!v.key.startsWith('session:') || this.notified.has(v.key) || !v.diagnosis.parents.length) continue;
      this.notified.add(v.key);
      const d = v.diagnosis.parents[0];
      const n = v.diagnosis.zombies.length;
      void vscode.window
        .showWarningMessage(`${displayName(d.parent)} (${d.parent.pid}) is leaving zombies: ${d.verdict}.${n > d.zombies.length ? ` ${n} zombies in all under ${this.labelOf(v.key)}.` : ''}`, 'Show', "Don't Show Again")
        .then((choice) => {
          if (choice === 'Show') void this.reveal(v.key, d.parent.pid);
          else if (choice === "Don't Show Again") void vscode.workspace.getConfiguration('processInspector').update('notifyOnZombies', false, vscode.ConfigurationTarget.Global);
        });
    }
  }

  async reveal(rootKey: string, pid: number): Promise<boolean> {
    const node = this.provider.current.nodeFor(rootKey, pid);
    if (!node) return false;
    await this.view.reveal(node, { select: true, focus: true, expand: true });
    return true;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.monitor.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** The short name of a limit, for the status bar. */
function limitName(kind: LimitKind): string {
  return kind === 'rlimit-nproc' ? 'RLIMIT_NPROC' : kind === 'pid-max' ? 'pid_max' : kind === 'threads-max' ? 'threads-max' : 'pids.max';
}
