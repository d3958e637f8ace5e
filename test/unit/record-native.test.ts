/**
 * The native spawn recorder (src/record/assets/preload.c through src/record/native.ts) on real
 * programs: C fixtures from test/fixtures/record/native compiled with cc -g, a Rust one with
 * rustc -g, run with the LD_PRELOAD library the way a launch gets it, their real records read back
 * and resolved with addr2line. Expected lines come from the SITE markers in the fixtures.
 */
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareNative, resolveNativeFrames, addr2lineAvailable, PRELOAD_LIBRARY, parseAddr2line, withPreload } from '../../src/record/native';
import type { Injection, RecordFrame } from '../../src/record/types';
import { markedLine } from '../support/markers';

const REPO = path.resolve(__dirname, '../../..');
const FIXTURES = path.join(REPO, 'test/fixtures/record/native');

interface Rec {
  v: number;
  pid: number;
  ppid: number;
  tid: number;
  start: number | null;
  time: number;
  api: string;
  lang: string;
  stack: RecordFrame[];
}

function have(cmd: string, args = ['--version']): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** Every line of the record file, each checked to be one whole JSON object. */
function readRecords(file: string): Rec[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the record file ends with a newline');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = JSON.parse(l) as Rec;
      assert.equal(r.v, 1);
      assert.equal(r.lang, 'native');
      assert.ok(Array.isArray(r.stack) && r.stack.length > 0 && r.stack.length <= 64, `stack of ${l}`);
      return r;
    });
}

/** Field 22 of /proc/PID/stat, split at the last ')'. */
function startOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function stateOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

/** The innermost resolved frame in `file`. */
function siteIn(rec: Rec, file: string): RecordFrame | undefined {
  return resolveNativeFrames(rec.stack).find((f) => f.file === file);
}

/** Starts `bin`, waits for "ready" on its stdout, runs `check(pid, stdout)` while it waits on stdin, then lets it end. */
async function whileReady(bin: string, args: string[], env: NodeJS.ProcessEnv, check: (pid: number, out: string) => void): Promise<void> {
  const child = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready\n')) resolve();
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`${bin} exited ${code} before ready; output:\n${out}`)));
    });
    check(child.pid!, out);
  } finally {
    child.stdin.end();
    assert.equal(await exited, 0);
  }
}

/** `name N` lines of the program's output. */
function printedPid(out: string, name: string): number {
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(out);
  assert.ok(m, `"${name} PID" in the output:\n${out}`);
  return Number(m[1]);
}

describe('native recorder (LD_PRELOAD)', function () {
  this.timeout(120000);
  let tmp: string;
  let prep: Injection;
  let n = 0;

  /** A fresh record file and the environment a launch would get. */
  function recordEnv(): { file: string; env: NodeJS.ProcessEnv } {
    const file = path.join(tmp, `rec-${++n}.jsonl`);
    return { file, env: { ...process.env, ...prep.env, PROCESS_INSPECTOR_RECORD: file } };
  }

  function compile(name: string, extra: string[] = []): string {
    const bin = path.join(tmp, `${path.basename(name).replace(/\W/g, '_')}${extra.join('').replace(/\W/g, '')}`);
    execFileSync('cc', ['-g', '-O0', ...extra, '-o', bin, path.join(FIXTURES, name), '-lpthread'], { stdio: 'pipe' });
    return bin;
  }

  before(function () {
    if (process.platform !== 'linux') this.skip();
    if (!have('cc')) this.skip(); // the whole recorder needs a compiler; its absence is tested below
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-rec-native-'));
    const p = prepareNative({ recordFile: path.join(tmp, 'unused.jsonl'), cacheDir: path.join(tmp, 'cache'), env: { LD_PRELOAD: '' } });
    assert.ok(p.ok, p.ok ? '' : p.reason);
    prep = p;
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('prepares: env with the record file and the library first in LD_PRELOAD, a note naming the compiler', () => {
    const ctx = { recordFile: '/tmp/r.jsonl', cacheDir: path.join(tmp, 'cache'), env: { LD_PRELOAD: '/opt/other.so' } };
    const p = prepareNative(ctx);
    assert.ok(p.ok);
    const so = p.env.LD_PRELOAD.split(' ')[0];
    assert.equal(path.basename(so), PRELOAD_LIBRARY);
    assert.deepEqual(p.env, { PROCESS_INSPECTOR_RECORD: '/tmp/r.jsonl', LD_PRELOAD: `${so} /opt/other.so` });
    assert.match(p.note, /^LD_PRELOAD recorder \(built earlier with (gcc|clang) \d+\.\d+/);
    assert.ok(p.note.includes(path.dirname(so)));
  });

  it('LD_PRELOAD: ours first, the old value kept after it, ours never twice', () => {
    assert.equal(withPreload('/c/lib.so', undefined), '/c/lib.so');
    assert.equal(withPreload('/c/lib.so', ' '), '/c/lib.so');
    assert.equal(withPreload('/c/lib.so', '/a.so:/b.so'), '/c/lib.so /a.so:/b.so');
    assert.equal(withPreload('/c/lib.so', '/c/lib.so /a.so'), '/c/lib.so /a.so');
    assert.equal(withPreload('/c/lib.so', '/a.so:/c/lib.so'), '/c/lib.so /a.so');
    assert.equal(withPreload('/c/lib.so', '/c/lib.so'), '/c/lib.so');
  });

  it('the library keeps working beside another preloaded library', function () {
    const other = path.join(tmp, 'other.so');
    const mark = path.join(tmp, 'other-loaded');
    fs.writeFileSync(path.join(tmp, 'other.c'), `#include <stdio.h>\n__attribute__((constructor)) static void f(void) { FILE *m = fopen("${mark}", "a"); if (m) fclose(m); }\n`);
    execFileSync('cc', ['-shared', '-fPIC', '-o', other, path.join(tmp, 'other.c')]);
    const bin = compile('clearenv.c');
    const { file, env } = recordEnv();
    const p = prepareNative({ recordFile: file, cacheDir: path.join(tmp, 'cache'), env: { LD_PRELOAD: other } });
    assert.ok(p.ok);
    Object.assign(env, p.env);
    const r = spawnSync(bin, { env, encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
    assert.ok(fs.existsSync(mark), 'the other library was loaded too');
    assert.equal(readRecords(file).length, 1);
  });

  it("a compiler that fails gives ok:false with its message, and leaves no half-built file", () => {
    const fake = path.join(tmp, 'fakecc');
    // A stand-in for a cc whose headers are missing: it answers --version, writes half an output, fails.
    const script = [
      '#!/bin/sh',
      '[ "$1" = --version ] && { echo "fakecc 1.0"; exit 0; }',
      'while [ $# -gt 0 ]; do [ "$1" = -o ] && echo partial > "$2"; shift; done',
      'echo "fatal error: spawn.h: No such file" >&2',
      'exit 1',
    ];
    fs.writeFileSync(fake, script.join('\n') + '\n', { mode: 0o755 });
    const cacheDir = path.join(tmp, 'cache-fail');
    const p = prepareNative({ recordFile: '/tmp/r.jsonl', cacheDir, env: {} }, { cc: fake });
    assert.ok(!p.ok);
    assert.match(p.reason, /^cannot build the native recorder with .*fakecc: fatal error: spawn\.h: No such file$/);
    const [dir] = fs.readdirSync(cacheDir);
    assert.deepEqual(fs.readdirSync(path.join(cacheDir, dir)), ['preload.c']);
  });

  it('the library is cheap to load: two PT_LOAD segments, no RELRO, data in one page, only libc needed, only the wrappers exported; a linker refusing an option still gives a working library', function () {
    if (!have('readelf') || !have('nm') || !addr2lineAvailable()) this.skip();
    const elf = (so: string, opt: string) => execFileSync('readelf', [opt, '-W', so], { encoding: 'utf8' });
    const loads = (so: string) => elf(so, '-l').split('\n').filter((l) => /^\s*LOAD\s/.test(l));
    const so = prep.env.LD_PRELOAD.split(' ')[0];
    const segs = loads(so);
    assert.equal(segs.length, 2, 'code shares a segment (-z noseparate-code): two mmaps fewer in every child');
    assert.doesNotMatch(elf(so, '-l'), /GNU_RELRO/, '-z norelro: no mprotect (and no third mapping) in every child');
    // LOAD offset vaddr paddr filesz memsz flags align: the data segment, .bss included, in one page
    const [, , vaddr, , , memsz] = segs[1].trim().split(/\s+/);
    const first = Number(vaddr) >> 12;
    const last = (Number(vaddr) + Number(memsz) - 1) >> 12;
    assert.equal(last, first, `data segment ${vaddr}+${memsz} spans ${last - first + 1} pages: the loader maps zero pages for every child`);
    const needed = [...elf(so, '-d').matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    assert.deepEqual(needed, ['libc.so.6'], 'no libgcc_s: the unwinder is linked in');
    const exported = execFileSync('nm', ['-D', '--defined-only', so], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(/\s+/)[2])
      .sort();
    assert.deepEqual(exported, ['fork', 'forkpty', 'popen', 'posix_spawn', 'posix_spawnp', 'system', 'vfork'], "libgcc_eh's _Unwind_* stay local: they must not interpose the program's unwinder");
    // A recorded C program does not get libgcc_s mapped by its first record (backtrace() would
    // dlopen it: six mappings every later fork copies).
    const maps = compile('maps.c');
    const { file, env } = recordEnv();
    const r = spawnSync(maps, { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'libgcc_s 0\n');
    const [rec] = readRecords(file);
    assert.equal(siteIn(rec, path.join(FIXTURES, 'maps.c'))?.line, markedLine(path.join(FIXTURES, 'maps.c'), /SITE maps-fork/));
    // A cc whose linker rejects -z noseparate-code: the build is made again without the options.
    const picky = path.join(tmp, 'pickycc');
    fs.writeFileSync(picky, ['#!/bin/sh', 'for a in "$@"; do [ "$a" = -Wl,-z,noseparate-code ] && { echo "ld: unknown -z option" >&2; exit 1; }; done', 'exec cc "$@"', ''].join('\n'), { mode: 0o755 });
    const again = recordEnv();
    const p = prepareNative({ recordFile: again.file, cacheDir: path.join(tmp, 'cache-picky'), env: {} }, { cc: picky });
    assert.ok(p.ok, p.ok ? '' : p.reason);
    assert.ok(loads(p.env.LD_PRELOAD).length > 2, 'built without the options');
    const r2 = spawnSync(maps, { env: { ...again.env, ...p.env }, encoding: 'utf8' });
    assert.equal(r2.status, 0, r2.stderr);
    assert.equal(r2.stdout, 'libgcc_s 1\n', "built without the options, glibc's backtrace() dlopens libgcc_s");
    const [rec2] = readRecords(again.file);
    assert.equal(siteIn(rec2, path.join(FIXTURES, 'maps.c'))?.line, markedLine(path.join(FIXTURES, 'maps.c'), /SITE maps-fork/), 'and still gives the stack');
  });

  it('a cache path LD_PRELOAD cannot carry (a space) gives ok:false, saying why', () => {
    const p = prepareNative({ recordFile: '/tmp/r.jsonl', cacheDir: path.join(tmp, 'with space'), env: {} });
    assert.ok(!p.ok);
    assert.match(p.reason, /holds a space or a colon, which LD_PRELOAD cannot carry/);
  });

  it('caches the library: a second prepare does not recompile (mtime unchanged)', () => {
    const cacheDir = path.join(tmp, 'cache-twice');
    const ctx = { recordFile: '/tmp/r.jsonl', cacheDir, env: {} };
    const first = prepareNative(ctx);
    assert.ok(first.ok);
    assert.match(first.note, /\(built with /);
    const so = first.env.LD_PRELOAD;
    const before = fs.statSync(so).mtimeMs;
    const second = prepareNative(ctx);
    assert.ok(second.ok);
    assert.equal(second.env.LD_PRELOAD, so);
    assert.equal(fs.statSync(so).mtimeMs, before);
    assert.match(second.note, /built earlier/);
    assert.deepEqual(fs.readdirSync(path.dirname(so)).sort(), [PRELOAD_LIBRARY, 'preload.c'], 'no temp files left behind');
  });

  it('two prepares at once in two processes both give a loadable library', function () {
    const cacheDir = path.join(tmp, 'cache-race');
    const script = `const {prepareNative}=require(${JSON.stringify(path.join(REPO, 'out/src/record/native.js'))});` + `const p=prepareNative({recordFile:'/tmp/x',cacheDir:${JSON.stringify(cacheDir)},env:{}});console.log(JSON.stringify(p));`;
    const a = spawn(process.execPath, ['-e', script]);
    const b = spawn(process.execPath, ['-e', script]);
    const collect = (c: ReturnType<typeof spawn>) =>
      new Promise<string>((resolve) => {
        let s = '';
        c.stdout!.on('data', (d: Buffer) => (s += d.toString()));
        c.on('exit', () => resolve(s));
      });
    return Promise.all([collect(a), collect(b)]).then(([sa, sb]) => {
      const pa = JSON.parse(sa) as Injection;
      const pb = JSON.parse(sb) as Injection;
      assert.ok(pa.ok && pb.ok);
      assert.equal(pa.env.LD_PRELOAD, pb.env.LD_PRELOAD);
      const r = spawnSync('/bin/true', { env: { ...process.env, LD_PRELOAD: pa.env.LD_PRELOAD }, encoding: 'utf8' });
      assert.equal(r.status, 0);
      assert.equal(r.stderr, '', 'ld.so loaded the library without complaint');
      assert.deepEqual(fs.readdirSync(path.dirname(pa.env.LD_PRELOAD)).sort(), [PRELOAD_LIBRARY, 'preload.c']);
    });
  });

  it('a missing compiler gives ok:false with a clear reason', () => {
    const p = prepareNative({ recordFile: '/tmp/r.jsonl', cacheDir: path.join(tmp, 'cache-nocc'), env: {} }, { cc: '/nonexistent/cc' });
    assert.equal(p.ok, false);
    assert.ok(!p.ok);
    assert.match(p.reason, /^no C compiler \(\/nonexistent\/cc\) found: /);
    assert.equal(fs.existsSync(path.join(tmp, 'cache-nocc')), false, 'nothing built');
  });

  it('records fork (two sites), posix_spawn, forkpty, popen and system with real pids and exact lines', async function () {
    if (!addr2lineAvailable()) this.skip();
    const src = path.join(FIXTURES, 'spawns.c');
    // The program and fork-b's child are named so that their stat lines read "PID (sp) a (b"\) ..."
    // (a child read before its exec) and "PID (x) y (z) Z ...": start needs the LAST ')'. The
    // program's path, a frame's module, needs JSON escapes for its quote and backslash.
    const bin = path.join(tmp, 'sp) a (b"\\');
    fs.renameSync(compile('spawns.c'), bin);
    const odd = path.join(tmp, 'x) y (z');
    fs.copyFileSync('/bin/true', odd);
    fs.chmodSync(odd, 0o755);
    const { file, env } = recordEnv();
    const before = Date.now();
    await whileReady(bin, [odd], env, (pid, out) => {
      const recs = readRecords(file);
      const expect: [name: string, api: string, zombie: boolean][] = [
        ['fork-a', 'fork', true],
        ['fork-b', 'fork', true],
        ['posix_spawn', 'posix_spawn', true],
        ['forkpty', 'forkpty', true],
        ['popen', 'popen', false],
        ['system', 'system', false],
      ];
      assert.deepEqual(
        recs.map((r) => r.api),
        expect.map((e) => e[1]),
      );
      expect.forEach(([name, api, zombie], i) => {
        const r = recs[i];
        assert.equal(r.pid, printedPid(out, name), `${name}: the record's pid is the one the program got (popen/system: the shell's $$)`);
        assert.equal(r.ppid, pid);
        assert.equal(r.tid, pid, 'the main thread spawned it');
        if (zombie) {
          assert.equal(stateOf(r.pid), 'Z', `${name} is a zombie now`);
          if (name === 'fork-b') assert.ok(fs.readFileSync(`/proc/${r.pid}/stat`, 'utf8').includes('(x) y (z)'), 'the odd comm');
          assert.equal(r.start, startOf(r.pid), `${name}: start is the zombie's start time`);
        } else {
          assert.equal(typeof r.start, 'number');
        }
        assert.ok(r.time >= before - 1 && r.time <= Date.now() + 1, `time ${r.time} is wall-clock ms, made during the run`);
        assert.equal(r.stack[0].module, bin, 'the innermost frame is in the program, named by its real path');
        const site = siteIn(r, src);
        assert.ok(site, `${name}: a frame in spawns.c, stack ${JSON.stringify(resolveNativeFrames(r.stack))}`);
        assert.equal(site.line, markedLine(src, new RegExp(`SITE ${name}\\b`)), `${name} (${api}) at its own line`);
        assert.ok(!r.stack.some((f) => f.module?.endsWith(PRELOAD_LIBRARY)), "the library's own frames are left out");
      });
      assert.match(out, /^pclose 0$/m);
      assert.match(out, /^system-status 3$/m);
    });
  });

  it('popen beside 1,200 zombies of the same thread: still the popen child', function () {
    const bin = compile('popen-many.c');
    const { file, env } = recordEnv();
    const r = spawnSync(bin, ['1200'], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const recs = readRecords(file).filter((x) => x.ppid === r.pid);
    assert.equal(recs.length, 1201);
    const popen = recs.filter((x) => x.api === 'popen');
    assert.deepEqual(
      popen.map((x) => x.pid),
      [printedPid(r.stdout, 'popen')],
    );
  });

  it('a deep stack: at most 64 frames, innermost first; a stack too long for the line is cut, the line still whole', function () {
    const src = path.join(FIXTURES, 'deep.c');
    // The second copy lives under a 200-character directory: 64 frames of it do not fit in the
    // library's 12 KiB line, so the outer frames are dropped.
    const long = path.join(tmp, 'd'.repeat(200));
    fs.mkdirSync(long);
    const bins = [compile('deep.c'), path.join(long, 'deep')];
    fs.copyFileSync(bins[0], bins[1]);
    fs.chmodSync(bins[1], 0o755);
    const lengths = bins.map((bin) => {
      const { file, env } = recordEnv();
      const r = spawnSync(bin, ['100'], { env, encoding: 'utf8' });
      assert.equal(r.status, 0);
      const [rec] = readRecords(file);
      assert.equal(rec.pid, Number(r.stdout.trim()));
      assert.ok(rec.stack.every((f) => f.module === bin), 'every frame of the 64 innermost is in the program');
      if (addr2lineAvailable()) assert.equal(resolveNativeFrames(rec.stack.slice(0, 1))[0].line, markedLine(src, /SITE deep-fork/));
      return rec.stack.length;
    });
    assert.equal(lengths[0], 64);
    assert.ok(lengths[1] > 10 && lengths[1] < 64, `cut to ${lengths[1]} frames`);
  });

  it('a spawn inlined with -O2 resolves to the helper line and its caller (addr2line -i)', function () {
    if (!addr2lineAvailable()) this.skip();
    const src = path.join(FIXTURES, 'inline.c');
    const bin = path.join(tmp, 'inline-o2');
    execFileSync('cc', ['-g', '-O2', '-o', bin, src]);
    const { file, env } = recordEnv();
    const r = spawnSync(bin, { env, encoding: 'utf8' });
    assert.equal(r.status, 0);
    const [rec] = readRecords(file);
    assert.equal(rec.pid, Number(r.stdout.trim()));
    const mine = resolveNativeFrames(rec.stack).filter((f) => f.file === src);
    assert.deepEqual(
      mine.slice(0, 2).map((f) => [f.line, f.function]),
      [
        [markedLine(src, /SITE inlined-fork/), 'start_child'],
        [markedLine(src, /SITE inlined-caller/), 'main'],
      ],
    );
  });

  it('Rust: Command::spawn sites (posix_spawnp, and fork with a pre_exec hook), each recorded at its own line', async function () {
    if (!have('rustc')) this.skip(); // rustc is not installed here
    if (!addr2lineAvailable()) this.skip();
    const src = path.join(FIXTURES, 'spawns.rs');
    const bin = path.join(tmp, 'spawns-rs');
    execFileSync('rustc', ['-g', '-o', bin, src], { stdio: 'pipe' });
    const { file, env } = recordEnv();
    await whileReady(bin, [], env, (pid, out) => {
      const recs = readRecords(file);
      assert.equal(recs.length, 3, JSON.stringify(recs));
      (
        [
          ['rust-a', 'posix_spawnp'],
          ['rust-b', 'posix_spawnp'],
          ['rust-fork', 'fork'],
        ] as const
      ).forEach(([name, api], i) => {
        const r = recs[i];
        assert.equal(r.api, api, "Rust's std spawns through posix_spawnp, or forks when it must run a pre_exec hook");
        assert.equal(r.pid, printedPid(out, name));
        assert.equal(r.ppid, pid);
        assert.equal(stateOf(r.pid), 'Z');
        assert.equal(r.start, startOf(r.pid));
        const site = siteIn(r, src);
        assert.ok(site, JSON.stringify(resolveNativeFrames(r.stack)));
        assert.equal(site.line, markedLine(src, new RegExp(`SITE ${name}\\b`)));
      });
    });
  });

  it('C++: a fork in a method and std::system, at their lines, with demangled function names', function () {
    if (!have('c++') || !addr2lineAvailable()) this.skip(); // no C++ compiler (g++) here
    const src = path.join(FIXTURES, 'spawner.cpp');
    const bin = path.join(tmp, 'spawner-cpp');
    execFileSync('c++', ['-g', '-O0', '-o', bin, src]);
    const { file, env } = recordEnv();
    const r = spawnSync(bin, { env, encoding: 'utf8' });
    assert.equal(r.status, 0);
    const [pid, status, caught] = r.stdout.trim().split(' ').map(Number);
    assert.equal(status, 2);
    assert.equal(caught, 1, "an exception thrown after the records is caught: the unwinder linked into the library leaves the program's alone");
    const recs = readRecords(file).filter((x) => x.ppid === r.pid);
    assert.deepEqual(
      recs.map((x) => [x.api, x.api === 'fork' ? x.pid === pid : true]),
      [
        ['fork', true],
        ['system', true],
      ],
    );
    const fork = siteIn(recs[0], src);
    assert.deepEqual([fork?.line, fork?.function], [markedLine(src, /SITE cpp-fork/), 'demo::Spawner::start() const']);
    const sys = siteIn(recs[1], src);
    assert.deepEqual([sys?.line, sys?.function], [markedLine(src, /SITE cpp-system/), 'main']);
  });

  it('system(), popen/pclose, posix_spawn, fork: the same output, errno and exit code with the recorder as without', () => {
    const bin = compile('status.c');
    const plain = spawnSync(bin, { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: '' } });
    const { file, env } = recordEnv();
    const recorded = spawnSync(bin, { encoding: 'utf8', env });
    assert.equal(plain.status, 7);
    assert.match(plain.stdout, /^system exit 3 -> 3$/m);
    assert.match(plain.stdout, /^system killed -> signaled 1 sig 15$/m);
    assert.match(plain.stdout, /^popen read out$/m);
    assert.match(plain.stdout, /^pclose -> 4$/m);
    assert.match(plain.stdout, /^errno after fork 1234, child status 5$/m);
    const mask = (who: string, what: string) => BigInt('0x' + new RegExp(`^${who} Sig${what}:\\s*([0-9a-f]+)$`, 'm').exec(recorded.stdout)![1]);
    const bit = (sig: number) => 1n << BigInt(sig - 1);
    assert.equal(mask('parent', 'Ign') & (bit(2) | bit(3)), bit(2) | bit(3), 'SIGINT and SIGQUIT ignored while system() waits');
    assert.equal(mask('parent', 'Blk') & bit(17), bit(17), 'SIGCHLD blocked while system() waits');
    assert.equal(mask('shell', 'Ign') & (bit(2) | bit(3)), 0n, "the shell's SIGINT and SIGQUIT at their defaults");
    assert.equal(mask('shell', 'Blk'), 0n, 'nothing blocked in the shell');
    assert.equal(recorded.stdout, plain.stdout);
    assert.equal(recorded.stderr, plain.stderr);
    assert.equal(recorded.status, plain.status);
    const recs = readRecords(file);
    const apis = recs.filter((r) => r.ppid === recorded.pid).map((r) => r.api);
    assert.deepEqual(apis, ['fork', 'posix_spawnp', 'system', 'system', 'system', 'popen', 'popen'], 'system(NULL) and the failed posix_spawn make no record');
    // The shells inherit LD_PRELOAD: what they start is recorded too (dash vforks for `cat`).
    assert.ok(recs.some((r) => r.ppid !== recorded.pid), 'a grandchild recorded by its own parent');
  });

  it('a record file that cannot be written changes nothing: output, errno, exit code', () => {
    const bin = compile('status.c');
    const plain = spawnSync(bin, { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: '' } });
    const missing = path.join(tmp, 'no-such-dir', 'rec.jsonl');
    const r = spawnSync(bin, { encoding: 'utf8', env: { ...process.env, ...prep.env, PROCESS_INSPECTOR_RECORD: missing } });
    assert.equal(r.stdout, plain.stdout);
    assert.equal(r.stderr, plain.stderr);
    assert.equal(r.status, 7);
    assert.equal(fs.existsSync(path.dirname(missing)), false);
  });

  it('a static binary runs unchanged and records nothing (LD_PRELOAD cannot reach it)', function () {
    let bin: string;
    try {
      bin = compile('status.c', ['-static']);
    } catch {
      this.skip(); // no libc.a (libc6-dev)
    }
    const plain = spawnSync(bin, { encoding: 'utf8' });
    const { file, env } = recordEnv();
    const r = spawnSync(bin, { encoding: 'utf8', env });
    assert.equal(r.stdout, plain.stdout);
    assert.equal(r.status, 7);
    // Its system() and popen() shells are dynamic and record what they start; it records nothing.
    assert.deepEqual(
      readRecords(file).filter((x) => x.ppid === r.pid),
      [],
    );
  });

  it('1,000 spawns from 8 threads: exactly 1,000 whole lines, the pids the program got', () => {
    const bin = compile('threads.c');
    const { file, env } = recordEnv();
    const r = spawnSync(bin, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
    assert.equal(r.status, 0, r.stderr);
    const got = r.stdout.trim().split('\n').map(Number);
    assert.equal(got.length, 1000);
    assert.ok(got.every((p) => p > 0));
    const recs = readRecords(file);
    assert.equal(recs.length, 1000);
    const pids = recs.map((x) => x.pid);
    assert.equal(new Set(pids).size, 1000, 'distinct pids');
    assert.deepEqual([...pids].sort((a, b) => a - b), [...got].sort((a, b) => a - b));
    assert.equal(new Set(recs.map((x) => x.tid)).size, 8, 'each thread recorded with its own tid');
    assert.deepEqual([...new Set(recs.map((x) => x.api))].sort(), ['fork', 'posix_spawn']);
    assert.ok(recs.every((x) => x.ppid === r.pid || x.ppid > 0));
  });

  it('a program that calls clearenv() still records (the path was read when the library loaded)', function () {
    if (!addr2lineAvailable()) this.skip();
    const src = path.join(FIXTURES, 'clearenv.c');
    const bin = compile('clearenv.c');
    const { file, env } = recordEnv();
    const r = spawnSync(bin, { encoding: 'utf8', env });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^env now empty$/m);
    const recs = readRecords(file);
    assert.equal(recs.length, 1);
    assert.equal(recs[0].pid, printedPid(r.stdout, 'forked'));
    assert.equal(siteIn(recs[0], src)?.line, markedLine(src, /SITE after-clearenv/));
  });

  it('record paths of every length: a short one kept in static data, a long one in a mapped block, and clearenv() after either', function () {
    if (!addr2lineAvailable()) this.skip();
    const src = path.join(FIXTURES, 'clearenv.c');
    const bin = compile('clearenv.c');
    // 255 bytes is the last that fits the library's static buffer; 256 and 3,000 take the mapped block.
    for (const length of [255, 256, 3000]) {
      let dir = path.join(tmp, 'long');
      while (dir.length < length - 40) dir = path.join(dir, 'd'.repeat(Math.min(200, length - 41 - dir.length) || 1));
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, 'r'.repeat(length - dir.length - 1 - '.jsonl'.length) + '.jsonl');
      assert.equal(file.length, length);
      const r = spawnSync(bin, { encoding: 'utf8', env: { ...process.env, ...prep.env, PROCESS_INSPECTOR_RECORD: file } });
      assert.equal(r.status, 0, r.stderr);
      const recs = readRecords(file);
      assert.equal(recs.length, 1, `a record in the ${length}-byte path`);
      assert.equal(recs[0].pid, printedPid(r.stdout, 'forked'));
      assert.equal(siteIn(recs[0], src)?.line, markedLine(src, /SITE after-clearenv/));
    }
  });

  it('vfork becomes fork: an _exit child and an exec child work, both recorded as vfork', function () {
    const src = path.join(FIXTURES, 'vfork.c');
    const bin = compile('vfork.c');
    const plain = spawnSync(bin, { encoding: 'utf8' });
    const { file, env } = recordEnv();
    const r = spawnSync(bin, { encoding: 'utf8', env });
    assert.equal(r.status, 0);
    for (const out of [plain.stdout, r.stdout]) {
      assert.match(out, /^vfork _exit child 1 status 4$/m);
      assert.match(out, /^vfork exec child 1 status 6$/m);
    }
    const recs = readRecords(file);
    const [a, b] = /^pids (\d+) (\d+)$/m.exec(r.stdout)!.slice(1).map(Number);
    assert.deepEqual(
      recs.map((x) => [x.api, x.pid]),
      [
        ['vfork', a],
        ['vfork', b],
      ],
    );
    if (addr2lineAvailable()) {
      assert.equal(siteIn(recs[0], src)?.line, markedLine(src, /SITE vfork-exit/));
      assert.equal(siteIn(recs[1], src)?.line, markedLine(src, /SITE vfork-exec/));
    }
  });

  it('LD_PRELOAD set but PROCESS_INSPECTOR_RECORD unset: nothing is written, the program is unchanged', () => {
    const bin = compile('status.c');
    const plain = spawnSync(bin, { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: '' } });
    const cwd = fs.mkdtempSync(path.join(tmp, 'unset-'));
    const env: NodeJS.ProcessEnv = { ...process.env, LD_PRELOAD: prep.env.LD_PRELOAD };
    delete env.PROCESS_INSPECTOR_RECORD;
    const r = spawnSync(bin, { encoding: 'utf8', env, cwd });
    assert.equal(r.stdout, plain.stdout);
    assert.equal(r.status, 7);
    assert.deepEqual(fs.readdirSync(cwd), []);
  });

  it('PROCESS_INSPECTOR_RECORD unset: a fork costs the program no page fault more than without the library', () => {
    // After fork() every page the parent writes is a page fault; a wrapper whose frame held the
    // pending record put the caller's frame and the real fork's on two pages: one fault more a
    // fork, not recording. Counted, not timed: the fewest of three runs each (ASLR moves the stack).
    const bin = compile('forkloop.c');
    const faults = (env: NodeJS.ProcessEnv) =>
      Math.min(
        ...[0, 1, 2].map(() => {
          const r = spawnSync(bin, ['400'], { env, encoding: 'utf8' });
          assert.equal(r.status, 0, r.stderr);
          return Number(r.stdout);
        }),
      );
    const env = { ...process.env };
    delete env.PROCESS_INSPECTOR_RECORD;
    delete env.LD_PRELOAD;
    const without = faults(env);
    const off = faults({ ...env, LD_PRELOAD: prep.env.LD_PRELOAD });
    // Loading the library itself is a few faults, once; 400 forks at one more each would be 400.
    assert.ok(off - without < 40, `${off} page faults with the library loaded and not recording, ${without} without it, for 400 forks`);
  });

  it('PROCESS_INSPECTOR_RECORD unset: the library takes itself out of LD_PRELOAD, other entries kept, so the programs it execs do not load it', () => {
    const ours = prep.env.LD_PRELOAD.split(' ')[0];
    const other = path.join(tmp, 'empty.so');
    fs.writeFileSync(path.join(tmp, 'empty.c'), 'int pi_empty;\n');
    execFileSync('cc', ['-shared', '-fPIC', '-o', other, path.join(tmp, 'empty.c')]);
    // sh loads the library and has its environment edited before main; grep, exec'd by it, looks
    // for the library in its own mappings
    const seen = (preload: string, record?: string) => {
      const env: NodeJS.ProcessEnv = { ...process.env, LD_PRELOAD: preload };
      delete env.PROCESS_INSPECTOR_RECORD;
      if (record) env.PROCESS_INSPECTOR_RECORD = record;
      return spawnSync('/bin/sh', ['-c', 'printf "[%s] " "${LD_PRELOAD-unset}"; if grep -q libpirecord.so /proc/self/maps; then echo loaded; else echo absent; fi'], { env, encoding: 'utf8' }).stdout.trim();
    };
    assert.equal(seen(ours), '[unset] absent', 'ours alone: the variable goes');
    assert.equal(seen(`${ours} ${other}`), `[${other}] absent`);
    assert.equal(seen(`${other}:${ours}`), `[${other}] absent`);
    assert.equal(seen(` ${other} : ${ours}:${other} `), `[${other} ${other}] absent`, 'separators are spaces and colons; the others keep their order');
    assert.equal(seen(other), `[${other}] absent`, 'without ours: untouched');
    const file = path.join(tmp, 'kept.jsonl');
    assert.equal(seen(`${ours} ${other}`, file), `[${ours} ${other}] loaded`, 'recording: kept, every child loads it');
  });

  it('resolveNativeFrames caches per module and offset: a second call needs no addr2line', function () {
    if (!addr2lineAvailable()) this.skip();
    const src = path.join(FIXTURES, 'clearenv.c');
    const bin = path.join(tmp, 'clearenv-cache');
    execFileSync('cc', ['-g', '-o', bin, src]);
    const { file, env } = recordEnv();
    spawnSync(bin, { env });
    const [rec] = readRecords(file);
    const first = resolveNativeFrames(rec.stack);
    assert.ok(first.some((f) => f.file === src));
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      assert.equal(addr2lineAvailable(), false);
      assert.deepEqual(resolveNativeFrames(rec.stack), first, 'from the cache');
      const other = { module: bin, offset: (rec.stack[0].offset ?? 0) + 1 };
      assert.deepEqual(resolveNativeFrames([other]), [other], 'a new offset without addr2line stays unresolved');
    } finally {
      process.env.PATH = savedPath;
    }
    // A rebuilt module (new size and mtime) is not served from the old entries.
    execFileSync('cc', ['-g', '-O1', '-o', bin, src]);
    process.env.PATH = '/nonexistent';
    try {
      const ofBin = (fs: RecordFrame[]) => fs.filter((f) => f.module === bin);
      assert.deepEqual(ofBin(resolveNativeFrames(rec.stack)), ofBin(rec.stack), 'the rebuilt module needs addr2line again');
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('parses addr2line output (captured from binutils 2.40): inlined chains, discriminators, ??:0, ??:?', () => {
    // `addr2line -a -f -C -i -e inline` (inline.c -O2 -g), then threads.c -O2 -g, then a -g-less build.
    const F = '/work/wt/rec-native/test/fixtures/record/native';
    const text = [
      '0x0000000000001085',
      'start_child',
      `${F}/inline.c:7`,
      'main',
      `${F}/inline.c:13`,
      '0x00000000000010e0',
      '_start',
      '??:?',
      '0x0000000000099999',
      '??',
      '??:0',
      '0x00000000000010d0',
      'main',
      `${F}/threads.c:33 (discriminator 3)`,
      '',
    ].join('\n');
    const m = parseAddr2line(text, '/w/a.out');
    assert.deepEqual(m.get(0x1085), [
      { file: `${F}/inline.c`, line: 7, function: 'start_child', module: '/w/a.out' },
      { file: `${F}/inline.c`, line: 13, function: 'main', module: '/w/a.out' },
    ]);
    assert.deepEqual(m.get(0x10e0), [{ module: '/w/a.out', offset: 0x10e0, function: '_start' }], 'a function without a line');
    assert.equal(m.has(0x99999), false, '??:0 resolves nothing');
    assert.deepEqual(m.get(0x10d0), [{ file: `${F}/threads.c`, line: 33, function: 'main', module: '/w/a.out' }]);
  });
});
