// Bundles src/extension.ts into dist/extension.js, and src/git/gitProcessHost.ts (the
// helper process that starts git) into dist/gitProcessHost.js.
//   node esbuild.js               development build with source maps
//   node esbuild.js --production  minified release build
//   node esbuild.js --watch       rebuild on every change
const esbuild = require('esbuild');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Prints problems in the format of the `$esbuild-watch` problem matcher. */
const problemMatcherPlugin = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => {
      if (watch) console.log('[watch] build started');
    });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log('[watch] build finished');
    });
  },
};

/**
 * The bundle's options; bench/build.js builds the production bundle with them too.
 * `module` before `main`: jsonc-parser's `main` is a UMD build whose requires esbuild cannot
 * follow (the bundle then fails at load with "Cannot find module './impl/format'"); its
 * `module` is the ESM build, which its maintainers name for bundlers. Every other package
 * bundled resolves to the same files either way.
 */
function bundleOptions(isProduction) {
  return {
    entryPoints: [path.join(__dirname, 'src', 'extension.ts')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    minify: isProduction,
    sourcemap: !isProduction,
    sourcesContent: false,
    outfile: path.join(__dirname, 'dist', 'extension.js'),
    external: ['vscode'],
    logLevel: 'silent',
  };
}

/** The helper process that starts git (src/git/gitProcessHost.ts), forked by the extension: its own bundle beside extension.js. */
function helperBundleOptions(isProduction) {
  return {
    ...bundleOptions(isProduction),
    entryPoints: [path.join(__dirname, 'src', 'git', 'gitProcessHost.ts')],
    outfile: path.join(__dirname, 'dist', 'gitProcessHost.js'),
  };
}

async function main() {
  const contexts = await Promise.all(
    [bundleOptions(production), helperBundleOptions(production)].map((options) =>
      esbuild.context({ ...options, plugins: [problemMatcherPlugin] }),
    ),
  );
  for (const ctx of contexts) {
    if (watch) {
      await ctx.watch();
    } else {
      await ctx.rebuild();
      await ctx.dispose();
    }
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

module.exports = { bundleOptions, helperBundleOptions };
