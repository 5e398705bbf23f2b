// The .vsix check of `npm test`: builds the package with @vscode/vsce,
// checks what is in it (the minified bundle and what it needs; no sources,
// tests or node_modules), installs it into a fresh extensions folder of the
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

const allowed = [/^extension\/l10n\/bundle\.l10n(\.[\w-]+)?\.json$/, /^extension\/dist\/extension\.js$/, /^extension\/bin\/plan-worktrees-guard\.js$/, /^extension\/media\//, /^extension\/(package\.json|package\.nls(\.[\w-]+)?\.json|readme\.md|changelog\.md|LICENSE\.txt)$/, /^extension\.vsixmanifest$/, /^\[Content_Types\]\.xml$/];
const MAX_KB = 300;

function listZip(file) {
  // The central directory of a zip: enough to list names without another dependency.
  const data = fs.readFileSync(file);
  const end = data.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = data.readUInt16LE(end + 10);
  let offset = data.readUInt32LE(end + 16);
  const names = [];
  for (let i = 0; i < count; i++) {
    const nameLength = data.readUInt16LE(offset + 28);
    const extra = data.readUInt16LE(offset + 30);
    const comment = data.readUInt16LE(offset + 32);
    names.push(data.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extra + comment;
  }
  return names;
}

async function main() {
  const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-vsix-')));
  try {
    const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version;
    const vsix = path.join(work, `plan-worktrees-${version}.vsix`);
    execFileSync(process.execPath, [require.resolve('@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const names = listZip(vsix);
    const kb = fs.statSync(vsix).size / 1024;
    console.log(`[vsix] ${path.basename(vsix)}: ${names.length} files, ${kb.toFixed(1)} KB`);
    for (const name of names) console.log(`[vsix]   ${name}`);
    const unexpected = names.filter((n) => !allowed.some((pattern) => pattern.test(n)));
    if (unexpected.length) throw new Error(`The .vsix holds files it should not: ${unexpected.join(', ')}`);
    if (!names.includes('extension/dist/extension.js')) throw new Error('The .vsix has no bundle.');
    if (kb > MAX_KB) throw new Error(`The .vsix is ${kb.toFixed(0)} KB, more than ${MAX_KB} KB.`);
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
