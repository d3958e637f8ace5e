/**
 * UI-tier helpers: a real VS Code workbench (code-server) in headless Chromium, driven the way a
 * user drives it (activity bar, command palette, view panes), for tests in test/ui/*.test.ts.
 *
 *   const wb = await openWorkbench();                 // demo/ open, built extension installed
 *   const pane = await wb.openProcessesView();         // Run and Debug > Processes, expanded
 *   await wb.startDebugging('Go: zombies');            // Debug: Select and Start Debugging
 *   const rows = await wb.waitForRows((r) => r.some((t) => t.includes('<defunct>')));
 *   await wb.screenshot('processes-zombies', pane);    // docs/screenshots/processes-zombies.png
 *   await wb.stopDebugging(); await wb.close();
 *
 * Rows are read from the DOM (`.monaco-list-row` inside the view's pane). The list is virtual:
 * only rows scrolled into view exist in the DOM.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { BrowserContext, Locator, Page } from 'playwright-core';

export const repoRoot = path.resolve(__dirname, '../../../..');
export const demoDir = path.join(repoRoot, 'demo');
export const screenshotsDir = path.join(repoRoot, 'docs/screenshots');
export const PROCESSES_VIEW_NAME = 'Processes';

/** What scripts/codeserver.mjs returns from startCodeServer (the parts used here). */
export interface CodeServer {
  port: number;
  base: string;
  url: string;
  pid: number;
  extensionsDir: string;
  logFile: string;
  logTail(n?: number): string;
  stop(): Promise<void>;
}

interface CodeServerLib {
  startCodeServer(o: { folder: string; extensions?: (string | { dir: string; files?: string[] })[]; settings?: Record<string, unknown>; env?: Record<string, string> }): Promise<CodeServer>;
  devUrl(cs: CodeServer, o: { folder: string; extensionDevelopmentPath?: string; extensionTestsPath?: string }): string;
  launchChromium(o?: { viewport?: { width: number; height: number } }): Promise<{ context: BrowserContext; page: Page; consoleErrors: string[]; close(): Promise<void> }>;
  BUILT_EXTENSION_FILES: string[];
}

/** scripts/codeserver.mjs is ESM; this tier is compiled to CommonJS, so load it with import(). */
export function codeServerLib(): Promise<CodeServerLib> {
  return import(pathToFileURL(path.join(repoRoot, 'scripts/codeserver.mjs')).href) as Promise<CodeServerLib>;
}

/** The bits of the DOM used in page callbacks (tsconfig has no DOM lib: this runs in Node). */
interface DomElement {
  innerText: string;
  style: { top: string };
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  querySelector(selector: string): DomElement | null;
}

export interface RowDetails {
  /** label + ' ' + description (or the row's whole text when it has neither). */
  text: string;
  label: string;
  description: string;
  level: number;
  expanded?: boolean;
  ariaLabel: string;
}

export interface OpenOptions {
  /** Folder to open. Default: demo/. */
  folder?: string;
  /**
   * true: load this checkout as the development extension (title shows "[Extension Development
   * Host]"). Default false: install a copy of the build (package.json, dist/, media/) into the
   * extensions dir, as a user would have it.
   */
  dev?: boolean;
  /** More extension folders to install. The test debuggers (types go, debugpy) always are. */
  extensions?: string[];
  /** User settings over scripts/codeserver.mjs's DEFAULT_SETTINGS. */
  settings?: Record<string, unknown>;
  viewport?: { width: number; height: number };
  /** Side bar width in px, so descriptions fit in screenshots (default 520; 0 leaves VS Code's). */
  sidebarWidth?: number;
}

/** Starts code-server + Chromium and waits until the workbench has loaded the extension's view. */
export async function openWorkbench(o: OpenOptions = {}): Promise<Workbench> {
  const lib = await codeServerLib();
  const folder = o.folder ?? demoDir;
  if (!fs.existsSync(path.join(repoRoot, 'dist/extension.js'))) throw new Error('dist/extension.js missing: run `node scripts/build.mjs`');
  const server = await lib.startCodeServer({
    folder,
    extensions: [
      path.join(repoRoot, 'test/fixtures/debuggers'),
      ...(o.dev ? [] : [{ dir: repoRoot, files: lib.BUILT_EXTENSION_FILES }]),
      ...(o.extensions ?? []),
    ],
    settings: o.settings,
  });
  let chrome: Awaited<ReturnType<CodeServerLib['launchChromium']>> | undefined;
  try {
    chrome = await lib.launchChromium({ viewport: o.viewport });
    const wb = new Workbench(server, chrome.page, chrome.consoleErrors, chrome.close);
    await chrome.page.goto(o.dev ? lib.devUrl(server, { folder, extensionDevelopmentPath: repoRoot }) : server.url);
    await wb.waitReady();
    if (o.sidebarWidth !== 0) await wb.setSidebarWidth(o.sidebarWidth ?? 520);
    return wb;
  } catch (e) {
    await chrome?.close();
    const log = server.logTail(40);
    await server.stop();
    throw new Error(`${(e as Error).message}\n--- code-server log ---\n${log}`, { cause: e });
  }
}

export class Workbench {
  constructor(
    readonly server: CodeServer,
    readonly page: Page,
    /** Console errors of the page so far (the unreachable gallery's are expected). */
    readonly consoleErrors: string[],
    private readonly closeBrowser: () => Promise<void>,
  ) {}

  /**
   * Waits until the workbench has settled: Run and Debug shows its debug views (it shows a "Run"
   * welcome pane while extensions load), the Processes view is contributed, and no progress badge
   * spins in the activity bar, all holding for a second and a half.
   */
  async waitReady(timeoutMs = 120_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    await this.page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: timeoutMs });
    await this.openRunAndDebug();
    let stableSince = 0;
    for (;;) {
      const settled = await this.paneHeader('Breakpoints').isVisible()
        && await this.paneHeader(PROCESSES_VIEW_NAME).count() > 0
        && await this.page.locator('.activitybar .progress-badge').count() === 0;
      if (!settled) stableSince = 0;
      else if (!stableSince) stableSince = Date.now();
      else if (Date.now() - stableSince > 1500) return;
      if (Date.now() > end) throw new Error(`workbench not ready after ${timeoutMs} ms`);
      await this.page.waitForTimeout(250);
    }
  }

  async close(): Promise<void> {
    await this.closeBrowser();
    await this.server.stop();
  }

  /**
   * Moves the pointer to a neutral spot (the empty editor area) and closes any hover, so no tooltip
   * ends up in a screenshot or in front of the next click.
   */
  async parkMouse(): Promise<void> {
    const vp = this.page.viewportSize() ?? { width: 1400, height: 900 };
    await this.page.mouse.move(vp.width - 40, vp.height / 2);
    if (await this.page.locator('.monaco-hover:visible, .workbench-hover-container:visible').count()) {
      await this.page.keyboard.press('Escape');
    }
  }

  /**
   * Hovers `target` until a hover containing `text` shows (at most 3 tries: the list is drawn
   * again on refreshes, and a hover that lands on a row being replaced is lost); returns it.
   */
  async hoverUntil(target: Locator, text: string): Promise<Locator> {
    const hover = this.page.locator('.monaco-hover, .workbench-hover').filter({ hasText: text }).first();
    for (let attempt = 1; ; attempt++) {
      await target.hover();
      try {
        await hover.waitFor({ state: 'visible', timeout: 5_000 });
        return hover;
      } catch (e) {
        await this.parkMouse();
        if (attempt === 3) throw e;
      }
    }
  }

  /** Drags the sash on the side bar's right edge so the side bar is `px` wide. */
  async setSidebarWidth(px: number): Promise<void> {
    const box = await this.page.locator('#workbench\\.parts\\.sidebar').boundingBox();
    if (!box || Math.abs(box.width - px) < 2) return;
    const x = box.x + box.width;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x - 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(box.x + px, y, { steps: 8 });
    await this.page.mouse.up();
    await this.parkMouse();
  }

  /** Clicks like a user, but first gets hovers out of the way. */
  async click(target: Locator): Promise<void> {
    await this.parkMouse();
    await target.click();
  }

  // --- command palette and quick picks ----------------------------------------------------------

  /** Runs a command by its palette label (e.g. 'Debug: Stop'), as a user would with F1. */
  async runCommand(label: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${label}`);
    await this.quickPick(label);
  }

  /** Chooses the item whose label is `label` (or starts with it) in the open quick pick. */
  async quickPick(label: string, timeoutMs = 15_000): Promise<void> {
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.monaco-icon-label .label-name', { hasText: label }) }).first();
    await row.waitFor({ state: 'visible', timeout: timeoutMs });
    await row.click();
  }

  // --- views ------------------------------------------------------------------------------------

  /** Shows the Run and Debug container in the side bar (its activity bar item toggles: click only when not shown). */
  async openRunAndDebug(): Promise<void> {
    const shown = this.page.locator('.activitybar .action-item.checked .action-label[aria-label^="Run and Debug"]');
    if (!(await shown.count()) || !(await this.page.locator('#workbench\\.parts\\.sidebar').isVisible())) {
      await this.click(this.page.locator('.activitybar .action-label[aria-label^="Run and Debug"]'));
    }
    await shown.waitFor();
    await this.parkMouse();
  }

  /** The header of a view pane in the side bar, by the view's name. */
  paneHeader(name: string): Locator {
    return this.page.locator(`#workbench\\.parts\\.sidebar .pane-header[aria-label="${name} Section"]`);
  }

  /** The whole pane (header + body) of a view by name. */
  pane(name: string): Locator {
    // `has` is relative to each .pane, so the header selector must not repeat the side bar prefix.
    return this.page.locator('#workbench\\.parts\\.sidebar .pane').filter({ has: this.page.locator(`.pane-header[aria-label="${name} Section"]`) });
  }

  /** Expands a pane if it is collapsed; optionally collapses the others to give it room. */
  async expandPane(name: string, { collapseOthers = false } = {}): Promise<Locator> {
    if (collapseOthers) {
      // Labels first: locators from .all() are positional and shift as panes collapse.
      const expanded = await this.page.locator('#workbench\\.parts\\.sidebar .pane-header[aria-expanded="true"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') || ''));
      for (const label of expanded) {
        if (label !== `${name} Section`) await this.click(this.paneHeader(label.replace(/ Section$/, '')));
      }
    }
    const header = this.paneHeader(name);
    if ((await header.getAttribute('aria-expanded')) !== 'true') await this.click(header);
    await this.page.locator(`#workbench\\.parts\\.sidebar .pane-header[aria-label="${name} Section"][aria-expanded="true"]`).waitFor();
    await this.parkMouse();
    return this.pane(name);
  }

  /** Run and Debug > Processes, expanded (the other debug views collapsed unless told not to). */
  async openProcessesView({ collapseOthers = true } = {}): Promise<Locator> {
    await this.openRunAndDebug();
    return this.expandPane(PROCESSES_VIEW_NAME, { collapseOthers });
  }

  processesPane(): Locator {
    return this.pane(PROCESSES_VIEW_NAME);
  }

  /** The welcome text of a view ('' when the view shows its tree instead). */
  async welcomeText(name = PROCESSES_VIEW_NAME): Promise<string> {
    const w = this.pane(name).locator('.welcome-view-content');
    if (!(await w.count()) || !(await w.first().isVisible())) return '';
    return (await w.first().innerText()).replace(/\s+/g, ' ').trim();
  }

  /** Text of each rendered tree row of a view, top to bottom (whitespace collapsed). */
  async rows(name = PROCESSES_VIEW_NAME): Promise<string[]> {
    return (await this.rowDetails(name)).map((r) => r.text);
  }

  /**
   * Rows with their parts: `label` and `description` as rendered (text = both, space-separated),
   * tree `level` (1 = root), `expanded` (undefined for leaves) and the row's aria-label.
   */
  async rowDetails(name = PROCESSES_VIEW_NAME): Promise<RowDetails[]> {
    const rows = this.pane(name).locator('.pane-body .monaco-list-row');
    const out = await rows.evaluateAll((nodes) => (nodes as unknown as DomElement[]).map((e) => {
      const norm = (t: string | null | undefined): string => (t || '').replace(/\s+/g, ' ').trim();
      const label = norm(e.querySelector('.label-name')?.innerText);
      const description = norm(e.querySelector('.label-description')?.innerText);
      return {
        top: parseFloat(e.style.top || '0'),
        text: label || description ? [label, description].filter(Boolean).join(' ') : norm(e.innerText),
        label,
        description,
        level: Number(e.getAttribute('aria-level') || '1'),
        expanded: e.hasAttribute('aria-expanded') ? e.getAttribute('aria-expanded') === 'true' : undefined,
        ariaLabel: e.getAttribute('aria-label') || '',
      };
    }));
    // The virtual list does not keep DOM order = visual order: sort by position.
    return out.sort((a, b) => a.top - b.top).map(({ top: _top, ...r }) => r);
  }

  /** Polls rows() until `pred` holds; returns them. Fails with the last rows seen. */
  async waitForRows(pred: (rows: string[]) => boolean, { timeoutMs = 60_000, what = 'rows', name = PROCESSES_VIEW_NAME } = {}): Promise<string[]> {
    const end = Date.now() + timeoutMs;
    let rows: string[];
    for (;;) {
      rows = await this.rows(name);
      if (pred(rows)) return rows;
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; rows:\n${rows.join('\n')}`);
      await this.page.waitForTimeout(250);
    }
  }

  /** Clicks an action in a view's title bar by its title (e.g. 'Refresh', 'Find Zombies'). */
  async clickViewAction(title: string, name = PROCESSES_VIEW_NAME): Promise<void> {
    await this.pane(name).hover();
    await this.pane(name).locator(`.pane-header .actions .action-label[aria-label^="${title}"]`).click();
    await this.parkMouse();
  }

  // --- debugging --------------------------------------------------------------------------------

  /** Starts a launch configuration of the open folder by name, via 'Debug: Select and Start Debugging'. */
  async startDebugging(configName: string, { timeoutMs = 120_000 } = {}): Promise<void> {
    await this.runCommand('Debug: Select and Start Debugging');
    await this.quickPick(configName);
    await this.waitForDebugging(true, timeoutMs);
    await this.parkMouse();
  }

  /** Stops the focused session ('Debug: Stop') and waits until no session runs. */
  async stopDebugging({ timeoutMs = 30_000 } = {}): Promise<void> {
    await this.runCommand('Debug: Stop');
    await this.waitForDebugging(false, timeoutMs);
  }

  /** Waits for the floating debug toolbar (shown while any session runs) to appear or go. */
  async waitForDebugging(running: boolean, timeoutMs = 60_000): Promise<void> {
    await this.page.locator('.debug-toolbar').first().waitFor({ state: running ? 'visible' : 'hidden', timeout: timeoutMs });
  }

  /** Texts of the visible notification toasts. */
  async notifications(): Promise<string[]> {
    return (await this.page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts()).map((t) => t.trim());
  }

  // --- screenshots ------------------------------------------------------------------------------

  /**
   * Saves docs/screenshots/<name>.png of `target`: a Locator (a pane, the side bar...), 'sidebar',
   * or 'window' (default). Returns the file's path. The pointer is parked first (no stray
   * tooltip) unless `keepHover`: a screenshot of the hover itself.
   */
  async screenshot(name: string, target: Locator | 'sidebar' | 'window' = 'window', { keepHover = false } = {}): Promise<string> {
    fs.mkdirSync(screenshotsDir, { recursive: true });
    const file = path.join(screenshotsDir, `${name}.png`);
    // A hover is taken at once: the view's next refresh (every 2 s) may close it.
    if (!keepHover) {
      await this.parkMouse();
      await this.page.waitForTimeout(300); // let animations (pane expansion, progress bars) settle
    }
    if (target === 'window') await this.page.screenshot({ path: file });
    else if (target === 'sidebar') await this.page.locator('#workbench\\.parts\\.sidebar').screenshot({ path: file });
    else await target.screenshot({ path: file });
    return file;
  }
}

/** For afterEach hooks: a window screenshot in test-results/ui/ named after the failed test. */
export async function saveFailureScreenshot(wb: Workbench, title: string): Promise<string | undefined> {
  const dir = path.join(repoRoot, 'test-results/ui');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${title.replace(/[^\w.-]+/g, '_').slice(0, 120)}.png`);
  try {
    await wb.page.screenshot({ path: file });
    console.log(`      screenshot of the failure: ${path.relative(repoRoot, file)}`);
    return file;
  } catch {
    return undefined;
  }
}
