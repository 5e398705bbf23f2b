import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { branchCommitOnDisk } from '../../../src/git/worktreeFiles';
import { commitFiles, git, withRepo } from '../helpers/repo';

describe('branchCommitOnDisk', () => {
  it('names what git names: a loose ref, a packed one, and a packed one a newer loose ref overrides', () =>
    withRepo((repo) => {
      const common = path.join(repo.main, '.git');
      const first = git(repo.main, 'rev-parse', 'HEAD');
      git(repo.main, 'branch', 'feature/\u00fcber-one');
      assert.strictEqual(branchCommitOnDisk(common, 'refs/heads/main'), first);
      git(repo.main, 'pack-refs', '--all');
      assert.ok(!fs.existsSync(path.join(common, 'refs', 'heads', 'main')), 'packed');
      assert.strictEqual(branchCommitOnDisk(common, 'refs/heads/main'), first);
      assert.strictEqual(branchCommitOnDisk(common, 'refs/heads/feature/\u00fcber-one'), first);
      const second = commitFiles(repo.main, { 'a.txt': 'a\n' });
      assert.strictEqual(branchCommitOnDisk(common, 'refs/heads/main'), second);
      assert.strictEqual(git(repo.main, 'rev-parse', 'refs/heads/main'), second);
    }));

  it('tells nothing for a missing branch, a name that leaves refs/heads, a symbolic ref or a reftable', () =>
    withRepo((repo) => {
      const common = path.join(repo.main, '.git');
      assert.strictEqual(branchCommitOnDisk(common, 'refs/heads/nothing'), undefined);
      for (const ref of [
        'refs/heads/../../HEAD',
        'refs/heads/./main',
        'refs/heads/',
        'refs/tags/main',
        'main',
        'refs/heads//main',
      ]) {
        assert.strictEqual(branchCommitOnDisk(common, ref), undefined, ref);
      }
      git(repo.main, 'symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
      assert.strictEqual(branchCommitOnDisk(common, 'refs/heads/alias'), undefined);
      fs.writeFileSync(path.join(common, 'refs', 'heads', 'junk'), 'not an object name\n');
      assert.strictEqual(branchCommitOnDisk(common, 'refs/heads/junk'), undefined);
      fs.mkdirSync(path.join(common, 'reftable'));
      assert.strictEqual(branchCommitOnDisk(common, 'refs/heads/main'), undefined);
    }));
});
