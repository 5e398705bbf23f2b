// Builds what `npm run bench` runs, into a folder of its own (never out/ or dist/,
// which the tests and other builds use):
//   <out>/src/**, <out>/bench/**   src/ and bench/ transpiled file by file (cjs, like scripts/build-tests.js)
//   <out>/extension/               a copy of the extension for the activation measure:
//                                  package.json without eager activation events, and the
//                                  production bundles dist/extension.js and dist/gitProcessHost.js
//                                  (minified, as released)
//   <out>/floor/                   the activation measure's floor: an extension that only shows a tree of
//                                  201 static items (bench/floor/extension.ts, with a manifest of its own)
// Usage: node bench/build.js --out <dir>
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const { bundleOptions, helperBundleOptions } = require('../esbuild');
const { collect } = require('../scripts/build-tests');

const root = path.join(__dirname, '..');

/**
 * The options of `node esbuild.js --production`, to another outfile.
 * `BENCH_READABLE=1` keeps the names of functions (identifiers are not
 * minified), so that the CPU profiles of bench/host/slices.ts name them; the
 * bundle's size is then not the release's.
 */
function productionBundleOptions(outfile, options = bundleOptions(true)) {
  const readable =
    process.env.BENCH_READABLE === '1' ? { minify: false, minifyWhitespace: true, minifySyntax: true } : {};
  return { ...options, outfile, ...readable };
}

/**
 * Transpiles src/ and bench/ into `outDir`. Then tries the production bundle;
 * returns its error message instead of failing, so the model benchmarks still
 * run while the UI does not build.
 */
async function build(outDir) {
  fs.rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [...collect(path.join(root, 'src')), ...collect(path.join(root, 'bench'))],
    outdir: outDir,
    outbase: root,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  const extensionDir = path.join(outDir, 'extension');
  fs.mkdirSync(path.join(extensionDir, 'dist'), { recursive: true });
  try {
    await esbuild.build(productionBundleOptions(path.join(extensionDir, 'dist', 'extension.js')));
    await esbuild.build(
      productionBundleOptions(path.join(extensionDir, 'dist', 'gitProcessHost.js'), helperBundleOptions(true)),
    );
  } catch (e) {
    const errors = (e.errors || []).map(
      (x) => `${x.text}${x.location ? ` (${x.location.file}:${x.location.line})` : ''}`,
    );
    return { bundleError: errors.length > 0 ? errors.join('; ') : String(e.message || e) };
  }
  // VS Code would activate the real manifest on start-up (workspaceContains:.git), before the
  // benchmark could start its clock; this copy activates only when the benchmark asks.
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  manifest.activationEvents = [];
  fs.writeFileSync(path.join(extensionDir, 'package.json'), JSON.stringify(manifest, null, 2));
  fs.cpSync(path.join(root, 'media'), path.join(extensionDir, 'media'), { recursive: true });
  writeFloor(outDir, manifest);
  return { bundle: path.join(extensionDir, 'dist', 'extension.js') };
}

/**
 * The floor extension (bench/floor/extension.ts, transpiled above) in
 * `<out>/floor`: a view in an activity bar container of its own, as the
 * Plans view, and no activation event (the measure activates it).
 */
function writeFloor(outDir, manifest) {
  const floorDir = path.join(outDir, 'floor');
  fs.mkdirSync(floorDir, { recursive: true });
  fs.copyFileSync(path.join(outDir, 'bench', 'floor', 'extension.js'), path.join(floorDir, 'extension.js'));
  fs.copyFileSync(path.join(root, 'media', 'plan-worktrees.svg'), path.join(floorDir, 'icon.svg'));
  const floor = {
    name: 'plan-worktrees-floor',
    displayName: 'Plan Worktrees activation floor',
    version: manifest.version,
    publisher: manifest.publisher,
    engines: manifest.engines,
    main: './extension.js',
    activationEvents: [],
    contributes: {
      viewsContainers: { activitybar: [{ id: 'planWorktreesFloor', title: 'Floor', icon: 'icon.svg' }] },
      views: { planWorktreesFloor: [{ id: 'planWorktreesFloor.items', name: 'Items' }] },
    },
  };
  fs.writeFileSync(path.join(floorDir, 'package.json'), JSON.stringify(floor, null, 2));
}

module.exports = { build, productionBundleOptions };

if (require.main === module) {
  const outArg = process.argv.indexOf('--out');
  if (outArg < 0) {
    console.error('usage: node bench/build.js --out <dir>');
    process.exit(2);
  }
  build(path.resolve(process.argv[outArg + 1])).then(
    (result) => {
      if (result.bundleError) console.error(`extension bundle failed: ${result.bundleError}`);
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
