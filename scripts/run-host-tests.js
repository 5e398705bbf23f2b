// Runs the host tier: mocha inside a real VS Code 1.100 extension host
// (code-server's VS Code server, driven by headless Chromium).
//
// The extension and the test entry point travel in the page URL's payload;
// the workbench calls window.codeAutomationLog for the extension host's
// console (mocha's report) and window.codeAutomationExit(code) when run()
// settles. That code is this process's exit code. The server and browser are
// always cleaned up; an overall timeout ends a hung run with exit code 1.
//
// Host tests ask for a screenshot of the workbench by logging a line
// `[plan-worktrees:screenshot] <absolute png path>`; this runner takes it and
// the test waits for the file.
const fs = require('fs');
const os = require('os');
const path = require('path');
const util = require('util');
const { chromium } = require('playwright-core');
const { startServer, createDemoRepository, root } = require('./host');

const TIMEOUT_MS = Number(process.env.PLAN_WORKTREES_HOST_TIMEOUT_MS || 20 * 60 * 1000);
const SCREENSHOT_MARK = '[plan-worktrees:screenshot] ';
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
 * (this project by default); `extensionsDir` the installed extensions.
 */
async function runSuite({ testsPath, developmentPath, extensionsDir } = {}) {
  const started = Date.now();
  const workDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-hosttest-')));
  const workspace = createDemoRepository(path.join(workDir, 'demo-repo'));
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
    server = await startServer({ developmentPath, extensionsDir });
    console.log(`[host] VS Code server on port ${server.port} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const exitCode = new Promise((resolve) => {
      timer = setTimeout(() => {
        console.error(`[host] timed out after ${TIMEOUT_MS / 1000}s`);
        resolve(1);
      }, TIMEOUT_MS);
      page.exposeFunction('codeAutomationExit', (code) => resolve(Number(code)));
    });
    const consoleLog = fs.createWriteStream(path.join(root, 'artifacts', 'host-console.log'));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = util.format(...(Array.isArray(args) ? args : [args]));
      consoleLog.write(`[${type}] ${text}\n`);
      const markAt = text.indexOf(SCREENSHOT_MARK);
      if (markAt >= 0) {
        const target = text.slice(markAt + SCREENSHOT_MARK.length).trim();
        takeScreenshot(page, target);
        return;
      }
      const shown = text.split('\n').filter((line) => !NOISE.some((pattern) => pattern.test(line)));
      if (shown.length === 0) return;
      if (type === 'error') process.stderr.write(shown.join('\n') + '\n');
      else process.stdout.write(shown.join('\n') + '\n');
    });
    page.on('pageerror', (err) => console.error(`[host] page error: ${err.message}`));
    const url = server.pageUrl(workspace, [['extensionTestsPath', server.remoteUri(testsPath || path.join(root, 'out', 'test', 'host', 'index.js'))]]);
    await page.goto(url);
    const code = await exitCode;
    console.log(`[host] extension host tests finished with exit code ${code} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return code;
  } catch (e) {
    console.error(`[host] ${e.stack || e}`);
    return 1;
  } finally {
    await cleanup();
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

module.exports = { runSuite };

if (require.main === module) runSuite().then((code) => process.exit(code));
