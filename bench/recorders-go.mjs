// The Go spawn recorder benchmark. Run through bench/run.mjs (`npm run bench -- --only recorders-go`),
// or after a build: node bench/recorders-go.mjs [--rounds N] [--spawns N] [--build-rounds N] [--write-docs]
//
// What a user pays for recording Go spawns, against what they would run instead (the same program
// built without the overlay):
//   - run time: one Go program, a loop of --spawns `exec.Command("true").Run()` timed by the
//     program itself (process start-up left out), as three contenders round-robin, the starting one
//     rotating each round: built with the overlay and PROCESS_INSPECTOR_RECORD set (recording),
//     the same binary with the variable unset (the hook's check only), and built without the
//     overlay. Cost per spawn, medians over the rounds, ratios to the plain build.
//   - build time: `go build` of that program with an empty GOCACHE (the overlay recompiles the
//     standard library) and again with the cache filled, with and without the overlay.
// --write-docs rewrites the "Go spawn recorder" section of docs/benchmarks.md.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { writeSection } from './lib/docs.mjs';
import { median, ms, ratio, table } from './lib/stats.mjs';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const HEADING = '## Go spawn recorder';

const { values: opts } = parseArgs({
  strict: false,
  options: {
    rounds: { type: 'string', default: '7' },
    spawns: { type: 'string', default: '1000' },
    'build-rounds': { type: 'string', default: '3' },
    'write-docs': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(opts.rounds);
const SPAWNS = Number(opts.spawns);
const BUILD_ROUNDS = Number(opts['build-rounds']);
const passed = process.argv.slice(2).filter((a) => a !== '--write-docs' && !a.startsWith('--only'));
const COMMAND = `npm run bench -- --only recorders-go${passed.length ? ` ${passed.join(' ')}` : ''}`;
const log = (s) => process.stderr.write(`[bench:recorders-go] ${s}\n`);
let cleanup = () => {};
const fail = (s) => {
  log(s);
  cleanup();
  process.exit(2);
};
for (const [name, n] of [['--rounds', ROUNDS], ['--spawns', SPAWNS], ['--build-rounds', BUILD_ROUNDS]]) {
  if (!(Number.isInteger(n) && n >= 1)) fail(`${name} wants a whole number >= 1`);
}

let goModule;
try {
  goModule = require(path.join(ROOT, 'out/src/record/go.js'));
} catch (e) {
  fail(`build first (node scripts/build.mjs): ${e.message}`);
}
try {
  execFileSync('go', ['version'], { stdio: 'ignore' });
} catch {
  fail('no go on PATH (apt-get install golang-go)');
}

const PROGRAM = `package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"
)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	t := time.Now()
	for i := 0; i < n; i++ {
		if err := exec.Command("true").Run(); err != nil {
			panic(err)
		}
	}
	fmt.Println(time.Since(t).Nanoseconds())
}
`;

// The hook alone, called through go:linkname (Go 1.19-1.22 let a program pull an unexported
// symbol of the standard library; 1.23 refuses, and this row is then left out): piRecordSpawn as
// forkExec calls it, with the variable set (a full record of this process's own /proc stat) or
// unset (the check).
const MICRO = `package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
	_ "unsafe"
)

//go:linkname piRecordSpawn syscall.piRecordSpawn
func piRecordSpawn(pid int, err1 syscall.Errno)

func main() {
	n, _ := strconv.Atoi(os.Args[1])
	pid := os.Getpid()
	t := time.Now()
	for i := 0; i < n; i++ {
		piRecordSpawn(pid, 0)
	}
	fmt.Println(time.Since(t).Nanoseconds())
}
`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-bench-go-'));
cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function env(extra = {}) {
  const e = { ...process.env, GOTOOLCHAIN: 'local' };
  delete e.GOFLAGS;
  delete e.PROCESS_INSPECTOR_RECORD;
  return { ...e, ...extra };
}

try {
  const src = path.join(tmp, 'prog');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'go.mod'), 'module bench\n\ngo 1.19\n');
  fs.writeFileSync(path.join(src, 'main.go'), PROGRAM);
  const recordFile = path.join(tmp, 'record.jsonl');
  const prep = goModule.prepareGo({ recordFile, cacheDir: path.join(tmp, 'cache'), env: env() });
  if (!prep.ok) fail(`prepareGo: ${prep.reason}`);
  const micro = path.join(tmp, 'micro');
  fs.mkdirSync(micro);
  fs.writeFileSync(path.join(micro, 'go.mod'), 'module micro\n\ngo 1.19\n');
  fs.writeFileSync(path.join(micro, 'main.go'), MICRO);
  fs.writeFileSync(path.join(micro, 'stub.s'), ''); // lets main.go declare a function without a body
  const goVersion = execFileSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  const loadBefore = os.loadavg();

  // Build times. Each cold build gets a fresh GOCACHE; the warm one rebuilds into the filled cache.
  const build = (flags, gocache, out) => {
    const t = process.hrtime.bigint();
    execFileSync('go', ['build', ...flags, '-o', out, '.'], { cwd: src, env: env({ GOCACHE: gocache }), stdio: ['ignore', 'ignore', 'inherit'] });
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const builds = { overlayCold: [], plainCold: [], overlayWarm: [], plainWarm: [] };
  const warmCache = path.join(tmp, 'gocache-warm');
  const hooked = path.join(tmp, 'hooked');
  const plain = path.join(tmp, 'plain');
  build(prep.goFlags, warmCache, hooked);
  build([], warmCache, plain);
  log(`${BUILD_ROUNDS} rounds of cold and warm builds (${goVersion})...`);
  for (let r = 0; r < BUILD_ROUNDS; r++) {
    const cold = path.join(tmp, `gocache-cold-${r}`);
    const order = [
      () => builds.overlayCold.push(build(prep.goFlags, `${cold}-o`, path.join(tmp, 'x'))),
      () => builds.plainCold.push(build([], `${cold}-p`, path.join(tmp, 'y'))),
      () => builds.overlayWarm.push(build(prep.goFlags, warmCache, hooked)),
      () => builds.plainWarm.push(build([], warmCache, plain)),
    ];
    for (let i = 0; i < order.length; i++) order[(i + r) % order.length]();
    fs.rmSync(`${cold}-o`, { recursive: true, force: true });
    fs.rmSync(`${cold}-p`, { recursive: true, force: true });
  }

  let microBin = path.join(tmp, 'microbin');
  try {
    execFileSync('go', ['build', ...prep.goFlags, '-o', microBin, '.'], { cwd: micro, env: env({ GOCACHE: warmCache }), stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    log(`the hook alone is not measured: ${String(e.stderr ?? e.message).trim().split('\n')[0]}`);
    microBin = undefined;
  }

  // Run time per spawn, as the program measures its own loop.
  const contenders = [
    { id: 'recording', label: 'overlay build, recording (PROCESS_INSPECTOR_RECORD set)', bin: hooked, env: env({ PROCESS_INSPECTOR_RECORD: recordFile }) },
    { id: 'unset', label: 'overlay build, variable unset', bin: hooked, env: env() },
    { id: 'plain', label: 'plain build (no overlay): what a user runs without us', bin: plain, env: env() },
  ];
  const perSpawn = Object.fromEntries(contenders.map((c) => [c.id, []]));
  log(`${ROUNDS} rounds (+1 warm-up) of ${contenders.length} contenders x ${SPAWNS} spawns, round-robin...`);
  for (let r = -1; r < ROUNDS; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c = contenders[(i + Math.max(r, 0)) % contenders.length];
      fs.rmSync(recordFile, { force: true });
      const res = spawnSync(c.bin, [String(SPAWNS)], { env: c.env, encoding: 'utf8' });
      if (res.status !== 0) fail(`${c.id}: exit ${res.status}: ${res.stderr}`);
      if (c.id === 'recording') {
        const lines = fs.readFileSync(recordFile, 'utf8').trimEnd().split('\n').length;
        if (lines !== SPAWNS) fail(`recording: ${lines} records for ${SPAWNS} spawns`);
      } else if (fs.existsSync(recordFile)) fail(`${c.id} wrote a record`);
      if (r >= 0) perSpawn[c.id].push(Number(res.stdout.trim()) / SPAWNS / 1000); // us
    }
  }
  const hookAlone = { record: [], check: [] };
  if (microBin) {
    for (let r = 0; r < ROUNDS; r++) {
      for (const [id, e] of [['record', env({ PROCESS_INSPECTOR_RECORD: recordFile })], ['check', env()]]) {
        fs.rmSync(recordFile, { force: true });
        const n = id === 'record' ? SPAWNS : SPAWNS * 1000;
        const res = spawnSync(microBin, [String(n)], { env: e, encoding: 'utf8' });
        if (res.status !== 0) fail(`hook alone (${id}): exit ${res.status}: ${res.stderr}`);
        hookAlone[id].push(Number(res.stdout.trim()) / n / 1000); // us
      }
    }
  }
  const loadAfter = os.loadavg();

  const med = Object.fromEntries(Object.entries(perSpawn).map(([k, v]) => [k, median(v)]));
  const us = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
  const runTable = table(
    ['Contender', 'per spawn (us, median)', 'min .. max', 'vs plain build'],
    contenders.map((c) => [c.label, us(med[c.id]), `${us(Math.min(...perSpawn[c.id]))} .. ${us(Math.max(...perSpawn[c.id]))}`, ratio(med[c.id] / med.plain)]),
  );
  const hookTable = microBin
    ? table(
        ['The hook alone (piRecordSpawn called in a loop)', 'per call (median)'],
        [
          ['variable set: one full record', `${us(median(hookAlone.record))} us`],
          ['variable unset: the check', `${(median(hookAlone.check) * 1000).toFixed(1)} ns`],
        ],
      )
    : '(The hook alone was not measured: this Go refuses go:linkname to it.)';
  const bmed = Object.fromEntries(Object.entries(builds).map(([k, v]) => [k, median(v)]));
  const buildTable = table(
    ['go build of the program', 'with the overlay (ms)', 'without (ms)', 'ratio'],
    [
      ['empty GOCACHE (first build)', ms(bmed.overlayCold), ms(bmed.plainCold), ratio(bmed.overlayCold / bmed.plainCold)],
      ['filled GOCACHE (later builds)', ms(bmed.overlayWarm), ms(bmed.plainWarm), ratio(bmed.overlayWarm / bmed.plainWarm)],
    ],
  );
  const body = `${HEADING}

Measured by \`bench/recorders-go.mjs\`: \`${COMMAND}\` (it builds first; add \`--write-docs\` to rewrite this section).
${goVersion}, ${os.cpus().length} cores, load average ${loadBefore.map((x) => x.toFixed(1)).join(' ')} before and ${loadAfter.map((x) => x.toFixed(1)).join(' ')} after: a shared, noisy machine, read the ratios.

A Go program runs a loop of ${SPAWNS} \`exec.Command("true").Run()\` and times it itself; ${ROUNDS} rounds, the three contenders
round-robin, the first one rotating. Recording minus plain build: ${us(med.recording - med.plain)} us a spawn, against a spread of
${us(Math.max(...perSpawn.plain) - Math.min(...perSpawn.plain))} us between the plain build's own rounds: a spawn's cost and its noise here dwarf the record, which is
timed alone below (the stack, /proc/CHILD/stat, one open+write+close). With the variable unset the hook is a length test.

${runTable}

${hookTable}

The first build with the overlay recompiles the standard library into GOCACHE; later builds find it there (median of ${BUILD_ROUNDS}).

${buildTable}
`;
  process.stdout.write(`${body}\n`);
  if (opts['write-docs']) {
    writeSection(path.join(ROOT, 'docs/benchmarks.md'), HEADING, body);
    log('wrote docs/benchmarks.md');
  }
} finally {
  cleanup();
}
