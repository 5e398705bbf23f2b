import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanError } from '../../../../src/model/engine/errors';
import { cleanupPlan, discardPlan } from '../../../../src/model/lifecycle/cleanup';
import { createPlan } from '../../../../src/model/lifecycle/create';
import { historyEntries } from '../../../../src/model/state/history';
import { EngineSettings, PlanRecord } from '../../../../src/model/engine/types';
import { Git } from '../../../../src/git/runner';
import { lifecycleFor, Lifecycle, wholeState } from '../../helpers/b';
import { commitFiles, git, makeTempDir, removeDir, TestRepo, withRepo } from '../../helpers/repo';

/** A lifecycle whose git runner asks `trust` (a mutable flag) whether the folder is trusted. */
async function lifecycleWith(
  repo: TestRepo,
  settings: Partial<EngineSettings>,
  trust = { trusted: true },
): Promise<Lifecycle> {
  const life = await lifecycleFor(repo.main, settings);
  return { ...life, ctx: { ...life.ctx, git: new Git({ trusted: () => trust.trusted }) } };
}

/** A merged plan (its worktree and branch both go on a clean-up). */
async function mergedPlan(life: Lifecycle, repo: TestRepo): Promise<PlanRecord> {
  const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Done' });
  commitFiles(plan.path, { 'done.txt': 'done\n' });
  git(repo.main, 'merge', '-q', '--ff-only', plan.branch);
  return plan;
}

async function eventTypes(life: Lifecycle, plan: PlanRecord): Promise<string[]> {
  return (await life.events.read(plan.id)).map((e) => e.type);
}

/** Runs `body` with a folder outside the repository for the command's marks. */
async function withMarks<T>(body: (marks: string) => Promise<T>): Promise<T> {
  const marks = makeTempDir('pw-marks-');
  try {
    return await body(marks);
  } finally {
    removeDir(marks);
  }
}

describe('pre-remove command', () => {
  it("runs in the plan's worktree with the plan's environment before a clean-up, and the history says so", () =>
    withMarks((marks) =>
      withRepo(async (repo) => {
        const mark = path.join(marks, 'ran.txt');
        const life = await lifecycleWith(repo, {
          preRemoveCommand: `printf '%s|%s|%s|%s' "$PWD" "$PLAN_WORKTREES_ID" "$PLAN_WORKTREES_PORT" '\${port}' > '${mark}'; test -f done.txt`,
        });
        const plan = await mergedPlan(life, repo);
        const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
        assert.strictEqual(result.preRemove, 'ran');
        assert.strictEqual(result.removedWorktree, true);
        assert.strictEqual(fs.existsSync(plan.path), false);
        assert.ok(plan.port !== undefined);
        assert.strictEqual(
          fs.readFileSync(mark, 'utf8'),
          `${fs.realpathSync(path.dirname(plan.path))}${path.sep}${path.basename(plan.path)}|${plan.id}|${plan.port}|${plan.port}`,
        );
        const events = await life.events.read(plan.id);
        const after = events.find((e) => e.type === 'preRemove.after');
        assert.strictEqual(after?.exitCode, 0);
        const types = events.map((e) => e.type);
        assert.ok(types.indexOf('preRemove.after') < types.indexOf('remove.after'), types.join(' '));
        const entries = historyEntries(events).map((e) => e.summary);
        assert.ok(entries.includes('Pre-remove command ran (exit code 0)'), entries.join(' / '));
      }),
    ));

  it('stops the clean-up when it exits with 1: a PreRemoveFailed with the exit code and output, and nothing changed', () =>
    withRepo(async (repo) => {
      const life = await lifecycleWith(repo, { preRemoveCommand: 'echo "database busy" >&2; exit 1' });
      const plan = await mergedPlan(life, repo);
      const before = wholeState(repo.root, repo.main, life.ctx);
      await assert.rejects(cleanupPlan(life.ctx, life.registry, life.events, plan), (e: unknown) => {
        assert.ok(e instanceof PlanError, String(e));
        assert.strictEqual(e.code, ErrorCode.PreRemoveFailed);
        assert.deepStrictEqual(e.data, {
          reason: 'exitCode',
          plan: plan.id,
          command: 'echo "database busy" >&2; exit 1',
          output: 'database busy\n',
          exitCode: 1,
        });
        return true;
      });
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
      const events = await life.events.read(plan.id);
      assert.strictEqual(events.find((e) => e.type === 'preRemove.failed')?.exitCode, 1);
      assert.deepStrictEqual(events.map((e) => e.type).slice(-4), [
        'remove.before',
        'preRemove.before',
        'preRemove.failed',
        'remove.failed',
      ]);
      const summaries = historyEntries(events).map((e) => e.summary);
      assert.ok(summaries.includes('Pre-remove command failed (exit code 1): clean-up stopped'), summaries.join(' / '));
      assert.ok(summaries.includes('Clean-up refused'), summaries.join(' / '));
    }));

  it('stops a discard too when it fails: the unmerged branch and its worktree stay', () =>
    withRepo(async (repo) => {
      const life = await lifecycleWith(repo, { preRemoveCommand: 'exit 3' });
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Unmerged' });
      commitFiles(plan.path, { 'work.txt': 'work\n' });
      const before = wholeState(repo.root, repo.main, life.ctx);
      await assert.rejects(
        discardPlan(life.ctx, life.registry, life.events, plan),
        (e: unknown) => e instanceof PlanError && e.code === ErrorCode.PreRemoveFailed && e.data.reason === 'exitCode',
      );
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
    }));

  it('is skipped by a forced clean-up, which says so in its result and the history', () =>
    withMarks((marks) =>
      withRepo(async (repo) => {
        const mark = path.join(marks, 'ran.txt');
        const life = await lifecycleWith(repo, { preRemoveCommand: `touch '${mark}'; exit 1` });
        const plan = await mergedPlan(life, repo);
        const result = await cleanupPlan(life.ctx, life.registry, life.events, plan, { force: true });
        assert.strictEqual(result.preRemove, 'skipped');
        assert.strictEqual(result.removedWorktree, true);
        assert.strictEqual(fs.existsSync(mark), false, 'the command ran');
        const events = await life.events.read(plan.id);
        assert.ok(!events.some((e) => e.type === 'preRemove.before'));
        assert.strictEqual(events.find((e) => e.type === 'remove.after')?.preRemove, 'skipped');
        const summaries = historyEntries(events).map((e) => e.summary);
        assert.ok(summaries.includes('Pre-remove command skipped (forced clean-up)'), summaries.join(' / '));
      }),
    ));

  it('never runs while the folder is not trusted: the clean-up is refused with Untrusted and nothing changes', () =>
    withMarks((marks) =>
      withRepo(async (repo) => {
        const mark = path.join(marks, 'ran.txt');
        const trust = { trusted: true };
        const life = await lifecycleWith(repo, { preRemoveCommand: `touch '${mark}'` }, trust);
        const plan = await mergedPlan(life, repo);
        const before = wholeState(repo.root, repo.main, life.ctx);
        trust.trusted = false;
        await assert.rejects(
          cleanupPlan(life.ctx, life.registry, life.events, plan),
          (e: unknown) => e instanceof PlanError && e.code === ErrorCode.Untrusted,
        );
        await assert.rejects(
          discardPlan(life.ctx, life.registry, life.events, plan),
          (e: unknown) => e instanceof PlanError && e.code === ErrorCode.Untrusted,
        );
        assert.strictEqual(fs.existsSync(mark), false, 'the command ran');
        assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
      }),
    ));

  it('is stopped at its time limit, with the process it started, and the clean-up refused', () =>
    withMarks((marks) =>
      withRepo(async (repo) => {
        const mark = path.join(marks, 'late.txt');
        const life = await lifecycleWith(repo, {
          preRemoveCommand: `echo waiting; sleep 5; touch '${mark}'`,
          preRemoveTimeoutMs: 500,
        });
        const plan = await mergedPlan(life, repo);
        const started = Date.now();
        await assert.rejects(cleanupPlan(life.ctx, life.registry, life.events, plan), (e: unknown) => {
          assert.ok(e instanceof PlanError && e.code === ErrorCode.PreRemoveFailed, String(e));
          assert.strictEqual(e.data.reason, 'timeout');
          assert.strictEqual(e.data.output, 'waiting\n');
          return true;
        });
        assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
        assert.strictEqual(fs.existsSync(plan.path), true);
        await new Promise((resolve) => setTimeout(resolve, 5500));
        assert.strictEqual(fs.existsSync(mark), false, 'the command went on after its time limit');
        assert.ok((await eventTypes(life, plan)).includes('preRemove.failed'));
      }),
    )).timeout(20000);

  it('does nothing when there is no command', () =>
    withRepo(async (repo) => {
      const life = await lifecycleWith(repo, {});
      const plan = await mergedPlan(life, repo);
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.strictEqual(result.preRemove, undefined);
      assert.ok(!(await eventTypes(life, plan)).some((t) => t.startsWith('preRemove.')));
    }));
});
