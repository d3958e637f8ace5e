// The real-world accuracy benchmark of the spawn-site analysis (issue 10, item 3). Run through
// bench/run.mjs (`npm run bench -- --only accuracy`), or after a build:
//   node bench/accuracy.mjs [--json] [--write-docs] [--keep] [--mirror DIR]
//
// Everything it measures is a pointer in bench/accuracy/ (never copied code):
//   corpus.json  mature public repositories, each pinned by commit;
//   judged.json  every warning the analysis gave on them, judged by reading the code ("leak" or
//                "false", with why), matched to today's warnings by path + API + line, or by the
//                line's text (a hash) when it moved, or within 3 lines;
//   leaks.json   leaks reported upstream: the parent of the fix commit, the leaking call's lines;
//   clippy.json  every case of rust-clippy's zombie_processes UI tests with clippy's verdict.
// For each repository and commit it exports the pinned tree from the mirror that the session's
// `fetch` tool brings (/work/.mirror/OWNER+NAME/repo; --mirror or $ACCURACY_MIRROR for another
// root) into a temporary directory, runs `dist/cli.js sites DIR --json --no-cache` on it (the
// index as a user runs it), and scores the warnings ("waited": "no") with bench/lib/accuracy-score.mjs.
// It never downloads: a repository or commit missing from the mirror is listed with how to bring
// it, and the run is then partial (--write-docs refuses a partial run).
//
// Reports per language: warnings, judged leak / false, UNJUDGED (new warnings no judgement
// covers, with path:line, to be judged by a person), precision (leak / judged), recall over
// leaks.json, and the clippy agreement; then the targets of issue 10, PASS or MISS.
// --json prints the whole score (with a judged.json skeleton for each unjudged warning) on stdout.
// --write-docs rewrites the "## Numbers" section of docs/accuracy.md.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { family, lineKey, pct, score, TARGETS } from './lib/accuracy-score.mjs';
import { writeSection } from './lib/docs.mjs';
import { exportTree } from './lib/git-export.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const DATA = path.join(ROOT, 'bench/accuracy');
const CLI = path.join(ROOT, 'dist/cli.js');
const HEADING = '## Numbers';

// Not strict: bench/run.mjs passes every argument to every benchmark; each takes its own.
const { values: opts } = parseArgs({
  strict: false,
  options: {
    json: { type: 'boolean', default: false },
    'write-docs': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    mirror: { type: 'string' },
  },
});
const MIRROR = opts.mirror ?? process.env.ACCURACY_MIRROR ?? '/work/.mirror';
const COMMAND = 'npm run bench -- --only accuracy';
const log = (s) => process.stderr.write(`[bench:accuracy] ${s}\n`);
const say = opts.json ? log : (s) => process.stdout.write(`${s}\n`);
const fail = (s) => {
  log(s);
  process.exit(2);
};
if (!fs.existsSync(CLI)) fail('dist/cli.js is missing: run `node scripts/build.mjs` first (npm run bench does)');

const readJson = (name) => JSON.parse(fs.readFileSync(path.join(DATA, name), 'utf8'));
const corpus = readJson('corpus.json').repos;
const judgements = readJson('judged.json').judgements;
const leaks = readJson('leaks.json').leaks;
const clippy = readJson('clippy.json');

const gitDir = (repo) => path.join(MIRROR, repo.replace('/', '+'), 'repo');
const short = (commit) => commit.slice(0, 12);
const hasCommit = (repo, commit) => fs.existsSync(gitDir(repo))
  && spawnSync('git', ['--git-dir', gitDir(repo), 'cat-file', '-e', `${commit}^{commit}`]).status === 0;

// ---- The runs: one per (repository, commit, part of the tree). ----
const runs = new Map();
const addRun = (kind, repo, commit, only) => {
  const key = `${repo}@${commit}${only ? `:${only.join(',')}` : ''}`;
  if (!runs.has(key)) runs.set(key, { key, kind, repo, commit, only });
  return key;
};
for (const c of corpus) addRun('corpus', c.repo, c.commit);
for (const l of leaks) addRun('leak', l.repo, l.commit);
const clippyPaths = [...new Set(clippy.cases.map((c) => c.path))];
const clippyKey = addRun('clippy', clippy.repo, clippy.commit, clippyPaths);

const missing = [...runs.values()].filter((r) => !hasCommit(r.repo, r.commit));
const missingRepos = [...new Set(missing.map((r) => r.repo))];
if (missing.length) {
  log(`${missing.length} of ${runs.size} pinned trees are not in ${MIRROR} (${missingRepos.length} repositories); they are left out:`);
  for (const repo of missingRepos) {
    const commits = missing.filter((r) => r.repo === repo).map((r) => short(r.commit));
    log(`  ${repo} @ ${commits.join(', ')}: bring it with the session's fetch tool (github:${repo}), or`);
    log(`      git clone --bare https://github.com/${repo} ${gitDir(repo)}`);
  }
}

if (missing.length === runs.size) fail(`none of the pinned trees is in ${MIRROR}: nothing to measure (see above how to bring them)`);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pi-accuracy-'));
const cleanup = () => {
  if (!opts.keep) fs.rmSync(tmp, { recursive: true, force: true });
};
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

/** Exports one run's tree and runs the index on it; returns its warnings with their line keys. */
async function runOne(run) {
  const dir = path.join(tmp, `${run.repo.replace('/', '+')}@${short(run.commit)}`);
  fs.mkdirSync(dir, { recursive: true });
  const parts = run.only ?? [undefined];
  let files = 0;
  const absent = [];
  for (const part of parts) {
    const r = await exportTree(gitDir(run.repo), run.commit, dir, part);
    files += r.files;
    absent.push(...r.missing);
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, 'sites', dir, '--json', '--no-cache'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 4) throw new Error(`sites ${run.key} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  const sites = JSON.parse(r.stdout).sites;
  const lines = new Map();
  const textOf = (file, line) => {
    if (!lines.has(file)) lines.set(file, fs.readFileSync(path.join(dir, file), 'utf8').split('\n'));
    return lines.get(file)[line - 1] ?? '';
  };
  // A warning is what Problems, SARIF and --check show: an exec in a fork's child is its fork's, not a second one.
  const warnings = sites.filter((s) => s.waited === 'no' && s.childOf === undefined).map((s) => ({
    repo: run.repo, commit: run.commit, language: s.language, path: s.file, line: s.line, api: s.api, reason: s.reason,
    lineKey: lineKey(textOf(s.file, s.line)),
  }));
  // Where a user is told (Problems, SARIF): a Child returned and dropped is reported at the caller, as clippy does.
  let reported = [];
  if (run.key === clippyKey) {
    const sr = spawnSync(process.execPath, [CLI, 'sites', dir, '--sarif', '--no-cache'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (sr.status !== 0 && sr.status !== 4) throw new Error(`sites --sarif ${run.key} exited ${sr.status}: ${sr.stderr.slice(0, 2000)}`);
    reported = JSON.parse(sr.stdout).runs[0].results.map((x) => ({ path: x.locations[0].physicalLocation.artifactLocation.uri, line: x.locations[0].physicalLocation.region.startLine }));
  }
  if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  return { sites: sites.length, all: sites, warnings, reported, files, absent, ms };
}

const results = new Map();
try {
  for (const run of runs.values()) {
    if (missing.includes(run)) continue;
    const r = await runOne(run);
    results.set(run.key, r);
    log(`${run.key.padEnd(70)} ${String(r.sites).padStart(4)} sites ${String(r.warnings.length).padStart(3)} warnings  ${(r.ms / 1000).toFixed(1)} s${r.absent.length ? `  (${r.absent.length} blobs not in the mirror, left out)` : ''}`);
  }
} finally {
  cleanup();
}

// ---- The score. ----
const present = (kind) => [...runs.values()].filter((r) => r.kind === kind && results.has(r.key));
const corpusWarnings = present('corpus').flatMap((r) => results.get(r.key).warnings);
const leakWarnings = present('leak').flatMap((r) => results.get(r.key).warnings);
const presentLeaks = leaks.filter((l) => hasCommit(l.repo, l.commit));
// The clippy cases are compared with where we report (the SARIF results), as clippy's .stderr says where it does.
const clippyWarnings = results.has(clippyKey) ? results.get(clippyKey).reported : [];
const presentRepos = new Set(present('corpus').map((r) => r.repo));
const s = score({
  corpusWarnings,
  judgements: judgements.filter((j) => presentRepos.has(j.repo)),
  leakWarnings,
  leaks: presentLeaks,
  clippyCases: results.has(clippyKey) ? clippy.cases : [],
  clippyWarnings,
});
// What the analysis said on the lines of each missed leak (no site at all, or a verdict other
// than "no"): the most useful line of the report for whoever works on the engine.
for (const l of s.missedLeaks) {
  const run = results.get(`${l.repo}@${l.commit}`);
  const said = run.all.filter((x) => x.file === l.path && x.line >= l.line && x.line <= (l.endLine ?? l.line));
  l.said = said.length ? said.map((x) => `${x.api} at ${x.line}: waited ${x.waited}: ${x.reason}`).join('; ') : 'no spawn site on these lines';
}
const sitesCount = present('corpus').reduce((n, r) => n + results.get(r.key).sites, 0);
const partial = missing.length > 0;

// ---- The readable report. ----
const LANG = { go: 'Go', python: 'Python', c: 'C/C++', rust: 'Rust', js: 'JS/TS' };
const langName = (l) => LANG[l] ?? l;
const tableRows = () => {
  const rows = Object.entries(s.languages).map(([l, r]) => [langName(l), r.warnings, r.leak, r.false, r.unjudged, pct(r.precision), `${r.found}/${r.leaks}`, pct(r.recall)]);
  const t = s.total;
  rows.push(['all', t.warnings, t.leak, t.false, t.unjudged, pct(t.precision), `${t.found}/${t.leaks}`, pct(t.recall)]);
  return rows;
};
const HEAD = ['language', 'warnings', 'leak', 'false', 'unjudged', 'precision', 'leaks found', 'recall'];
const pass = (b) => (b ? 'PASS' : 'MISS');
const where = (w) => `${w.repo} ${w.path}:${w.line}`;

say(`accuracy of the spawn-site analysis: ${present('corpus').length} of ${corpus.length} corpus repositories (${sitesCount} sites), ${presentLeaks.length} of ${leaks.length} reported leaks${partial ? ' (PARTIAL: see the missing ones above)' : ''}`);
const widths = HEAD.map((h, i) => Math.max(h.length, ...tableRows().map((r) => String(r[i]).length)));
for (const r of [HEAD, ...tableRows()]) say(`  ${r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ')}`);
say(`clippy zombie_processes: ${s.clippy.agree}/${s.clippy.cases.length} cases agreed`);
for (const c of s.clippy.disagree) say(`  disagree ${c.path}:${c.line}: clippy ${c.expect}, we ${c.ours} (${c.what})${c.argued ? ` [argued: ${c.argued}]` : ''}`);
const t = s.targets;
say(`targets: precision >= ${pct(TARGETS.precision)} ${pass(t.precision.pass)} (${pct(t.precision.value)}${s.total.unjudged ? `, ${s.total.unjudged} unjudged` : ''}); recall >= ${pct(TARGETS.recall)} ${pass(t.recall.pass)} (${pct(t.recall.value)}); clippy ${pass(t.clippy.pass)} (${t.clippy.agree}/${t.clippy.cases}, ${t.clippy.unargued} disagreements not argued)`);
if (s.unjudged.length) {
  say(`UNJUDGED: ${s.unjudged.length} warnings no judgement covers; read each and add it to bench/accuracy/judged.json (--json gives skeletons):`);
  for (const w of s.unjudged) say(`  ${where(w)} [${w.api}] ${w.reason}`);
}
if (s.missedLeaks.length) {
  say(`missed leaks (${s.missedLeaks.length}):`);
  for (const l of s.missedLeaks) say(`  ${l.repo}@${short(l.commit)} ${l.path}:${l.line}${l.endLine ? `-${l.endLine}` : ''}: ${l.why}\n      the analysis said: ${l.said}`);
}

if (opts.json) {
  const skeleton = (w) => ({ repo: w.repo, commit: w.commit, path: w.path, line: w.line, code: w.api, lineKey: w.lineKey, verdict: 'TODO leak|false', kind: 'TODO (for false)', scope: 'normal|error-path|test', why: `TODO (the analysis says: ${w.reason})` });
  process.stdout.write(`${JSON.stringify({
    partial, missing: missing.map((r) => ({ repo: r.repo, commit: r.commit })), sites: sitesCount,
    languages: s.languages, total: s.total, targets: s.targets,
    unjudged: s.unjudged.map(skeleton),
    falseWarnings: s.falseWarnings.map(({ warning, judgement, how }) => ({ ...pointer(warning), kind: judgement.kind, why: judgement.why, matched: how })),
    leakWarnings: s.trueWarnings.map(({ warning, judgement, how }) => ({ ...pointer(warning), scope: judgement.scope, why: judgement.why, matched: how })),
    missedLeaks: s.missedLeaks, clippy: s.clippy,
  }, null, 2)}\n`);
}

function pointer(w) {
  return { repo: w.repo, commit: w.commit, path: w.path, line: w.line, code: w.api, language: family(w.language) };
}

// ---- docs/accuracy.md ----
if (opts['write-docs']) {
  if (partial) fail('not writing docs/accuracy.md from a partial run: bring the missing repositories first');
  const html = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'); // "<defunct>" is no tag
  const esc = (text) => html(text).replace(/\|/g, '\\|'); // inside a table cell
  const blob = (repo, commit, p, line, end) => `https://github.com/${repo}/blob/${commit}/${p}#L${line}${end ? `-L${end}` : ''}`;
  const md = [];
  md.push(HEADING, '');
  md.push(`Written by \`bench/accuracy.mjs\`: \`${COMMAND} --write-docs\` (it builds first; without \`--write-docs\` it only prints). The analysis measured is the one built from this checkout (\`dist/cli.js sites DIR --json --no-cache\` on each pinned tree), on ${new Date().toISOString().slice(0, 10)}.`);
  md.push('', `Corpus: ${corpus.length} repositories, ${sitesCount} spawn sites; ${leaks.length} reported leaks in ${new Set(leaks.map((l) => l.repo)).size} more repositories; ${clippy.cases.length} clippy cases.`, '');
  md.push('| repository | commit | language | what it runs | sites | warnings |', '|---|---|---|---|---:|---:|');
  for (const c of corpus) {
    const r = results.get(`${c.repo}@${c.commit}`);
    md.push(`| [${c.repo}](https://github.com/${c.repo}/tree/${c.commit}) | ${short(c.commit)} | ${langName(family(c.language))} | ${esc(c.why)} | ${r.sites} | ${r.warnings.length} |`);
  }
  md.push('', 'Warnings by the language of the file that has them:', '');
  md.push(`| ${HEAD.join(' | ')} |`, `|${HEAD.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const r of tableRows()) md.push(`| ${r.join(' | ')} |`);
  md.push('', 'Precision is leak / (leak + false) over the corpus warnings; recall is the reported leaks that got a warning on the leaking call\'s lines, at the parent of their fix.', '');
  md.push('### Targets', '');
  md.push(`- precision >= ${pct(TARGETS.precision)} on mature code: **${pass(t.precision.pass)}** (${pct(t.precision.value)}: ${s.total.leak} of ${s.total.leak + s.total.false} judged warnings are leaks${s.total.unjudged ? `; ${s.total.unjudged} unjudged` : ''})`);
  md.push(`- recall >= ${pct(TARGETS.recall)} on reported leaks: **${pass(t.recall.pass)}** (${pct(t.recall.value)}: ${s.total.found} of ${s.total.leaks})`);
  md.push(`- every clippy zombie_processes case agreed with, or the disagreement argued: **${pass(t.clippy.pass)}** (${t.clippy.agree} of ${t.clippy.cases} agreed; ${t.clippy.unargued} disagreements not argued)`);
  md.push('', '### False warnings, by kind', '');
  const kinds = new Map();
  for (const f of s.falseWarnings) {
    const k = f.judgement.kind ?? 'other';
    if (!kinds.has(k)) kinds.set(k, []);
    kinds.get(k).push(f);
  }
  for (const [k, list] of [...kinds.entries()].sort((a, b) => b[1].length - a[1].length)) {
    md.push(`- **${k}** (${list.length}):`);
    for (const { warning: w, judgement: j } of list) md.push(`  - [${w.repo} ${w.path}:${w.line}](${blob(w.repo, w.commit, w.path, w.line)}) \`${w.api}\`: ${html(j.why)}`);
  }
  if (!s.falseWarnings.length) md.push('None.');
  md.push('', '### Warnings judged real leaks', '');
  for (const { warning: w, judgement: j } of s.trueWarnings) md.push(`- [${w.repo} ${w.path}:${w.line}](${blob(w.repo, w.commit, w.path, w.line)}) (${j.scope}): ${html(j.why)}`);
  if (!s.trueWarnings.length) md.push('None.');
  md.push('', '### Reported leaks', '');
  md.push('| leak (at the parent of the fix) | language | found | fix | report |', '|---|---|---|---|---|');
  const found = new Set(s.foundLeaks);
  for (const l of leaks) md.push(`| [${l.repo} ${l.path}:${l.line}${l.endLine ? `-${l.endLine}` : ''}](${blob(l.repo, l.commit, l.path, l.line, l.endLine)}): ${esc(l.why)} | ${langName(family(l.language))} | ${found.has(l) ? 'yes' : '**missed**'} | [${short(l.fix)}](https://github.com/${l.repo}/commit/${l.fix}) | ${l.report} |`);
  md.push('', '### Missed leaks, and what the analysis said there', '');
  for (const l of s.missedLeaks) md.push(`- [${l.repo} ${l.path}:${l.line}${l.endLine ? `-${l.endLine}` : ''}](${blob(l.repo, l.commit, l.path, l.line, l.endLine)}): ${html(l.why)}. The analysis said: ${html(l.said)}`);
  if (!s.missedLeaks.length) md.push('None.');
  md.push('', '### Clippy\'s zombie_processes cases', '');
  md.push(`[rust-lang/rust-clippy@${short(clippy.commit)}](https://github.com/rust-lang/rust-clippy/tree/${clippy.commit}/tests/ui): ${s.clippy.agree} of ${s.clippy.cases.length} agreed.`, '');
  md.push('| case | clippy | we | agree | what |', '|---|---|---|---|---|');
  for (const c of s.clippy.cases) md.push(`| [${path.basename(c.path)}:${c.line}](${blob(clippy.repo, clippy.commit, c.path, c.line, c.endLine)}) | ${c.expect} | ${c.ours} | ${c.agree ? 'yes' : '**no**'} | ${esc(c.what)}${c.argued ? ` (argued: ${esc(c.argued)})` : ''} |`);
  if (s.unjudged.length) {
    md.push('', '### Unjudged warnings', '');
    for (const w of s.unjudged) md.push(`- [${w.repo} ${w.path}:${w.line}](${blob(w.repo, w.commit, w.path, w.line)}) \`${w.api}\`: ${html(w.reason)}`);
  }
  writeSection(path.join(ROOT, 'docs/accuracy.md'), HEADING, `${md.join('\n')}\n`, '# Accuracy of the spawn-site analysis\n');
  log('docs/accuracy.md: "## Numbers" rewritten');
}
