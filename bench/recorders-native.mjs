// The native spawn recorder's cost (src/record/assets/preload.c, prepared by src/record/native.ts):
//   node bench/recorders-native.mjs [--rounds N] [--spawns N]      (after `node scripts/build.mjs`)
// A C loop (bench/lib/spawnloop.c) spawns /bin/true N times (default 1,000), each waited, with
// posix_spawn and with fork+execv, in three setups, round-robin with the first one rotating each
// round: without the recorder; with LD_PRELOAD but PROCESS_INSPECTOR_RECORD unset (the library
// loaded, every wrapper a plain call); and recording (both set, one line per spawn). Reports the
// median over rounds, per spawn, of: the wall time (the child's exec and exit included, so also
// the child loading the inherited library); the wall time inside the spawn call in the parent
// (where the record is made); the parent's CPU time (user + system: what the record costs the
// program, least disturbed by other load on the machine); the children's CPU time. Each with its
// ratio to "without", and the parent's extra CPU per spawn. Prints a markdown table; it does not
// write docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildC, haveCc } from './lib/cc.mjs';
import { median, ratio, table } from './lib/stats.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '7' }, spawns: { type: 'string', default: '1000' } },
  strict: false,
});
const rounds = Number(values.rounds);
const spawns = Number(values.spawns);

if (!haveCc()) {
  console.log('recorders-native: no C compiler (cc), nothing to measure');
  process.exit(0);
}
const nativeJs = path.join(root, 'out/src/record/native.js');
if (!fs.existsSync(nativeJs)) {
  console.error('recorders-native: out/src/record/native.js is missing: run `node scripts/build.mjs` first');
  process.exit(1);
}
const { prepareNative } = createRequire(import.meta.url)(nativeJs);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-bench-native-'));
const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

try {
  const recordFile = path.join(tmp, 'rec.jsonl');
  const prep = prepareNative({ recordFile, cacheDir: path.join(tmp, 'cache'), env: {} });
  if (!prep.ok) throw new Error(prep.reason);
  const bin = buildC('spawnloop');
  const base = { ...process.env };
  delete base.LD_PRELOAD;
  delete base.PROCESS_INSPECTOR_RECORD;
  const setups = [
    { name: 'without the recorder', env: base },
    { name: 'LD_PRELOAD, PROCESS_INSPECTOR_RECORD unset', env: { ...base, LD_PRELOAD: prep.env.LD_PRELOAD } },
    { name: 'recording', env: { ...base, ...prep.env }, records: true },
  ];
  const apis = ['posix_spawn', 'fork'];
  /** api -> setup name -> { wall: [], parent: [] } in ns per spawn */
  const got = new Map(apis.map((a) => [a, new Map(setups.map((s) => [s.name, { wall: [], call: [], cpu: [], kids: [] }]))]));

  const runOnce = (api, setup) => {
    fs.rmSync(recordFile, { force: true });
    const r = spawnSync(bin, [api, String(spawns)], { env: setup.env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`spawnloop ${api} exited ${r.status}: ${r.stderr}`);
    const [wall, call, cpu, kids] = r.stdout.trim().split(' ').map(Number);
    if (setup.records) {
      const lines = fs.readFileSync(recordFile, 'utf8').split('\n').filter(Boolean).length;
      if (lines !== spawns) throw new Error(`expected ${spawns} records, found ${lines}`);
    } else if (fs.existsSync(recordFile)) {
      throw new Error(`${setup.name} wrote records`);
    }
    return { wall: wall / spawns, call: call / spawns, cpu: cpu / spawns, kids: kids / spawns };
  };

  for (const api of apis) runOnce(api, setups[2]); // warm-up: caches, the library built
  for (let round = 0; round < rounds; round++) {
    for (const api of apis) {
      for (let k = 0; k < setups.length; k++) {
        const setup = setups[(k + round) % setups.length];
        const m = runOnce(api, setup);
        const slot = got.get(api).get(setup.name);
        for (const k of Object.keys(slot)) slot[k].push(m[k]);
      }
    }
  }

  const us = (ns) => (ns / 1000).toFixed(Math.abs(ns) < 10_000 ? 1 : 0);
  const rows = [];
  for (const api of apis) {
    const m0 = got.get(api).get(setups[0].name);
    const base0 = Object.fromEntries(Object.entries(m0).map(([k, v]) => [k, median(v)]));
    for (const s of setups) {
      const m = Object.fromEntries(Object.entries(got.get(api).get(s.name)).map(([k, v]) => [k, median(v)]));
      const cell = (k) => `${us(m[k])} (${ratio(m[k] / base0[k])})`;
      rows.push([api === 'fork' ? 'fork + execv' : api, s.name, cell('wall'), cell('call'), cell('cpu'), s === setups[0] ? '' : us(m.cpu - base0.cpu), cell('kids')]);
    }
  }
  console.log(`Native recorder: ${spawns} spawns of /bin/true, each waited, median of ${rounds} rounds (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg()[0].toFixed(1)})\n`);
  console.log(
    table(
      ['API', 'setup', 'wall / spawn, us (x without)', 'in the spawn call', 'parent CPU', 'parent CPU extra', 'children CPU'],
      'llrrrrr',
      rows,
    ),
  );
  console.log(`\n${prep.note}`);
} finally {
  cleanup();
}
