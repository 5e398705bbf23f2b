/**
 * A full disk, on a real small file system (a tmpfs mounted for the test; it
 * needs root, and is skipped, saying so, where the kernel refuses the mount).
 * Create and merge are run at a range of free space, so that the disk fills
 * at every step in turn: each either succeeds or fails with DiskFull, and a
 * failure leaves everything as it was.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { asDiskFull, classifyGitError } from '../../../../src/git/errors';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { ExecOptions, ExecResult, Git } from '../../../../src/git/runner';
import { PlanEngine } from '../../../../src/model/engine/planEngine';
import { git, gitMayFail, hashTree, makeTempDir, removeDir } from '../../helpers/repo';

/** Mounts a tmpfs of `sizeKb` for `body`; unmounted (and the folder removed) afterwards. Undefined when it cannot be mounted. */
async function withTmpfs(sizeKb: number, body: (dir: string) => Promise<void>): Promise<boolean> {
  const dir = makeTempDir('pw-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    removeDir(dir);
    return false;
  }
  try {
    await body(dir);
  } finally {
    execFileSync('umount', [dir]);
    removeDir(dir);
  }
  return true;
}

function freeKb(dir: string): number {
  const stats = fs.statfsSync(dir);
  return Math.floor((stats.bavail * stats.bsize) / 1024);
}

/** Fills the file system of `dir` until about `kb` are left; returns the filler's path. */
function leaveFree(dir: string, kb: number): string {
  const filler = path.join(dir, 'filler');
  fs.writeFileSync(filler, Buffer.alloc(Math.max(0, freeKb(dir) - kb) * 1024));
  return filler;
}

function randomText(bytes: number): string {
  return crypto.randomBytes(bytes).toString('base64');
}

function newRepo(dir: string, files: number, bytes: number): string {
  const main = path.join(dir, 'repo');
  fs.mkdirSync(main);
  git(main, 'init', '-q', '-b', 'main');
  git(main, 'config', 'user.name', 'Plan Tester');
  git(main, 'config', 'user.email', 'tester@example.invalid');
  for (let i = 0; i < files; i++) fs.writeFileSync(path.join(main, `f${i}.txt`), randomText(bytes));
  git(main, 'add', '-A');
  git(main, 'commit', '-q', '-m', 'initial');
  return main;
}

/** A real runner that remembers which commands failed. */
class WatchedGit extends Git {
  failed: string[] = [];

  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    try {
      return await super.exec(args, options);
    } catch (e) {
      this.failed.push(`${args.join(' ')} in ${options.cwd}`);
      throw e;
    }
  }
}

async function outcome(run: () => Promise<unknown>): Promise<PlanWorktreesError | undefined> {
  try {
    await run();
    return undefined;
  } catch (e) {
    if (e instanceof PlanWorktreesError) return e;
    throw e;
  }
}

describe('a full disk', () => {
  it("is DiskFull, with the path, from git's words and from Node's ENOSPC", () => {
    assert.strictEqual(
      classifyGitError('error: unable to write loose object file: No space left on device'),
      ErrorCode.DiskFull,
    );
    assert.strictEqual(
      classifyGitError("fatal: sha1 file '/r/.git/index.lock' write error. Out of diskspace"),
      ErrorCode.DiskFull,
    );
    const nodeError = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      path: '/r/.git/plan-worktrees/plans.json',
    });
    const typed = asDiskFull(nodeError);
    assert.ok(typed instanceof PlanWorktreesError && typed.code === ErrorCode.DiskFull);
    assert.deepStrictEqual(typed.files, ['/r/.git/plan-worktrees/plans.json']);
    assert.match(typed.message, /disk is full \(writing \/r\/\.git\/plan-worktrees\/plans\.json\)/);
    const other = new Error('something else');
    assert.strictEqual(asDiskFull(other), other);
  });

  it("create moving the main checkout's changes: at every amount of free space, it is created or fails with DiskFull leaving no stash, worktree or branch, and the main checkout as it was", async function () {
    this.timeout(300_000);
    let failedInApply = 0;
    let created = 0;
    let diskFull = 0;
    const mounted = await withTmpfs(1024, async (dir) => {
      for (let free = 250; free <= 420; free += 10) {
        const main = newRepo(dir, 10, 6000);
        for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(main, `f${i}.txt`), randomText(9000));
        for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(main, `new ${i}.txt`), randomText(9000));
        const files = hashTree(main);
        const status = git(main, 'status', '--porcelain', '--untracked-files=all');
        const runner = new WatchedGit();
        const engine = await PlanEngine.open(main, { git: runner, settings: { dirtyBase: 'move' } });
        const filler = leaveFree(dir, free);
        const error = await outcome(() => engine.create({ title: 'Full' }));
        fs.rmSync(filler);
        const context = `at ${free} KB free`;
        if (error) {
          diskFull++;
          assert.strictEqual(error.code, ErrorCode.DiskFull, `${context}: ${error.message}`);
          assert.doesNotMatch(error.message, /Undoing the create was incomplete/, context);
          assert.strictEqual(hashTree(main), files, `${context}: the main checkout's files`);
          assert.strictEqual(
            git(main, 'status', '--porcelain', '--untracked-files=all'),
            status,
            `${context}: the main checkout's status`,
          );
          assert.strictEqual(git(main, 'stash', 'list'), '', `${context}: a stash is left`);
          assert.deepStrictEqual(
            git(main, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length,
            1,
            `${context}: a worktree is left`,
          );
          assert.strictEqual(
            gitMayFail(main, 'rev-parse', '--verify', '--quiet', 'refs/heads/plan/1-full').ok,
            false,
            `${context}: the branch is left`,
          );
          if (runner.failed.some((c) => c.startsWith('stash apply') && !c.endsWith(` in ${main}`))) failedInApply++;
        } else {
          created++;
          assert.strictEqual(git(main, 'status', '--porcelain', '--untracked-files=all'), '', context);
          assert.strictEqual(git(main, 'stash', 'list'), '', context);
        }
        removeDir(main);
        removeDir(path.join(dir, 'repo.plans'));
      }
    });
    if (!mounted) this.skip();
    assert.ok(
      failedInApply > 0,
      `the disk never filled while the changes were applied in the plan (created ${created}, DiskFull ${diskFull})`,
    );
    assert.ok(created > 0, 'never enough space to create');
  });

  it("merge committing the plan's uncommitted changes: at every amount of free space, it merges or fails with DiskFull leaving the main checkout's branch, index and files, and the plan, as they were", async function () {
    this.timeout(300_000);
    let failedInMain = 0;
    let merged = 0;
    const mounted = await withTmpfs(2048, async (dir) => {
      for (let free = 150; free <= 300; free += 15) {
        const main = newRepo(dir, 10, 3000);
        const engine = await PlanEngine.open(main, { git: new Git() });
        const plan = await engine.create({ title: 'Big' });
        for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(plan.path, `f${i}.txt`), randomText(12000));
        for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(plan.path, `n${i}.txt`), randomText(12000));
        const mainBefore = [git(main, 'rev-parse', 'HEAD'), git(main, 'ls-files', '-s'), hashTree(main)];
        const planBefore = [git(plan.path, 'rev-parse', 'HEAD'), hashTree(plan.path)];
        const runner = new WatchedGit();
        const window = await PlanEngine.open(main, { git: runner });
        const filler = leaveFree(dir, free);
        const error = await outcome(() => window.merge(plan.id, { strategy: 'squash', commitUncommitted: true }));
        fs.rmSync(filler);
        const context = `at ${free} KB free`;
        if (error) {
          assert.strictEqual(error.code, ErrorCode.DiskFull, `${context}: ${error.message}`);
          assert.deepStrictEqual(
            [git(main, 'rev-parse', 'HEAD'), git(main, 'ls-files', '-s'), hashTree(main)],
            mainBefore,
            `${context}: the main checkout`,
          );
          assert.strictEqual(
            git(main, 'status', '--porcelain', '--untracked-files=all'),
            '',
            `${context}: the main checkout's status`,
          );
          assert.deepStrictEqual(
            [git(plan.path, 'rev-parse', 'HEAD'), hashTree(plan.path)],
            planBefore,
            `${context}: the plan`,
          );
          assert.deepStrictEqual(
            (await window.doctor()).map((f) => f.kind),
            [],
            `${context}: the doctor finds nothing to repair`,
          );
          if (runner.failed.some((c) => c.startsWith('read-tree -m -u') && c.endsWith(` in ${main}`))) failedInMain++;
        } else {
          merged++;
        }
        removeDir(main);
        removeDir(path.join(dir, 'repo.plans'));
      }
    });
    if (!mounted) this.skip();
    assert.ok(failedInMain > 0, `the disk never filled while the main checkout's files moved (merged ${merged})`);
  });

  it('a create at a few KB free fails with DiskFull naming where, and leaves no worktree, branch or active plan', async function () {
    this.timeout(60_000);
    const mounted = await withTmpfs(1024, async (dir) => {
      const main = newRepo(dir, 3, 1000);
      const engine = await PlanEngine.open(main, { git: new Git() });
      const filler = leaveFree(dir, 4);
      const error = await outcome(() => engine.create({ title: 'No room' }));
      fs.rmSync(filler);
      assert.strictEqual(error?.code, ErrorCode.DiskFull, error?.message);
      assert.ok((error?.files.length ?? 0) > 0, 'it names where it could not write');
      assert.match(error?.message ?? '', /disk is full/i);
      assert.deepStrictEqual(git(main, 'worktree', 'list', '--porcelain').match(/^worktree /gm)?.length, 1);
      assert.strictEqual(gitMayFail(main, 'rev-parse', '--verify', '--quiet', 'refs/heads/plan/1-no-room').ok, false);
      assert.deepStrictEqual(
        (await engine.list()).filter((r) => r.plan),
        [],
        'no plan is listed',
      );
    });
    if (!mounted) this.skip();
  });
});
