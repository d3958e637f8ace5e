/**
 * Starting real debug sessions from integration tests and watching them to the end.
 *
 *   const run = await debugToEnd({ type: 'go', request: 'launch', mode: 'debug', program: dir });
 *   run.root            the session startDebugging created
 *   run.sessions        it and every child session (js-debug makes one per process)
 *   run.events          every DAP event any of them sent, in order ({session, event, body})
 *   run.output          the text of all `output` events
 *
 * For long-running programs (the demo's zombie makers) use startSession() and stop it yourself:
 *   const s = await startSession(cfg); ...; await s.stop();
 */
import * as fs from 'fs';
import * as vscode from 'vscode';
import { workspaceFolder } from './env';

/** A launch configuration; `name` is optional here (a unique one is added). */
export interface LaunchConfig { type: string; request: string; name?: string; [key: string]: unknown }

export interface DapEvent { session: string; event: string; body: unknown }

export interface WatchedSession {
  root: vscode.DebugSession;
  sessions: vscode.DebugSession[];
  events: DapEvent[];
  readonly output: string;
  /** Resolves when the root session has terminated. */
  terminated: Promise<void>;
  /** Asks VS Code to stop the root session (and its children) and waits for it to terminate. */
  stop(): Promise<void>;
}

let counter = 0;

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, rej) => { t = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms); }),
  ]);
}

/**
 * Starts `config` (a unique name is added so sessions of parallel tests never mix) and resolves
 * once VS Code has started the session. Rejects if startDebugging returns false or nothing
 * starts within `startTimeoutMs`.
 */
export async function startSession(config: LaunchConfig, opts: { folder?: vscode.WorkspaceFolder; startTimeoutMs?: number } = {}): Promise<WatchedSession> {
  const name = `${config.name ?? config.type} #${++counter}-${Date.now()}`;
  const events: DapEvent[] = [];
  const sessions: vscode.DebugSession[] = [];
  const mine = (s: vscode.DebugSession | undefined): boolean => {
    for (let x = s; x; x = x.parentSession) if (x.configuration.name === name) return true;
    return false;
  };
  const disposables: vscode.Disposable[] = [];
  let resolveStarted!: (s: vscode.DebugSession) => void;
  const started = new Promise<vscode.DebugSession>((r) => { resolveStarted = r; });
  let resolveTerminated!: () => void;
  const terminated = new Promise<void>((r) => { resolveTerminated = r; });

  disposables.push(
    vscode.debug.registerDebugAdapterTrackerFactory('*', {
      createDebugAdapterTracker(s) {
        if (!mine(s)) return undefined;
        return {
          onDidSendMessage(m: { type?: string; event?: string; body?: unknown }) {
            if (m.type === 'event' && m.event) events.push({ session: s.id, event: m.event, body: m.body });
          },
        };
      },
    }),
    vscode.debug.onDidStartDebugSession((s) => {
      if (!mine(s)) return;
      sessions.push(s);
      if (s.configuration.name === name) resolveStarted(s);
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.configuration.name === name) { resolveTerminated(); disposables.forEach((d) => d.dispose()); }
    }),
  );
  const ok = await vscode.debug.startDebugging(opts.folder ?? workspaceFolder(), { ...config, name } as vscode.DebugConfiguration);
  if (!ok) { disposables.forEach((d) => d.dispose()); throw new Error(`startDebugging returned false for ${JSON.stringify(config)}`); }
  const root = await timeout(started, opts.startTimeoutMs ?? 60_000, `session "${name}" to start`);
  return {
    root, sessions, events, terminated,
    get output() {
      return events.filter((e) => e.event === 'output').map((e) => String((e.body as { output?: string }).output ?? '')).join('');
    },
    async stop() {
      await vscode.debug.stopDebugging(root);
      await timeout(terminated, 30_000, `session "${name}" to terminate after stopDebugging`);
    },
  };
}

/** Starts `config` and waits (up to `timeoutMs`) until the program ends and the session terminates. */
export async function debugToEnd(config: LaunchConfig, opts: { folder?: vscode.WorkspaceFolder; timeoutMs?: number } = {}): Promise<WatchedSession> {
  const ms = opts.timeoutMs ?? 120_000;
  const s = await startSession(config, { folder: opts.folder, startTimeoutMs: ms });
  try {
    await timeout(s.terminated, ms, `"${s.root.name}" to terminate on its own`);
  } catch (e) {
    await s.stop().catch(() => undefined);
    throw new Error(`${(e as Error).message}; DAP events seen: ${s.events.map((x) => x.event).join(', ')}; output: ${s.output}`, { cause: e });
  }
  return s;
}

/** Polls `cond` every 100 ms until it returns a truthy value or `ms` passes (then throws `what`). */
export async function waitFor<T>(cond: () => T | Promise<T>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True while a process with this PID exists and is not a zombie. */
export function processRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Runs Find Zombies and accepts its first pick, as a user pressing Enter would; resolves when the
 * command has done what the pick does (opened a spawn site, or revealed the zombie in the view).
 */
export async function findZombiesAcceptFirst(): Promise<void> {
  const running = vscode.commands.executeCommand('processInspector.findZombies');
  await new Promise((r) => setTimeout(r, 800));
  await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  await running;
}
