/**
 * The analysis engine on hand-lowered programs: each case is the IR a front end makes of a real
 * idiom (named beside it), and the verdict the engine must reach. The front ends' own tests check
 * the lowering on source files; these check the walk, the summaries and the words.
 */
import * as assert from 'node:assert/strict';
import { analyze } from '../../src/spawnsites/engine/verdict';
import type { Cond, FunctionIR, Node, ProgramIR } from '../../src/spawnsites/engine/ir';
import type { SourceRange } from '../../src/spawnsites/types';

const L = (line: number): SourceRange => ({ startLine: line, startColumn: 1, endLine: line, endColumn: 2 });
const fn = (key: string, body: Node[], extra: Partial<FunctionIR> = {}): FunctionIR => ({ key, params: [], body, end: L(99), exported: false, ...extra });
const prog = (functions: FunctionIR[], sites = 1, cells: ProgramIR['cells'] = []): ProgramIR => ({
  functions,
  sites: Array.from({ length: sites }, (_, i) => ({ id: i, at: L(10 + i), words: 'fork()' })),
  cells,
});
const verdict = (p: ProgramIR, site = 0) => analyze(p).verdicts.get(site)!;
const FORK = ['parent', 'child', 'failed'] as const;
const spawn = (into: string | null, line = 10, site = 0, outcomes: readonly ('parent' | 'child' | 'failed')[] = FORK): Node => ({ op: 'spawn', site, into, outcomes: [...outcomes], at: L(line) });
const wait = (h: string, line: number): Node => ({ op: 'wait', h, at: L(line), how: `waitpid(${h})` });
const isChild = (h: string) => ({ k: 'is' as const, h, outcomes: ['child' as const], words: `${h} == 0`, at: L(11) });

describe('analysis engine', () => {
  it('pid = fork(); if (pid == 0) { exec; _exit } waitpid(pid): waited, the child branch ends in exec', () => {
    const v = verdict(prog([fn('f', [spawn('pid'), { op: 'if', cond: isChild('pid'), then: [{ op: 'exit', at: L(12), how: 'execvp() replaces the child' }], else: [] }, wait('pid', 14)])]));
    assert.equal(v.waited, 'yes');
    assert.match(v.reason, /waitpid\(pid\) at line 14/);
  });

  it('the wait inside the child branch (after exec) reaps nothing of the parent: the parent leaks', () => {
    // if (cond && fork() == 0) { execlp(...); wait(NULL); }
    const v = verdict(prog([fn('f', [spawn('t'), { op: 'if', cond: isChild('t'), then: [wait('t', 13)], else: [] }])]));
    assert.equal(v.waited, 'no');
    assert.equal(v.leak, 'always');
    assert.match(v.reason, /f ends at line 99/);
    assert.match(v.reason, /runs in the child/);
    // The deciding path names the branch taken.
    assert.ok(v.path.some((s) => /`t == 0` is false/.test(s.words)), JSON.stringify(v.path));
  });

  it('a failed start is not a leak: if err != nil { return } before the Wait', () => {
    const p = prog([
      fn('f', [
        spawn('cmd', 10, 0, ['parent', 'failed']),
        { op: 'if', cond: { k: 'is', h: 'cmd', outcomes: ['failed'] }, then: [{ op: 'return', values: [], at: L(12) }], else: [] },
        wait('cmd', 14),
      ]),
    ]);
    assert.equal(verdict(p).waited, 'yes');
    // Without the condition the early return loses a started child.
    const q = prog([fn('f', [spawn('cmd', 10, 0, ['parent', 'failed']), { op: 'if', cond: { k: 'opaque' }, then: [{ op: 'return', values: [], at: L(12) }], else: [] }, wait('cmd', 14)])]);
    const v = verdict(q);
    assert.equal(v.waited, 'no');
    assert.equal(v.leak, 'some-paths');
    assert.match(v.reason, /returns at line 12/);
  });

  it('a loop that overwrites a pending handle each turn leaks; one that waits each turn does not', () => {
    const leaky = prog([fn('f', [{ op: 'loop', body: [{ op: 'scope', vars: ['cmd'], body: [spawn('cmd', 10, 0, ['parent'])], end: L(11) }] }])]);
    assert.equal(verdict(leaky).waited, 'no');
    assert.match(verdict(leaky).reason, /out of scope at line 11/);
    const ok = prog([fn('f', [{ op: 'loop', body: [{ op: 'scope', vars: ['cmd'], body: [spawn('cmd', 10, 0, ['parent']), wait('cmd', 11)], end: L(12) }] }])]);
    assert.equal(verdict(ok).waited, 'yes');
  });

  it('an alias keeps the child: p = q; drop q; wait p', () => {
    const p = prog([fn('f', [spawn('q', 10, 0, ['parent']), { op: 'copy', from: 'q', to: 'p', at: L(11) }, { op: 'drop', h: 'q', at: L(12), why: '' }, wait('p', 13)])]);
    assert.equal(verdict(p).waited, 'yes');
  });

  it('defer cmd.Wait() runs at every return', () => {
    const p = prog([fn('f', [spawn('cmd', 10, 0, ['parent']), { op: 'defer', body: [wait('cmd', 11)], at: L(11) }, { op: 'if', cond: { k: 'opaque' }, then: [{ op: 'return', values: [], at: L(12) }], else: [] }])]);
    assert.equal(verdict(p).waited, 'yes');
  });

  it('a helper that always exits ends the path (Python end() calling sys.exit)', () => {
    const p = prog([
      fn('end', [{ op: 'exit', at: L(3), how: 'sys.exit()' }]),
      fn('f', [spawn('pid'), { op: 'if', cond: { k: 'is', h: 'pid', outcomes: ['parent'] }, then: [{ op: 'call', fn: 'end', args: [], at: L(12) }], else: [{ op: 'exit', at: L(13), how: 'os._exit()' }] }]),
    ]);
    const v = verdict(p);
    assert.equal(v.waited, 'yes');
    assert.match(v.reason, /end\(\), which always exits at line 12/);
  });

  it('a helper that waits for its parameter reaps the child handed to it; one that only borrows does not', () => {
    const reap = fn('reap', [wait('p', 3)], { params: ['p'] });
    const show = fn('show', [{ op: 'kill', h: 'p', at: L(5), how: 'p.kill()' }], { params: ['p'] });
    const call = (f: string): Node => ({ op: 'call', fn: f, args: ['c'], at: L(11) });
    assert.equal(verdict(prog([reap, fn('f', [spawn('c', 10, 0, ['parent']), call('reap')])])).waited, 'yes');
    const v = verdict(prog([show, fn('f', [spawn('c', 10, 0, ['parent']), call('show')])]));
    assert.equal(v.waited, 'no');
    assert.match(v.reason, /p\.kill\(\) at line 5 does not reap it/);
  });

  it('a child returned to a caller that drops it is lost at the caller (as clippy reports it)', () => {
    const make = fn('make', [spawn('c', 10, 0, ['parent']), { op: 'return', values: ['c'], at: L(11) }]);
    const drops = fn('main2', [{ op: 'call', fn: 'make', args: [], into: 'x', at: L(20) }], { end: L(21) });
    const v = verdict(prog([make, drops]));
    assert.equal(v.waited, 'no');
    assert.equal(v.losses[0].at.startLine, 21);
    assert.match(v.reason, /^fork\(\) at line 10 starts/); // the site's line, not the caller's
    // The words and the path start at the site, then come back through the call.
    assert.match(v.reason, /at line 10 starts a child/);
    assert.equal(v.path[0].at.startLine, 10);
    assert.ok(v.path.some((s) => s.at.startLine === 20 && /^returned by make\(\)/.test(s.words)), JSON.stringify(v.path));
    const waits = fn('main2', [{ op: 'call', fn: 'make', args: [], into: 'x', at: L(20) }, wait('x', 21)]);
    assert.equal(verdict(prog([make, waits])).waited, 'yes');
    // An exported function may have callers we do not see: unknown, not yes.
    assert.equal(verdict(prog([{ ...make, exported: true }, waits])).waited, 'unknown');
  });

  it('a child kept in a private field nobody waits on leaks; waited elsewhere in the program it is fine', () => {
    const cells = [{ name: '@S.cmd', exported: false, words: 'field cmd of S' }];
    const store = fn('start', [spawn('c', 10, 0, ['parent']), { op: 'copy', from: 'c', to: '@S.cmd', at: L(11) }]);
    const killOnly = fn('stop', [{ op: 'kill', h: '@S.cmd', at: L(30), how: 's.cmd.Process.Kill()' }]);
    const v = verdict(prog([store, killOnly], 1, cells));
    assert.equal(v.waited, 'no');
    assert.match(v.reason, /nothing in this program waits on it; only s\.cmd\.Process\.Kill\(\) at line 30/);
    // The reason names the site's line, not the store's.
    assert.match(v.reason, /^fork\(\) at line 10 starts/);
    const waitsIt = fn('stop', [{ op: 'copy', from: '@S.cmd', to: 'x', at: L(30) }, wait('x', 31)]);
    assert.equal(verdict(prog([store, waitsIt], 1, cells)).waited, 'yes');
    assert.equal(verdict(prog([store, killOnly], 1, [{ ...cells[0], exported: true }])).waited, 'unknown');
  });

  it('returning from main ends the program: init reaps (C main returning after the fork loop)', () => {
    const p = prog([fn('main', [{ op: 'loop', body: [spawn('pid')] }, { op: 'return', values: [], at: L(20) }], { isMain: true })]);
    const v = verdict(p);
    assert.equal(v.waited, 'yes');
    assert.match(v.reason, /main returns, and the program ends at line 20/);
  });

  it('a fork loop whose pids all go out of scope, then main returns or a waitpid(-1) loop: the verdict names what reaped them', () => {
    const body = (tail: Node): Node[] => [{ op: 'loop', body: [{ op: 'scope', vars: ['pid'], body: [spawn('pid')], end: L(12) }] }, tail];
    const ret = verdict(prog([fn('main', body({ op: 'return', values: [], at: L(20) }), { isMain: true })]));
    assert.equal(ret.waited, 'yes');
    assert.match(ret.reason, /main returns, and the program ends at line 20/);
    const ex = verdict(prog([fn('f', body({ op: 'exit', at: L(21), how: 'exit(0)' }))]));
    assert.equal(ex.waited, 'yes');
    assert.match(ex.reason, /exit\(0\) at line 21/);
    const reap = verdict(prog([fn('f', body({ op: 'reapAll', at: L(22), how: 'wait(NULL)' }))]));
    assert.equal(reap.waited, 'yes');
    assert.match(reap.reason, /wait\(NULL\) at line 22/);
  });

  it('a child returned by an exported function: unknown, saying where it is returned', () => {
    const make = fn('make', [spawn('c', 10, 0, ['parent']), { op: 'return', values: ['c'], at: L(11) }], { exported: true });
    const v = verdict(prog([make]));
    assert.equal(v.waited, 'unknown');
    assert.match(v.reason, /returned at line 11 to the callers of make/);
  });

  it('switch on the fork result: case 0 exits, default waits', () => {
    const p = prog([
      fn('f', [
        spawn('pid'),
        {
          op: 'switch', exhaustive: false, arms: [
            { cond: { k: 'is', h: 'pid', outcomes: ['failed'] }, body: [{ op: 'return', values: [], at: L(12) }] },
            { cond: isChild('pid'), body: [{ op: 'exit', at: L(13), how: '_exit()' }] },
            { cond: 'default', body: [wait('pid', 14)] },
          ],
        },
      ]),
    ]);
    assert.equal(verdict(p).waited, 'yes');
  });

  it('an unknown construct makes the child unknown, never a warning', () => {
    const p = prog([fn('f', [spawn('c', 10, 0, ['parent']), { op: 'unknown', at: L(11), why: 'a goto' }])]);
    assert.equal(verdict(p).waited, 'unknown');
    const q = prog([fn('f', [spawn('c', 10, 0, ['parent'])], { unstructured: 'the function uses goto' })]);
    assert.match(verdict(q).reason, /goto/);
  });

  it('a raise inside try goes to the handler, which waits', () => {
    const p = prog([fn('f', [spawn('p', 10, 0, ['parent']), { op: 'try', body: [{ op: 'throw', at: L(12), how: 'raise' }], handlers: [[wait('p', 14)]], orelse: [wait('p', 15)] }])]);
    assert.equal(verdict(p).waited, 'yes');
  });

  it('with Popen() as p: the cleanup waits even on a return from inside', () => {
    const p = prog([fn('f', [spawn('p', 10, 0, ['parent']), { op: 'protect', body: [{ op: 'return', values: [], at: L(12) }], cleanup: [wait('p', 10)] }])]);
    assert.equal(verdict(p).waited, 'yes');
  });

  it('a waitpid(-1) reaper loop reaps every pending child', () => {
    const p = prog([fn('f', [{ op: 'loop', body: [spawn('pid', 10)] }, { op: 'reapAll', at: L(20), how: 'waitpid(-1) in a loop' }])]);
    assert.equal(verdict(p).waited, 'yes');
  });

  it('a dropped result leaks at once (Command::new(..).spawn()?;)', () => {
    const v = verdict(prog([fn('f', [spawn(null, 10, 0, ['parent', 'failed'])])]));
    assert.equal(v.waited, 'no');
    assert.match(v.reason, /dropped at once/);
  });

  it('a drop says how the handle is lost: a temporary dropped at the end of its statement (Rust `spawn_proc();`)', () => {
    const p = prog([fn('f', [spawn('$1', 10, 0, ['parent']), { op: 'drop', h: '$1', at: L(10), why: 'temporary', kind: 'discarded' }])]);
    const v = verdict(p);
    assert.equal(v.waited, 'no');
    assert.match(v.reason, /dropped at once \(line 10\)/);
    // Without a kind it reads as an overwrite, as before.
    assert.match(verdict(prog([fn('f', [spawn('c', 10, 0, ['parent']), { op: 'drop', h: 'c', at: L(11), why: '' }])])).reason, /overwritten at line 11/);
  });

  it('a child lost before an exit: excused by default, a leak with exitExcusesLost false (clippy: the zombie lives until the exit)', () => {
    // { let c = spawn(); } ... std::process::exit(0);  and  { let c = spawn(); std::process::exit(0); }
    const lostFirst = prog([fn('f', [{ op: 'scope', vars: ['c'], body: [spawn('c', 10, 0, ['parent'])], end: L(11) }, { op: 'exit', at: L(20), how: 'exit()' }])]);
    assert.notEqual(verdict(lostFirst).waited, 'no');
    const v = analyze(lostFirst, { exitExcusesLost: false }).verdicts.get(0)!;
    assert.equal(v.waited, 'no');
    assert.match(v.reason, /out of scope at line 11/);
    const heldAtExit = prog([fn('f', [{ op: 'scope', vars: ['c'], body: [spawn('c', 10, 0, ['parent']), { op: 'exit', at: L(11), how: 'exit()' }], end: L(12) }])]);
    assert.equal(analyze(heldAtExit, { exitExcusesLost: false }).verdicts.get(0)!.waited, 'yes');
  });

  it('the mission bug: a server loop that starts a child each turn and never waits, never returning', () => {
    const p = prog([fn('serve', [{ op: 'loop', infinite: true, body: [{ op: 'scope', vars: ['cmd'], body: [spawn('cmd', 10, 0, ['parent', 'failed'])], end: L(11) }] }])]);
    const v = verdict(p);
    assert.equal(v.waited, 'no');
    assert.match(v.reason, /out of scope at line 11/);
  });

  it('a wait after a fork loop reaps only the last child: the others are lost', () => {
    const p = prog([fn('f', [{ op: 'loop', body: [spawn('pid', 10, 0, ['parent'])] }, wait('pid', 20)])]);
    const v = verdict(p);
    assert.equal(v.waited, 'no');
    assert.match(v.reason, /overwritten at line 10/);
  });

  it('a container keeps every child added to it: procs.append(p) twice, never read again, leaks both', () => {
    const add = (from: string, line: number): Node => ({ op: 'copy', from, to: 'procs', at: L(line), add: true });
    const body = [spawn('a', 10, 0, ['parent']), add('a', 11), { op: 'drop', h: 'a', at: L(11), why: '' } as Node, spawn('b', 12, 1, ['parent']), add('b', 13), { op: 'drop', h: 'b', at: L(13), why: '' } as Node];
    const p = prog([fn('f', body)], 2);
    for (const site of [0, 1]) assert.match(verdict(p, site).reason, /f ends at line 99/);
    // Without `add` the second store would overwrite the first: a loss at line 13 instead.
    const replaced = prog([fn('f', body.map((n) => (n.op === 'copy' ? { ...n, add: undefined } : n)))], 2);
    assert.match(verdict(replaced, 0).reason, /overwritten at line 13/);
    // Read back and waited: for p in procs: p.wait()
    const waits = prog([fn('f', [...body, { op: 'copy', from: 'procs', to: 'p', at: L(14) }, wait('p', 15)])], 2);
    for (const site of [0, 1]) assert.equal(verdict(waits, site).waited, 'yes');
  });

  it('a precise try: the handler sees only the states where the body may raise', () => {
    // try: p = Popen() except OSError: return; p.wait()  (the spawn raising leaves p unset)
    const body = (precise: boolean): Node[] => [
      { op: 'try', precise, body: [{ op: 'if', cond: { k: 'opaque' }, then: [{ op: 'throw', at: L(10), how: 'may raise' }], else: [] }, spawn('p', 10, 0, ['parent'])], handlers: [[{ op: 'return', values: [], at: L(12) }]] },
      wait('p', 13),
    ];
    assert.equal(verdict(prog([fn('f', body(true))])).waited, 'yes');
    assert.equal(verdict(prog([fn('f', body(false))])).waited, 'no'); // the coarse form: the body's end reaches the handler
  });

  it('an exit on the error path of a failed start excuses nothing: the children lost before live until starts fail', () => {
    // for (;;) { pid_t pid = fork(); if (pid < 0) { perror("fork"); return 1; } if (pid == 0) _exit(0); sleep(1); }  (demo/c-zombies)
    const body = (failed: Node[]): Node[] => [
      {
        op: 'loop',
        infinite: true,
        body: [{ op: 'scope', vars: ['pid'], end: L(15), body: [spawn('pid'), { op: 'if', cond: { k: 'is', h: 'pid', outcomes: ['failed'], words: 'pid < 0', at: L(11) }, then: failed, else: [] }, { op: 'if', cond: isChild('pid'), then: [{ op: 'exit', at: L(12), how: '_exit()' }], else: [] }] }],
      },
    ];
    const v = verdict(prog([fn('main', body([{ op: 'return', values: [], at: L(11) }]), { isMain: true })]));
    assert.equal(v.waited, 'no', v.reason);
    assert.match(v.reason, /out of scope at line 15/);
    assert.equal(verdict(prog([fn('main', body([{ op: 'exit', at: L(11), how: 'exit(1)' }]))])).waited, 'no');
    // The same return on an opaque condition (not the start's failure) still ends the program and excuses.
    const opaque: Node[] = [{ op: 'loop', infinite: true, body: [{ op: 'scope', vars: ['pid'], end: L(15), body: [spawn('pid'), { op: 'if', cond: isChild('pid'), then: [{ op: 'exit', at: L(12), how: '_exit()' }], else: [] }, { op: 'if', cond: { k: 'opaque' }, then: [{ op: 'return', values: [], at: L(13) }], else: [] }] }] }];
    assert.equal(verdict(prog([fn('main', opaque, { isMain: true })])).waited, 'yes');
  });

  it('a sleep with a lost or held child unwaited makes the later end of the program no excuse; a kill or a reap after it does', () => {
    // for i in range(3): kids.append(Popen(...)); time.sleep(60)  (the module code of a script)
    const sleep: Node = { op: 'block', at: L(20), how: 'time.sleep()' };
    const held = (after: Node[]): ProgramIR => prog([fn('<module>', [spawn('p', 10, 0, ['parent']), sleep, ...after], { isMain: true })]);
    const v = verdict(held([]));
    assert.equal(v.waited, 'no');
    assert.match(v.reason, /while the program sleeps in time\.sleep\(\) at line 20/);
    assert.equal(verdict(held([{ op: 'kill', h: 'p', at: L(21), how: 'p.kill()' }])).waited, 'yes');
    assert.equal(verdict(held([{ op: 'reapAll', at: L(21), how: 'os.wait()' }])).waited, 'yes');
    assert.equal(verdict(held([wait('p', 21)])).waited, 'yes');
    // Without the sleep the end excuses it (init reaps it at once).
    assert.equal(verdict(prog([fn('<module>', [spawn('p', 10, 0, ['parent'])], { isMain: true })])).waited, 'yes');
    // A child lost (scope end), then the sleep, then exit.
    const lost = prog([fn('main', [{ op: 'scope', vars: ['c'], body: [spawn('c', 10, 0, ['parent'])], end: L(11) }, sleep, { op: 'exit', at: L(22), how: 'exit()' }])]);
    assert.equal(verdict(lost).waited, 'no');
    // Slept on one branch only: not said (a warning needs every way).
    const oneWay = prog([fn('<module>', [spawn('p', 10, 0, ['parent']), { op: 'if', cond: { k: 'opaque' }, then: [sleep], else: [] }], { isMain: true })]);
    assert.equal(verdict(oneWay).waited, 'yes');
  });

  it('a child dropped before the process exits is reaped by init: said as the exit, not "no path seen"', () => {
    // if os.fork() == 0: subprocess.Popen(cmd); os._exit(0)  (the intermediate child of a double fork)
    const v = verdict(prog([fn('f', [spawn(null, 10, 0, ['parent']), { op: 'exit', at: L(11), how: 'os._exit()' }])]));
    assert.equal(v.waited, 'yes');
    assert.match(v.reason, /os\._exit\(\) at line 11, and init reaps the child/);
  });

  it('two tests of one unchanged value agree: if debug: p = Popen() ... if debug: p.wait()', () => {
    const body = (key?: string): Node[] => [
      { op: 'if', cond: { k: 'opaque', key }, then: [spawn('p', 10, 0, ['parent'])], else: [] },
      { op: 'if', cond: { k: 'opaque', key }, then: [wait('p', 12)], else: [] },
    ];
    assert.equal(verdict(prog([fn('f', body('debug'))])).waited, 'yes');
    const v = verdict(prog([fn('f', body())]));
    assert.equal(v.waited, 'no'); // unkeyed, the paths are not paired: spawned, then the other branch
    assert.equal(v.leak, 'some-paths');
    // Keys decided on one path only are forgotten where paths meet: a later test is free again.
    const joined: Node[] = [{ op: 'if', cond: { k: 'opaque' }, then: [{ op: 'if', cond: { k: 'opaque', key: 'debug' }, then: [], else: [] }], else: [] }, ...body('debug')];
    assert.equal(verdict(prog([fn('f', joined)])).waited, 'yes');
  });

  it('a detached call (a goroutine) applies what it does to its arguments, and the path goes on even if it never returns', () => {
    // go func() { for { ... } ; cmd.Wait() }(): the goroutine waits; the code after the go statement still runs.
    const bg = fn('bg', [wait('p', 3), { op: 'loop', infinite: true, body: [] }], { params: ['p'] });
    const call = (detached: boolean): Node => ({ op: 'call', fn: 'bg', args: ['c'], at: L(11), detached });
    const body = (detached: boolean) => [spawn('c', 10, 0, ['parent']), call(detached), spawn('d', 12, 1, ['parent']), wait('d', 13)];
    const a = analyze(prog([bg, fn('f', body(true))], 2));
    assert.equal(a.verdicts.get(0)!.waited, 'yes');
    assert.equal(a.verdicts.get(1)!.waited, 'yes');
    // Called in line, a function that never returns ends the path: the second site is never reached.
    assert.equal(analyze(prog([bg, fn('f', body(false))], 2)).verdicts.get(1)!.waited, 'unknown');
  });

  it('a call that may fail (cmd, err := start()) returns no child on its error path', () => {
    const make = fn('make', [spawn('c', 10, 0, ['parent', 'failed']), { op: 'if', cond: { k: 'is', h: 'c', outcomes: ['failed'] }, then: [{ op: 'return', values: [null], at: L(11) }], else: [] }, { op: 'return', values: ['c'], at: L(12) }]);
    const caller = (mayFail: boolean) =>
      fn('run', [
        spawn('d', 19, 1, ['parent']),
        { op: 'call', fn: 'make', args: [], into: 'x', at: L(20), mayFail },
        { op: 'if', cond: { k: 'is', h: 'x', outcomes: ['failed'] }, then: [{ op: 'return', values: [], at: L(21) }], else: [] },
        wait('x', 22),
        wait('d', 23),
      ]);
    const a = analyze(prog([make, caller(true)], 2));
    assert.equal(a.verdicts.get(0)!.waited, 'yes');
    // The error path is a real path: the other child is lost on it.
    assert.match(a.verdicts.get(1)!.reason, /returns at line 21/);
    // Without it the error test on a value that cannot fail ends the path: nothing is seen there.
    assert.equal(analyze(prog([make, caller(false)], 2)).verdicts.get(1)!.waited, 'yes');
  });

  it('a keyed condition takes the same branch each time it is tested (if write { start } ... if !write { return })', () => {
    const w = (truth: boolean, key?: string): Cond => (truth ? { k: 'opaque', key } : { k: 'not', c: { k: 'opaque', key } });
    const body = (key?: string): Node[] => [
      { op: 'if', cond: w(true, key), then: [spawn('c', 10, 0, ['parent'])], else: [] },
      { op: 'if', cond: w(false, key), then: [{ op: 'return', values: [], at: L(12) }], else: [] },
      { op: 'if', cond: w(true, key), then: [wait('c', 13)], else: [] },
    ];
    assert.equal(verdict(prog([fn('f', body('write'))])).waited, 'yes');
    // Unkeyed (the variable may have changed), both branches are possible each time: lost at line 12.
    const v = verdict(prog([fn('f', body())]));
    assert.equal(v.waited, 'no');
    assert.match(v.reason, /returns at line 12/);
  });

  it('a child pending at a loop that never ends is never waited for (cmd.Start(); for { sleep })', () => {
    const v = verdict(prog([fn('serve', [spawn('c', 10, 0, ['parent']), { op: 'loop', infinite: true, body: [], at: L(11) }])]));
    assert.equal(v.waited, 'no');
    assert.match(v.reason, /serve never returns \(the loop at line 11 never ends\)/);
    // A wait on the way out of the loop (by a return) covers it.
    const ok = verdict(prog([fn('serve', [spawn('c', 10, 0, ['parent']), { op: 'loop', infinite: true, at: L(11), body: [{ op: 'if', cond: { k: 'opaque' }, then: [wait('c', 12), { op: 'return', values: [], at: L(13) }], else: [] }] }])]));
    assert.equal(ok.waited, 'yes');
  });
});
