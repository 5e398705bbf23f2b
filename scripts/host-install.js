// Installs the offline VS Code host (code-server 4.100.3, which ships VS Code
// 1.100.3) into .vscode-test/, once. See ../shared/VSCODE-HOST.md.
// Idempotent and cached: a marker file records a finished install, and a
// second call returns at once.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const VERSION = '4.100.3';
const root = path.join(__dirname, '..');
const hostDir = path.join(root, '.vscode-test', `code-server-${VERSION}`);
const serverDir = path.join(hostDir, 'node_modules', 'code-server');
const vscodeDir = path.join(serverDir, 'lib', 'vscode');
const marker = path.join(hostDir, '.installed');

function run(cmd, args, cwd) {
  const started = Date.now();
  console.log(`[host-install] ${cmd} ${args.join(' ')}  (in ${path.relative(root, cwd) || '.'})`);
  execFileSync(cmd, args, {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      npm_config_unsafe_perm: 'true',
      npm_config_yes: 'true',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      npm_config_update_notifier: 'false',
      npm_config_loglevel: 'error',
    },
  });
  console.log(`[host-install]   done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

function which(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

function install() {
  if (fs.existsSync(marker)) return { hostDir, serverDir, cached: true };
  const rg = which('rg');
  if (!rg) {
    throw new Error(
      'ripgrep (rg) is not on the PATH; install it (Debian package "ripgrep") before installing the VS Code host.',
    );
  }
  const started = Date.now();
  fs.mkdirSync(hostDir, { recursive: true });
  fs.writeFileSync(path.join(hostDir, 'package.json'), JSON.stringify({ name: 'vscode-host', private: true }, null, 2));
  run('npm', ['install', `code-server@${VERSION}`, '--ignore-scripts', '--no-save', '--no-package-lock'], hostDir);
  run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-package-lock'], vscodeDir);
  const rgDir = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgDir, { recursive: true });
  fs.copyFileSync(rg, path.join(rgDir, 'rg'));
  fs.chmodSync(path.join(rgDir, 'rg'), 0o755);
  run('npm', ['rebuild'], vscodeDir);
  const asar = path.join(vscodeDir, 'node_modules.asar');
  fs.rmSync(asar, { recursive: true, force: true });
  fs.symlinkSync('node_modules', asar);
  run('npm', ['install', '--omit=dev', '--no-package-lock'], path.join(vscodeDir, 'extensions'));
  run('npm', ['rebuild', 'argon2'], hostDir);
  fs.writeFileSync(
    marker,
    JSON.stringify({ version: VERSION, seconds: Math.round((Date.now() - started) / 1000) }) + '\n',
  );
  console.log(`[host-install] VS Code host installed in ${((Date.now() - started) / 1000).toFixed(0)}s`);
  return { hostDir, serverDir, cached: false };
}

module.exports = { install, hostDir, serverDir, VERSION };

if (require.main === module) {
  try {
    const result = install();
    if (result.cached) console.log(`[host-install] VS Code host already installed in ${path.relative(root, hostDir)}`);
  } catch (e) {
    console.error(`[host-install] failed: ${e.message}`);
    process.exit(1);
  }
}
