// The spawn recorders' cost, all runtimes side by side in one run. Through bench/run.mjs
// (`npm run bench -- --only recorders`), or after `node scripts/build.mjs`:
//   node bench/recorders.mjs [--rounds N] [--spawns N] [--build-rounds N] [--python PATH]
//                            [--baseline GIT-REF] [--runtimes go,python,node,c] [--write-docs]
//
// For each runtime a loop of --spawns (1,000) spawns of `true`, each waited, timed inside the
// program (bench/lib/recorder-loops.mjs, bench/lib/spawnloop.c: start-up left out), in three
// set-ups:
//   none       no recorder: the program as a user runs it without us (Go: a plain build)
//   off        the recorder loaded (Go: the overlay build; Python: PYTHONPATH; Node: NODE_OPTIONS;
//              C: LD_PRELOAD) but PROCESS_INSPECTOR_RECORD unset: it must cost nothing
//   recording  both, one record per spawn into a fresh file (the count is checked)
//   floor      (C only) an empty library in LD_PRELOAD, linked like the recorder: what the
//              mechanism costs every child
// Runtimes: Go exec.Command("true").Run(), Python subprocess.run(['true']), Node await spawn('true'),
// C posix_spawn and C fork + execv. Every loop of every runtime and set-up runs once a round,
// round-robin, the starting one rotating each round, after one warm-up round not counted; medians
// over the rounds of the wall time and of the parent's CPU time (getrusage RUSAGE_SELF, user +
// system: where the record is made) per spawn, and for C and Go the children's CPU time (an
// LD_PRELOAD library is loaded by every child too). Then `go build` of the Go loop with an empty
// GOCACHE (first build: the overlay recompiles the standard library) and a filled one, with and
// without the overlay.
//
// --baseline REF adds a set-up per runtime: recording with the recorders of git REF
// (src/record/assets/ at REF, loaded through PROCESS_INSPECTOR_RECORD_ASSETS), to compare a change
// to the recorders with what it replaces in the same run. Not written to the docs.
// --runtimes picks some of the runtimes (go, python, node, c: both C loops), for a quicker look at
// one recorder; not with --write-docs, whose section holds them all.
// --write-docs rewrites the "## Spawn recorders" section of docs/benchmarks.md, targets included.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { buildC, haveCc } from './lib/cc.mjs';
import { writeSection } from './lib/docs.mjs';
import { goLoop, NODE_LOOP, PYTHON_LOOP } from './lib/recorder-loops.mjs';
import { median, ms, ratio, table } from './lib/stats.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const HEADING = '## Spawn recorders';
const TARGET = 1.05; // "under 5% slower per spawn"
// A benchmark started under `nice -n -N` (as root) is scheduled ahead of the machine's other load,
// its loops and their children with it (the niceness is inherited): said in the section. Where the
// kernel groups processes by session (sched_autogroup_enabled), a niceness counts only inside the
// group: `echo -N > /proc/self/autogroup` first sets the group's own.
const NICE = os.getPriority();
/** The scheduler's autogroup niceness of this session (Linux, CONFIG_SCHED_AUTOGROUP), or undefined. */
const AUTOGROUP_NICE = (() => {
  try {
    const m = /nice (-?\d+)/.exec(fs.readFileSync('/proc/self/autogroup', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
})();

const { values: opts } = parseArgs({
  strict: false,
  options: {
    rounds: { type: 'string', default: '11' },
    spawns: { type: 'string', default: '1000' },
    'build-rounds': { type: 'string', default: '3' },
    python: { type: 'string', default: '/usr/bin/python3' },
    baseline: { type: 'string' },
    runtimes: { type: 'string', default: 'go,python,node,c' },
    'write-docs': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(opts.rounds);
const SPAWNS = Number(opts.spawns);
const BUILD_ROUNDS = Number(opts['build-rounds']);
const passed = process.argv.slice(2).filter((a) => a !== '--write-docs' && !a.startsWith('--only'));
const COMMAND = `node scripts/build.mjs && node bench/run.mjs --only recorders${passed.length ? ` ${passed.join(' ')}` : ''}`;
const log = (s) => process.stderr.write(`[bench:recorders] ${s}\n`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-bench-recorders-'));
const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
const fail = (s) => {
  log(s);
  cleanup();
  process.exit(2);
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
const WANTED = new Set(opts.runtimes.split(',').map((r) => r.trim()).filter(Boolean));
for (const r of WANTED) if (!['go', 'python', 'node', 'c'].includes(r)) fail(`--runtimes: unknown runtime ${r} (go, python, node, c)`);
if (opts['write-docs'] && WANTED.size < 4) fail('--write-docs wants every runtime (leave out --runtimes)');
for (const [name, n] of [['--rounds', ROUNDS], ['--spawns', SPAWNS], ['--build-rounds', BUILD_ROUNDS]]) {
  if (!(Number.isInteger(n) && n >= 1)) fail(`${name} wants a whole number >= 1`);
}

let rec;
try {
  rec = ['go', 'python', 'node', 'native'].map((m) => require(path.join(ROOT, `out/src/record/${m}.js`)));
} catch (e) {
  fail(`build first (node scripts/build.mjs): ${e.message}`);
}
const [{ prepareGo }, { preparePython }, { prepareNode }, { prepareNative }] = rec;
const have = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const version = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return (r.stdout || r.stderr || '').trim().split('\n')[0];
};

const base = { ...process.env, GOTOOLCHAIN: 'local' };
for (const k of ['PROCESS_INSPECTOR_RECORD', 'PROCESS_INSPECTOR_RECORD_ASSETS', 'PYTHONPATH', 'NODE_OPTIONS', 'LD_PRELOAD', 'GOFLAGS', 'PYTHONDONTWRITEBYTECODE']) delete base[k];
const recordFile = path.join(tmp, 'records.jsonl');

/**
 * The recorders of one version of src/record/assets (undefined: this checkout's), prepared into
 * their own cache directory. Gives each runtime's injection, or fails the benchmark.
 */
function prepareAll(name, assetsDir) {
  const ctx = { recordFile, cacheDir: path.join(tmp, `cache-${name}`), env: base };
  if (assetsDir) process.env.PROCESS_INSPECTOR_RECORD_ASSETS = assetsDir;
  try {
    const out = {};
    for (const [lang, prep] of [['go', prepareGo], ['python', preparePython], ['node', prepareNode], ['native', prepareNative]]) {
      if (!WANTED.has(lang === 'native' ? 'c' : lang)) continue;
      if (lang === 'go' && !have('go', ['version'])) continue;
      if (lang === 'native' && !haveCc()) continue;
      const p = prep(ctx);
      if (!p.ok) fail(`${lang} recorder (${name}): ${p.reason}`);
      out[lang] = p;
    }
    return out;
  } finally {
    delete process.env.PROCESS_INSPECTOR_RECORD_ASSETS;
  }
}

/** src/record/assets/ as it is at git ref, in a temp directory. */
function assetsAt(ref) {
  const dir = path.join(tmp, 'baseline-assets');
  fs.mkdirSync(dir);
  const names = execFileSync('git', ['ls-tree', '--name-only', `${ref}:src/record/assets/`], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
  for (const n of names) fs.writeFileSync(path.join(dir, n), execFileSync('git', ['show', `${ref}:src/record/assets/${n}`], { cwd: ROOT }));
  return dir;
}

const onOff = (inj) => {
  const on = { ...base, ...inj.env };
  const off = { ...on };
  delete off.PROCESS_INSPECTOR_RECORD;
  return { on, off };
};

try {
  const preps = prepareAll('current');
  const basePreps = opts.baseline ? prepareAll(`baseline`, assetsAt(opts.baseline)) : undefined;
  const loadBefore = os.loadavg();
  const started = Date.now();

  // ---- the contenders: runtime x set-up ----
  const runtimes = [];
  let goVersion;
  let builds;
  if (preps.go) {
    goVersion = version('go', ['version']);
    const build = goLoop(path.join(tmp, 'goloop'), base);
    const warm = path.join(tmp, 'gocache-warm');
    const bin = (n) => path.join(tmp, `go-${n}`);
    build([], warm, bin('plain'));
    build(preps.go.goFlags, warm, bin('hooked'));
    if (basePreps) build(basePreps.go.goFlags, warm, bin('baseline'));
    const e = onOff(preps.go);
    runtimes.push({
      id: 'go', label: `Go ${goVersion.replace(/^go version go/, '').split(' ')[0]}`, what: 'exec.Command("true").Run()',
      cause: "the record: runtime.Callers and CallersFrames, open + write + close of the record file, in forkExec; the child's start time is two CLOCK_BOOTTIME readings around the fork (its /proc/CHILD/stat is read only when they straddle a clock tick)",
      offCause: 'the hook is a length test on a string read at start-up: the difference is the machine, not the recorder',
      setups: {
        none: { cmd: bin('plain'), env: base },
        off: { cmd: bin('hooked'), env: e.off },
        recording: { cmd: bin('hooked'), env: e.on },
        ...(basePreps && { baseline: { cmd: bin('baseline'), env: onOff(basePreps.go).on } }),
      },
      args: [],
    });

    // Build times: each first build gets a fresh, empty GOCACHE; the later ones share a filled one.
    builds = { overlayCold: [], plainCold: [], overlayWarm: [], plainWarm: [] };
    log(`${BUILD_ROUNDS} round(s) of first and cached go builds...`);
    for (let r = 0; r < BUILD_ROUNDS; r++) {
      const cold = path.join(tmp, `gocache-cold-${r}`);
      const order = [
        () => builds.overlayCold.push(build(preps.go.goFlags, `${cold}-o`, path.join(tmp, 'x'))),
        () => builds.plainCold.push(build([], `${cold}-p`, path.join(tmp, 'y'))),
        () => builds.overlayWarm.push(build(preps.go.goFlags, warm, bin('hooked'))),
        () => builds.plainWarm.push(build([], warm, bin('plain'))),
      ];
      for (let i = 0; i < order.length; i++) order[(i + r) % order.length]();
      fs.rmSync(`${cold}-o`, { recursive: true, force: true });
      fs.rmSync(`${cold}-p`, { recursive: true, force: true });
    }
  }
  const script = (name, text) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, text);
    return f;
  };
  const interp = (id, label, what, cmd, file, lang, cause) => {
    const e = onOff(preps[lang]);
    runtimes.push({
      id, label, what, args: [file], cause,
      offCause: 'with the variable unset the recorder returns at its first statement and wraps nothing: the difference is the machine, not the recorder',
      setups: {
        none: { cmd, env: base },
        off: { cmd, env: e.off },
        recording: { cmd, env: e.on },
        ...(basePreps && { baseline: { cmd, env: onOff(basePreps[lang]).on } }),
      },
    });
  };
  if (preps.python) interp('python', `Python ${version(opts.python, ['--version']).replace('Python ', '')}`, "subprocess.run(['true'])", opts.python, script('loop.py', PYTHON_LOOP), 'python',
    "the record: the frame walk (sys._getframe; each frame's JSON made once per code position), the JSON line, os.open + os.write + os.close of the record file; " +
    "the child's start time is two CLOCK_BOOTTIME readings around the spawn (its /proc/CHILD/stat is read only when the spawn straddles a clock tick)");
  if (preps.node) interp('node', `Node ${process.version}`, "await spawn('true')", process.execPath, script('loop.js', NODE_LOOP), 'node',
    'the record: V8 call sites (Error.captureStackTrace) turned into frames, JSON.stringify, the record file opened, written, closed through node:fs; ' +
    "for the child's start time the monotonic clock read around the spawn, with bounds on its offset from the boot-time clock learned from the /proc/CHILD/stat read when they do not decide the tick");
  if (preps.native) {
    const loop = buildC('spawnloop');
    // The floor is linked as cheaply to load as the recorder is (src/record/native.ts: two PT_LOAD
    // segments, no RELRO); with the linker's defaults (four segments, RELRO) it costs each child
    // two mmaps and an mprotect more, and the recorder would be judged against a higher floor.
    const empty = buildC('empty-preload', { shared: true, flags: ['-Wl,-z,noseparate-code', '-Wl,-z,norelro'] });
    for (const api of ['posix_spawn', 'fork']) {
      const e = onOff(preps.native);
      runtimes.push({
        id: `c-${api}`, label: `C, ${api === 'fork' ? 'fork + execv' : 'posix_spawn'}`, what: api === 'fork' ? 'fork(); execv("/bin/true"); waitpid' : 'posix_spawn("/bin/true"); waitpid',
        native: true, args: [api],
        cause: `the record (the stack unwound before the spawn, open + writev + close of the record file after it${api === 'fork' ? "; after fork() each page the parent writes before the child has exec'd is copied, which is why the stack is taken before" : ''}) and each child loading the inherited library (open, mmap, relocations, its constructor), which a recorded child must: it may spawn too`,
        offCause: 'the loop loads the library once and it takes itself out of LD_PRELOAD, so no child loads it (strace -f of 200 spawns: 1 open of the library, 201 before): the difference is the machine, not the recorder',
        setups: {
          none: { cmd: loop, env: base },
          floor: { cmd: loop, env: { ...base, LD_PRELOAD: empty } },
          off: { cmd: loop, env: e.off },
          recording: { cmd: loop, env: e.on },
          ...(basePreps && { baseline: { cmd: loop, env: onOff(basePreps.native).on } }),
        },
      });
    }
  }
  const SETUPS = basePreps ? ['none', 'floor', 'off', 'recording', 'baseline'] : ['none', 'floor', 'off', 'recording'];
  /** The set-ups a runtime has (the floor, an empty LD_PRELOAD library, is native's only). */
  const setupsOf = (rt) => SETUPS.filter((s) => rt.setups[s]);

  const runOnce = (rt, setupId) => {
    const s = rt.setups[setupId];
    fs.rmSync(recordFile, { force: true });
    const r = spawnSync(s.cmd, [...rt.args, String(SPAWNS)], { env: s.env, encoding: 'utf8' });
    if (r.status !== 0) fail(`${rt.id} ${setupId}: exit ${r.status ?? r.signal}: ${r.stderr}`);
    const lines = fs.existsSync(recordFile) ? fs.readFileSync(recordFile, 'utf8').split('\n').filter(Boolean).length : 0;
    const want = setupId === 'recording' || setupId === 'baseline' ? SPAWNS : 0;
    if (lines !== want) fail(`${rt.id} ${setupId}: ${lines} records for ${SPAWNS} spawns (want ${want})`);
    const n = r.stdout.trim().split(/\s+/).map(Number);
    // spawnloop.c: wall, time in the spawn call, parent CPU, children CPU, parent and children page
    // faults; the others: wall, CPU, page faults
    const [wall, cpu, kids, flt, kflt] = rt.native ? [n[0], n[2], n[3], n[4], n[5]] : [n[0], n[1], undefined, n[2], undefined];
    if (!Number.isFinite(flt)) fail(`${rt.id} ${setupId}: no page-fault count in ${JSON.stringify(r.stdout)}`);
    const each = (x, unit = 1) => (x === undefined ? undefined : x / SPAWNS / unit);
    return { wall: each(wall, 1000), cpu: each(cpu, 1000), kids: each(kids, 1000), flt: each(flt), kflt: each(kflt) }; // us and faults a spawn
  };

  // Children's CPU for Go and Python from /proc/self/stat would need the loops' cooperation; the
  // C loop gives it (getrusage RUSAGE_CHILDREN), which is where an LD_PRELOAD library costs.
  const got = Object.fromEntries(runtimes.map((rt) => [rt.id, Object.fromEntries(setupsOf(rt).map((s) => [s, { wall: [], cpu: [], kids: [], flt: [], kflt: [] }]))]));
  const slots = runtimes.flatMap((rt) => setupsOf(rt).map((s) => [rt, s]));
  log(`${ROUNDS} rounds (+1 warm-up) of ${slots.length} loops of ${SPAWNS} spawns, round-robin...`);
  for (let round = -1; round < ROUNDS; round++) {
    const t = Date.now();
    for (let i = 0; i < slots.length; i++) {
      const [rt, s] = slots[(i + Math.max(round, 0) * (SETUPS.length + 1)) % slots.length];
      const m = runOnce(rt, s);
      if (round < 0) continue;
      for (const k of ['wall', 'cpu', 'kids', 'flt', 'kflt']) if (m[k] !== undefined) got[rt.id][s][k].push(m[k]);
    }
    log(`round ${round < 0 ? 'warm-up' : round + 1}: ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  const loadAfter = os.loadavg();
  const seconds = (Date.now() - started) / 1000;

  // ---- tables ----
  // Ratios are paired: in each round, a set-up against the same runtime's loop without a recorder
  // of that round (minutes apart at most, so the machine's load drifts less between them), then
  // the median over the rounds. Absolute figures are plain medians.
  const med = (rt, s, k) => (got[rt.id][s][k].length ? median(got[rt.id][s][k]) : undefined);
  const paired = (rt, s, k, against = 'none') => {
    const x = got[rt.id][s][k];
    const y = got[rt.id][against][k];
    return x.length && x.length === y.length ? median(x.map((v, i) => v / y[i])) : undefined;
  };
  const us = (x) => (x === undefined ? '-' : Math.abs(x) < 10 ? x.toFixed(1) : x.toFixed(0));
  const signed = (x) => `${x >= 0 ? '+' : ''}${us(x)}`;
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const setupLabel = { none: 'no recorder', floor: 'an empty LD_PRELOAD library (the mechanism alone, no recorder)', off: 'loaded, PROCESS_INSPECTOR_RECORD unset', recording: 'recording', baseline: `recording, recorders of ${opts.baseline}` };
  const rows = [];
  for (const rt of runtimes) {
    const a = { cpu: med(rt, 'none', 'cpu'), kids: med(rt, 'none', 'kids') };
    for (const s of setupsOf(rt)) {
      const m = { wall: med(rt, s, 'wall'), cpu: med(rt, s, 'cpu'), kids: med(rt, s, 'kids') };
      const cell = (k) => (m[k] === undefined ? '-' : s === 'none' ? us(m[k]) : `${us(m[k])} (${ratio(paired(rt, s, k))})`);
      const w = got[rt.id][s].wall;
      rows.push([s === 'none' ? `**${rt.label}**: \`${rt.what}\`` : '', setupLabel[s], cell('wall'), `${us(Math.min(...w))} .. ${us(Math.max(...w))}`, cell('cpu'),
        s === 'none' ? '' : signed(m.cpu - a.cpu), cell('kids'), s === 'none' || a.kids === undefined ? '' : signed(m.kids - a.kids)]);
    }
  }
  const runTable = table(['Runtime: the loop', 'set-up', 'wall per spawn, µs (x none)', 'wall min .. max', 'parent CPU per spawn, µs (x none)', 'parent CPU extra, µs',
    'children CPU per spawn, µs (x none)', 'children CPU extra, µs'], 'llrrrrrr', rows);

  // Page faults: counted, not timed, so the other load does not move them (only where the stack
  // and the mappings fall, by a fault or so). After a fork every page the parent writes faults, and
  // every page a child touches of a library it loads: the part of a recorder's cost that noise hides.
  const fltRows = [];
  const faults = (x) => (x === undefined ? '-' : x.toFixed(2));
  for (const rt of runtimes) {
    const a = { flt: med(rt, 'none', 'flt'), kflt: med(rt, 'none', 'kflt') };
    for (const s of setupsOf(rt)) {
      if (s === 'none') continue;
      const m = { flt: med(rt, s, 'flt'), kflt: med(rt, s, 'kflt') };
      const plus = (k) => (m[k] === undefined || a[k] === undefined ? '-' : `${faults(m[k])} (${m[k] - a[k] >= 0 ? '+' : ''}${faults(m[k] - a[k])})`);
      fltRows.push([s === setupsOf(rt)[1] ? rt.label : '', setupLabel[s], `${faults(a.flt)} → ${plus('flt')}`, a.kflt === undefined ? '-' : `${faults(a.kflt)} → ${plus('kflt')}`]);
    }
  }
  const fltTable = table(['Runtime', 'set-up', "parent's page faults per spawn: none → set-up (extra)", "children's page faults per spawn: none → set-up (extra)"], 'llrr', fltRows);

  // Targets. Recording: under 5% slower per spawn, judged on the paired wall ratio; beside it what
  // the recorder's CPU time comes to (parent + children extra, against a spawn's wall time), the
  // measure the load disturbs least. Off: no cost, judged on that CPU time (within 1% of a spawn),
  // since a wall ratio off 1.00 with no CPU spent is the machine's noise; the wall ratio is shown.
  const targetRows = [];
  for (const rt of runtimes) {
    const a = med(rt, 'none', 'wall');
    const extra = (s) => {
      const cpu = med(rt, s, 'cpu') - med(rt, 'none', 'cpu');
      const kids = med(rt, 'none', 'kids') === undefined ? undefined : med(rt, s, 'kids') - med(rt, 'none', 'kids');
      return { cpu, kids, total: cpu + Math.max(0, kids ?? 0) };
    };
    const on = extra('recording');
    const rOn = paired(rt, 'recording', 'wall');
    const cpuText = (e) => `parent CPU ${signed(e.cpu)} µs${e.kids === undefined ? '' : `, children's CPU ${signed(e.kids)} µs`} a spawn: ${pct(e.total / a)} of a ${us(a)} µs spawn`;
    let onCell = `${rOn < TARGET ? 'met' : '**missed**'} (${ratio(rOn)} wall; ${cpuText(on)})`;
    if (rOn >= TARGET) onCell += `: ${rt.cause}`;
    if (rt.setups.floor) {
      // What LD_PRELOAD costs with nothing in the library, and what the recorder adds over that.
      const fl = extra('floor');
      const over = paired(rt, 'recording', 'wall', 'floor');
      onCell += `. An empty LD_PRELOAD library alone: ${ratio(paired(rt, 'floor', 'wall'))} wall, children's CPU ${signed(fl.kids)} µs a spawn, the price of the mechanism;` +
        ` the recorder over it: ${ratio(over)} wall, ${signed(on.total - fl.total)} µs of CPU (${over < TARGET ? 'under' : 'over'} 5%)`;
    }
    const off = extra('off');
    const rOff = paired(rt, 'off', 'wall');
    let offCell = `${off.total <= 0.01 * a ? 'met' : '**missed**'} (${ratio(rOff)} wall; ${cpuText(off)})`;
    if (off.total > 0.01 * a) offCell += `: ${rt.offCause}`;
    targetRows.push([rt.label, `${us(a)} → ${us(med(rt, 'recording', 'wall'))}`, onCell, offCell]);
  }
  const targetTable = table(['Recorder', 'wall per spawn, µs: none → recording (medians)', 'under 5% slower per spawn', 'no cost when off (loaded, variable unset)'], 'lrll', targetRows);

  let buildTable = '';
  if (builds) {
    const b = Object.fromEntries(Object.entries(builds).map(([k, v]) => [k, median(v)]));
    buildTable = table(['`go build` of the Go loop', 'with the overlay, ms', 'plain, ms', 'overlay / plain'], [
      ['empty GOCACHE in a temp dir (first build)', ms(b.overlayCold), ms(b.plainCold), ratio(b.overlayCold / b.plainCold)],
      ['filled GOCACHE (later builds)', ms(b.overlayWarm), ms(b.plainWarm), ratio(b.overlayWarm / b.plainWarm)],
    ]);
  }

  const load = (l) => l.map((x) => x.toFixed(1)).join(' ');
  const cpuModel = (os.cpus()[0]?.model ?? 'cpu').replace(/\s+\d+-Core Processor$/, '');
  const body = `${HEADING}

Measured by \`bench/recorders.mjs\`: \`${COMMAND}\` (add \`--write-docs\` to rewrite this section).
${new Date().toISOString().slice(0, 10)}, ${os.availableParallelism()} CPUs (\`nproc\`; ${cpuModel}), Linux ${os.release()}, Node ${process.version}, ${version(opts.python, ['--version'])}, ${goVersion ?? 'no go'}, ${haveCc() ? version('cc', ['--version']) : 'no cc'}.
Load average ${load(loadBefore)} before and ${load(loadAfter)} after the rounds (${seconds.toFixed(0)} s): a shared, noisy machine, so read the ratios, measured side by side, rather than the absolute times.${NICE < 0 ? ` The benchmark ran at nice ${NICE} (\`nice -n ${NICE}\`, every loop and child with it)${AUTOGROUP_NICE !== undefined && AUTOGROUP_NICE < 0 ? `, its session's scheduler autogroup at nice ${AUTOGROUP_NICE} (written to /proc/self/autogroup: with autogroups a niceness counts only inside its own group)` : ''}, ahead of the other load in the CPU scheduler.` : ''}

**Method.** Each runtime runs a loop of ${SPAWNS.toLocaleString('en')} spawns of \`true\`, each waited, timed inside the program (start-up left out;
the loops are in bench/lib/recorder-loops.mjs and bench/lib/spawnloop.c), in three set-ups: no recorder (Go: a plain build);
the recorder loaded but \`PROCESS_INSPECTOR_RECORD\` unset (Go: the overlay build; Python: our sitecustomize first on \`PYTHONPATH\`;
Node: \`NODE_OPTIONS=--require\`; C: \`LD_PRELOAD\`); recording (one record a spawn, the count checked); and for C a fourth, an
empty library in \`LD_PRELOAD\` (bench/lib/empty-preload.c, linked as the recorder is: two segments, no RELRO), what the mechanism costs every child before any recorder code runs. ${ROUNDS} rounds after a warm-up
round; in each round all ${slots.length} loops run once, the starting one rotating, so noise falls on all alike. Per spawn, medians over the rounds (ratios paired by round):
the wall time, the parent's CPU time (getrusage \`RUSAGE_SELF\`, user + system: where the record is made, less disturbed by the other
load), and for C the children's CPU time (\`RUSAGE_CHILDREN\`: an \`LD_PRELOAD\` library is loaded by every child, \`true\` included).

${runTable}

### Page faults

Minor page faults per spawn, medians over the rounds (getrusage \`ru_minflt\`: the parent's during the loop, and for C all the
children's). They are counted, not timed, so the other load does not move them; where the stack and the mappings fall moves them
by a fault or so between runs. After a fork every page the parent writes is a fault, and so is every page a child touches of a
library it loads: the part of a recorder's cost that is the same on a quiet machine and a busy one.

${fltTable}

### Targets

Issue 9: under 5% slower per spawn for every recorder, no cost at all when recording is off. Ratios are paired: each round's loop
against the same runtime's loop without a recorder in that round, median over the rounds (absolute figures: plain medians).
Recording is judged on that wall ratio; beside it, what the recorder's CPU time comes to (parent + children extra, per spawn,
against a spawn's wall time), the measure the other load disturbs least. Off is judged on that CPU time (met within 1% of a
spawn): a wall ratio off 1.00 with no CPU spent is this machine's noise. Causes come from the recorders' parts timed apart.

${targetTable}
${builds ? `
### Go overlay builds

\`go build\` of the Go loop, median of ${BUILD_ROUNDS}: the first build with the overlay recompiles the standard library (its \`syscall\` package
changed, and so everything that imports it) into an empty GOCACHE; later builds find it there. The plain first build, with the
same empty cache, is what a user pays without us.

${buildTable}
` : ''}`;
  process.stdout.write(`${body}\n`);
  if (opts['write-docs']) {
    writeSection(path.join(ROOT, 'docs/benchmarks.md'), HEADING, body);
    log('wrote docs/benchmarks.md');
  }
} finally {
  cleanup();
}
