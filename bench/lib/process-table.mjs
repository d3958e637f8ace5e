// The process-table benchmark. Run through bench/run.mjs (which adds --expose-gc):
//   node --expose-gc bench/lib/process-table.mjs [--rounds N] [--warmup N] [--memory-samples N] [--write-docs]
//
// Builds a population of ~4,000 processes with 1,000 zombies (population.c), then measures all
// contenders round-robin, one call each per round, the starting contender rotating every round,
// so that the machine's noise falls on all of them alike. Reports medians, p90 and ratios, the
// verdict on each target of the issue, where the time goes, and memory.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { haveCc, buildC } from './cc.mjs';
import { writeSection } from './docs.mjs';
import { countProc, DEFAULT_SHAPE, descendantsIn, describeShape, interrupted, scanProc, startPopulation } from './population.mjs';
import { median, mib, ms, p90, ratio, table } from './stats.mjs';
import { Timer } from './timer.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const HEADING = '## Process table';
/** Processes of others above which we wait before building ours. */
const QUIET = 1000;
/** A round is dropped and run again when the table size has moved more than this since the start. */
const DRIFT = 0.1;

// Not strict: bench/run.mjs passes every argument to every benchmark; each takes its own.
const { values: opts } = parseArgs({
  strict: false,
  options: {
    rounds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
    'memory-samples': { type: 'string', default: '3' },
    'write-docs': { type: 'boolean', default: false },
    command: { type: 'string' }, // how the user started us, for the docs (set by bench/run.mjs)
  },
});
const ROUNDS = Number(opts.rounds);
const WARMUP = Number(opts.warmup);
const MEMORY_SAMPLES = Number(opts['memory-samples']);
const COMMAND = opts.command ?? `node --expose-gc bench/lib/process-table.mjs ${process.argv.slice(2).join(' ')}`.trim();
const log = (s) => process.stderr.write(`[bench:process] ${s}\n`);

if (process.platform !== 'linux') {
  log(`skipped: the process-table benchmark measures the Linux /proc reader (this is ${process.platform})`);
  process.exit(0);
}
for (const f of ['out/src/platform/linux.js', 'out/src/core/inspect.js', 'dist/cli.js']) {
  if (!fs.existsSync(path.join(ROOT, f))) {
    log(`${f} is missing: run \`node scripts/build.mjs\` first (npm run bench does)`);
    process.exit(2);
  }
}
const { LinuxProcessSource } = require(path.join(ROOT, 'out/src/platform/linux.js'));
const { parseStat } = require(path.join(ROOT, 'out/src/platform/procfs.js'));
const { inspect } = require(path.join(ROOT, 'out/src/core/inspect.js'));
const psList = (await import('ps-list')).default;
const gc = typeof globalThis.gc === 'function' ? globalThis.gc : () => {};
if (gc.name !== 'gc') log('run with --expose-gc for fair in-process figures (bench/run.mjs does)');

// ---- The floor, exactly the I/O our reader does: one buffer, open / read until 0 / close. ----
const buf = Buffer.allocUnsafe(64 * 1024);
function readOne(file, untilZero) {
  let fd;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return -1;
  }
  try {
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, total, buf.length - total, null);
      if (n <= 0 || !untilZero) return total + Math.max(n, 0);
      total += n;
    }
  } catch {
    return -1;
  } finally {
    fs.closeSync(fd);
  }
}
function listPids() {
  const pids = [];
  for (const name of fs.readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c >= 0x30 && c <= 0x39) pids.push(Number(name));
  }
  return pids;
}
/** readdir + every stat file read the way linux.ts does (read until 0: two reads a file). */
function floorNode() {
  let files = 0;
  for (const pid of listPids()) if (readOne(`/proc/${pid}/stat`, true) > 0) files++;
  return files;
}
/** The same with a single read per file (a stat file comes whole in one read). */
function floorOneRead() {
  let files = 0;
  for (const pid of listPids()) if (readOne(`/proc/${pid}/stat`, false) > 0) files++;
  return files;
}
/** Floor plus parseStat: no ProcessInfo objects, no Map, no index. */
function floorParse(pids = listPids()) {
  let zombies = 0;
  for (const pid of pids) {
    const n = readOne(`/proc/${pid}/stat`, true);
    if (n > 0 && parseStat(buf, n).state === 'Z') zombies++;
  }
  return zombies;
}

async function main() {
  const shape = DEFAULT_SHAPE;
  const want = describeShape(shape);
  // Others share this machine (a test may hold 10,000 zombies for a while): wait for a quiet
  // table, so that "about 4,000 processes" is what we measure.
  let ambient = countProc();
  for (let waited = 0; ambient.total > QUIET && waited < 180; waited += 2) {
    if (waited % 20 === 0) log(`${ambient.total} processes on the machine already (another run?): waiting for fewer than ${QUIET}...`);
    await new Promise((r) => setTimeout(r, 2000));
    ambient = countProc();
  }
  // The same for the load of others (the 1-minute average; capped wait, the report gives the load).
  for (let waited = 0; os.loadavg()[0] > 2 * os.availableParallelism() && waited < 90; waited += 5) {
    if (waited % 30 === 0) log(`load average ${os.loadavg()[0].toFixed(1)}: waiting up to 90 s for a quieter machine...`);
    await new Promise((r) => setTimeout(r, 5000));
  }
  log(`${ambient.total} processes before; building ${want.ours} more (${want.zombies} zombies)...`);
  const pop = await startPopulation(shape, log);
  const useC = haveCc();
  const timer = new Timer(
    [
      ...(useC ? [[buildC('floor')]] : []),
      ['ps', '-e', '-o', 'pid=,ppid=,stat=,comm='],
      [process.execPath, path.join(ROOT, 'dist/cli.js'), 'zombies', '--json'],
      [process.execPath, '-e', '0'],
    ],
    useC,
  );
  try {
    return await measure(pop, timer, useC, ambient, want);
  } finally {
    timer.close();
    await pop.close();
    const after = countProc();
    log(`population stopped: ${after.total} processes, ${after.zombies} zombies left on the machine`);
  }
}

async function measure(pop, timer, useC, ambient, want) {
  const source = new LinuxProcessSource();
  const at = countProc();
  const loadBefore = os.loadavg();

  // ---- Check every contender sees our population before timing anything. ----
  const truth = scanProc();
  const ours = descendantsIn(truth, pop.reaper); // pid -> state
  const ourZombies = [...ours].filter(([, st]) => st === 'Z').map(([pid]) => pid);
  const subTruth = descendantsIn(truth, pop.subroot);
  const missing = (have) => [...ours.keys()].filter((pid) => !have.has(pid)).length;
  const snap = source.readAll();
  const snapZ = new Set([...snap.processes.values()].filter((p) => p.state === 'Z').map((p) => p.pid));
  const insp = inspect(source);
  const inspZ = new Set(insp.diagnosis.zombies.map((p) => p.pid));
  const sub = source.readSubtree(pop.subroot);
  const psOut = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,stat=,comm='], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').map((l) => l.trim().split(/\s+/));
  const psPids = new Set(psOut.map((f) => Number(f[0])));
  const psZ = new Set(psOut.filter((f) => f[2]?.startsWith('Z')).map((f) => Number(f[0])));
  const pl = await psList();
  const cliOut = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'zombies', '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 }));
  const cliZ = new Set(cliOut.zombies.map((z) => z.pid));
  const floorFiles = floorNode();
  const checks = [
    [`our population: ${ours.size} processes, ${ourZombies.length} zombies (want ${want.ours - 1}, ${want.zombies})`, ours.size === want.ours - 1 && ourZombies.length === want.zombies],
    [`readAll has all of it (${snap.processes.size} in all), zombies as Z`, missing(snap.processes) === 0 && ourZombies.every((z) => snapZ.has(z))],
    [`inspect lists every zombie of it (${inspZ.size} in all)`, ourZombies.every((z) => inspZ.has(z))],
    [`readSubtree(root) has root + ${subTruth.size} (got ${sub.processes.size}, ${[...sub.processes.values()].filter((p) => p.state === 'Z').length} zombies)`, sub.processes.size === subTruth.size + 1 && [...subTruth.keys()].every((pid) => sub.processes.has(pid)) && subTruth.size === want.subtreeDescendants],
    [`ps lists all of it (${psPids.size} in all), zombies as Z`, missing(psPids) === 0 && ourZombies.every((z) => psZ.has(z))],
    [`ps-list lists all of it (${pl.length} in all)`, missing(new Set(pl.map((p) => p.pid))) === 0],
    [`the CLI lists every zombie of it (${cliZ.size} in all)`, ourZombies.every((z) => cliZ.has(z))],
    [`the Node floor reads a stat file per process (${floorFiles})`, floorFiles >= ours.size],
  ];
  for (const [what, ok] of checks) log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (checks.some(([, ok]) => !ok)) throw new Error('a contender does not see the population: figures would be meaningless');
  const subPids = [...sub.processes.keys()];
  const subLive = [...sub.processes.values()].filter((p) => p.state !== 'Z').map((p) => p.pid);

  // ---- The contenders. kind: in = in this process, whole = a whole process via the timer,
  // c = timed by bench/lib/statloop.c itself (its start-up is not counted). ----
  const statLoop = (args, input) => {
    const bin = buildC('statloop');
    return () => {
      const r = spawnSync(bin, args, { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`statloop ${args.join(' ')}: ${r.stderr || r.status}`);
      return Number(r.stdout.trim().split(' ')[0]) / 1e6;
    };
  };
  let t = 0;
  const next = () => t++;
  const whole = (k, quiet = false) => async () => {
    const r = await timer.run(k);
    if (r.status !== 0 || (r.bytes === 0 && !quiet)) throw new Error(`${timer.commands[k].join(' ')}: status ${r.status}, ${r.bytes} bytes out`);
    return r.ms;
  };
  const C = {
    floor: { kind: 'in', label: 'Floor: readdir + open/read/close every /proc/N/stat, no parsing', fn: floorNode },
    readAll: { kind: 'in', label: 'Ours: full read `new LinuxProcessSource().readAll()`', fn: () => source.readAll() },
    inspect: { kind: 'in', label: 'Ours: zombie search `inspect(source)` (read + details of zombie parents + diagnosis)', fn: () => inspect(source) },
    psList: { kind: 'in', label: '`ps-list` 9 default API `await psList()`', fn: () => psList(), async: true },
    subtree: { kind: 'in', label: `Ours: subtree refresh \`readSubtree(root)\`, ${want.subtreeDescendants} descendants`, fn: () => source.readSubtree(pop.subroot) },
    listPids: { kind: 'in', label: 'readdir /proc only (`listPids()`)', fn: () => source.listPids() },
    floorOneRead: { kind: 'in', label: 'Floor with one read per file instead of read-until-0', fn: floorOneRead },
    floorParse: { kind: 'in', label: 'Floor + `parseStat` of each file (no objects, no Map)', fn: () => floorParse() },
    subFloor: { kind: 'in', label: `read + parse the ${subPids.length} stat files of the subtree only (PIDs known)`, fn: () => floorParse(subPids) },
    subTasks: { kind: 'in', label: `readdir /proc/PID/task of its ${subLive.length} live processes`, fn: () => subLive.forEach((pid) => fs.readdirSync(`/proc/${pid}/task`)) },
    subChildren: { kind: 'in', label: `read /proc/PID/task/PID/children of its ${subLive.length} live processes`, fn: () => subLive.forEach((pid) => readOne(`/proc/${pid}/task/${pid}/children`, true)) },
    cFloorIn: useC ? { kind: 'c', label: 'the same reads in C, timed inside the C program (no start-up): readdir + every stat', fn: statLoop(['all', '1']) } : undefined,
    cSubFloor: useC ? { kind: 'c', label: `the ${subPids.length} stat reads of the subtree in C, timed inside the C program`, fn: statLoop(['list', '1'], subPids.join('\n')) } : undefined,
    floorC: useC ? { kind: 'whole', label: 'Floor in C: read every /proc/N/stat (bench/lib/floor.c)', fn: whole(next()) } : undefined,
    ps: { kind: 'whole', label: '`ps -e -o pid=,ppid=,stat=,comm=`', fn: whole(next()) },
    cli: { kind: 'whole', label: '`node dist/cli.js zombies --json`', fn: whole(next()) },
    node0: { kind: 'whole', label: '`node -e 0` (Node start-up alone)', fn: whole(next(), true) },
  };
  for (const k of Object.keys(C)) if (!C[k]) delete C[k];
  const ids = Object.keys(C);
  const samples = Object.fromEntries(ids.map((k) => [k, []]));

  log(`${ROUNDS} rounds (+${WARMUP} warm-up) of ${ids.length} contenders, round-robin...`);
  const started = Date.now();
  const base = at.total;
  const sizes = [];
  let dropped = 0;
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    const size = source.listPids().length;
    if (Math.abs(size - base) > DRIFT * base) {
      // Someone else started or ended many processes: this round would measure another table.
      if (++dropped > 3 * (WARMUP + ROUNDS)) throw new Error(`the process table keeps changing (${size} vs ${base} processes): try again on a quieter machine`);
      if (dropped % 10 === 1) log(`table at ${size} processes (started at ${base}): waiting for others to finish`);
      await new Promise((res) => setTimeout(res, 1000));
      r--;
      continue;
    }
    const round = {};
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(i + r) % ids.length];
      const c = C[id];
      let elapsed;
      if (c.kind === 'whole') elapsed = await c.fn();
      else if (c.kind === 'c') elapsed = c.fn();
      else {
        gc(); // each in-process contender starts with a clean heap: nobody pays another's garbage
        const t0 = performance.now();
        const out = c.fn();
        if (c.async) await out;
        elapsed = performance.now() - t0;
      }
      round[id] = elapsed;
    }
    const sizeAfter = source.listPids().length;
    if (Math.abs(sizeAfter - base) > DRIFT * base) {
      dropped++;
      r--;
      continue;
    }
    if (r >= WARMUP) {
      for (const id of ids) samples[id].push(round[id]);
      sizes.push(size, sizeAfter);
    }
    if ((r + 1) % 10 === 0) log(`round ${r + 1}/${WARMUP + ROUNDS}`);
  }
  const seconds = (Date.now() - started) / 1000;
  const loadAfter = os.loadavg();

  // ---- Memory, each sample in a fresh process. ----
  const memory = {};
  for (const which of ['readAll', 'inspect', 'ps-list']) {
    const runs = [];
    for (let i = 0; i < MEMORY_SAMPLES; i++) {
      const out = execFileSync(process.execPath, ['--expose-gc', path.join(ROOT, 'bench/lib/memory.mjs'), which], { encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 26 });
      runs.push(JSON.parse(out));
    }
    memory[which] = {
      processes: median(runs.map((m) => m.processes)),
      heap: median(runs.map((m) => m.heap + m.external)),
      rss: median(runs.map((m) => m.rss)),
    };
  }

  const med = Object.fromEntries(ids.map((k) => [k, median(samples[k])]));
  const p9 = Object.fromEntries(ids.map((k) => [k, p90(samples[k])]));
  return { C, ids, med, p9, samples, memory, subLive: subLive.length, at, ambient, want, pop, useC, timer, loadBefore, loadAfter, seconds, sizes, dropped };
}

function verdicts(m) {
  const { med } = m;
  const v = [];
  const add = (target, met, detail) => v.push({ target, met, detail });
  const rFloor = med.readAll / med.floor;
  add('Full read at most 2x the floor', rFloor <= 2, rFloor <= 2 ? `${ratio(rFloor)} the floor` : `${ratio(rFloor)} the floor: missed by ${ms(med.readAll - 2 * med.floor)} ms (${((rFloor / 2 - 1) * 100).toFixed(0)}% over 2x)`);
  add('Full read faster than ps', med.readAll < med.ps, med.readAll < med.ps ? `${ms(med.readAll)} ms in-process vs ${ms(med.ps)} ms for ps: ${ratio(med.ps / med.readAll)} faster` : `${ms(med.readAll)} vs ${ms(med.ps)} ms: missed by ${ms(med.readAll - med.ps)} ms`);
  add('CLI `zombies --json` (whole process) no slower than ps', med.cli <= med.ps, med.cli <= med.ps ? `${ms(med.cli)} vs ${ms(med.ps)} ms` : `${ms(med.cli)} vs ${ms(med.ps)} ms: missed by ${ms(med.cli - med.ps)} ms (${ratio(med.cli / med.ps)} ps); Node's own start-up (\`node -e 0\`) is ${ms(med.node0)} ms of it`);
  add(`Subtree refresh of ${m.want.subtreeDescendants} processes under 5 ms`, med.subtree < 5, med.subtree < 5 ? `${ms(med.subtree)} ms` : `${ms(med.subtree)} ms: missed by ${ms(med.subtree - 5)} ms (${ratio(med.subtree / 5)} the limit)`);
  const rPl = med.psList / med.readAll;
  add('ps-list at least 8x slower than us', rPl >= 8, rPl >= 8 ? `${ratio(rPl)} slower than readAll (${ratio(med.psList / med.inspect)} slower than inspect)` : `only ${ratio(rPl)} slower than readAll: missed by ${ms(8 * med.readAll - med.psList)} ms of ps-list time`);
  return v;
}

function report(m) {
  const { C, med, p9, samples, memory } = m;
  const inRows = ['floor', 'readAll', 'inspect', 'psList', 'subtree'].map((k) => [C[k].label, ms(med[k]), ms(p9[k]), ratio(med[k] / med.floor), ratio(med[k] / med.readAll)]);
  const wholeIds = ['floorC', 'ps', 'cli', 'node0'].filter((k) => C[k]);
  const wholeRows = wholeIds.map((k) => [C[k].label, ms(med[k]), ms(p9[k]), ratio(med[k] / med.ps), ratio(med[k] / med.cli)]);
  const v = verdicts(m);
  const n = samples.readAll.length;

  // Differences taken within each round, then the median: steadier than differences of medians.
  const d = (a, b) => median(samples[a].map((x, i) => x - samples[b][i]));
  const breakdown = [
    ['readdir /proc (`listPids()`)', ms(med.listPids)],
    ['open + read + read(=0) + close of every stat file (floor - readdir)', ms(d('floor', 'listPids'))],
    ['of which the second read, the one that returns 0 (floor - floor with one read per file)', ms(d('floor', 'floorOneRead'))],
    ['`parseStat` of every file (floor+parse - floor)', ms(d('floorParse', 'floor'))],
    ['ProcessInfo objects, Map, `indexChildren` (readAll - floor+parse)', ms(d('readAll', 'floorParse'))],
    ['**readAll**', `**${ms(med.readAll)}**`],
    ...(C.cFloorIn ? [[`for comparison, ${C.cFloorIn.label}`, ms(med.cFloorIn)]] : []),
    ['details of the zombie parents + diagnosis (inspect - readAll)', ms(d('inspect', 'readAll'))],
    ['**inspect**', `**${ms(med.inspect)}**`],
  ];
  const subRows = ['subtree', 'subFloor', 'subTasks', 'subChildren', 'cSubFloor'].filter((k) => C[k]).map((k) => [C[k].label, ms(med[k]), ms(p9[k])]);
  const walkSum = med.subFloor + med.subTasks + med.subChildren;
  const memRows = [
    ['Our snapshot (`readAll()`)', memory.readAll],
    ['Our inspection (`inspect()`: snapshot + diagnosis)', memory.inspect],
    ['`ps-list` result', memory['ps-list']],
  ].map(([label, x]) => [label, String(x.processes), mib(x.heap), `${Math.round(x.heap / x.processes)} B`, mib(x.rss)]);

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  let psVersion = 'ps';
  try {
    psVersion = execFileSync('ps', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    // not procps
  }
  const psListVersion = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/ps-list/package.json'), 'utf8')).version;
  const now = new Date();
  const noChildren = !new LinuxProcessSource().hasChildrenFiles();
  const cliMinusNode = med.cli - med.node0;
  const nodeShare = med.node0 / med.cli;
  const missed = v.filter((x) => !x.met);
  const subN = m.want.subtreeDescendants + 1;

  const reading = [];
  for (const x of missed) {
    if (x.target.startsWith('Full read at most')) {
      reading.push(
        `- **Full read vs floor.** The floor is the same readdir + open/read/read/close per file without parsing; ` +
          `what readAll adds is parseStat (${ms(d('floorParse', 'floor'))} ms) and building the objects, Map and child index ` +
          `(${ms(d('readAll', 'floorParse'))} ms). Medians subtract only approximately on a noisy machine.`,
      );
    } else if (x.target.startsWith('Full read faster')) {
      reading.push(`- **Full read vs ps.** ${x.detail}. ps runs in C and pays only its own start-up; the in-process read pays Node's per-call binding cost on ${m.at.total} x 4 syscalls.`);
    } else if (x.target.startsWith('CLI')) {
      reading.push(
        `- **CLI vs ps.** \`node -e 0\` alone takes ${ms(med.node0)} ms here (${(nodeShare * 100).toFixed(0)}% of the CLI's ${ms(med.cli)} ms); ` +
          `the CLI beyond Node's start-up costs ${ms(cliMinusNode)} ms (loading the bundle, one cold read + inspect, JSON out), ` +
          `against ${ms(med.ps)} ms for the whole of ps. ${cliMinusNode <= med.ps ? 'So the work itself is within ps; the miss is Node starting.' : 'So the work itself also exceeds ps.'}`,
      );
    } else if (x.target.startsWith('Subtree')) {
      reading.push(
        noChildren
          ? `- **Subtree refresh.** This kernel has no \`/proc/PID/task/TID/children\`, so \`readSubtree\` reads the whole table: it costs what \`readAll\` costs ` +
              `(${ms(med.subtree)} vs ${ms(med.readAll)} ms). Reading and parsing only the subtree's ${subN} stat files, PIDs known in advance, takes ${ms(med.subFloor)} ms.`
          : `- **Subtree refresh.** \`readSubtree\` walks the children files: ${subN} stat reads (${ms(med.subFloor)} ms with parsing), ` +
              `${m.subLive} readdirs of task directories (${ms(med.subTasks)} ms) and ${m.subLive} children-file reads (${ms(med.subChildren)} ms), ` +
              `${ms(walkSum)} ms of I/O in all against ${ms(med.subtree)} ms measured. ` +
              (med.subFloor >= 5
                ? `The stat reads alone exceed 5 ms: one open/read/read/close per process through Node's fs costs about ${((med.subFloor / subN) * 1000).toFixed(1)} us here` +
                  (C.cSubFloor ? `, and even in C, timed inside the program, the ${subN} stat reads take ${ms(med.cSubFloor)} ms` : '') +
                  `. So 1,000 processes cannot be refreshed in 5 ms with one /proc read per process on this machine; what the reader can still save is the task readdir of each ` +
                  `single-threaded process (stat's thread count says 1, so /proc/PID/task/PID/children is the only children file) and the second read of each file.`
                : `The stat reads alone fit in 5 ms; the rest is the walk's extra I/O.`),      );
    } else if (x.target.startsWith('ps-list')) {
      reading.push(`- **ps-list.** ${x.detail}.`);
    }
  }

  const md = `${HEADING}

Measured by \`bench/lib/process-table.mjs\`: command \`${m.commandForDocs}\` (after \`node scripts/build.mjs\`; \`npm run bench\` does both).
${now.toISOString().slice(0, 10)}, ${os.availableParallelism()} CPUs (${cpu}), Linux ${os.release()}, Node ${process.version}, ${psVersion}, ps-list ${psListVersion}.
Load average ${m.loadBefore.map((x) => x.toFixed(1)).join(' ')} before and ${m.loadAfter.map((x) => x.toFixed(1)).join(' ')} after the rounds: a shared, noisy machine.

**Population** (bench/lib/population.c, built with cc, cleaned up on exit, Ctrl-C or the death of the benchmark):
${m.at.total} processes on the machine at the start, ${m.at.zombies} of them zombies; ${Math.min(...m.sizes)} to ${Math.max(...m.sizes)} during the kept rounds
(a round is dropped and rerun when the table moved more than ${DRIFT * 100}% from the start: ${m.dropped} dropped)
(${m.want.ours} ours: one parent that never waits with ${DEFAULT_SHAPE.alive} sleeping children and ${DEFAULT_SHAPE.zombies} zombies, and a subtree root
with ${m.want.subtreeDescendants} descendants: ${DEFAULT_SHAPE.mids} branch processes, each with ${DEFAULT_SHAPE.alivePerMid} sleeping children and ${DEFAULT_SHAPE.zombiesPerMid} zombies,
so ${m.want.subAlive} alive + ${m.want.subZombies} zombies).

**Method.** ${n} rounds after ${WARMUP} warm-up rounds; in each round every contender runs once, the starting one rotating, so
noise falls on all alike. In-process contenders run in one Node process after a forced GC (\`--expose-gc\`) and are timed with
\`performance.now()\`; the source object is reused, as the extension does. Whole processes are timed by ${m.timer.method}.
Times in ms; p90 = 90th percentile.

### Results

In-process (what the extension pays per refresh):

${table(['Contender', 'median', 'p90', 'x floor', 'x readAll'], inRows)}

Whole process (what a terminal user pays):

${table(['Contender', 'median', 'p90', 'x ps', 'x our CLI'], wholeRows)}

### Targets

${table(['Target', 'Verdict', 'Detail'], 'lll', v.map((x) => [x.target, x.met ? 'met' : '**missed**', x.detail]))}

### Where the time goes

Full read: each step is the median over the rounds of the difference between two rows measured in the same round
(approximate: the rows are separate calls).

${table(['Step', 'median'], breakdown)}

Subtree refresh: ${noChildren ? 'this kernel has no `/proc/PID/task/TID/children`, so `readSubtree` reads the whole table and walks it' : 'this kernel has `/proc/PID/task/TID/children` (CONFIG_PROC_CHILDREN), so `readSubtree` walks the subtree: per process one stat read, and for each live one a readdir of its task directory and a read of each thread\'s children file'}. The I/O of that walk, measured step by step:

${table(['Step', 'median', 'p90'], subRows)}
${noChildren ? '' : `\nThe three I/O steps add up to ${ms(walkSum)} ms of the ${ms(med.subtree)} ms.\n`}

### Memory

Each figure is the median of ${MEMORY_SAMPLES} fresh processes (\`node --expose-gc bench/lib/memory.mjs WHICH\`, with the population
above): one call made and dropped first, full GC, then 5 results made and held, full GC. Heap retained = growth of V8 heap used +
external memory, divided by 5 (one result). RSS growth = growth of the resident set while making and holding the 5 (it includes
pages freed by GC but not yet returned to the system).

${table(['Result', 'processes', 'heap retained', 'per process', 'RSS growth (5 held)'], memRows)}
${reading.length ? `\n### Reading the misses\n\n${reading.join('\n')}\n` : ''}`;
  return { md, v };
}

const m = await main().catch((e) => {
  if (!interrupted()) throw e;
  log(`interrupted by ${interrupted()}: no figures; the population helper kills and reaps its processes by itself`);
  process.exit(130);
});
m.commandForDocs = COMMAND;
const { md, v } = report(m);
process.stdout.write(`\n${md}\n`);
process.stdout.write(`\n${v.map((x) => `${x.met ? 'MET    ' : 'MISSED '} ${x.target}: ${x.detail}`).join('\n')}\n`);
if (opts['write-docs']) {
  writeSection(path.join(ROOT, 'docs/benchmarks.md'), HEADING, md);
  log('wrote the "Process table" section of docs/benchmarks.md');
}
