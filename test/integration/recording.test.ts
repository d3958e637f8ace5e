/**
 * Recorded spawns in real debug sessions: the extension adds its recorder to each launch with
 * no configuration, and every child of a program where two places start the same program links
 * to its own line, `recorded`: Go under Delve, Python under debugpy, C and Rust under LLVM's
 * lldb-vscode (Debian's lldb-16), Node under js-debug (children left running: Node reaps its
 * zombies itself). Lines are those the fixtures mark SITE-A and SITE-B, never written here.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ProcessInspectorApi } from '../../src/extension';
import type { Node } from '../../src/ui/nodes';
import { findZombiesAcceptFirst, startSession, waitFor, type LaunchConfig, type WatchedSession } from './support/debug';
import { EXTENSION_ID, programs } from './support/env';
import { markedLine } from '../support/markers';

const TWO = path.join(programs, 'two-sites');
type Row = Extract<Node, { kind: 'process' }>;

async function api(): Promise<ProcessInspectorApi> {
  const exports = await vscode.extensions.getExtension<ProcessInspectorApi>(EXTENSION_ID)!.activate();
  await exports.spawnSites.ready;
  return exports;
}

function rows(pi: ProcessInspectorApi, s: WatchedSession, keep: (r: Row) => boolean): Row[] {
  const out: Row[] = [];
  const walk = (n?: Node) => {
    for (const c of pi.controller.provider.getChildren(n)) {
      if (c.kind === 'process' && s.sessions.some((x) => c.rootKey === `session:${x.id}`) && keep(c)) out.push(c);
      walk(c);
    }
  };
  walk();
  return out;
}

/** Four rows, two recorded at each marked line of `file`; their descriptions and tooltips say so. */
function assertRecordedAtTwoSites(pi: ProcessInspectorApi, found: Row[], file: string): void {
  const a = markedLine(file, /SITE-A/);
  const b = markedLine(file, /SITE-B/);
  for (const r of found) {
    assert.ok(r.site, `${r.process.comm} ${r.process.pid} is linked`);
    assert.equal(r.site.confidence, 'recorded', r.site.reason);
    assert.equal(r.site.file, file);
    const item = pi.controller.provider.getTreeItem(r);
    assert.match(String(item.description), new RegExp(`recorded at .*${path.basename(file).replace('.', '\\.')}:${r.site.line}$`));
    // The markdown's own escapes (`\_`, `\.`) dropped: the text a person reads.
    // The tooltip comes when VS Code asks for it, on hover.
    assert.equal(item.tooltip, undefined);
    const tip = pi.controller.provider.tooltipFor(r).value.replace(/\\(.)/g, '$1');
    assert.match(tip, /Recorded call stack/);
    assert.match(tip, new RegExp(`\\[[^\\]]*${path.basename(file).replace('.', '\\.')}:${r.site.line}\\]\\(command:processInspector\\.openSpawnSite\\?`), 'each frame opens its line');
  }
  assert.deepEqual(found.map((r) => r.site!.line).sort(), [a, a, b, b].sort(), 'two from each site');
}

/** The CodeLens tallies: one per marked line, two recorded zombies each. */
async function assertLensCounts(pi: ProcessInspectorApi, file: string): Promise<void> {
  const live = await waitFor(() => {
    const l = pi.spawnSites.liveSites().filter((x) => x.file === file);
    return l.length === 2 && l.every((x) => x.zombies === 2 && x.confidence === 'recorded') ? l : undefined;
  }, 10_000, `a lens on each site of ${file}, two zombies each: ${JSON.stringify(pi.spawnSites.liveSites())}`);
  assert.deepEqual(live!.map((x) => x.line).sort(), [markedLine(file, /SITE-A/), markedLine(file, /SITE-B/)].sort());
}

/**
 * Find Zombies, its first pick accepted: a recorded zombie opens its line. Only this session's
 * zombies are listed while it is the only one running (earlier sessions are stopped after each test).
 */
async function findZombiesOpens(file: string): Promise<number> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await findZombiesAcceptFirst();
  const editor = await waitFor(() => vscode.window.activeTextEditor, 10_000, 'Find Zombies to open the spawn site');
  assert.equal(editor!.document.uri.fsPath, file);
  const line = editor!.selection.start.line + 1;
  assert.ok([markedLine(file, /SITE-A/), markedLine(file, /SITE-B/)].includes(line), `Find Zombies opened ${file}:${line}, not a marked site`);
  return line;
}

describe('recorded spawns in debug sessions', function () {
  this.timeout(240_000);
  const sessions: WatchedSession[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-rec-it-'));
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.stop().catch(() => undefined);
  });

  async function zombiesOf(config: LaunchConfig, file: string, startTimeoutMs = 60_000): Promise<{ pi: ProcessInspectorApi; s: WatchedSession; zs: Row[] }> {
    const pi = await api();
    const s = await startSession(config, { startTimeoutMs });
    sessions.push(s);
    const zs = (await waitFor(() => {
      const r = rows(pi, s, (x) => x.process.state === 'Z' && x.process.comm === 'true');
      return r.length >= 4 && r.every((x) => x.site?.confidence === 'recorded') ? r : undefined;
    }, 90_000, `four recorded zombies of ${path.basename(file)}: ${JSON.stringify(rows(pi, s, (x) => x.process.state === 'Z').map((x) => [x.process.pid, x.site?.confidence, x.site?.line]))}`))!;
    return { pi, s, zs };
  }

  it('Go under Delve: each zombie recorded at its own Start() line; the session row says what was added; CodeLens counts per line; Find Zombies opens it', async () => {
    const file = path.join(TWO, 'go/main.go');
    const { pi, s, zs } = await zombiesOf({ type: 'go', request: 'launch', mode: 'debug', program: path.join(TWO, 'go') }, file, 170_000);
    assertRecordedAtTwoSites(pi, zs, file);
    const root = pi.controller.provider.getChildren().find((n) => n.kind === 'root' && s.sessions.some((x) => n.root.key === `session:${x.id}`))!;
    const item = pi.controller.provider.getTreeItem(root);
    assert.match(String(item.description), /spawns recorded/);
    assert.match(String(item.tooltip), /Spawn recording: recording spawns: Go [0-9.]+/);
    const live = await waitFor(() => {
      const l = pi.spawnSites.liveSites().filter((x) => x.file === file);
      return l.length === 2 && l.every((x) => x.zombies === 2 && x.confidence === 'recorded') ? l : undefined;
    }, 10_000, 'a lens on each site, two zombies each');
    assert.deepEqual(live!.map((x) => x.line).sort(), [markedLine(file, /SITE-A/), markedLine(file, /SITE-B/)].sort());
    // Open Spawn Site from a row: the recorded line.
    await vscode.commands.executeCommand('processInspector.openSpawnSite', zs[0]);
    const editor = vscode.window.activeTextEditor!;
    assert.equal(editor.document.uri.fsPath, file);
    assert.equal(editor.selection.start.line, zs[0].site!.line - 1);
    // The file is open now (the lens command needs its model): a lens on each recorded line.
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(file))) ?? [];
    const ours = lenses.filter((l) => l.command?.command === 'processInspector.showSiteZombies');
    assert.equal(ours.length, 2, ours.map((l) => l.command?.title).join(' | '));
    assert.ok(ours.every((l) => /^\$\(error\) 2 zombies from here: parent .* never waits \(recorded\)$/.test(l.command!.title)), ours.map((l) => l.command?.title).join(' | '));
    assert.deepEqual(ours.map((l) => l.range.start.line + 1).sort(), live!.map((x) => x.line).sort());
    await findZombiesOpens(file);
  });

  it('Python under debugpy: each zombie recorded at its own Popen line, and Find Zombies opens it', async () => {
    const file = path.join(TWO, 'two_sites.py');
    const { pi, zs } = await zombiesOf({ type: 'debugpy', request: 'launch', program: file, console: 'internalConsole' }, file);
    assertRecordedAtTwoSites(pi, zs, file);
    await assertLensCounts(pi, file);
    await findZombiesOpens(file);
  });

  it('C under lldb-vscode: each zombie recorded at its own fork() line, and Find Zombies opens it', async () => {
    const file = path.join(TWO, 'two_sites.c');
    const bin = path.join(tmp, 'two_sites_c');
    execFileSync('cc', ['-g', '-O0', '-o', bin, file]);
    const { pi, zs } = await zombiesOf({ type: 'lldb-vscode', request: 'launch', program: bin, cwd: tmp }, file);
    assertRecordedAtTwoSites(pi, zs, file);
    await assertLensCounts(pi, file);
    await findZombiesOpens(file);
  });

  it('Rust under lldb-vscode: each zombie recorded at its own spawn() line, and Find Zombies opens it', async function () {
    const file = path.join(TWO, 'two_sites.rs');
    const bin = path.join(tmp, 'two_sites_rs');
    try {
      execFileSync('rustc', ['-g', '-o', bin, file], { stdio: 'pipe' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') this.skip();
      throw e;
    }
    const { pi, zs } = await zombiesOf({ type: 'lldb-vscode', request: 'launch', program: bin, cwd: tmp }, file);
    assertRecordedAtTwoSites(pi, zs, file);
    await assertLensCounts(pi, file);
    await findZombiesOpens(file);
  });

  it('Node under js-debug: each child recorded at its own spawn() line, while it runs and once left behind', async () => {
    const pi = await api();
    const file = path.join(TWO, 'two_sites.js');
    // The program ends by itself after a few seconds; its `sleep` children stay (re-parented).
    const s = await startSession({ type: 'node', request: 'launch', program: file, console: 'internalConsole', env: { TWO_SITES_SLEEP: '6' } });
    sessions.push(s);
    const kids = (await waitFor(() => {
      const r = rows(pi, s, (x) => x.process.comm === 'sleep');
      return r.length >= 4 && r.every((x) => x.site?.confidence === 'recorded') ? r : undefined;
    }, 60_000, 'four recorded sleep children'))!;
    try {
      assertRecordedAtTwoSites(pi, kids, file);
      // The session ends; what it left behind keeps its recorded lines.
      const left = (await waitFor(() => {
        const r = rows(pi, s, (x) => x.process.comm === 'sleep' && x.parentId.endsWith('/orphans'));
        return r.length >= 4 && r.every((x) => x.site?.confidence === 'recorded') ? r : undefined;
      }, 30_000, 'the four sleep children under "Left behind", still recorded'))!;
      assertRecordedAtTwoSites(pi, left, file);
    } finally {
      for (const k of kids) {
        try {
          process.kill(k.process.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });

  it('a setting turns a recorder off, and the session row says so', async () => {
    const pi = await api();
    const conf = vscode.workspace.getConfiguration('processInspector');
    await conf.update('record.python', false, vscode.ConfigurationTarget.Global);
    try {
      const file = path.join(TWO, 'two_sites.py');
      const s = await startSession({ type: 'debugpy', request: 'launch', program: file, console: 'internalConsole' });
      sessions.push(s);
      const zs = (await waitFor(() => {
        const r = rows(pi, s, (x) => x.process.state === 'Z' && x.process.comm === 'true');
        return r.length >= 4 ? r : undefined;
      }, 60_000, 'four zombies, unrecorded'))!;
      assert.ok(zs.every((z) => z.site?.confidence !== 'recorded'), 'no record, only inference');
      const root = pi.controller.provider.getChildren().find((n) => n.kind === 'root' && s.sessions.some((x) => n.root.key === `session:${x.id}`))!;
      const item = pi.controller.provider.getTreeItem(root);
      assert.match(String(item.tooltip), /spawn recording is off for python \(setting processInspector\.record\.python\)/);
      assert.match(String(item.description), /not recorded/);
    } finally {
      await conf.update('record.python', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
