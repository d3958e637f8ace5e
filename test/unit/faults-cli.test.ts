/**
 * The built CLI under bad input and faults (issue 12): closed pipes, full disks, hostile text in
 * command lines and file names, damaged and hostile procfs trees. Each case ran against the code
 * before its fix and failed there (a stack trace, exit 70, a forged line, a hang, a missing row).
 */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, runCli } from '../support/procs';
import { healthyTree, makeProc, STATUS, statLine } from '../support/fakeproc';

const STACK = /^\s+at .+\(.*:\d+:\d+\)$|internal error/m;
/** Generous: the cases below finish in well under a second; before their fix they never finished. */
const HANG_MS = 20000;

function run(args: string[], stdout: 'pipe-closed' | number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', stdout === 'pipe-closed' ? 'pipe' : stdout, 'pipe'] });
    // The reader goes away before the CLI writes a byte: its first write gets EPIPE.
    if (stdout === 'pipe-closed') p.stdout!.destroy();
    let stderr = '';
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('faults: output that cannot be written (issue 12, item 4)', function () {
  this.timeout(30000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('exits quietly (status 0, nothing on stderr) when the reader of stdout is gone, as `tree | head -1` leaves it', async () => {
    const proc = makeProc(healthyTree());
    dirs.push(proc);
    for (const args of [['tree'], ['tree', '--proc', proc], ['zombies', '--json', '--proc', proc], ['--help']]) {
      const r = await run(args, 'pipe-closed');
      assert.equal(r.stderr, '', `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.code, 0, args.join(' '));
    }
  });

  it('says one clear line and exits 1 when stdout is a full disk (/dev/full)', async () => {
    const fd = fs.openSync('/dev/full', 'w');
    try {
      const r = await run(['tree'], fd);
      assert.doesNotMatch(r.stderr, STACK);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^process-inspector: cannot write the output: .*(ENOSPC|no space)/i);
      assert.equal(r.code, 1);
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('faults: text from other programs cannot write to the terminal (issue 12, item 3)', function () {
  this.timeout(30000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const hostile = '\x1b]0;pwned\x07\x1b[2J\u009b31m\nFORGED LINE';

  it('escapes control characters in command lines of the zombies report; --json keeps them exact', async () => {
    const tree = healthyTree();
    tree[10].cmdline = `parent\0${hostile}\0`;
    const proc = makeProc(tree);
    dirs.push(proc);
    const r = await runCli(['zombies', '--proc', proc]);
    assert.equal(r.code, 0, r.stderr);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(r.stdout, /[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f]/, JSON.stringify(r.stdout));
    assert.ok(!r.stdout.split('\n').includes('FORGED LINE'), r.stdout);
    assert.match(r.stdout, /\\x1b\]0;pwned\\x07/);
    const j = await runCli(['zombies', '--json', '--proc', proc]);
    const parent = (JSON.parse(j.stdout) as { parents: { cmdline: string[] }[] }).parents[0];
    assert.deepEqual(parent.cmdline, ['parent', hostile]);
  });

  it('escapes control characters in file names, programs and reasons of the sites listing', async () => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-hostile-ws-'));
    dirs.push(ws);
    const name = 'a\x1b[31m\nFORGED.py';
    fs.writeFileSync(path.join(ws, name), `import subprocess\n\ndef run():\n    subprocess.Popen(["evil\\x1b[2Jprog"])\n`);
    const r = await runCli(['sites', ws, '--no-cache']);
    assert.equal(r.code, 0, r.stderr);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(r.stdout, /[\x00-\x09\x0b-\x1f\x7f\u0080-\u009f]/, JSON.stringify(r.stdout));
    assert.ok(!r.stdout.split('\n').some((l) => l.startsWith('FORGED')), r.stdout);
    assert.match(r.stdout, /a\\x1b\[31m\\nFORGED\.py:4/);
    const j = await runCli(['sites', ws, '--no-cache', '--json']);
    const site = (JSON.parse(j.stdout) as { sites: { file: string; program: string }[] }).sites[0];
    assert.equal(site.file, name);
    assert.equal(site.program, 'evil\x1b[2Jprog');
  });
});

describe('faults: a damaged or hostile procfs under --proc (issue 12, items 6, 7 and 9)', function () {
  this.timeout(60000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const proc = (tree: ReturnType<typeof healthyTree>, uptime?: string | { fifo: true }) => {
    const d = makeProc(tree, uptime);
    dirs.push(d);
    return d;
  };
  const pidsOf = (stdout: string) => (JSON.parse(stdout) as { processes: { pid: number }[] }).processes.map((p) => p.pid).sort((a, b) => a - b);

  const badStats: [string, string | Buffer][] = [
    ['garbage', 'hello world\n'],
    ['truncated after the name', '20 (worker) S 1 20'],
    ['a non-number where the ppid goes', statLine({ pid: 20, comm: 'worker', ppid: 1 }).replace(' 1 20 20 ', ' x 20 20 ')],
    ['oversized (200 KB)', `20 (${'w'.repeat(200 * 1024)}) S 1 20 20\n`],
    ['random bytes', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) % 256))],
    ['empty', ''],
  ];
  for (const [what, content] of badStats) {
    it(`one ${what} stat skips that process only, and says so`, async () => {
      const tree = healthyTree();
      tree[20] = { stat: content, status: STATUS(20, 1) };
      const dir = proc(tree);
      const r = await runCli(['tree', '--json', '--proc', dir], { hangMs: HANG_MS });
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, STACK);
      assert.deepEqual(pidsOf(r.stdout), [1, 10, 11, 12]);
      const j = JSON.parse(r.stdout) as { unreadable: number; damaged: { pid: number; reason: string }[] };
      if (what === 'empty') assert.equal(j.unreadable + j.damaged.length, 1);
      else assert.deepEqual(j.damaged.map((d) => d.pid), [20]);
      const t = await runCli(['zombies', '--proc', dir]);
      assert.equal(t.code, 0, t.stderr);
      assert.match(t.stdout, /^2 zombies under 1 parent/);
      assert.match(t.stderr, /1 process (could not be read|skipped)/);
    });
  }

  it('a bad signal mask in a status file leaves SIGCHLD unknown for that process, and the rest stands', async () => {
    const tree = healthyTree();
    tree[10].status = STATUS(10, 1).replace('SigIgn:\t0000000000000000', 'SigIgn:\tzz-not-hex');
    const r = await runCli(['zombies', '--json', '--proc', proc(tree)]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { zombies: unknown[]; parents: { pid: number; sigchld?: unknown; uid?: number }[] };
    assert.equal(j.zombies.length, 2);
    assert.equal(j.parents[0].pid, 10);
    assert.equal(j.parents[0].sigchld, undefined);
    assert.equal(j.parents[0].uid, 0, 'the other status fields are still read');
  });

  it('a start time beyond what a date can hold does not crash --json (startTime null)', async () => {
    const tree = healthyTree();
    tree[11].stat = statLine({ pid: 11, comm: 'child', state: 'Z', ppid: 10, startTicks: 9_000_000_000_000_000 });
    const dir = proc(tree);
    for (const args of [['zombies', '--json'], ['tree', '--json'], ['zombies'], ['tree']]) {
      const r = await runCli([...args, '--proc', dir]);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, STACK);
    }
    const j = JSON.parse((await runCli(['tree', '--json', '--proc', dir])).stdout) as { processes: { pid: number; startTime: string | null }[] };
    assert.equal(j.processes.find((p) => p.pid === 11)!.startTime, null);
    assert.equal(typeof j.processes.find((p) => p.pid === 12)!.startTime, 'string');
  });

  it('a garbage uptime is one clear error (exit 1), no stack trace', async () => {
    const r = await runCli(['tree', '--proc', proc(healthyTree(), 'not a number\n')]);
    assert.equal(r.code, 1, r.stderr);
    assert.doesNotMatch(r.stderr, STACK);
    assert.match(r.stderr, /^process-inspector: .*uptime/);
  });

  it('--proc naming a regular file, a missing directory or nothing is a clear error', async () => {
    const file = path.join(proc(healthyTree()), 'uptime');
    for (const [arg, code, message] of [
      [file, 1, /not a directory/],
      ['/nonexistent/proc', 1, /no such directory/],
      ['', 2, /--proc wants a directory/],
    ] as [string, number, RegExp][]) {
      const r = await runCli(['tree', '--proc', arg]);
      assert.equal(r.code, code, `${arg}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, STACK);
      assert.match(r.stderr, message);
    }
  });

  for (const file of ['stat', 'status', 'cmdline', 'wchan']) {
    it(`a FIFO where /proc/PID/${file} should be does not hang the reader`, async () => {
      const tree = healthyTree();
      tree[10][file] = { fifo: true };
      const r = await runCli(['zombies', '--json', '--proc', proc(tree)], { hangMs: HANG_MS });
      assert.ok(!r.hung, `hung on a FIFO ${file}`);
      assert.equal(r.code, 0, r.stderr);
    });
  }

  it('a FIFO where uptime should be does not hang: a clear error', async () => {
    const r = await runCli(['tree', '--proc', proc(healthyTree(), { fifo: true })], { hangMs: HANG_MS });
    assert.ok(!r.hung, 'hung on a FIFO uptime');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /uptime/);
  });

  it('prints processes whose parent links form a cycle in the text tree, as --json keeps them', async () => {
    const tree = healthyTree();
    tree[20] = { stat: statLine({ pid: 20, comm: 'ringA', ppid: 21 }), status: STATUS(20, 21) };
    tree[21] = { stat: statLine({ pid: 21, comm: 'ringB', ppid: 22 }), status: STATUS(21, 22) };
    tree[22] = { stat: statLine({ pid: 22, comm: 'ringC', ppid: 20 }), status: STATUS(22, 20) };
    const dir = proc(tree);
    const j = await runCli(['tree', '--json', '--proc', dir]);
    assert.deepEqual(pidsOf(j.stdout), [1, 10, 11, 12, 20, 21, 22]);
    const t = await runCli(['tree', '--proc', dir]);
    assert.equal(t.code, 0, t.stderr);
    for (const name of ['ringA', 'ringB', 'ringC', 'init', 'parent']) assert.match(t.stdout, new RegExp(`\\b${name}\\b`), t.stdout);
    assert.match(t.stdout, /parent cycle/);
  });

  it('refuses a stat whose pid differs from its directory name, and says so', async () => {
    const tree = healthyTree();
    tree[30] = { stat: statLine({ pid: 31, comm: 'impostor', ppid: 10 }), status: STATUS(31, 10) };
    const dir = proc(tree);
    const r = await runCli(['tree', '--json', '--proc', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(pidsOf(r.stdout), [1, 10, 11, 12]);
    const j = JSON.parse(r.stdout) as { damaged: { pid: number; reason: string }[] };
    assert.deepEqual(j.damaged.map((d) => d.pid), [30]);
    assert.match(j.damaged[0].reason, /31/);
    const sub = await runCli(['tree', '--root', '30', '--proc', dir]);
    assert.equal(sub.code, 1);
    assert.doesNotMatch(sub.stdout, /impostor/);
  });
});
