import * as assert from 'assert';
import { changesSince, diffNames, filesDiffer, indexMatches, parseNameStatus } from '../../../../src/git/commands/diff';
import { Git } from '../../../../src/git/runner';
import { commitFiles, git, withRepo, writeFiles } from '../../helpers/repo';

describe('commands/diff', () => {
  it('diffNames: between two commits, or between a commit and the files; a rename as two paths', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const first = git(main, 'rev-parse', 'HEAD');
      git(main, 'mv', 'README.md', 'READ.md');
      const second = commitFiles(main, { 'a b.txt': 'x' });
      assert.deepStrictEqual(await diffNames(at, first, second), ['READ.md', 'README.md', 'a b.txt']);
      writeFiles(main, { 'src/app.txt': 'changed\n' });
      assert.deepStrictEqual(await diffNames(at, 'HEAD'), ['src/app.txt']);
      assert.deepStrictEqual(await diffNames(at, first), ['READ.md', 'README.md', 'a b.txt', 'src/app.txt']);
    }));

  it('changesSince: a commit against the files, a rename as one change with its old path', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const first = git(main, 'rev-parse', 'HEAD');
      git(main, 'mv', 'README.md', 'READ \u00fc.md');
      writeFiles(main, { 'src/app.txt': 'changed\n' });
      assert.deepStrictEqual(await changesSince(at, first), [
        { status: 'R', oldPath: 'README.md', path: 'READ \u00fc.md' },
        { status: 'M', path: 'src/app.txt' },
      ]);
    }));

  it('filesDiffer and indexMatches: staged or not, against a commit', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const first = git(main, 'rev-parse', 'HEAD');
      assert.strictEqual(await filesDiffer(at, first), false);
      assert.strictEqual(await indexMatches(at, first), true);
      writeFiles(main, { 'README.md': 'changed\n' });
      assert.strictEqual(await filesDiffer(at, first), true);
      assert.strictEqual(await indexMatches(at, first), true, 'not staged yet');
      git(main, 'add', 'README.md');
      assert.strictEqual(await indexMatches(at, first), false);
    }));

  it('parseNameStatus reads renames and copies with both paths, and paths with spaces and unicode', () => {
    assert.deepStrictEqual(parseNameStatus('M\0a b.txt\0R087\0old.txt\0new \u00fc.txt\0C100\0x\0y\0D\0gone\0'), [
      { status: 'M', path: 'a b.txt' },
      { status: 'R', oldPath: 'old.txt', path: 'new \u00fc.txt' },
      { status: 'C', oldPath: 'x', path: 'y' },
      { status: 'D', path: 'gone' },
    ]);
    assert.deepStrictEqual(parseNameStatus(''), []);
  });
});
