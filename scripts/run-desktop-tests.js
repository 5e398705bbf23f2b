// `npm run test:desktop`: the same host suite in desktop VS Code, downloaded
// by @vscode/test-electron (needs internet; `npm test` never uses this).
// Screenshots need the browser-driven runner, so those checks skip here.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { runTests } = require('@vscode/test-electron');
const { createDemoRepository, root } = require('./host');

async function main() {
  const workDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-desktop-')));
  try {
    const workspace = createDemoRepository(path.join(workDir, 'demo-repo'));
    await runTests({
      version: process.env.VSCODE_VERSION || '1.100.3',
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(root, 'out', 'test', 'host', 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome'],
      extensionTestsEnv: { PLAN_WORKTREES_HOST: 'desktop' },
    });
    return 0;
  } catch (e) {
    console.error(`Desktop host tests failed: ${e.message || e}`);
    return 1;
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
