/**
 * A real SIGKILL in the middle of create, merge (each strategy), cleanup,
 * discard and restore, run by a forked process with its own engine: right
 * after a chosen step (a git process, a registry write, an event-log append),
 * and at random moments (which can land inside a git process). After each
 * kill: nothing is lost; the next refresh and the doctor (in another process,
 * as another window would) bring everything back in line: no half-created
 * plan, no main checkout half-way through a merge, no stale lock, no
 * changes left in a stash; and trying again works.
 *
 * The default run kills after PLAN_WORKTREES_KILL_STEPS steps chosen at random
 * (default 2, besides the steps pinned below) and at PLAN_WORKTREES_KILL_RANDOM random moments (default 2) per
 * operation; PLAN_WORKTREES_KILL_STEPS=all kills after every step. The
 * choice comes from two seeds every run, CI included: the known one below (a
 * regression case) and a fresh one, each printed with its replay line;
 * PLAN_WORKTREES_FUZZ_SEED=<seed> replays one alone.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Git } from '../../../src/git/runner';
import { PlanEngine } from '../../../src/model/engine/planEngine';
import {
  assertConsistent,
  assertNotHalfway,
  assertNothingLost,
  counts,
  doctorFixAll,
  EngineWorker,
  envNumber,
  fuzzSeeds,
  holdings,
  Random,
} from '../helpers/fault';
import { git } from '../helpers/repo';
import { assertTriedAgain, busyFolder, Prepared, Scenario, scenarios } from './scenarios';

const seeds = fuzzSeeds([1644989162]);
const allSteps = process.env.PLAN_WORKTREES_KILL_STEPS === 'all';
const stepKills = envNumber('PLAN_WORKTREES_KILL_STEPS', 2);
const randomKills = envNumber('PLAN_WORKTREES_KILL_RANDOM', 2);

describe('fault suite: a process killed (SIGKILL) in the middle of create, merge, cleanup, discard and restore', function () {
  this.timeout(600_000);
  before(() => {
    for (const { seed, kind } of seeds) {
      console.log(`      kill seed ${seed}, ${kind} (replay: PLAN_WORKTREES_FUZZ_SEED=${seed})`);
    }
  });

  for (const [index, scenario] of scenarios.entries()) {
    it(scenario.name, async () => {
      const prepared = await Prepared.create(scenario);
      try {
        // One uninterrupted run in a worker: its steps, and how long it takes.
        prepared.reset();
        const counting = new EngineWorker(prepared.repo.main, scenario.settings ?? {});
        await counting.call('arm', null, 'before');
        const started = Date.now();
        const clean = await counting.call(scenario.op, ...scenario.args);
        const duration = Date.now() - started;
        const steps = (await counting.call('steps')).result as string[];
        await counting.close();
        assert.ok(clean.ok, `the operation fails even without a kill: ${JSON.stringify(clean)}`);

        // Besides the random ones, always the steps after which a death leaves the most to repair: the
        // reservation, the stash of the main checkout's changes, and each branch moved by a merge.
        const pinned = steps
          .flatMap((s, i) => (/^git (update-ref -m|stash push|stash apply)|^registry write/.test(s) ? [i + 1] : []))
          .slice(0, 4);
        const done = new Set<number>();
        for (const { seed, kind } of seeds) {
          const rng = new Random(seed + index);
          const picked = Array.from({ length: stepKills }, () => 1 + rng.int(steps.length));
          const chosen = allSteps
            ? steps.map((_, i) => i + 1)
            : [...new Set([...pinned, ...picked])].sort((a, b) => a - b);
          for (const n of chosen.filter((n) => !done.has(n))) {
            done.add(n);
            prepared.reset();
            await survey(() =>
              killAndRepair(
                prepared,
                scenario,
                `killed right after step ${n} of ${steps.length} (${steps[n - 1]}; ${kind} seed ${seed})`,
                async (worker) => {
                  await worker.call('arm', n, 'kill');
                  const reply = await worker.call(scenario.op, ...scenario.args);
                  assert.ok(worker.exited, `the worker lived on after step ${n}: ${JSON.stringify(reply)}`);
                },
              ),
            );
          }
          for (let k = 0; k < randomKills; k++) {
            const delay = Math.round(rng.next() * duration);
            prepared.reset();
            await survey(() =>
              killAndRepair(
                prepared,
                scenario,
                `killed after ${delay} ms of about ${duration} (${kind} seed ${seed})`,
                async (worker) => {
                  const reply = worker.call(scenario.op, ...scenario.args);
                  await new Promise((resolve) => setTimeout(resolve, delay));
                  await worker.kill();
                  await reply;
                },
              ),
            );
          }
        }
      } finally {
        prepared.dispose();
      }
    });
  }
});

async function killAndRepair(
  prepared: Prepared,
  scenario: Scenario,
  what: string,
  kill: (worker: EngineWorker) => Promise<void>,
): Promise<void> {
  const { repo } = prepared;
  const context = `${scenario.name}: ${what}`;
  const worker = new EngineWorker(repo.main, scenario.settings ?? {});
  await worker.whenReady();
  const before = holdings(repo.main);
  const tipBefore = git(repo.main, 'rev-parse', 'HEAD');
  const superseded = { stagedForgiven: [busyFolder(repo)] };
  counts.operations++;
  await kill(worker);
  counts.kills++;
  assertNothingLost(repo.main, before, context, superseded);

  // Later, another window refreshes and runs the doctor. (A lock file git left is stale only after a minute: the test ages them.)
  const locks = gitLocks(repo.main);
  for (const file of locks) {
    try {
      fs.utimesSync(file, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    } catch (e) {
      // A git process that outlived its killed parent may finish and remove its lock meanwhile.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const engine = await PlanEngine.open(repo.main, { git: new Git(), settings: scenario.settings });
  const found = await doctorFixAll(engine);
  const repaired = `${context}, after the doctor (${found.join(', ') || 'nothing found'})`;
  await assertConsistent(engine, repo.main, repaired, { settled: true });
  assertNotHalfway(repo.main, tipBefore, repaired);
  assertNothingLost(repo.main, before, repaired, superseded);
  assert.deepStrictEqual(gitLocks(repo.main), [], `${repaired}: git's lock files are left`);
  // A stash of moved changes stays only when the doctor cannot tell where they belong, and says so.
  const left = (await engine.doctor()).filter((f) => f.kind === 'movedChanges');
  if (git(repo.main, 'stash', 'list') !== '') {
    assert.ok(
      left.length > 0 && left.every((f) => !f.fix),
      `${repaired}: changes left in a stash: ${git(repo.main, 'stash', 'list')}`,
    );
  }

  await assertTriedAgain(engine, scenario, repaired);
  await assertConsistent(engine, repo.main, `${repaired}, after trying again`, { settled: true });
}

async function survey(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (!process.env.PLAN_WORKTREES_SURVEY) throw e;
    console.log(`SURVEY ${(e as Error).message.split('\n')[0]}`);
  }
}

/** git's lock files in the repository: index, HEAD and ref locks of every worktree. */
function gitLocks(main: string): string[] {
  const common = path.join(main, '.git');
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (
        /^(index|HEAD|packed-refs)\.lock$/.test(entry.name) ||
        (entry.name.endsWith('.lock') && full.includes(`${path.sep}refs${path.sep}`))
      ) {
        found.push(full);
      }
    }
  };
  walk(common);
  return found.sort();
}
