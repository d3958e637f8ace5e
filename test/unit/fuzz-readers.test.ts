/**
 * Issue 12: a property test for each reader of outside input. Random, truncated and spliced
 * bytes go into the /proc parsers (stat, status, cmdline, uptime), the Linux reader on a whole
 * fake procfs, the saved-index decoder and the .gitignore parser: none may throw anything but
 * its documented error. (/proc/PID/limits has no reader on this branch.)
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { ProcessNotFoundError, ProcessTableError } from '../../src/core/model';
import { LinuxProcessSource } from '../../src/platform/linux';
import { parseCmdline, parseStat, parseStatus, parseUptime, ProcParseError } from '../../src/platform/procfs';
import { GitIgnore } from '../../src/spawnsites/gitignore';
import { decodeSnapshot, readSnapshotFile, SNAPSHOT_FORMAT } from '../../src/spawnsites/snapshot';
import { healthyTree, makeProc, STATUS, statLine } from '../support/fakeproc';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/proc');
const real = (name: string, file: string) => fs.readFileSync(path.join(FIXTURES, name, file));
const REAL_STATUS = real('go-parent-running', 'status');
const REAL_STAT = real('zombie-newline-comm', 'stat');

/** Random bytes, or a real file cut short, or a real file with random bytes spliced in. */
const damaged = (realBytes: Buffer) =>
  fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
    fc.nat(realBytes.length).map((n) => realBytes.subarray(0, n)),
    fc.tuple(fc.nat(realBytes.length), fc.uint8Array({ minLength: 1, maxLength: 40 })).map(([at, junk]) => Buffer.concat([realBytes.subarray(0, at), Buffer.from(junk), realBytes.subarray(at)])),
  );

describe('fuzz: readers of outside input never throw (issue 12)', function () {
  this.timeout(120000);

  it('parseStat: only ProcParseError, on random, truncated and spliced stat files', () => {
    fc.assert(
      fc.property(damaged(REAL_STAT), (b) => {
        try {
          const s = parseStat(b);
          assert.ok(Number.isFinite(s.pid) && typeof s.comm === 'string');
        } catch (e) {
          assert.ok(e instanceof ProcParseError, String(e));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('parseStatus: never throws, and every field it sets has its type', () => {
    fc.assert(
      fc.property(damaged(REAL_STATUS), (b) => {
        const f = parseStatus(b.toString('utf8'));
        for (const k of ['uid', 'tracerPid', 'threads'] as const) if (f[k] !== undefined) assert.ok(Number.isSafeInteger(f[k]) && f[k]! >= 0, k);
        if (f.nspid) assert.ok(f.nspid.every((n) => Number.isSafeInteger(n)));
        if (f.sigchld) assert.ok(['default', 'caught', 'ignored'].includes(f.sigchld.disposition) && typeof f.sigchld.blocked === 'boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('parseCmdline and parseUptime: strings out, or ProcParseError for uptime', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (a) => {
        const b = Buffer.from(a);
        assert.ok(parseCmdline(b).every((x) => typeof x === 'string'));
        try {
          assert.ok(Number.isFinite(parseUptime(b.toString('latin1'))));
        } catch (e) {
          assert.ok(e instanceof ProcParseError, String(e));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('the Linux reader on a fake procfs of damaged files: a snapshot (or its documented errors), never anything else', () => {
    const files = fc.record({ stat: damaged(Buffer.from(statLine({ pid: 20, comm: 'w', ppid: 10 }))), status: damaged(Buffer.from(STATUS(20, 10))), cmdline: fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)) });
    const dirs: string[] = [];
    try {
      fc.assert(
        fc.property(files, files, fc.oneof(fc.constant(Buffer.from('100.5 200.1\n')), fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a))), (a, b, uptime) => {
          const tree = { ...healthyTree(), 20: a, 21: { ...b, stat: Buffer.from(b.stat.toString('latin1').replace(/^\d+/, '21'), 'latin1') } };
          const dir = makeProc(tree, uptime);
          dirs.push(dir);
          let source: LinuxProcessSource;
          try {
            source = new LinuxProcessSource({ procRoot: dir });
          } catch (e) {
            assert.ok(e instanceof ProcessTableError, String(e));
            return;
          }
          const snap = source.readAll();
          assert.ok(snap.processes.has(10) && snap.processes.has(11), 'the healthy processes stay');
          source.details(snap.processes.values());
          for (const root of [20, 21, 10]) {
            try {
              source.readSubtree(root);
            } catch (e) {
              assert.ok(e instanceof ProcessNotFoundError, String(e));
            }
          }
        }),
        { numRuns: 150 },
      );
    } finally {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('decodeSnapshot: random JSON and damaged snapshot files are refused or decoded, never a throw', () => {
    const key = { root: '/ws', options: { ignore: ['node_modules'], gitignore: true, maxFileBytes: 4194304, prefilter: true } };
    // Format 2 (snapshot.ts): a row a directory, [dir, names, numbers (6 a file), extras], and a string table.
    const num = fc.oneof(fc.constant(3 * 8 + 3), fc.nat(), fc.double(), fc.jsonValue());
    const extra = fc.oneof(fc.constant(0), fc.record({ p: fc.oneof(fc.nat(3), fc.jsonValue()), i: fc.oneof(fc.array(fc.nat(3)), fc.jsonValue()), s: fc.jsonValue(), f: fc.jsonValue() }, { requiredKeys: [] }), fc.jsonValue());
    const row = fc.oneof(fc.tuple(fc.oneof(fc.constant(''), fc.constant('a/b'), fc.string()), fc.array(fc.oneof(fc.constant('a.py'), fc.string()), { maxLength: 3 }), fc.array(num, { maxLength: 18 }), fc.array(extra, { maxLength: 3 })), fc.jsonValue());
    const snapshot = fc.record({ format: fc.oneof(fc.constant(SNAPSHOT_FORMAT), fc.jsonValue()), build: fc.jsonValue(), root: fc.oneof(fc.constant('/ws'), fc.jsonValue()), options: fc.oneof(fc.constant(key.options), fc.jsonValue()), strings: fc.oneof(fc.array(fc.string()), fc.jsonValue()), dirs: fc.oneof(fc.array(row), fc.jsonValue()) }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), snapshot), (data) => {
        const r = decodeSnapshot(data, key);
        assert.ok('rejected' in r ? typeof r.rejected === 'string' : r.entries instanceof Map);
      }),
      { numRuns: 3000 },
    );
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-fuzz-snap-'));
    try {
      const file = path.join(tmp, 'x.json');
      const whole = Buffer.from(JSON.stringify({ format: SNAPSHOT_FORMAT, root: '/ws', strings: ['main'], dirs: [['', ['a.py'], [3 * 8 + 3, 1, 2, 3, 4, 5], [0]]] }));
      fc.assert(
        fc.property(damaged(whole), (b) => {
          fs.writeFileSync(file, b);
          const r = readSnapshotFile(file);
          if (r.data !== undefined) decodeSnapshot(r.data, key);
          else assert.equal(typeof r.error, 'string');
        }),
        { numRuns: 1000 },
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('GitIgnore: any text parses, and any path gets an answer', () => {
    const line = fc.oneof(fc.string({ maxLength: 30 }), fc.array(fc.constantFrom('*', '**', '/', '!', '\\', '[', ']', '[!', '[:alpha:]', '?', 'a', ' ', '#', '\r'), { maxLength: 12 }).map((p) => p.join('')));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), fc.string({ maxLength: 40 }), fc.boolean(), (lines, p, isDir) => {
        const verdict = new GitIgnore(lines.join('\n')).decide(p, isDir);
        assert.ok(verdict === undefined || verdict === 'ignored' || verdict === 'included');
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.string({ maxLength: 40 }), (a, p) => {
        new GitIgnore(Buffer.from(a).toString('utf8')).decide(p, false);
      }),
      { numRuns: 1000 },
    );
  });
});
