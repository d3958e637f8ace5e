// Whole-process timing. With cc: through timer.c (posix_spawn from a small process, stdout
// drained through a pipe, as a shell runs a command). Without cc: spawnSync from Node, which
// also charges Node's own fork to every command (said so in the report).
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { buildC } from './cc.mjs';

export class Timer {
  /** commands: [argv0, ...args][] */
  constructor(commands, useC) {
    this.commands = commands;
    this.method = useC ? 'posix_spawn from a C helper (bench/lib/timer.c), stdout through a pipe' : 'spawnSync from Node (includes forking Node itself)';
    if (useC) {
      const argv = commands.flatMap((c, i) => (i ? ['--', ...c] : c));
      this.proc = spawn(buildC('timer'), argv, { stdio: ['pipe', 'pipe', 'inherit'] });
      // A Ctrl-C stops the helper too; the next run() then fails with a clear error, not EPIPE.
      this.proc.stdin.on('error', () => {});
      this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
    }
  }

  /**
   * Runs command k once: { ms, status, bytes, cpuMs }. cpuMs is the command's user + system CPU
   * time (wait4's rusage: its own and its waited-for children's); NaN without the C helper
   * (spawnSync gives no rusage of the child).
   */
  async run(k) {
    if (!this.proc) {
      const [cmd, ...args] = this.commands[k];
      const t0 = process.hrtime.bigint();
      const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 28 });
      const t1 = process.hrtime.bigint();
      return { ms: Number(t1 - t0) / 1e6, status: r.status === null ? -1 : r.status << 8, bytes: r.stdout?.length ?? 0, cpuMs: NaN };
    }
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error('timer helper ended');
    this.proc.stdin.write(`${k}\n`);
    const { value, done } = await this.lines.next();
    if (done) throw new Error('timer helper ended');
    const [ns, status, bytes, cpuNs] = value.split(' ').map(Number);
    if (ns < 0) throw new Error(`timer helper cannot run command ${k}`);
    return { ms: ns / 1e6, status, bytes, cpuMs: cpuNs / 1e6 };
  }

  close() {
    this.proc?.stdin.end();
  }
}
