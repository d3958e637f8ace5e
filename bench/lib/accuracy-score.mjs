// The arithmetic of the accuracy benchmark (bench/accuracy.mjs), apart from everything that
// reads git or runs the index, so that a unit test (test/unit/accuracy-score.test.ts) can hold it:
//   - which judgement (bench/accuracy/judged.json) covers which warning of today's run,
//   - which reported leak (bench/accuracy/leaks.json) got a warning,
//   - which case of clippy's zombie_processes tests (bench/accuracy/clippy.json) we agree with,
//   - precision and recall per language, and the verdict on the targets of issue 10.
// A warning is a site of `sites --json` whose "waited" is "no". Pure functions of their arguments.
import { createHash } from 'node:crypto';

/** Issue 10's targets. */
export const TARGETS = { precision: 0.9, recall: 0.95 };

/** How far (in lines) a judgement may have moved from its warning and still cover it. */
export const NEAR = 3;

/**
 * A pointer to a line's text that holds no code: the first 12 hex digits of the SHA-1 of the
 * line with its runs of white space made one space and its ends trimmed. A warning whose line
 * moved (an edit above it, a re-pinned commit) still finds its judgement through it.
 */
export function lineKey(text) {
  return createHash('sha1').update(String(text).replace(/\s+/g, ' ').trim()).digest('hex').slice(0, 12);
}

/** The language families the report is grouped by: C and C++ are one, as are JS and TS. */
export function family(language) {
  if (language === 'cpp' || language === 'c') return 'c';
  if (language === 'javascript' || language === 'typescript' || language === 'tsx') return 'js';
  return language;
}

const within = (w, start, end) => w.line >= start && w.line <= (end ?? start);

/**
 * Pairs each warning with at most one judgement of the same repository and path, and each
 * judgement with at most one warning, best evidence first: the same line (same API first), then
 * the same line text (lineKey, same API, nearest), then the same API within NEAR lines (nearest).
 * The commit is not compared: a judgement made at an older pin still covers its line when the
 * text is the same.
 *
 * warnings:   [{ repo, path, line, api, lineKey? }]
 * judgements: [{ repo, path, line, code, lineKey?, verdict, ... }]
 * Returns an array parallel to `warnings`: { judgement, how } with how one of 'line', 'text',
 * 'near', or judgement null and how null.
 */
export function matchJudgements(warnings, judgements, near = NEAR) {
  const out = warnings.map(() => ({ judgement: null, how: null }));
  const used = new Set();
  const byFile = new Map();
  for (const j of judgements) {
    const k = `${j.repo}\0${j.path}`;
    if (!byFile.has(k)) byFile.set(k, []);
    byFile.get(k).push(j);
  }
  const passes = [
    ['line', (w, j) => j.line === w.line && j.code === w.api],
    ['line', (w, j) => j.line === w.line],
    ['text', (w, j) => w.lineKey !== undefined && j.lineKey === w.lineKey && j.code === w.api],
    ['near', (w, j) => Math.abs(j.line - w.line) <= near && j.code === w.api],
  ];
  for (const [how, fits] of passes) {
    // Every fitting pair of this pass, nearest first, so that of two warnings wanting one
    // judgement the nearer gets it whatever their order.
    const pairs = [];
    warnings.forEach((w, i) => {
      if (out[i].judgement) return;
      for (const j of byFile.get(`${w.repo}\0${w.path}`) ?? []) if (!used.has(j) && fits(w, j)) pairs.push([Math.abs(j.line - w.line), i, j]);
    });
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (const [, i, j] of pairs) {
      if (out[i].judgement || used.has(j)) continue;
      used.add(j);
      out[i] = { judgement: j, how };
    }
  }
  return out;
}

/**
 * Whether a reported leak got a warning: a warning of the same repository, commit and path on a
 * line of the leaking call (line..endLine), or, if its line moved, on a line with the same text.
 */
export function leakFound(leak, warnings) {
  return warnings.some((w) => w.repo === leak.repo && w.commit === leak.commit && w.path === leak.path
    && (within(w, leak.line, leak.endLine) || (leak.lineKey !== undefined && w.lineKey === leak.lineKey)));
}

/**
 * Our verdict on each case of clippy's tests: we "lint" when a warning falls on the case's lines.
 * cases: [{ path, line, endLine?, expect: 'lint' | 'none', ... }]; warnings: those of the clippy
 * run ({ path, line }). Returns the cases with { ours, agree }.
 */
export function clippyAgreement(cases, warnings) {
  return cases.map((c) => {
    const ours = warnings.some((w) => w.path === c.path && within(w, c.line, c.endLine)) ? 'lint' : 'none';
    return { ...c, ours, agree: ours === c.expect };
  });
}

const ratio = (a, b) => (b === 0 ? null : a / b);

/**
 * The whole score.
 *   corpusWarnings: warnings of the mature corpus ({ repo, commit, language, path, line, api,
 *                   reason, lineKey }), judged by `judgements`;
 *   leakWarnings:   warnings of the runs at the leaks' commits (only for recall);
 *   leaks:          leaks.json's entries ({ repo, commit, language, path, line, endLine?, ... });
 *   clippyCases / clippyWarnings: as for clippyAgreement (clippyCases may be empty).
 * Returns { languages: { [family]: Row }, total: Row, unjudged, falseWarnings, leakWarnings (the
 * judged true ones), missedLeaks, foundLeaks, clippy: { cases, agree, disagree }, targets }
 * where Row = { warnings, leak, false, unjudged, precision, leaks, found, recall }.
 */
export function score({ corpusWarnings, judgements, leakWarnings = [], leaks = [], clippyCases = [], clippyWarnings = [] }) {
  const rows = new Map();
  const row = (lang) => {
    if (!rows.has(lang)) rows.set(lang, { warnings: 0, leak: 0, false: 0, unjudged: 0, precision: null, leaks: 0, found: 0, recall: null });
    return rows.get(lang);
  };
  const matched = matchJudgements(corpusWarnings, judgements);
  const unjudged = [];
  const falseWarnings = [];
  const trueWarnings = [];
  corpusWarnings.forEach((w, i) => {
    const r = row(family(w.language));
    r.warnings++;
    const { judgement, how } = matched[i];
    if (!judgement) {
      r.unjudged++;
      unjudged.push(w);
    } else if (judgement.verdict === 'leak') {
      r.leak++;
      trueWarnings.push({ warning: w, judgement, how });
    } else {
      r.false++;
      falseWarnings.push({ warning: w, judgement, how });
    }
  });
  const missedLeaks = [];
  const foundLeaks = [];
  for (const leak of leaks) {
    const r = row(family(leak.language));
    r.leaks++;
    if (leakFound(leak, leakWarnings)) {
      r.found++;
      foundLeaks.push(leak);
    } else {
      missedLeaks.push(leak);
    }
  }
  const total = { warnings: 0, leak: 0, false: 0, unjudged: 0, precision: null, leaks: 0, found: 0, recall: null };
  for (const r of rows.values()) {
    for (const k of ['warnings', 'leak', 'false', 'unjudged', 'leaks', 'found']) total[k] += r[k];
    r.precision = ratio(r.leak, r.leak + r.false);
    r.recall = ratio(r.found, r.leaks);
  }
  total.precision = ratio(total.leak, total.leak + total.false);
  total.recall = ratio(total.found, total.leaks);
  const cases = clippyAgreement(clippyCases, clippyWarnings);
  const disagree = cases.filter((c) => !c.agree);
  const languages = Object.fromEntries([...rows.entries()].sort(([a], [b]) => a.localeCompare(b)));
  return {
    languages,
    total,
    unjudged,
    falseWarnings,
    trueWarnings,
    missedLeaks,
    foundLeaks,
    clippy: { cases, agree: cases.length - disagree.length, disagree },
    targets: verdicts(total, cases, disagree),
  };
}

/**
 * The targets of issue 10, PASS or MISS: precision >= 90% on the corpus (with nothing unjudged:
 * an unjudged warning could be either), recall >= 95% on the reported leaks, and every clippy
 * case agreed with unless its disagreement is argued (a non-empty `argued` on the case).
 */
export function verdicts(total, cases, disagree) {
  const unargued = disagree.filter((c) => !(typeof c.argued === 'string' && c.argued.trim()));
  return {
    precision: { value: total.precision, target: TARGETS.precision, pass: total.unjudged === 0 && total.precision !== null && total.precision >= TARGETS.precision },
    recall: { value: total.recall, target: TARGETS.recall, pass: total.recall !== null && total.recall >= TARGETS.recall },
    clippy: { agree: cases.length - disagree.length, cases: cases.length, unargued: unargued.length, pass: cases.length > 0 && unargued.length === 0 },
  };
}

/** "83%" (one decimal below 10%), or "n/a" for no ratio. */
export function pct(x) {
  if (x === null || x === undefined) return 'n/a';
  const p = x * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}
