import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { isBareRepository, repositoryOf, worktreeTop } from '../../../../src/git/commands/repository';
import { GitErrorCode, isError } from '../../../../src/git/errors';
import { Git } from '../../../../src/git/runner';
import { git, makeTempDir, removeDir, withRepo } from '../../helpers/repo';

describe('commands/repository', () => {
  it('finds the common git directory and the worktree top from a subfolder of a linked worktree', () =>
    withRepo(async ({ main, root }) => {
      const runner = new Git();
      const linked = path.join(root, 'linked');
      git(main, 'worktree', 'add', '-q', '-b', 'plan', linked);
      const at = { git: runner, cwd: path.join(linked, 'src') };
      assert.deepStrictEqual(await repositoryOf(at), {
        commonDir: path.join(fs.realpathSync(main), '.git'),
        insideWorkTree: true,
      });
      assert.strictEqual(await worktreeTop(at), fs.realpathSync(linked));
      assert.strictEqual(await isBareRepository({ git: runner, cwd: path.join(main, '.git') }), false);
      const bare = path.join(root, 'bare.git');
      git(root, 'clone', '-q', '--bare', main, bare);
      assert.strictEqual(await isBareRepository({ git: runner, cwd: bare }), true);
      assert.strictEqual((await repositoryOf({ git: runner, cwd: bare })).insideWorkTree, false);
    }));

  it("a folder outside any repository is git's NotAGitRepository", async () => {
    const outside = makeTempDir();
    try {
      await assert.rejects(repositoryOf({ git: new Git(), cwd: outside }), (e: unknown) => {
        assert.ok(isError(e, GitErrorCode.NotAGitRepository));
        return true;
      });
    } finally {
      removeDir(outside);
    }
  });
});
