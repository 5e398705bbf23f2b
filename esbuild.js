// Bundles src/extension.ts into dist/extension.js, and src/git/gitProcessHost.ts (the
// helper process that starts git) into dist/gitProcessHost.js.
//   node esbuild.js               development build with source maps
//   node esbuild.js --production  minified release build
//   node esbuild.js --watch       rebuild on every change
const esbuild = require('esbuild');
const path = require('path');
const { builtinModules } = require('module');

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

/** The modules the bundle leaves to its host: VS Code's API and Node's own. */
const HOST_MODULES = new Set(['vscode', ...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/**
 * Each module the host provides (`vscode`, `fs`, `path`...) as one module of
 * the bundle that re-exports it, for the extension's own modules: its
 * properties are copied once at load. Left to esbuild, every module's
 * `import * as fs` copies each property again, a getter each (43 copies of
 * VS Code's API, 26 of fs, 55 of path: some 20 ms of the bundle's load in the
 * extension host, and the garbage it leaves).
 */
const hostModulesOncePlugin = {
  name: 'host-modules-once',
  setup(build) {
    const src = path.join(__dirname, 'src') + path.sep;
    build.onResolve({ filter: /^[a-z:_/]+$/ }, (args) => {
      if (!HOST_MODULES.has(args.path)) return undefined;
      if (args.namespace === 'host-module') return { path: args.path, external: true };
      return args.importer.startsWith(src) ? { path: args.path, namespace: 'host-module' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'host-module' }, (args) => ({
      contents: `export * from ${JSON.stringify(args.path)};`,
      loader: 'js',
    }));
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
    plugins: [hostModulesOncePlugin],
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
      esbuild.context({ ...options, plugins: [...options.plugins, problemMatcherPlugin] }),
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
