/**
 * PIDs from Debug Adapter Protocol traffic. Message shapes as the adapters send them: debugpy's
 * `process` event, CodeLLDB's "Launched process" output, js-debug's child-session names,
 * attach requests (processId / pid) and VS Code's runInTerminal response. The integration tier
 * checks the same paths against the real js-debug, Delve and debugpy.
 */
import * as assert from 'node:assert/strict';
import { better, pidFromAdapterMessage, pidFromClientMessage, pidFromSessionName } from '../../src/core/evidence';

describe('PID evidence from debug adapters', () => {
  it('reads the DAP process event (debugpy, lldb, cppdbg, Delve >= 1.24.1)', () => {
    const ev = { seq: 7, type: 'event', event: 'process', body: { name: '/tmp/leak.py', systemProcessId: 4711, isLocalProcess: true, startMethod: 'launch' } };
    assert.deepEqual(pidFromAdapterMessage(ev), { pid: 4711, kind: 'process-event', exact: true });
    assert.equal(pidFromAdapterMessage({ type: 'event', event: 'process', body: { name: 'remote' } }), undefined);
  });

  it("reads CodeLLDB's output line", () => {
    const ev = { type: 'event', event: 'output', body: { category: 'console', output: "Launched process 31337 from '/work/a.out'\n" } };
    assert.equal(pidFromAdapterMessage(ev)?.pid, 31337);
    assert.equal(pidFromAdapterMessage({ type: 'event', event: 'output', body: { output: 'hello 12' } }), undefined);
  });

  it('reads attach requests with processId (Delve, debugpy, js-debug) or pid (lldb, CodeLLDB)', () => {
    assert.equal(pidFromClientMessage({ type: 'request', command: 'attach', arguments: { processId: 812 } })?.pid, 812);
    assert.equal(pidFromClientMessage({ type: 'request', command: 'attach', arguments: { pid: '813' } })?.pid, 813);
    assert.equal(pidFromClientMessage({ type: 'request', command: 'attach', arguments: { processId: '${command:pickProcess}' } }), undefined);
    assert.equal(pidFromClientMessage({ type: 'request', command: 'launch', arguments: { processId: 9 } }), undefined);
  });

  it("takes runInTerminal's shell PID as a shell, the process PID as exact", () => {
    assert.deepEqual(pidFromClientMessage({ type: 'response', command: 'runInTerminal', success: true, body: { shellProcessId: 5000 } }), { pid: 5000, kind: 'run-in-terminal', exact: false });
    assert.deepEqual(pidFromClientMessage({ type: 'response', command: 'runInTerminal', body: { processId: 5001, shellProcessId: 5000 } }), { pid: 5001, kind: 'run-in-terminal', exact: true });
  });

  it("reads js-debug's child session names", () => {
    assert.equal(pidFromSessionName('app.js [5775]')?.pid, 5775);
    // As seen in code-server 1.100.3 with the bundled js-debug:
    assert.equal(pidFromSessionName('zombies.js [12167] « zombies.js #1-1795607501983')?.pid, 12167);
    assert.equal(pidFromSessionName('Launch Program'), undefined);
    assert.equal(pidFromSessionName('[5] ignored in the middle x'), undefined);
  });

  it('lets an exact PID replace a shell, never the other way round', () => {
    const shell = { pid: 1, kind: 'run-in-terminal' as const, exact: false };
    const exact = { pid: 2, kind: 'process-event' as const, exact: true };
    assert.equal(better(undefined, shell), true);
    assert.equal(better(shell, exact), true);
    assert.equal(better(exact, shell), false);
    assert.equal(better(exact, { ...exact, pid: 3 }), false);
  });
});
