import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseWorktreeList, shortBranchName } from '../../../src/git/worktreeList';
import { git, withRepo } from '../helpers/repo';

const oid = '3230f193a7e5dcecf5438c4bd9879cfd7d5cbb60';

// Captured from git 2.39.5 (`git worktree list --porcelain -z`) on a repository with
// a detached, a prunable (folder deleted), two locked worktrees and one with a space and unicode.
const linked =
  `worktree /tmp/cap/repo\0HEAD ${oid}\0branch refs/heads/main\0\0` +
  `worktree /tmp/cap/det\0HEAD ${oid}\0detached\0\0` +
  `worktree /tmp/cap/gone\0HEAD ${oid}\0branch refs/heads/pr\0prunable gitdir file points to non-existent location\0\0` +
  `worktree /tmp/cap/locked\0HEAD ${oid}\0branch refs/heads/lk\0locked on usb drive\0\0` +
  `worktree /tmp/cap/locked2\0HEAD ${oid}\0branch refs/heads/lk2\0locked\0\0` +
  `worktree /tmp/cap/wt one \u00fc\0HEAD ${oid}\0branch refs/heads/feat\0\0`;

const bare = `worktree /tmp/cap/bare.git\0bare\0\0worktree /tmp/cap/bwt\0HEAD ${oid}\0branch refs/heads/main\0\0`;

const unborn = 'worktree /tmp/cap/emp\0HEAD 0000000000000000000000000000000000000000\0branch refs/heads/main\0\0';

describe('parseWorktreeList', () => {
  it('reads the main worktree first, with its branch and head', () => {
    const [main] = parseWorktreeList(linked);
    assert.deepStrictEqual(main, {
      path: '/tmp/cap/repo',
      head: oid,
      branch: 'refs/heads/main',
      bare: false,
      detached: false,
      isMain: true,
    });
  });

  it('reads a detached worktree without a branch', () => {
    const det = parseWorktreeList(linked)[1];
    assert.strictEqual(det.detached, true);
    assert.strictEqual(det.branch, undefined);
    assert.strictEqual(det.head, oid);
    assert.strictEqual(det.isMain, false);
  });

  it('reads a prunable worktree with its reason', () => {
    assert.strictEqual(parseWorktreeList(linked)[2].prunable, 'gitdir file points to non-existent location');
  });

  it('tells locked with a reason, locked without a reason, and not locked apart', () => {
    const entries = parseWorktreeList(linked);
    assert.strictEqual(entries[3].locked, 'on usb drive');
    assert.strictEqual(entries[4].locked, '');
    assert.strictEqual(entries[0].locked, undefined);
    assert.strictEqual(entries[0].prunable, undefined);
  });

  it('keeps paths with spaces and unicode whole', () => {
    const last = parseWorktreeList(linked)[5];
    assert.strictEqual(last.path, '/tmp/cap/wt one \u00fc');
    assert.strictEqual(last.branch, 'refs/heads/feat');
  });

  it('reads a bare repository as the first, bare entry', () => {
    const entries = parseWorktreeList(bare);
    assert.strictEqual(entries.length, 2);
    assert.deepStrictEqual(entries[0], { path: '/tmp/cap/bare.git', bare: true, detached: false, isMain: true });
    assert.strictEqual(entries[1].isMain, false);
    assert.strictEqual(entries[1].branch, 'refs/heads/main');
  });

  it('has no head for a branch without commits', () => {
    const [entry] = parseWorktreeList(unborn);
    assert.strictEqual(entry.head, undefined);
    assert.strictEqual(entry.branch, 'refs/heads/main');
  });

  it('keeps a lock reason that contains a newline (the reason -z exists for)', () => {
    const [, entry] = parseWorktreeList(
      `worktree /a\0HEAD ${oid}\0branch refs/heads/main\0\0worktree /b\0HEAD ${oid}\0detached\0locked line one\nline two\0\0`,
    );
    assert.strictEqual(entry.locked, 'line one\nline two');
  });

  it('returns nothing for empty output', () => {
    assert.deepStrictEqual(parseWorktreeList(''), []);
  });

  it('agrees with the real git on a repository with a locked, a deleted and a unicode worktree', () =>
    withRepo(async ({ root, main }) => {
      const spaced = path.join(root, 'plan one \u00e9');
      const gone = path.join(root, 'gone');
      git(main, 'worktree', 'add', '-q', '-b', 'one', spaced);
      git(main, 'worktree', 'add', '-q', '-b', 'two', gone);
      git(main, 'worktree', 'lock', '--reason', 'kept', spaced);
      fs.rmSync(gone, { recursive: true, force: true });
      const entries = parseWorktreeList(git(main, 'worktree', 'list', '--porcelain', '-z'));
      assert.deepStrictEqual(
        entries.map((e) => [e.path, e.branch, e.locked, e.prunable !== undefined, e.isMain]),
        [
          [main, 'refs/heads/main', undefined, false, true],
          [gone, 'refs/heads/two', undefined, true, false],
          [spaced, 'refs/heads/one', 'kept', false, false],
        ],
      );
      assert.strictEqual(entries[2].head, git(main, 'rev-parse', 'HEAD'));
    }));
});

describe('shortBranchName', () => {
  it('drops refs/heads/ and leaves other refs alone', () => {
    assert.strictEqual(shortBranchName('refs/heads/plan/1-x'), 'plan/1-x');
    assert.strictEqual(shortBranchName('refs/remotes/origin/main'), 'refs/remotes/origin/main');
  });
});
