/**
 * Reading record files: every line a recorder may leave (whole, torn at the end of a write in
 * progress, damaged by hand), PID reuse, a replaced file, and the property that no input throws.
 */
import * as assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parseRecord, RecordLog, RecordSet } from '../../src/record/log';

function line(o: Record<string, unknown>): string {
  return `${JSON.stringify({ v: 1, ppid: 10, start: 500, time: 1_700_000_000_000, api: 'fork', lang: 'native', stack: [], ...o })}\n`;
}

describe('record files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pi-records-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('matches a record by PID and start time, never by PID alone (a reused PID is another process)', () => {
    const file = join(dir, 'r.jsonl');
    writeFileSync(file, line({ pid: 42, start: 100, stack: [{ file: '/ws/a.c', line: 3 }] }) + line({ pid: 42, start: 900, stack: [{ file: '/ws/b.c', line: 7 }] }));
    const log = new RecordLog(file);
    assert.equal(log.poll(), 2);
    assert.equal(log.find({ pid: 42, startTicks: 100, startTime: 0 })?.stack[0].file, '/ws/a.c');
    assert.equal(log.find({ pid: 42, startTicks: 900, startTime: 0 })?.stack[0].file, '/ws/b.c');
    assert.equal(log.find({ pid: 42, startTicks: 101, startTime: 0 }), undefined, 'same PID, another start: not this record');
    assert.equal(log.find({ pid: 43, startTicks: 100, startTime: 0 }), undefined);
  });

  it('matches a record without a start time by PID and a time within 1.5 s only', () => {
    const file = join(dir, 'r.jsonl');
    writeFileSync(file, line({ pid: 7, start: null, time: 10_000 }));
    const log = new RecordLog(file);
    log.poll();
    assert.ok(log.find({ pid: 7, startTicks: 1, startTime: 9_200 }));
    assert.equal(log.find({ pid: 7, startTicks: 1, startTime: 12_000 }), undefined);
  });

  it('reads only what was appended, keeps a line torn mid-write until it is whole, and counts damaged lines', () => {
    const file = join(dir, 'r.jsonl');
    const log = new RecordLog(file);
    assert.equal(log.poll(), 0, 'no file yet: nothing, no error');
    const torn = line({ pid: 2 });
    appendFileSync(file, line({ pid: 1 }) + torn.slice(0, 20));
    assert.equal(log.poll(), 1, 'the whole line, not the torn one');
    appendFileSync(file, torn.slice(20));
    assert.equal(log.poll(), 1, 'the torn line once it is whole');
    appendFileSync(file, 'not json\n{"v":1}\n' + line({ pid: 3, lang: 'cobol' }) + line({ pid: -4 }) + line({ pid: 5, start: 1.5 }) + line({ pid: 6 }));
    assert.equal(log.poll(), 1);
    assert.equal(log.bad, 5);
    assert.deepEqual(log.records.map((r) => r.pid), [1, 2, 6]);
  });

  it('keeps a multi-byte character cut between two reads whole', () => {
    const file = join(dir, 'r.jsonl');
    const log = new RecordLog(file);
    const text = line({ pid: 9, stack: [{ file: '/ws/ünïcødé/main.go', line: 4, function: 'main.日本' }] });
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from('ü')) + 1; // inside the two bytes of ü
    appendFileSync(file, bytes.subarray(0, cut));
    assert.equal(log.poll(), 0);
    appendFileSync(file, bytes.subarray(cut));
    assert.equal(log.poll(), 1);
    assert.equal(log.records[0].stack[0].file, '/ws/ünïcødé/main.go');
  });

  it('reads a replaced file again from its start', () => {
    const file = join(dir, 'r.jsonl');
    writeFileSync(file, line({ pid: 1 }) + line({ pid: 2 }));
    const log = new RecordLog(file);
    assert.equal(log.poll(), 2);
    writeFileSync(join(dir, 'new'), line({ pid: 3 }));
    renameSync(join(dir, 'new'), file);
    assert.equal(log.poll(), 1);
    assert.deepEqual(log.records.map((r) => r.pid), [3]);
  });

  it('searches several files as one set', () => {
    writeFileSync(join(dir, 'a.jsonl'), line({ pid: 1, start: 5 }));
    writeFileSync(join(dir, 'b.jsonl'), line({ pid: 2, start: 6 }));
    const set = new RecordSet();
    set.add(join(dir, 'a.jsonl'));
    set.add(join(dir, 'b.jsonl'));
    set.add(join(dir, 'a.jsonl'));
    assert.equal(set.size, 2);
    assert.equal(set.poll(), 2);
    assert.equal(set.find({ pid: 2, startTicks: 6, startTime: 0 })?.pid, 2);
    set.remove(join(dir, 'b.jsonl'));
    assert.equal(set.find({ pid: 2, startTicks: 6, startTime: 0 }), undefined);
  });

  it('never throws on any line, and keeps only well-formed fields (property)', () => {
    const field = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.array(fc.anything(), { maxLength: 3 }), fc.object());
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.record({ v: fc.constantFrom(1, 2, '1'), pid: field, ppid: field, start: field, time: field, api: field, lang: fc.constantFrom('go', 'native', 'x'), stack: field }).map((o) => JSON.stringify(o))), (text) => {
        const r = parseRecord(text);
        if (r) {
          assert.ok(Number.isSafeInteger(r.pid) && r.pid > 0);
          assert.ok(r.start === null || Number.isSafeInteger(r.start));
          assert.ok(Array.isArray(r.stack));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
