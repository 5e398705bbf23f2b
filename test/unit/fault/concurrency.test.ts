/**
 * Two windows working on one repository at the same moment: this process and
 * a forked one, each with its own engine (their operation queues know nothing
 * of each other), merge two plans into the checked-out base, create plans,
 * and clean up and merge the same plan, over and over. After each round:
 * nothing is lost, the main checkout is exactly at its branch, the registry
 * agrees with git, and every refusal is a clear one.
 */
import * as assert from 'assert';
import { Git } from '../../../src/git/runner';
import { PlanEngine } from '../../../src/model/engine/planEngine';
import {
  assertConsistent,
  assertNothingLost,
  attempt,
  counts,
  EngineWorker,
  envNumber,
  holdings,
  Outcome,
  WorkerReply,
} from '../helpers/fault';
import { commitFiles, git, withRepo } from '../helpers/repo';

const rounds = envNumber('PLAN_WORKTREES_RACE_ROUNDS', 8);

/** Refusals a race may end in: the other window got there first. */
const raceCodes = [
  'BaseMoved',
  'PlanMoved',
  'BaseDirty',
  'IndexLocked',
  'RefLocked',
  'PlanNotFound',
  'BranchNotFound',
  'WorktreeNotFound',
  'LockTimeout',
  'MergeInProgress',
  'PlanBusy',
];

function expectOkOrRace(what: string, outcome: Outcome<unknown> | WorkerReply): boolean {
  if (outcome.ok) return true;
  assert.ok(!(outcome as WorkerReply).unexpected, `${what}: ${outcome.message}`);
  assert.ok(raceCodes.includes(outcome.code ?? ''), `${what} failed with ${outcome.code}: ${outcome.message}`);
  return false;
}

describe('fault suite: two processes on one repository at the same moment', function () {
  this.timeout(300_000);

  it(`${rounds} rounds of two merges into the checked-out base, two creates, and a cleanup racing a merge of the same plan`, () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const worker = new EngineWorker(repo.main);
      try {
        await worker.whenReady();
        let merged = 0;
        for (let round = 1; round <= rounds; round++) {
          const context = `round ${round}`;
          const [mine, theirs] = [
            await engine.create({ title: `Here ${round}` }),
            await engine.create({ title: `There ${round}` }),
          ];
          commitFiles(mine.path, { [`here-${round}.txt`]: `${round}\n` }, `here ${round}`);
          commitFiles(theirs.path, { [`there-${round}.txt`]: `${round}\n` }, `there ${round}`);

          // Two merges into main at once.
          let before = holdings(repo.main);
          counts.operations++;
          const [a, b] = await Promise.all([
            attempt(() => engine.merge(mine.id, { strategy: 'merge' })),
            worker.call('merge', theirs.id, { strategy: round % 2 ? 'squash' : 'rebase' }),
          ]);
          merged +=
            Number(expectOkOrRace(`${context}: merge here`, a)) + Number(expectOkOrRace(`${context}: merge there`, b));
          assertNothingLost(repo.main, before, context);
          assert.strictEqual(
            git(repo.main, 'status', '--porcelain', '--untracked-files=no'),
            '',
            `${context}: the main checkout is not at its branch after two merges`,
          );
          await assertConsistent(engine, repo.main, context, { settled: true });

          // Two creates at once, then a cleanup here racing a merge there of the same plan.
          counts.operations += 2;
          const [c, d] = await Promise.all([
            attempt(() => engine.create({ title: `Twin ${round}` })),
            worker.call('create', { title: `Twin ${round}` }),
          ]);
          assert.ok(c.ok && d.ok, `${context}: two creates: ${JSON.stringify([c, d])}`);
          const twin = c.value;
          commitFiles(twin.path, { [`twin-${round}.txt`]: `${round}\n` }, `twin ${round}`);
          before = holdings(repo.main);
          counts.operations += 2;
          const [e, f] = await Promise.all([
            attempt(() => engine.cleanup(twin.id, { force: true })),
            worker.call('merge', twin.id, { strategy: 'merge' }),
          ]);
          expectOkOrRace(`${context}: cleanup here`, e);
          expectOkOrRace(`${context}: merge there`, f);
          assertNothingLost(repo.main, before, `${context}: cleanup racing a merge`);
          assert.strictEqual(
            git(repo.main, 'status', '--porcelain', '--untracked-files=no'),
            '',
            `${context}: the main checkout is not at its branch`,
          );
          await assertConsistent(engine, repo.main, `${context}: cleanup racing a merge`, { settled: true });
          for (const plan of [mine, theirs, twin, (d as WorkerReply).result as { id: string }]) {
            await attempt(() => engine.discard(plan.id));
          }
        }
        // Usually one of two racing merges wins and the other is refused; both may be refused (each saw the other's half-done work).
        assert.ok(merged >= rounds / 2, `only ${merged} of ${2 * rounds} racing merges went through`);
      } finally {
        await worker.close();
      }
    }));
});
