// Runs the host tier: mocha inside a real VS Code 1.100 extension host
// (code-server's VS Code server, driven by headless Chromium).
//
// The extension and the test entry point travel in the page URL's payload;
// the workbench calls window.codeAutomationLog for the extension host's
// console (mocha's report) and window.codeAutomationExit(code) when run()
// settles. That code is this process's exit code. The server and browser are
// always cleaned up; an overall timeout ends a hung run with exit code 1.
//
// Three suites run, each in a fresh server: test/host with workspace trust
// disabled, test/host-restricted with workspace trust on, so its folder
// opens in Restricted Mode as a downloaded repository would, and
// test/host-multi in a multi-root workspace (a .code-workspace file) of two
// repositories.
//
// Host tests talk to this runner by logging one line:
// - `[plan-worktrees:screenshot] <absolute png path>`: a screenshot of the
//   workbench is saved there (the test waits for the file);
// - `[plan-worktrees:grant-trust] <absolute file>`: the Trust button of the
//   Workspace Trust editor (which the test opened) is clicked, then the file
//   is written;
// - `[plan-worktrees:window-tests] {"folder", "tests", "result"}`: the next
//   window opened on that folder (vscode.openFolder with forceNewWindow opens
//   a new page) loads with `tests` as its extensionTestsPath, so mocha runs
//   inside the plan's own window; its exit code is written to `result` and
//   counts for this run;
// - `[plan-worktrees:statusbar] {"folder", "file"}` and
//   `[plan-worktrees:notifications] {"folder", "file"}`: the text of the
//   status bar, or of the notification toasts, of the window open on that
//   folder is written to `file`.
// - `[plan-worktrees:windows] <absolute file>`: the folders (or workspace
//   files) of every window of the browser open now, as a JSON array, are
//   written to the file;
// - `[plan-worktrees:act] {"steps", "done"}`: what a person does with mouse
//   and keyboard, in the window that logged it, step by step: `{ "click":
//   "<button text>", "in": "notification" | "dialog" | "quickInput" }` clicks
//   that button of a notification toast or a modal dialog, or that item of the
//   quick input's list (waiting for it to show), `{ "see":
//   "<text>", "in": "notification" | "notificationCenter" | "dialog" |
//   "quickInput" }` waits until such a toast, notification of the (opened)
//   notification centre, dialog or the quick input says it, `{ "absent": "<text>",
//   "in": … }` fails if one says it now, `{ "value": "<text>" }` fails unless
//   the quick input's text field holds exactly that, `{ "type":
//   "<text>" }` types into whatever has the focus once the quick input shows,
//   `{ "press": "Enter" }` presses a key; then `ok` or `failed: <reason>` is
//   written to `done`.
const fs = require('fs');
const os = require('os');
const path = require('path');
const util = require('util');
const { chromium } = require('playwright-core');
const { startServer, createDemoRepository, root } = require('./host');

const TIMEOUT_MS = Number(process.env.PLAN_WORKTREES_HOST_TIMEOUT_MS || 20 * 60 * 1000);
const SCREENSHOT_MARK = '[plan-worktrees:screenshot] ';
const TRUST_MARK = '[plan-worktrees:grant-trust] ';
const WINDOW_TESTS_MARK = '[plan-worktrees:window-tests] ';
const STATUSBAR_MARK = '[plan-worktrees:statusbar] ';
const NOTIFICATIONS_MARK = '[plan-worktrees:notifications] ';
const ACT_MARK = '[plan-worktrees:act] ';
const WINDOWS_MARK = '[plan-worktrees:windows] ';
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// The workbench's own chatter (connection set-up, the extension gallery that
// this offline machine cannot reach). It still goes to artifacts/host-console.log.
const NOISE = [
  /^Resolving connection token|^Resolved connection token|^Creating a socket|^Updating additional builtin extensions cache/,
  /^\[Service Worker\]|^ChatSessionStore:/,
  /getaddrinfo ENOTFOUND|^\s+at .*workbench\.js/,
];

/**
 * Runs one suite in a fresh server: `testsPath` is the compiled entry point
 * exporting run(); `developmentPath` the extension loaded for development
 * (this project by default); `extensionsDir` the installed extensions;
 * `trust` turns workspace trust on (the folder opens in Restricted Mode);
 * `prepare(workspace)` may change the demo repository before it opens; it
 * returns the folder to open (or `workspaceFile`, a .code-workspace file) and
 * environment variables for the extension host.
 */
async function runSuite({
  testsPath,
  developmentPath,
  extensionsDir,
  trust = false,
  prepare,
  consoleFile = 'host-console.log',
} = {}) {
  const started = Date.now();
  const workDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-hosttest-')));
  let workspace = createDemoRepository(path.join(workDir, 'demo-repo'));
  fs.mkdirSync(path.join(root, 'artifacts'), { recursive: true });
  let server;
  let browser;
  let timer;
  const cleanup = async () => {
    clearTimeout(timer);
    await browser?.close().catch(() => undefined);
    await server?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
    if (server) fs.rmSync(server.stateDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => cleanup().finally(() => process.exit(130)));
  }
  try {
    const prepared = prepare ? await prepare(workspace) : undefined;
    const env = prepared?.env ?? {};
    workspace = prepared?.folder ?? workspace;
    server = await startServer({ developmentPath, extensionsDir, trust, env });
    console.log(
      `[host] VS Code server on port ${server.port} (${((Date.now() - started) / 1000).toFixed(1)}s)${trust ? ', workspace trust on' : ''}`,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const windows = new PlanWindows(context, server);
    const exitCode = new Promise((resolve) => {
      timer = setTimeout(() => {
        console.error(`[host] timed out after ${TIMEOUT_MS / 1000}s`);
        resolve(1);
      }, TIMEOUT_MS);
      // Every page of the context (the plan windows too) reports through these; the first page's exit ends the run.
      context.exposeBinding('codeAutomationExit', ({ page: from }, code) =>
        from === page ? resolve(Number(code)) : windows.exited(from, Number(code)),
      );
    });
    const consoleLog = fs.createWriteStream(path.join(root, 'artifacts', consoleFile));
    await context.exposeBinding('codeAutomationLog', ({ page: from }, type, args) => {
      const text = util.format(...(Array.isArray(args) ? args : [args]));
      const prefix = from === page ? '' : '[plan window] ';
      consoleLog.write(`${prefix}[${type}] ${text}\n`);
      if (handleMark(text, from, windows)) return;
      const shown = text.split('\n').filter((line) => !NOISE.some((pattern) => pattern.test(line)));
      if (shown.length === 0) return;
      if (type === 'error') process.stderr.write(shown.join('\n') + '\n');
      else process.stdout.write(shown.join('\n') + '\n');
    });
    page.on('pageerror', (err) => console.error(`[host] page error: ${err.message}`));
    const url = server.pageUrl(
      prepared?.workspaceFile ?? workspace,
      [['extensionTestsPath', server.remoteUri(testsPath || path.join(root, 'out', 'test', 'host', 'index.js'))]],
      prepared?.workspaceFile ? 'workspace' : 'folder',
    );
    await page.goto(url);
    const code = await exitCode;
    const windowCode = windows.failures();
    console.log(
      `[host] extension host tests finished with exit code ${code} in ${((Date.now() - started) / 1000).toFixed(1)}s${windowCode ? `; ${windowCode} plan window suite(s) failed` : ''}`,
    );
    return code || (windowCode ? 1 : 0);
  } catch (e) {
    console.error(`[host] ${e.stack || e}`);
    return 1;
  } finally {
    await cleanup();
  }
}

/** Acts on a line a test logged for the runner; true when it was one. */
function handleMark(text, page, windows) {
  const at = (mark) => {
    const i = text.indexOf(mark);
    return i < 0 ? undefined : text.slice(i + mark.length).trim();
  };
  let value;
  if ((value = at(SCREENSHOT_MARK)) !== undefined) void takeScreenshot(page, value);
  else if ((value = at(TRUST_MARK)) !== undefined) void grantTrust(page, value);
  else if ((value = at(WINDOW_TESTS_MARK)) !== undefined) windows.expect(JSON.parse(value));
  else if ((value = at(STATUSBAR_MARK)) !== undefined) void windows.read(JSON.parse(value), '.statusbar');
  else if ((value = at(NOTIFICATIONS_MARK)) !== undefined)
    void windows.read(JSON.parse(value), '.notifications-toasts');
  else if ((value = at(ACT_MARK)) !== undefined) void act(page, JSON.parse(value));
  else if ((value = at(WINDOWS_MARK)) !== undefined) windows.list(value);
  else return false;
  return true;
}

/**
 * The windows a test opens with vscode.openFolder(..., { forceNewWindow: true }):
 * each is a new page of the browser context. A page for a folder a test
 * announced is redirected, before it loads anything, to the same folder with
 * the plan-window suite as its extensionTestsPath.
 */
class PlanWindows {
  constructor(context, server) {
    this.context = context;
    this.server = server;
    this.expected = new Map(); // folder -> { tests, result }
    this.pages = new Map(); // page -> { folder, result }
    this.byFolder = new Map(); // folder -> page
    this.failed = 0;
    context.route(
      (url) =>
        url.searchParams.has('folder') &&
        this.expected.has(url.searchParams.get('folder')) &&
        !url.searchParams.get('payload')?.includes('extensionTestsPath'),
      (route) => {
        const folder = new URL(route.request().url()).searchParams.get('folder');
        const { tests } = this.expected.get(folder);
        const location = server.pageUrl(folder, [['extensionTestsPath', server.remoteUri(tests)]]);
        return route.fulfill({ status: 302, headers: { location } });
      },
    );
    context.on('page', (p) => {
      p.on('pageerror', (err) => console.error(`[host] plan window page error: ${err.message}`));
      // A popup may have navigated already when the event arrives: look at its URL now and at every navigation.
      this.track(p, p.url());
      p.on('framenavigated', (frame) => frame === p.mainFrame() && this.track(p, frame.url()));
    });
  }

  track(page, url) {
    const folder = url.startsWith('http') ? new URL(url).searchParams.get('folder') : undefined;
    if (!folder) return;
    this.byFolder.set(folder, page);
    const expected = this.expected.get(folder);
    if (expected && !this.pages.has(page)) this.pages.set(page, { folder, result: expected.result });
  }

  expect({ folder, tests, result }) {
    this.expected.set(path.resolve(folder), { tests, result });
  }

  exited(page, code) {
    const entry = this.pages.get(page);
    if (!entry) {
      console.error(`[host] a window the tests did not announce ended its tests (${page.url()})`);
      return;
    }
    console.log(`[host] plan window suite on ${entry.folder} finished with exit code ${code}`);
    if (code !== 0) this.failed++;
    this.expected.delete(entry.folder);
    fs.writeFileSync(entry.result, String(code));
    void page.close();
  }

  /** Writes the text of `selector` (the status bar, the notification toasts) in the window open on `folder`. */
  async read({ folder, file }, selector) {
    const page = this.byFolder.get(path.resolve(folder));
    const text = page
      ? await page
          .locator(selector)
          .innerText()
          .catch((e) => `(no ${selector}: ${e.message})`)
      : '(no window on that folder)';
    fs.writeFileSync(`${file}.partial`, text);
    fs.renameSync(`${file}.partial`, file);
  }

  /** Writes the folder or workspace file of every page open now to `file`, as a JSON array. */
  list(file) {
    const opened = this.context.pages().map((p) => {
      const url = p.url().startsWith('http') ? new URL(p.url()) : undefined;
      return url?.searchParams.get('folder') ?? url?.searchParams.get('workspace') ?? p.url();
    });
    fs.writeFileSync(`${file}.partial`, JSON.stringify(opened));
    fs.renameSync(`${file}.partial`, file);
  }

  failures() {
    return this.failed;
  }
}

/** Clicks "Trust" in the Workspace Trust editor the test opened, then writes `done`. */
async function grantTrust(page, done) {
  try {
    await page
      .locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ })
      .first()
      .click({ timeout: 20000 });
    fs.writeFileSync(done, 'trusted');
  } catch (e) {
    console.error(`[host] granting workspace trust failed: ${e.message}`);
    fs.writeFileSync(done, `failed: ${e.message}`);
  }
}

/** Where the notifications and dialogs a step reads or clicks live in the workbench, and their buttons. */
const SURFACES = {
  notification: {
    box: '.notifications-toasts .notification-toast',
    button: '.notifications-toasts .notification-toast .monaco-button',
  },
  dialog: { box: '.monaco-dialog-box', button: '.monaco-dialog-box .dialog-buttons .monaco-button' },
  notificationCenter: {
    box: '.notifications-center .notification-list-item',
    button: '.notifications-center .notification-list-item .monaco-button',
  },
  quickInput: { box: '.quick-input-widget', button: '.quick-input-widget .monaco-list-row' },
};

/** Does what a person does (see the `act` mark above), then writes `ok` or why it could not to `done`. */
async function act(page, { steps, done }) {
  try {
    for (const step of steps) {
      const surface = SURFACES[step.in];
      if (step.in !== undefined && !surface) throw new Error(`nothing is called "${step.in}"`);
      if (step.click !== undefined) {
        await page.locator(surface.button, { hasText: step.click }).first().click({ timeout: 20000 });
      } else if (step.see !== undefined) {
        await page.locator(surface.box, { hasText: step.see }).first().waitFor({ state: 'visible', timeout: 20000 });
      } else if (step.absent !== undefined) {
        const shown = await page.locator(surface.box, { hasText: step.absent }).filter({ visible: true }).count();
        if (shown > 0) throw new Error(`"${step.absent}" is shown`);
      } else if (step.value !== undefined) {
        const value = await page.locator('.quick-input-widget input').first().inputValue({ timeout: 20000 });
        if (value !== step.value) throw new Error(`the quick input holds "${value}", not "${step.value}"`);
      } else if (step.type !== undefined) {
        await page.locator('.quick-input-widget input').first().waitFor({ state: 'visible', timeout: 20000 });
        await page.keyboard.type(step.type);
      } else if (step.press !== undefined) {
        await page.keyboard.press(step.press);
      } else throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
    fs.writeFileSync(done, 'ok');
  } catch (e) {
    // What the page showed when a step could not be done: artifacts/act-failed.png.
    await page.screenshot({ path: path.join(root, 'artifacts', 'act-failed.png') }).catch(() => undefined);
    console.error(`[host] act failed: ${e.message}`);
    fs.writeFileSync(done, `failed: ${e.message}`);
  }
}

async function takeScreenshot(page, target) {
  const temp = `${target}.partial.png`;
  try {
    await page.waitForTimeout(300);
    await page.screenshot({ path: temp });
    fs.renameSync(temp, target);
    console.log(`[host] screenshot saved: ${path.relative(root, target)}`);
  } catch (e) {
    console.error(`[host] screenshot failed: ${e.message}`);
    fs.writeFileSync(`${target}.failed`, String(e.message));
  }
}

module.exports = { runSuite, multiSuite };

/** The suites: the trusted one, Restricted Mode, then a workspace of two repositories. */
async function runAll() {
  const main = await runSuite();
  const { prepare } = require(path.join(root, 'out', 'test', 'host-restricted', 'fixture.js'));
  const restricted = await runSuite({
    testsPath: path.join(root, 'out', 'test', 'host-restricted', 'index.js'),
    trust: true,
    prepare,
    consoleFile: 'host-restricted-console.log',
  });
  const multi = await runSuite(multiSuite());
  return main || restricted || multi;
}

/** The multi-root suite's options (test/host-multi): its fixture makes the second repository and the workspace file. */
function multiSuite() {
  const { prepare } = require(path.join(root, 'out', 'test', 'host-multi', 'fixture.js'));
  return {
    testsPath: path.join(root, 'out', 'test', 'host-multi', 'index.js'),
    prepare,
    consoleFile: 'host-multi-console.log',
  };
}

if (require.main === module) runAll().then((code) => process.exit(code));
