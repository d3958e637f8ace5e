// What the Python and Node spawn recorders cost: a loop of 1,000 spawns of `true`, each waited,
// timed inside the program (interpreter start-up left out), in three set-ups run side by side:
//   none       no recorder at all (no PYTHONPATH / NODE_OPTIONS of ours)
//   unset      the recorder loaded (PYTHONPATH / NODE_OPTIONS as preparePython/prepareNode give
//              them) but PROCESS_INSPECTOR_RECORD unset: it must cost nothing
//   recording  the recorder on, one record a spawn into a fresh file each round
// plus the interpreter's start-up (`python3 -c pass`, `node -e 0`) in the same three set-ups,
// since every child interpreter loads the recorder too.
//
//   node scripts/build.mjs && node bench/recorders-pynode.mjs [--rounds N] [--spawns N] [--python PATH]
//
// Prints a markdown table (medians over the rounds, ratios against `none`). Each round runs every
// set-up once, the starting one rotating, after one warm-up round that is not counted.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { median, ms, ratio, table } from './lib/stats.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    spawns: { type: 'string', default: '1000' },
    starts: { type: 'string', default: '10' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
  strict: false,
});
const ROUNDS = Number(opts.rounds);
const SPAWNS = Number(opts.spawns);
const STARTS = Number(opts.starts);
for (const [name, n] of [['--rounds', ROUNDS], ['--spawns', SPAWNS], ['--starts', STARTS]]) {
  if (!(Number.isInteger(n) && n >= 1)) {
    process.stderr.write(`recorders-pynode: ${name} wants a whole number >= 1\n`);
    process.exit(2);
  }
}
let prep;
try {
  prep = { python: require(path.join(root, 'out/src/record/python.js')), node: require(path.join(root, 'out/src/record/node.js')) };
} catch (err) {
  process.stderr.write(`recorders-pynode: build first (node scripts/build.mjs): ${err.message}\n`);
  process.exit(2);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-bench-rec-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const recordFile = path.join(tmp, 'records.jsonl');
const base = { ...process.env };
// PYTHONDONTWRITEBYTECODE (set on some machines and in many container images) makes every
// interpreter compile the sitecustomize anew: measured apart, in a start-up row of its own.
for (const k of ['PROCESS_INSPECTOR_RECORD', 'PYTHONPATH', 'NODE_OPTIONS', 'PYTHONDONTWRITEBYTECODE']) delete base[k];

const pyLoop = path.join(tmp, 'loop.py');
fs.writeFileSync(pyLoop, `import subprocess, sys, time
n = int(sys.argv[1])
t, c = time.perf_counter(), time.process_time()
for _ in range(n):
    subprocess.run(['true'])
print((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)
`);
const jsLoop = path.join(tmp, 'loop.js');
fs.writeFileSync(jsLoop, `const { spawn } = require('child_process');
const n = Number(process.argv[2]);
(async () => {
  const t = performance.now();
  const c = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    await new Promise((resolve, reject) => spawn('true', { stdio: 'ignore' }).on('exit', resolve).on('error', reject));
  }
  const used = process.cpuUsage(c);
  console.log(performance.now() - t, (used.user + used.system) / 1000);
})();
`);

function envs(injection, extra = {}) {
  if (!injection.ok) throw new Error(injection.reason);
  const unset = { ...base, ...extra, ...injection.env };
  delete unset.PROCESS_INSPECTOR_RECORD;
  return { none: { ...base, ...extra }, unset, recording: { ...base, ...extra, ...injection.env } };
}
const ctx = { recordFile, cacheDir: path.join(tmp, 'cache'), env: base };
const langs = [
  { name: 'python', cmd: opts.python, loop: [pyLoop], start: ['-c', 'pass'], envs: envs(prep.python.preparePython(ctx)) },
  { name: 'node', cmd: process.execPath, loop: [jsLoop], start: ['-e', '0'], envs: envs(prep.node.prepareNode(ctx)) },
  { name: 'python-nobytecode', label: 'PYTHONDONTWRITEBYTECODE=1', cmd: opts.python, start: ['-c', 'pass'],
    envs: envs(prep.python.preparePython(ctx), { PYTHONDONTWRITEBYTECODE: '1' }) },
];
const MODES = ['none', 'unset', 'recording'];

function runOnce(lang, mode) {
  fs.rmSync(recordFile, { force: true });
  if (!lang.loop) return { loopMs: NaN, cpuMs: NaN, startMs: startUp(lang, mode) };
  const r = spawnSync(lang.cmd, [...lang.loop, String(SPAWNS)], { env: lang.envs[mode], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${lang.cmd} loop (${mode}) failed: ${r.stderr}`);
  const lines = fs.existsSync(recordFile) ? fs.readFileSync(recordFile, 'utf8').split('\n').length - 1 : 0;
  if (lines !== (mode === 'recording' ? SPAWNS : 0)) throw new Error(`${lang.name} ${mode}: ${lines} records for ${SPAWNS} spawns`);
  const [loopMs, cpuMs] = r.stdout.trim().split(' ').map(Number);
  return { loopMs, cpuMs, startMs: startUp(lang, mode) };
}

function startUp(lang, mode) {
  const starts = [];
  for (let i = 0; i < STARTS; i++) {
    const t = process.hrtime.bigint();
    const s = spawnSync(lang.cmd, lang.start, { env: lang.envs[mode], stdio: 'ignore' });
    starts.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (s.status !== 0) throw new Error(`${lang.cmd} ${lang.start.join(' ')} (${mode}) failed`);
  }
  return median(starts);
}

const version = (cmd, args) => spawnSync(cmd, args, { encoding: 'utf8', env: base }).stdout.trim() || spawnSync(cmd, args, { encoding: 'utf8' }).stderr.trim();
const loadBefore = os.loadavg();
const results = Object.fromEntries(langs.map((l) => [l.name, Object.fromEntries(MODES.map((m) => [m, { loop: [], cpu: [], start: [] }]))]));
process.stderr.write(`${ROUNDS} rounds (+1 warm-up) of ${SPAWNS} spawns in ${MODES.length} set-ups, Python and Node...\n`);
for (let round = 0; round <= ROUNDS; round++) {
  for (let k = 0; k < MODES.length; k++) {
    const mode = MODES[(k + round) % MODES.length];
    for (const lang of langs) {
      const r = runOnce(lang, mode);
      if (round === 0) continue; // warm-up
      results[lang.name][mode].loop.push(r.loopMs);
      results[lang.name][mode].cpu.push(r.cpuMs);
      results[lang.name][mode].start.push(r.startMs);
    }
  }
}
const loadAfter = os.loadavg();

const rows = [];
for (const lang of langs) {
  const m = Object.fromEntries(MODES.map((mode) => [mode, { loop: median(results[lang.name][mode].loop), cpu: median(results[lang.name][mode].cpu), start: median(results[lang.name][mode].start) }]));
  const label = lang.name === 'node' ? `Node ${process.version}` : `Python ${version(lang.cmd, ['--version']).replace('Python ', '')}`;
  const starting = `start-up (\`${path.basename(lang.cmd)} ${lang.start.join(' ')}\`${lang.label ? `, ${lang.label}` : ''})`;
  const startRow = [`${label}: ${starting}`, ms(m.none.start), ms(m.unset.start), ms(m.recording.start),
    ratio(m.unset.start / m.none.start), ratio(m.recording.start / m.none.start), `${((m.recording.start - m.none.start) * 1000).toFixed(0)} µs`];
  if (!lang.loop) {
    rows.push(startRow);
    continue;
  }
  const what = lang.name === 'python' ? "subprocess.run(['true'])" : "await spawn('true')";
  const perSpawnUs = ((m.recording.loop - m.none.loop) / SPAWNS) * 1000;
  rows.push([`${label}: ${SPAWNS.toLocaleString('en')} × \`${what}\``, ms(m.none.loop), ms(m.unset.loop), ms(m.recording.loop),
    ratio(m.unset.loop / m.none.loop), ratio(m.recording.loop / m.none.loop), `${perSpawnUs.toFixed(1)} µs a spawn`]);
  const cpuUs = ((m.recording.cpu - m.none.cpu) / SPAWNS) * 1000;
  rows.push([`${label}: the same loop, the parent's own CPU time`, ms(m.none.cpu), ms(m.unset.cpu), ms(m.recording.cpu),
    ratio(m.unset.cpu / m.none.cpu), ratio(m.recording.cpu / m.none.cpu), `${cpuUs.toFixed(1)} µs a spawn`]);
  rows.push(startRow);
}
const load = (l) => l.map((x) => x.toFixed(1)).join(' ');
process.stdout.write(`${table(['ms, median of the rounds', 'no recorder', 'recorder loaded, PROCESS_INSPECTOR_RECORD unset', 'recording', 'unset / none', 'recording / none', 'recording − none'],
  'lrrrrrr', rows)}

${ROUNDS} rounds after 1 warm-up, the set-ups round-robin; loops timed inside the program (wall clock, and the
parent's own CPU time, user + system, where the recorder's work is and which the load of other processes disturbs
less), start-ups from this process (median of ${STARTS} a round).
Load average ${load(loadBefore)} before, ${load(loadAfter)} after (${os.cpus().length} cores, shared).
`);
