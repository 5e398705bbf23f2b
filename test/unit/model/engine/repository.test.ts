import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode } from '../../../../src/model/engine/errors';
import { Git } from '../../../../src/git/runner';
import { discoverRepository, listWorktrees } from '../../../../src/model/engine/repository';
import { openContext, processCounter } from '../../helpers/a';
import { isPlanError } from '../../helpers/errors';
import { git, makeTempDir, removeDir, withRepo } from '../../helpers/repo';

describe('discoverRepository', () => {
  it('finds the repository from the main checkout and from a subfolder of it', () =>
    withRepo(async ({ main }) => {
      const expected = { mainPath: main, commonDir: path.join(main, '.git'), currentPath: main, bare: false };
      assert.deepStrictEqual(await discoverRepository(new Git(), main), expected);
      assert.deepStrictEqual(await discoverRepository(new Git(), path.join(main, 'src')), expected);
    }));

  it('finds the main worktree and common directory from a subfolder of a linked worktree with spaces and unicode', () =>
    withRepo(async ({ root, main }) => {
      const linked = path.join(root, 'plan \u00fcber one');
      git(main, 'worktree', 'add', '-q', '-b', 'plan/1', linked);
      const info = await discoverRepository(new Git(), path.join(linked, 'src'));
      assert.deepStrictEqual(info, {
        mainPath: main,
        commonDir: path.join(main, '.git'),
        currentPath: linked,
        bare: false,
      });
    }));

  it('finds a bare repository and its linked worktree', () =>
    withRepo(async ({ root, main }) => {
      const bare = path.join(root, 'bare.git');
      git(root, 'clone', '-q', '--bare', main, bare);
      const linked = path.join(root, 'bare-wt');
      git(bare, 'worktree', 'add', '-q', linked, 'main');
      assert.deepStrictEqual(await discoverRepository(new Git(), bare), {
        mainPath: bare,
        commonDir: bare,
        currentPath: bare,
        bare: true,
      });
      assert.deepStrictEqual(await discoverRepository(new Git(), linked), {
        mainPath: bare,
        commonDir: bare,
        currentPath: linked,
        bare: true,
      });
    }));

  it('refuses a folder outside any repository with NotAGitRepository and a clear message', async () => {
    const dir = makeTempDir('pw-norepo-');
    try {
      await assert.rejects(discoverRepository(new Git(), dir), (e: unknown) => {
        return isPlanError(ErrorCode.NotAGitRepository, { reason: 'notInRepository', path: dir })(e);
      });
    } finally {
      removeDir(dir);
    }
  });

  it('refuses a folder that does not exist with NotAGitRepository, without running git', () =>
    withRepo(async ({ main }) => {
      const runner = new Git();
      await assert.rejects(discoverRepository(runner, path.join(main, 'no such folder')), (e: unknown) => {
        return isPlanError(ErrorCode.NotAGitRepository, {
          reason: 'missingFolder',
          path: path.join(main, 'no such folder'),
        })(e);
      });
      assert.strictEqual(runner.processCount, 0);
    }));
});

describe('listWorktrees', () => {
  it('lists every worktree with one git process, including a locked one and one deleted by hand', () =>
    withRepo(async ({ root, main }) => {
      const locked = path.join(root, 'locked one');
      const gone = path.join(root, 'gone');
      git(main, 'worktree', 'add', '-q', '-b', 'plan/locked', locked);
      git(main, 'worktree', 'lock', '--reason', 'agent running', locked);
      git(main, 'worktree', 'add', '-q', '-b', 'plan/gone', gone);
      fs.rmSync(gone, { recursive: true, force: true });
      const ctx = await openContext(main);
      const processes = processCounter(ctx.git);
      const entries = await listWorktrees(ctx);
      assert.strictEqual(processes(), 1);
      assert.deepStrictEqual(
        entries.map((e) => [e.path, e.branch, e.isMain, e.locked, e.prunable !== undefined]),
        [
          [main, 'refs/heads/main', true, undefined, false],
          [gone, 'refs/heads/plan/gone', false, undefined, true],
          [locked, 'refs/heads/plan/locked', false, 'agent running', false],
        ],
      );
    }));
});
