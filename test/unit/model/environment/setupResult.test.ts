import * as assert from 'assert';
import * as fs from 'fs';
import { ErrorCode, PlanError } from '../../../../src/model/engine/errors';
import { recordSetup } from '../../../../src/model/environment/setupResult';
import { createPlan } from '../../../../src/model/lifecycle/create';
import { historyEntries } from '../../../../src/model/state/history';
import { lifecycleFor } from '../../helpers/b';
import { withRepo } from '../../helpers/repo';

describe('recordSetup', () => {
  it("records a setup that exits with 1 in the plan's record and history, and a later run that exits with 0", () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Setup' });
      const record = async () => (await life.registry.read()).plans.find((p) => p.id === plan.id)?.setup;

      assert.strictEqual(
        (await recordSetup(life.registry, life.events, plan, { phase: 'started', command: 'npm ci' })).status,
        'running',
      );
      assert.strictEqual((await record())?.status, 'running');
      await recordSetup(life.registry, life.events, plan, { phase: 'ended', exitCode: 1 });
      assert.deepStrictEqual(
        { ...(await record()), time: undefined },
        { status: 'failed', exitCode: 1, time: undefined },
      );
      let events = await life.events.read(plan.id);
      assert.deepStrictEqual(
        events.slice(-2).map((e) => [e.type, e.command ?? e.exitCode]),
        [
          ['setup.before', 'npm ci'],
          ['setup.failed', 1],
        ],
      );
      assert.ok(
        historyEntries(events).some(
          (e) => e.summary === 'Setup command failed (exit code 1)' && e.outcome === 'failed',
        ),
      );

      await recordSetup(life.registry, life.events, plan, { phase: 'started', command: 'npm ci' });
      await recordSetup(life.registry, life.events, plan, { phase: 'ended', exitCode: 0 });
      assert.strictEqual((await record())?.status, 'ok');
      events = await life.events.read(plan.id);
      assert.strictEqual(historyEntries(events).at(-1)?.summary, 'Setup command finished (exit code 0)');
    }));

  it('a terminal closed before the command ended is a failure with no exit code', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Closed' });
      await recordSetup(life.registry, life.events, plan, { phase: 'started', command: 'sleep 100' });
      const result = await recordSetup(life.registry, life.events, plan, { phase: 'ended' });
      assert.deepStrictEqual([result.status, result.exitCode], ['failed', undefined]);
      const entries = historyEntries(await life.events.read(plan.id));
      assert.strictEqual(entries.at(-1)?.summary, 'Setup command failed (no exit code: its terminal was closed)');
    }));

  it('refuses a plan the registry does not have, and writes nothing', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      await assert.rejects(
        recordSetup(
          life.registry,
          life.events,
          { id: 'nope', run: 1, branch: 'plan/nope' },
          { phase: 'ended', exitCode: 0 },
        ),
        (e: unknown) => e instanceof PlanError && e.code === ErrorCode.PlanNotFound,
      );
      assert.strictEqual(fs.existsSync(life.events.file), false);
    }));

  it('a hand-edited registry record with a setup that is not a result is skipped as invalid', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Edited' });
      const text = fs.readFileSync(life.registry.file, 'utf8');
      const data = JSON.parse(text) as { plans: Array<Record<string, unknown>> };
      data.plans[0].setup = { status: 'rm -rf /', time: 'now' };
      fs.writeFileSync(life.registry.file, JSON.stringify(data));
      const { data: read, invalid } = await life.registry.contents();
      assert.deepStrictEqual(
        read.plans.map((p) => p.id),
        [],
      );
      assert.match(invalid[0].problem, /"setup" is not the result of a setup command/);
      assert.ok(plan);
    }));
});
