/**
 * Real debug sessions in the extension host: Delve (type "go") and debugpy (type "debugpy") through
 * the test adapters in test/fixtures/debuggers, and the built-in js-debug (type "node").
 * Each test program writes its PID to a file and exits 0; the test checks that the session
 * started, that the program really ran (the PID file) and ended, and that the session terminated.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { debugToEnd, processRunning, waitFor } from './support/debug';
import { programs } from './support/env';

function pidFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pi-it-')), 'pid');
}

async function assertRanAndEnded(file: string): Promise<number> {
  assert.ok(fs.existsSync(file), `the program never wrote ${file}: it did not run`);
  const pid = Number(fs.readFileSync(file, 'utf8'));
  assert.ok(pid > 1, `bad pid in ${file}`);
  // The adapter reaps its debuggee around the time the session ends; give it a moment.
  await waitFor(() => !processRunning(pid), 5_000, `debuggee ${pid} to be gone`);
  return pid;
}

describe('debug adapters', function () {
  this.timeout(180_000);

  it('Delve (type go) builds, runs and ends a Go program', async () => {
    const file = pidFile();
    const run = await debugToEnd({
      type: 'go', request: 'launch', mode: 'debug',
      program: path.join(programs, 'go-hello'), args: [file],
    }, { timeoutMs: 170_000 }); // the first build compiles the runtime with -N -l: slow on a fresh cache
    assert.strictEqual(run.root.type, 'go');
    assert.ok(run.events.some((e) => e.event === 'initialized'), 'no initialized event from dlv');
    assert.ok(run.events.some((e) => e.event === 'terminated'), 'no terminated event from dlv');
    await assertRanAndEnded(file);
  });

  it('debugpy (type debugpy) runs and ends a Python program', async () => {
    const file = pidFile();
    const run = await debugToEnd({
      type: 'debugpy', request: 'launch', program: path.join(programs, 'hello.py'), args: [file],
      console: 'internalConsole',
    });
    assert.strictEqual(run.root.type, 'debugpy');
    const pid = await assertRanAndEnded(file);
    // debugpy announces the debuggee: the `process` event carries its PID.
    const proc = run.events.find((e) => e.event === 'process')?.body as { systemProcessId?: number } | undefined;
    assert.strictEqual(proc?.systemProcessId, pid);
    assert.match(run.output, /hello\.py done/);
  });

  it('js-debug (type node, built in) runs and ends a Node program', async () => {
    const file = pidFile();
    const run = await debugToEnd({
      type: 'node', request: 'launch', program: path.join(programs, 'hello.js'), args: [file],
      console: 'internalConsole',
    });
    const pid = await assertRanAndEnded(file);
    // js-debug names the child session after the process: "hello.js [PID]".
    assert.ok(run.sessions.some((s) => s.name.includes(`[${pid}]`)),
      `no session named after pid ${pid}: ${run.sessions.map((s) => s.name).join(', ')}`);
    assert.match(run.output, /hello\.js done/);
  });
});
