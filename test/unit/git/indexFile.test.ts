import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { flaggedInIndex, indexHasFlaggedEntries } from '../../../src/git/indexFile';
import { commitFiles, git, makeTempDir, removeDir, TestRepo, withRepo, writeFiles } from '../helpers/repo';

/** What `ls-files -v` says: whether any entry is tagged assume-unchanged (lowercase) or skip-worktree (`S`). */
function gitSaysFlagged(folder: string): boolean {
  return git(folder, 'ls-files', '-v', '-z')
    .split('\0')
    .filter(Boolean)
    .some((line) => {
      const tag = line.slice(0, 1);
      return tag !== tag.toUpperCase() || tag === 'S';
    });
}

/** The reader's answer, checked against git's on the same index. */
async function agreesWithGit(folder: string): Promise<boolean> {
  const answer = await indexHasFlaggedEntries(folder);
  assert.notStrictEqual(answer, undefined, 'the reader can tell');
  assert.strictEqual(answer, gitSaysFlagged(folder));
  return answer as boolean;
}

function indexOf(folder: string): string {
  return path.resolve(folder, git(folder, 'rev-parse', '--git-path', 'index'));
}

/** A repository with unicode names, a deep folder, an empty file and a path longer than the 12 bits of an entry's length. */
function varied(repo: TestRepo): void {
  writeFiles(repo.main, { 'ünïcødé/ファイル.txt': 'u\n', 'empty.txt': '', 'a/b/c/d/e.txt': 'e\n' });
  git(repo.main, 'add', '-A');
  // A path no file system here takes (over PATH_MAX) is an index entry all the same.
  const deep = Array.from({ length: 20 }, (_, i) => `folder-${i}-${'x'.repeat(200)}`).join('/');
  assert.ok(deep.length > 4095);
  const blob = git(repo.main, 'hash-object', '-w', 'empty.txt');
  git(repo.main, 'update-index', '--add', '--cacheinfo', `100644,${blob},${deep}/long.txt`);
  git(repo.main, 'commit', '-q', '-m', 'varied');
}

describe('indexHasFlaggedEntries (the index file read as data)', () => {
  it('says what `ls-files -v` says, in index versions 2, 3 and 4: no flag; assume-unchanged; skip-worktree; both cleared again', () =>
    withRepo(async (repo) => {
      varied(repo);
      for (const version of ['2', '4']) {
        git(repo.main, 'update-index', '--index-version', version);
        assert.strictEqual(await agreesWithGit(repo.main), false, `v${version}, no flag`);
        git(repo.main, 'update-index', '--assume-unchanged', 'README.md');
        assert.strictEqual(await agreesWithGit(repo.main), true, `v${version}, assume-unchanged`);
        git(repo.main, 'update-index', '--no-assume-unchanged', 'README.md');
        assert.strictEqual(await agreesWithGit(repo.main), false, `v${version}, cleared`);
        git(repo.main, 'update-index', '--skip-worktree', 'a/b/c/d/e.txt');
        // Skip-worktree needs the extended flags: git writes version 3 (or keeps 4).
        const written = fs.readFileSync(indexOf(repo.main)).readUInt32BE(4);
        assert.strictEqual(written, version === '4' ? 4 : 3);
        assert.strictEqual(await agreesWithGit(repo.main), true, `v${written}, skip-worktree`);
        git(repo.main, 'update-index', '--no-skip-worktree', 'a/b/c/d/e.txt');
        assert.strictEqual(await agreesWithGit(repo.main), false, `v${version}, cleared again`);
      }
    }));

  it("reads a linked worktree's own index, an intent-to-add entry and an index with extensions (cache tree, untracked cache)", () =>
    withRepo(async (repo) => {
      const plan = path.join(repo.root, 'plan');
      git(repo.main, 'worktree', 'add', '-q', '-b', 'plan/a', plan);
      git(repo.main, 'update-index', '--assume-unchanged', 'README.md');
      assert.strictEqual(await agreesWithGit(repo.main), true);
      assert.strictEqual(await agreesWithGit(plan), false, "the main worktree's flag is not the plan's");
      writeFiles(plan, { 'new.txt': 'n\n' });
      git(plan, 'add', '--intent-to-add', 'new.txt');
      assert.strictEqual(await agreesWithGit(plan), false, 'intent-to-add is not a flag');
      git(plan, 'config', 'core.untrackedCache', 'true');
      git(plan, 'status', '--porcelain');
      const bytes = fs.readFileSync(indexOf(plan));
      assert.ok(bytes.includes('UNTR') && bytes.includes('TREE'), 'extensions are there');
      assert.strictEqual(await agreesWithGit(plan), false);
    }));

  it('reads a SHA-256 repository', async () => {
    const root = makeTempDir();
    try {
      git(root, 'init', '-q', '--object-format=sha256', '-b', 'main');
      commitFiles(root, { 'a.txt': 'a\n', 'b/c.txt': 'c\n' });
      assert.strictEqual(await agreesWithGit(root), false);
      git(root, 'update-index', '--assume-unchanged', 'a.txt');
      assert.strictEqual(await agreesWithGit(root), true);
    } finally {
      removeDir(root);
    }
  });

  it('cannot tell (and so git is asked) for a split index, a sparse index, no index, a link, a folder, a FIFO, and any byte out of place', () =>
    withRepo(async (repo) => {
      const index = indexOf(repo.main);
      const good = fs.readFileSync(index);
      assert.strictEqual(flaggedInIndex(good), false);
      // Bytes out of place: cut short, one byte more or less, a wrong signature, an unknown version, a path's end moved.
      const variants: Array<[string, Buffer]> = [
        ['cut short', good.subarray(0, good.length - 25)],
        ['one byte more', Buffer.concat([good, Buffer.from([0])])],
        ['one byte less', good.subarray(0, good.length - 1)],
        ['signature', Buffer.concat([Buffer.from('DIRX'), good.subarray(4)])],
        ['empty', Buffer.alloc(0)],
      ];
      const version5 = Buffer.from(good);
      version5.writeUInt32BE(5, 4);
      variants.push(['version 5', version5]);
      const moreEntries = Buffer.from(good);
      moreEntries.writeUInt32BE(good.readUInt32BE(8) + 1, 8);
      variants.push(['one entry more than there is', moreEntries]);
      const longerName = Buffer.from(good);
      // The first entry's length field (after 40 bytes of stat data and a 20-byte object name) one more than its path.
      longerName.writeUInt16BE(longerName.readUInt16BE(12 + 60) + 1, 12 + 60);
      variants.push(["a path's length off by one", longerName]);
      const extendedInV2 = Buffer.from(good);
      extendedInV2.writeUInt16BE(extendedInV2.readUInt16BE(12 + 60) | 0x4000, 12 + 60);
      variants.push(['extended flags in version 2', extendedInV2]);
      for (const [what, bytes] of variants) assert.strictEqual(flaggedInIndex(bytes), undefined, what);

      git(repo.main, 'update-index', '--split-index');
      assert.ok(fs.readFileSync(index).includes('link'));
      assert.strictEqual(await indexHasFlaggedEntries(repo.main), undefined, 'split index');
      git(repo.main, 'update-index', '--no-split-index');
      assert.strictEqual(await indexHasFlaggedEntries(repo.main), false);

      git(repo.main, 'sparse-checkout', 'init', '--cone', '--sparse-index');
      git(repo.main, 'sparse-checkout', 'set', 'src');
      commitFiles(repo.main, { 'src/more.txt': 'more\n' });
      assert.strictEqual(await indexHasFlaggedEntries(repo.main), undefined, 'sparse index');
      git(repo.main, 'sparse-checkout', 'disable');

      const moved = `${index}.kept`;
      fs.renameSync(index, moved);
      assert.strictEqual(await indexHasFlaggedEntries(repo.main), undefined, 'no index');
      fs.symlinkSync(moved, index);
      assert.strictEqual(await indexHasFlaggedEntries(repo.main), undefined, 'a link');
      fs.unlinkSync(index);
      fs.mkdirSync(index);
      assert.strictEqual(await indexHasFlaggedEntries(repo.main), undefined, 'a folder');
      fs.rmdirSync(index);
      execFileSync('mkfifo', [index]);
      assert.strictEqual(
        await indexHasFlaggedEntries(repo.main),
        undefined,
        'a FIFO, read without waiting for a writer',
      );
      fs.unlinkSync(index);
      fs.renameSync(moved, index);
      assert.strictEqual(await indexHasFlaggedEntries(repo.main), false, 'back in place');
      assert.strictEqual(await indexHasFlaggedEntries(path.join(repo.root, 'nowhere')), undefined, 'no worktree');
    }));
});
