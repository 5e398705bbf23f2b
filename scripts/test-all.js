// `npm test`: every check and both test tiers, in order.
//   1. tsc --noEmit   2. eslint   3. check-commands
//   4. unit tier: mocha on plain Node over test/unit (real git, temp repos)
//   5. host tier: mocha inside a real VS Code 1.100 extension host
//   6. the .vsix check: the packaged extension installed into that VS Code activates
// Every step runs even when an earlier one failed, so one run shows every
// problem; the exit code is non-zero when any step failed. The last line
// sums the tests of both tiers: "N passed, N failed".
const { spawn } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

const steps = [
  { name: 'typecheck', cmd: bin('tsc'), args: ['--noEmit', '-p', '.'] },
  { name: 'lint', cmd: bin('eslint'), args: ['src', 'test', 'scripts'] },
  { name: 'check-commands', cmd: process.execPath, args: ['scripts/check-commands.js'] },
  { name: 'build', cmd: process.execPath, args: ['esbuild.js'] },
  { name: 'build-tests', cmd: process.execPath, args: ['scripts/build-tests.js'] },
  { name: 'unit', cmd: bin('mocha'), args: [], tests: true },
  { name: 'host', cmd: process.execPath, args: ['scripts/run-host-tests.js'], tests: true },
  { name: 'vsix', cmd: process.execPath, args: ['scripts/run-vsix-check.js'], tests: true },
];

function runStep(step) {
  return new Promise((resolve) => {
    const started = Date.now();
    console.log(`\n=== ${step.name}: ${path.basename(step.cmd)} ${step.args.join(' ')}`);
    const child = spawn(step.cmd, step.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d) => {
      output += d;
      process.stderr.write(d);
    });
    child.on('close', (code, signal) => {
      const counts = {
        passed: sum(output, /^\s*(\d+) passing/gm),
        failed: sum(output, /^\s*(\d+) failing/gm),
        pending: sum(output, /^\s*(\d+) pending/gm),
      };
      resolve({ ...step, ok: code === 0, code: code ?? signal, seconds: (Date.now() - started) / 1000, counts });
    });
  });
}

function sum(text, pattern) {
  let total = 0;
  for (const match of text.matchAll(pattern)) total += Number(match[1]);
  return total;
}

async function main() {
  const results = [];
  for (const step of steps) results.push(await runStep(step));
  console.log('\n=== summary');
  for (const r of results) {
    const counts = r.tests ? `  ${r.counts.passed} passed, ${r.counts.failed} failed${r.counts.pending ? `, ${r.counts.pending} pending` : ''}` : '';
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(15)} ${r.seconds.toFixed(1).padStart(6)}s${counts}${r.ok ? '' : `  (exit ${r.code})`}`);
  }
  const tests = results.filter((r) => r.tests);
  const passed = tests.reduce((n, r) => n + r.counts.passed, 0);
  // A tier that crashed before mocha could count counts as one failure.
  const failed = tests.reduce((n, r) => n + (r.counts.failed || (r.ok ? 0 : 1)), 0) + results.filter((r) => !r.tests && !r.ok).length;
  console.log(`tests: ${passed} passed, ${failed} failed`);
  process.exit(results.every((r) => r.ok) ? 0 : 1);
}

main();
