/**
 * The child's start time in the C, Python and Node recorders' records: exactly field 22 of
 * /proc/CHILD/stat, the half of the child's identity beside its PID. The C and Python recorders
 * read the boot-time clock right before and right after the spawn and, when both readings fall in
 * the same clock tick, write that tick without reading /proc (the usual case); when they do not,
 * they read the child's stat. The Node recorder reads the monotonic clock instead and bounds its
 * offset from the boot-time clock by the stats it has read; it reads the child's stat when the
 * bounds do not decide the tick (the first spawns, a spawn near a tick's edge, a second since the
 * last read). The second path is forced here by a preloaded library
 * (test/fixtures/record/native/slowspawn.c) that makes every spawn sleep 25 ms first, longer than a
 * tick. The children are zombies, so /proc still has them when the test reads it. (Go's recorder
 * reads the boot-time clock around the fork too; a Go program is linked statically, so no library
 * slows its fork: record-go.test.ts checks the start of each of 1,000 zombie children, of which
 * some tens straddle a tick, the fork waiting for the child's exec.)
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { prepareNative } from '../../src/record/native';
import { prepareNode } from '../../src/record/node';
import { preparePython } from '../../src/record/python';
import type { Preparation } from '../../src/record/types';
import { cleanEnv, procStat, readRecords, removeTempDirs, runHeld, tempDir, waitFor } from '../support/record';

const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/record');

function ok(p: Preparation): Record<string, string> {
  assert.ok(p.ok, p.ok ? '' : p.reason);
  return p.env;
}

describe('recorders: the child start time is field 22 of its stat, with or without reading it', function () {
  this.timeout(120000);
  let tmp: string;
  let slow: string;
  let zombiesC: string;
  let native: Record<string, string>;
  after(removeTempDirs);

  before(function () {
    if (process.platform !== 'linux' || spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) this.skip();
    tmp = tempDir('rec-start');
    slow = path.join(tmp, 'slowspawn.so');
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', slow, path.join(FIXTURES, 'native/slowspawn.c'), '-ldl']);
    zombiesC = path.join(tmp, 'zombies');
    execFileSync('cc', ['-O2', '-o', zombiesC, path.join(FIXTURES, 'native/zombies.c')]);
    native = ok(prepareNative({ recordFile: path.join(tmp, 'unused.jsonl'), cacheDir: path.join(tmp, 'cache'), env: {} }));
  });

  const runtimes: { name: string; lang: string; cmd: () => [string, string[]]; env: (file: string) => NodeJS.ProcessEnv }[] = [
    {
      name: 'C (posix_spawn, fork + execv)',
      lang: 'native',
      cmd: () => [zombiesC, []],
      env: (file) => ({ ...cleanEnv(), ...native, PROCESS_INSPECTOR_RECORD: file }),
    },
    {
      name: 'Python (subprocess.Popen, os.fork)',
      lang: 'python',
      cmd: () => ['/usr/bin/python3', [path.join(FIXTURES, 'python/zombies.py')]],
      env: (file) => ({ ...cleanEnv(), ...ok(preparePython({ recordFile: file, cacheDir: path.join(tmp, 'cache'), env: {} })) }),
    },
    {
      name: 'Node (spawn)',
      lang: 'node',
      cmd: () => [process.execPath, [path.join(FIXTURES, 'node/zombies.js')]],
      env: (file) => ({ ...cleanEnv(), ...ok(prepareNode({ recordFile: file, cacheDir: path.join(tmp, 'cache'), env: {} })) }),
    },
  ];
  let n = 0;
  for (const rt of runtimes) {
    for (const [how, count, slowed] of [
      ['from the clock (spawns well within a tick)', 200, false],
      ['from /proc/CHILD/stat (every spawn straddles ticks)', 8, true],
    ] as const) {
      it(`${rt.name}: ${how}`, async () => {
        const file = path.join(tmp, `records-${++n}.jsonl`);
        const env = rt.env(file);
        // the slow library after ours (LD_PRELOAD is searched in order: our fork calls its fork)
        if (slowed) env.LD_PRELOAD = env.LD_PRELOAD ? `${env.LD_PRELOAD} ${slow}` : slow;
        const [cmd, args] = rt.cmd();
        const held = await runHeld(cmd, [...args, String(count)], env);
        try {
          const pids = held.ready as number[];
          assert.equal(pids.length, count);
          await waitFor(() => pids.every((pid) => procStat(pid)?.state === 'Z'), 'the children to become zombies');
          const records = readRecords(file).filter((r) => r.ppid === held.proc.pid && r.lang === rt.lang);
          assert.deepEqual(records.map((r) => r.pid).sort(), [...pids].sort(), 'one record per child');
          const wrong = records.filter((r) => r.start !== procStat(r.pid)!.start).map((r) => `${r.pid}: ${r.start} for ${procStat(r.pid)!.start}`);
          assert.deepEqual(wrong, [], 'every record: start is the child\'s field 22');
        } finally {
          assert.equal(await held.release(), 0);
        }
      });
    }
  }
});
