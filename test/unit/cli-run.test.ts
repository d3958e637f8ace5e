/**
 * `process-inspector run` on real programs with the real recorders: in Go, C, Rust and Python,
 * two places start the same program and never wait, and every zombie must come back linked to
 * its own line, `recorded`; Node leaves children running, each linked to its line. Also the
 * CI gate (--check), --for, and that CMD's output and exit status pass through untouched.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '../../..');
const CLI = join(REPO, 'dist/cli.js');
const TWO = join(REPO, 'test/fixtures/programs/two-sites');

interface RunJson {
  command: string[];
  exitCode: number | null;
  leaked: boolean;
  mostAtOnce: number;
  endedBy: string;
  zombies: { pid: number; comm: string; spawnSite: { file: string; line: number; confidence: string; function?: string; stack: { file: string; line: number; function?: string }[] } | null }[];
  leftRunning: { pid: number; comm: string; spawnSite: { file: string; line: number; confidence: string } | null }[];
  recorders: { language: string; ok: boolean }[];
}

/** The line of the marker comment `marker` in `file` (1-based). */
function lineOf(file: string, marker: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, `${marker} in ${file}`);
  return i + 1;
}

function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? REPO, env: { ...process.env, TWO_SITES_SLEEP: '2', ...opts.env }, encoding: 'utf8', timeout: 120_000 });
  return r;
}

/** The report: the last line of stdout (CMD's own output comes before it). */
function report(stdout: string): RunJson {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as RunJson;
}

/** Every zombie linked, recorded, to SITE-A or SITE-B of `file`, two each. */
function assertTwoSites(r: RunJson, file: string, shown: string, comm = 'true'): void {
  const zs = r.zombies.filter((z) => z.comm === comm);
  assert.equal(zs.length, 4, `four ${comm} zombies: ${JSON.stringify(r.zombies.map((z) => [z.comm, z.spawnSite?.line]))}`);
  const a = lineOf(file, 'SITE-A');
  const b = lineOf(file, 'SITE-B');
  for (const z of zs) {
    assert.ok(z.spawnSite, `zombie ${z.pid} has a recorded site`);
    assert.equal(z.spawnSite.confidence, 'recorded');
    assert.equal(z.spawnSite.file, shown);
    assert.ok(z.spawnSite.stack.length >= 1 && z.spawnSite.stack[0].line === z.spawnSite.line);
  }
  assert.deepEqual(zs.map((z) => z.spawnSite!.line).sort(), [a, a, b, b].sort(), 'two from each site');
  assert.equal(r.leaked, true);
}

describe('process-inspector run', function () {
  this.timeout(180_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'pi-run-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('Go (go run, through GOFLAGS): every zombie recorded at its own Start() line', () => {
    const r = runCli(['run', '--json', '--', 'go', 'run', '.'], { cwd: join(TWO, 'go') });
    assert.equal(r.status, 0, r.stderr);
    const rep = report(r.stdout);
    assert.ok(rep.recorders.some((x) => x.language === 'go' && x.ok), JSON.stringify(rep.recorders));
    assertTwoSites(rep, join(TWO, 'go/main.go'), 'main.go');
    // The `true` zombies (go run's own compile and link children, waited a moment late, may show too).
    const fns = new Set(rep.zombies.filter((z) => z.comm === 'true').map((z) => z.spawnSite!.function));
    assert.deepEqual([...fns].sort(), ['main.fromA', 'main.fromB']);
  });

  it('C (fork, through LD_PRELOAD): every zombie recorded at its own fork() line', () => {
    const bin = join(tmp, 'two_sites_c');
    execFileSync('cc', ['-g', '-O0', '-o', bin, join(TWO, 'two_sites.c')]);
    const r = runCli(['run', '--json', '--', bin], { cwd: TWO });
    assert.equal(r.status, 0, r.stderr);
    assertTwoSites(report(r.stdout), join(TWO, 'two_sites.c'), 'two_sites.c');
  });

  it('Rust (Command::spawn, through LD_PRELOAD): every zombie recorded at its own spawn() line', function () {
    const bin = join(tmp, 'two_sites_rs');
    try {
      execFileSync('rustc', ['-g', '-o', bin, join(TWO, 'two_sites.rs')], { stdio: 'pipe' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') this.skip(); // no rustc on this machine
      throw e;
    }
    const r = runCli(['run', '--json', '--', bin], { cwd: TWO });
    assert.equal(r.status, 0, r.stderr);
    assertTwoSites(report(r.stdout), join(TWO, 'two_sites.rs'), 'two_sites.rs');
  });

  it('Python (Popen, through sitecustomize): every zombie recorded at its own Popen line', () => {
    const r = runCli(['run', '--json', '--', '/usr/bin/python3', 'two_sites.py'], { cwd: TWO });
    assert.equal(r.status, 0, r.stderr);
    assertTwoSites(report(r.stdout), join(TWO, 'two_sites.py'), 'two_sites.py');
  });

  it('Node: the children it leaves running, each recorded at its own spawn() line', () => {
    const r = runCli(['run', '--json', '--', process.execPath, 'two_sites.js'], { cwd: TWO, env: { TWO_SITES_SLEEP: '0.5' } });
    const rep = report(r.stdout);
    try {
      assert.equal(r.status, 0, r.stderr);
      const left = rep.leftRunning.filter((p) => p.comm === 'sleep');
      assert.equal(left.length, 4, JSON.stringify(rep.leftRunning));
      const a = lineOf(join(TWO, 'two_sites.js'), 'SITE-A');
      const b = lineOf(join(TWO, 'two_sites.js'), 'SITE-B');
      assert.deepEqual(left.map((p) => p.spawnSite?.line).sort(), [a, a, b, b].sort());
      assert.ok(left.every((p) => p.spawnSite?.confidence === 'recorded' && p.spawnSite.file === 'two_sites.js'));
    } finally {
      for (const p of rep.leftRunning) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });

  it('--check fails a leaking program (exit 4) and passes a clean one (its own status)', () => {
    const bin = join(tmp, 'two_sites_check');
    execFileSync('cc', ['-g', '-o', bin, join(TWO, 'two_sites.c')]);
    const leak = runCli(['run', '--check', '--', bin], { cwd: TWO });
    assert.equal(leak.status, 4, leak.stdout + leak.stderr);
    assert.match(leak.stdout, /4 zombies .* by spawn site/);
    assert.match(leak.stdout, new RegExp(`recorded at two_sites\\.c:${lineOf(join(TWO, 'two_sites.c'), 'SITE-A')}: 2 × true`));
    // A clean program may leave a zombie for a moment (it waits a little late): not a leak.
    const clean = runCli(['run', '--check', '--json', '--', '/usr/bin/python3', '-c', 'import subprocess, time; subprocess.run(["true"]); p = subprocess.Popen(["true"]); time.sleep(0.3); p.wait()']);
    assert.equal(clean.status, 0, clean.stdout + clean.stderr);
    const rep = report(clean.stdout);
    assert.equal(rep.leaked, false);
    assert.deepEqual(rep.leftRunning, []);
  });

  it("passes CMD's stdout, stderr and exit status through, the report going to --report", () => {
    const file = join(tmp, 'report.json');
    const r = runCli(['run', '--json', '--report', file, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.status, 3);
    assert.equal(r.stdout, 'out\n');
    assert.match(r.stderr, /^err$/m);
    const rep = JSON.parse(readFileSync(file, 'utf8')) as RunJson;
    assert.equal(rep.exitCode, 3);
    assert.deepEqual(rep.command, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
  });

  it('--for ends a run that does not end by itself: the report taken while it ran, then its group ended', () => {
    const pidFile = join(tmp, 'pid');
    const bin = join(tmp, 'two_sites_for');
    execFileSync('cc', ['-g', '-o', bin, join(TWO, 'two_sites.c')]);
    const r = runCli(['run', '--json', '--for', '1.5', '--', bin, pidFile], { cwd: TWO, env: { TWO_SITES_SLEEP: '100' } });
    assert.equal(r.status, 0, r.stderr);
    const rep = report(r.stdout);
    assert.equal(rep.endedBy, 'for');
    assert.equal(rep.zombies.filter((z) => z.spawnSite?.confidence === 'recorded').length, 4);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.throws(() => process.kill(pid, 0), 'the program was ended');
  });

  it('zombies --workspace links the zombies of a program started by run to their recorded lines', async () => {
    const bin = join(tmp, 'two_sites_ws');
    const pidFile = join(tmp, 'pid-ws');
    execFileSync('cc', ['-g', '-o', bin, join(TWO, 'two_sites.c')]);
    const running = spawn(process.execPath, [CLI, 'run', '--for', '20', '--report', join(tmp, 'ws-report'), '--', bin, pidFile], { cwd: TWO, env: { ...process.env, TWO_SITES_SLEEP: '100' }, stdio: 'ignore' });
    try {
      const deadline = Date.now() + 20_000;
      let z: { zombies: { spawnSite: { file: string; line: number; confidence: string } | null }[] } | undefined;
      while (Date.now() < deadline) {
        if (existsSync(pidFile) && readFileSync(pidFile, 'utf8')) {
          const r = runCli(['zombies', '--root', readFileSync(pidFile, 'utf8'), '--workspace', TWO, '--json', '--no-cache']);
          if (r.status === 0) {
            z = JSON.parse(r.stdout);
            if (z!.zombies.length === 4) break;
          }
        }
        await new Promise((res) => setTimeout(res, 200));
      }
      assert.ok(z, 'zombies answered');
      const a = lineOf(join(TWO, 'two_sites.c'), 'SITE-A');
      const b = lineOf(join(TWO, 'two_sites.c'), 'SITE-B');
      assert.deepEqual(z.zombies.map((x) => [x.spawnSite?.file, x.spawnSite?.confidence, x.spawnSite?.line]).sort(), [
        ['two_sites.c', 'recorded', a], ['two_sites.c', 'recorded', a], ['two_sites.c', 'recorded', b], ['two_sites.c', 'recorded', b],
      ].sort());
    } finally {
      running.kill('SIGTERM');
      await new Promise((res) => running.once('exit', res));
    }
  });

  it('never takes a reused PID for the recorded process (PID and start time, as root through ns_last_pid)', async function () {
    // Record a child, reap it, make the kernel hand its PID to an unrecorded process: that one
    // must not inherit the record. (Within one clock tick, 10 ms, the kernel itself could not tell
    // the two apart: a PID coming round again that fast takes ns_last_pid, not a real workload.)
    if (process.getuid?.() !== 0 || !existsSync('/proc/sys/kernel/ns_last_pid')) this.skip();
    const src = join(tmp, 'reuse.c');
    const out = join(tmp, 'reuse.out');
    writeFileSync(src, [
      '#include <stdio.h>', '#include <stdlib.h>', '#include <unistd.h>', '#include <sys/wait.h>', '#include <fcntl.h>', '#include <string.h>',
      'int main(int argc, char **argv) {',
      '  pid_t a = fork(); /* RECORDED */',
      '  if (a == 0) _exit(0);',
      '  waitpid(a, NULL, 0);',
      '  usleep(50000); /* a start time is counted in clock ticks (10 ms): a later tick */',
      '  char buf[32]; int n = snprintf(buf, sizeof buf, "%d", (int)a - 1);',
      '  for (int tries = 0; tries < 50; tries++) {',
      '    int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY); if (fd < 0) return 2;',
      '    write(fd, buf, n); close(fd);',
      '    pid_t b = (pid_t)syscall(57); /* raw fork: the preload library does not see it */',
      '    if (b == 0) { execlp("true", "true", (char *)NULL); _exit(127); }',
      '    if (b == a) { FILE *f = fopen(argv[1], "w"); fprintf(f, "%d %d", (int)getpid(), (int)b); fclose(f); sleep(30); return 0; }',
      '    waitpid(b, NULL, 0);',
      '  }',
      '  FILE *f = fopen(argv[1], "w"); fprintf(f, "none"); fclose(f);',
      '  return 3;',
      '}',
    ].join('\n'));
    const bin = join(tmp, 'reuse');
    execFileSync('cc', ['-g', '-o', bin, src]);
    const running = spawn(process.execPath, [CLI, 'run', '--for', '30', '--report', join(tmp, 'reuse-report'), '--', bin, out], { stdio: 'ignore' });
    try {
      const deadline = Date.now() + 20_000;
      while (!(existsSync(out) && readFileSync(out, 'utf8')) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
      const text = readFileSync(out, 'utf8');
      if (text === 'none') this.skip(); // another process took the PID each time
      const [parent, reused] = text.split(' ').map(Number);
      // A fresh read of the table (no watcher between two refreshes to miss the reuse).
      const r = runCli(['zombies', '--root', String(parent), '--workspace', tmp, '--json', '--no-cache']);
      assert.equal(r.status, 0, r.stderr);
      const z = (JSON.parse(r.stdout) as { zombies: { pid: number; spawnSite: { confidence: string } | null }[] }).zombies.find((x) => x.pid === reused);
      assert.ok(z, `the raw-forked child ${reused} (the first child's PID again) is a zombie of ${parent}`);
      assert.notEqual(z.spawnSite?.confidence, 'recorded', 'its PID has a record, but of another process: not recorded');
    } finally {
      running.kill('SIGTERM');
      await new Promise((res) => running.once('exit', res));
    }
  });

  it('refuses bad usage with exit 2', () => {
    for (const args of [['run'], ['run', '--for', 'x', '--', 'true'], ['run', '--bogus', '--', 'true'], ['run', '--for']]) {
      const r = runCli(args);
      assert.equal(r.status, 2, args.join(' '));
      assert.match(r.stderr, /process-inspector: /);
    }
    assert.equal(runCli(['run', '--', '/nonexistent/prog']).status, 127);
  });
});
