// Starts the offline VS Code (code-server's VS Code 1.100 server) and builds
// the page URLs that load this extension as a development extension.
// Used by `npm test` (host tier) and `npm start`. See ../shared/VSCODE-HOST.md.
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { install, serverDir } = require('./host-install');

const root = path.join(__dirname, '..');

/**
 * Starts the server in its own process group. Resolves once it listens.
 * @returns {Promise<{ port: number, stateDir: string, pageUrl(folder: string, payload?: Array<[string, string]>, kind?: 'folder' | 'workspace'): string, remoteUri(p: string): string, stop(): Promise<void> }>}
 */
async function startServer({
  quiet = true,
  stateDir,
  port: requestedPort = 0,
  extensionsDir,
  developmentPath = root,
  trust = false,
  env = {},
} = {}) {
  install();
  stateDir = stateDir || fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-host-'));
  const configFile = path.join(stateDir, 'config.yaml');
  fs.writeFileSync(configFile, 'auth: none\ncert: false\n');
  // VS Code for the Web saves files after a delay by default; a desktop user
  // (and a test that edits a file) expects nothing saved until asked.
  const userSettings = path.join(stateDir, 'data', 'User', 'settings.json');
  if (!fs.existsSync(userSettings)) {
    fs.mkdirSync(path.dirname(userSettings), { recursive: true });
    const settings = { 'files.autoSave': 'off', 'workbench.startupEditor': 'none' };
    // With workspace trust on, a folder opens in Restricted Mode (no startup dialog): as a downloaded repository would.
    if (trust)
      Object.assign(settings, {
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'always',
      });
    else settings['security.workspace.trust.enabled'] = false;
    fs.writeFileSync(userSettings, JSON.stringify(settings, null, 2));
  }
  const args = [
    path.join(serverDir, 'out', 'node', 'entry.js'),
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${requestedPort}`,
    '--config',
    configFile,
    '--user-data-dir',
    path.join(stateDir, 'data'),
    '--extensions-dir',
    extensionsDir || path.join(stateDir, 'ext'),
    '--disable-telemetry',
    '--disable-update-check',
    ...(trust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VSCODE_PROXY_URI: '', PLAN_WORKTREES_HOST: 'web', ...env },
  });
  const serverLog = fs.createWriteStream(path.join(stateDir, 'server.log'));
  child.stdout.pipe(serverLog);
  child.stderr.pipe(serverLog);

  const port = await new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`VS Code server did not start within 60s:\n${output}`)), 60000);
    const onData = (chunk) => {
      output += chunk.toString();
      if (!quiet) process.stdout.write(chunk);
      const match = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`VS Code server exited with code ${code} before listening:\n${output}`));
    });
  });

  let stopped;
  const stop = () => {
    stopped ??= new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const done = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        resolve();
      }, 5000);
      child.once('exit', () => {
        clearTimeout(done);
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* group already gone */
        }
        resolve();
      });
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        resolve();
      }
    });
    return stopped;
  };

  const authority = `localhost:${port}`;
  const remoteUri = (p) =>
    `vscode-remote://${authority}${path.resolve(p).split(path.sep).map(encodeURIComponent).join('/')}`;
  // `kind` "workspace": `folder` is a .code-workspace file, opened as a multi-root workspace.
  const pageUrl = (folder, payload = [], kind = 'folder') => {
    const fullPayload = [
      ['extensionDevelopmentPath', remoteUri(developmentPath)],
      ['extensionDevelopmentKind', 'workspace'],
      ['skipWelcome', 'true'],
      ...payload,
    ];
    return `http://${authority}/?${kind}=${encodeURIComponent(path.resolve(folder))}&payload=${encodeURIComponent(JSON.stringify(fullPayload))}`;
  };
  return { port, stateDir, pageUrl, remoteUri, stop, child };
}

/** Installs a .vsix into an extensions folder with the server's own CLI (`--install-extension`). */
function installVsix(vsix, extensionsDir) {
  const { execFileSync } = require('child_process');
  install();
  execFileSync(
    process.execPath,
    [path.join(serverDir, 'out', 'node', 'entry.js'), '--extensions-dir', extensionsDir, '--install-extension', vsix],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
}

/** A small git repository with a few files, for `npm start` and the host tests. */
function createDemoRepository(dir) {
  const { execFileSync } = require('child_process');
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'README.md'), '# Demo project\n\nA small repository to try Plan Worktrees on.\n');
  fs.writeFileSync(path.join(dir, 'src', 'app.js'), 'export function greet(name) {\n  return `Hello, ${name}!`;\n}\n');
  fs.writeFileSync(path.join(dir, 'src', 'util.js'), 'export const add = (a, b) => a + b;\n');
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n.env\n');
  fs.writeFileSync(path.join(dir, '.env'), 'API_URL=http://localhost:3000\n');
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Plan Worktrees Demo');
  git('config', 'user.email', 'demo@example.invalid');
  git('config', 'commit.gpgsign', 'false');
  git('add', '-A');
  git('commit', '-q', '-m', 'Initial commit');
  return dir;
}

module.exports = { startServer, createDemoRepository, installVsix, root };
