/**
 * A failure injected between every pair of steps of create, merge (each
 * strategy), cleanup, discard and restore: every git process, registry write
 * and event-log append is a step, and the chosen one fails instead of running.
 * After each: nothing is lost; a failed create or merge changed nothing at
 * all (unless the merge was past its point of no return, when it must be
 * complete); the main checkout is never left half-merged; the doctor brings
 * the registry and git back in line; and trying again works. (A process
 * killed right after each step is kill.test.ts.)
 */
import * as assert from 'assert';
import { Git } from '../../../src/git/runner';
import { PlanEngine } from '../../../src/model/engine/planEngine';
import { wholeState } from '../helpers/b';
import { openContext } from '../helpers/a';
import {
  assertConsistent,
  assertNotHalfway,
  assertNothingLost,
  attempt,
  doctorFixAll,
  FaultInjector,
  FaultyGit,
  holdings,
  mainCheckout,
  Outcome,
  withStateFaults,
} from '../helpers/fault';
import { git } from '../helpers/repo';
import { assertTriedAgain, busyFolder, Prepared, runScenario, Scenario, scenarios } from './scenarios';

describe('fault suite: a failure at every step of create, merge, cleanup, discard and restore', function () {
  this.timeout(300_000);

  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const prepared = await Prepared.create(scenario);
      try {
        // A run without a fault counts the steps.
        const faults = new FaultInjector();
        const counting = await PlanEngine.open(prepared.repo.main, {
          git: new FaultyGit(faults),
          settings: scenario.settings,
        });
        faults.arm(undefined, 'before');
        const clean = await withStateFaults(faults, () => attempt(() => runScenario(counting, scenario)));
        assert.ok(clean.ok, `the operation fails even without a fault: ${JSON.stringify(clean)}`);
        const steps = [...faults.steps];
        assert.ok(steps.length > 3, `only ${steps.length} steps counted`);
        for (let n = 1; n <= steps.length; n++) {
          prepared.reset();
          await checkOneFault(prepared, scenario, faults, n, steps);
        }
      } finally {
        prepared.dispose();
      }
    });
  }
});

async function checkOneFault(
  prepared: Prepared,
  scenario: Scenario,
  faults: FaultInjector,
  n: number,
  steps: string[],
): Promise<void> {
  const { repo } = prepared;
  const context = `${scenario.name}: failure before step ${n} of ${steps.length} (${steps[n - 1]})`;
  const ctx = scenario.changesNothingOnFailure ? await openContext(repo.main) : undefined;
  const before = holdings(repo.main);
  const stateBefore = ctx ? wholeState(repo.root, repo.main, ctx) : '';
  const mainBefore = mainCheckout(repo.main);
  const mainTipBefore = git(repo.main, 'rev-parse', 'HEAD');
  const superseded = { stagedForgiven: [busyFolder(repo)] };

  const engine = await PlanEngine.open(repo.main, { git: new FaultyGit(faults), settings: scenario.settings });
  faults.arm(n, 'before');
  const outcome: Outcome<unknown> = await withStateFaults(faults, () => attempt(() => runScenario(engine, scenario)));
  assert.ok(
    faults.injected,
    `${context}: the fault was never reached (${JSON.stringify(outcome)}; steps ${faults.steps.join(', ')})`,
  );

  assertNothingLost(repo.main, before, context, superseded);
  const baseMoved = git(repo.main, 'rev-parse', 'HEAD') !== mainTipBefore;
  if (!outcome.ok) {
    assert.match(outcome.message, /Injected failure/, `${context}: the error does not say what failed`);
    // A merge whose base moved went past its point of no return: it is done (checked below), only its bookkeeping failed.
    if (ctx && !baseMoved) {
      assert.strictEqual(
        wholeState(repo.root, repo.main, ctx),
        stateBefore,
        `${context}: the failed operation changed something`,
      );
    }
  }
  const movedChanges = outcome.ok && scenario.op === 'create'; // the main checkout's changes moved into the plan, as asked
  if (!baseMoved && !movedChanges) {
    assert.strictEqual(
      mainCheckout(repo.main),
      mainBefore,
      `${context}: the main checkout changed without its branch moving`,
    );
  }
  assertNotHalfway(repo.main, mainTipBefore, context);

  // The next refresh and the doctor bring everything back in line; trying again works.
  const healthy = await PlanEngine.open(repo.main, { git: new Git(), settings: scenario.settings });
  const found = await doctorFixAll(healthy);
  const repaired = `${context}, after the doctor (${found.join(', ') || 'nothing found'})`;
  await assertConsistent(healthy, repo.main, repaired, { settled: true });
  assertNotHalfway(repo.main, mainTipBefore, repaired);
  assertNothingLost(repo.main, before, repaired, superseded);
  if (!outcome.ok) {
    await assertTriedAgain(healthy, scenario, repaired);
    await assertConsistent(healthy, repo.main, `${context}, after trying again`, { settled: true });
  }
}
