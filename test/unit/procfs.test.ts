import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { decodeWaitStatus, parseCmdline, parseStat, parseStatus, ProcParseError } from '../../src/platform/procfs';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/proc');
const fixture = (name: string, file: string) => fs.readFileSync(path.join(FIXTURES, name, file));

describe('procfs parsers on /proc files captured from a real Linux 6.18', () => {
  it('reads a zombie whose name is ") (x" (split at the last ")")', () => {
    const s = parseStat(fixture('zombie-paren-comm', 'stat'));
    assert.equal(s.comm, ') (x');
    assert.equal(s.state, 'Z');
    assert.equal(s.ppid, 20139);
    assert.equal(s.exitStatus, 0);
    assert.equal(s.commHex, undefined);
  });

  it('reads a zombie whose name holds a newline, a tab and a space', () => {
    const s = parseStat(fixture('zombie-newline-comm', 'stat'));
    assert.equal(s.comm, 'a\nb\tc d');
    assert.equal(s.pid, 20151);
    assert.equal(s.ppid, 20139);
    assert.equal(s.pgid, 20135);
    assert.equal(s.sid, 1064);
    assert.equal(s.threads, 1);
    assert.equal(s.startTicks, 87346);
  });

  it('keeps the exact bytes of a UTF-8 name cut mid-character at 15 bytes', () => {
    const s = parseStat(fixture('zombie-utf8-cut', 'stat'));
    const expected = Buffer.from('a僵尸进程进程').subarray(0, 15); // 'a' + 4 characters + 2 bytes of the 5th
    assert.equal(s.commHex, expected.toString('hex'));
    assert.ok(s.comm.startsWith('a僵尸进程'), s.comm);
  });

  it('reads a kernel thread (ppid 0) and a Go process paused by Delve (state t)', () => {
    const k = parseStat(fixture('kthreadd', 'stat'));
    assert.deepEqual([k.pid, k.comm, k.ppid, k.state], [2, 'kthreadd', 0, 'S']);
    const g = parseStat(fixture('go-paused-by-dlv', 'stat'));
    assert.deepEqual([g.comm, g.state], ['goleak', 't']);
  });

  it('tells SIGCHLD handling from status: Go catches it, Python leaves it default, Delve traces', () => {
    const go = parseStatus(fixture('go-parent-running', 'status').toString());
    assert.deepEqual(go.sigchld, { disposition: 'caught', blocked: false });
    assert.equal(go.tracerPid, 0);
    assert.equal(go.threads, 4);
    const py = parseStatus(fixture('python-parent-sleeping', 'status').toString());
    assert.deepEqual(py.sigchld, { disposition: 'default', blocked: false });
    assert.deepEqual(py.nspid, [20139]);
    assert.equal(py.uid, 0);
    const dlv = parseStatus(fixture('go-paused-by-dlv', 'status').toString());
    assert.equal(dlv.tracerPid, 20290);
  });

  it('decodes SIGCHLD ignored and blocked from the masks', () => {
    const base = 'Name:\tx\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n';
    assert.equal(parseStatus(base.replace('SigIgn:\t0000000000000000', 'SigIgn:\t0000000000010000')).sigchld?.disposition, 'ignored');
    const blocked = parseStatus(base.replace('SigBlk:\t0000000000000000', 'SigBlk:\tfffffffe7ffbfeff').replace('SigCgt:\t0000000000000000', 'SigCgt:\t0000000000010000'));
    assert.deepEqual(blocked.sigchld, { disposition: 'caught', blocked: true });
    // Signal 16 (bit 15) and 18 (bit 17) are not SIGCHLD.
    assert.equal(parseStatus(base.replace('SigCgt:\t0000000000000000', 'SigCgt:\t0000000000028000')).sigchld?.disposition, 'default');
  });

  it('splits a command line at NULs', () => {
    assert.deepEqual(parseCmdline(fixture('python-parent-sleeping', 'cmdline')).slice(0, 2), ['/usr/bin/python3', 'test/fixtures/programs/zombie_maker.py']);
    assert.deepEqual(parseCmdline(Buffer.from('a b\0c\0')), ['a b', 'c']);
    assert.deepEqual(parseCmdline(Buffer.alloc(0)), []);
  });

  it('decodes wait statuses: exit codes, signals, core dumps', () => {
    assert.deepEqual(decodeWaitStatus(0), { raw: 0, code: 0 });
    assert.deepEqual(decodeWaitStatus(3 << 8), { raw: 768, code: 3 });
    assert.deepEqual(decodeWaitStatus(9), { raw: 9, signal: 9, coreDumped: false });
    assert.deepEqual(decodeWaitStatus(0x80 | 11), { raw: 139, signal: 11, coreDumped: true });
  });

  it('rejects malformed stat with a clear error', () => {
    for (const bad of ['', '12 noparen S 1', '12 (x)', '12 (x) Z 1 2 3', 'x (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20', '12 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 ab 20']) {
      assert.throws(() => parseStat(Buffer.from(bad)), ProcParseError, JSON.stringify(bad));
    }
  });
});

describe('parseStat property test: any name, any numbers', () => {
  // A stat line as the kernel prints it (fs/proc/array.c): 52 fields, comm of 1..15 bytes of
  // anything but NUL. Some fields are signed (priority, nice, tty_nr, tpgid are printed as %d).
  const commBytes = fc.uint8Array({ minLength: 0, maxLength: 15 }).map((a) => Buffer.from(a.map((b) => (b === 0 ? 0x29 : b))));
  const u32 = fc.integer({ min: 0, max: 2 ** 31 - 1 });
  const line = fc.record({
    pid: fc.integer({ min: 1, max: 4194304 }),
    comm: commBytes,
    state: fc.constantFrom('R', 'S', 'D', 'Z', 'T', 't', 'X', 'I'),
    ppid: fc.integer({ min: 0, max: 4194304 }),
    pgid: u32,
    sid: u32,
    threads: fc.integer({ min: 1, max: 100000 }),
    start: fc.integer({ min: 0, max: 2 ** 50 }),
    exit: fc.integer({ min: 0, max: 65535 }),
    rest: fc.array(fc.integer({ min: -100, max: 2 ** 40 }), { minLength: 52, maxLength: 52 }),
  });

  it('recovers every field exactly from 2,000 generated lines', () => {
    fc.assert(
      fc.property(line, (l) => {
        const f = l.rest.map(String);
        f[4 - 1] = String(l.ppid);
        f[5 - 1] = String(l.pgid);
        f[6 - 1] = String(l.sid);
        f[20 - 1] = String(l.threads);
        f[22 - 1] = String(l.start);
        f[52 - 1] = String(l.exit);
        const bytes = Buffer.concat([Buffer.from(`${l.pid} (`), l.comm, Buffer.from(`) ${l.state} ${f.slice(3).join(' ')}\n`)]);
        const s = parseStat(bytes);
        assert.equal(s.pid, l.pid);
        assert.equal(s.state, l.state);
        assert.equal(s.ppid, l.ppid);
        assert.equal(s.pgid, l.pgid);
        assert.equal(s.sid, l.sid);
        assert.equal(s.threads, l.threads);
        assert.equal(s.startTicks, l.start);
        assert.equal(s.exitStatus, l.exit);
        const got = s.commHex !== undefined ? Buffer.from(s.commHex, 'hex') : Buffer.from(s.comm, 'utf8');
        assert.deepEqual(got, l.comm);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the fields after comm as proc(5) splits them, whatever their number or content', () => {
    // parseStat matches a well-formed line with a regex and reads any other with a loop; both
    // must agree with the plain definition: fields split at single spaces, field 3 the state,
    // 4-6, 20, 22 and 52 decimal where present, at least 22 fields.
    const token = fc.oneof(
      fc.integer({ min: -(2 ** 31), max: 2 ** 40 }).map(String),
      fc.constantFrom('', '-', 'ab', '1x', '\t1', '(x', '0', '-0', '18446744073709551615'),
    );
    const wanted = [4, 5, 6, 20, 22, 52];
    fc.assert(
      fc.property(fc.array(token, { minLength: 15, maxLength: 60, size: 'max' }), fc.constantFrom('', ' ', '  '), (tokens, tail) => {
        const rest = ['S', ...tokens].join(' ') + tail;
        const line = Buffer.from(`42 (name) ${rest}\n`);
        const t = rest.split(' ');
        if (rest.endsWith(' ')) t.pop();
        const field = (k: number) => t[k - 3];
        const bad = t.length + 2 < 22 || wanted.some((k) => k - 3 < t.length && !/^-?\d+$/.test(field(k)));
        if (bad) {
          assert.throws(() => parseStat(line), ProcParseError, rest);
          return;
        }
        const s = parseStat(line);
        assert.deepEqual(
          [s.ppid, s.pgid, s.sid, s.threads, s.startTicks, s.exitStatus],
          [...[4, 5, 6, 20, 22].map((k) => Number(field(k))), t.length >= 50 ? Number(field(52)) : undefined],
          rest,
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('reads a line longer than any kernel writes (a fake procfs) through the careful parser, with the same fields', () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = 'Z';
    const line = (comm: string) => Buffer.from(`77 (${comm}) ${fields.join(' ')}\n`);
    const short = parseStat(line(') ('.repeat(10)));
    const long = parseStat(line(') ('.repeat(1000)));
    assert.equal(long.comm, ') ('.repeat(1000));
    assert.deepEqual({ ...long, comm: '' }, { ...short, comm: '' });
    assert.deepEqual([long.ppid, long.threads, long.startTicks, long.exitStatus], [4, 20, 22, 52]);
  });

  it('never throws anything but ProcParseError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (a) => {
        try {
          parseStat(Buffer.from(a));
        } catch (e) {
          assert.ok(e instanceof ProcParseError, String(e));
        }
      }),
      { numRuns: 3000 },
    );
  });
});
