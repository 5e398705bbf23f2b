import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { GitErrorCode, PlanWorktreesError } from '../../../../src/git/errors';
import { Git } from '../../../../src/git/runner';
import {
  addWorktreeWithBranch,
  listWorktrees,
  lockWorktree,
  removeWorktree,
} from '../../../../src/git/commands/worktrees';
import { hasReason } from '../../../../src/git/commands/reasons';
import { git, gitMayFail, withRepo } from '../../helpers/repo';

describe('commands/worktrees', () => {
  it('adds a worktree on a new branch; a taken branch is reason "branchExists" (BranchExists)', () =>
    withRepo(async ({ root, main }) => {
      const at = { git: new Git(), cwd: main };
      const head = git(main, 'rev-parse', 'HEAD');
      await addWorktreeWithBranch(at, path.join(root, 'one'), 'plan/1', head, { noTrack: true });
      assert.strictEqual(git(path.join(root, 'one'), 'rev-parse', '--abbrev-ref', 'HEAD'), 'plan/1');
      await assert.rejects(addWorktreeWithBranch(at, path.join(root, 'two'), 'plan/1', head), (e: unknown) => {
        assert.ok(hasReason(e, 'branchExists'));
        assert.strictEqual((e as PlanWorktreesError).code, GitErrorCode.BranchExists);
        return true;
      });
      assert.ok(!fs.existsSync(path.join(root, 'two')));
    }));

  it('says "registeredMissing" for a folder git still has registered, and "folderExists" (PathExists) for a folder in the way', () =>
    withRepo(async ({ root, main }) => {
      const at = { git: new Git(), cwd: main };
      const head = git(main, 'rev-parse', 'HEAD');
      const gone = path.join(root, 'gone');
      git(main, 'worktree', 'add', '-q', '-b', 'old', gone);
      fs.rmSync(gone, { recursive: true });
      await assert.rejects(addWorktreeWithBranch(at, gone, 'plan/2', head), (e: unknown) =>
        hasReason(e, 'registeredMissing'),
      );
      const inTheWay = path.join(root, 'busy');
      fs.mkdirSync(inTheWay);
      fs.writeFileSync(path.join(inTheWay, 'f'), 'x');
      await assert.rejects(addWorktreeWithBranch(at, inTheWay, 'plan/3', head), (e: unknown) => {
        assert.ok(hasReason(e, 'folderExists'));
        assert.strictEqual((e as PlanWorktreesError).code, GitErrorCode.PathExists);
        return true;
      });
    }));

  it('locks with a reason that looks like an option, kept as text', () =>
    withRepo(async ({ root, main }) => {
      const at = { git: new Git(), cwd: main };
      const folder = path.join(root, 'w');
      git(main, 'worktree', 'add', '-q', '-b', 'w', folder);
      await lockWorktree(at, folder, '--upload-pack=evil -c core.sshCommand=x');
      const entry = (await listWorktrees(at)).find((w) => w.path === folder);
      assert.strictEqual(entry?.locked, '--upload-pack=evil -c core.sshCommand=x');
    }));

  it('refuses to remove a dirty or locked worktree with the reason git gave', () =>
    withRepo(async ({ root, main }) => {
      const at = { git: new Git(), cwd: main };
      const folder = path.join(root, 'w');
      git(main, 'worktree', 'add', '-q', '-b', 'w', folder);
      fs.writeFileSync(path.join(folder, 'new.txt'), 'x');
      await assert.rejects(removeWorktree(at, folder, { showUntracked: true }), (e: unknown) => {
        assert.ok(hasReason(e, 'dirty'));
        assert.strictEqual((e as PlanWorktreesError).code, GitErrorCode.WorktreeDirty);
        return true;
      });
      git(main, 'worktree', 'lock', folder);
      await assert.rejects(removeWorktree(at, folder, { force: 1 }), (e: unknown) => hasReason(e, 'locked'));
      await removeWorktree(at, folder, { force: 2 });
      assert.ok(!fs.existsSync(folder));
      assert.ok(!gitMayFail(main, 'worktree', 'list').stdout.includes(folder));
    }));
});
