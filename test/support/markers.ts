/**
 * The spawn-site fixtures say on each spawning line what they expect, in a trailing comment:
 * `LEAK` (never waited), `OK` (waited), `UNKNOWN` (the handle escapes). Tests read the expected
 * lines and verdicts from there, never from numbers written twice.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type MarkedVerdict = 'yes' | 'no' | 'unknown';

/** The verdict the comment on line `line` (1-based) of `root/file` announces, if any. */
export function markedVerdict(root: string, file: string, line: number): MarkedVerdict | undefined {
  const text = fs.readFileSync(path.join(root, file), 'utf8').split('\n')[line - 1] ?? '';
  if (/\bLEAK\b/.test(text)) return 'no';
  if (/\bUNKNOWN\b/.test(text)) return 'unknown';
  if (/\bOK\b/.test(text)) return 'yes';
  return undefined;
}

/** Asserts that every [file, line, api, waited] row agrees with the marker on its line, where there is one. */
export function assertAgreesWithMarkers(root: string, rows: readonly (readonly [string, number, string, string, ...unknown[]])[]): void {
  for (const [file, line, , waited] of rows) {
    const m = markedVerdict(root, file, line);
    if (m) assert.equal(waited, m, `${file}:${line}`);
  }
}

/** The 1-based number of the one line of `file` that matches `marker` (fails unless exactly one does). */
export function markedLine(file: string, marker: RegExp): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const hits = lines.flatMap((text, i) => (marker.test(text) ? [i + 1] : []));
  assert.equal(hits.length, 1, `${file}: one line matching ${marker}, found ${hits.length}`);
  return hits[0];
}
