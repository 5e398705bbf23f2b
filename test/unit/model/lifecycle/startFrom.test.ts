/**
 * Where a plan starts: an existing branch it adopts (local, or a remote's,
 * fetched first), and a base fetched from its upstream before the create.
 * Real repositories, with a bare repository in the temporary folder as the
 * remote.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode } from '../../../../src/model/engine/errors';
import { cleanupPlan, discardPlan } from '../../../../src/model/lifecycle/cleanup';
import { adoptableBranches, createPlan } from '../../../../src/model/lifecycle/create';
import { lifecycleFor, wholeState } from '../../helpers/b';
import { FaultInjector, withStateFaults } from '../../helpers/fault';
import { isPlanError } from '../../helpers/errors';
import { commitFiles, createRepo, git, gitMayFail, removeDir, TestRepo, withRepo } from '../../helpers/repo';

function branchTip(main: string, branch: string): string | undefined {
  const result = gitMayFail(main, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
  return result.ok ? result.stdout : undefined;
}

/** A repository whose `origin` is a bare repository beside it, `main` tracking `origin/main`; and a second clone to push from. */
async function withRemote(body: (repo: TestRepo, origin: string, other: string) => Promise<void>): Promise<void> {
  const repo = createRepo();
  const origin = path.join(repo.root, 'origin.git');
  const other = path.join(repo.root, 'other clone');
  try {
    git(repo.root, 'clone', '-q', '--bare', repo.main, origin);
    git(repo.main, 'remote', 'add', 'origin', origin);
    git(repo.main, 'fetch', '-q', 'origin');
    git(repo.main, 'branch', '-q', '--set-upstream-to=origin/main', 'main');
    git(repo.root, 'clone', '-q', origin, other);
    git(other, 'config', 'user.name', 'Colleague');
    git(other, 'config', 'user.email', 'colleague@example.invalid');
    await body(repo, origin, other);
  } finally {
    removeDir(repo.root);
  }
}

describe('start a plan from an existing branch', () => {
  it('adopts a local branch: the worktree checks it out, no branch is made, the record says it was adopted', () =>
    withRepo(async (repo) => {
      git(repo.main, 'branch', 'feature/x');
      const tip = commitFiles(repo.main, { 'x.txt': 'x\n' }, 'x');
      git(repo.main, 'branch', '-f', 'feature/x', tip);
      git(repo.main, 'reset', '-q', '--hard', 'HEAD~1');
      const branchesBefore = git(repo.main, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads');
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, {
        title: 'Feature X',
        branch: 'feature/x',
        adopt: true,
      });
      assert.strictEqual(plan.branch, 'feature/x');
      assert.strictEqual(plan.adopted, true);
      assert.strictEqual(git(plan.path, 'symbolic-ref', 'HEAD'), 'refs/heads/feature/x');
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), tip);
      assert.ok(fs.existsSync(path.join(plan.path, 'x.txt')));
      assert.strictEqual(
        git(repo.main, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads'),
        branchesBefore,
        'no branch made or moved',
      );
      const stored = (await life.registry.read()).plans.find((p) => p.id === plan.id);
      assert.strictEqual(stored?.adopted, true);
    }));

  it('refuses a branch checked out in another worktree with BranchCheckedOut, changing nothing', () =>
    withRepo(async (repo) => {
      const elsewhere = path.join(repo.root, 'elsewhere');
      git(repo.main, 'worktree', 'add', '-q', '-b', 'feature/busy', elsewhere);
      const life = await lifecycleFor(repo.main);
      const before = wholeState(repo.root, repo.main, life.ctx);
      await assert.rejects(
        createPlan(life.ctx, life.registry, life.events, { title: 'Busy', branch: 'feature/busy', adopt: true }),
        isPlanError(ErrorCode.BranchCheckedOut, { branch: 'feature/busy', path: elsewhere }),
      );
      await assert.rejects(
        createPlan(life.ctx, life.registry, life.events, { title: 'Main', branch: 'main', adopt: true }),
        isPlanError(ErrorCode.BranchCheckedOut, { branch: 'main', path: repo.main }),
      );
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
    }));

  it('refuses a branch that exists nowhere, and adopt without a branch, changing nothing', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const before = wholeState(repo.root, repo.main, life.ctx);
      await assert.rejects(
        createPlan(life.ctx, life.registry, life.events, { title: 'None', branch: 'feature/none', adopt: true }),
        isPlanError(ErrorCode.BranchNotFound, { reason: 'branch', branch: 'feature/none' }),
      );
      await assert.rejects(
        createPlan(life.ctx, life.registry, life.events, { title: 'None', adopt: true }),
        isPlanError(ErrorCode.InvalidName, { reason: 'noBranchToAdopt' }),
      );
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
    }));

  it("adopts a remote branch fetched first: a local branch tracking it, at the remote's newest commit", () =>
    withRemote(async (repo, _origin, other) => {
      git(other, 'switch', '-q', '-c', 'feature/r');
      commitFiles(other, { 'r.txt': 'one\n' }, 'r 1');
      git(other, 'push', '-q', 'origin', 'feature/r');
      git(repo.main, 'fetch', '-q', 'origin');
      // The remote moves on after this repository last fetched: the plan must start from the newest.
      const newest = commitFiles(other, { 'r.txt': 'two\n' }, 'r 2');
      git(other, 'push', '-q', 'origin', 'feature/r');
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, {
        title: 'Remote',
        branch: 'origin/feature/r',
        adopt: true,
      });
      assert.strictEqual(plan.branch, 'feature/r');
      assert.strictEqual(plan.adopted, true);
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), newest);
      assert.strictEqual(git(repo.main, 'config', 'branch.feature/r.remote'), 'origin');
      assert.strictEqual(git(repo.main, 'config', 'branch.feature/r.merge'), 'refs/heads/feature/r');
    }));

  it('adopts by the bare name a remote branch that only the remote has', () =>
    withRemote(async (repo, _origin, other) => {
      git(other, 'switch', '-q', '-c', 'feature/only-there');
      const tip = commitFiles(other, { 'o.txt': 'o\n' }, 'o');
      git(other, 'push', '-q', 'origin', 'feature/only-there');
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, {
        title: 'Only there',
        branch: 'feature/only-there',
        adopt: true,
      });
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), tip);
      assert.strictEqual(
        git(repo.main, 'rev-parse', '--abbrev-ref', 'feature/only-there@{upstream}'),
        'origin/feature/only-there',
      );
    }));
});

describe('the branches offered to adopt', () => {
  it('are the local ones no worktree has checked out, then the remote ones without a local branch of that name', () =>
    withRemote(async (repo, _origin, other) => {
      git(repo.main, 'branch', 'feature/local');
      git(repo.main, 'worktree', 'add', '-q', '-b', 'feature/busy', path.join(repo.root, 'busy'));
      for (const branch of ['feature/remote', 'feature/local']) {
        git(other, 'branch', branch);
        git(other, 'push', '-q', 'origin', branch);
      }
      git(repo.main, 'fetch', '-q', 'origin');
      git(repo.main, 'remote', 'set-head', 'origin', 'main');
      const life = await lifecycleFor(repo.main);
      assert.deepStrictEqual(await adoptableBranches(life.ctx), [
        { name: 'feature/local', remote: false },
        { name: 'origin/feature/remote', remote: true },
      ]);
    }));
});

describe('a failed create of an adopted branch', () => {
  it('puts everything back but never deletes the adopted branch (local: it stays where it was)', () =>
    withRepo(async (repo) => {
      git(repo.main, 'branch', 'feature/kept');
      const tip = commitFiles(repo.main, { 'k.txt': 'k\n' }, 'k');
      git(repo.main, 'branch', '-f', 'feature/kept', tip);
      git(repo.main, 'reset', '-q', '--hard', 'HEAD~1');
      const life = await lifecycleFor(repo.main);
      // Registry write, event append, then the write that finishes the plan: it fails, after the worktree was added.
      const faults = new FaultInjector();
      faults.arm(3, 'before');
      await assert.rejects(
        withStateFaults(faults, () =>
          createPlan(life.ctx, life.registry, life.events, { title: 'Doomed', branch: 'feature/kept', adopt: true }),
        ),
        /Injected failure/,
      );
      assert.strictEqual(faults.injected, 'before step 3 (registry write)');
      assert.strictEqual(branchTip(repo.main, 'feature/kept'), tip, 'the adopted branch is still there');
      assert.deepStrictEqual(
        git(repo.main, 'worktree', 'list', '--porcelain')
          .split('\n')
          .filter((l) => l.startsWith('worktree ')),
        [`worktree ${repo.main}`],
      );
      assert.deepStrictEqual((await life.registry.read()).plans, []);
    }));

  it('remote: the local tracking branch it made, and its settings, go again; the remote-tracking branch stays', () =>
    withRemote(async (repo, _origin, other) => {
      git(other, 'switch', '-q', '-c', 'feature/gone-again');
      const tip = commitFiles(other, { 'g.txt': 'g\n' }, 'g');
      git(other, 'push', '-q', 'origin', 'feature/gone-again');
      const life = await lifecycleFor(repo.main);
      const faults = new FaultInjector();
      faults.arm(3, 'before');
      await assert.rejects(
        withStateFaults(faults, () =>
          createPlan(life.ctx, life.registry, life.events, {
            title: 'Doomed',
            branch: 'origin/feature/gone-again',
            adopt: true,
          }),
        ),
        /Injected failure/,
      );
      assert.strictEqual(branchTip(repo.main, 'feature/gone-again'), undefined);
      assert.strictEqual(gitMayFail(repo.main, 'config', 'branch.feature/gone-again.remote').ok, false);
      assert.strictEqual(git(repo.main, 'rev-parse', 'refs/remotes/origin/feature/gone-again'), tip);
      assert.deepStrictEqual((await life.registry.read()).plans, []);
    }));
});

describe('clean-up of an adopted branch', () => {
  it('adopted and unmerged: clean-up and discard both keep the branch', () =>
    withRepo(async (repo) => {
      git(repo.main, 'branch', 'feature/keep');
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, {
        title: 'Keep',
        branch: 'feature/keep',
        adopt: true,
      });
      const tip = commitFiles(plan.path, { 'k.txt': 'k\n' }, 'k');
      const cleaned = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.deepStrictEqual([cleaned.removedWorktree, cleaned.deletedBranch], [true, false]);
      assert.match(cleaned.keptBranchReason ?? '', /did not create/);
      assert.strictEqual(branchTip(repo.main, 'feature/keep'), tip);

      const again = await createPlan(life.ctx, life.registry, life.events, {
        title: 'Keep again',
        branch: 'feature/keep',
        adopt: true,
      });
      const discarded = await discardPlan(life.ctx, life.registry, life.events, again);
      assert.deepStrictEqual([discarded.removedWorktree, discarded.deletedBranch], [true, false]);
      assert.match(discarded.keptBranchReason ?? '', /did not create/);
      assert.strictEqual(branchTip(repo.main, 'feature/keep'), tip);
    }));

  it('adopted and merged: clean-up deletes the branch', () =>
    withRepo(async (repo) => {
      git(repo.main, 'branch', 'feature/done');
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, {
        title: 'Done',
        branch: 'feature/done',
        adopt: true,
      });
      commitFiles(plan.path, { 'd.txt': 'd\n' }, 'd');
      git(repo.main, 'merge', '-q', '--ff-only', 'feature/done');
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch], [true, true]);
      assert.strictEqual(branchTip(repo.main, 'feature/done'), undefined);
    }));

  it('created and unmerged: clean-up keeps the branch as before', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Created' });
      const tip = commitFiles(plan.path, { 'c.txt': 'c\n' }, 'c');
      const result = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch], [true, false]);
      assert.match(result.keptBranchReason ?? '', /not in main/);
      assert.strictEqual(branchTip(repo.main, plan.branch), tip);
    }));
});

describe("start a plan from a pull request's head", () => {
  /** Pushes a commit as GitHub keeps a pull request: under `refs/pull/<n>/head` of the remote, on no branch. */
  function openPullRequest(other: string, number: number, file: string, ref = `refs/pull/${number}/head`): string {
    git(other, 'switch', '-q', '-c', `contrib-${number}`, 'origin/main');
    const tip = commitFiles(other, { [file]: `${number}\n` }, `pull request ${number}`);
    git(other, 'push', '-q', 'origin', `HEAD:${ref}`);
    return tip;
  }

  it('fetches the head into pr/<n> and adopts it; clean-up keeps the unmerged branch', () =>
    withRemote(async (repo, origin, other) => {
      const head = openPullRequest(other, 7, 'seven.txt');
      assert.ok(git(origin, 'rev-parse', 'refs/pull/7/head'), 'the remote has the head on no branch');
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'PR 7', pullRequest: 7 });
      assert.strictEqual(plan.branch, 'pr/7');
      assert.strictEqual(plan.adopted, true);
      assert.strictEqual(git(plan.path, 'symbolic-ref', 'HEAD'), 'refs/heads/pr/7');
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), head);
      assert.ok(fs.existsSync(path.join(plan.path, 'seven.txt')));
      assert.strictEqual(git(repo.main, 'rev-parse', 'refs/remotes/origin/pr/7'), head);
      assert.ok(
        !gitMayFail(repo.main, 'config', 'branch.pr/7.remote').ok,
        'no upstream: the remote has no branch pr/7',
      );
      const created = (await life.events.read()).find((e) => e.type === 'create.before');
      assert.deepStrictEqual(created?.pullRequest, { number: 7, remote: 'origin', ref: 'refs/pull/7/head' });

      const tip = commitFiles(plan.path, { 'review.txt': 'fixed\n' }, 'review fix');
      const cleaned = await cleanupPlan(life.ctx, life.registry, life.events, plan);
      assert.deepStrictEqual([cleaned.removedWorktree, cleaned.deletedBranch], [true, false]);
      assert.match(cleaned.keptBranchReason ?? '', /did not create/);
      assert.strictEqual(branchTip(repo.main, 'pr/7'), tip, 'the unmerged branch and its new commit kept');

      // Started again: the branch that exists is adopted as it is, with the commit made on it.
      const again = await createPlan(life.ctx, life.registry, life.events, { title: 'PR 7 again', pullRequest: 7 });
      assert.strictEqual(git(again.path, 'rev-parse', 'HEAD'), tip);
      git(repo.main, 'merge', '-q', '--ff-only', 'pr/7');
      const merged = await cleanupPlan(life.ctx, life.registry, life.events, again);
      assert.deepStrictEqual([merged.removedWorktree, merged.deletedBranch], [true, true], 'merged: deleted');
    }));

  it('a failed create deletes the pr/<n> branch it made, and keeps the fetched head', () =>
    withRemote(async (repo, _origin, other) => {
      const head = openPullRequest(other, 8, 'eight.txt');
      const life = await lifecycleFor(repo.main);
      const faults = new FaultInjector();
      faults.arm(3, 'before');
      await assert.rejects(
        withStateFaults(faults, () =>
          createPlan(life.ctx, life.registry, life.events, { title: 'Doomed', pullRequest: 8 }),
        ),
        /Injected failure/,
      );
      assert.strictEqual(branchTip(repo.main, 'pr/8'), undefined, 'the branch it made is gone');
      assert.strictEqual(git(repo.main, 'rev-parse', 'refs/remotes/origin/pr/8'), head);
      assert.deepStrictEqual((await life.registry.read()).plans, []);
    }));

  it("takes another ref pattern and remote from the settings (GitLab's merge requests)", () =>
    withRemote(async (repo, origin, other) => {
      git(repo.main, 'remote', 'rename', 'origin', 'upstream');
      const head = openPullRequest(other, 12, 'mr.txt', 'refs/merge-requests/12/head');
      const life = await lifecycleFor(repo.main, {
        pullRequests: { remote: 'upstream', ref: 'refs/merge-requests/${number}/head' },
      });
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'MR 12', pullRequest: 12 });
      assert.deepStrictEqual([plan.branch, git(plan.path, 'rev-parse', 'HEAD')], ['pr/12', head]);
      assert.strictEqual(git(repo.main, 'rev-parse', 'refs/remotes/upstream/pr/12'), head);
      assert.ok(origin);
    }));

  it('refuses a pull request the remote does not have, a bad number, a missing remote and a bad ref setting, changing nothing', () =>
    withRemote(async (repo, _origin, other) => {
      openPullRequest(other, 7, 'seven.txt');
      const life = await lifecycleFor(repo.main);
      const before = wholeState(repo.root, repo.main, life.ctx);
      await assert.rejects(
        createPlan(life.ctx, life.registry, life.events, { title: 'Nope', pullRequest: 99 }),
        isPlanError(ErrorCode.BranchNotFound, {
          reason: 'pullRequest',
          number: 99,
          remote: 'origin',
          ref: 'refs/pull/99/head',
        }),
      );
      for (const bad of [0, -1, 1.5, Number.NaN, '7' as unknown as number]) {
        await assert.rejects(
          createPlan(life.ctx, life.registry, life.events, { title: 'Bad', pullRequest: bad }),
          isPlanError(ErrorCode.InvalidName, { reason: 'pullRequestNumber', value: String(bad) }),
        );
      }
      await assert.rejects(
        createPlan(life.ctx, life.registry, life.events, { title: 'Both', pullRequest: 7, branch: 'x', adopt: true }),
        isPlanError(ErrorCode.InvalidName, { reason: 'pullRequestWithBranch' }),
      );
      const noRemote = await lifecycleFor(repo.main, {
        pullRequests: { remote: 'github', ref: 'refs/pull/${number}/head' },
      });
      await assert.rejects(
        createPlan(noRemote.ctx, noRemote.registry, noRemote.events, { title: 'No remote', pullRequest: 7 }),
        isPlanError(ErrorCode.BranchNotFound, { reason: 'pullRequestRemote', remote: 'github' }),
      );
      for (const ref of [
        'refs/pull/7/head',
        'pull/${number}/head',
        'refs/pull/${number}/../head',
        'refs/pull/${number}/he:ad',
      ]) {
        const badRef = await lifecycleFor(repo.main, { pullRequests: { remote: 'origin', ref } });
        await assert.rejects(
          createPlan(badRef.ctx, badRef.registry, badRef.events, { title: 'Bad ref', pullRequest: 7 }),
          isPlanError(ErrorCode.InvalidName, { reason: 'pullRequestRef', pattern: ref }),
          ref,
        );
      }
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before, 'no ref, branch, worktree or record');
    }));
});

describe('fetch the base before creating', () => {
  it("starts from the upstream's newest commit when the local base is behind, and says so", () =>
    withRemote(async (repo, _origin, other) => {
      const stale = git(repo.main, 'rev-parse', 'main');
      const newest = commitFiles(other, { 'upstream.txt': 'new\n' }, 'on the server');
      git(other, 'push', '-q', 'origin', 'main');
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Fresh' });
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), newest);
      assert.strictEqual(plan.baseCommit, newest);
      assert.deepStrictEqual(plan.baseFetch, {
        remote: 'origin',
        ref: 'refs/heads/main',
        fetched: true,
        startedFrom: 'upstream',
      });
      assert.strictEqual(git(repo.main, 'rev-parse', 'main'), stale, 'the local base is not moved');
      assert.strictEqual(git(repo.main, 'rev-parse', 'origin/main'), newest);
      const before = (await life.events.read(plan.id)).find((e) => e.type === 'create.before');
      assert.strictEqual((before?.baseFetch as { startedFrom?: string } | undefined)?.startedFrom, 'upstream');
    }));

  it('starts from the local base when it has work the upstream has not', () =>
    withRemote(async (repo, _origin, other) => {
      commitFiles(other, { 'upstream.txt': 'new\n' }, 'on the server');
      git(other, 'push', '-q', 'origin', 'main');
      const local = commitFiles(repo.main, { 'local.txt': 'mine\n' }, 'here only');
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Diverged' });
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), local);
      assert.strictEqual(plan.baseFetch?.startedFrom, 'local');
      assert.strictEqual(plan.baseFetch?.fetched, true);
    }));

  it('does not fetch when the setting is off', () =>
    withRemote(async (repo, _origin, other) => {
      const stale = git(repo.main, 'rev-parse', 'main');
      commitFiles(other, { 'upstream.txt': 'new\n' }, 'on the server');
      git(other, 'push', '-q', 'origin', 'main');
      const life = await lifecycleFor(repo.main, { fetchBase: false });
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Stale on purpose' });
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), stale);
      assert.strictEqual(plan.baseFetch, undefined);
      assert.strictEqual(git(repo.main, 'rev-parse', 'origin/main'), stale, 'nothing fetched');
    }));

  it('offline: the create goes on from the local base, and the result and the log say the fetch failed', () =>
    withRemote(async (repo, origin) => {
      const local = git(repo.main, 'rev-parse', 'main');
      fs.renameSync(origin, `${origin}.away`);
      const warnings: string[] = [];
      const life = await lifecycleFor(repo.main);
      life.ctx.log = { ...life.ctx.log, warn: (m: string) => void warnings.push(m) };
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Offline' });
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), local);
      assert.strictEqual(plan.baseFetch?.fetched, false);
      assert.strictEqual(plan.baseFetch?.startedFrom, 'local');
      assert.ok(plan.baseFetch?.problem, 'the result says why');
      assert.ok(
        warnings.some((w) => /Could not fetch refs\/heads\/main from origin/.test(w)),
        warnings.join('\n'),
      );
    }));
});
