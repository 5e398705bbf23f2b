import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { parseNameStatus } from '../../../../src/git/commands/diff';
import { diffPlan, readBaseContent, readWorktreeContent } from '../../../../src/model/state/diff';
import { addPlan, openContext } from '../../helpers/a';
import { commitFiles, git, withRepo, writeFiles } from '../../helpers/repo';

const base = {
  'README.md': '# demo\n',
  'src/app.txt': 'one\ntwo\nthree\n',
  'docs/long name \u00e9t\u00e9.md': 'a\nb\nc\nd\ne\nf\ng\nh\n',
  'gone.txt': 'bye\n',
  'both.txt': '1\n',
  'bin.dat': '\u0000\u0001binary',
};

describe('diffPlan', () => {
  it('lists committed, uncommitted and untracked changes with renames, like git diff <merge-base> plus untracked files', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '1', { folder: 'plan \u00fcber 1' });
      // Committed on the plan: an edit, a rename to a path with spaces, a deletion, a new file.
      git(plan.path, 'mv', 'docs/long name \u00e9t\u00e9.md', 'docs/renamed \u00e9t\u00e9 file.md');
      git(plan.path, 'rm', '-q', 'gone.txt');
      commitFiles(
        plan.path,
        { 'src/app.txt': 'one\nTWO\nthree\n', 'added.txt': 'new\n', 'both.txt': '2\n' },
        'plan work',
      );
      // Uncommitted: staged, unstaged (on a file also changed by commits), and untracked files.
      writeFiles(plan.path, { 'staged.txt': 'staged\n' });
      git(plan.path, 'add', 'staged.txt');
      writeFiles(plan.path, {
        'both.txt': '3\n',
        'README.md': '# changed\n',
        'new folder/\u00fcntracked file.txt': 'u\n',
      });
      writeFiles(plan.path, { '.gitignore': '*.log\n', 'debug.log': 'ignored\n' });
      // Main moved on meanwhile: its own changes are not part of the plan's diff.
      commitFiles(repo.main, { 'main-only.txt': 'main\n' }, 'main moves');

      const ctx = await openContext(repo.main);
      const diff = await diffPlan(ctx, plan);
      const mergeBase = git(plan.path, 'merge-base', 'HEAD', 'main');
      assert.strictEqual(diff.mergeBase, mergeBase);

      const expected = [
        ...parseNameStatus(git(plan.path, 'diff', '--name-status', '-z', '-M', mergeBase) + '\0').map(
          (r) => `${r.status} ${r.oldPath ?? ''} ${r.path}`,
        ),
        ...git(plan.path, 'ls-files', '--others', '--exclude-standard', '-z')
          .split('\0')
          .filter(Boolean)
          .map((p) => `U  ${p}`),
      ].sort();
      assert.deepStrictEqual(diff.files.map((f) => `${f.status} ${f.oldPath ?? ''} ${f.path}`).sort(), expected);

      const byPath = new Map(diff.files.map((f) => [f.path, f]));
      const flags = (p: string): string => {
        const f = byPath.get(p);
        return f ? `${f.status} committed=${f.committed} uncommitted=${f.uncommitted}` : 'absent';
      };
      assert.strictEqual(flags('src/app.txt'), 'M committed=true uncommitted=false');
      assert.strictEqual(flags('docs/renamed \u00e9t\u00e9 file.md'), 'R committed=true uncommitted=false');
      assert.strictEqual(byPath.get('docs/renamed \u00e9t\u00e9 file.md')?.oldPath, 'docs/long name \u00e9t\u00e9.md');
      assert.strictEqual(flags('gone.txt'), 'D committed=true uncommitted=false');
      assert.strictEqual(flags('added.txt'), 'A committed=true uncommitted=false');
      assert.strictEqual(flags('both.txt'), 'M committed=true uncommitted=true');
      assert.strictEqual(flags('staged.txt'), 'A committed=false uncommitted=true');
      assert.strictEqual(flags('README.md'), 'M committed=false uncommitted=true');
      assert.strictEqual(flags('new folder/\u00fcntracked file.txt'), 'U committed=false uncommitted=true');
      assert.strictEqual(flags('.gitignore'), 'U committed=false uncommitted=true');
      assert.strictEqual(flags('debug.log'), 'absent');
      assert.strictEqual(flags('main-only.txt'), 'absent');
    }, base));

  it('gives the base content and the worktree content of each side, binary-safe', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '2');
      git(plan.path, 'rm', '-q', 'gone.txt');
      commitFiles(plan.path, { 'src/app.txt': 'changed\n', 'added.txt': 'new\n' }, 'work');
      fs.writeFileSync(path.join(plan.path, 'bin.dat'), Buffer.from([0, 255, 1]));
      const ctx = await openContext(repo.main);
      const { mergeBase } = await diffPlan(ctx, plan);
      assert.strictEqual((await readBaseContent(ctx, plan, mergeBase, 'src/app.txt'))?.toString(), 'one\ntwo\nthree\n');
      assert.strictEqual((await readWorktreeContent(plan, 'src/app.txt'))?.toString(), 'changed\n');
      assert.strictEqual(await readBaseContent(ctx, plan, mergeBase, 'added.txt'), undefined);
      assert.strictEqual((await readBaseContent(ctx, plan, mergeBase, 'gone.txt'))?.toString(), 'bye\n');
      assert.strictEqual(await readWorktreeContent(plan, 'gone.txt'), undefined);
      assert.strictEqual(
        (await readBaseContent(ctx, plan, mergeBase, 'docs/long name \u00e9t\u00e9.md'))?.toString().length,
        16,
      );
      assert.deepStrictEqual(await readBaseContent(ctx, plan, mergeBase, 'bin.dat'), Buffer.from('\u0000\u0001binary'));
      assert.deepStrictEqual(await readWorktreeContent(plan, 'bin.dat'), Buffer.from([0, 255, 1]));
      assert.strictEqual(await readBaseContent(ctx, plan, mergeBase, 'src'), undefined, 'a folder is not a file');
    }, base));

  it('never reads outside the worktree, nor through a symbolic link', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '3');
      fs.writeFileSync(path.join(repo.root, 'secret.txt'), 'secret');
      fs.symlinkSync(path.join(repo.root, 'secret.txt'), path.join(plan.path, 'link'));
      const ctx = await openContext(repo.main);
      const { mergeBase, files } = await diffPlan(ctx, plan);
      assert.deepStrictEqual(
        files.map((f) => [f.path, f.status]),
        [['link', 'U']],
      );
      assert.strictEqual((await readWorktreeContent(plan, 'link'))?.toString(), path.join(repo.root, 'secret.txt'));
      for (const bad of ['../secret.txt', '/etc/passwd', 'src/../../secret.txt']) {
        await assert.rejects(
          readWorktreeContent(plan, bad),
          (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.InvalidName,
        );
        await assert.rejects(
          readBaseContent(ctx, plan, mergeBase, bad),
          (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.InvalidName,
        );
      }
      await assert.rejects(
        readBaseContent(ctx, plan, '--output=x', 'README.md'),
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.InvalidName,
      );
    }));

  it('refuses a plan whose history shares no commit with its base with UnrelatedHistories', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '1');
      // The plan's branch rewritten by hand: a root commit of its own.
      git(plan.path, 'switch', '-q', '--orphan', 'rewritten');
      commitFiles(plan.path, { 'own.txt': 'own\n' }, 'rewritten');
      git(plan.path, 'branch', '-q', '-f', plan.branch, 'rewritten');
      git(plan.path, 'switch', '-q', plan.branch);
      const ctx = await openContext(repo.main);
      await assert.rejects(diffPlan(ctx, plan), (e: unknown) => {
        assert.ok(e instanceof PlanWorktreesError && e.code === ErrorCode.UnrelatedHistories, String(e));
        return true;
      });
    }));

  it('refuses a plan whose folder was deleted by hand with PathMissing', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '4');
      fs.rmSync(plan.path, { recursive: true, force: true });
      await assert.rejects(
        diffPlan(await openContext(repo.main), plan),
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.PathMissing,
      );
    }));
});

describe('parseNameStatus', () => {
  it('reads plain records and rename records with their score', () => {
    assert.deepStrictEqual(parseNameStatus('M\0a b.txt\0R087\0old.txt\0new \u00fc.txt\0D\0gone\0'), [
      { status: 'M', path: 'a b.txt' },
      { status: 'R', oldPath: 'old.txt', path: 'new \u00fc.txt' },
      { status: 'D', path: 'gone' },
    ]);
    assert.deepStrictEqual(parseNameStatus(''), []);
  });
});
