import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { cleanupPlan, CleanupOptions, discardPlan } from '../../../../src/model/lifecycle/cleanup';
import { createPlan } from '../../../../src/model/lifecycle/create';
import { PlanEngine } from '../../../../src/model/engine/planEngine';
import { listSnapshots, restoreSnapshot, Snapshot } from '../../../../src/model/lifecycle/snapshot';
import { PlanRecord } from '../../../../src/model/engine/types';
import { ExecOptions, ExecResult, Git } from '../../../../src/git/runner';
import { lifecycleFor, Lifecycle, statusOf, wholeState } from '../../helpers/b';
import { isPlanError } from '../../helpers/errors';
import { RoundGit } from '../../helpers/roundGit';
import {
  commitFiles,
  createRepo,
  git,
  gitMayFail,
  hashTree,
  removeDir,
  TestRepo,
  withRepo,
  writeFiles,
} from '../../helpers/repo';

function branchTip(main: string, branch: string): string | undefined {
  const result = gitMayFail(main, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
  return result.ok ? result.stdout : undefined;
}

function worktreePaths(main: string): string[] {
  return git(main, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));
}

async function statusInRegistry(life: Lifecycle, plan: PlanRecord): Promise<string | undefined> {
  return (await life.registry.read()).plans.find((p) => p.id === plan.id && p.run === plan.run)?.status;
}

/** Expects cleanup to refuse with `code` and to change nothing at all. */
async function assertRefused(
  repo: TestRepo,
  life: Lifecycle,
  plan: PlanRecord,
  options: CleanupOptions,
  code: ErrorCode,
  check?: (e: PlanWorktreesError) => void,
): Promise<void> {
  const before = wholeState(repo.root, repo.main, life.ctx);
  await assert.rejects(cleanupPlan(life.ctx, life.registry, life.events, plan, options), (e: unknown) => {
    assert.ok(e instanceof PlanWorktreesError, String(e));
    assert.strictEqual(e.code, code, e.message);
    check?.(e);
    return true;
  });
  assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
}

/** A plan with two commits, a staged, an unstaged and an untracked change. */
async function busyPlan(life: Lifecycle, title = 'Busy'): Promise<PlanRecord> {
  const plan = await createPlan(life.ctx, life.registry, life.events, { title });
  commitFiles(plan.path, { 'feature.txt': 'v1\n' }, 'first');
  commitFiles(plan.path, { 'feature.txt': 'v2\n', 'docs/guide.md': 'guide\n' }, 'second');
  writeFiles(plan.path, { 'README.md': 'staged change\n' });
  git(plan.path, 'add', 'README.md');
  writeFiles(plan.path, { 'src/app.txt': 'unstaged change\n', 'notes/untracked ü.txt': 'untracked\n' });
  return plan;
}

describe('cleanupPlan', () => {
  it("removes a merged plan's worktree and branch and marks it merged, leaving the main checkout's files alone", () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Done' });
      commitFiles(plan.path, { 'done.txt': 'done\n' });
      git(repo.main, 'merge', '-q', '--ff-only', plan.branch);
      const mainFiles = hashTree(repo.main);
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.deepStrictEqual(
        {
          removedWorktree: result.removedWorktree,
          deletedBranch: result.deletedBranch,
          status: result.status,
          how: result.merged?.how,
          snapshot: result.snapshot,
        },
        { removedWorktree: true, deletedBranch: true, status: 'merged', how: 'ancestor', snapshot: undefined },
      );
      assert.ok(!fs.existsSync(plan.path));
      assert.deepStrictEqual(worktreePaths(repo.main), [repo.main]);
      assert.strictEqual(branchTip(repo.main, plan.branch), undefined);
      assert.strictEqual(await statusInRegistry(life, plan), 'merged');
      assert.strictEqual(hashTree(repo.main), mainFiles);
      assert.deepStrictEqual(
        (await life.events.read(plan.id)).map((e) => e.type),
        ['create.before', 'create.after', 'remove.before', 'remove.after'],
      );
    }));

  it('deletes the branch of a squash-merged plan', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Squashed' });
      commitFiles(plan.path, { 'a.txt': 'a\n' }, 'a');
      commitFiles(plan.path, { 'b.txt': 'b\n' }, 'b');
      commitFiles(repo.main, { 'main-moved-on.txt': 'x\n' });
      git(repo.main, 'merge', '-q', '--squash', plan.branch);
      git(repo.main, 'commit', '-q', '-m', 'squash');
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.strictEqual(result.deletedBranch, true);
      assert.strictEqual(branchTip(repo.main, plan.branch), undefined);
      assert.strictEqual(result.status, 'merged');
    }));

  it('keeps the branch of an unmerged plan and says why; no snapshot is needed for a clean worktree', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Unmerged' });
      const tip = commitFiles(plan.path, { 'work.txt': 'work\n' });
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.strictEqual(result.removedWorktree, true);
      assert.strictEqual(result.deletedBranch, false);
      assert.match(result.keptBranchReason ?? '', /not in main/);
      assert.strictEqual(result.snapshot, undefined);
      assert.strictEqual(branchTip(repo.main, plan.branch), tip);
      assert.strictEqual(await statusInRegistry(life, plan), 'removed');
      assert.deepStrictEqual(await listSnapshots(life.ctx), []);
      const keep = (await life.events.read(plan.id)).find((e) => e.type === 'keep');
      assert.match(String(keep?.reason), /not in main/);
    }));

  it('keeps the branch when asked to, even merged', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Keep' });
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan, { deleteBranch: false });
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch], [true, false]);
      assert.ok(branchTip(repo.main, plan.branch));
    }));

  it("deletes a branch squash-merged on the server, seen after a fetch of the base's upstream", async () => {
    const repo = createRepo();
    const origin = path.join(repo.root, 'origin.git');
    const other = path.join(repo.root, 'other clone');
    try {
      git(repo.root, 'clone', '-q', '--bare', repo.main, origin);
      git(repo.main, 'remote', 'add', 'origin', origin);
      git(repo.main, 'fetch', '-q', 'origin');
      git(repo.main, 'branch', '-q', '--set-upstream-to=origin/main', 'main');
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Pull request' });
      commitFiles(plan.path, { 'pr.txt': 'one\n' }, 'pr 1');
      commitFiles(plan.path, { 'pr.txt': 'two\n' }, 'pr 2');
      git(plan.path, 'push', '-q', 'origin', plan.branch);
      // Someone squash-merges the pull request on the server.
      git(repo.root, 'clone', '-q', origin, other);
      git(other, 'config', 'user.name', 'Reviewer');
      git(other, 'config', 'user.email', 'reviewer@example.invalid');
      git(other, 'merge', '-q', '--squash', `origin/${plan.branch}`);
      git(other, 'commit', '-q', '-m', 'Squash-merge the pull request');
      git(other, 'push', '-q', 'origin', 'main');
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.strictEqual(result.merged?.how, 'upstream');
      assert.strictEqual(result.deletedBranch, true);
      assert.strictEqual(branchTip(repo.main, plan.branch), undefined);
    } finally {
      removeDir(repo.root);
    }
  });

  it('carries on when the upstream cannot be fetched, keeping the unmerged branch', () =>
    withRepo(async (repo) => {
      git(repo.main, 'remote', 'add', 'origin', path.join(repo.root, 'no such remote'));
      git(repo.main, 'config', 'branch.main.remote', 'origin');
      git(repo.main, 'config', 'branch.main.merge', 'refs/heads/main');
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Offline' });
      commitFiles(plan.path, { 'x.txt': 'x\n' });
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch], [true, false]);
    }));

  it('refuses the main worktree', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Main' });
      const pointingAtMain = { ...plan, path: repo.main };
      await assertRefused(repo, life, pointingAtMain, {}, ErrorCode.MainWorktree);
      await assertRefused(repo, life, pointingAtMain, { force: true }, ErrorCode.MainWorktree);
      const onMainBranch = { ...plan, path: path.join(repo.root, 'nowhere'), branch: 'main' };
      await assert.rejects(
        discardPlan(life.ctx, life.registry, life.events, { ...onMainBranch, path: repo.main }),
        isPlanError(ErrorCode.MainWorktree, { path: repo.main }),
      );
      assert.ok(branchTip(repo.main, 'main'));
    }));

  for (const [kind, change] of [
    ['a modified tracked file', (dir: string) => writeFiles(dir, { 'src/app.txt': 'changed\n' })],
    ['a staged file', (dir: string) => (writeFiles(dir, { 'staged.txt': 's' }), git(dir, 'add', 'staged.txt'))],
    ['an untracked file', (dir: string) => writeFiles(dir, { 'new folder/untracked.txt': 'u' })],
  ] as Array<[string, (dir: string) => void]>) {
    it(`refuses a worktree with ${kind}, listing it, and changes nothing`, () =>
      withRepo(async (repo) => {
        const life = await lifecycleFor(repo.main);
        const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Dirty' });
        change(plan.path);
        await assertRefused(repo, life, plan, {}, ErrorCode.WorktreeDirty, (e) => {
          assert.strictEqual(e.files.length, 1);
          isPlanError(ErrorCode.WorktreeDirty, { reason: 'uncommitted', path: plan.path, files: e.files })(e);
        });
      }));
  }

  it('refuses an untracked file of a merged plan when the repository hides untracked files from git status (status.showUntrackedFiles=no)', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Hidden' });
      git(repo.main, 'config', 'status.showUntrackedFiles', 'no');
      writeFiles(plan.path, { 'notes/only here.txt': 'untracked\n' });
      // Plain `git worktree remove` would delete it: its own status then lists no untracked file.
      await assertRefused(repo, life, plan, {}, ErrorCode.WorktreeDirty, (e) =>
        assert.deepStrictEqual(e.files, ['notes/only here.txt']),
      );
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'notes/only here.txt'), 'utf8'), 'untracked\n');
      fs.rmSync(path.join(plan.path, 'notes'), { recursive: true });
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch], [true, true]);
    }));

  it('refuses a locked worktree unless forced', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Locked' });
      git(repo.main, 'worktree', 'lock', '--reason', 'on a USB drive', plan.path);
      await assertRefused(repo, life, plan, {}, ErrorCode.WorktreeLocked, (e) =>
        isPlanError(ErrorCode.WorktreeLocked, { path: plan.path, lockReason: 'on a USB drive' })(e),
      );
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan, { force: true });
      assert.strictEqual(result.removedWorktree, true);
      assert.deepStrictEqual(worktreePaths(repo.main), [repo.main]);
    }));

  for (const [kind, late] of [
    ['an untracked file', { 'late/report.txt': 'written at the last moment\n' }],
    ['a change to a tracked file', { 'src/app.txt': 'changed at the last moment\n' }],
  ] as Array<[string, Record<string, string>]>) {
    it(`unforced, on a merged worktree that was clean when read: ${kind} written just before git removes it (an agent still running) is found by git's own check, and nothing is removed`, () =>
      withRepo(async (repo) => {
        const life = await lifecycleFor(repo.main);
        const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Clean when read' });
        const tip = branchTip(repo.main, plan.branch);
        // Written between the cleanup's reads and the removal, as a process still writing there would.
        class LateWriter extends Git {
          override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
            if (args.includes('worktree') && args.includes('remove') && fs.existsSync(plan.path)) {
              writeFiles(plan.path, late);
            }
            return super.exec(args, options);
          }
        }
        await assert.rejects(
          cleanupPlan({ ...life.ctx, git: new LateWriter() }, life.registry, life.events, plan),
          isPlanError(ErrorCode.WorktreeDirty, { reason: 'uncommitted', path: plan.path, files: Object.keys(late) }),
        );
        for (const [file, text] of Object.entries(late)) {
          assert.strictEqual(fs.readFileSync(path.join(plan.path, file), 'utf8'), text);
        }
        assert.deepStrictEqual(worktreePaths(repo.main), [repo.main, plan.path]);
        assert.strictEqual(branchTip(repo.main, plan.branch), tip);
        assert.strictEqual(await statusInRegistry(life, plan), 'active');
      }));
  }

  it('forced, on a worktree that was clean when read: a file written before git removes it (an agent still running) goes into a snapshot, not away', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Clean when read' });
      // Written between the cleanup's reads and the removal, as a process still writing there would.
      class LateWriter extends Git {
        override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
          if (
            args.includes('worktree') &&
            (args.includes('remove') || args.includes('move')) &&
            fs.existsSync(plan.path)
          ) {
            writeFiles(plan.path, { 'late/report.txt': 'written at the last moment\n' });
          }
          return super.exec(args, options);
        }
      }
      const result = await cleanupPlan({ ...life.ctx, git: new LateWriter() }, life.registry, life.events, plan, {
        force: true,
      });
      assert.ok(!fs.existsSync(plan.path), 'the worktree is removed');
      assert.ok(result.snapshot, 'a forced removal keeps a snapshot');
      await restoreSnapshot(life.ctx, result.snapshot);
      assert.strictEqual(
        fs.readFileSync(path.join(plan.path, 'late/report.txt'), 'utf8'),
        'written at the last moment\n',
      );
    }));

  it('a merged branch moved by another window just before it is deleted is kept, and the plan is marked removed, not merged', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Moved at the end' });
      commitFiles(plan.path, { 'done.txt': 'done\n' }, 'done');
      git(repo.main, 'merge', '-q', '--no-ff', '--no-edit', plan.branch);
      let moved: string | undefined;
      class MovingGit extends Git {
        override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
          if (!moved && args.includes('update-ref') && args.includes('-d')) {
            const tip = git(repo.main, 'rev-parse', `refs/heads/${plan.branch}`);
            // Work of its own, not in main: the tree of main's first commit.
            const tree = git(repo.main, 'rev-parse', `${git(repo.main, 'rev-list', '--max-parents=0', 'HEAD')}^{tree}`);
            moved = git(repo.main, 'commit-tree', '-p', tip, '-m', 'more work', tree);
            git(repo.main, 'update-ref', `refs/heads/${plan.branch}`, moved, tip);
          }
          return super.exec(args, options);
        }
      }
      const result = await cleanupPlan({ ...life.ctx, git: new MovingGit() }, life.registry, life.events, plan);
      assert.ok(moved);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch, result.status], [true, false, 'removed']);
      assert.strictEqual(branchTip(repo.main, plan.branch), moved);
      assert.strictEqual(await statusInRegistry(life, plan), 'removed');
      assert.ok(!fs.existsSync(plan.path));
    }));

  it('forced: writes a snapshot first, and restoring it gives back every committed, uncommitted and untracked file', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await busyPlan(life);
      const files = hashTree(plan.path);
      const status = statusOf(plan.path);
      const tip = branchTip(repo.main, plan.branch);
      await assertRefused(repo, life, plan, {}, ErrorCode.WorktreeDirty, (e) => assert.strictEqual(e.files.length, 3));
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan, { force: true });
      assert.ok(result.snapshot, 'a snapshot was written');
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch], [true, false]);
      assert.ok(!fs.existsSync(plan.path));
      assert.deepStrictEqual(
        (await listSnapshots(life.ctx)).map((s) => s.ref),
        [result.snapshot.ref],
      );
      const restored = await restoreSnapshot(life.ctx, result.snapshot);
      assert.deepStrictEqual(restored, { path: plan.path, branch: plan.branch });
      assert.strictEqual(hashTree(plan.path), files);
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), tip);
      assert.strictEqual(
        statusOf(plan.path).replace(/^M /gm, ' M').split('\n').sort().join('\n'),
        status.replace(/^M /gm, ' M').split('\n').sort().join('\n'),
      );
      const types = (await life.events.read(plan.id)).map((e) => e.type);
      assert.ok(types.indexOf('snapshot') < types.indexOf('remove.after'));
    }));

  it('removes the record of a worktree whose folder was deleted by hand', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Deleted by hand' });
      fs.rmSync(plan.path, { recursive: true, force: true });
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.strictEqual(result.removedWorktree, true);
      assert.deepStrictEqual(worktreePaths(repo.main), [repo.main]);
      assert.strictEqual(result.deletedBranch, true, 'a branch without commits of its own is merged');
    }));

  it('refuses a worktree on a commit that no branch contains unless forced, and then keeps it in a snapshot', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Detached' });
      git(plan.path, 'checkout', '-q', '--detach');
      const stray = commitFiles(plan.path, { 'stray.txt': 'only here\n' });
      await assertRefused(repo, life, plan, {}, ErrorCode.WorktreeDirty, (e) =>
        isPlanError(ErrorCode.WorktreeDirty, { reason: 'detached', path: plan.path, head: stray })(e),
      );
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan, { force: true });
      assert.ok(result.snapshot);
      assert.strictEqual(git(repo.main, 'rev-parse', `${result.snapshot.commit}^`), stray);
    }));

  it('keeps a branch that is checked out in another worktree', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Moved' });
      git(plan.path, 'checkout', '-q', '--detach');
      const elsewhere = path.join(repo.root, 'elsewhere');
      git(repo.main, 'worktree', 'add', '-q', elsewhere, plan.branch);
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.strictEqual(result.removedWorktree, true);
      assert.match(result.keptBranchReason ?? '', /checked out in .*elsewhere/);
      assert.ok(branchTip(repo.main, plan.branch));
    }));

  it('works with spaces and unicode in the folder', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, {
        title: 'x',
        path: path.join(repo.root, 'plans ü', 'my plan'),
      });
      writeFiles(plan.path, { 'naïve file.txt': 'n' });
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan, { force: true });
      assert.ok(result.removedWorktree && result.snapshot);
      assert.ok(!fs.existsSync(plan.path));
    }));

  it("in a repository with a submodule: removes a clean plan, refuses changes inside its submodule even forced, and never touches the main checkout's submodule", async () => {
    const repo = createRepo();
    const sub = createRepo({ 'lib.txt': 'library\n' }, 'sub');
    try {
      git(repo.main, '-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'add', sub.main, 'vendor/lib');
      git(repo.main, 'commit', '-q', '-m', 'add submodule');
      writeFiles(path.join(repo.main, 'vendor/lib'), {
        'local-only.txt': "untracked in the main checkout's submodule",
      });
      const mainSubmodule = hashTree(path.join(repo.main, 'vendor/lib'));
      const life = await lifecycleFor(repo.main, { dirtyBase: 'ignore' });
      for (const title of ['clean', 'dirty']) {
        const plan = await createPlan(life.ctx, life.registry, life.events, { title });
        git(plan.path, '-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'update', '--init');
        assert.strictEqual(fs.readFileSync(path.join(plan.path, 'vendor/lib/lib.txt'), 'utf8'), 'library\n');
        if (title === 'clean') {
          const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
          assert.strictEqual(result.removedWorktree, true);
          assert.ok(!fs.existsSync(plan.path));
        } else {
          writeFiles(path.join(plan.path, 'vendor/lib'), { 'lib.txt': 'changed inside the submodule\n' });
          await assertRefused(repo, life, plan, { force: true }, ErrorCode.WorktreeDirty, (e) =>
            assert.deepStrictEqual(e.files, ['vendor/lib']),
          );
        }
      }
      assert.strictEqual(hashTree(path.join(repo.main, 'vendor/lib')), mainSubmodule);
    } finally {
      removeDir(repo.root);
      removeDir(sub.root);
    }
  });
  it('forced clean-up of a plan with a checked-out submodule and uncommitted work: snapshots, removes it, and restores the work', async () => {
    const repo = createRepo();
    const sub = createRepo({ 'lib.txt': 'library\n' }, 'sub');
    try {
      git(repo.main, '-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'add', sub.main, 'vendor/lib');
      git(repo.main, 'commit', '-q', '-m', 'add submodule');
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'With submodule' });
      git(plan.path, '-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'update', '--init');
      writeFiles(plan.path, { 'src/app.txt': 'uncommitted\n', 'new.txt': 'untracked\n' });
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan, { force: true });
      assert.ok(result.snapshot && result.removedWorktree && !result.leftover);
      assert.ok(!fs.existsSync(plan.path));
      assert.deepStrictEqual(worktreePaths(repo.main), [repo.main]);
      assert.strictEqual(git(repo.main, 'show', `${result.snapshot.commit}:new.txt`), 'untracked');
      assert.strictEqual(git(repo.main, 'show', `${result.snapshot.commit}:src/app.txt`), 'uncommitted');
    } finally {
      removeDir(repo.root);
      removeDir(sub.root);
    }
  });
});

describe('discardPlan', () => {
  it('removes worktree and unmerged branch after a snapshot, and restoring it brings every file and commit back', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await busyPlan(life, 'Discard me');
      const files = hashTree(plan.path);
      const tip = branchTip(repo.main, plan.branch);
      const log = git(plan.path, 'log', '--format=%H %s');
      const result = await discardPlan(life.ctx, life.registry, life.events, plan);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch, result.status], [true, true, 'abandoned']);
      assert.ok(result.snapshot);
      assert.strictEqual(branchTip(repo.main, plan.branch), undefined);
      assert.ok(!fs.existsSync(plan.path));
      assert.strictEqual(await statusInRegistry(life, plan), 'abandoned');
      const restored = await restoreSnapshot(life.ctx, result.snapshot);
      assert.deepStrictEqual(restored, { path: plan.path, branch: plan.branch });
      assert.strictEqual(branchTip(repo.main, plan.branch), tip);
      assert.strictEqual(git(plan.path, 'log', '--format=%H %s'), log);
      assert.strictEqual(hashTree(plan.path), files);
      assert.match(statusOf(plan.path), /src\/app\.txt/);
      assert.match(statusOf(plan.path), /\?\? "?notes\/untracked/);
    }));

  it('discards a plan whose folder is gone, keeping its commits in a snapshot', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Gone' });
      const tip = commitFiles(plan.path, { 'gone.txt': 'g\n' });
      fs.rmSync(plan.path, { recursive: true, force: true });
      const result = await discardPlan(life.ctx, life.registry, life.events, plan);
      assert.ok(result.snapshot);
      assert.strictEqual(result.deletedBranch, true);
      assert.strictEqual(git(repo.main, 'rev-parse', `${result.snapshot.commit}^`), tip);
      assert.deepStrictEqual(worktreePaths(repo.main), [repo.main]);
    }));

  // Two windows removing the same plan: the other window's removal runs to its end right before one git command of this one.
  const races: Array<{
    ours: 'discard' | 'force';
    theirs: 'discard' | 'force';
    before: string;
    when: (args: string[], cwd: string, plan: PlanRecord) => boolean;
  }> = [
    {
      ours: 'discard',
      theirs: 'discard',
      before: 'git status in the plan folder',
      when: (args, cwd, plan) => args[0] === 'status' && cwd === plan.path,
    },
    {
      ours: 'force',
      theirs: 'discard',
      before: 'the snapshot reads the plan folder',
      when: (args, cwd, plan) => args[0] === 'add' && cwd.startsWith(plan.path),
    },
    {
      ours: 'discard',
      theirs: 'force',
      before: 'git worktree remove',
      when: (args) => args.includes('worktree') && args.includes('remove'),
    },
    {
      ours: 'discard',
      theirs: 'discard',
      before: 'the branch is deleted',
      when: (args) => args[0] === 'update-ref' && args.includes('-d'),
    },
  ];
  for (const race of races) {
    it(`${race.ours === 'discard' ? 'discard' : 'forced cleanup'} while another window ${race.theirs === 'discard' ? 'discards' : 'cleans up'} the same plan (before ${race.before}): done already, no error, nothing lost`, () =>
      withRepo(async (repo) => {
        const life = await lifecycleFor(repo.main);
        const plan = await busyPlan(life, 'Twice');
        const tip = branchTip(repo.main, plan.branch) as string;
        const files = hashTree(plan.path);
        const other = await lifecycleFor(repo.main);
        let theirs: Awaited<ReturnType<typeof discardPlan>> | undefined;
        class OtherWindowFirst extends Git {
          override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
            if (!theirs && race.when(args, options.cwd, plan)) {
              theirs =
                race.theirs === 'discard'
                  ? await discardPlan(other.ctx, other.registry, other.events, plan)
                  : await cleanupPlan(other.ctx, other.registry, other.events, plan, { force: true });
            }
            return super.exec(args, options);
          }
        }
        const ctx = { ...life.ctx, git: new OtherWindowFirst() };
        const ours =
          race.ours === 'discard'
            ? await discardPlan(ctx, life.registry, life.events, plan)
            : await cleanupPlan(ctx, life.registry, life.events, plan, { force: true });
        assert.ok(theirs?.snapshot, 'the other window removed the plan, with a snapshot');
        assert.deepStrictEqual([ours.alreadyRemoved, ours.status], [true, theirs.status]);
        assert.strictEqual(await statusInRegistry(life, plan), theirs.status);
        assert.deepStrictEqual(worktreePaths(repo.main), [repo.main]);
        // Nothing lost: the snapshot taken while the worktree was there (ours, when we took it first) brings back every commit and file.
        const restored = await restoreSnapshot(life.ctx, ours.snapshot ?? theirs.snapshot);
        assert.strictEqual(branchTip(repo.main, restored.branch), tip);
        assert.strictEqual(hashTree(restored.path), files);
      }));
  }
});

describe('what a removal keeps', () => {
  const ignoreRules = { '.gitignore': '.env\n*.log\nnode_modules/\n', 'README.md': '# demo\n', 'src/app.txt': 'one\n' };

  it('cleaning up merged work keeps its ignored files in a snapshot first (an edited .env, a log), not node_modules or an unchanged .env copy', () =>
    withRepo(async (repo) => {
      writeFiles(repo.main, { '.env': 'SECRET=old\n' });
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Rotated' });
      assert.strictEqual(fs.readFileSync(path.join(plan.path, '.env'), 'utf8'), 'SECRET=old\n', 'copied in at create');
      const unchanged = await createPlan(life.ctx, life.registry, life.events, { title: 'Untouched' });
      writeFiles(plan.path, {
        '.env': 'SECRET=rotated\n',
        'build.log': 'log\n',
        'node_modules/pkg/index.js': 'patched\n',
      });
      writeFiles(unchanged.path, { 'node_modules/pkg/index.js': 'x\n' });
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch, result.status], [true, true, 'merged']);
      assert.ok(result.snapshot, 'a snapshot holds the ignored files');
      assert.ok(!fs.existsSync(plan.path));
      const plain = await cleanupPlan(life.ctx, life.registry, life.events, unchanged);
      assert.deepStrictEqual(
        [plain.removedWorktree, plain.snapshot],
        [true, undefined],
        'nothing to keep: no snapshot',
      );
      const restored = await restoreSnapshot(life.ctx, result.snapshot);
      assert.strictEqual(fs.readFileSync(path.join(restored.path, '.env'), 'utf8'), 'SECRET=rotated\n');
      assert.strictEqual(fs.readFileSync(path.join(restored.path, 'build.log'), 'utf8'), 'log\n');
      assert.ok(!fs.existsSync(path.join(restored.path, 'node_modules')));
    }, ignoreRules));

  it('refuses, forced or not, ignored files over the snapshot limit, naming the biggest and changing nothing', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main, { snapshotLimitMB: 1 });
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Big' });
      writeFiles(plan.path, { 'huge.log': 'x'.repeat(2 * 1024 * 1024) });
      for (const force of [false, true]) {
        await assertRefused(repo, life, plan, { force }, ErrorCode.SnapshotTooLarge, (e) =>
          assert.deepStrictEqual(e.files, ['huge.log']),
        );
      }
      const before = wholeState(repo.root, repo.main, life.ctx);
      await assert.rejects(
        discardPlan(life.ctx, life.registry, life.events, plan),
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.SnapshotTooLarge,
      );
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
    }, ignoreRules));

  it('refuses, forced or not, a git repository of its own inside the worktree (ignored or untracked), whose files a snapshot cannot keep', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Nested' });
      const clone = path.join(plan.path, 'vendor.log');
      fs.mkdirSync(clone);
      git(clone, 'init', '-q');
      writeFiles(clone, { 'work.txt': 'only here\n' });
      for (const force of [false, true]) {
        await assertRefused(repo, life, plan, { force }, ErrorCode.WorktreeDirty, (e) =>
          assert.deepStrictEqual(e.files, ['vendor.log/']),
        );
      }
    }, ignoreRules));

  it('refuses a worktree whose only change is in a file marked assume-unchanged or skip-worktree, and a forced clean-up keeps the edit', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      for (const flag of ['--assume-unchanged', '--skip-worktree']) {
        const plan = await createPlan(life.ctx, life.registry, life.events, { title: `Hidden ${flag}` });
        git(plan.path, 'update-index', flag, 'src/app.txt');
        writeFiles(plan.path, { 'src/app.txt': 'hidden edit\n' });
        assert.strictEqual(git(plan.path, 'status', '--porcelain'), '');
        await assertRefused(repo, life, plan, {}, ErrorCode.WorktreeDirty, (e) =>
          assert.deepStrictEqual(e.files, ['src/app.txt']),
        );
        const result = await cleanupPlan(life.ctx, life.registry, life.events, plan, { force: true });
        assert.ok(result.snapshot);
        assert.strictEqual(git(repo.main, 'show', `${result.snapshot.commit}:src/app.txt`), 'hidden edit');
      }
    }, ignoreRules));

  it('a flag the index file does not show to its reader (a split index, version 4) is still found: git lists the flagged entries, and the clean-up is refused', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      for (const setup of [['--split-index'], ['--index-version', '4']]) {
        const plan = await createPlan(life.ctx, life.registry, life.events, { title: `Hidden ${setup[0]}` });
        git(plan.path, 'update-index', ...setup);
        git(plan.path, 'update-index', '--assume-unchanged', 'src/app.txt');
        writeFiles(plan.path, { 'src/app.txt': 'hidden edit\n' });
        assert.strictEqual(git(plan.path, 'status', '--porcelain'), '');
        await assertRefused(repo, life, plan, {}, ErrorCode.WorktreeDirty, (e) =>
          assert.deepStrictEqual(e.files, ['src/app.txt']),
        );
        assert.strictEqual(fs.readFileSync(path.join(plan.path, 'src/app.txt'), 'utf8'), 'hidden edit\n');
      }
    }, ignoreRules));

  for (const how of ['forced cleanup', 'discard'] as const) {
    it(`${how} of a worktree moved by hand (git worktree move) snapshots and removes the folder git has, uncommitted and untracked work included`, () =>
      withRepo(async (repo) => {
        const life = await lifecycleFor(repo.main);
        const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Moved' });
        const tip = commitFiles(plan.path, { 'committed.txt': 'c\n' });
        writeFiles(plan.path, {
          'src/app.txt': 'uncommitted\n',
          'untracked/new.txt': 'untracked\n',
          'notes.log': 'ignored\n',
        });
        const moved = path.join(path.dirname(plan.path), 'moved by hand');
        git(repo.main, 'worktree', 'move', plan.path, moved);
        const files = hashTree(moved);
        const result =
          how === 'discard'
            ? await discardPlan(life.ctx, life.registry, life.events, plan)
            : await cleanupPlan(life.ctx, life.registry, life.events, plan, { force: true });
        assert.ok(result.snapshot && result.removedWorktree);
        assert.ok(!fs.existsSync(moved), 'the moved folder is removed');
        assert.deepStrictEqual(worktreePaths(repo.main), [repo.main]);
        assert.strictEqual(result.snapshot.plan.path, moved, 'the snapshot records where the worktree was');
        if (how === 'discard') assert.strictEqual(branchTip(repo.main, plan.branch), undefined);
        else git(repo.main, 'branch', '-D', plan.branch);
        const restored = await restoreSnapshot(life.ctx, result.snapshot);
        assert.deepStrictEqual(restored, { path: moved, branch: plan.branch });
        assert.strictEqual(git(moved, 'rev-parse', 'HEAD'), tip);
        assert.strictEqual(hashTree(moved), files, 'every file is back, byte for byte');
      }, ignoreRules));
  }

  it('the list follows a worktree moved by hand and records its new folder', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Wanders', open: 'none' } as Parameters<PlanEngine['create']>[0]);
      const moved = path.join(repo.root, 'elsewhere');
      git(repo.main, 'worktree', 'move', plan.path, moved);
      const item = (await engine.list()).find((i) => i.plan?.id === plan.id);
      assert.strictEqual(item?.worktree?.path, moved);
      assert.strictEqual((await engine.plan(plan.id)).path, moved, 'the registry has the new folder');
    }));

  for (const how of ['forced cleanup', 'discard'] as const) {
    it(`${how} while a process keeps writing into the worktree: every file written before the folder went is in the snapshot or still on disk`, async function () {
      this.timeout(60_000);
      await withRepo(async (repo) => {
        const life = await lifecycleFor(repo.main);
        const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Busy writer' });
        writeFiles(plan.path, { 'src/app.txt': 'dirty\n' });
        const written = path.join(repo.root, 'written.txt');
        const writer = startWriter(plan.path, written);
        let result;
        try {
          await waitFor(() => fs.existsSync(written) && fs.readFileSync(written, 'utf8').split('\n').length > 100);
          result =
            how === 'discard'
              ? await discardPlan(life.ctx, life.registry, life.events, plan)
              : await cleanupPlan(life.ctx, life.registry, life.events, plan, { force: true });
          await new Promise((resolve) => setTimeout(resolve, 200));
        } finally {
          writer.kill();
        }
        assert.ok(result.snapshot);
        assert.notStrictEqual(await statusInRegistry(life, plan), 'active');
        assert.deepStrictEqual(worktreePaths(repo.main), [repo.main], 'git no longer lists the worktree');
        const lost = lostFiles(repo, result.snapshot, fs.readFileSync(written, 'utf8'), [plan.path, result.leftover]);
        assert.deepStrictEqual(lost, [], `files written while the worktree was removed are lost (${lost.length})`);
      }, ignoreRules);
    });
  }
});

/**
 * A child process that writes a file into `folder` every millisecond or so
 * (through its working folder and by full path, 4,000 at most, for 30 s at
 * most) and lists each one written in `log`.
 */
function startWriter(folder: string, log: string): ReturnType<typeof spawn> {
  const script = `
    const fs = require('fs'), path = require('path');
    const [folder, log] = process.argv.slice(1);
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const end = Date.now() + 30000;
    for (let n = 0; n < 2000 && Date.now() < end; n++) {
      for (const [name, where] of [['gen/rel-' + n + '.txt', 'gen/rel-' + n + '.txt'], ['gen/abs-' + n + '.txt', path.join(folder, 'gen/abs-' + n + '.txt')]]) {
        try { fs.mkdirSync(path.dirname(where), { recursive: true }); fs.writeFileSync(where, 'content ' + n + '\\n'); fs.appendFileSync(log, name + '\\n'); } catch {}
      }
      Atomics.wait(pause, 0, 0, 1);
    }`;
  return spawn(process.execPath, ['-e', script, folder, log], { cwd: folder, stdio: 'ignore' });
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The files the writer wrote that are neither in the snapshot (with their content) nor on disk in one of `folders`. */
function lostFiles(repo: TestRepo, snapshot: Snapshot, log: string, folders: Array<string | undefined>): string[] {
  const inSnapshot = new Set(git(repo.main, 'ls-tree', '-r', '--name-only', snapshot.commit).split('\n'));
  return [...new Set(log.split('\n').filter(Boolean))].filter((file) => {
    const content = `content ${/(\d+)\.txt$/.exec(file)?.[1]}\n`;
    if (inSnapshot.has(file) && git(repo.main, 'show', `${snapshot.commit}:${file}`) + '\n' === content) return false;
    return !folders.some(
      (f) => f && fs.existsSync(path.join(f, file)) && fs.readFileSync(path.join(f, file), 'utf8') === content,
    );
  });
}

describe('several runs of one plan', () => {
  /** Run 1 of plan 7 with a commit, a changed file and an untracked one (kept for inspection), and run 2 with a commit. */
  async function twoRuns(repo: TestRepo) {
    const engine = await PlanEngine.open(repo.main, { git: new Git() });
    const first = await engine.create({ id: '7', title: 'Phase seven' });
    commitFiles(first.path, { 'src/first.txt': 'first try\n' }, 'first try');
    writeFiles(first.path, { 'src/app.txt': 'half-way\n', 'notes.txt': 'why it failed\n' });
    const second = await engine.create({ id: '7', title: 'Phase seven', newRun: true });
    commitFiles(second.path, { 'src/second.txt': 'second try\n' }, 'second try');
    const kept = { files: hashTree(first.path), tip: branchTip(repo.main, first.branch), status: statusOf(first.path) };
    return { engine, first, second, kept };
  }

  function assertKept(repo: TestRepo, first: PlanRecord, kept: { files: string; tip?: string; status: string }): void {
    assert.ok(worktreePaths(repo.main).includes(first.path), "run 1's worktree is still registered");
    assert.strictEqual(hashTree(first.path), kept.files, "run 1's files are untouched");
    assert.strictEqual(statusOf(first.path), kept.status, "run 1's changes are still uncommitted");
    assert.strictEqual(branchTip(repo.main, first.branch), kept.tip, "run 1's branch is where it was");
  }

  it('merging and cleaning up run 2 (named by its id alone, then by its run) leaves the dirty, kept run 1 whole', () =>
    withRepo(async (repo) => {
      const { engine, first, second, kept } = await twoRuns(repo);
      // The id alone names the newest run that is active or has its worktree: run 2.
      await engine.merge('7', { strategy: 'merge' });
      assert.ok(fs.existsSync(path.join(repo.main, 'src/second.txt')));
      assert.ok(!fs.existsSync(path.join(repo.main, 'src/first.txt')), "run 1's work is not merged");
      const result = await engine.cleanup('7');
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch, result.status], [true, true, 'merged']);
      assert.ok(!fs.existsSync(second.path));
      assert.strictEqual(branchTip(repo.main, second.branch), undefined);
      assertKept(repo, first, kept);
      assert.deepStrictEqual(
        (await engine.runs('7')).map((p) => [p.run, p.status]),
        [
          [2, 'merged'],
          [1, 'active'],
        ],
      );
      // Now the id names run 1 again; its changes are refused, as ever.
      assert.strictEqual((await engine.plan('7')).run, 1);
      await assert.rejects(engine.cleanup({ id: '7', run: 1 }), isPlanError(ErrorCode.WorktreeDirty));
      assertKept(repo, first, kept);
    }));

  it('discarding run 2 by its run number leaves run 1 alone; an unknown run is refused', () =>
    withRepo(async (repo) => {
      const { engine, first, second, kept } = await twoRuns(repo);
      await assert.rejects(
        engine.discard({ id: '7', run: 9 }),
        isPlanError(ErrorCode.PlanNotFound, { reason: 'noPlan', plan: '7', run: 9 }),
      );
      const result = await engine.discard({ id: '7', run: 2 });
      assert.ok(result.snapshot, 'run 2 is kept in a snapshot');
      assert.ok(!fs.existsSync(second.path));
      assert.strictEqual(branchTip(repo.main, second.branch), undefined);
      assertKept(repo, first, kept);
      assert.strictEqual((await engine.plan({ id: '7', run: 1 })).status, 'active');
    }));
});

describe('the git processes of a cleanup', () => {
  /** A plan made by the engine (with a copy of the main checkout's ignored .env), whose commit is merged into main. */
  async function mergedPlan(repo: TestRepo, engine: PlanEngine): Promise<PlanRecord> {
    const plan = await engine.create({ id: '1', title: 'Done' });
    assert.strictEqual(fs.readFileSync(path.join(plan.path, '.env'), 'utf8'), 'SECRET=1\n');
    commitFiles(plan.path, { 'done.txt': 'done\n' }, 'done');
    git(repo.main, 'merge', '-q', '--no-ff', '--no-edit', plan.branch);
    return plan;
  }

  function ignoreEnv(repo: TestRepo): void {
    commitFiles(repo.main, { '.gitignore': '.env\n' }, 'ignore .env');
    writeFiles(repo.main, { '.env': 'SECRET=1\n' });
  }

  it("a merged plan: 4 processes in 3 rounds (the ignored files, which git's own check does not see, and its branch in the base, while the worktrees and the index's flags are read from git's files; the removal, whose own check is the only `status`; the branch deleted)", () =>
    withRepo(async (repo) => {
      ignoreEnv(repo);
      const runner = new RoundGit();
      const engine = await PlanEngine.open(repo.main, { git: runner });
      const plan = await mergedPlan(repo, engine);
      runner.rounds.length = 0;
      const result = await engine.cleanup(plan.id);
      assert.deepStrictEqual(runner.rounds, [['for-each-ref', 'ls-files'], ['worktree'], ['update-ref']]);
      assert.deepStrictEqual(
        [result.removedWorktree, result.deletedBranch, result.status, result.merged, result.snapshot],
        [true, true, 'merged', { merged: true, how: 'ancestor' }, undefined],
      );
      assert.ok(!fs.existsSync(plan.path));
      assert.strictEqual(branchTip(repo.main, plan.branch), undefined);
      assert.deepStrictEqual(worktreePaths(repo.main), [repo.main]);
    }));

  it("the plan's status is written while its branch is deleted, not after", () =>
    withRepo(async (repo) => {
      ignoreEnv(repo);
      let marked = false;
      let seenDuringDelete: boolean | undefined;
      // The branch's deletion waits (up to 3 s) for the registry to say the plan is merged.
      class WaitingGit extends Git {
        override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
          if (args.includes('update-ref') && args.includes('-d')) {
            for (let i = 0; i < 300 && !marked; i++) await new Promise((resolve) => setTimeout(resolve, 10));
            seenDuringDelete = marked;
          }
          return super.exec(args, options);
        }
      }
      const engine = await PlanEngine.open(repo.main, { git: new WaitingGit() });
      const plan = await mergedPlan(repo, engine);
      const life = await lifecycleFor(repo.main);
      const update = life.registry.update.bind(life.registry);
      life.registry.update = async (fn) => {
        const result = await update(fn);
        marked = (await life.registry.read()).plans.some((p) => p.id === plan.id && p.status === 'merged');
        return result;
      };
      const result = await cleanupPlan({ ...life.ctx, git: new WaitingGit() }, life.registry, life.events, plan);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch, result.status], [true, true, 'merged']);
      assert.strictEqual(seenDuringDelete, true);
      assert.strictEqual(branchTip(repo.main, plan.branch), undefined);
    }));

  it("a merged plan's branch settings go with the branch, however its section is written; another branch's stay", () =>
    withRepo(async (repo) => {
      ignoreEnv(repo);
      const runner = new RoundGit();
      const engine = await PlanEngine.open(repo.main, { git: runner });
      const plan = await mergedPlan(repo, engine);
      git(repo.main, 'config', 'branch.main.description', 'the base');
      // The section as a person may write it: an escape git drops when it reads the name.
      const config = path.join(git(repo.main, 'rev-parse', '--path-format=absolute', '--git-common-dir'), 'config');
      const escaped = plan.branch.replace('/', '\\/');
      assert.ok(!escaped.includes(plan.branch));
      fs.appendFileSync(config, `[branch "${escaped}"]\n\tdescription = the plan's own\n`);
      assert.strictEqual(git(repo.main, 'config', `branch.${plan.branch}.description`), "the plan's own");
      runner.rounds.length = 0;
      const result = await engine.cleanup(plan.id);
      assert.deepStrictEqual(runner.rounds, [
        ['for-each-ref', 'ls-files'],
        ['config', 'worktree'],
        ['update-ref'],
        ['config'],
      ]);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch], [true, true]);
      assert.strictEqual(gitMayFail(repo.main, 'config', `branch.${plan.branch}.description`).ok, false);
      assert.strictEqual(git(repo.main, 'config', 'branch.main.description'), 'the base');
    }));

  it("a setting of the branch in a file the repository's config includes (which git does not change when it deletes a branch) is left there, and the clean-up done", () =>
    withRepo(async (repo) => {
      ignoreEnv(repo);
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await mergedPlan(repo, engine);
      const included = path.join(repo.root, 'shared.gitconfig');
      fs.writeFileSync(included, `[branch "${plan.branch}"]\n\tdescription = shared\n`);
      git(repo.main, 'config', 'include.path', included);
      const result = await engine.cleanup(plan.id);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch, result.status], [true, true, 'merged']);
      assert.strictEqual(branchTip(repo.main, plan.branch), undefined);
      assert.strictEqual(git(repo.main, 'config', `branch.${plan.branch}.description`), 'shared');
      assert.deepStrictEqual(
        (await engine.history(plan.id)).filter((e) => e.type === 'remove.failed'),
        [],
      );
    }));
});
