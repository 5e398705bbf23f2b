import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { undoPartialApply } from '../../../../src/model/lifecycle/stash';
import { lifecycleFor } from '../../helpers/b';
import { git, hashTree, withRepo, writeFiles } from '../../helpers/repo';

/** The main checkout's changes (staged, unstaged, untracked) put in a stash; returns its commit. */
function stashChanges(main: string): string {
  writeFiles(main, {
    'src/app.txt': 'one\ntwo\nthree\n'.repeat(200) + 'changed\n',
    'staged.txt': 'staged\n',
    'new.txt': 'untracked, first\n'.repeat(50),
    'notes/later.txt': 'untracked, second\n',
  });
  git(main, 'add', 'staged.txt');
  git(main, 'stash', 'push', '--quiet', '--include-untracked', '-m', 'moving');
  return git(main, 'rev-parse', 'stash@{0}');
}

describe('undoPartialApply (a stash applied half-way, as on a full disk)', () => {
  it('puts the folder back as it was before the apply when every change is a piece of the stash; applying it again then gives every change', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const stash = stashChanges(repo.main);
      const clean = hashTree(repo.main);
      // Half-way: one file written half, one staged, an untracked file created empty, another not yet.
      const full = git(repo.main, 'show', `${stash}:src/app.txt`);
      fs.writeFileSync(path.join(repo.main, 'src/app.txt'), full.slice(0, 1000));
      writeFiles(repo.main, { 'staged.txt': 'staged\n', 'new.txt': '' });
      git(repo.main, 'add', 'staged.txt');
      assert.strictEqual(await undoPartialApply(life.ctx, stash, repo.main), true);
      assert.strictEqual(git(repo.main, 'status', '--porcelain', '--untracked-files=all'), '');
      assert.strictEqual(hashTree(repo.main), clean);
      git(repo.main, 'stash', 'apply', '--quiet', '--index', stash);
      assert.strictEqual(
        git(repo.main, 'status', '--porcelain', '--untracked-files=all'),
        ' M src/app.txt\nA  staged.txt\n?? new.txt\n?? notes/later.txt',
      );
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'src/app.txt'), 'utf8'), full + '\n');
    }));

  it("touches nothing when a change is not the stash's (someone else's work)", () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const stash = stashChanges(repo.main);
      writeFiles(repo.main, { 'new.txt': 'untracked, first\n', 'README.md': 'edited by the user meanwhile\n' });
      const before = hashTree(repo.main);
      const status = git(repo.main, 'status', '--porcelain', '--untracked-files=all');
      assert.strictEqual(await undoPartialApply(life.ctx, stash, repo.main), false);
      assert.strictEqual(hashTree(repo.main), before);
      assert.strictEqual(git(repo.main, 'status', '--porcelain', '--untracked-files=all'), status);
    }));
});
