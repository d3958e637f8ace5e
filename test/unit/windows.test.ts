/**
 * The Windows reader, on any machine: its JSON and command-line parsers on Win32_Process output
 * captured on real Windows machines, and the reader with PowerShell replaced by a function.
 * Sources: test/fixtures/ps/README.md.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { inspect } from '../../src/core/inspect';
import { ProcessNotFoundError, UnsupportedPlatformError } from '../../src/core/model';
import { createProcessSource } from '../../src/platform';
import { ProcessToolError, type ToolOptions, type ToolResult } from '../../src/platform/tool';
import { CimParseError, cimScript, cimToProcesses, parseCimDate, parseCimJson, splitWindowsCommandLine, WindowsProcessSource, type CimProcess } from '../../src/platform/windows';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/ps');
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

describe('Win32_Process JSON captured from real Windows machines', () => {
  it('reads Windows PowerShell 5.1 output of one row (an object, not an array), date in UTC ms', () => {
    const rows = parseCimJson(fixture('windows-cim-single.json'));
    assert.equal(rows.length, 1);
    const p = cimToProcesses(rows).get(16828)!;
    assert.equal(p.comm, 'Notepad.exe');
    assert.equal(p.ppid, 20256); // its parent is not in this capture: the reported PID is kept
    assert.equal(p.exe, 'C:\\Program Files\\WindowsApps\\Microsoft.WindowsNotepad_11.2607.14.0_x64__8wekyb3d8bbwe\\Notepad\\Notepad.exe');
    // The same run's GetProcessTimes gave FILETIME 134345511710339280 (100 ns since 1601, UTC).
    const fromFiletime = Number(134345511710339280n / 10000n - 11644473600000n);
    assert.equal(p.startTime, fromFiletime);
    assert.equal(p.startTime, 1790077571033);
    assert.equal(p.startTicks, p.startTime);
    assert.equal(p.state, '?');
    assert.equal(p.cmdline, undefined);
  });

  it('reads PowerShell 7 output of an array, with a null command line and \\\\?\\ and \\??\\ paths', () => {
    const rows = parseCimJson(fixture('windows-cim-array.json'));
    const ps = cimToProcesses(rows);
    assert.deepEqual([...ps.keys()], [0, 5112, 34560, 33732]);
    const idle = ps.get(0)!;
    assert.equal(idle.comm, 'System Idle Process');
    assert.equal(idle.cmdline, undefined);
    assert.equal(idle.ppid, -1); // no ParentProcessId in this capture: never a made-up parent
    assert.deepEqual(ps.get(5112)!.cmdline, ['C:\\Program Files\\WindowsApps\\Microsoft.WindowsTerminalPreview_1.12.2931.0_x64__8wekyb3d8bbwe\\WindowsTerminal.exe']);
    assert.deepEqual(ps.get(34560)!.cmdline, ['\\\\?\\C:\\WINDOWS\\system32\\conhost.exe', '--headless', '--width', '80', '--height', '30', '--signal', '0x8e0', '--server', '0x824']);
    assert.deepEqual(ps.get(33732)!.cmdline, ['\\??\\C:\\WINDOWS\\system32\\conhost.exe', '0x4']);
    assert.ok([...ps.values()].every((p) => p.state === '?' && p.startTime === 0));
  });
});

describe('Win32_Process parsing rules', () => {
  it('takes an empty output as no rows, ignores a byte-order mark, refuses what is not the expected JSON', () => {
    assert.deepEqual(parseCimJson(''), []);
    assert.deepEqual(parseCimJson('\uFEFF[{"ProcessId":4,"ParentProcessId":0,"Name":"System"}]').map((r) => r.Name), ['System']);
    assert.throws(() => parseCimJson('Get-CimInstance : Access denied'), CimParseError);
    assert.throws(() => parseCimJson('[{"Name":"x"}]'), /row 0 has no ProcessId/);
    assert.throws(() => parseCimJson('[{"ProcessId":8,"ParentProcessId":"4"}]'), /ParentProcessId is not an integer/);
    assert.throws(() => parseCimJson('[{"ProcessId":8,"CommandLine":["a"]}]'), /CommandLine is not a string/);
  });

  it('reads the three date forms as UTC ms (values written for this test)', () => {
    assert.equal(parseCimDate('/Date(1790077571033)/'), 1790077571033);
    assert.equal(parseCimDate('2026-09-22T13:32:51.0339280+02:00'), Date.UTC(2026, 8, 22, 11, 32, 51, 33));
    assert.equal(parseCimDate('20260922063251.033928-300'), Date.UTC(2026, 8, 22, 11, 32, 51, 33)); // CIM_DATETIME, UTC-5
    assert.equal(parseCimDate(null), undefined);
    assert.equal(parseCimDate('yesterday'), undefined);
  });

  it('never links a child to a younger process that took its dead parent\'s PID (rows written for this test)', () => {
    const rows: CimProcess[] = [
      { ProcessId: 0, ParentProcessId: 0, Name: 'System Idle Process', CreationDate: null },
      { ProcessId: 4, ParentProcessId: 0, Name: 'System', CreationDate: '/Date(1000)/' },
      { ProcessId: 100, ParentProcessId: 4, Name: 'parent.exe', CreationDate: '/Date(5000)/' },
      { ProcessId: 104, ParentProcessId: 100, Name: 'child.exe', CreationDate: '/Date(6000)/' },
      // 108's parent was PID 200, which exited; PID 200 now belongs to a process started later.
      { ProcessId: 108, ParentProcessId: 200, Name: 'orphan.exe', CreationDate: '/Date(7000)/' },
      { ProcessId: 200, ParentProcessId: 4, Name: 'newcomer.exe', CreationDate: '/Date(9000)/' },
    ];
    const ps = cimToProcesses(rows);
    assert.equal(ps.get(104)!.ppid, 100);
    assert.equal(ps.get(108)!.ppid, -1);
    assert.equal(ps.get(200)!.ppid, 4);
    assert.equal(ps.get(0)!.ppid, 0);
    assert.equal(ps.get(4)!.ppid, 0); // the Idle process has no creation date: nothing to compare
  });

  it("splits command lines by the C runtime's rules (the examples of Microsoft's documentation)", () => {
    // "Parsing C command-line arguments", Microsoft C++ documentation, after a program name.
    const cases: [string, string[]][] = [
      ['"a b c" d e', ['a b c', 'd', 'e']],
      ['"ab\\"c" "\\\\" d', ['ab"c', '\\', 'd']],
      ['a\\\\\\b d"e f"g h', ['a\\\\\\b', 'de fg', 'h']],
      ['a\\\\\\"b c d', ['a\\"b', 'c', 'd']],
      ['a\\\\\\\\"b c" d e', ['a\\\\b c', 'd', 'e']],
      ['a"b"" c d', ['ab" c d']],
    ];
    for (const [args, expected] of cases) assert.deepEqual(splitWindowsCommandLine(`prog.exe ${args}`), ['prog.exe', ...expected], args);
    // The program name takes no escapes: up to the closing quote, backslashes kept.
    assert.deepEqual(splitWindowsCommandLine('"C:\\Program Files\\a\\" x'), ['C:\\Program Files\\a\\', 'x']);
    assert.deepEqual(splitWindowsCommandLine('C:\\tools\\x.exe   '), ['C:\\tools\\x.exe']);
    assert.deepEqual(splitWindowsCommandLine(''), []);
  });
});

/** A fake PowerShell: decodes the script, answers with rows (filtered as the script asks). */
function fakePowerShell(rows: CimProcess[], calls: { file: string; script: string; options: ToolOptions }[] = []) {
  return (file: string, args: readonly string[], options: ToolOptions): ToolResult => {
    const script = Buffer.from(args[args.indexOf('-EncodedCommand') + 1], 'base64').toString('utf16le');
    calls.push({ file, script, options });
    const filter = /-Filter "([^"]*)"/.exec(script);
    const wanted = filter ? new Set(filter[1].split(' OR ').map((s) => Number(s.replace('ProcessId=', '')))) : undefined;
    const out = rows.filter((r) => !wanted || wanted.has(r.ProcessId));
    return { status: 0, stdout: Buffer.from(JSON.stringify(out)), stderr: Buffer.alloc(0) };
  };
}

// SYNTHETIC table in the shape the reader asks for.
const ROWS: CimProcess[] = [
  { ProcessId: 4, ParentProcessId: 0, Name: 'System', CreationDate: '/Date(1000)/', ThreadCount: 180 },
  { ProcessId: 5000, ParentProcessId: 4, Name: 'Code.exe', CreationDate: '/Date(2000)/', ExecutablePath: 'C:\\Code\\Code.exe', CommandLine: '"C:\\Code\\Code.exe"', ThreadCount: 40 },
  { ProcessId: 5004, ParentProcessId: 5000, Name: 'node.exe', CreationDate: '/Date(3000)/', CommandLine: 'node.exe "my app.js" --port 3000', ThreadCount: 11 },
  { ProcessId: 5008, ParentProcessId: 5004, Name: 'cmd.exe', CreationDate: '/Date(4000)/', CommandLine: 'cmd.exe /c dir', ThreadCount: 1 },
];

describe('WindowsProcessSource with PowerShell replaced', () => {
  it('runs Windows PowerShell with an encoded script that selects the properties and always prints an array', () => {
    const calls: { file: string; script: string; options: ToolOptions }[] = [];
    const source = new WindowsProcessSource({ run: fakePowerShell(ROWS, calls), powershell: 'powershell.exe' });
    const snap = source.readAll();
    assert.equal(calls[0].file, 'powershell.exe');
    assert.equal(calls[0].script, cimScript());
    assert.match(calls[0].script, /Get-CimInstance -ClassName Win32_Process \| Select-Object ProcessId,ParentProcessId,Name,CreationDate,ExecutablePath,CommandLine,ThreadCount\)/);
    assert.match(calls[0].script, /ConvertTo-Json -InputObject \$p -Compress/);
    assert.match(calls[0].script, /UTF8Encoding/);
    assert.deepEqual(snap.children.get(5000), [5004]);
    const node = snap.processes.get(5004)!;
    assert.deepEqual(node.cmdline, ['node.exe', 'my app.js', '--port', '3000']);
    assert.equal(node.threads, 11);
    assert.equal(node.startTicks, 3000);
  });

  it('has no zombies to show, and says so through its capabilities', () => {
    const source = new WindowsProcessSource({ run: fakePowerShell(ROWS) });
    assert.deepEqual(source.capabilities, { zombies: false, sigchld: false, wchan: false, tracer: false });
    const { diagnosis } = inspect(source);
    assert.deepEqual(diagnosis.zombies, []);
    assert.deepEqual(diagnosis.parents, []);
  });

  it('reads a subtree, one process by a CIM filter, and says "no process" for a PID that does not exist', () => {
    const calls: { file: string; script: string; options: ToolOptions }[] = [];
    const source = new WindowsProcessSource({ run: fakePowerShell(ROWS, calls) });
    assert.deepEqual([...source.readSubtree(5004).processes.keys()].sort((a, b) => a - b), [5004, 5008]);
    assert.equal(source.readProcess(5008)!.comm, 'cmd.exe');
    assert.match(calls[calls.length - 1].script, /-Filter "ProcessId=5008"/);
    assert.equal(source.readProcess(777), undefined);
    assert.throws(() => source.readSubtree(777), ProcessNotFoundError);
  });

  it('details() drops a process that exited or whose PID now names another process', () => {
    const snap = new WindowsProcessSource({ run: fakePowerShell(ROWS) }).readAll();
    const later = ROWS.filter((r) => r.ProcessId !== 5008).map((r) => (r.ProcessId === 5004 ? { ...r, CreationDate: '/Date(8000)/' } : r));
    const gone = new WindowsProcessSource({ run: fakePowerShell(later) }).details([5000, 5004, 5008].map((pid) => snap.processes.get(pid)!));
    assert.deepEqual(
      gone.map((p) => p.pid),
      [5004, 5008],
    );
  });

  const failures: [string, ToolResult, RegExp][] = [
    ['PowerShell missing', { status: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), error: Object.assign(new Error('spawnSync powershell.exe ENOENT'), { code: 'ENOENT' }) }, /was not found/],
    ['a CIM error', { status: 1, stdout: Buffer.alloc(0), stderr: Buffer.from('Get-CimInstance : Access denied \r\nAt line:1 char:1\r\n') }, /exited with status 1: Get-CimInstance : Access denied/],
    ['a timeout', { status: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), error: Object.assign(new Error('ETIMEDOUT'), { code: 'ETIMEDOUT' }) }, /did not answer within 30000 ms/],
    ['output that is not JSON', { status: 0, stdout: Buffer.from('WARNING: something\r\n'), stderr: Buffer.alloc(0) }, /printed what the reader cannot read/],
    ['an empty table', { status: 0, stdout: Buffer.from('[]'), stderr: Buffer.alloc(0) }, /listed no processes/],
  ];
  for (const [what, result, message] of failures) {
    it(`turns ${what} into a clear ProcessToolError`, () => {
      const source = new WindowsProcessSource({ run: () => result });
      assert.throws(() => source.readAll(), (e: unknown) => e instanceof ProcessToolError && e instanceof UnsupportedPlatformError && message.test(e.message) && e.message.includes('cannot read processes on win32: PowerShell (Get-CimInstance Win32_Process) '));
    });
  }

  it('gives the CLI exit 3 and a one-line message when PowerShell fails, and the tree when it works', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) };
    const broken = new WindowsProcessSource({ run: () => ({ status: null, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), error: Object.assign(new Error('x'), { code: 'ENOENT' }) }), powershell: 'powershell.exe' });
    assert.equal(await main(['tree'], io, () => broken), 3);
    assert.equal(err.join(''), 'process-inspector: Process Inspector cannot read processes on win32: PowerShell (Get-CimInstance Win32_Process) was not found\n');
    assert.equal(await main(['tree', '--root', '5000', '--json'], io, () => new WindowsProcessSource({ run: fakePowerShell(ROWS) })), 0);
    const json = JSON.parse(out.join('')) as { processes: { pid: number }[] };
    assert.deepEqual(json.processes.map((p) => p.pid).sort((a, b) => a - b), [5000, 5004, 5008]);
  });

  it('is what the selector picks on win32', () => {
    assert.ok(createProcessSource('win32') instanceof WindowsProcessSource);
  });
});
