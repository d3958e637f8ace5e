/**
 * Entry point of the integration tier, loaded INSIDE the real extension host (code-server's, via
 * scripts/run-integration.mjs, or VS Code desktop's via scripts/run-electron.mjs) as
 * `extensionTestsPath`. It runs every out/test/integration/**\/*.test.js with mocha (BDD:
 * describe/it) and reports:
 *   - env PI_TEST_RESULTS set (code-server): the results as JSON in that file, written once at the
 *     end (atomically), plus one JSON line per finished test in `${PI_TEST_RESULTS}.progress` so
 *     the runner can print progress live. code-server's extension host exits 0 whatever run()
 *     does, so this file is the only channel.
 *   - always: run() rejects when a test failed, which is how @vscode/test-electron sees failures.
 * env PI_TEST_GREP: only tests whose full title matches this regular expression.
 */
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export interface TestResult {
  fullTitle: string;
  file?: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export interface Results {
  passes: number;
  failures: number;
  pending: number;
  tests: TestResult[];
  /** Set when mocha could not even start (a suite failed to load, ...). */
  error?: string;
}

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.js') ? [p] : [];
  }).sort();
}

function writeAtomically(file: string, text: string): void {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack || `${err.name}: ${err.message}`;
  return String(err);
}

export async function run(): Promise<void> {
  const resultsFile = process.env.PI_TEST_RESULTS;
  const progress = (r: TestResult): void => {
    if (resultsFile) fs.appendFileSync(`${resultsFile}.progress`, JSON.stringify(r) + '\n');
  };
  const results: Results = { passes: 0, failures: 0, pending: 0, tests: [] };
  const record = (r: TestResult): void => {
    results.tests.push(r);
    if (r.state === 'passed') results.passes++;
    else if (r.state === 'failed') results.failures++;
    else results.pending++;
    progress(r);
  };

  try {
    const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
    if (process.env.PI_TEST_GREP) mocha.grep(new RegExp(process.env.PI_TEST_GREP));
    for (const f of testFiles(__dirname)) mocha.addFile(f);
    await mocha.loadFilesAsync();
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      runner.on('pass', (t) => record({ fullTitle: t.fullTitle(), file: t.file, state: 'passed', durationMs: t.duration }));
      runner.on('pending', (t) => record({ fullTitle: t.fullTitle(), file: t.file, state: 'pending' }));
      // 'fail' also fires for hooks (before/after...): they count as failures under their own title.
      runner.on('fail', (t, err) => record({ fullTitle: t.fullTitle(), file: t.file, state: 'failed', durationMs: t.duration, error: errorText(err) }));
    });
    if (results.tests.length === 0) {
      results.error = `no tests found under ${__dirname}`;
    }
  } catch (err) {
    results.error = errorText(err);
  }
  if (results.error) record({ fullTitle: 'integration tier setup', state: 'failed', error: results.error });
  if (resultsFile) writeAtomically(resultsFile, JSON.stringify(results, null, 2));
  if (results.failures > 0) {
    throw new Error(`${results.failures} integration test(s) failed`);
  }
}
