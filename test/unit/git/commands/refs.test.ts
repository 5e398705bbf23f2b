import * as assert from 'assert';
import { GitErrorCode } from '../../../../src/git/errors';
import { Git } from '../../../../src/git/runner';
import {
  createRef,
  currentBranch,
  deleteRef,
  forEachRef,
  headCommitAndBranch,
  updateRef,
  verifyRef,
} from '../../../../src/git/commands/refs';
import { hasReason } from '../../../../src/git/commands/reasons';
import { commitFiles, git, withRepo } from '../../helpers/repo';

describe('commands/refs', () => {
  it('moves a ref only while it is where the caller saw it; else reason "moved" and the ref stays', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const first = git(main, 'rev-parse', 'HEAD');
      const second = commitFiles(main, { 'a.txt': 'a' });
      git(main, 'branch', 'plan', first);
      await updateRef(at, 'refs/heads/plan', second, { expected: first, message: 'test: move' });
      assert.strictEqual(git(main, 'rev-parse', 'plan'), second);
      await assert.rejects(updateRef(at, 'refs/heads/plan', first, { expected: first }), (e: unknown) => {
        assert.ok(hasReason(e, 'moved'));
        return true;
      });
      assert.strictEqual(git(main, 'rev-parse', 'plan'), second);
    }));

  it('creates a ref only when it does not exist: reason "exists", never overwritten', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const first = git(main, 'rev-parse', 'HEAD');
      const second = commitFiles(main, { 'a.txt': 'a' });
      await createRef(at, 'refs/plan-worktrees/x', first);
      await assert.rejects(createRef(at, 'refs/plan-worktrees/x', second), (e: unknown) => {
        assert.ok(hasReason(e, 'exists'));
        // Not the global table's guess for "already exists" (a folder).
        assert.notStrictEqual((e as { code: GitErrorCode }).code, GitErrorCode.PathExists);
        return true;
      });
      assert.strictEqual(git(main, 'rev-parse', 'refs/plan-worktrees/x'), first);
    }));

  it('deletes a ref only at the expected commit', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const first = git(main, 'rev-parse', 'HEAD');
      const second = commitFiles(main, { 'a.txt': 'a' });
      git(main, 'branch', 'plan', first);
      await assert.rejects(deleteRef(at, 'refs/heads/plan', { expected: second }), (e: unknown) =>
        hasReason(e, 'moved'),
      );
      await deleteRef(at, 'refs/heads/plan', { expected: first });
      assert.strictEqual(await verifyRef(at, 'refs/heads/plan'), undefined);
    }));

  it('reads HEAD, its branch, and refs with their fields in one process each', () =>
    withRepo(async ({ main }) => {
      const runner = new Git();
      const at = { git: runner, cwd: main };
      const head = git(main, 'rev-parse', 'HEAD');
      assert.deepStrictEqual(await headCommitAndBranch(at), { commit: head, ref: 'refs/heads/main' });
      assert.strictEqual(await currentBranch(at), 'main');
      git(main, 'checkout', '-q', '--detach');
      assert.strictEqual(await currentBranch(at), undefined);
      git(main, 'branch', 'b-two');
      const before = runner.processCount;
      const refs = await forEachRef(at, ['refs/heads/'], ['refname', 'objectname']);
      assert.strictEqual(runner.processCount, before + 1);
      assert.deepStrictEqual(refs, [
        ['refs/heads/b-two', head],
        ['refs/heads/main', head],
      ]);
    }));
});
