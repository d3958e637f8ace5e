/**
 * The spawn-site fixtures say on each spawning line what they expect, in a trailing comment:
 * `LEAK` (never waited), `OK` (waited), `UNKNOWN` (the handle escapes). Tests read the expected
 * lines and verdicts from there, never from numbers written twice.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SpawnSiteIndex } from '../../src/spawnsites/index';
import type { SpawnSite } from '../../src/spawnsites/types';

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

/** A site as the per-language fixture tables write it: file relative to `root`, line, api, verdict, program, and with `leak` the leak kind (or null). */
export function siteRow(root: string, s: SpawnSite, leak = false): unknown[] {
  const row: unknown[] = [path.relative(root, s.file), s.line, s.api, s.waited, s.program];
  if (leak) row.push(s.leak ?? null);
  return row;
}

/**
 * The two checks every per-language fixture suite makes, inside its describe(): the index (built
 * in the suite's before hook: hence a getter) finds exactly the `expected` rows, and those rows
 * agree with the LEAK / OK / UNKNOWN comments in the fixtures.
 */
export function itFindsTheMarkedSites(
  root: string,
  index: () => SpawnSiteIndex,
  expected: readonly (readonly [string, number, string, string, ...unknown[]])[],
  opts: { leak?: boolean; verdicts?: string } = {},
): void {
  it(`finds every site at its exact line with ${opts.verdicts ?? 'the right verdict'}, and nothing else`, () => {
    assert.deepEqual(index().sites().map((s) => siteRow(root, s, opts.leak)), expected);
  });

  it('agrees with the LEAK / OK / UNKNOWN comments written in the fixtures', () => {
    assertAgreesWithMarkers(root, expected);
  });
}

/** The site of `index` at `line` of the file whose path ends with `file` (fails when there is none). */
export function siteAt(index: SpawnSiteIndex, file: string, line: number): SpawnSite {
  const site = index.sites().find((s) => s.file.endsWith(file) && s.line === line);
  assert.ok(site, `no site at ${file}:${line}`);
  return site;
}
