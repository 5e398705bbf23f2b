// The .vsix check of `npm test`: builds the package with @vscode/vsce,
// checks what is in it (scripts/vsix-contents.js: the minified bundle and what
// it needs, no sources, tests or node_modules; every image the packaged README
// shows, and no other), installs it into a fresh extensions folder of the
// real VS Code host, and runs test/vsix there: Plan Worktrees must activate
// from the installed package and work on the open repository (its mocha
// forbids `.only` and fails when it finds no test; npm test also wants at
// least the count in test/tier-floors.json). The host's whole console is
// kept in artifacts/vsix-console.log.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { installVsix, root } = require('./host');
const { runSuite } = require('./run-host-tests');
const { checkPackage } = require('./vsix-contents');

async function main() {
  const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-vsix-')));
  try {
    const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
    const vsix = path.join(work, `plan-worktrees-${version}.vsix`);
    execFileSync(
      process.execPath,
      [
        require.resolve('@vscode/vsce/vsce'),
        'package',
        '--no-dependencies',
        '--allow-missing-repository',
        '--no-rewrite-relative-links',
        '--out',
        vsix,
      ],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    const { entries, problems } = checkPackage(vsix);
    const kb = fs.statSync(vsix).size / 1024;
    console.log(`[vsix] ${path.basename(vsix)}: ${entries.length} files, ${kb.toFixed(1)} KB`);
    for (const entry of entries) console.log(`[vsix]   ${entry.name} (${(entry.size / 1024).toFixed(1)} KB)`);
    if (problems.length) throw new Error(problems.join('\n'));
    const extensionsDir = path.join(work, 'ext');
    installVsix(vsix, extensionsDir);
    process.env.PLAN_WORKTREES_VSIX_EXTENSIONS_DIR = extensionsDir;
    // The host's whole console goes to its own artifact: the host tier's artifacts/host-console.log stays as it was.
    return await runSuite({
      testsPath: path.join(root, 'out', 'test', 'vsix', 'index.js'),
      developmentPath: path.join(root, 'test', 'vsix', 'extension'),
      extensionsDir,
      consoleFile: 'vsix-console.log',
    });
  } catch (e) {
    console.error(`[vsix] ${e.message}`);
    return 1;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
