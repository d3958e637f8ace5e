// `npm test`: every check this repository has, in order, with one verdict at the end.
//
//   build        node scripts/build.mjs                 counts as 1 test
//   typecheck    npm run typecheck (tsc --noEmit)        counts as 1 test
//   lint         npm run lint (eslint)                   counts as 1 test
//   unit         mocha --config .mocharc.unit.json       each test
//   integration  scripts/run-integration.mjs             each test (inside code-server's extension host)
//   ui           mocha --config .mocharc.ui.json         each test (Chromium + code-server)
//
// Every step runs even when an earlier one failed, so one run shows everything that is wrong.
// Counts come from files the runners write (test/support/count-reporter.cjs for mocha,
// PI_COUNTS_FILE for run-integration.mjs), never from parsing human output. A step that exits
// non-zero without reporting a failure counts one failure more, so a crash is never green.
//
// The last line is exactly `N passed, N failed` (what CI reads). Exit code 1 if anything failed.
//   node scripts/test-all.mjs [--only unit,lint,...]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const mocha = join(root, 'node_modules/mocha/bin/mocha.js');
const reporter = join(root, 'test/support/count-reporter.cjs');

/** kind 'check': pass/fail by exit code, counts as one test. kind 'tier': counts from PI_COUNTS_FILE. */
const steps = [
  { name: 'build', kind: 'check', cmd: [process.execPath, join(root, 'scripts/build.mjs')] },
  { name: 'typecheck', kind: 'check', cmd: [npm, 'run', '--silent', 'typecheck'] },
  { name: 'lint', kind: 'check', cmd: [npm, 'run', '--silent', 'lint'] },
  { name: 'unit', kind: 'tier', cmd: [process.execPath, mocha, '--config', '.mocharc.unit.json', '--reporter', reporter] },
  { name: 'integration', kind: 'tier', cmd: [process.execPath, join(root, 'scripts/run-integration.mjs')] },
  { name: 'ui', kind: 'tier', cmd: [process.execPath, mocha, '--config', '.mocharc.ui.json', '--reporter', reporter] },
];

const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1].split(',')) : undefined;
const tmp = mkdtempSync(join(tmpdir(), 'pi-test-all-'));

function run(cmd, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd[0], cmd.slice(1), { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('error', (e) => { console.error(`cannot start ${cmd.join(' ')}: ${e.message}`); resolve(127); });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

const rows = [];
for (const step of steps) {
  if (only && !only.has(step.name)) continue;
  console.log(`\n=== ${step.name}: ${step.cmd.map((a) => a.replace(root, '')).join(' ')}`);
  const started = Date.now();
  const countsFile = join(tmp, `${step.name}.json`);
  const code = await run(step.cmd, { PI_COUNTS_FILE: countsFile, FORCE_COLOR: process.env.FORCE_COLOR ?? '0' });
  const secs = (Date.now() - started) / 1000;
  let passed = 0, failed = 0, skipped = 0, note = '';
  if (step.kind === 'check') {
    if (code === 0) passed = 1; else failed = 1;
  } else if (existsSync(countsFile)) {
    ({ passed, failed, skipped = 0 } = JSON.parse(readFileSync(countsFile, 'utf8')));
    if (code !== 0 && failed === 0) { failed = 1; note = `exit ${code} with no failed test`; }
  } else {
    failed = 1;
    note = `exit ${code}, no counts reported`;
  }
  rows.push({ name: step.name, passed, failed, skipped, secs, note });
}
rmSync(tmp, { recursive: true, force: true });

const total = rows.reduce((t, r) => ({ passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped }), { passed: 0, failed: 0, skipped: 0 });
console.log('\n=== summary');
for (const r of rows) {
  console.log(`${r.failed ? '✗' : '✓'} ${r.name.padEnd(12)} ${String(r.passed).padStart(4)} passed ${String(r.failed).padStart(3)} failed` +
    `${r.skipped ? ` ${r.skipped} skipped` : ''}  ${r.secs.toFixed(1)} s${r.note ? `  (${r.note})` : ''}`);
}
if (total.skipped) console.log(`${total.skipped} skipped`);
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed || !rows.length ? 1 : 0);
