/**
 * "Update from <base>": the base's new commits brought into the plan by a
 * rebase or a merge in the plan's worktree, pre-checked with merge-tree so
 * that conflicts are named before anything moves.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode } from '../../../../src/model/engine/errors';
import { Git } from '../../../../src/git/runner';
import { PlanEngine } from '../../../../src/model/engine/planEngine';
import { commitFiles, fingerprint, git, withRepo, writeFiles } from '../../helpers/repo';
import { isPlanError } from '../../helpers/errors';

async function planBehindMain(main: string, id: string) {
  const engine = await PlanEngine.open(main, { git: new Git() });
  const plan = await engine.create({ id, title: `Plan ${id}` });
  const planTip = commitFiles(plan.path, { 'plan.txt': 'plan\n' }, 'plan work');
  const baseTip = commitFiles(main, { 'base.txt': 'base\n' }, 'base moves on');
  return { engine, plan, planTip, baseTip };
}

describe('update a plan from its base', () => {
  it("rebase: the plan's commits go on top of the base; the base and the main checkout stay as they were", () =>
    withRepo(async (repo) => {
      const { engine, plan, baseTip } = await planBehindMain(repo.main, 'u1');
      const mainFiles = git(repo.main, 'status', '--porcelain');
      const result = await engine.updateFromBase('u1', 'rebase');
      assert.deepStrictEqual(result, { how: 'rebase', updated: true, conflicts: [] });
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD~1'), baseTip, 'replayed onto the base');
      assert.strictEqual(git(plan.path, 'log', '-1', '--format=%s'), 'plan work');
      assert.strictEqual(git(plan.path, 'symbolic-ref', 'HEAD'), `refs/heads/${plan.branch}`);
      assert.ok(fs.existsSync(path.join(plan.path, 'base.txt')));
      assert.strictEqual(git(repo.main, 'rev-parse', 'main'), baseTip);
      assert.strictEqual(git(repo.main, 'status', '--porcelain'), mainFiles);
      const types = (await engine.history('u1')).map((e) => e.type);
      assert.ok(types.includes('update.after'), types.join(', '));
    }));

  it("merge: a merge commit of the plan and the base on the plan's branch", () =>
    withRepo(async (repo) => {
      const { engine, plan, planTip, baseTip } = await planBehindMain(repo.main, 'u2');
      const result = await engine.updateFromBase('u2', 'merge');
      assert.deepStrictEqual(result, { how: 'merge', updated: true, conflicts: [] });
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD^1'), planTip);
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD^2'), baseTip);
      assert.strictEqual(git(plan.path, 'log', '-1', '--format=%s'), `Merge main into ${plan.branch}`);
      assert.strictEqual(git(repo.main, 'rev-parse', 'main'), baseTip);
    }));

  it('names the conflicting files before anything moves (merge-tree pre-check), for rebase and merge alike', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ id: 'u3', title: 'Conflicts' });
      commitFiles(plan.path, { 'README.md': '# plan\n' }, 'plan rewrites the readme');
      commitFiles(repo.main, { 'README.md': '# main\n' }, 'main rewrites the readme');
      const before = fingerprint(repo.main);
      for (const how of ['rebase', 'merge'] as const) {
        await assert.rejects(
          engine.updateFromBase('u3', how),
          isPlanError(ErrorCode.MergeConflict, { reason: 'check', plan: 'u3', base: 'main', files: ['README.md'] }),
        );
        assert.strictEqual(fingerprint(repo.main), before, `${how}: nothing changed`);
        assert.ok(!fs.existsSync(path.join(git(plan.path, 'rev-parse', '--absolute-git-dir'), 'rebase-merge')));
      }
    }));

  it('refuses a plan with uncommitted changes, as the rebase does, changing nothing', () =>
    withRepo(async (repo) => {
      const { engine, plan } = await planBehindMain(repo.main, 'u4');
      writeFiles(plan.path, { 'plan.txt': 'edited, not committed\n' });
      const before = fingerprint(repo.main);
      await assert.rejects(
        engine.updateFromBase('u4', 'rebase'),
        isPlanError(ErrorCode.PlanDirty, { reason: 'update', plan: 'u4', base: 'main' }),
      );
      assert.strictEqual(fingerprint(repo.main), before);
    }));

  it('does nothing to a plan that has every commit of its base already', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ id: 'u5', title: 'Current' });
      const tip = commitFiles(plan.path, { 'plan.txt': 'plan\n' }, 'plan work');
      assert.deepStrictEqual(await engine.updateFromBase('u5', 'merge'), {
        how: 'merge',
        updated: false,
        conflicts: [],
      });
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), tip);
    }));

  it('a rebase that stops on a commit although the whole merges cleanly: the conflicts are named, and Abort Rebase puts it back', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ id: 'u6', title: 'Back and forth' });
      // The plan changes README.md and changes it back: as a whole it does not touch it, commit by commit it does.
      commitFiles(plan.path, { 'README.md': '# plan\n' }, 'try a readme');
      const tip = commitFiles(plan.path, { 'README.md': '# demo\n', 'six.txt': '6\n' }, 'put the readme back');
      commitFiles(repo.main, { 'README.md': '# main\n' }, 'main rewrites the readme');
      const result = await engine.updateFromBase('u6', 'rebase');
      assert.deepStrictEqual(result, { how: 'rebase', updated: true, conflicts: ['README.md'] });
      await engine.abortRebase('u6');
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), tip);
    }));
});
