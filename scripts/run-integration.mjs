// Integration tier: runs the mocha suites of test/integration INSIDE a real VS Code extension host
// (code-server 4.100.3 = VS Code 1.100.3), with this checkout as the development extension and
// the test debug adapters (test/fixtures/debuggers) installed.
//
//   npm run test:integration            (builds first)
//   PI_TEST_GREP='Delve' node scripts/run-integration.mjs
//
// How: code-server opens demo/ with the extensionDevelopmentPath/extensionTestsPath payload in
// Chromium; the extension host calls run() of out/test/integration/index.js, which writes its
// results to $PI_TEST_RESULTS (the host inherits code-server's env). The host exits 0 whatever
// happens, so that file is the only verdict: no file within the timeout = failure.
//
// Prints one line per test as results arrive and ends with exactly `N passed, N failed`.
// Env: PI_IT_TIMEOUT_MS (default 600000), PI_COUNTS_FILE (write {passed,failed,skipped} there,
// used by test-all.mjs), PI_KEEP=1 (keep code-server's temp dir and log).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, statSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { root, startCodeServer, devUrl, launchChromium } from './codeserver.mjs';

const timeoutMs = Number(process.env.PI_IT_TIMEOUT_MS || 600_000);
const testsEntry = join(root, 'out/test/integration/index.js');
const workspace = join(root, 'demo');
// A private results file per run: several runs may share this checkout (other engineers, CI).
// The final results are copied to test-results/integration.json for people and CI artifacts.
const resultsDir = join(root, 'test-results');
const resultsFile = join(mkdtempSync(join(tmpdir(), 'pi-integration-')), 'results.json');

// `npm run test:integration` builds first; a direct run may not have.
if (!existsSync(testsEntry) || !existsSync(join(root, 'dist/extension.js'))) {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
}
mkdirSync(resultsDir, { recursive: true });

const started = Date.now();
let cs, chrome, results;
const printed = { lines: 0 };
const icon = { passed: '✓', failed: '✗', pending: '-' };

function printResult(r) {
  const ms = r.durationMs !== undefined ? ` (${r.durationMs} ms)` : '';
  console.log(`  ${icon[r.state]} ${r.fullTitle}${r.state === 'pending' ? ' (skipped)' : ms}`);
  if (r.error) console.log(r.error.split('\n').slice(0, 12).map((l) => `      ${l}`).join('\n'));
}

/** Prints the results the host has appended to the progress file since last time. */
function printProgress() {
  const p = `${resultsFile}.progress`;
  if (!existsSync(p)) return;
  const lines = readFileSync(p, 'utf8').split('\n').filter(Boolean);
  for (const l of lines.slice(printed.lines)) printResult(JSON.parse(l));
  printed.lines = lines.length;
}

let exitCode = 1;
try {
  cs = await startCodeServer({
    folder: workspace,
    extensions: [join(root, 'test/fixtures/debuggers')],
    env: { PI_TEST_RESULTS: resultsFile, PI_HOST: 'code-server' },
    keep: !!process.env.PI_KEEP,
  });
  console.log(`integration: code-server ${cs.base} (pid ${cs.pid}), log ${cs.logFile}`);
  chrome = await launchChromium();
  await chrome.page.goto(devUrl(cs, { folder: workspace, extensionDevelopmentPath: root, extensionTestsPath: testsEntry }));

  // Wait for the verdict; print progress meanwhile.
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(resultsFile) || statSync(resultsFile).size === 0) {
    printProgress();
    if (Date.now() > deadline) throw new Error(`no results in ${resultsFile} after ${timeoutMs} ms`);
    await sleep(250);
  }
  printProgress();
  results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  copyFileSync(resultsFile, join(resultsDir, 'integration.json'));
  // Anything the progress stream missed (it should not) is printed from the final file.
  for (const r of results.tests.slice(printed.lines)) printResult(r);
  exitCode = results.failures === 0 && results.passes > 0 ? 0 : 1;
} catch (e) {
  console.log(`  ✗ integration tier: ${e.message}`);
  if (cs) console.log(`--- code-server log (tail) ---\n${cs.logTail(60)}`);
  if (chrome?.consoleErrors.length) console.log(`--- browser console errors ---\n${chrome.consoleErrors.slice(-20).join('\n')}`);
} finally {
  await chrome?.close();
  await cs?.stop();
  rmSync(dirname(resultsFile), { recursive: true, force: true });
}

const passed = results?.passes ?? 0;
// No results at all counts as one failure so that a broken tier is never "0 passed, 0 failed".
const failed = results ? results.failures : 1;
const skipped = results?.pending ?? 0;
if (process.env.PI_COUNTS_FILE) writeFileSync(process.env.PI_COUNTS_FILE, JSON.stringify({ passed, failed, skipped }));
console.log(`integration tier: ${((Date.now() - started) / 1000).toFixed(1)} s${skipped ? `, ${skipped} skipped` : ''}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(exitCode);
