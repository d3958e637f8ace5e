// `npm run test:electron`: the same integration suites as scripts/run-integration.mjs, inside
// desktop VS Code's extension host, through @vscode/test-electron. For machines that can download
// VS Code (test-electron fetches it into .vscode-test/ on first use); it cannot run here (no
// network), so CI runs the code-server runner instead. Both load out/test/integration/index.js.
//
//   npm run test:electron                       VS Code 1.100.3 (what engines.vscode allows)
//   PI_VSCODE_VERSION=stable npm run test:electron
//   PI_TEST_GREP='Delve' npm run test:electron
//
// The demo workspace is opened, and test/fixtures/debuggers (the test-only adapters for types
// "go" and "debugpy") is loaded as a second development extension, as code-server installs it.
// On Linux without a display, run it under xvfb-run. Exit status: 0 when every test passed.
import { runTests } from '@vscode/test-electron';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const testsEntry = join(root, 'out/test/integration/index.js');
if (!existsSync(testsEntry) || !existsSync(join(root, 'dist/extension.js'))) {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
}

const userDataDir = mkdtempSync(join(tmpdir(), 'pi-electron-'));
let code;
try {
  code = await runTests({
    version: process.env.PI_VSCODE_VERSION || '1.100.3',
    extensionDevelopmentPath: [root, join(root, 'test/fixtures/debuggers')],
    extensionTestsPath: testsEntry,
    extensionTestsEnv: { PI_HOST: 'electron', ...(process.env.PI_TEST_GREP ? { PI_TEST_GREP: process.env.PI_TEST_GREP } : {}) },
    launchArgs: [
      join(root, 'demo'),
      '--disable-workspace-trust', // extensions stay off in Restricted Mode otherwise
      '--disable-extensions', // only the development extensions (and built-ins such as js-debug)
      '--skip-welcome',
      '--skip-release-notes',
      `--user-data-dir=${userDataDir}`,
    ],
  });
} catch (e) {
  // runTests rejects when VS Code cannot be downloaded or started, and when a test failed.
  console.error(`test:electron: ${e instanceof Error ? e.message : String(e)}`);
  code = 1;
} finally {
  rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(code);
