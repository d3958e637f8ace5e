// A small library around a real VS Code: code-server (VS Code 1.100.3 workbench + Node extension
// host, installed offline by scripts/setup.sh) driven by Debian's Chromium through playwright-core.
// Used by the integration tier (run-integration.mjs), the UI tier (test/ui/**) and the demo.
//
// Why code-server and not @vscode/test-electron: test-electron downloads VS Code at test time,
// which cannot work on a machine without internet. code-server ships the same workbench and
// extension host on npm (see ../shared/FACTS.md, or scripts/setup.sh for how it is installed).
//
//   const cs = await startCodeServer({ folder, extensions: [dir], env });
//   const url = devUrl(cs, { folder, extensionDevelopmentPath, extensionTestsPath });
//   const chrome = await launchChromium();  await chrome.page.goto(url);
//   ...; await chrome.close(); await cs.stop();
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, readFileSync, rmSync, cpSync, symlinkSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Repository root (absolute, no trailing slash). */
export const root = resolve(new URL('..', import.meta.url).pathname);

export const CODE_SERVER_VERSION = '4.100.3';
export const CHROMIUM = process.env.PI_CHROMIUM || '/usr/bin/chromium';

/** Settings written into every fresh user-data-dir: quiet, offline, nothing that pops up over screenshots. */
export const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none', // no Welcome page / walkthrough in screenshots
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false, // the gallery is unreachable here
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'git.openRepositoryInParentFolders': 'never', // demo/ lives inside this repo: no "open parent repo?" toast
  'git.autoRepositoryDetection': false,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'debug.internalConsoleOptions': 'neverOpen',
  'terminal.integrated.enablePersistentSessions': false,
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
};

const log = (...a) => { if (!process.env.PI_QUIET) console.error('[codeserver]', ...a); };

/**
 * The code-server package directory (…/node_modules/code-server). Order: the argument, env
 * PI_CODE_SERVER, the setup cache, and when none exists and `install` is true, runs
 * scripts/setup.sh (idempotent) and takes the path it prints on its last stdout line.
 */
export function findCodeServer({ path = process.env.PI_CODE_SERVER, install = true } = {}) {
  const usable = (p) => p && existsSync(join(p, 'out/node/entry.js'));
  if (path) {
    if (!usable(path)) throw new Error(`no code-server at ${path} (out/node/entry.js missing)`);
    return path;
  }
  const cacheRoot = join(process.env.PI_CACHE || join(homedir(), '.cache/process-inspector'), `code-server-${CODE_SERVER_VERSION}`);
  const cached = join(cacheRoot, 'node_modules/code-server');
  // .complete is written by setup.sh only after every step succeeded.
  if (existsSync(join(cacheRoot, '.complete')) && usable(cached)) return cached;
  if (!install) throw new Error(`code-server not installed; run: bash scripts/setup.sh`);
  log('code-server missing: running scripts/setup.sh (a few minutes, once)');
  const out = execFileSync('bash', [join(root, 'scripts/setup.sh')], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const printed = out.trim().split('\n').pop();
  if (!usable(printed)) throw new Error(`setup.sh printed ${JSON.stringify(printed)}, not a code-server dir`);
  return printed;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => res(port)); });
  });
}

/** True when something accepts connections on 127.0.0.1:port. */
export async function portInUse(port) {
  const { connect } = await import('node:net');
  return new Promise((res) => {
    const s = connect({ host: '127.0.0.1', port }, () => { s.destroy(); res(true); });
    s.on('error', () => res(false));
  });
}

/** `publisher.name-version`, the folder name VS Code uses in an extensions dir. */
export function extensionFolderName(extDir) {
  const pkg = JSON.parse(readFileSync(join(extDir, 'package.json'), 'utf8'));
  return `${pkg.publisher}.${pkg.name}-${pkg.version}`.toLowerCase();
}

/** What a user's install of the built extension holds (what `vsce package` would pack, minus junk). */
export const BUILT_EXTENSION_FILES = ['package.json', 'dist', 'media', 'README.md', 'LICENSE', 'CHANGELOG.md'];

/**
 * Puts the extension at `srcDir` into `extensionsDir` as publisher.name-version.
 * `files`: copy only these entries (e.g. ['package.json','dist','media']), the way a .vsix holds
 * them; without it, a symlink to srcDir (the test debuggers extension: plain JS, nothing to build).
 */
export function installExtension(extensionsDir, srcDir, { files } = {}) {
  mkdirSync(extensionsDir, { recursive: true });
  const dest = join(extensionsDir, extensionFolderName(srcDir));
  rmSync(dest, { recursive: true, force: true });
  if (!files) { symlinkSync(resolve(srcDir), dest, 'dir'); return dest; }
  mkdirSync(dest);
  for (const f of files) {
    if (!existsSync(join(srcDir, f))) continue;
    cpSync(join(srcDir, f), join(dest, f), { recursive: true, dereference: true, filter: (p) => !p.endsWith('.vsix') });
  }
  return dest;
}

/**
 * Starts code-server detached (its own process group, so stop() ends it and its children: the
 * file watcher and extension host survive a kill of the main PID alone).
 * @param {object} o
 * @param {string} o.folder       folder to open (also the default `?folder=` of `url`)
 * @param {number} [o.port]       default: a free port
 * @param {(string|{dir:string, files?:string[]})[]} [o.extensions] extensions to put into the fresh
 *   extensions dir before code-server starts (a dir: symlinked; {dir, files}: those files copied, see
 *   installExtension). Installing later makes the workbench restart its extension host.
 * @param {object} [o.settings]   merged over DEFAULT_SETTINGS
 * @param {object} [o.env]        extra environment; the extension host inherits it (PI_TEST_RESULTS…)
 * @param {string} [o.codeServer] path to the code-server package (see findCodeServer)
 * @param {boolean} [o.keep]      keep the temp dirs after stop() (debugging)
 * @returns {Promise<{port:number, url:string, base:string, pid:number, dir:string, userDataDir:string,
 *   extensionsDir:string, logFile:string, logTail:(n?:number)=>string, stop:()=>Promise<void>,
 *   exited:Promise<{code:number|null, sig:string|null}>}>}
 */
export async function startCodeServer(o) {
  const codeServer = findCodeServer({ path: o.codeServer });
  const port = o.port || await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pi-codeserver-'));
  const userDataDir = join(dir, 'user-data');
  const extensionsDir = o.extensionsDir || join(dir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify({ ...DEFAULT_SETTINGS, ...o.settings }, null, 2));
  for (const ext of o.extensions || []) {
    if (typeof ext === 'string') installExtension(extensionsDir, ext);
    else installExtension(extensionsDir, ext.dir, { files: ext.files });
  }
  // Our own config file: code-server otherwise writes ~/.config/code-server/config.yaml with a password.
  const config = join(dir, 'config.yaml');
  writeFileSync(config, 'auth: none\ncert: false\n');
  const logFile = join(dir, 'code-server.log');
  const fd = openSync(logFile, 'a');
  // PI_CS_LOG=trace: code-server's own log level (its file watcher says what it watches and sees).
  const args = [join(codeServer, 'out/node/entry.js'),
    '--config', config, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened', ...(process.env.PI_CS_LOG ? ['--log', process.env.PI_CS_LOG] : []), resolve(o.folder)];
  const env = { ...process.env, ...o.env };
  delete env.PORT; // code-server reads $PORT and would override --bind-addr
  delete env.VSCODE_IPC_HOOK_CLI; // when run from a VS Code terminal: don't talk to that VS Code
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], env, cwd: root });
  closeSync(fd);
  let exited = null;
  /** Resolves with {code, sig} when the main code-server process exits. */
  const exitedPromise = new Promise((res) => child.on('exit', (code, sig) => { exited = { code, sig }; res(exited); }));
  const pid = child.pid;
  const logTail = (n = 40) => { try { return readFileSync(logFile, 'utf8').split('\n').slice(-n).join('\n'); } catch { return ''; } };

  // If this Node process dies without calling stop(), still take the group down with it.
  const onExit = () => { try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ } };
  process.on('exit', onExit);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off('exit', onExit);
    try { process.kill(-pid, 'SIGTERM'); } catch { /* gone */ }
    for (let i = 0; i < 50 && groupAlive(pid); i++) await sleep(100);
    if (groupAlive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  };

  // Ready when /healthz answers; code-server is usually up in under a second.
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (o.startTimeoutMs || 60_000);
  for (;;) {
    if (exited) { const t = logTail(); await stop(); throw new Error(`code-server exited (${JSON.stringify(exited)}) before serving:\n${t}`); }
    try { const r = await fetch(`${base}/healthz`); if (r.ok) break; } catch { /* not yet */ }
    if (Date.now() > deadline) { const t = logTail(); await stop(); throw new Error(`code-server did not serve on ${base} within the timeout:\n${t}`); }
    await sleep(100);
  }
  const url = `${base}/?folder=${encodeFolder(o.folder)}`;
  return { port, base, url, pid, dir, userDataDir, extensionsDir, logFile, logTail, stop, exited: exitedPromise };
}

/** True while any process of the group `pgid` exists. */
function groupAlive(pgid) {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}

/**
 * The URL that opens `folder` with a development extension and (optionally) an extension-host
 * test module, the same contract as test-electron's --extensionDevelopmentPath/--extensionTestsPath.
 */
export function devUrl(cs, { folder, extensionDevelopmentPath = root, extensionTestsPath } = {}) {
  const remote = (p) => `vscode-remote://127.0.0.1:${cs.port}${resolve(p)}`;
  const payload = [['extensionDevelopmentPath', remote(extensionDevelopmentPath)]];
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  return `${cs.base}/?folder=${encodeFolder(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/**
 * Debian's Chromium through playwright-core (never `playwright install`: it downloads a browser),
 * with a fresh profile. Returns { context, page, close() }; close() also deletes the profile.
 * `consoleErrors` collects the page's console errors (handy in failure messages).
 */
export async function launchChromium({ headless = !process.env.PI_HEADFUL, viewport = { width: 1400, height: 900 } } = {}) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'pi-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless, viewport, args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] || await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  const close = async () => {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, consoleErrors, close };
}

/** An absolute folder path for `?folder=`, readable: slashes stay as they are. */
function encodeFolder(folder) {
  return encodeURIComponent(resolve(folder)).replace(/%2F/g, '/');
}
