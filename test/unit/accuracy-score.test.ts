/**
 * The arithmetic of the accuracy benchmark (bench/lib/accuracy-score.mjs): which judgement covers
 * which warning, which reported leak got a warning, the clippy agreement, precision and recall
 * per language, and the targets. The benchmark itself needs the fetched repositories and is not
 * part of the suite; this holds what it computes from them, on a small fixture of pointers made
 * up here (no repository is read).
 */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

interface Warning {
  repo: string;
  commit?: string;
  language?: string;
  path: string;
  line: number;
  api?: string;
  reason?: string;
  lineKey?: string;
}
interface Judgement {
  repo: string;
  path: string;
  line: number;
  code: string;
  lineKey?: string;
  verdict: 'leak' | 'false';
  kind?: string;
}
interface Leak {
  repo: string;
  commit: string;
  language: string;
  path: string;
  line: number;
  endLine?: number;
  lineKey?: string;
}
interface Case {
  path: string;
  line: number;
  endLine?: number;
  expect: 'lint' | 'none';
  argued?: string;
}
interface Row {
  warnings: number;
  leak: number;
  false: number;
  unjudged: number;
  precision: number | null;
  leaks: number;
  found: number;
  recall: number | null;
}
interface Score {
  languages: Record<string, Row>;
  total: Row;
  unjudged: Warning[];
  falseWarnings: { warning: Warning; judgement: Judgement; how: string }[];
  missedLeaks: Leak[];
  clippy: { cases: (Case & { ours: string; agree: boolean })[]; agree: number; disagree: Case[] };
  targets: { precision: { pass: boolean; value: number | null }; recall: { pass: boolean; value: number | null }; clippy: { pass: boolean; unargued: number } };
}
interface ScoreLib {
  lineKey(text: string): string;
  family(language: string): string;
  matchJudgements(warnings: Warning[], judgements: Judgement[], near?: number): { judgement: Judgement | null; how: string | null }[];
  leakFound(leak: Leak, warnings: Warning[]): boolean;
  clippyAgreement(cases: Case[], warnings: Warning[]): (Case & { ours: string; agree: boolean })[];
  score(input: { corpusWarnings: Warning[]; judgements: Judgement[]; leakWarnings?: Warning[]; leaks?: Leak[]; clippyCases?: Case[]; clippyWarnings?: Warning[] }): Score;
  pct(x: number | null): string;
}

const REPO = path.resolve(__dirname, '../../..');
/** bench/ is ESM; this tier is compiled to CommonJS, so load it with import(). */
const load = () => import(pathToFileURL(path.join(REPO, 'bench/lib/accuracy-score.mjs')).href) as Promise<ScoreLib>;

describe('accuracy benchmark scoring (bench/lib/accuracy-score.mjs)', function () {
  let lib: ScoreLib;
  before(async function () {
    lib = await load();
  });

  it('keys a line by its text, blind to white space, and never holds the text', function () {
    assert.equal(lib.lineKey('  cmd.Start()\t'), lib.lineKey('cmd.Start()'));
    assert.equal(lib.lineKey('a  =  b'), lib.lineKey('a = b'));
    assert.notEqual(lib.lineKey('cmd.Start()'), lib.lineKey('cmd.Run()'));
    assert.match(lib.lineKey('cmd.Start()'), /^[0-9a-f]{12}$/);
  });

  it('groups C with C++ and JS with TS', function () {
    assert.equal(lib.family('cpp'), 'c');
    assert.equal(lib.family('typescript'), 'js');
    assert.equal(lib.family('go'), 'go');
  });

  it('matches a judgement by line, then by the line text when it moved, then within 3 lines', function () {
    const k = lib.lineKey('x := exec.Command("a").Start()');
    const judgements: Judgement[] = [
      { repo: 'o/r', path: 'a.go', line: 10, code: 'exec.Cmd.Start', verdict: 'false' },
      { repo: 'o/r', path: 'a.go', line: 50, code: 'exec.Cmd.Start', lineKey: k, verdict: 'leak' },
      { repo: 'o/r', path: 'a.go', line: 80, code: 'exec.Cmd.Start', verdict: 'false' },
      { repo: 'o/r', path: 'b.go', line: 10, code: 'exec.Cmd.Start', verdict: 'leak' },
    ];
    const warnings: Warning[] = [
      { repo: 'o/r', path: 'a.go', line: 10, api: 'exec.Cmd.Start' }, // same line
      { repo: 'o/r', path: 'a.go', line: 61, api: 'exec.Cmd.Start', lineKey: k }, // moved 11 lines, same text
      { repo: 'o/r', path: 'a.go', line: 82, api: 'exec.Cmd.Start' }, // moved 2 lines
      { repo: 'o/r', path: 'a.go', line: 90, api: 'exec.Cmd.Start' }, // nothing within 3 lines is left
      { repo: 'o/x', path: 'b.go', line: 10, api: 'exec.Cmd.Start' }, // another repository
    ];
    const m = lib.matchJudgements(warnings, judgements);
    assert.deepEqual(m.map((x) => x.how), ['line', 'text', 'near', null, null]);
    assert.equal(m[1].judgement, judgements[1]);
    assert.equal(m[2].judgement, judgements[2]);
  });

  it('gives each judgement to one warning only, the nearest', function () {
    const judgements: Judgement[] = [{ repo: 'o/r', path: 'a.c', line: 20, code: 'fork', verdict: 'false' }];
    const warnings: Warning[] = [
      { repo: 'o/r', path: 'a.c', line: 22, api: 'fork' },
      { repo: 'o/r', path: 'a.c', line: 21, api: 'fork' },
    ];
    const m = lib.matchJudgements(warnings, judgements);
    assert.equal(m[0].judgement, null);
    assert.equal(m[1].judgement, judgements[0]);
  });

  it('finds a leak by a warning on any line of its call, at its own commit only', function () {
    const leak: Leak = { repo: 'o/r', commit: 'c1', language: 'rust', path: 'm.rs', line: 36, endLine: 46 };
    assert.equal(lib.leakFound(leak, [{ repo: 'o/r', commit: 'c1', path: 'm.rs', line: 46 }]), true);
    assert.equal(lib.leakFound(leak, [{ repo: 'o/r', commit: 'c1', path: 'm.rs', line: 47 }]), false);
    assert.equal(lib.leakFound(leak, [{ repo: 'o/r', commit: 'c2', path: 'm.rs', line: 40 }]), false);
    assert.equal(lib.leakFound({ ...leak, lineKey: 'abc' }, [{ repo: 'o/r', commit: 'c1', path: 'm.rs', line: 90, lineKey: 'abc' }]), true);
  });

  it('agrees with a clippy case when we warn exactly where clippy lints', function () {
    const cases: Case[] = [
      { path: 't.rs', line: 14, expect: 'lint' },
      { path: 't.rs', line: 21, expect: 'none' },
      { path: 't.rs', line: 204, endLine: 207, expect: 'lint' },
      { path: 't.rs', line: 176, expect: 'none' },
    ];
    const r = lib.clippyAgreement(cases, [{ repo: 'c', path: 't.rs', line: 14 }, { repo: 'c', path: 't.rs', line: 206 }, { repo: 'c', path: 't.rs', line: 176 }]);
    assert.deepEqual(r.map((c) => [c.ours, c.agree]), [['lint', true], ['none', true], ['lint', true], ['lint', false]]);
  });

  it('computes precision over judged warnings and recall over leaks, per language and in total', function () {
    const judgements: Judgement[] = [
      { repo: 'g/1', path: 'a.go', line: 1, code: 'Start', verdict: 'leak' },
      { repo: 'g/1', path: 'a.go', line: 2, code: 'Start', verdict: 'false', kind: 'platform' },
      { repo: 'g/1', path: 'a.go', line: 3, code: 'Start', verdict: 'false', kind: 'platform' },
      { repo: 'c/1', path: 'x.cpp', line: 9, code: 'fork', verdict: 'leak' },
    ];
    const corpusWarnings: Warning[] = [
      { repo: 'g/1', language: 'go', path: 'a.go', line: 1, api: 'Start' },
      { repo: 'g/1', language: 'go', path: 'a.go', line: 2, api: 'Start' },
      { repo: 'g/1', language: 'go', path: 'a.go', line: 3, api: 'Start' },
      { repo: 'g/1', language: 'go', path: 'a.go', line: 40, api: 'Start' }, // unjudged
      { repo: 'c/1', language: 'cpp', path: 'x.cpp', line: 9, api: 'fork' },
    ];
    const leaks: Leak[] = [
      { repo: 'g/2', commit: 'p', language: 'go', path: 'b.go', line: 5 },
      { repo: 'g/2', commit: 'p', language: 'go', path: 'b.go', line: 9 },
      { repo: 'r/2', commit: 'q', language: 'rust', path: 'm.rs', line: 3 },
    ];
    const leakWarnings: Warning[] = [{ repo: 'g/2', commit: 'p', path: 'b.go', line: 5 }, { repo: 'r/2', commit: 'q', path: 'm.rs', line: 3 }];
    const s = lib.score({ corpusWarnings, judgements, leakWarnings, leaks });
    assert.deepEqual(Object.keys(s.languages), ['c', 'go', 'rust']);
    const go = s.languages.go;
    assert.deepEqual([go.warnings, go.leak, go.false, go.unjudged, go.leaks, go.found], [4, 1, 2, 1, 2, 1]);
    assert.equal(go.precision, 1 / 3); // the unjudged warning is in neither count
    assert.equal(go.recall, 1 / 2);
    assert.equal(s.languages.c.precision, 1);
    assert.equal(s.languages.c.recall, null); // no leaks reported for C here
    assert.equal(s.languages.rust.precision, null);
    assert.equal(s.languages.rust.recall, 1);
    assert.deepEqual([s.total.warnings, s.total.leak, s.total.false, s.total.unjudged], [5, 2, 2, 1]);
    assert.equal(s.total.precision, 0.5);
    assert.equal(s.total.recall, 2 / 3);
    assert.deepEqual(s.unjudged.map((w) => w.line), [40]);
    assert.deepEqual(s.falseWarnings.map((f) => f.judgement.kind), ['platform', 'platform']);
    assert.deepEqual(s.missedLeaks.map((l) => l.line), [9]);
  });

  it('passes a target only when it is met: no unjudged warning, 95% recall, every clippy disagreement argued', function () {
    const judgements: Judgement[] = Array.from({ length: 10 }, (_, i) => ({ repo: 'g/1', path: 'a.go', line: i + 1, code: 'Start', verdict: i < 9 ? 'leak' as const : 'false' as const }));
    const corpusWarnings: Warning[] = judgements.map((j) => ({ repo: 'g/1', language: 'go', path: 'a.go', line: j.line, api: 'Start' }));
    const leaks: Leak[] = Array.from({ length: 20 }, (_, i) => ({ repo: 'g/2', commit: 'p', language: 'go', path: 'b.go', line: i + 1 }));
    const leakWarnings: Warning[] = leaks.slice(0, 19).map((l) => ({ repo: 'g/2', commit: 'p', path: 'b.go', line: l.line }));
    const clippyCases: Case[] = [{ path: 't.rs', line: 1, expect: 'lint' }, { path: 't.rs', line: 2, expect: 'none', argued: 'clippy cannot see the helper that waits' }];
    const clippyWarnings: Warning[] = [{ repo: 'c', path: 't.rs', line: 1 }, { repo: 'c', path: 't.rs', line: 2 }];
    let s = lib.score({ corpusWarnings, judgements, leakWarnings, leaks, clippyCases, clippyWarnings });
    assert.equal(s.targets.precision.pass, true); // 9/10 = 90%
    assert.equal(s.targets.recall.pass, true); // 19/20 = 95%
    assert.equal(s.targets.clippy.pass, true); // one disagreement, argued
    s = lib.score({ corpusWarnings: [...corpusWarnings, { repo: 'g/1', language: 'go', path: 'a.go', line: 99, api: 'Start' }], judgements, leakWarnings: leakWarnings.slice(1), leaks, clippyCases: [clippyCases[0], { ...clippyCases[1], argued: ' ' }], clippyWarnings });
    assert.equal(s.targets.precision.pass, false); // still 90%, but one warning is unjudged
    assert.equal(s.targets.recall.pass, false); // 18/20
    assert.equal(s.targets.clippy.pass, false); // a blank argument is none
    assert.equal(s.targets.clippy.unargued, 1);
  });

  it('prints ratios as percentages', function () {
    assert.equal(lib.pct(null), 'n/a');
    assert.equal(lib.pct(0), '0%');
    assert.equal(lib.pct(0.0625), '6.3%');
    assert.equal(lib.pct(2 / 3), '67%');
    assert.equal(lib.pct(1), '100%');
  });
});
