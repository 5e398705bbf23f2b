// `npm test`: every check and both test tiers, in order.
//   1. tsc --noEmit   2. eslint   3. check-commands
//   4. unit tier: mocha on plain Node over test/unit (real git, temp repos)
//   5. host tier: mocha inside a real VS Code 1.100 extension host
//   6. the .vsix check: the packaged extension installed into that VS Code activates
// Every step runs even when an earlier one failed, so one run shows every
// problem; the exit code is non-zero when any step failed. A step fails when
// it exits non-zero, when it runs longer than its time limit (its whole
// process group is killed), and, for a test tier, when it ran no test or
// fewer than its floor in test/tier-floors.json (a stray `.only`, a glob
// that matches nothing, a runner that found no files). Each step's whole
// output is kept in artifacts/<step>.log. The last line sums the tests of
// every tier: "tests: N passed, N failed".
//
// PLAN_WORKTREES_STEPS=unit,vsix runs only those steps (the others are
// listed as skipped); PLAN_WORKTREES_STEP_TIMEOUT_MS sets one time limit for
// every step instead of their own.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const artifacts = path.join(root, 'artifacts');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const floors = JSON.parse(fs.readFileSync(path.join(root, 'test', 'tier-floors.json'), 'utf8'));
const MINUTE = 60_000;
// A step that is sent SIGTERM when its time is up gets this long to clean up (the host runner stops its server and browser) before SIGKILL.
const GRACE_MS = 10_000;

const steps = [
  { name: 'typecheck', cmd: bin('tsc'), args: ['--noEmit', '-p', '.'], timeoutMs: 5 * MINUTE },
  { name: 'lint', cmd: bin('eslint'), args: ['src', 'test', 'scripts'], timeoutMs: 5 * MINUTE },
  { name: 'check-commands', cmd: process.execPath, args: ['scripts/check-commands.js'], timeoutMs: MINUTE },
  { name: 'build', cmd: process.execPath, args: ['esbuild.js'], timeoutMs: 2 * MINUTE },
  { name: 'build-tests', cmd: process.execPath, args: ['scripts/build-tests.js'], timeoutMs: 2 * MINUTE },
  // .mocharc.json: forbid-only, fail-zero, exit (a forked fault worker left behind cannot hold the tier open), and
  // failures printed when they happen (a tier killed at its limit still shows them). ~6 minutes on two idle cores.
  { name: 'unit', cmd: bin('mocha'), args: [], tests: true, timeoutMs: 30 * MINUTE },
  // The host runner has its own limit per suite (PLAN_WORKTREES_HOST_TIMEOUT_MS, 20 minutes; two suites); this one is the last resort.
  { name: 'host', cmd: process.execPath, args: ['scripts/run-host-tests.js'], tests: true, timeoutMs: 40 * MINUTE },
  { name: 'vsix', cmd: process.execPath, args: ['scripts/run-vsix-check.js'], tests: true, timeoutMs: 10 * MINUTE },
];

function runStep(step) {
  return new Promise((resolve) => {
    const started = Date.now();
    const timeoutMs = Number(process.env.PLAN_WORKTREES_STEP_TIMEOUT_MS) || step.timeoutMs;
    console.log(`\n=== ${step.name}: ${path.basename(step.cmd)} ${step.args.join(' ')}`);
    const log = fs.createWriteStream(path.join(artifacts, `${step.name}.log`));
    // Its own process group, so that a step that hangs is ended with every process it started.
    const child = spawn(step.cmd, step.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running = child;
    let output = '';
    const take = (out) => (d) => {
      output += d;
      log.write(d);
      out.write(d);
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(process.stderr));
    let timedOut = false;
    let killer;
    const timer = setTimeout(() => {
      timedOut = true;
      const note = `\n[test-all] ${step.name} ran longer than ${timeoutMs / 1000}s: its process group is ended (SIGTERM, then SIGKILL after ${GRACE_MS / 1000}s)\n`;
      log.write(note);
      process.stderr.write(note);
      killGroup(child, 'SIGTERM');
      killer = setTimeout(() => killGroup(child, 'SIGKILL'), GRACE_MS);
    }, timeoutMs);
    let spawnError;
    child.on('error', (e) => (spawnError = e));
    // What the step leaves running in its group when it ends (a forked worker holding its output open) is ended
    // too, after a few seconds for helpers that stop on their own (esbuild's service).
    let leftovers;
    const endLeftovers = () => {
      if (!groupAlive(child)) return;
      const note = `[test-all] ${step.name} ended, but processes of its group still ran: they are killed\n`;
      log.write(note);
      process.stderr.write(note);
      killGroup(child, 'SIGKILL');
    };
    child.on('exit', () => (leftovers = setTimeout(endLeftovers, 3_000)));
    child.on('close', async (code, signal) => {
      clearTimeout(timer);
      clearTimeout(leftovers);
      running = undefined;
      if (!timedOut) {
        for (let waited = 0; waited < 3_000 && groupAlive(child); waited += 100)
          await new Promise((r) => setTimeout(r, 100));
        endLeftovers();
      }
      // Whatever is left of the group (a worker that ignored SIGTERM) goes now.
      if (timedOut) {
        clearTimeout(killer);
        killGroup(child, 'SIGKILL');
      }
      const counts = {
        passed: sum(output, /^\s*(\d+) passing/gm),
        failed: sum(output, /^\s*(\d+) failing/gm),
        pending: sum(output, /^\s*(\d+) pending/gm),
      };
      // Killed before mocha's summary: the tests it reported one by one.
      if (timedOut && !/^\s*\d+ passing/m.test(output)) {
        counts.passed = (output.match(/^\s*✔ /gm) ?? []).length;
        counts.failed = (output.match(/^\s*\[failed\] /gm) ?? []).length;
      }
      const problems = [];
      if (spawnError) problems.push(`could not start: ${spawnError.message}`);
      if (timedOut) problems.push(`timed out after ${timeoutMs / 1000}s, process group killed`);
      else if (code !== 0) problems.push(`exit ${code ?? signal}`);
      if (step.tests) {
        const ran = counts.passed + counts.failed;
        const floor = floors[step.name];
        if (ran === 0) problems.push('no test ran');
        else if (typeof floor === 'number' && ran < floor)
          problems.push(`${ran} tests ran, fewer than its floor of ${floor} (test/tier-floors.json)`);
      }
      log.end(problems.length ? `\n[test-all] ${step.name} failed: ${problems.join('; ')}\n` : '');
      resolve({ ...step, ok: problems.length === 0, problems, seconds: (Date.now() - started) / 1000, counts });
    });
  });
}

let running;

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

function groupAlive(child) {
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sum(text, pattern) {
  let total = 0;
  for (const match of text.matchAll(pattern)) total += Number(match[1]);
  return total;
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      if (running) killGroup(running, 'SIGTERM');
      process.exit(130);
    });
  }
  const only = process.env.PLAN_WORKTREES_STEPS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = (only ?? []).filter((name) => !steps.some((s) => s.name === name));
  if (unknown.length) {
    console.error(
      `PLAN_WORKTREES_STEPS names no such step: ${unknown.join(', ')} (steps: ${steps.map((s) => s.name).join(', ')})`,
    );
    process.exit(2);
  }
  const results = [];
  for (const step of steps) {
    if (only && !only.includes(step.name)) results.push({ ...step, skipped: true });
    else results.push(await runStep(step));
  }
  console.log('\n=== summary');
  for (const r of results) {
    if (r.skipped) {
      console.log(`skip ${r.name}`);
      continue;
    }
    const counts = r.tests
      ? `  ${r.counts.passed} passed, ${r.counts.failed} failed${r.counts.pending ? `, ${r.counts.pending} pending` : ''}`
      : '';
    console.log(
      `${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(15)} ${r.seconds.toFixed(1).padStart(6)}s${counts}${r.ok ? '' : `  (${r.problems.join('; ')})`}`,
    );
  }
  const ran = results.filter((r) => !r.skipped);
  const tests = ran.filter((r) => r.tests);
  const passed = tests.reduce((n, r) => n + r.counts.passed, 0);
  // A tier that failed without a failing test (it crashed, hung, or ran too few) counts as one failure.
  const failed =
    tests.reduce((n, r) => n + (r.counts.failed || (r.ok ? 0 : 1)), 0) + ran.filter((r) => !r.tests && !r.ok).length;
  console.log(`tests: ${passed} passed, ${failed} failed`);
  process.exit(ran.every((r) => r.ok) ? 0 : 1);
}

main();
