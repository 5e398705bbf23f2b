import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { headAndIndexFile, indexFile } from '../../../../src/git/commands/gitIndex';
import { readCommit, readTree, writeTree } from '../../../../src/git/commands/objects';
import { lastReflogEntry } from '../../../../src/git/commands/refs';
import { Git } from '../../../../src/git/runner';
import { gitLockFiles } from '../../../../src/git/worktreeFiles';
import { commitFiles, git, withRepo } from '../../helpers/repo';

describe('commands: commit objects, overlaid trees, HEAD and index, reflogs and lock files', () => {
  it('headAndIndexFile: HEAD, its tree and the absolute index file of a linked worktree, in one process', () =>
    withRepo(async ({ main, root }) => {
      const runner = new Git();
      const linked = path.join(root, 'linked');
      git(main, 'worktree', 'add', '-q', '-b', 'plan', linked);
      const before = runner.processCount;
      const found = await headAndIndexFile({ git: runner, cwd: linked });
      assert.strictEqual(runner.processCount - before, 1);
      assert.deepStrictEqual(found, {
        head: git(main, 'rev-parse', 'HEAD'),
        headTree: git(main, 'rev-parse', 'HEAD^{tree}'),
        indexFile: path.join(fs.realpathSync(main), '.git', 'worktrees', 'linked', 'index'),
      });
      assert.strictEqual(await indexFile({ git: runner, cwd: linked }), found.indexFile);
    }));

  it('readCommit: the parents, first first, and only the first line of the message', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const fork = git(main, 'rev-parse', 'HEAD');
      git(main, 'switch', '-q', '-c', 'side');
      const side = commitFiles(main, { 's.txt': 's' });
      git(main, 'switch', '-q', 'main');
      const ours = commitFiles(main, { 'm.txt': 'm' });
      git(
        main,
        '-c',
        'user.name=T',
        '-c',
        'user.email=t@example.invalid',
        'merge',
        '-q',
        '-m',
        'Plan 1: merged\nsecond line',
        'side',
      );
      assert.deepStrictEqual(await readCommit(at, 'HEAD'), { parents: [ours, side], subject: 'Plan 1: merged' });
      assert.deepStrictEqual(await readCommit(at, fork), { parents: [], subject: 'initial' });
    }));

  it('readTree lays the files of more trees over the first, in the index `env` names', () =>
    withRepo(async ({ main, root }) => {
      const at = { git: new Git(), cwd: main, env: { GIT_INDEX_FILE: path.join(root, 'temp-index') } };
      const base = git(main, 'rev-parse', 'HEAD^{tree}');
      git(main, 'switch', '-q', '--orphan', 'extra');
      commitFiles(main, { 'extra.txt': 'e' });
      const extra = git(main, 'rev-parse', 'HEAD^{tree}');
      await readTree(at, base, extra);
      const tree = await writeTree(at);
      assert.deepStrictEqual(git(main, 'ls-tree', '-r', '--name-only', tree).split('\n'), [
        'README.md',
        'extra.txt',
        'src/app.txt',
      ]);
      assert.strictEqual(git(main, 'ls-files'), 'extra.txt', "the worktree's own index is untouched");
    }));

  it("lastReflogEntry: a branch's last move from its reflog file; undefined without one", () =>
    withRepo(async ({ main }) => {
      const commonDir = path.join(main, '.git');
      const first = git(main, 'rev-parse', 'HEAD');
      const second = commitFiles(main, { 'a.txt': 'a' });
      git(main, 'update-ref', '-m', 'plan-worktrees: merge plan 7', 'refs/heads/main', first, second);
      assert.deepStrictEqual(lastReflogEntry(commonDir, 'refs/heads/main'), {
        from: second,
        to: first,
        message: 'plan-worktrees: merge plan 7',
      });
      assert.strictEqual(lastReflogEntry(commonDir, 'refs/heads/none'), undefined);
    }));

  it("gitLockFiles: each worktree's index and HEAD locks, packed-refs.lock and the locks among the refs", () =>
    withRepo(({ main, root }) => {
      const commonDir = path.join(main, '.git');
      const linked = path.join(root, 'linked');
      git(main, 'worktree', 'add', '-q', '-b', 'plan/1', linked);
      const linkedDir = path.join(commonDir, 'worktrees', 'linked');
      fs.writeFileSync(path.join(commonDir, 'refs', 'heads', 'plan', '1.lock'), '');
      const found = gitLockFiles(commonDir, [commonDir, linkedDir]);
      assert.deepStrictEqual(found, [
        path.join(commonDir, 'index.lock'),
        path.join(commonDir, 'HEAD.lock'),
        path.join(linkedDir, 'index.lock'),
        path.join(linkedDir, 'HEAD.lock'),
        path.join(commonDir, 'packed-refs.lock'),
        path.join(commonDir, 'refs', 'heads', 'plan', '1.lock'),
      ]);
    }));
});
