/**
 * Finds the program of every debug session, with no configuration: a DebugAdapterTracker for
 * every debug type reads the PIDs adapters and VS Code exchange; session names give js-debug's;
 * and when nothing says (Delve 1.20), the process the debugger traces is found in the tree.
 */
import * as vscode from 'vscode';
import { better, pidFromAdapterMessage, pidFromClientMessage, pidFromSessionName, type PidEvidence } from '../core/evidence';
import type { ProcessSource } from '../core/model';
import { findTracedChild } from '../core/tracedChild';
import { recordingOf } from '../record/launch';

export interface TrackedSession {
  id: string;
  name: string;
  type: string;
  parentId?: string;
  startedAt: number;
  endedAt?: number;
  evidence?: PidEvidence;
  /** The launch configuration's `program` (absolute, variables resolved), when it names one. */
  program?: string;
  /** What spawn recording was added to the launch (src/record/launch.ts), or why none was. */
  recording?: { recordFile?: string; notes: string[] };
}

/** How long to look for a traced child before giving up on a session that names no PID. */
const TRACE_SEARCH_MS = 30_000;
const TRACE_POLL_MS = 250;

export class SessionTracker implements vscode.Disposable {
  private readonly sessions = new Map<string, TrackedSession>();
  private readonly changed = new vscode.EventEmitter<TrackedSession>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** The live session objects: js-debug may rename a session after it starts. */
  private readonly live = new Map<string, vscode.DebugSession>();

  constructor(private readonly source: () => ProcessSource | undefined) {
    const tracker = this;
    this.disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker(session) {
          return {
            onDidSendMessage: (m) => tracker.offer(session, pidFromAdapterMessage(m)),
            onWillReceiveMessage: (m) => tracker.offer(session, pidFromClientMessage(m)),
          };
        },
      }),
      vscode.debug.onDidStartDebugSession((s) => this.started(s)),
      vscode.debug.onDidTerminateDebugSession((s) => this.ended(s)),
      vscode.debug.onDidChangeActiveDebugSession((s) => s && this.offer(s, pidFromSessionName(s.name))),
    );
    // Sessions already running when we activate (activation is lazy).
    if (vscode.debug.activeDebugSession) this.started(vscode.debug.activeDebugSession);
  }

  all(): TrackedSession[] {
    return [...this.sessions.values()];
  }

  get(id: string): TrackedSession | undefined {
    return this.sessions.get(id);
  }

  /** The session's recording, or its parent's (js-debug's child sessions carry none of their own). */
  recordingOf(id: string): TrackedSession['recording'] {
    let s = this.sessions.get(id);
    while (s && !s.recording && s.parentId) s = this.sessions.get(s.parentId);
    return s?.recording;
  }

  get running(): number {
    return this.all().filter((s) => s.endedAt === undefined).length;
  }

  /** Forgets an ended session (the user dismissed what it left behind). */
  forget(id: string): void {
    const s = this.sessions.get(id);
    if (s) {
      this.sessions.delete(id);
      this.changed.fire(s);
    }
  }

  private ensure(session: vscode.DebugSession): TrackedSession {
    let s = this.sessions.get(session.id);
    if (!s) {
      const program = session.configuration.program;
      s = {
        id: session.id,
        name: session.name,
        type: session.type,
        parentId: session.parentSession?.id,
        startedAt: Date.now(),
        program: typeof program === 'string' && program.startsWith('/') ? program : undefined,
        recording: recordingOf(session.configuration as Record<string, unknown>),
      };
      this.sessions.set(session.id, s);
    }
    return s;
  }

  private offer(session: vscode.DebugSession, evidence: PidEvidence | undefined): void {
    const s = this.ensure(session);
    if (s.name !== session.name) s.name = session.name;
    if (!evidence || !better(s.evidence, evidence)) return;
    s.evidence = evidence;
    this.changed.fire(s);
  }

  private started(session: vscode.DebugSession): void {
    const s = this.ensure(session);
    this.live.set(session.id, session);
    this.changed.fire(s);
    this.offer(session, pidFromSessionName(session.name));
    this.searchTracedChild(s);
  }

  private ended(session: vscode.DebugSession): void {
    const s = this.sessions.get(session.id);
    if (!s) return;
    s.endedAt = Date.now();
    this.live.delete(session.id);
    // A session that never found its program has nothing to leave behind.
    if (!s.evidence) this.sessions.delete(s.id);
    this.changed.fire(s);
  }

  /** Polls the tree for the process a debugger under the extension host traces. */
  private searchTracedChild(s: TrackedSession): void {
    const deadline = Date.now() + TRACE_SEARCH_MS;
    const poll = () => {
      this.timers.delete(timer);
      if (s.evidence || s.endedAt !== undefined || Date.now() > deadline || !this.sessions.has(s.id)) return;
      const session = this.live.get(s.id);
      if (session) {
        this.offer(session, pidFromSessionName(session.name));
        if (s.evidence) return;
      }
      // js-debug's parent sessions and other sessions whose children carry the PID need no search.
      if (this.all().some((c) => c.parentId === s.id && c.evidence)) return;
      const source = this.source();
      if (source) {
        const claimed = new Set(this.all().flatMap((o) => (o.evidence ? [o.evidence.pid] : [])));
        const found = findTracedChild(source, source.readAll(), process.pid, s.startedAt, claimed);
        if (found) {
          s.evidence = { pid: found.pid, kind: 'traced-child', exact: true };
          this.changed.fire(s);
          return;
        }
      }
      timer = setTimeout(poll, TRACE_POLL_MS);
      this.timers.add(timer);
    };
    let timer = setTimeout(poll, TRACE_POLL_MS);
    this.timers.add(timer);
  }

  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}
