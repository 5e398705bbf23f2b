import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { branchCommitOnDisk, worktreesFromFiles } from '../../../src/git/worktreeFiles';
import { parseWorktreeList } from '../../../src/git/worktreeList';
import { commitFiles, git, TestRepo, withRepo } from '../helpers/repo';

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

describe('worktreesFromFiles', () => {
  /** What `git worktree list` says, and the main worktree as the engine knows it. */
  function listedByGit(repo: TestRepo) {
    const listed = parseWorktreeList(git(repo.main, 'worktree', 'list', '--porcelain', '-z'));
    return { listed, common: path.join(repo.main, '.git'), main: { path: listed[0].path, bare: listed[0].bare } };
  }

  it('lists what `git worktree list` lists: branches loose and packed, detached, locked, a folder gone, none linked', () =>
    withRepo((repo) => {
      let { listed, common, main } = listedByGit(repo);
      assert.deepStrictEqual(worktreesFromFiles(common, main), listed, 'only the main worktree');
      const folder = (name: string) => path.join(repo.root, name);
      git(repo.main, 'worktree', 'add', '-q', '-b', 'plan/one', folder('one'));
      git(repo.main, 'worktree', 'add', '-q', '-b', 'plan/two', folder('two'));
      git(repo.main, 'worktree', 'add', '-q', '--detach', folder('detached'));
      git(repo.main, 'worktree', 'add', '-q', '-b', 'plan/locked', folder('locked'));
      git(repo.main, 'worktree', 'lock', '--reason', 'on a stick', folder('locked'));
      git(repo.main, 'worktree', 'add', '-q', '-b', 'plan/gone', folder('gone'));
      fs.rmSync(folder('gone'), { recursive: true, force: true });
      commitFiles(folder('one'), { 'one.txt': 'one\n' });
      git(repo.main, 'pack-refs', '--all');
      commitFiles(folder('two'), { 'two.txt': 'two\n' });
      ({ listed, common, main } = listedByGit(repo));
      assert.strictEqual(listed.length, 6);
      assert.ok(listed.some((w) => w.prunable !== undefined) && listed.some((w) => w.locked === 'on a stick'));
      assert.deepStrictEqual(worktreesFromFiles(common, main), listed);
    }));

  it('lists a bare repository first, as git does', () =>
    withRepo((repo) => {
      const bare = path.join(repo.root, 'bare.git');
      git(repo.root, 'clone', '-q', '--bare', repo.main, bare);
      git(bare, 'worktree', 'add', '-q', path.join(repo.root, 'from-bare'), 'main');
      const listed = parseWorktreeList(git(bare, 'worktree', 'list', '--porcelain', '-z'));
      assert.strictEqual(listed[0].bare, true);
      assert.deepStrictEqual(worktreesFromFiles(bare, { path: listed[0].path, bare: true }), listed);
    }));

  it('tells nothing where git is to say: a half-written admin folder, a stray entry, another repository, a branch twice', () =>
    withRepo((repo) => {
      git(repo.main, 'worktree', 'add', '-q', '-b', 'plan/one', path.join(repo.root, 'one'));
      const { common, main } = listedByGit(repo);
      const admin = path.join(common, 'worktrees', 'one');
      assert.ok(worktreesFromFiles(common, main), 'told while everything is as git left it');
      const broken: Array<[string, () => void, () => void]> = [
        ['HEAD still 0000', ...swap(path.join(admin, 'HEAD'), `${'0'.repeat(40)}\n`)],
        ['HEAD empty', ...swap(path.join(admin, 'HEAD'), '')],
        ['HEAD a ref outside refs/heads', ...swap(path.join(admin, 'HEAD'), 'ref: refs/remotes/x\n')],
        ['commondir missing', ...swap(path.join(admin, 'commondir'), undefined)],
        ['commondir elsewhere', ...swap(path.join(admin, 'commondir'), `${repo.root}\n`)],
        ['gitdir empty', ...swap(path.join(admin, 'gitdir'), '\n')],
        ['gitdir not a .git', ...swap(path.join(admin, 'gitdir'), `${path.join(repo.root, 'one')}\n`)],
        ['a stray file', ...swap(path.join(common, 'worktrees', 'stray'), 'x')],
        ['a reftable', ...made(path.join(common, 'reftable'))],
      ];
      for (const [what, breakIt, repair] of broken) {
        breakIt();
        assert.strictEqual(worktreesFromFiles(common, main), undefined, what);
        repair();
        assert.ok(worktreesFromFiles(common, main), `told again once repaired: ${what}`);
      }
      git(repo.main, 'worktree', 'add', '-q', '-f', path.join(repo.root, 'twice'), 'plan/one');
      assert.strictEqual(worktreesFromFiles(common, main), undefined, 'a branch checked out twice');
    }));
});

/** Replaces a file's content (undefined: removes it), and puts it back. */
function swap(file: string, content: string | undefined): [() => void, () => void] {
  const before = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  return [
    () => (content === undefined ? fs.rmSync(file) : fs.writeFileSync(file, content)),
    () => (before === undefined ? fs.rmSync(file) : fs.writeFileSync(file, before)),
  ];
}

/** Makes a folder, and removes it again. */
function made(folder: string): [() => void, () => void] {
  return [() => fs.mkdirSync(folder), () => fs.rmdirSync(folder)];
}
