// `npm run demo`: a real VS Code (code-server) on http://127.0.0.1:PORT with Process Inspector
// installed and the demo/ workspace open, whose launch configs run programs that leak zombies.
//
//   npm run demo                 port $PORT, else 8080, else a free one
//   npm run demo -- --vsix       install the packaged .vsix (npm run package) instead of the build
//
// Steps: setup (idempotent; installs code-server once), build, a fresh user-data-dir and
// extensions dir with the extension plus the test debug adapters (types "go" and "debugpy": the
// marketplace's Go and Python extensions cannot be downloaded here), then code-server in the
// foreground until Ctrl-C / SIGTERM, which stops its whole process group.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { root, startCodeServer, freePort, portInUse, BUILT_EXTENSION_FILES, findCodeServer } from './codeserver.mjs';

const useVsix = process.argv.includes('--vsix');
const say = (m) => console.log(`[demo] ${m}`);

say('setup (installs only what is missing)');
execFileSync('bash', [join(root, 'scripts/setup.sh')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

let extension = { dir: root, files: BUILT_EXTENSION_FILES };
if (useVsix) {
  say('npm run package');
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: 'inherit' });
  extension = null; // installed below with code-server --install-extension
} else {
  say('build');
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}

let port;
if (process.env.PORT) {
  port = Number(process.env.PORT);
  if (await portInUse(port)) { console.error(`[demo] port ${port} (from $PORT) is in use`); process.exit(1); }
} else {
  port = (await portInUse(8080)) ? await freePort() : 8080;
}

const cs = await startCodeServer({
  folder: join(root, 'demo'),
  port,
  extensions: [join(root, 'test/fixtures/debuggers'), ...(extension ? [extension] : [])],
});
if (useVsix) {
  // The same way a user installs a .vsix; code-server picks it up (the window is not open yet).
  execFileSync(process.execPath, [join(findCodeServer(), 'out/node/entry.js'), '--extensions-dir', cs.extensionsDir,
    '--user-data-dir', cs.userDataDir, '--install-extension', join(root, 'process-inspector.vsix')], { stdio: 'inherit' });
}

const line = '='.repeat(78);
console.log(`\n${line}\n  Process Inspector demo is running:\n\n      ${cs.url}\n\n` +
  `  Open it in a browser, then Run and Debug > pick "Go: zombies" (or Python / Node) > F5,\n` +
  `  and watch the Processes view. Ctrl-C stops it.   (code-server log: ${cs.logFile})\n${line}\n`);

let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping code-server (process group ${cs.pid})`);
  await cs.stop();
  process.exit(0);
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGHUP', () => shutdown('SIGHUP'));

// Stay in the foreground; if code-server dies by itself, say so and exit with an error.
const { code, sig } = await cs.exited;
if (!stopping) {
  console.error(`[demo] code-server exited on its own (${sig || code}):\n${cs.logTail(30)}`);
  await cs.stop();
  process.exit(1);
}
