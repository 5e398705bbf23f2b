// Transpiles src/ and test/ (file by file, not bundled) into out/ for mocha.
// Unit tests run there on plain Node; host tests are loaded from there by the
// extension host, where `require('vscode')` is provided by VS Code.
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');

function collect(dir, files = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) collect(full, files);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(full);
  }
  return files;
}

async function main() {
  const entryPoints = [...collect(path.join(root, 'src')), ...collect(path.join(root, 'test'))];
  fs.rmSync(path.join(root, 'out'), { recursive: true, force: true });
  await esbuild.build({
    entryPoints,
    outdir: path.join(root, 'out'),
    outbase: root,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
