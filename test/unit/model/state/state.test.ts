import * as assert from 'assert';
import * as fs from 'fs';
import realFs from 'fs';
import { mock } from 'node:test';
import * as path from 'path';
import { WorktreeEntry } from '../../../../src/git/worktreeList';
import { listWorktrees } from '../../../../src/model/engine/repository';
import { WorktreeItem, WorktreeStateCache } from '../../../../src/model/state/state';
import { PlanRecord, RepoContext } from '../../../../src/model/engine/types';
import { addPlan, openContext } from '../../helpers/a';
import { ExecOptions, ExecResult, Git } from '../../../../src/git/runner';
import { limitConcurrency } from '../../../../src/model/engine/async';
import { commitFiles, git, gitMayFail, keepEventLoopBusy, TestRepo, withRepo, writeFiles } from '../../helpers/repo';

/** The worktree list joined with the plans, as the facade does it. */
async function itemsOf(ctx: RepoContext, plans: PlanRecord[]): Promise<WorktreeItem[]> {
  const entries = await listWorktrees(ctx);
  return entries.map((entry: WorktreeEntry) => ({ entry, plan: plans.find((p) => p.path === entry.path) }));
}

/** Git processes that `body` starts. */
async function processesOf(ctx: RepoContext, body: () => Promise<unknown>): Promise<number> {
  const before = ctx.git.processCount;
  await body();
  return ctx.git.processCount - before;
}

function makePlans(repo: TestRepo, count: number): PlanRecord[] {
  const plans: PlanRecord[] = [];
  for (let i = 1; i <= count; i++) {
    const plan = addPlan(repo, String(i));
    commitFiles(plan.path, { [`plan-${i}.txt`]: `${i}\n` }, `plan ${i} work`);
    plans.push(plan);
  }
  return plans;
}

/** A runner that notes the most git processes it ran at once. */
class WatchedGit extends Git {
  inFlight = 0;
  max = 0;
  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    this.max = Math.max(this.max, ++this.inFlight);
    try {
      return await super.exec(args, options);
    } finally {
      this.inFlight--;
    }
  }
}

/** Status per worktree, plus at most: for-each-ref (bases), for-each-ref (upstreams), merge-base --octopus, rev-list, log. */
const CONSTANT = 5;

describe('WorktreeStateCache', () => {
  it('judges a plan stopped mid-rebase by its branch, not by its detached HEAD: the rebase is named and merged is unknown', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '3');
      const tip = commitFiles(plan.path, { 'README.md': '# plan\n' }, 'plan rewrites the readme');
      const mainTip = commitFiles(repo.main, { 'README.md': '# main\n' }, 'main rewrites the readme');
      assert.strictEqual(gitMayFail(plan.path, 'rebase', 'main').ok, false, 'the rebase stops on the conflict');
      const ctx = await openContext(repo.main);
      const details = (await new WorktreeStateCache(ctx).detailsForAll(await itemsOf(ctx, [plan]))).get(plan.path);
      assert.strictEqual(details?.head, mainTip, 'HEAD is detached at the commit being replayed onto');
      assert.strictEqual(details?.operation, 'rebase');
      assert.strictEqual(
        details?.merged,
        undefined,
        'merged-ness is unknown mid-rebase (HEAD is in main: "merged" would be a lie)',
      );
      assert.deepStrictEqual(
        [details?.tip, details?.ahead, details?.behind, details?.dirty.conflicted],
        [tip, 1, 1, 1],
      );
    }));

  it('judges a plan whose worktree is detached at a base commit by its branch tip', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '4');
      const tip = commitFiles(plan.path, { 'four.txt': '4\n' }, 'plan work');
      git(plan.path, 'checkout', '-q', '--detach', 'main');
      const ctx = await openContext(repo.main);
      const details = (await new WorktreeStateCache(ctx).detailsForAll(await itemsOf(ctx, [plan]))).get(plan.path);
      assert.deepStrictEqual(
        [details?.operation, details?.tip, details?.ahead, details?.merged],
        [undefined, tip, 1, { merged: false }],
      );
    }));

  it('reads dirty counts, ahead/behind the base, head and last commit of a plan in a folder with spaces and unicode', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '7', { folder: 'plan \u00fcber 7' });
      commitFiles(plan.path, { 'a.txt': 'a\n' }, 'first');
      const tip = commitFiles(plan.path, { 'b.txt': 'b\n' }, 'second: the last one');
      commitFiles(repo.main, { 'main.txt': 'm\n' }, 'main moves');
      writeFiles(plan.path, { 'a.txt': 'a2\n', 'b.txt': 'b2\n', 'new dir/n\u00e9w.txt': 'n\n', 'other.txt': 'o\n' });
      git(plan.path, 'add', 'a.txt');
      fs.appendFileSync(path.join(plan.path, 'a.txt'), 'more\n');
      const ctx = await openContext(repo.main);
      const items = await itemsOf(ctx, [plan]);
      const all = await new WorktreeStateCache(ctx).detailsForAll(items);
      const details = all.get(plan.path);
      assert.deepStrictEqual(details?.dirty, { staged: 1, modified: 2, untracked: 2, conflicted: 0 });
      assert.deepStrictEqual([details?.ahead, details?.behind, details?.head, details?.missing], [2, 1, tip, false]);
      assert.deepStrictEqual(details?.merged, { merged: false });
      assert.strictEqual(details?.lastCommit?.sha, tip);
      assert.strictEqual(details?.lastCommit?.subject, 'second: the last one');
      assert.match(details?.lastCommit?.date ?? '', /^\d{4}-\d\d-\d\dT/);
      // The main checkout is not a plan: no ahead/behind, but its state is there.
      const main = all.get(repo.main);
      assert.deepStrictEqual(
        [main?.ahead, main?.merged, main?.head],
        [undefined, undefined, git(repo.main, 'rev-parse', 'HEAD')],
      );
    }));

  it('runs one git process per worktree plus a constant number for all, and re-reads only an invalidated worktree', () =>
    withRepo(async (repo) => {
      const plans = makePlans(repo, 12);
      commitFiles(repo.main, { 'main.txt': 'moved\n' }, 'main moves');
      const ctx = await openContext(repo.main);
      const items = await itemsOf(ctx, plans);
      const cache = new WorktreeStateCache(ctx);
      let first = new Map();
      const full = await processesOf(ctx, async () => (first = await cache.detailsForAll(items)));
      // 13 worktrees; main moved, so every clean unmerged plan is a squash candidate: one merge-tree each, the first time only.
      assert.ok(full <= items.length + CONSTANT + plans.length, `full refresh ran ${full} git processes`);
      assert.deepStrictEqual([first.get(plans[3].path).ahead, first.get(plans[3].path).behind], [1, 1]);

      const cached = await processesOf(ctx, () => cache.detailsForAll(items));
      assert.strictEqual(cached, 0, 'a second refresh is served from the cache');

      writeFiles(plans[3].path, { 'plan-4.txt': 'edited\n' });
      cache.invalidate(plans[3].path);
      let second = new Map();
      const one = await processesOf(ctx, async () => (second = await cache.detailsForAll(items)));
      assert.ok(one <= 1 + CONSTANT, `re-reading one worktree ran ${one} git processes`);
      assert.strictEqual(second.get(plans[3].path).dirty.modified, 1);
      assert.strictEqual(second.get(plans[4].path), first.get(plans[4].path), 'other worktrees are not read again');

      cache.forget();
      const again = await processesOf(ctx, () => cache.detailsForAll(items));
      assert.ok(again <= items.length + CONSTANT, `a refresh with known squash answers ran ${again} git processes`);
    }));

  it('re-reads nothing but the base refs after an event in the git directory that changed no worktree; a worktree whose index or HEAD changed is read again', () =>
    withRepo(async (repo) => {
      const plans = makePlans(repo, 12);
      commitFiles(repo.main, { 'main.txt': 'moved\n' }, 'main moves');
      const ctx = await openContext(repo.main);
      const cache = new WorktreeStateCache(ctx);
      const first = await cache.detailsForAll(await itemsOf(ctx, plans));

      cache.invalidate();
      let all = new Map();
      const nothing = await processesOf(ctx, async () => (all = await cache.detailsForAll(await itemsOf(ctx, plans))));
      // The worktree list (itemsOf) and one for-each-ref of the base: no status, no history walk, no log.
      assert.strictEqual(nothing, 2, `a refresh with nothing changed ran ${nothing} git processes`);
      assert.deepStrictEqual(all.get(plans[2].path), first.get(plans[2].path));

      // `git add` rewrites the plan's index; a commit moves its HEAD: both are read again, without any file event.
      writeFiles(plans[2].path, { 'staged.txt': 'staged\n' });
      git(plans[2].path, 'add', 'staged.txt');
      const tip = commitFiles(plans[5].path, { 'more.txt': 'more\n' }, 'plan 6 moves on');
      cache.invalidate();
      const changed = await processesOf(ctx, async () => (all = await cache.detailsForAll(await itemsOf(ctx, plans))));
      assert.strictEqual(all.get(plans[2].path).dirty.staged, 1);
      assert.deepStrictEqual([all.get(plans[5].path).head, all.get(plans[5].path).ahead], [tip, 2]);
      assert.deepStrictEqual(all.get(plans[4].path), first.get(plans[4].path));
      // The list, the refs, two statuses, and for the new head: its log, one history walk (merge-base, rev-list)
      // and, as it is clean and behind, its squash check (merge-tree).
      assert.ok(changed <= 8, `ran ${changed} git processes`);
    }));

  it('after a file event in one worktree, runs its status and nothing else', () =>
    withRepo(async (repo) => {
      const plans = makePlans(repo, 8);
      const ctx = await openContext(repo.main);
      const items = await itemsOf(ctx, plans);
      const cache = new WorktreeStateCache(ctx);
      await cache.detailsForAll(items);
      writeFiles(plans[3].path, { 'plan-4.txt': 'edited\n' });
      cache.invalidate(plans[3].path);
      let all = new Map();
      const count = await processesOf(ctx, async () => (all = await cache.detailsForAll(items)));
      assert.strictEqual(count, 1, `ran ${count} git processes`);
      assert.strictEqual(all.get(plans[3].path).dirty.modified, 1);
      assert.strictEqual(all.get(plans[3].path).ahead, 1);
    }));

  it('checks the files of 45 worktrees a part at a time: the event loop turns between the parts', () =>
    withRepo(async (repo) => {
      const plans = Array.from({ length: 44 }, (_, i) => addPlan(repo, String(i + 1)));
      const ctx = await openContext(repo.main);
      const items = await itemsOf(ctx, plans);
      assert.strictEqual(items.length, 45);
      // Per kind of file check, whether an immediate scheduled at its first call had run by a later call.
      const folders = new Set(items.map((i) => i.entry.path));
      const checks = {
        key: { calls: 0, turned: false, afterTurn: 0 },
        operation: { calls: 0, turned: false, afterTurn: 0 },
      };
      const existsSync = realFs.existsSync;
      mock.method(realFs, 'existsSync', (p: fs.PathLike) => {
        const kind = folders.has(String(p))
          ? checks.key
          : String(p).endsWith('MERGE_HEAD')
            ? checks.operation
            : undefined;
        if (kind) {
          if (kind.calls++ === 0) setImmediate(() => (kind.turned = true));
          else if (kind.turned) kind.afterTurn++;
        }
        return existsSync(p);
      });
      let details: Map<string, unknown>;
      try {
        details = await new WorktreeStateCache(ctx).detailsForAll(items);
      } finally {
        mock.restoreAll();
      }
      assert.strictEqual(details.size, 45);
      assert.ok(checks.key.calls >= 45 && checks.operation.calls >= 45, JSON.stringify(checks));
      // Not all in the turn of the first: the parts after the first run in later turns.
      assert.ok(checks.key.afterTurn >= 20, `the keys of the worktrees: ${JSON.stringify(checks.key)}`);
      assert.ok(checks.operation.afterTurn >= 20, `the operations in progress: ${JSON.stringify(checks.operation)}`);
    }));

  it('runs at most the given number of git processes at once', () =>
    withRepo(async (repo) => {
      const plans = makePlans(repo, 10);
      const runner = new WatchedGit();
      const ctx = await openContext(repo.main, runner);
      const items = await itemsOf(ctx, plans);
      runner.max = 0;
      const all = await new WorktreeStateCache(ctx).detailsForAll(items, { limit: limitConcurrency(2) });
      assert.strictEqual(all.get(plans[9].path)?.ahead, 1);
      assert.strictEqual(runner.max, 2);
    }));

  it('reads the same state of every plan, read after read, while the event loop is busy', () =>
    withRepo(async (repo) => {
      // Under load, answers of git used to arrive empty (the command ended
      // 50 ms after the process exited, before its output was read): a plan
      // showed no head and no ahead/behind.
      const plans = makePlans(repo, 12);
      commitFiles(repo.main, { 'main.txt': 'moved\n' }, 'main moves');
      const ctx = await openContext(repo.main);
      const items = await itemsOf(ctx, plans);
      const cache = new WorktreeStateCache(ctx);
      const wrong: string[] = [];
      const stopBusy = keepEventLoopBusy(60);
      try {
        for (let round = 0; round < 6; round++) {
          cache.forget();
          const all = await cache.detailsForAll(items);
          for (const plan of plans) {
            const d = all.get(plan.path);
            if (d?.ahead !== 1 || d.behind !== 1 || !d.head) {
              wrong.push(`round ${round}, plan ${plan.id}: ahead ${d?.ahead}, behind ${d?.behind}, head ${d?.head}`);
            }
          }
        }
      } finally {
        stopBusy();
      }
      assert.deepStrictEqual(wrong, []);
    }));

  it('keeps to one process per worktree plus a constant when the base did not move (no squash candidates)', () =>
    withRepo(async (repo) => {
      const plans = makePlans(repo, 15);
      const ctx = await openContext(repo.main);
      const items = await itemsOf(ctx, plans);
      const count = await processesOf(ctx, () => new WorktreeStateCache(ctx).detailsForAll(items));
      assert.ok(count <= items.length + CONSTANT, `full refresh ran ${count} git processes`);
    }));

  it('reads each item of a list asked for one by one in the same tick as one batch', () =>
    withRepo(async (repo) => {
      const plans = makePlans(repo, 6);
      const ctx = await openContext(repo.main);
      const items = await itemsOf(ctx, plans);
      const cache = new WorktreeStateCache(ctx);
      let answers: unknown[] = [];
      const count = await processesOf(
        ctx,
        async () => (answers = await Promise.all(items.map(({ entry, plan }) => cache.details(entry, plan)))),
      );
      assert.ok(count <= items.length + CONSTANT, `one-by-one refresh ran ${count} git processes`);
      assert.deepStrictEqual(
        answers.map((d) => (d as { ahead?: number }).ahead),
        [undefined, 1, 1, 1, 1, 1, 1],
      );
    }));

  it('says merged for a plan merged with a merge commit and for one squash-merged, and not for one with uncommitted work', () =>
    withRepo(async (repo) => {
      const [merged, squashed, dirty] = makePlans(repo, 3);
      git(repo.main, 'merge', '-q', '--no-ff', '-m', 'merge 1', merged.branch);
      git(repo.main, 'merge', '-q', '--squash', squashed.branch);
      git(repo.main, 'commit', '-q', '-m', 'squash 2');
      git(repo.main, 'merge', '-q', '--squash', dirty.branch);
      git(repo.main, 'commit', '-q', '-m', 'squash 3');
      writeFiles(dirty.path, { 'unsaved.txt': 'not committed\n' });
      const ctx = await openContext(repo.main);
      const all = await new WorktreeStateCache(ctx).detailsForAll(await itemsOf(ctx, [merged, squashed, dirty]));
      assert.deepStrictEqual(all.get(merged.path)?.merged, { merged: true, how: 'ancestor' });
      assert.deepStrictEqual(all.get(squashed.path)?.merged, { merged: true, how: 'sameTree' });
      assert.deepStrictEqual(all.get(dirty.path)?.merged, { merged: false });
    }));

  it('says merged when the work is in the base upstream only', () =>
    withRepo(async ({ root, main: server }) => {
      const clone = path.join(root, 'clone');
      git(root, 'clone', '-q', server, clone);
      git(clone, 'config', 'user.name', 'Plan Tester');
      git(clone, 'config', 'user.email', 'tester@example.invalid');
      const plan = addPlan({ root, main: clone }, '1');
      commitFiles(plan.path, { 'f.txt': 'f\n' }, 'feature');
      git(plan.path, 'push', '-q', 'origin', plan.branch);
      git(server, 'merge', '-q', '--squash', plan.branch);
      git(server, 'commit', '-q', '-m', 'PR squashed on the server');
      git(clone, 'fetch', '-q');
      const ctx = await openContext(clone);
      const all = await new WorktreeStateCache(ctx).detailsForAll(await itemsOf(ctx, [plan]));
      assert.deepStrictEqual(all.get(plan.path)?.merged, {
        merged: true,
        how: 'upstream',
        upstream: { ref: 'refs/remotes/origin/main', how: 'sameTree' },
      });
    }));

  it('reports a worktree whose folder was deleted by hand as missing without running git for it; a locked one normally', () =>
    withRepo(async (repo) => {
      const [gone, locked] = makePlans(repo, 2);
      git(repo.main, 'worktree', 'lock', '--reason', 'agent', locked.path);
      writeFiles(locked.path, { 'wip.txt': 'x' });
      fs.rmSync(gone.path, { recursive: true, force: true });
      const ctx = await openContext(repo.main);
      const items = await itemsOf(ctx, [gone, locked]);
      const cache = new WorktreeStateCache(ctx);
      let all = new Map();
      const count = await processesOf(ctx, async () => (all = await cache.detailsForAll(items)));
      const goneDetails = all.get(gone.path);
      assert.deepStrictEqual(
        [goneDetails.missing, goneDetails.dirty, goneDetails.ahead, goneDetails.merged],
        [true, { staged: 0, modified: 0, untracked: 0, conflicted: 0 }, undefined, undefined],
      );
      assert.strictEqual(goneDetails.lastCommit.subject, 'plan 1 work', "git's last record of the worktree is kept");
      assert.strictEqual(all.get(locked.path).dirty.untracked, 1);
      assert.strictEqual(all.get(locked.path).ahead, 1);
      assert.ok(count <= 2 + CONSTANT, `ran ${count} git processes`);

      // Deleted after the worktree list was read (git does not know yet): no git call for it either.
      cache.invalidate();
      fs.rmSync(locked.path, { recursive: true, force: true });
      const [mainItem, , lockedItem] = items;
      const missing = await processesOf(ctx, async () => (all = await cache.detailsForAll([mainItem, lockedItem])));
      assert.strictEqual(all.get(locked.path).missing, true);
      assert.ok(missing <= 1 + CONSTANT);
    }));
});
