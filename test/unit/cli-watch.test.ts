/**
 * `process-inspector watch`: the live view of a real leaking parent (frames with its count, the
 * sparkline, the forecast and the limits), ended by --count and by Ctrl-C (SIGINT).
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CLI, killAll, PYTHON, REPO, runCli, startGroup, waitFor, childrenOf } from '../support/procs';

const LEAKER = path.join(REPO, 'test/fixtures/programs/pid_leaker.py');

describe('CLI watch on a real leak', function () {
  this.timeout(60_000);
  before(function () {
    if (process.platform !== 'linux') this.skip();
  });
  afterEach(killAll);

  it('draws each refresh: the parent, its zombie count over time and the forecast; --count ends it', async () => {
    const leaker = startGroup(PYTHON, [LEAKER, '0.1']);
    await waitFor(() => childrenOf(leaker.pid!).length >= 3, 20_000, 'the leak to start');
    const r = await runCli(['watch', '--root', String(leaker.pid), '--interval', '600', '--count', '4']);
    assert.equal(r.code, 0, r.stderr);
    const frames = r.stdout.split(/^(?=process-inspector watch:)/m);
    assert.equal(frames.length, 4, r.stdout);
    const last = frames[3];
    assert.match(last, new RegExp(`^process-inspector watch: under ${leaker.pid}, every 600 ms`));
    assert.match(last, new RegExp(`\\n${leaker.pid} python3 \\[[RS]\\] .*   \\d+ zombies\\n`));
    assert.match(last, /\n {2}[ ▁▂▃▄▅▆▇█]{30} {2}last 5 min: \d+ to \d+\n/);
    assert.match(last, /\n {2}leaks [\d.]+ children\/s; .+ \(\d+, \d+ in use\) is reached in (about|under a second)/);
    assert.match(last, /\n {2}limits: .*kernel\.threads-max \(\d+, \d+ in use\)/);
    // The count grows from frame to frame: it is live.
    const counts = frames.map((f) => Number(/ (\d+) zombies\n/.exec(f)![1]));
    assert.ok(counts[3] > counts[0], `counts ${counts}`);
  });

  it('ends on Ctrl-C (SIGINT) with status 0, the last frame left on screen', async () => {
    const leaker = startGroup(PYTHON, [LEAKER, '0.2']);
    await waitFor(() => childrenOf(leaker.pid!).length >= 1, 20_000, 'the leak to start');
    const w = spawn(process.execPath, [CLI, 'watch', '--root', String(leaker.pid), '--interval', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    w.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => w.on('exit', (code) => resolve(code)));
    await waitFor(() => out.split('process-inspector watch:').length > 2, 20_000, 'two frames');
    w.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.match(out, new RegExp(`${leaker.pid} python3`));
  });

  it('says what is wrong with bad options, and that a missing root does not exist', async () => {
    const bad = await runCli(['watch', '--interval', '5']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--interval wants a whole number of at least 100/);
    const gone = await runCli(['watch', '--root', '999999999']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no process with PID 999999999/);
  });
});
