/**
 * The Processes view with real debug sessions in the real extension host: js-debug (built in),
 * Delve (`dlv dap` through the test adapter) and debugpy. In each, the program is found with no
 * configuration, its zombies and the guilty parent are listed, Find Zombies finds them, and when
 * the session ends what the program left behind stays listed until dismissed.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ProcessInspectorApi } from '../../src/extension';
import type { RootView } from '../../src/core/monitor';
import type { Node } from '../../src/ui/nodes';
import { findZombiesAcceptFirst, startSession, waitFor, type WatchedSession } from './support/debug';
import { EXTENSION_ID, programs } from './support/env';
import { markedLine } from '../support/markers';

async function api(): Promise<ProcessInspectorApi> {
  const ext = vscode.extensions.getExtension<ProcessInspectorApi>(EXTENSION_ID)!;
  const exports = await ext.activate();
  assert.ok(exports?.controller, 'the extension exports its controller');
  return exports;
}

/** The view's root for a session (by the session's id), once it has a process. */
function viewOf(pi: ProcessInspectorApi, s: WatchedSession): RootView | undefined {
  const ids = new Set(s.sessions.map((x) => `session:${x.id}`));
  return pi.controller.views().find((v) => ids.has(v.key) && v.snapshot.processes.size > 0);
}

/** Rows the tree provider gives VS Code, walked from the top. */
function rows(pi: ProcessInspectorApi): { node: Node; item: vscode.TreeItem }[] {
  const out: { node: Node; item: vscode.TreeItem }[] = [];
  const walk = (n?: Node) => {
    for (const c of pi.controller.provider.getChildren(n)) {
      out.push({ node: c, item: pi.controller.provider.getTreeItem(c) });
      walk(c);
    }
  };
  walk();
  return out;
}

const leftovers: number[] = [];

async function checkSession(pi: ProcessInspectorApi, s: WatchedSession, expect: { debuggee: RegExp; parent: RegExp; zombies: number }): Promise<RootView> {
  const v = (await waitFor(() => {
    const x = viewOf(pi, s);
    return x && x.diagnosis.zombies.length >= expect.zombies ? x : undefined;
  }, 60_000, `the view to show ${expect.zombies} zombies for ${s.root.name}`).catch((e: Error) => {
    const state = {
      sessions: s.sessions.map((x) => ({ id: x.id, name: x.name, type: x.type })),
      tracked: pi.sessions.all(),
      views: pi.controller.views().map((x) => ({ key: x.key, pid: x.pid, alive: x.alive, processes: [...x.snapshot.processes.values()].map((p) => `${p.pid}:${p.comm}:${p.state}`) })),
    };
    throw new Error(`${e.message}\n${JSON.stringify(state)}`);
  }))!;
  // The debuggee is the root, found without configuration.
  assert.match(v.root!.comm, expect.debuggee, `root is ${v.root!.comm}`);
  const guilty = v.diagnosis.parents[0];
  assert.match(guilty.parent.comm, expect.parent);
  assert.ok(guilty.verdict.includes('unreaped'), guilty.verdict);
  // The rows VS Code renders: zombies as errors, the parent as a warning with its verdict.
  const r = rows(pi);
  const zombieRows = r.filter((x) => x.node.kind === 'process' && x.node.rootKey === v.key && x.node.process.state === 'Z');
  assert.ok(zombieRows.length >= expect.zombies);
  for (const z of zombieRows) {
    assert.equal((z.item.iconPath as vscode.ThemeIcon).id, 'error');
    assert.match(String(z.item.description), /defunct/);
    assert.match(String(z.item.contextValue), /^processInspector:zombie/);
  }
  const parentRow = r.find((x) => x.node.kind === 'process' && x.node.rootKey === v.key && x.node.process.pid === guilty.parent.pid)!;
  assert.equal((parentRow.item.iconPath as vscode.ThemeIcon).id, 'warning');
  assert.match(pi.controller.provider.tooltipFor(parentRow.node as Extract<Node, { kind: 'process' }>).value, /unreaped/);
  assert.ok((pi.controller.view.badge?.value ?? 0) >= expect.zombies, 'badge counts zombies');
  return v;
}

/** Runs Find Zombies, accepts the first zombie in the quick pick, and returns what got selected. */
async function findZombiesAndPickFirst(pi: ProcessInspectorApi): Promise<Node | undefined> {
  await findZombiesAcceptFirst();
  return pi.controller.view.selection[0];
}

async function endAndCheckLeftovers(pi: ProcessInspectorApi, s: WatchedSession, stop: boolean): Promise<void> {
  if (stop) await s.stop();
  else await waitForTerminated(s);
  const key = await waitFor(() => {
    const root = rows(pi).find((x) => x.node.kind === 'root' && s.sessions.some((y) => x.node.kind === 'root' && x.node.root.key === `session:${y.id}`) && x.node.root.ended);
    return root && root.node.kind === 'root' ? root.node.root.key : undefined;
  }, 20_000, 'the session to show as ended');
  const left = (await waitFor(() => {
    const v = pi.controller.views().find((x) => x.key === key);
    return v && !v.alive && v.orphans.length > 0 ? v : undefined;
  }, 20_000, 'what the program left behind'))!;
  for (const o of left.orphans) leftovers.push(o.pid);
  const r = rows(pi);
  assert.ok(r.some((x) => x.node.id === `root:${key}/orphans`), 'a "Left behind" row');
  const rootRow = r.find((x) => x.node.id === `root:${key}`)!;
  assert.match(String(rootRow.item.contextValue), /:ended/);
  // Dismiss removes it.
  await vscode.commands.executeCommand('processInspector.dismiss', rootRow.node);
  assert.ok(!rows(pi).some((x) => x.node.id === `root:${key}`), 'dismissed');
}

function waitForTerminated(s: WatchedSession): Promise<void> {
  return Promise.race([s.terminated, new Promise<void>((_, rej) => setTimeout(() => rej(new Error('session did not end')), 60_000))]);
}

describe('Processes view with real debug sessions', function () {
  this.timeout(240_000);
  after(() => {
    for (const pid of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });

  it('js-debug: finds the Node program by its child session, the sleep that never waits, and what is left behind', async () => {
    const pi = await api();
    const s = await startSession({ name: 'zombies.js', type: 'node', request: 'launch', program: path.join(programs, 'zombies.js'), args: ['12000'], console: 'internalConsole' });
    const v = await checkSession(pi, s, { debuggee: /^node$/, parent: /^sleep$/, zombies: 2 });
    assert.ok(pi.sessions.all().some((x) => x.evidence?.kind === 'session-name' && x.evidence.pid === v.pid), 'found through "zombies.js [PID]"');
    const picked = await findZombiesAndPickFirst(pi);
    assert.equal(picked?.kind, 'process');
    assert.equal(picked?.kind === 'process' && picked.process.state, 'Z', 'Find Zombies revealed a zombie in the view');
    await endAndCheckLeftovers(pi, s, false);
  });

  it('Delve: finds the Go program (the traced child of dlv), its zombies and the guilty parent', async () => {
    const pi = await api();
    const s = await startSession({ name: 'goleak', type: 'go', request: 'launch', mode: 'debug', program: path.join(programs, 'goleak'), args: ['-n', '3', '-every', '50ms', '-keep', '600s'] }, { startTimeoutMs: 170_000 });
    const v = await checkSession(pi, s, { debuggee: /^__debug_bin/, parent: /^__debug_bin/, zombies: 3 });
    assert.equal(pi.sessions.all().find((x) => `session:${x.id}` === v.key)?.evidence?.kind, 'traced-child');
    assert.equal(v.diagnosis.parents[0].cause, 'handler-does-not-reap', 'the Go runtime catches SIGCHLD; the code never waits');
    assert.ok(v.diagnosis.zombies.every((z) => z.comm === 'true'));
    // Delve built it with the Go recorder: Find Zombies opens the recorded line of the pick.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await findZombiesAndPickFirst(pi);
    const main = path.join(programs, 'goleak/main.go');
    const editor = await waitFor(() => vscode.window.activeTextEditor, 10_000, 'Find Zombies to open the spawn site');
    assert.equal(editor!.document.uri.fsPath, main);
    assert.equal(editor!.selection.start.line + 1, markedLine(main, /leaks: no cmd\.Wait\(\)/));
    await endAndCheckLeftovers(pi, s, true);
  });

  it('debugpy: finds the Python program by its process event, its zombies and the guilty parent', async () => {
    const pi = await api();
    const s = await startSession({ name: 'zombies.py', type: 'debugpy', request: 'launch', program: path.join(programs, 'zombies.py'), args: ['15', '3'], console: 'internalConsole' });
    const v = await checkSession(pi, s, { debuggee: /^python/, parent: /^python/, zombies: 3 });
    assert.equal(pi.sessions.all().find((x) => `session:${x.id}` === v.key)?.evidence?.kind, 'process-event');
    assert.equal(v.diagnosis.parents[0].cause, 'never-waits');
    assert.match(v.diagnosis.parents[0].verdict, /SIGCHLD default: it never calls wait/);
    await endAndCheckLeftovers(pi, s, false);
  });

  it('the filter shows only zombies and their parents; with no session and the view hidden nothing is read', async () => {
    const pi = await api();
    const s = await startSession({ name: 'zombies.py', type: 'debugpy', request: 'launch', program: path.join(programs, 'zombies.py'), args: ['30', '2'], console: 'internalConsole' });
    try {
      await checkSession(pi, s, { debuggee: /^python/, parent: /^python/, zombies: 2 });
      await vscode.commands.executeCommand('processInspector.filterZombies');
      const shown = rows(pi).filter((x) => x.node.kind === 'process');
      assert.ok(shown.every((x) => x.node.kind === 'process' && (x.node.process.state === 'Z' || x.node.diagnosis || shown.some((y) => y.node.kind === 'process' && y.node.parentId === x.node.id))));
      assert.ok(!shown.some((x) => x.node.kind === 'process' && x.node.process.comm === 'sleep'), 'the live sleep is filtered out');
      await vscode.commands.executeCommand('processInspector.showAllProcesses');
      assert.ok(rows(pi).some((x) => x.node.kind === 'process' && x.node.process.comm === 'sleep'));
      assert.equal(pi.controller.idle, false, 'refreshing while a session runs');
    } finally {
      await s.stop();
    }
    for (const v of pi.controller.views()) for (const o of v.orphans) leftovers.push(o.pid);
    for (const r of pi.controller.provider.getChildren()) await vscode.commands.executeCommand('processInspector.dismiss', r);
    await vscode.commands.executeCommand('workbench.view.explorer'); // hide the Run and Debug container
    await waitFor(() => !pi.controller.view.visible, 5_000, 'the view to be hidden');
    await waitFor(() => pi.controller.idle, 10_000, 'the refresh timer to stop');
    // Count real reads of the process table for three refresh intervals: there must be none.
    const source = pi.controller.source;
    const readAll = source.readAll.bind(source);
    let reads = 0;
    source.readAll = () => {
      reads++;
      return readAll();
    };
    try {
      await new Promise((r) => setTimeout(r, 6_500));
    } finally {
      source.readAll = readAll;
    }
    assert.equal(reads, 0, 'no /proc reads when idle');
  });
});

describe('Processes view: how long until a leak hits its limit', function () {
  this.timeout(180_000);
  const cgroup = `/sys/fs/cgroup/pids/pi-it-${process.pid}`;
  const events = () => Number(/max (\d+)/.exec(fs.readFileSync(`${cgroup}/pids.events`, 'utf8'))![1]);

  it('a program leaking into a cgroup with a low pids.max: the verdict, tooltip, sparkline and status bar name the limit, its use and the time left before fork fails', async function () {
    if (process.getuid?.() !== 0) return this.skip();
    try {
      fs.mkdirSync(cgroup);
    } catch {
      return this.skip(); // the v1 pids controller is not writable here
    }
    const pi = await api();
    const leaker = path.join(__dirname, '../../../test/fixtures/programs/pid_leaker.py');
    fs.writeFileSync(`${cgroup}/pids.max`, '150');
    const s = await startSession({ name: 'pid_leaker.py', type: 'debugpy', request: 'launch', program: leaker, args: ['--cgroup', cgroup, '0.3'], console: 'internalConsole', subProcess: false });
    try {
      let last = 'nothing yet';
      const seen = (await waitFor(() => {
        if (events() > 0) throw new Error(`fork failed before the view forecast it; last seen: ${last}`);
        const v = viewOf(pi, s);
        if (v) last = JSON.stringify(v.diagnosis.parents.map((p) => ({ pid: p.parent.pid, verdict: p.verdict, forecast: p.forecast, history: p.history?.length })));
        const d = v?.diagnosis.parents.find((p) => p.forecast?.secondsLeft !== undefined && p.forecast.secondsLeft > 0);
        if (!v || !d) return undefined;
        const row = rows(pi).find((x) => x.node.kind === 'process' && x.node.rootKey === v.key && x.node.process.pid === d.parent.pid);
        const near = pi.controller.nearestLimit();
        // Read after the view was drawn: had fork failed already, pids.events would say so.
        // The tooltip is Markdown: its text with the escapes taken out.
        return row && near && events() === 0 ? { d, tooltip: pi.controller.provider.tooltipFor(row.node as Extract<Node, { kind: 'process' }>).value.replace(/\\(.)/g, '$1'), near } : undefined;
      }, 90_000, 'a forecast against pids.max'))!;
      assert.match(seen.d.verdict, /leaks [\d.]+ children\/s; cgroup \/pi-it-\d+'s pids\.max \(150, \d+ in use\) is reached in (about \d+ s|about \d+ min|under a second)$/, seen.d.verdict);
      assert.match(seen.tooltip, /pids\.max \(150, \d+ in use\) is reached in/);
      assert.match(seen.tooltip, /Zombies, last 5 min: `[ ▁▂▃▄▅▆▇█]+`/);
      assert.match(seen.tooltip, /\*\*\(tightest\)\*\*/);
      assert.equal(seen.near.parent.pid, seen.d.parent.pid, 'the status bar names the closest parent');
    } finally {
      await s.stop();
      await waitFor(() => fs.readFileSync(`${cgroup}/cgroup.procs`, 'utf8').trim() === '', 30_000, 'the cgroup to empty');
      fs.rmdirSync(cgroup);
    }
  });
});
