// `npm run bench`: builds the benchmarks into bench/work/build (ignored by git),
// runs them, and removes the build. See bench/README.md.
//   BENCH_N=10,50    only these sizes (default 10,50,100,200)
//   BENCH_HOST=0     skip the activation measure in the real VS Code host
//   BENCH_ONLY=lifecycle  only create, merge and cleanup
//   BENCH_RUNS=15    this many runs of every measure
const fs = require('fs');
const path = require('path');
const { build } = require('./build');

const root = path.join(__dirname, '..');
const outDir = path.join(__dirname, 'work', 'build');

// Also when the run is interrupted (run.ts then exits with 130).
process.on('exit', () => removeBuild());

function removeBuild() {
  fs.rmSync(outDir, { recursive: true, force: true });
  try {
    fs.rmdirSync(path.dirname(outDir));
  } catch {
    // not empty: something else is in bench/work
  }
}

async function main() {
  const built = await build(outDir);
  if (built.bundleError)
    console.warn(
      `[bench] the extension bundle does not build; activation and bundle size are not measured: ${built.bundleError}`,
    );
  const { main: run } = require(path.join(outDir, 'bench', 'run.js'));
  return run({ projectRoot: root, outDir, ...built });
}

main()
  .then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  )
  .finally(removeBuild);
