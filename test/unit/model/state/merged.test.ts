import * as assert from 'assert';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { divergences, isMerged } from '../../../../src/model/state/merged';
import { openContext, processCounter } from '../../helpers/a';
import { isPlanError } from '../../helpers/errors';
import { commitFiles, git, TestRepo, withRepo } from '../../helpers/repo';

/** A branch `plan` from main with two commits touching a.txt and b.txt, checked out in main; main is checked out again. */
function makePlanBranch({ main }: TestRepo): void {
  git(main, 'checkout', '-q', '-b', 'plan');
  commitFiles(main, { 'a.txt': 'a\n' }, 'add a');
  commitFiles(main, { 'b.txt': 'b\n' }, 'add b');
  git(main, 'checkout', '-q', 'main');
}

describe('isMerged', () => {
  it('says not merged for a branch with its own commits', () =>
    withRepo(async (repo) => {
      makePlanBranch(repo);
      assert.deepStrictEqual(await isMerged(await openContext(repo.main), 'plan', 'main'), { merged: false });
    }));

  it('says ancestor after a merge commit, and for a branch with no commits of its own', () =>
    withRepo(async (repo) => {
      git(repo.main, 'branch', 'empty');
      commitFiles(repo.main, { 'later.txt': 'x' });
      makePlanBranch(repo);
      const ctx = await openContext(repo.main);
      assert.deepStrictEqual(await isMerged(ctx, 'empty', 'main'), { merged: true, how: 'ancestor' });
      git(repo.main, 'merge', '-q', '--no-ff', '-m', 'merge plan', 'plan');
      assert.deepStrictEqual(await isMerged(ctx, 'plan', 'main'), { merged: true, how: 'ancestor' });
    }));

  it('says sameTree after a squash merge, even when main moved on afterwards', () =>
    withRepo(async (repo) => {
      makePlanBranch(repo);
      git(repo.main, 'merge', '-q', '--squash', 'plan');
      git(repo.main, 'commit', '-q', '-m', 'squashed');
      commitFiles(repo.main, { 'src/app.txt': 'one\ntwo\nthree\nfour\n' }, 'more on main');
      assert.deepStrictEqual(await isMerged(await openContext(repo.main), 'refs/heads/plan', 'main'), {
        merged: true,
        how: 'sameTree',
      });
    }));

  it('says patchId when each commit was cherry-picked but a later main change touches the same file', () =>
    withRepo(async (repo) => {
      git(repo.main, 'checkout', '-q', '-b', 'plan');
      const c1 = commitFiles(repo.main, { 'src/app.txt': 'one\ntwo\nthree\n4\n' }, 'four');
      git(repo.main, 'checkout', '-q', 'main');
      commitFiles(repo.main, { 'README.md': '# moved on\n' }, 'main moves');
      git(repo.main, 'cherry-pick', c1);
      // Main then changes the line the plan added: merging the plan again would conflict, so the tree check says no.
      commitFiles(repo.main, { 'src/app.txt': 'one\ntwo\nthree\nFOUR\n' }, 'rewrite four');
      assert.deepStrictEqual(await isMerged(await openContext(repo.main), 'plan', 'main'), {
        merged: true,
        how: 'patchId',
      });
    }));

  it('finds work squash-merged into the base upstream only (a pull request merged on the server)', () =>
    withRepo(async ({ root, main: server }) => {
      const clone = path.join(root, 'clone');
      git(root, 'clone', '-q', server, clone);
      git(clone, 'config', 'user.name', 'Plan Tester');
      git(clone, 'config', 'user.email', 'tester@example.invalid');
      git(clone, 'checkout', '-q', '-b', 'plan');
      commitFiles(clone, { 'feature.txt': 'feature\n' }, 'feature');
      git(clone, 'push', '-q', 'origin', 'plan');
      git(server, 'merge', '-q', '--squash', 'plan');
      git(server, 'commit', '-q', '-m', 'PR #1 squashed');
      git(clone, 'fetch', '-q');
      const ctx = await openContext(clone);
      assert.deepStrictEqual(await isMerged(ctx, 'plan', 'main'), {
        merged: true,
        how: 'upstream',
        upstream: { ref: 'refs/remotes/origin/main', how: 'sameTree' },
      });
      // Without the upstream's answer (no upstream configured), the local main does not have it.
      git(clone, 'branch', '--unset-upstream', 'main');
      assert.deepStrictEqual(await isMerged(ctx, 'plan', 'main'), { merged: false });
    }));

  it('refuses a branch that does not exist with BranchNotFound', () =>
    withRepo(async ({ main }) => {
      await assert.rejects(
        isMerged(await openContext(main), 'nope', 'main'),
        isPlanError(ErrorCode.BranchNotFound, { reason: 'branch', branch: 'nope' }),
      );
    }));

  it('reads a branch name that looks like an option as a name, not an option', () =>
    withRepo(async ({ main }) => {
      await assert.rejects(
        isMerged(await openContext(main), '--all', 'main'),
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.BranchNotFound,
      );
    }));

  it('says not merged for unrelated histories', () =>
    withRepo(async ({ main }) => {
      git(main, 'checkout', '-q', '--orphan', 'other');
      commitFiles(main, { 'x.txt': 'x' }, 'unrelated');
      git(main, 'checkout', '-q', 'main');
      assert.deepStrictEqual(await isMerged(await openContext(main), 'other', 'main'), { merged: false });
    }));
});

describe('divergences', () => {
  it('gives the same ahead/behind as git rev-list --left-right --count for many pairs, in two git processes', () =>
    withRepo(async ({ main }) => {
      git(main, 'checkout', '-q', '-b', 'a');
      commitFiles(main, { 'a1.txt': '1' });
      commitFiles(main, { 'a2.txt': '2' });
      git(main, 'checkout', '-q', '-b', 'b', 'main');
      commitFiles(main, { 'b1.txt': '1' });
      git(main, 'merge', '-q', '--no-ff', '-m', 'merge a into b', 'a');
      git(main, 'checkout', '-q', 'main');
      commitFiles(main, { 'm1.txt': '1' });
      commitFiles(main, { 'm2.txt': '2' });
      const oid = (ref: string): string => git(main, 'rev-parse', ref);
      const pairs = [
        ['a', 'main'],
        ['b', 'main'],
        ['a', 'b'],
        ['b', 'a'],
        ['main~2', 'main'],
        ['main', 'main'],
      ].map(([tip, base]) => ({ tip: oid(tip), base: oid(base) }));
      const ctx = await openContext(main);
      const processes = processCounter(ctx.git);
      const answers = await divergences(ctx, pairs);
      assert.strictEqual(processes(), 2);
      const expected = pairs.map(({ tip, base }) => {
        const [ahead, behind] = git(main, 'rev-list', '--left-right', '--count', `${tip}...${base}`)
          .split('\t')
          .map(Number);
        return { ahead, behind, ancestor: ahead === 0 };
      });
      assert.deepStrictEqual(answers, expected);
      assert.deepStrictEqual(answers[2], { ahead: 0, behind: 2, ancestor: true });
    }));
});
