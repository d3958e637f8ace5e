/**
 * Spawn sites in the editor: the workspace's spawn-site index (src/spawnsites, no vscode there),
 * kept current file by file; its findings as diagnostics in the Problems panel with the quick
 * fixes the scanners offer; the link from each live zombie to its site (used by the Processes
 * view and Find Zombies); and, on each site with live zombies, a CodeLens ("3 zombies from here:
 * parent go-zombies (4711) never waits") and a line highlight, updated on every refresh.
 *
 * Coordinates: the index is 1-based (lines and UTF-16 columns); vscode.Position is 0-based. The
 * conversion happens here and in openSite only.
 */
import { rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { displayName } from '../core/format';
import { identity, type ProcessInfo } from '../core/model';
import { readConfig } from '../config';
import { Colors, Commands, DIAGNOSTIC_SOURCE, Views } from '../ids';
import { indexWithCache, skippedText } from '../spawnsites/command';
import { type IndexProgress, type IndexStats, languageOf, SpawnSiteIndex } from '../spawnsites/index';
import { snapshotFile, writeSnapshotFile } from '../spawnsites/snapshot';
import { linkZombie, type SiteLink } from '../spawnsites/link';
import type { SiteFinding, SourceRange, SpawnSite } from '../spawnsites/types';
import type { Controller } from './controller';
import type { SpawnSiteRef } from './nodes';

/** A rebuild that takes longer than this shows a progress notification (with Cancel). */
const PROGRESS_AFTER_MS = 1000;

/**
 * Files whose change on disk changes the index as a whole: the manifests that name programs, and
 * the .gitignore files that say what is read.
 */
const WHOLE_INDEX_FILES = new Set(['go.mod', 'Cargo.toml', '.gitignore']);
const CHANGE_DEBOUNCE_MS = 200;
/** After file changes, the index is saved once this long has passed without another. */
const SAVE_DEBOUNCE_MS = 3000;

/** Live zombies linked to one site, for its CodeLens and highlight. */
interface SiteTally {
  file: string;
  line: number;
  range: SourceRange;
  api: string;
  /** The best confidence among its zombies' links: recorded, likely, possible. */
  confidence: SpawnSiteRef['confidence'];
  zombies: number;
  /** parent pid -> its label, the first zombie to reveal */
  parents: Map<number, { label: string; rootKey: string; zombiePid: number }>;
}

export function toRange(r: SourceRange): vscode.Range {
  return new vscode.Range(r.startLine - 1, r.startColumn - 1, r.endLine - 1, r.endColumn - 1);
}

export class SpawnSites implements vscode.Disposable, vscode.CodeLensProvider, vscode.CodeActionProvider {
  /** One index per local workspace folder, by folder path. */
  private readonly indexes = new Map<string, SpawnSiteIndex>();
  /** What the last rebuild of each folder's index did, by folder path. */
  private readonly stats = new Map<string, IndexStats>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('processInspector');
  /** Findings by file path, for the code actions of their diagnostics. */
  private findingsByFile = new Map<string, SiteFinding[]>();
  /** parent identity + zombie name -> link; zombies of one parent with one name link alike. Cleared when the index changes. */
  private linkCache = new Map<string, SiteLink | undefined>();
  private tallies = new Map<string, SiteTally>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly highlight = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor(Colors.ZombieSiteBackground),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.errorForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly disposables: vscode.Disposable[] = [];
  private readonly log = vscode.window.createOutputChannel('Process Inspector: Spawn Sites', { log: true });
  private pending = new Set<string>();
  private pendingTimer: NodeJS.Timeout | undefined;
  private work: Promise<void> = Promise.resolve();
  private enabled = readConfig().spawnSites;
  /** Resolves once the first index of every folder is built. */
  readonly ready: Promise<void>;

  /** Folders whose index changed since it was last saved. */
  private unsaved = new Set<string>();
  private saveTimer: NodeJS.Timeout | undefined;

  /**
   * `storageDir`: where each folder's index is saved between sessions (the workspace's storage),
   * so that the next start reads only the files changed meanwhile. Without one, nothing is saved.
   */
  constructor(
    private readonly controller: Controller,
    readonly storageDir?: string,
  ) {
    // Everything: a directory deleted, created or renamed comes as one event for the directory,
    // with none for the files in it. Changes of files the index does not read are dropped in changed().
    const watcher = vscode.workspace.createFileSystemWatcher('**/*');
    this.disposables.push(
      this.diagnostics,
      this.log,
      this.lensesChanged,
      this.highlight,
      watcher,
      watcher.onDidChange((u) => {
        if (languageOf(u.fsPath) || WHOLE_INDEX_FILES.has(basename(u.fsPath))) this.changed(u);
      }),
      watcher.onDidCreate((u) => this.changed(u)),
      watcher.onDidDelete((u) => this.changed(u)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.rebuild()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('processInspector.spawnSites')) return;
        this.enabled = readConfig().spawnSites;
        this.rebuild();
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorate()),
      vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this),
      vscode.languages.registerCodeActionsProvider({ scheme: 'file' }, this, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
      vscode.commands.registerCommand(Commands.ShowSiteZombies, (rootKey: string, pid: number) => this.showZombies(rootKey, pid)),
      vscode.commands.registerCommand(Commands.ReindexSpawnSites, () => this.rebuild({ fromScratch: true })),
      controller.onDidRefresh(() => this.retally()),
    );
    controller.siteLinker = (z, p, program) => this.link(z, p, program);
    controller.siteAt = (file, line) => this.siteAt(file, line);
    this.ready = this.rebuild();
  }

  /** The indexes, for tests and the CLI-like checks of the extension's exports. */
  get all(): SpawnSiteIndex[] {
    return [...this.indexes.values()];
  }

  /** The stats of each folder's last rebuild (files read, reused from the saved index...), for tests. */
  get lastStats(): ReadonlyMap<string, IndexStats> {
    return this.stats;
  }

  /** Runs index work one job at a time, in order: a rebuild never races an update. */
  private enqueue(job: () => Promise<void>): Promise<void> {
    this.work = this.work.then(job).catch((e: unknown) => {
      this.log.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      void vscode.window.showWarningMessage(`Process Inspector could not index spawn sites: ${e instanceof Error ? e.message : String(e)}`);
    });
    return this.work;
  }

  /** Indexes every folder again: from the saved index and what changed since, or (`fromScratch`) reading every file. */
  rebuild(opts: { fromScratch?: boolean } = {}): Promise<void> {
    return this.enqueue(async () => {
      // Built aside and swapped in whole: links and Problems keep the old index meanwhile, and a
      // folder that cannot be indexed costs only its own sites.
      const next = new Map<string, SpawnSiteIndex>();
      const nextStats = new Map<string, IndexStats>();
      const failed: string[] = [];
      // Long work shows where it is and can be stopped: a progress notification with a Cancel
      // button, opened only once the indexing has taken a second (a saved index is quicker).
      const cancel = new AbortController();
      let report: ((message: string) => void) | undefined;
      let finish: () => void = () => {};
      const finished = new Promise<void>((resolve) => (finish = resolve));
      const words = { walk: 'finding source files', read: 'reading', parse: 'parsing' };
      let folderName = '';
      const onProgress = (p: IndexProgress) => report?.(`${folderName}: ${words[p.phase]} ${p.done}${p.total !== undefined ? ` of ${p.total}` : ''} files`);
      const notify = setTimeout(() => {
        void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Process Inspector: indexing spawn sites', cancellable: true }, (progress, token) => {
          token.onCancellationRequested(() => cancel.abort());
          report = (message) => progress.report({ message });
          return finished;
        });
      }, PROGRESS_AFTER_MS);
      if (this.enabled) {
        for (const f of vscode.workspace.workspaceFolders ?? []) {
          if (f.uri.scheme !== 'file') continue;
          if (cancel.signal.aborted) break;
          folderName = f.name;
          try {
            if (opts.fromScratch && this.storageDir) rmSync(snapshotFile(this.storageDir, f.uri.fsPath), { force: true });
            const { index, stats: st, warnings } = await indexWithCache(f.uri.fsPath, this.storageDir, { onProgress, signal: cancel.signal });
            for (const w of warnings) this.log.warn(w);
            for (const line of skippedText(index.skipped(), f.uri.fsPath)) this.log.warn(line);
            const ph = Object.entries(st.phases).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
            const saved = st.reused ? `, ${st.reused} of them unchanged since the saved index` : st.snapshotRejected ? ` (saved index not used: ${st.snapshotRejected})` : '';
            this.log.info(`indexed ${f.uri.fsPath}: ${st.files} source files${saved}, ${st.parsed} parsed, ${st.sites} spawn sites in ${st.ms.toFixed(0)} ms (${ph})`);
            this.unsaved.delete(f.uri.fsPath);
            next.set(f.uri.fsPath, index);
            nextStats.set(f.uri.fsPath, st);
          } catch (e) {
            if ((e as Error).name === 'AbortError') {
              this.log.info(`indexing ${f.uri.fsPath} cancelled: its spawn sites stay as they were`);
              continue;
            }
            this.log.error(`cannot index ${f.uri.fsPath}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
            failed.push(`${f.name}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      }
      clearTimeout(notify);
      finish();
      // Cancelled: what was indexed before stays (a folder not indexed again keeps its old index).
      if (cancel.signal.aborted) for (const [k, v] of this.indexes) if (!next.has(k)) next.set(k, v);
      if (cancel.signal.aborted) for (const [k, v] of this.stats) if (!nextStats.has(k)) nextStats.set(k, v);
      this.indexes.clear();
      for (const [k, v] of next) this.indexes.set(k, v);
      this.stats.clear();
      for (const [k, v] of nextStats) this.stats.set(k, v);
      this.afterIndexChange();
      if (failed.length) void vscode.window.showWarningMessage(`Process Inspector could not index the spawn sites of ${failed.join('; ')}`);
    });
  }

  private changed(uri: vscode.Uri): void {
    if (!this.enabled || uri.scheme !== 'file') return;
    this.log.trace(`changed on disk: ${uri.fsPath}`);
    this.pending.add(uri.fsPath);
    if (this.pendingTimer) clearTimeout(this.pendingTimer);
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = undefined;
      const paths = [...this.pending];
      this.pending.clear();
      void this.enqueue(() => this.update(paths));
    }, CHANGE_DEBOUNCE_MS);
  }

  /**
   * Re-reads the changed files. A manifest or .gitignore change re-reads its folder (from the index
   * as it is: only changed files are parsed); a path that is not a source file may be a directory
   * that came or went.
   */
  private async update(paths: string[]): Promise<void> {
    const t0 = performance.now();
    let changed = false;
    const touched: string[] = [];
    for (const [root, index] of this.indexes) {
      // Paths inside what the index skips (node_modules, build output a .gitignore names, ...) are dropped first.
      const mine = paths.filter((p) => p.startsWith(`${root}/`) && index.mayConcern(WHOLE_INDEX_FILES.has(basename(p)) ? dirname(p) : p));
      if (!mine.length) continue;
      touched.push(...mine);
      let here = false;
      if (mine.some((p) => WHOLE_INDEX_FILES.has(basename(p)))) {
        await index.indexDirectory(root, { snapshot: index.snapshot() });
        here = true;
      } else {
        for (const p of mine) if (languageOf(p) ? await index.updateFile(p) : await index.refreshUnder(p)) here = true;
      }
      // Saved again after a change, and after any source file was read: one rewritten as it was
      // can still move findings (a message, a fix) and has a new signature.
      if (here || mine.some((p) => languageOf(p))) this.unsaved.add(root);
      changed ||= here;
    }
    if (!touched.length) return;
    this.scheduleSave();
    const shown = touched.length > 10 ? `${touched.slice(0, 10).join(', ')} and ${touched.length - 10} more` : touched.join(', ');
    this.log.info(`re-read ${touched.length} path${touched.length === 1 ? '' : 's'} in ${(performance.now() - t0).toFixed(1)} ms${changed ? ': spawn sites changed' : ''} (${shown})`);
    // Findings can change without the sites changing (a message, a fix): always refresh them.
    this.afterIndexChange(changed);
  }

  /** The index's spawning call on `line` of `file` (or the call whose range covers it), across the folders. */
  private siteAt(file: string, line: number): SpawnSite | undefined {
    for (const index of this.indexes.values()) {
      const site = index.siteAt(file, line);
      if (site) return site;
    }
    return undefined;
  }

  private afterIndexChange(sitesChanged = true): void {
    if (sitesChanged) this.linkCache.clear();
    const byFile = new Map<string, SiteFinding[]>();
    for (const index of this.indexes.values()) {
      for (const f of index.findings()) (byFile.get(f.file) ?? byFile.set(f.file, []).get(f.file)!).push(f);
    }
    this.findingsByFile = byFile;
    this.diagnostics.clear();
    for (const [file, findings] of byFile) this.diagnostics.set(vscode.Uri.file(file), findings.map((f) => toDiagnostic(f)));
    // The rows' links were computed against the old index: draw them again (from the last
    // read: an index change never reads /proc by itself).
    if (sitesChanged) this.controller.relink();
  }

  /** The best link for a zombie across the workspace folders, as the view and Find Zombies want it. */
  link(zombie: ProcessInfo, parent: ProcessInfo | undefined, program?: string): SpawnSiteRef | undefined {
    const l = this.linkOf(zombie, parent, program);
    return l && { file: l.site.file, line: l.site.line, column: l.site.column, endLine: l.site.range.endLine, endColumn: l.site.range.endColumn, confidence: l.confidence, reason: l.reason };
  }

  private linkOf(zombie: ProcessInfo, parent: ProcessInfo | undefined, program?: string): SiteLink | undefined {
    if (!this.indexes.size) return undefined;
    const key = `${parent ? identity(parent) : `?${zombie.ppid}`}|${zombie.comm}|${zombie.commHex ?? ''}|${parent?.exe ?? ''}|${program ?? ''}`;
    if (this.linkCache.has(key)) return this.linkCache.get(key);
    // A ProcessInfo is a ZombieRef and a ParentRef as it is; only the session's program is added.
    const p = parent && program ? { ...parent, program } : parent;
    let best: SiteLink | undefined;
    for (const index of this.indexes.values()) {
      const l = linkZombie(zombie, p, index);
      if (l && (!best || (best.confidence === 'possible' && l.confidence === 'likely'))) best = l;
    }
    // A parent not yet read in detail (no exe) may link better later: do not remember that answer.
    if (!parent || parent.exe !== undefined || parent.restricted) this.linkCache.set(key, best);
    return best;
  }

  /** Counts live zombies per site after each refresh; lenses and highlights follow. */
  private retally(): void {
    const next = new Map<string, SiteTally>();
    const rank = { recorded: 3, likely: 2, possible: 1 } as const;
    for (const v of this.controller.views()) {
      for (const d of v.diagnosis.parents) {
        for (const z of d.zombies) {
          // Recorded first, then inferred: the same link the zombie's row shows.
          const l = this.controller.siteOf(z, d.parent, v.key);
          if (!l) continue;
          const k = `${l.file}:${l.line}`;
          let t = next.get(k);
          if (!t) {
            const range: SourceRange = l.endLine !== undefined && l.endColumn !== undefined ? { startLine: l.line, startColumn: l.column, endLine: l.endLine, endColumn: l.endColumn } : { startLine: l.line, startColumn: l.column, endLine: l.line, endColumn: l.column };
            next.set(k, (t = { file: l.file, line: l.line, range, api: l.api ?? 'spawn', confidence: l.confidence, zombies: 0, parents: new Map() }));
          }
          t.zombies++;
          if (rank[l.confidence] > rank[t.confidence]) t.confidence = l.confidence;
          if (!t.parents.has(d.parent.pid)) t.parents.set(d.parent.pid, { label: `${displayName(d.parent)} (${d.parent.pid})`, rootKey: v.key, zombiePid: z.pid });
        }
      }
    }
    const summary = (m: Map<string, SiteTally>) => JSON.stringify([...m].map(([k, t]) => [k, t.zombies, t.confidence, [...t.parents.keys()]]));
    if (summary(next) === summary(this.tallies)) return;
    this.tallies = next;
    this.lensesChanged.fire();
    this.decorate();
  }

  /** Sites with live zombies and their counts (tests read this; the lenses show it). */
  liveSites(): { file: string; line: number; zombies: number; parents: number[]; confidence: SpawnSiteRef['confidence'] }[] {
    return [...this.tallies.values()].map((t) => ({ file: t.file, line: t.line, zombies: t.zombies, parents: [...t.parents.keys()], confidence: t.confidence }));
  }

  private decorate(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.scheme !== 'file') continue;
      const file = editor.document.uri.fsPath;
      const ranges: vscode.DecorationOptions[] = [];
      for (const t of this.tallies.values()) {
        if (t.file !== file) continue;
        ranges.push({ range: toRange(t.range), hoverMessage: `${lensTitle(t)} (${t.confidence})` });
      }
      editor.setDecorations(this.highlight, ranges);
    }
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const file = document.uri.fsPath;
    const lenses: vscode.CodeLens[] = [];
    for (const t of this.tallies.values()) {
      if (t.file !== file) continue;
      const first = [...t.parents.values()][0];
      lenses.push(
        new vscode.CodeLens(toRange(t.range), {
          title: `$(error) ${lensTitle(t)}${t.confidence === 'possible' ? ' (possible)' : t.confidence === 'recorded' ? ' (recorded)' : ''}`,
          tooltip: `Live zombie processes linked to this ${t.api} (${t.confidence === 'recorded' ? 'recorded as the program ran' : t.confidence}). Click to show them in the Processes view.`,
          command: Commands.ShowSiteZombies,
          arguments: [first.rootKey, first.zombiePid],
        }),
      );
    }
    return lenses;
  }

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    // The fixes were computed on the file as saved: offer none while it has unsaved edits.
    if (document.isDirty) return [];
    const findings = this.findingsByFile.get(document.uri.fsPath) ?? [];
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== DIAGNOSTIC_SOURCE) continue;
      const f = findings.find((x) => x.fix && toRange(x.range).isEqual(d.range) && x.code === diagnosticCode(d));
      if (!f?.fix) continue;
      const action = new vscode.CodeAction(f.fix.title, vscode.CodeActionKind.QuickFix);
      action.diagnostics = [d];
      action.isPreferred = true;
      action.edit = new vscode.WorkspaceEdit();
      for (const e of f.fix.edits) action.edit.replace(document.uri, toRange(e.range), e.newText);
      actions.push(action);
    }
    return actions;
  }

  private async showZombies(rootKey: string, pid: number): Promise<void> {
    await vscode.commands.executeCommand(`${Views.Processes}.focus`);
    if (!(await this.controller.reveal(rootKey, pid))) void vscode.window.showInformationMessage('Those zombies are gone: their parent reaped them or exited.');
  }

  private scheduleSave(): void {
    if (!this.storageDir || this.unsaved.size === 0) return;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, SAVE_DEBOUNCE_MS);
  }

  /** Saves the folders' indexes that changed since they were last saved. */
  private save(): void {
    if (!this.storageDir) return;
    for (const root of this.unsaved) {
      const index = this.indexes.get(root);
      if (!index) continue;
      const t0 = performance.now();
      const file = snapshotFile(this.storageDir, root);
      const error = writeSnapshotFile(file, index.snapshot());
      if (error) this.log.warn(error);
      else this.log.info(`saved the index of ${root} to ${file} in ${(performance.now() - t0).toFixed(0)} ms`);
    }
    this.unsaved.clear();
  }

  dispose(): void {
    if (this.pendingTimer) clearTimeout(this.pendingTimer);
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.save();
    }
    this.controller.siteLinker = () => undefined;
    for (const d of this.disposables) d.dispose();
  }
}

function lensTitle(t: SiteTally): string {
  const n = `${t.zombies} zombie${t.zombies === 1 ? '' : 's'} from here`;
  const parents = [...t.parents.values()].map((p) => p.label);
  if (parents.length === 1) return `${n}: parent ${parents[0]} never waits`;
  return `${n}: parents ${parents.slice(0, 3).join(', ')}${parents.length > 3 ? ` and ${parents.length - 3} more` : ''} never wait`;
}

function diagnosticCode(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  return typeof c === 'object' ? String(c.value) : c === undefined ? undefined : String(c);
}

function toDiagnostic(f: SiteFinding): vscode.Diagnostic {
  const d = new vscode.Diagnostic(toRange(f.range), f.message, f.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information);
  d.source = DIAGNOSTIC_SOURCE;
  d.code = f.code;
  if (f.related?.length) {
    const uri = vscode.Uri.file(f.file);
    d.relatedInformation = f.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(r.range)), r.message));
  }
  return d;
}
