/**
 * Proves where the integration tier runs: inside a real VS Code 1.100 extension host (code-server's
 * when started by run-integration.mjs), with this checkout as the development extension.
 */
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { EXTENSION_ID, expectedHost, repoRoot, demo, workspaceFolder } from './support/env';

describe('extension host', () => {
  it('is VS Code 1.100 (the version code-server 4.100.3 ships)', () => {
    assert.match(vscode.version, /^1\.100\./);
  });

  it('is the host the runner started (code-server: web UI, remote Node host)', function () {
    if (expectedHost === 'code-server') {
      assert.strictEqual(vscode.env.uiKind, vscode.UIKind.Web, 'code-server serves the web workbench');
      assert.strictEqual(vscode.env.appHost, 'server-distro', 'code-server reports its host as server-distro');
      // The runner passes PI_TEST_RESULTS to code-server only; seeing it proves we are its child.
      assert.ok(process.env.PI_TEST_RESULTS, 'PI_TEST_RESULTS inherited from code-server');
      assert.strictEqual(vscode.env.appName, 'code-server');
      assert.ok(vscode.env.appRoot.includes('/code-server/lib/vscode'), `appRoot ${vscode.env.appRoot}`);
      // remoteName is code-server's own address: the Node extension host runs on the server side.
      assert.match(vscode.env.remoteName ?? '', /^127\.0\.0\.1:\d+$/);
      assert.ok(process.argv.includes('--type=extensionHost'), `argv ${process.argv.join(' ')}`);
    } else if (expectedHost === 'electron') {
      assert.strictEqual(vscode.env.uiKind, vscode.UIKind.Desktop);
      assert.strictEqual(vscode.env.appHost, 'desktop');
    } else {
      assert.fail(`PI_HOST is ${JSON.stringify(expectedHost)}: run through scripts/run-integration.mjs or run-electron.mjs`);
    }
  });

  it('has the demo workspace open', () => {
    assert.strictEqual(workspaceFolder().uri.fsPath, demo);
  });
});

describe('Process Inspector extension', () => {
  it('is loaded from this checkout as the development extension', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed in this host`);
    assert.strictEqual(path.resolve(ext.extensionPath), repoRoot);
    assert.strictEqual(ext.extensionKind, vscode.ExtensionKind.Workspace);
  });

  it('activates', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
  });

  it('registers its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['processInspector.findZombies', 'processInspector.refresh']) {
      assert.ok(commands.includes(id), `command ${id} is not registered`);
    }
  });

  it('contributes the Processes view to Run and Debug (its focus command runs)', async () => {
    // Every contributed view gets a `<viewId>.focus` command; running it opens the debug container.
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('processInspector.processes.focus'), 'view processInspector.processes is not registered');
    await vscode.commands.executeCommand('processInspector.processes.focus');
  });
});
