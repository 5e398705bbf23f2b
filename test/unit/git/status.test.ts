import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseStatus, statusPaths } from '../../../src/git/status';
import { commitFiles, git, withRepo, writeFiles } from '../helpers/repo';

// Captured from git 2.39.5 (`git status --porcelain=v2 -z --branch --untracked-files=all --ignored`)
// in the middle of a conflicted merge, with a file staged and modified again, a staged deletion,
// an unstaged change, a staged rename to a path with a space, untracked files (one in a folder
// with a space and a unicode name) and one ignored file.
const busy =
  '# branch.oid 2a047d7d8f089b7213d33bb8e07b2454e7791ee5\0# branch.head main\0' +
  '1 MM N... 100644 100644 100644 78981922613b2afb6025042ff6bd878ac1994e85 d49c2e721b44b101b9b65c1e2847063a0f0c53b9 a file.txt\0' +
  '1 D. N... 100644 000000 000000 4bcfe98e640c8284511312660fb8709b0afa888e 0000000000000000000000000000000000000000 del.txt\0' +
  '1 .M N... 100644 100644 100644 587be6b4c3f93f93c489c0111bba5596147a26cb 587be6b4c3f93f93c489c0111bba5596147a26cb mod.txt\0' +
  '2 R. N... 100644 100644 100644 fa81868550005e9ee4afb9b0c42497a826a0a50f fa81868550005e9ee4afb9b0c42497a826a0a50f R100 new name.txt\0old.txt\0' +
  'u UU N... 100644 100644 100644 100644 f2ad6c76f0115a6ba5b00456a849810e7ec0af20 8e23540ea39504f590ff1dc0b1bbdf678c413628 e45c9c2666d44e0327c1f9c239a74c508336053e conf.txt\0' +
  '? .gitignore\0? sub dir/\u00fc.txt\0? untracked.txt\0! ig.log\0';

const tracking =
  '# branch.oid 08557f7dabd28105f258a95a3003329b4664cf14\0# branch.head main\0# branch.upstream origin/main\0# branch.ab +1 -1\0';
const detached = '# branch.oid 08557f7dabd28105f258a95a3003329b4664cf14\0# branch.head (detached)\0';
const initial = '# branch.oid (initial)\0# branch.head main\0';

describe('parseStatus', () => {
  it('counts staged, modified, untracked and conflicted entries (staged and modified counts twice)', () => {
    const s = parseStatus(busy);
    // staged: a file.txt (M.), del.txt (D.), rename (R.); modified: a file.txt (.M), mod.txt (.M)
    assert.deepStrictEqual([s.staged, s.modified, s.untracked, s.conflicted], [3, 2, 3, 1]);
    assert.strictEqual(s.entries.length, 9);
  });

  it('reads a rename record with its two paths, the new one first', () => {
    const rename = parseStatus(busy).entries.find((e) => e.kind === 'renamed');
    assert.deepStrictEqual(rename, { path: 'new name.txt', origPath: 'old.txt', x: 'R', y: '.', kind: 'renamed' });
  });

  it('reads unmerged, untracked and ignored entries and keeps paths with spaces and unicode', () => {
    const entries = parseStatus(busy).entries;
    assert.deepStrictEqual(
      entries.find((e) => e.kind === 'unmerged'),
      { path: 'conf.txt', x: 'U', y: 'U', kind: 'unmerged' },
    );
    assert.deepStrictEqual(
      entries.filter((e) => e.kind === 'untracked').map((e) => e.path),
      ['.gitignore', 'sub dir/\u00fc.txt', 'untracked.txt'],
    );
    assert.deepStrictEqual(entries.find((e) => e.kind === 'ignored')?.path, 'ig.log');
    assert.deepStrictEqual(entries[0], { path: 'a file.txt', x: 'M', y: 'M', kind: 'changed' });
  });

  it('reads the branch header', () => {
    assert.deepStrictEqual(parseStatus(busy).branch, { oid: '2a047d7d8f089b7213d33bb8e07b2454e7791ee5', head: 'main' });
    assert.deepStrictEqual(parseStatus(tracking).branch, {
      oid: '08557f7dabd28105f258a95a3003329b4664cf14',
      head: 'main',
      upstream: 'origin/main',
      ahead: 1,
      behind: 1,
    });
    assert.strictEqual(parseStatus(detached).branch.head, '(detached)');
    assert.deepStrictEqual(parseStatus(initial).branch, { head: 'main' });
  });

  it('reports a clean worktree as zero everywhere', () => {
    const s = parseStatus(tracking);
    assert.deepStrictEqual([s.staged, s.modified, s.untracked, s.conflicted, s.entries.length], [0, 0, 0, 0, 0]);
  });

  it('lists the paths a refusal names, without ignored files', () => {
    assert.deepStrictEqual(statusPaths(parseStatus(busy)), [
      'a file.txt',
      'del.txt',
      'mod.txt',
      'new name.txt',
      'conf.txt',
      '.gitignore',
      'sub dir/\u00fc.txt',
      'untracked.txt',
    ]);
  });

  it('agrees with the real git on a rename into a folder with spaces and an untracked unicode file', () =>
    withRepo(async ({ main }) => {
      commitFiles(main, { 'old name.txt': 'a\nb\nc\nd\ne\n' });
      fs.mkdirSync(path.join(main, 'new dir'));
      git(main, 'mv', 'old name.txt', 'new dir/new name.txt');
      writeFiles(main, { 'caf\u00e9 notes.md': 'x', 'src/app.txt': 'changed\n' });
      const s = parseStatus(git(main, 'status', '--porcelain=v2', '-z', '--branch', '--untracked-files=all'));
      assert.deepStrictEqual(
        s.entries.map((e) => [e.kind, e.path, e.origPath]),
        [
          ['renamed', 'new dir/new name.txt', 'old name.txt'],
          ['changed', 'src/app.txt', undefined],
          ['untracked', 'caf\u00e9 notes.md', undefined],
        ],
      );
      assert.strictEqual(s.branch.oid, git(main, 'rev-parse', 'HEAD'));
      assert.deepStrictEqual([s.staged, s.modified, s.untracked], [1, 1, 1]);
    }));
});
