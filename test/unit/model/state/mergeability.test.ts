import * as assert from 'assert';
import { MergeabilityCache } from '../../../../src/model/state/mergeability';
import { commitAll } from '../../../../src/model/lifecycle/commit';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { addPlan, openContext } from '../../helpers/a';
import { isPlanError } from '../../helpers/errors';
import { commitFiles, fingerprint, git, withRepo, writeFiles } from '../../helpers/repo';

describe('mergeability of active plans', () => {
  it('tells clean from conflicting plans and lists the plans that change the same files', () =>
    withRepo(async (repo) => {
      const a = addPlan(repo, '1');
      const b = addPlan(repo, '2');
      const c = addPlan(repo, '3');
      commitFiles(a.path, { 'src/app.txt': 'one\nTWO by plan 1\nthree\n', 'docs/a.md': 'a\n' });
      commitFiles(b.path, { 'src/app.txt': 'one\ntwo\nthree\nfour by plan 2\n' });
      commitFiles(c.path, { 'notes.md': 'separate\n' });
      commitFiles(repo.main, { 'src/app.txt': 'one\nTWO on main\nthree\n' }, 'main moves on');
      const before = fingerprint(repo.main);
      const ctx = await openContext(repo.main);
      const result = await new MergeabilityCache(ctx).compute([a, b, c]);
      assert.strictEqual(result.get('1')?.clean, false);
      assert.deepStrictEqual(result.get('1')?.conflicts, ['src/app.txt']);
      assert.strictEqual(result.get('2')?.clean, true);
      assert.strictEqual(result.get('3')?.clean, true);
      assert.deepStrictEqual(result.get('1')?.overlaps, [{ planId: '2', files: ['src/app.txt'] }]);
      assert.deepStrictEqual(result.get('2')?.overlaps, [{ planId: '1', files: ['src/app.txt'] }]);
      assert.deepStrictEqual(result.get('3')?.overlaps, []);
      assert.deepStrictEqual(result.get('1')?.files, ['docs/a.md', 'src/app.txt']);
      assert.strictEqual(fingerprint(repo.main), before, 'the pre-check changes nothing');
    }));

  it('lists each overlap once, in the order of the plans, with the files it shares in their order', () =>
    withRepo(async (repo) => {
      const plans = ['1', '2', '3', '4'].map((id) => addPlan(repo, id));
      commitFiles(plans[0].path, { 'a.txt': '1\n', 'b.txt': '1\n', 'c.txt': '1\n' });
      commitFiles(plans[1].path, { 'c.txt': '2\n', 'a.txt': '2\n' });
      commitFiles(plans[2].path, { 'b.txt': '3\n' });
      commitFiles(plans[3].path, { 'z.txt': '4\n' });
      const ctx = await openContext(repo.main);
      const result = await new MergeabilityCache(ctx).compute([plans[2], plans[0], plans[3], plans[1]]);
      assert.deepStrictEqual(result.get('1')?.overlaps, [
        { planId: '3', files: ['b.txt'] },
        { planId: '2', files: ['a.txt', 'c.txt'] },
      ]);
      assert.deepStrictEqual(result.get('2')?.overlaps, [{ planId: '1', files: ['a.txt', 'c.txt'] }]);
      assert.deepStrictEqual(result.get('3')?.overlaps, [{ planId: '1', files: ['b.txt'] }]);
      assert.deepStrictEqual(result.get('4')?.overlaps, []);
    }));

  it('is cached per pair of commits: a second refresh runs one git process', () =>
    withRepo(async (repo) => {
      const plans = ['1', '2', '3', '4'].map((id) => addPlan(repo, id));
      for (const plan of plans) commitFiles(plan.path, { [`f${plan.id}.txt`]: plan.id });
      const ctx = await openContext(repo.main);
      const cache = new MergeabilityCache(ctx);
      await cache.compute(plans);
      const first = ctx.git.processCount;
      await cache.compute(plans);
      assert.strictEqual(ctx.git.processCount - first, 1, 'only the for-each-ref of all plans');
      commitFiles(plans[0].path, { 'f1.txt': 'changed' });
      const beforeThird = ctx.git.processCount;
      await cache.compute(plans);
      assert.ok(ctx.git.processCount - beforeThird <= 4, 'only the moved plan is checked again');
    }));
});

describe('commitAll', () => {
  it('commits tracked, deleted and untracked changes of a worktree with the message', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '1');
      writeFiles(plan.path, { 'src/app.txt': 'changed\n', 'new file.txt': 'untracked\n' });
      git(plan.path, 'rm', '-q', 'README.md');
      const ctx = await openContext(repo.main);
      const commit = await commitAll(ctx, plan, '-m looks like an option but is the message');
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), commit);
      assert.strictEqual(git(plan.path, 'log', '-1', '--format=%s'), '-m looks like an option but is the message');
      assert.strictEqual(git(plan.path, 'status', '--porcelain'), '');
      assert.strictEqual(
        git(plan.path, 'show', '--name-status', '--format=', 'HEAD'),
        'D\tREADME.md\nA\tnew file.txt\nM\tsrc/app.txt',
      );
    }));

  it('refuses an empty message and a clean worktree, changing nothing', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '1');
      const ctx = await openContext(repo.main);
      const before = fingerprint(repo.main);
      await assert.rejects(
        commitAll(ctx, plan, 'nothing to commit'),
        isPlanError(ErrorCode.NothingToCommit, { plan: '1' }),
      );
      writeFiles(plan.path, { 'x.txt': 'x' });
      const dirty = fingerprint(repo.main);
      await assert.rejects(
        commitAll(ctx, plan, '  '),
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.InvalidName,
      );
      assert.strictEqual(fingerprint(repo.main), dirty);
      assert.notStrictEqual(before, dirty);
    }));
});
