/**
 * Where a debug session's program is: PIDs found in Debug Adapter Protocol traffic and session
 * names. Pure functions on messages, so each adapter's habit is tested on captured messages.
 *
 * What adapters do (../shared/FACTS.md): debugpy, lldb and cppdbg send a `process` event with
 * systemProcessId; Delve >= 1.24.1 too (1.20 sends nothing); CodeLLDB prints "Launched process N";
 * js-debug names child sessions "<script> [PID]"; attach requests carry `processId` or `pid`;
 * VS Code answers `runInTerminal` with the shell's PID (the program runs under that shell).
 */

export type EvidenceKind = 'process-event' | 'attach-request' | 'run-in-terminal' | 'session-name' | 'adapter-output' | 'traced-child' | 'manual';

export interface PidEvidence {
  pid: number;
  kind: EvidenceKind;
  /** True when the PID is the program itself; false when it is a shell or launcher above it. */
  exact: boolean;
}

/** Words for the evidence, shown in tooltips: how we know this is the program. */
export function describeEvidence(e: Pick<PidEvidence, 'kind'>): string {
  switch (e.kind) {
    case 'process-event':
      return 'the debug adapter reported its process ID';
    case 'attach-request':
      return 'the attach request named this process';
    case 'run-in-terminal':
      return 'the program runs in this terminal shell';
    case 'session-name':
      return "the debugger's session name carries its process ID";
    case 'adapter-output':
      return 'the debugger printed its process ID';
    case 'traced-child':
      return 'it is the process the debugger traces';
    case 'manual':
      return 'picked by hand';
  }
}

function asPid(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

interface DapMessage {
  type?: string;
  event?: string;
  command?: string;
  body?: Record<string, unknown>;
  arguments?: Record<string, unknown>;
}

/** A message the adapter sent to VS Code (DebugAdapterTracker.onDidSendMessage). */
export function pidFromAdapterMessage(message: unknown): PidEvidence | undefined {
  const m = message as DapMessage;
  if (m?.type !== 'event' || !m.body) return undefined;
  if (m.event === 'process') {
    const pid = asPid(m.body.systemProcessId);
    // startMethod "attach" with our own PID would be odd; any given PID is the debuggee.
    return pid ? { pid, kind: 'process-event', exact: true } : undefined;
  }
  if (m.event === 'output' && typeof m.body.output === 'string') {
    // CodeLLDB: "Launched process 4711 from '/path/to/prog'"
    const match = /\bLaunched process (\d+)\b/.exec(m.body.output);
    const pid = match && asPid(match[1]);
    return pid ? { pid, kind: 'adapter-output', exact: true } : undefined;
  }
  return undefined;
}

/** A message VS Code sent to the adapter (DebugAdapterTracker.onWillReceiveMessage). */
export function pidFromClientMessage(message: unknown): PidEvidence | undefined {
  const m = message as DapMessage;
  if (m?.type === 'request' && m.command === 'attach' && m.arguments) {
    const pid = asPid(m.arguments.processId) ?? asPid(m.arguments.pid);
    return pid ? { pid, kind: 'attach-request', exact: true } : undefined;
  }
  if (m?.type === 'response' && m.command === 'runInTerminal' && m.body) {
    const exact = asPid(m.body.processId);
    if (exact) return { pid: exact, kind: 'run-in-terminal', exact: true };
    const shell = asPid(m.body.shellProcessId);
    return shell ? { pid: shell, kind: 'run-in-terminal', exact: false } : undefined;
  }
  return undefined;
}

/**
 * js-debug names the session of each Node process "<script> [PID]", and VS Code 1.100 shows a
 * child session as "<script> [PID] « <parent session name>".
 */
export function pidFromSessionName(name: string): PidEvidence | undefined {
  const match = /\[(\d+)\](?:\s*$|\s+«)/.exec(name);
  const pid = match && asPid(match[1]);
  return pid ? { pid, kind: 'session-name', exact: true } : undefined;
}

/** Evidence ranks: a later, better source replaces an earlier one (a shell by the real PID). */
export function better(a: PidEvidence | undefined, b: PidEvidence): boolean {
  if (!a) return true;
  if (a.exact !== b.exact) return b.exact;
  return false;
}
