/**
 * Adding recorders to debug launch configurations, in each debug type's own shape, with the real
 * recorders (the preload library is really compiled, the Go overlay really written), and every
 * case where nothing may be added said in words.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { injectIntoLaunch, LAUNCH_KEY, recordingOf, type InjectOptions } from '../../src/record/launch';
import { RECORD_ENV } from '../../src/record/types';

describe('recorders in debug launch configurations', function () {
  this.timeout(120_000);
  let dir: string;
  let opts: InjectOptions;
  let made: number;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pi-launch-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    made = 0;
    opts = { enabled: {}, newRecordFile: () => join(dir, `r${++made}.jsonl`), cacheDir: join(dir, 'cache'), env: { PATH: process.env.PATH, HOME: process.env.HOME } };
  });

  it('go: appends -overlay to a string buildFlags and the record file to env, keeping the rest', () => {
    const cfg: Record<string, unknown> = { type: 'go', request: 'launch', mode: 'debug', program: dir, buildFlags: '-tags netgo', env: { KEEP: '1' } };
    const r = injectIntoLaunch(cfg, opts);
    assert.ok(r.recordFile, r.notes.join('; '));
    assert.match(String(cfg.buildFlags), /^-tags netgo -overlay=\S+\.json$/);
    assert.deepEqual(Object.keys(cfg.env as object).sort(), ['KEEP', RECORD_ENV].sort());
    assert.equal((cfg.env as Record<string, string>)[RECORD_ENV], r.recordFile);
    assert.equal(recordingOf(cfg)?.recordFile, r.recordFile);
    assert.match(r.notes[0], /^recording spawns: Go /);
    // Resolved twice (two providers, a restart): added once.
    const again = injectIntoLaunch(cfg, opts);
    assert.equal(again.recordFile, undefined);
    assert.equal((String(cfg.buildFlags).match(/-overlay=/g) ?? []).length, 1);
  });

  it('go: an array buildFlags stays an array; exec mode, an -overlay already there and attach add nothing, and say why', () => {
    const arr: Record<string, unknown> = { type: 'go', request: 'launch', mode: 'test', program: dir, buildFlags: ['-race'] };
    injectIntoLaunch(arr, opts);
    assert.ok(Array.isArray(arr.buildFlags) && arr.buildFlags[0] === '-race' && /^-overlay=/.test(arr.buildFlags[1]), JSON.stringify(arr.buildFlags));
    for (const [cfg, why] of [
      [{ type: 'go', request: 'launch', mode: 'exec', program: '/bin/true' }, /prebuilt binary/],
      [{ type: 'go', request: 'launch', mode: 'debug', program: dir, buildFlags: '-overlay=/x.json' }, /already has an -overlay/],
      [{ type: 'go', request: 'attach', processId: 1 }, /attach request joins a program already running/],
    ] as [Record<string, unknown>, RegExp][]) {
      const before = JSON.stringify(cfg);
      const r = injectIntoLaunch(cfg, opts);
      assert.equal(r.recordFile, undefined);
      assert.match(r.notes[0], why);
      const { [LAUNCH_KEY]: _note, ...rest } = cfg;
      assert.equal(JSON.stringify(rest), before, 'nothing else changed');
      assert.match(recordingOf(cfg)!.notes[0], why, 'the note rides along for the session row');
    }
    assert.equal(made, 1, 'no record file made for a launch that records nothing');
  });

  it('a setting turns a language off', () => {
    const cfg: Record<string, unknown> = { type: 'debugpy', request: 'launch', program: '/x.py' };
    const r = injectIntoLaunch(cfg, { ...opts, enabled: { python: false } });
    assert.match(r.notes[0], /off for python \(setting processInspector\.record\.python\)/);
    assert.equal(cfg.env, undefined);
  });

  it('python: PYTHONPATH gets ours first and keeps the launch\'s own, or the inherited one; -I and -E say why not', () => {
    const own: Record<string, unknown> = { type: 'debugpy', request: 'launch', program: '/x.py', env: { PYTHONPATH: '/mine' } };
    injectIntoLaunch(own, opts);
    assert.match((own.env as Record<string, string>).PYTHONPATH, /^\/.+:\/mine$/);
    const inherited: Record<string, unknown> = { type: 'python', request: 'launch', program: '/x.py' };
    injectIntoLaunch(inherited, { ...opts, env: { ...opts.env, PYTHONPATH: '/from-host' } });
    assert.match((inherited.env as Record<string, string>).PYTHONPATH, /^\/.+:\/from-host$/);
    for (const flag of ['-I', '-E']) {
      const cfg: Record<string, unknown> = { type: 'debugpy', request: 'launch', program: '/x.py', pythonArgs: [flag] };
      const r = injectIntoLaunch(cfg, opts);
      assert.equal(r.recordFile, undefined, flag);
      assert.match(r.notes[0], /nothing recorded/);
      assert.equal(cfg.env, undefined);
    }
  });

  it('node: NODE_OPTIONS keeps what was there and gets --require after it', () => {
    const cfg: Record<string, unknown> = { type: 'pwa-node', request: 'launch', program: '/x.js', env: { NODE_OPTIONS: '--max-old-space-size=100' } };
    injectIntoLaunch(cfg, opts);
    assert.match((cfg.env as Record<string, string>).NODE_OPTIONS, /^--max-old-space-size=100 --require /);
  });

  it('native: each adapter\'s env shape (CodeLLDB object, cppdbg {name, value} list, lldb-vscode "K=V" list), LD_PRELOAD kept', () => {
    const prog = join(dir, 'dyn');
    const stat = join(dir, 'static');
    writeFileSync(join(dir, 'p.c'), 'int main(void) { return 0; }\n');
    execFileSync('cc', ['-o', prog, join(dir, 'p.c')]);
    const lldb: Record<string, unknown> = { type: 'lldb', request: 'launch', program: prog, env: { A: 'b' } };
    injectIntoLaunch(lldb, { ...opts, env: { ...opts.env, LD_PRELOAD: '/inherited.so' } });
    assert.match((lldb.env as Record<string, string>).LD_PRELOAD, /libpirecord\.so \/inherited\.so$/);
    assert.equal((lldb.env as Record<string, string>).A, 'b');
    const cpp: Record<string, unknown> = { type: 'cppdbg', request: 'launch', program: prog, environment: [{ name: 'LD_PRELOAD', value: '/mine.so' }, { name: 'X', value: 'y' }] };
    injectIntoLaunch(cpp, opts);
    const list = cpp.environment as { name: string; value: string }[];
    assert.deepEqual(list.filter((e) => e.name === 'LD_PRELOAD').length, 1);
    assert.match(list.find((e) => e.name === 'LD_PRELOAD')!.value, /libpirecord\.so \/mine\.so$/);
    assert.ok(list.some((e) => e.name === 'X' && e.value === 'y'));
    assert.ok(list.some((e) => e.name === RECORD_ENV));
    const lv: Record<string, unknown> = { type: 'lldb-vscode', request: 'launch', program: prog, env: ['Z=1'] };
    injectIntoLaunch(lv, opts);
    const strs = lv.env as string[];
    assert.ok(strs.includes('Z=1'));
    assert.ok(strs.some((e) => /^LD_PRELOAD=\S+libpirecord\.so$/.test(e)), strs.join(' '));
    assert.ok(strs.some((e) => e.startsWith(`${RECORD_ENV}=`)));
    // A static binary cannot load a preload library: said, nothing added.
    try {
      execFileSync('cc', ['-static', '-o', stat, join(dir, 'p.c')], { stdio: 'ignore' });
    } catch {
      return; // no static libc here: the rest holds
    }
    const st: Record<string, unknown> = { type: 'lldb-dap', request: 'launch', program: stat };
    const r = injectIntoLaunch(st, opts);
    assert.match(r.notes[0], /statically linked/);
    assert.equal(st.env, undefined);
  });

  it('never fails a launch: no place for the record file is a note', () => {
    const cfg: Record<string, unknown> = { type: 'node', request: 'launch', program: '/x.js' };
    const r = injectIntoLaunch(cfg, { ...opts, newRecordFile: () => { throw new Error('read-only file system'); } });
    assert.match(r.notes[0], /no place for the record file \(read-only file system\)/);
    assert.equal(cfg.env, undefined);
  });

  it('leaves other debug types alone', () => {
    const cfg: Record<string, unknown> = { type: 'chrome', request: 'launch', url: 'http://x' };
    assert.deepEqual(injectIntoLaunch(cfg, opts).notes, []);
    assert.deepEqual(Object.keys(cfg), ['type', 'request', 'url']);
  });
});
