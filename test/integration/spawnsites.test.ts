/**
 * Spawn sites in the real editor: the workspace (demo/) is indexed when the extension starts;
 * never-waited sites are diagnostics in the Problems panel with their quick fix; edits on disk
 * reach the index through the real file watcher, directories deleted or renamed whole and
 * .gitignore files written or removed too; and while the Go demo runs under Delve and the
 * C demo under js-debug, every zombie row links to the LEAK line of its program, a click opens
 * that line, and a CodeLens on it counts the live zombies. The index is saved in the workspace
 * storage: once built, on Re-index Spawn Sites, and a few seconds after a change on disk; a
 * rebuild starts from it.
 *
 * Expected lines are never written here: they are the lines the demo sources mark `LEAK`, so a
 * link to any other line (the correct `Run()` beside it, say) fails.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ProcessInspectorApi } from '../../src/extension';
import { decodeSnapshot, readSnapshotFile, type SnapshotKey, snapshotFile } from '../../src/spawnsites/snapshot';
import type { SpawnSite } from '../../src/spawnsites/types';
import type { Node } from '../../src/ui/nodes';
import { findZombiesAcceptFirst, startSession, waitFor, type WatchedSession } from './support/debug';
import { demo, EXTENSION_ID } from './support/env';
import { markedLine } from '../support/markers';

async function api(): Promise<ProcessInspectorApi> {
  const exports = await vscode.extensions.getExtension<ProcessInspectorApi>(EXTENSION_ID)!.activate();
  await exports.spawnSites.ready;
  return exports;
}

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Process Inspector');
}

function zombieRows(pi: ProcessInspectorApi): Extract<Node, { kind: 'process' }>[] {
  const out: Extract<Node, { kind: 'process' }>[] = [];
  const walk = (n?: Node) => {
    for (const c of pi.controller.provider.getChildren(n)) {
      if (c.kind === 'process' && c.process.state === 'Z') out.push(c);
      walk(c);
    }
  };
  walk();
  return out;
}

/** Every zombie row is linked to `file`:`line` with `confidence` (and a reason matching `reason`, when given). */
function assertLinkedTo(zs: Extract<Node, { kind: 'process' }>[], file: string, line: number, confidence: 'recorded' | 'likely' | 'possible', reason?: RegExp): void {
  for (const z of zs) {
    assert.ok(z.site, `zombie ${z.process.pid} (${z.process.comm}) is linked`);
    assert.equal(z.site.file, file);
    assert.equal(z.site.line, line, `linked to line ${z.site.line}, the LEAK is at ${line}`);
    assert.equal(z.site.confidence, confidence, z.site.reason);
    if (reason) assert.match(z.site.reason, reason);
  }
}

/**
 * Writes `text` to `file`, and writes it again every few seconds until `cond` holds. The
 * workbench's recursive file watcher starts a little after the window opens (code-server's
 * watcher process first walks the folder), and a change made before it runs is seen by nobody;
 * saving again is what a user would do. If events never arrive, this still fails.
 */
async function writeUntil<T>(file: string, text: string, cond: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    fs.writeFileSync(file, text);
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      const v = cond();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

const GO_MAIN = path.join(demo, 'go-zombies/main.go');
const C_LEAK = path.join(demo, 'c-zombies/leak.c');
const SCRATCH = path.join(demo, 'pi-it-scratch');
// A loop that never ends: each child is lost when p is bound again (a script that just ends is no leak: init reaps its child).
const PY_LEAK = 'import subprocess\nimport time\n\nwhile True:\n    p = subprocess.Popen(["true"])  # LEAK\n    time.sleep(1)\n';

/** The never-waited Popen of a file written with PY_LEAK, as a site of the index and as a Problem. */
function pyLeakSeen(pi: ProcessInspectorApi, py: string): boolean {
  return pi.spawnSites.all[0].sitesIn(py).some((s) => s.api === 'subprocess.Popen' && s.waited === 'no') && ours(vscode.Uri.file(py)).some((d) => d.code === 'python-popen-without-wait');
}

/** No site of `py` in the index, and no Problem of ours. */
function nothingOf(pi: ProcessInspectorApi, py: string): boolean {
  return pi.spawnSites.all[0].sitesIn(py).length === 0 && ours(vscode.Uri.file(py)).length === 0;
}

/**
 * The scratch directory, made if need be and seen by the watcher: a file in it that waits for its
 * child is in the index. Directories made in it afterwards are then made inside a watched one (a
 * directory made inside another new one in the same instant can escape the watcher).
 */
async function watchedScratch(pi: ProcessInspectorApi): Promise<void> {
  fs.mkdirSync(SCRATCH, { recursive: true });
  const anchor = path.join(SCRATCH, 'anchor.py');
  await writeUntil(anchor, 'import subprocess\n\nsubprocess.run(["true"])\n', () => pi.spawnSites.all[0].sitesIn(anchor).length > 0, 'the index to read a file in the scratch directory');
}

/** `dir` made in the watched scratch directory with PY_LEAK in it as leak.py, once the index and the Problems show its leak. */
async function leakyDir(pi: ProcessInspectorApi, dir: string): Promise<string> {
  await watchedScratch(pi);
  fs.mkdirSync(dir, { recursive: true });
  const py = path.join(dir, 'leak.py');
  await writeUntil(py, PY_LEAK, () => pyLeakSeen(pi, py), `the leak of ${py} in the index and the Problems`);
  return py;
}

describe('spawn sites in the editor', function () {
  this.timeout(240_000);
  const sessions: WatchedSession[] = [];

  after(async () => {
    for (const s of sessions) await s.stop().catch(() => undefined);
    fs.rmSync(SCRATCH, { recursive: true, force: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('indexes the workspace at start: the demo leaks are warnings in the Problems panel, at their LEAK lines', async () => {
    const pi = await api();
    assert.ok(pi.spawnSites.all.length === 1 && pi.spawnSites.all[0].root === demo, 'one index, of the demo folder');
    for (const [file, code] of [[GO_MAIN, 'go-start-without-wait'], [C_LEAK, 'c-fork-without-wait']]) {
      const line = markedLine(file, /LEAK/);
      const d = await waitFor(() => ours(vscode.Uri.file(file)).find((x) => x.code === code), 10_000, `a ${code} diagnostic in ${file}`);
      assert.equal(d!.range.start.line, line - 1, `${code} at line ${line}`);
      assert.equal(d!.severity, vscode.DiagnosticSeverity.Warning);
      assert.match(d!.message, /never waited|zombie/);
    }
    // Beside each leak stands a site that waits (the demo checks its binary once with Run() /
    // subprocess.run()): linking to the LEAK line below is a choice between the two.
    for (const [file, api] of [[GO_MAIN, 'exec.Cmd.Run'], [path.join(demo, 'python-zombies/leak.py'), 'subprocess.run']]) {
      assert.ok(pi.spawnSites.all[0].sitesIn(file).some((s) => s.api === api && s.waited === 'yes'), `a waited ${api} in ${file}`);
    }
    // The Node launcher of the C demo waits for its children (execFileSync, libuv): no finding there.
    assert.deepEqual(ours(vscode.Uri.file(path.join(demo, 'c-zombies/run.js'))), []);
  });

  it('follows edits on disk through the file watcher, and offers the quick fix Start() -> Run()', async () => {
    const pi = await api();
    // One new directory, its files written into it later: a directory made inside another new one
    // in the same instant can escape an inotify-based watcher (it is created before its parent is watched).
    fs.mkdirSync(SCRATCH, { recursive: true });
    const py = path.join(SCRATCH, 'leak.py');
    const d = await writeUntil(py, PY_LEAK, () => ours(vscode.Uri.file(py))[0], 'a diagnostic for the new Python file');
    assert.equal(d!.code, 'python-popen-without-wait');
    assert.equal(d!.range.start.line, markedLine(py, /LEAK/) - 1);
    // Fixed on disk: the diagnostic goes.
    await writeUntil(py, 'import subprocess\n\np = subprocess.Popen(["true"])\np.wait()\n', () => ours(vscode.Uri.file(py)).length === 0, 'the diagnostic to go once the child is waited for');
    assert.ok(pi.spawnSites.all[0].sitesIn(py).every((s) => s.waited === 'yes'));

    const go = path.join(SCRATCH, 'main.go');
    const uri = vscode.Uri.file(go);
    const gd = await writeUntil(go, 'package main\n\nimport "os/exec"\n\nfunc main() {\n\tfor {\n\t\tcmd := exec.Command("true")\n\t\tif err := cmd.Start(); err != nil { // LEAK\n\t\t\tpanic(err)\n\t\t}\n\t}\n}\n', () => ours(uri).find((x) => x.code === 'go-start-without-wait'), 'a diagnostic for the new Go file');
    assert.equal(gd!.range.start.line, markedLine(go, /LEAK/) - 1);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, gd!.range, vscode.CodeActionKind.QuickFix.value)) ?? [];
    // (executeCodeActionProvider hands back copies without their diagnostics: match on title.)
    const fix = actions.find((a) => a.title === 'Use Run() instead of Start(): it waits for the child');
    assert.ok(fix, `our quick fix among ${actions.map((a) => a.title).join(', ')}`);
    assert.equal(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);
    assert.ok(fix.edit && (await vscode.workspace.applyEdit(fix.edit)));
    assert.match(doc.lineAt(gd!.range.start.line).text, /cmd\.Run\(\); err != nil/);
    await doc.save();
    await waitFor(() => !ours(uri).some((x) => x.code === 'go-start-without-wait'), 15_000, 'the finding to go after the fix is saved');
  });

  it('forgets the sites of a directory deleted whole: its leak leaves the index and the Problems', async () => {
    const pi = await api();
    const dir = path.join(SCRATCH, 'sub');
    const py = await leakyDir(pi, dir);
    // The watcher reports the directory alone, not the file in it.
    fs.rmSync(dir, { recursive: true });
    await waitFor(() => nothingOf(pi, py), 5_000, `the site and the Problem of ${py} to go with its directory`);
    assert.ok(pi.spawnSites.all[0].sitesIn(path.join(SCRATCH, 'anchor.py')).length > 0, 'the file beside the directory is still indexed');
  });

  it('moves the sites of a directory renamed whole: none at the old path, the leak at the new one', async () => {
    const pi = await api();
    const from = path.join(SCRATCH, 'sub');
    const to = path.join(SCRATCH, 'renamed');
    const py = await leakyDir(pi, from);
    const moved = path.join(to, 'leak.py');
    fs.renameSync(from, to);
    await waitFor(() => nothingOf(pi, py) && pyLeakSeen(pi, moved), 5_000, `the leak to move from ${py} to ${moved}`);
    const site = pi.spawnSites.all[0].sitesIn(moved).find((s) => s.api === 'subprocess.Popen')!;
    assert.equal(site.line, markedLine(moved, /LEAK/));
    assert.equal(ours(vscode.Uri.file(moved))[0].range.start.line, site.line - 1, 'the Problem at the LEAK line of the moved file');
  });

  it('honours a .gitignore written into the scratch directory: the file it ignores loses its sites, and gets them back when it goes', async () => {
    const pi = await api();
    await watchedScratch(pi);
    const py = path.join(SCRATCH, 'ignored.py');
    const anchor = path.join(SCRATCH, 'anchor.py');
    await writeUntil(py, PY_LEAK, () => pyLeakSeen(pi, py), `the leak of ${py} in the index and the Problems`);
    // In the scratch directory, not demo/: whatever the demo's own ignore files say stays as it is.
    const gitignore = path.join(SCRATCH, '.gitignore');
    fs.writeFileSync(gitignore, '# the integration tests\nignored.py\n');
    await waitFor(() => nothingOf(pi, py), 10_000, `${py} to leave the index and the Problems once ignored`);
    assert.ok(pi.spawnSites.all[0].sitesIn(anchor).length > 0, 'a file the .gitignore does not name stays indexed');
    assert.ok(fs.existsSync(py), 'the file is still there: only ignored');
    fs.rmSync(gitignore);
    await waitFor(() => pyLeakSeen(pi, py), 10_000, `${py} back in the index and the Problems once the .gitignore is gone`);
    assert.equal(ours(vscode.Uri.file(py))[0].range.start.line, markedLine(py, /LEAK/) - 1);
  });

  it('links every zombie of the Go demo under Delve to the Start() line: the row opens it and a CodeLens counts them', async () => {
    const pi = await api();
    const leak = markedLine(GO_MAIN, /LEAK/);
    const s = await startSession({ name: 'go-zombies', type: 'go', request: 'launch', mode: 'debug', program: path.join(demo, 'go-zombies'), args: ['-every', '100ms', '-count', '4'] }, { startTimeoutMs: 170_000 });
    sessions.push(s);
    const rowsOf = () => zombieRows(pi).filter((n) => s.sessions.some((x) => n.rootKey === `session:${x.id}`));
    const zs = (await waitFor(() => {
      // A row drawn in the same refresh as its record arrives is linked; one drawn a moment before
      // is linked at the next refresh.
      const r = rowsOf();
      return r.length >= 4 && r.every((x) => x.site) ? r : undefined;
    }, 90_000, 'four linked zombies of the Go demo in the view'))!;
    // Delve built it with the Go recorder's overlay: the link is the record, not a guess.
    assertLinkedTo(zs, GO_MAIN, leak, 'recorded', /the go recorder saw exec\.Cmd\.Start in main\.spawn start it/);
    for (const z of zs) {
      const item = pi.controller.provider.getTreeItem(z);
      assert.equal(item.command?.command, 'processInspector.openSpawnSite', 'a click on the row opens the site');
      assert.match(String(item.description), new RegExp(`recorded at .*main\\.go:${leak}`));
    }
    // The click: the row's own command with its own arguments.
    const item = pi.controller.provider.getTreeItem(zs[0]);
    await vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []));
    const editor = vscode.window.activeTextEditor!;
    assert.equal(editor.document.uri.fsPath, GO_MAIN);
    assert.equal(editor.selection.start.line, leak - 1);
    assert.equal(editor.document.getText(editor.selection), 'cmd.Start()', 'the spawning call is selected');
    assert.ok(editor.selection.isReversed, 'the cursor at the call, not at the end of a long line');
    // The CodeLens on that line counts the live zombies and names the parent.
    const live = await waitFor(() => pi.spawnSites.liveSites().find((x) => x.file === GO_MAIN && x.zombies >= 4), 10_000, 'the site to count four zombies');
    assert.equal(live!.line, leak);
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(GO_MAIN))) ?? [];
    const lens = lenses.find((l) => l.command?.command === 'processInspector.showSiteZombies');
    assert.ok(lens, `a zombie lens among ${lenses.map((l) => l.command?.title).join(' | ')}`);
    assert.equal(lens.range.start.line, leak - 1);
    const parent = zs[0].process.ppid;
    assert.match(lens.command!.title, new RegExp(`^\\$\\(error\\) ${live!.zombies} zombies from here: parent __debug_bin\\d* \\(${parent}\\) never waits \\(recorded\\)$`));
    // Find Zombies: picking a linked zombie opens its spawn site (not the view).
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await findZombiesAcceptFirst();
    const opened = await waitFor(() => vscode.window.activeTextEditor, 10_000, 'Find Zombies to open an editor');
    assert.equal(opened!.document.uri.fsPath, GO_MAIN);
    assert.equal(opened!.selection.start.line, leak - 1);
    // The lens reveals the zombies in the view.
    await vscode.commands.executeCommand(lens.command!.command, ...(lens.command!.arguments ?? []));
    const selected = pi.controller.view.selection[0];
    assert.ok(selected?.kind === 'process' && selected.process.state === 'Z' && selected.process.ppid === parent, 'the lens revealed one of its zombies');
    await s.stop();
    // Once the program is gone its zombies are reaped by init: the lens goes away.
    await waitFor(() => !pi.spawnSites.liveSites().some((x) => x.file === GO_MAIN), 30_000, 'the lens to go with the zombies');
  });

  it('links the C demo (fork without waitpid, started by Node under js-debug) to its fork() line', async () => {
    const pi = await api();
    const leak = markedLine(C_LEAK, /LEAK/);
    const s = await startSession({ name: 'c-zombies', type: 'node', request: 'launch', program: path.join(demo, 'c-zombies/run.js'), args: ['1'], console: 'internalConsole' });
    sessions.push(s);
    const zs = (await waitFor(() => {
      const r = zombieRows(pi).filter((n) => n.process.comm === 'c-zombies');
      return r.length >= 2 ? r : undefined;
    }, 60_000, 'two zombies of the C demo'))!;
    assertLinkedTo(zs, C_LEAK, leak, 'likely');
    await s.stop();
  });

  it('links the Python demo (Popen kept in a list) under debugpy to its Popen line, recorded (inference could only say possible)', async () => {
    const pi = await api();
    const file = path.join(demo, 'python-zombies/leak.py');
    const leak = markedLine(file, /LEAK/);
    const s = await startSession({ name: 'python-zombies', type: 'debugpy', request: 'launch', program: file, args: ['/bin/true', '0.2'], console: 'internalConsole' });
    sessions.push(s);
    const zs = (await waitFor(() => {
      const r = zombieRows(pi).filter((n) => n.process.comm === 'true' && s.sessions.some((x) => n.rootKey === `session:${x.id}`));
      return r.length >= 3 && r.every((x) => x.site) ? r : undefined;
    }, 60_000, 'three linked zombies of the Python demo'))!;
    // The Popen object escapes into a list, so inference could only say possible; the recorder
    // added to the launch saw the Popen that started each one.
    assertLinkedTo(zs, file, leak, 'recorded', /the python recorder saw /);
    await s.stop();
  });

  it('turns off and on with processInspector.spawnSites.enabled: Problems and links go and come back', async () => {
    const pi = await api();
    const uri = vscode.Uri.file(GO_MAIN);
    const config = vscode.workspace.getConfiguration('processInspector');
    await config.update('spawnSites.enabled', false, vscode.ConfigurationTarget.Global); // user settings: the demo's .vscode/settings.json stays as it is
    try {
      await waitFor(() => ours(uri).length === 0 && pi.spawnSites.all.length === 0, 15_000, 'the Problems to go when the index is turned off');
    } finally {
      await config.update('spawnSites.enabled', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor(() => ours(uri).some((d) => d.code === 'go-start-without-wait'), 15_000, 'the Problems to come back');
    assert.equal(pi.spawnSites.all.length, 1);
  });
});

/** The parts of a saved index (src/spawnsites/snapshot.ts) these tests read; `files` decoded from its rows by decodeSnapshot. */
interface SavedIndex {
  root: string;
  savedAt: number;
  files: { path: string; scan?: { sites: readonly SpawnSite[] } }[];
}

/** The saved index in `file`, or undefined when there is none; a damaged one fails the test. */
function readSaved(file: string): SavedIndex | undefined {
  const { data, error } = readSnapshotFile(file);
  if (error) throw new Error(error);
  if (data === undefined) return undefined;
  const { root, savedAt, options } = data as { root: string; savedAt: number; options: SnapshotKey['options'] };
  const decoded = decodeSnapshot(data, { root, options });
  if ('rejected' in decoded) throw new Error(`the saved index is refused: ${decoded.rejected}`);
  return { root, savedAt, files: [...decoded.entries.values()] };
}

describe('spawn-site index saved in the workspace storage', function () {
  this.timeout(120_000);

  /** Where the extension saves the demo folder's index. */
  function savedFile(pi: ProcessInspectorApi): string {
    const dir = pi.spawnSites.storageDir;
    assert.ok(dir, 'the extension gives the index a storage directory');
    return snapshotFile(dir, demo);
  }

  const sitesNow = (pi: ProcessInspectorApi) => pi.spawnSites.all.map((i) => i.sites());

  before(async () => {
    const pi = await api();
    // The suite above removes its scratch directory as it ends; the watcher reports the directory
    // alone, and the index forgets the files that were in it a moment later. Waited for here, so
    // that "the same sites before and after" below compares two indexes of the same files on disk.
    const stale = () => pi.spawnSites.all.some((i) => i.sites().some((s) => s.file.startsWith(`${SCRATCH}${path.sep}`)));
    await waitFor(() => !fs.existsSync(SCRATCH) && !stale(), 10_000, 'no scratch files left, on disk or in the index');
  });

  after(() => {
    fs.rmSync(SCRATCH, { recursive: true, force: true });
  });

  it('has saved the index of the workspace folder once it was built: a snapshot of demo/ with its sites', async () => {
    const pi = await api();
    const file = savedFile(pi);
    assert.ok(fs.existsSync(file), `a saved index at ${file}`);
    const saved = readSaved(file)!;
    assert.equal(saved.root, demo);
    const leak = markedLine(GO_MAIN, /LEAK/);
    const main = saved.files.find((f) => f.path === GO_MAIN);
    assert.ok(main, `${GO_MAIN} among the ${saved.files.length} saved files`);
    assert.ok(main.scan?.sites.some((s) => s.line === leak && s.waited === 'no'), `the never-waited site at line ${leak} saved with its file`);
  });

  it('Re-index Spawn Sites deletes the saved index and reads every file again: the same sites, saved anew', async () => {
    const pi = await api();
    const file = savedFile(pi);
    const before = sitesNow(pi);
    const old = pi.spawnSites.all[0];
    assert.ok(before.length === 1 && before[0].length > 0, 'the demo has sites');
    const t0 = Date.now();
    await vscode.commands.executeCommand('processInspector.reindexSpawnSites');
    assert.notEqual(pi.spawnSites.all[0], old, 'a new index replaced the old one');
    assert.deepEqual(sitesNow(pi), before);
    const st = pi.spawnSites.lastStats.get(demo);
    assert.ok(st, 'stats of the demo folder');
    assert.equal(st.reused, 0, 'no file taken from a saved index: it was deleted first');
    assert.equal(st.snapshotRejected, undefined, 'no saved index was even offered');
    assert.ok(st.parsed > 0, 'files were parsed');
    const saved = readSaved(file);
    assert.ok(saved, `the index saved again at ${file}`);
    assert.equal(saved.root, demo);
    assert.ok(saved.savedAt >= t0, 'saved by the re-index, not left from before');
  });

  it('a rebuild starts from the saved index: every file reused unread, none parsed, the same sites', async () => {
    const pi = await api();
    const before = sitesNow(pi);
    const old = pi.spawnSites.all[0];
    await pi.spawnSites.rebuild();
    assert.notEqual(pi.spawnSites.all[0], old, 'a new index replaced the old one');
    assert.deepEqual(sitesNow(pi), before);
    const st = pi.spawnSites.lastStats.get(demo);
    assert.ok(st, 'stats of the demo folder');
    assert.equal(st.snapshotRejected, undefined, 'the saved index was used');
    assert.ok(st.files > 0);
    assert.equal(st.reused, st.files, `all ${st.files} files reused from the saved index`);
    assert.equal(st.parsed, 0, 'nothing parsed');
  });

  it('saves the index again a few seconds after a file changes on disk', async () => {
    const pi = await api();
    const file = savedFile(pi);
    fs.mkdirSync(SCRATCH, { recursive: true });
    const py = path.join(SCRATCH, 'saved.py');
    const t0 = Date.now();
    await writeUntil(py, PY_LEAK, () => pi.spawnSites.all[0].sitesIn(py).length > 0, 'the index to read the new Python file');
    const entry = await waitFor(() => readSaved(file)?.files.find((f) => f.path === py), 15_000, `${py} in the saved index`);
    const leak = markedLine(py, /LEAK/);
    assert.ok(entry!.scan?.sites.some((s) => s.line === leak && s.api === 'subprocess.Popen' && s.waited === 'no'), `its Popen at line ${leak} saved: ${JSON.stringify(entry!.scan)}`);
    const saved = readSaved(file)!;
    assert.ok(saved.savedAt >= t0, 'saved after the change');
    assert.equal(saved.root, demo);
    assert.ok(saved.files.some((f) => f.path === GO_MAIN), 'saved whole: the other files are still there');
  });
});
