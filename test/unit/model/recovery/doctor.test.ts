import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { ExecOptions, ExecResult, Git } from '../../../../src/git/runner';
import { cleanupPlan } from '../../../../src/model/lifecycle/cleanup';
import { createPlan } from '../../../../src/model/lifecycle/create';
import { Finding, runDoctor, templatePattern } from '../../../../src/model/recovery/doctor';
import { mergePlan } from '../../../../src/model/lifecycle/merge';
import { listWorktrees } from '../../../../src/model/engine/repository';
import { listSnapshots, writeSnapshot } from '../../../../src/model/lifecycle/snapshot';
import {
  activityFile,
  activityFolder,
  makeActivityReport,
  reportFile,
  writeActivityReport,
  writeWindowActivity,
} from '../../../../src/model/store/activity';
import { removeBrokenAdminFolder } from '../../../../src/model/recovery/worktreeAdmin';
import { lifecycleFor, Lifecycle, StashingGit, statusOf, wholeState } from '../../helpers/b';
import { isPlanError } from '../../helpers/errors';
import { commitFiles, git, gitMayFail, hashTree, withRepo, writeFiles } from '../../helpers/repo';

function only(findings: Finding[], kind: Finding['kind']): Finding {
  const found = findings.filter((f) => f.kind === kind);
  assert.strictEqual(found.length, 1, `${kind}: ${JSON.stringify(findings.map((f) => [f.kind, f.message]))}`);
  return found[0];
}

async function registryPlan(
  life: Lifecycle,
  id: string,
): Promise<{ status: string; path: string; creating?: boolean } | undefined> {
  return (await life.registry.read()).plans.find((p) => p.id === id);
}

/**
 * A git runner whose process "dies" once the given ref has been moved: that
 * update-ref and every call after it never answer, so nothing after it runs
 * (no undo, no finally), as after a SIGKILL.
 */
class DyingGit extends Git {
  private dead = false;
  readonly died: Promise<void>;
  private markDead!: () => void;
  constructor(private readonly ref: string) {
    super();
    this.died = new Promise((resolve) => (this.markDead = resolve));
  }
  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    if (this.dead) return new Promise(() => undefined);
    const result = await super.exec(args, options);
    if (args[0] === 'update-ref' && args.includes(this.ref)) {
      this.dead = true;
      this.markDead();
      return new Promise(() => undefined);
    }
    return result;
  }
}

/** A git runner that fails the first `read-tree -m -u` (as a full disk or a file in the way would), then runs normally. */
class FailingReadTree extends Git {
  failed = false;
  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    if (!this.failed && args[0] === 'read-tree' && args.includes('-u')) {
      this.failed = true;
      throw new PlanWorktreesError(ErrorCode.Unknown, 'Injected failure of read-tree -m -u.');
    }
    return super.exec(args, options);
  }
}

/**
 * A rebase merge of a plan killed right after it moved the plan's branch: the
 * base and the main checkout are merged, the plan's branch is at the rebased
 * commit, its worktree's index and files still at the old tip.
 */
async function interruptedRebase(
  life: Lifecycle,
  main: string,
): Promise<{ plan: Awaited<ReturnType<typeof createPlan>>; oldTip: string; rebased: string }> {
  const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Rebased' });
  commitFiles(plan.path, { 'feature.txt': 'feature\n' }, 'feature');
  commitFiles(main, { 'README.md': '# main moved on\n' }, 'main moves');
  const oldTip = git(plan.path, 'rev-parse', 'HEAD');
  const dying = new DyingGit(`refs/heads/${plan.branch}`);
  void mergePlan({ ...life.ctx, git: dying }, plan, { strategy: 'rebase' });
  await dying.died;
  const rebased = git(main, 'rev-parse', plan.branch);
  assert.notStrictEqual(rebased, oldTip);
  assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), rebased);
  assert.strictEqual(
    git(plan.path, 'diff', '--cached', '--name-only', oldTip),
    '',
    "the plan's index is still at its old tip",
  );
  assert.strictEqual(fs.readFileSync(path.join(plan.path, 'README.md'), 'utf8'), '# demo\n');
  return { plan, oldTip, rebased };
}

/**
 * A create of a plan that moves the main checkout's changes, killed inside
 * `git stash apply`: the registry entry is still `creating` (its process is
 * gone), the changes are in the stash, and the worktree has some of them
 * (files written one by one; the index is not written yet).
 */
async function interruptedMove(
  life: Lifecycle,
  main: string,
): Promise<{
  plan: Awaited<ReturnType<typeof createPlan>>;
  moved: string;
  changes: Record<string, string>;
  stash: string;
}> {
  const committed: Record<string, string> = {};
  for (let i = 0; i < 40; i++) committed[`src/f ${i}.txt`] = `committed ${i}\n`;
  commitFiles(main, committed, 'many files');
  const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Moving' });
  const changes: Record<string, string> = {};
  for (let i = 0; i < 39; i++) changes[`src/f ${i}.txt`] = `changed ${i}\n`;
  for (let i = 0; i < 10; i++) changes[`new/untracked ${i}.txt`] = `untracked ${i}\n`;
  writeFiles(main, changes);
  fs.rmSync(path.join(main, 'src/f 39.txt'));
  git(main, 'add', 'src/f 0.txt');
  const moved = statusOf(main);
  git(
    main,
    'stash',
    'push',
    '-q',
    '--include-untracked',
    '-m',
    `plan-worktrees: moving changes to plan ${plan.id} (0badcafe)`,
  );
  const stash = git(main, 'rev-parse', 'stash@{0}');
  await life.registry.update((data) => void (data.plans[0].creating = true));
  for (let i = 0; i < 15; i++) writeFiles(plan.path, { [`src/f ${i}.txt`]: `changed ${i}\n` });
  writeFiles(plan.path, { 'new/untracked 0.txt': 'untracked 0\n' });
  // The files being written when it died: one deleted and not written again yet, one written half-way.
  fs.rmSync(path.join(plan.path, 'src/f 15.txt'));
  writeFiles(plan.path, { 'src/f 16.txt': 'chan' });
  return { plan, moved, changes, stash };
}

describe('runDoctor', () => {
  it('finds nothing in a healthy repository', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      await createPlan(life.ctx, life.registry, life.events, { title: 'Healthy' });
      assert.deepStrictEqual(await runDoctor(life.ctx, life.registry), []);
    }));

  it('only looks: finding changes nothing', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Locked and gone' });
      git(repo.main, 'worktree', 'lock', plan.path);
      fs.rmSync(plan.path, { recursive: true, force: true });
      const before = wholeState(repo.root, repo.main, life.ctx);
      const findings = await runDoctor(life.ctx, life.registry);
      assert.deepStrictEqual(findings.map((f) => f.kind).sort(), ['lockedWorktree', 'missingFolder']);
      assert.strictEqual(only(findings, 'missingFolder').fix, undefined, 'a locked worktree is not pruned');
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
    }));

  it('a folder deleted by hand: prune, then recreate the worktree from the branch', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Deleted by hand' });
      commitFiles(plan.path, { 'kept.txt': 'committed work\n' });
      fs.rmSync(plan.path, { recursive: true, force: true });
      const missing = only(await runDoctor(life.ctx, life.registry), 'missingFolder');
      assert.match(missing.fix?.description ?? '', new RegExp(`branch ${plan.branch} and its commits are kept`));
      await missing.fix?.run();
      assert.ok(!git(repo.main, 'worktree', 'list').includes(plan.path));
      const branchOnly = only(await runDoctor(life.ctx, life.registry), 'branchWithoutWorktree');
      assert.strictEqual(branchOnly.planId, plan.id);
      assert.match(branchOnly.fix?.description ?? '', /Nothing is deleted/);
      await branchOnly.fix?.run();
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'kept.txt'), 'utf8'), 'committed work\n');
      assert.strictEqual(git(plan.path, 'symbolic-ref', '--short', 'HEAD'), plan.branch);
      assert.deepStrictEqual(await runDoctor(life.ctx, life.registry), []);
    }));

  it('a locked worktree: unlock', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Locked' });
      git(repo.main, 'worktree', 'lock', '--reason', 'USB drive', plan.path);
      const locked = only(await runDoctor(life.ctx, life.registry), 'lockedWorktree');
      assert.match(locked.message, /USB drive/);
      await locked.fix?.run();
      assert.ok(
        !git(repo.main, 'worktree', 'list', '--porcelain')
          .split('\n')
          .some((line) => line.startsWith('locked')),
      );
    }));

  it('an orphaned registry entry: mark it removed, keeping it as history', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Orphan' });
      git(repo.main, 'worktree', 'remove', plan.path);
      git(repo.main, 'branch', '-D', plan.branch);
      const orphan = only(await runDoctor(life.ctx, life.registry), 'orphanedEntry');
      assert.match(orphan.fix?.description ?? '', /Nothing in git or on disk changes/);
      const refs = git(repo.main, 'for-each-ref');
      await orphan.fix?.run();
      assert.strictEqual((await registryPlan(life, plan.id))?.status, 'removed');
      assert.strictEqual(git(repo.main, 'for-each-ref'), refs);
      assert.deepStrictEqual(await runDoctor(life.ctx, life.registry), []);
    }));

  it('unmerged work of a cleaned-up plan: recreate its worktree', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Unmerged' });
      commitFiles(plan.path, { 'work.txt': 'work\n' });
      await cleanupPlan(life.ctx, life.registry, life.events, plan);
      const unmerged = only(await runDoctor(life.ctx, life.registry), 'unmergedWork');
      assert.match(unmerged.message, /not in main/);
      await unmerged.fix?.run();
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'work.txt'), 'utf8'), 'work\n');
      assert.strictEqual((await registryPlan(life, plan.id))?.status, 'active');
      assert.deepStrictEqual(await runDoctor(life.ctx, life.registry), []);
    }));

  it('a plan worktree the registry does not know: add it to the plans', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const folder = path.join(repo.root, 'by hand');
      git(repo.main, 'worktree', 'add', '-q', '-b', 'plan/50-made-by-hand', folder);
      git(repo.main, 'worktree', 'add', '-q', '-b', 'feature/not-a-plan', path.join(repo.root, 'other'));
      const unknown = only(await runDoctor(life.ctx, life.registry), 'unregisteredWorktree');
      assert.deepStrictEqual([unknown.planId, unknown.branch, unknown.path], ['50', 'plan/50-made-by-hand', folder]);
      await unknown.fix?.run();
      const adopted = (await life.registry.read()).plans[0];
      assert.deepStrictEqual(
        [adopted.id, adopted.slug, adopted.base, adopted.baseCommit, adopted.status],
        ['50', 'made-by-hand', 'main', git(repo.main, 'rev-parse', 'main'), 'active'],
      );
      assert.deepStrictEqual(await runDoctor(life.ctx, life.registry), []);
    }));

  it('adding a worktree to the plans while the main checkout is detached is refused with BranchNotFound (detached HEAD); nothing changes', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const folder = path.join(repo.root, 'by hand');
      git(repo.main, 'worktree', 'add', '-q', '-b', 'plan/51-made-by-hand', folder);
      git(repo.main, 'switch', '-q', '--detach');
      const unknown = only(await runDoctor(life.ctx, life.registry), 'unregisteredWorktree');
      const before = wholeState(repo.root, repo.main, life.ctx);
      await assert.rejects(
        unknown.fix?.run() ?? Promise.resolve(),
        isPlanError(ErrorCode.BranchNotFound, { reason: 'detachedHead' }),
      );
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
      assert.deepStrictEqual((await life.registry.read()).plans, []);
    }));

  it('an interrupted create: keep the worktree it made; a create in progress is left alone', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Interrupted' });
      await life.registry.update((data) => void (data.plans[0].creating = true));
      assert.deepStrictEqual(
        await runDoctor(life.ctx, life.registry),
        [],
        'a fresh `creating` entry belongs to a create still running',
      );
      const later = new Date(Date.now() + 60 * 60 * 1000);
      const unfinished = only(await runDoctor(life.ctx, life.registry, { now: later }), 'unfinishedCreate');
      await unfinished.fix?.run();
      assert.strictEqual((await registryPlan(life, plan.id))?.creating, undefined);
    }));

  it("an interrupted rebase merge: Finish the Merge brings the plan's worktree to the rebased commit, keeping what was changed there meanwhile", () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const { plan, rebased } = await interruptedRebase(life, repo.main);
      // Meanwhile, in the plan's window: an edit and a new file.
      writeFiles(plan.path, {
        'feature.txt': 'feature, edited after the merge stopped\n',
        'notes.txt': 'written after the merge stopped\n',
      });
      const finding = only(await runDoctor(life.ctx, life.registry), 'interruptedMerge');
      assert.strictEqual(finding.planId, plan.id);
      assert.match(finding.fix?.description ?? '', /what was changed there since the merge stopped stays, uncommitted/);
      await finding.fix?.run();
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), rebased);
      assert.strictEqual(
        git(plan.path, 'diff', '--cached', '--name-only', 'HEAD'),
        '',
        'the index is at the rebased commit',
      );
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'README.md'), 'utf8'), '# main moved on\n');
      assert.strictEqual(
        fs.readFileSync(path.join(plan.path, 'feature.txt'), 'utf8'),
        'feature, edited after the merge stopped\n',
      );
      assert.strictEqual(
        fs.readFileSync(path.join(plan.path, 'notes.txt'), 'utf8'),
        'written after the merge stopped\n',
      );
      assert.strictEqual(git(plan.path, 'status', '--porcelain'), ' M feature.txt\n?? notes.txt');
      assert.deepStrictEqual(
        (await runDoctor(life.ctx, life.registry)).map((f) => f.kind),
        [],
      );
    }));

  it("a fast-forward merge that committed the plan's uncommitted work, killed after it moved the base: Finish the Merge moves the plan's branch there too, and merging again works", () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Fast' });
      writeFiles(plan.path, { 'feature.txt': 'uncommitted work\n' });
      const tip = git(plan.path, 'rev-parse', 'HEAD');
      // The commit of the uncommitted work gets a time of its own, as it does when trying again a second later.
      const dying = new DyingGit('refs/heads/main');
      Object.assign(process.env, {
        GIT_AUTHOR_DATE: '2001-01-01T00:00:00Z',
        GIT_COMMITTER_DATE: '2001-01-01T00:00:00Z',
      });
      try {
        void mergePlan({ ...life.ctx, git: dying }, plan, { strategy: 'fastForward', commitUncommitted: true });
        await dying.died;
      } finally {
        delete process.env.GIT_AUTHOR_DATE;
        delete process.env.GIT_COMMITTER_DATE;
      }
      const work = git(repo.main, 'rev-parse', 'main');
      assert.strictEqual(git(repo.main, 'rev-parse', `${work}^`), tip, "main is at the commit of the plan's work");
      assert.strictEqual(git(repo.main, 'rev-parse', plan.branch), tip, "the plan's branch is still at its tip");
      const found = (await runDoctor(life.ctx, life.registry)).filter((f) => f.kind === 'interruptedMerge');
      assert.deepStrictEqual(
        found.map((f) => f.path).sort(),
        [repo.main, plan.path].sort(),
        'the main checkout (files) and the plan (branch) are both unfinished',
      );
      for (const f of found) await f.fix?.run();
      assert.strictEqual(git(repo.main, 'rev-parse', plan.branch), work);
      assert.strictEqual(git(plan.path, 'status', '--porcelain'), '', "the plan's work is its branch's now");
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'feature.txt'), 'utf8'), 'uncommitted work\n');
      assert.deepStrictEqual(
        (await runDoctor(life.ctx, life.registry)).map((f) => f.kind),
        [],
      );
      const again = await mergePlan(life.ctx, plan, { strategy: 'fastForward', commitUncommitted: true });
      assert.strictEqual(again.baseAfter, work, 'merging again finds the work merged');
    }));

  it('an interrupted rebase merge: a Finish the Merge that fails leaves the index and files as they were and the finding in place; trying again finishes it', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const { plan, rebased } = await interruptedRebase(life, repo.main);
      const indexFile = path.join(git(plan.path, 'rev-parse', '--path-format=absolute', '--git-dir'), 'index');
      const index = fs.readFileSync(indexFile);
      const files = hashTree(plan.path);
      const failing = new FailingReadTree();
      const finding = only(await runDoctor({ ...life.ctx, git: failing }, life.registry), 'interruptedMerge');
      await assert.rejects(finding.fix?.run() ?? Promise.resolve(), /Injected failure/);
      assert.ok(failing.failed);
      assert.ok(fs.readFileSync(indexFile).equals(index), 'the index is byte for byte as it was');
      assert.strictEqual(hashTree(plan.path), files);
      const again = only(await runDoctor(life.ctx, life.registry), 'interruptedMerge');
      await again.fix?.run();
      assert.strictEqual(git(plan.path, 'status', '--porcelain'), '');
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), rebased);
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'README.md'), 'utf8'), '# main moved on\n');
    }));

  it('a create killed inside "stash apply": Keep It finishes moving the changes (those already moved are copies of the stash), and nothing is lost', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const { plan, moved, changes, stash } = await interruptedMove(life, repo.main);
      const later = { now: new Date(Date.now() + 60 * 60 * 1000) };
      const findings = await runDoctor(life.ctx, life.registry, later);
      assert.deepStrictEqual(
        findings.map((f) => f.kind),
        ['unfinishedCreate'],
        JSON.stringify(findings.map((f) => f.message)),
      );
      assert.match(findings[0].fix?.description ?? '', /applies the stash .* whole/);
      await findings[0].fix?.run();
      assert.strictEqual(
        statusOf(plan.path),
        moved,
        'staged, unstaged and untracked as they were in the main checkout',
      );
      for (const [file, content] of Object.entries(changes)) {
        assert.strictEqual(fs.readFileSync(path.join(plan.path, file), 'utf8'), content, file);
      }
      assert.ok(!fs.existsSync(path.join(plan.path, 'src/f 39.txt')), 'the deletion moved too');
      assert.strictEqual(git(repo.main, 'stash', 'list'), '');
      assert.strictEqual(gitMayFail(repo.main, 'cat-file', '-e', stash).ok, true);
      assert.strictEqual((await registryPlan(life, plan.id))?.creating, undefined);
      assert.deepStrictEqual(await runDoctor(life.ctx, life.registry, later), []);
    }));

  it('a create killed inside "stash apply", with a change in its worktree that is not the stash\'s: nothing is set back, and the doctor says where the changes are', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const { plan } = await interruptedMove(life, repo.main);
      writeFiles(plan.path, { 'src/f 20.txt': 'written by somebody else\n' });
      const before = wholeState(repo.root, repo.main, life.ctx);
      const later = { now: new Date(Date.now() + 60 * 60 * 1000) };
      const findings = await runDoctor(life.ctx, life.registry, later);
      assert.deepStrictEqual(
        findings.map((f) => f.kind),
        ['unfinishedCreate', 'movedChanges'],
      );
      assert.match(findings[0].fix?.description ?? '', /Nothing in git or on disk changes/);
      assert.strictEqual(findings[1].fix, undefined);
      assert.match(findings[1].message, /only some of them are in its worktree/);
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
    }));

  it('a stash of moved changes for a plan that was never created, whose changes another plan has: Drop Stash keeps its commit under a ref; Put Back only for changes that are nowhere else', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main, { dirtyBase: 'move' });
      writeFiles(repo.main, { 'src/app.txt': 'changed\n', 'new file.txt': 'new\n' });
      git(repo.main, 'add', 'new file.txt');
      const moved = statusOf(repo.main);
      // What the loser of two windows moving the same changes left: a copy of them in a stash for its plan 77.
      git(
        repo.main,
        'stash',
        'push',
        '-q',
        '--include-untracked',
        '-m',
        'plan-worktrees: moving changes to plan 77 (0badcafe)',
      );
      const copy = git(repo.main, 'rev-parse', 'stash@{0}');
      git(repo.main, 'stash', 'apply', '-q', '--index', copy);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Winner' });
      assert.strictEqual(statusOf(plan.path), moved);
      assert.strictEqual(statusOf(repo.main), '');
      const found = only(await runDoctor(life.ctx, life.registry), 'movedChanges');
      assert.strictEqual(found.fix?.label, 'Drop Stash');
      assert.ok(found.message.includes(plan.path), found.message);
      assert.match(found.fix?.description ?? '', /refs\/plan-worktrees\/stashes\/77\//);
      const files = [hashTree(repo.main), hashTree(plan.path)];
      await found.fix?.run();
      assert.strictEqual(git(repo.main, 'stash', 'list'), '');
      assert.strictEqual(
        git(repo.main, 'for-each-ref', '--format=%(objectname)', 'refs/plan-worktrees/stashes/77/'),
        copy,
      );
      assert.deepStrictEqual([hashTree(repo.main), hashTree(plan.path)], files);
      assert.strictEqual(statusOf(plan.path), moved);

      // Changes that are nowhere but in the stash go back where they came from.
      writeFiles(repo.main, { 'README.md': 'only in the stash\n' });
      git(repo.main, 'stash', 'push', '-q', '-m', 'plan-worktrees: moving changes to plan 78 (0badcafe)');
      const back = only(await runDoctor(life.ctx, life.registry), 'movedChanges');
      assert.strictEqual(back.fix?.label, 'Put Back in Main Checkout');
      await back.fix?.run();
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'README.md'), 'utf8'), 'only in the stash\n');
    }));

  it('moved changes left in a stash: dropping it or putting it back keeps a stash the user makes meanwhile', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Moved' });
      // A create that died after applying the moved changes in the plan, before dropping its stash; and one for plan 9, which never got a worktree.
      writeFiles(repo.main, { 'src/app.txt': 'moved to plan 1\n' });
      git(
        repo.main,
        'stash',
        'push',
        '--include-untracked',
        '-m',
        'plan-worktrees: moving changes to plan 1 (0123abcd)',
      );
      git(plan.path, 'stash', 'apply', '--index', git(repo.main, 'rev-parse', 'stash@{0}'));
      writeFiles(repo.main, { 'README.md': 'moved to plan 9\n' });
      git(
        repo.main,
        'stash',
        'push',
        '--include-untracked',
        '-m',
        'plan-worktrees: moving changes to plan 9 (4567cdef)',
      );
      const findings = (await runDoctor(life.ctx, life.registry)).filter((f) => f.kind === 'movedChanges');
      assert.deepStrictEqual(findings.map((f) => [f.planId, f.fix?.label]).sort(), [
        ['1', 'Drop Stash'],
        ['9', 'Put Back in Main Checkout'],
      ]);

      const dropping = new StashingGit(repo.main, { 'user-1.txt': 'first\n' });
      const [drop] = (await runDoctor({ ...life.ctx, git: dropping }, life.registry)).filter((f) => f.planId === '1');
      await drop.fix?.run();
      assert.ok(dropping.stashed);
      // (An entry the drop hit by mistake is stored back on top: the order may change, no entry is lost.)
      assert.deepStrictEqual(git(repo.main, 'stash', 'list', '--format=%gs').split('\n').sort(), [
        'On main: plan-worktrees: moving changes to plan 9 (4567cdef)',
        "On main: the user's stash",
      ]);
      assert.strictEqual(git(plan.path, 'show', ':src/app.txt'), 'one\ntwo\nthree', 'the plan keeps the moved change');
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'src/app.txt'), 'utf8'), 'moved to plan 1\n');

      const putting = new StashingGit(repo.main, { 'user-2.txt': 'second\n' });
      const [putBack] = (await runDoctor({ ...life.ctx, git: putting }, life.registry)).filter((f) => f.planId === '9');
      await putBack.fix?.run();
      assert.ok(putting.stashed);
      // The user's second stash took what was in the main checkout then: the changes just put back, and their file.
      assert.deepStrictEqual(git(repo.main, 'stash', 'list', '--format=%gs').split('\n'), [
        "On main: the user's stash",
        "On main: the user's stash",
      ]);
      const userStashes = git(repo.main, 'stash', 'list', '--format=%H').split('\n');
      const second = userStashes.find(
        (oid) => gitMayFail(repo.main, 'cat-file', '-e', `${oid}^3:user-2.txt`).ok,
      ) as string;
      const first = userStashes.find(
        (oid) => gitMayFail(repo.main, 'cat-file', '-e', `${oid}^3:user-1.txt`).ok,
      ) as string;
      assert.ok(second && first && second !== first, 'both stashes of the user are there');
      assert.strictEqual(git(repo.main, 'show', `${second}:README.md`), 'moved to plan 9');
      assert.strictEqual(git(repo.main, 'show', `${second}^3:user-2.txt`), 'second');
      assert.strictEqual(git(repo.main, 'show', `${first}^3:user-1.txt`), 'first');
    }));

  it('a worktree add killed half-way (empty commondir, HEAD 0000…, empty gitdir): found although git cannot list; the fix removes only the broken records', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const healthy = await createPlan(life.ctx, life.registry, life.events, { title: 'Healthy' });
      writeFiles(healthy.path, { 'work.txt': 'uncommitted\n' });
      const healthyFiles = hashTree(healthy.path);
      // Killed right after the record's folder and its gitdir file were created.
      const early = killedAdd(repo.main, path.join(repo.root, 'early'), 'early', { gitdir: '' });
      // Killed after writing HEAD's placeholder and creating commondir, before writing it: the folder holds only its .git file.
      const killed = killedAdd(repo.main, path.join(repo.root, 'killed'), 'killed', {
        commondir: '',
        HEAD: '0'.repeat(40) + '\n',
      });
      assert.match(
        gitMayFail(repo.main, 'worktree', 'list').stderr,
        /failed to read .*worktrees\/killed\/commondir: Success/,
      );
      await assert.rejects(
        listWorktrees(life.ctx),
        (e: unknown) =>
          e instanceof PlanWorktreesError &&
          e.code === ErrorCode.WorktreeAdminBroken &&
          /Run the doctor/.test(e.message),
      );

      // Written a moment ago: perhaps a worktree add still running; nothing to fix yet.
      assert.deepStrictEqual(
        (await runDoctor(life.ctx, life.registry)).map((f) => [f.kind, f.fix?.label]),
        [
          ['brokenWorktreeRecord', undefined],
          ['brokenWorktreeRecord', undefined],
        ],
      );
      const later = new Date(Date.now() + 2 * 60 * 1000);
      const findings = await runDoctor(life.ctx, life.registry, { now: later });
      assert.deepStrictEqual(
        findings.map((f) => [f.kind, f.path, f.fix?.label]),
        [
          ['brokenWorktreeRecord', undefined, 'Remove Broken Record'],
          ['brokenWorktreeRecord', killed.folder, 'Remove Broken Record'],
        ],
      );
      assert.match(findings[0].message, /"gitdir" file is empty/);
      assert.match(findings[1].message, /"commondir" file is empty.*placeholder 0000/);
      assert.match(
        findings[1].fix?.description ?? '',
        new RegExp(`Deletes the folder ${escape(killed.admin)} .*holds nothing but the ".git" file`),
      );
      for (const finding of findings) await finding.fix?.run();

      assert.ok(!fs.existsSync(killed.admin) && !fs.existsSync(early.admin), 'the broken records are gone');
      assert.ok(!fs.existsSync(killed.folder), 'the folder that held only its .git file is gone');
      assert.deepStrictEqual(
        fs.readdirSync(early.folder),
        ['.git'],
        'a folder whose .git does not name a broken record is left',
      );
      assert.deepStrictEqual(worktreeList(repo.main), [repo.main, healthy.path]);
      assert.ok(gitMayFail(repo.main, 'rev-list', '--all').ok);
      assert.strictEqual(hashTree(healthy.path), healthyFiles, 'the other plan is untouched');
      assert.ok(gitMayFail(repo.main, 'rev-parse', '--verify', 'refs/heads/killed').ok, 'the branch is kept');
    }));

  it('a placeholder HEAD in a worktree with files: rev-list --all fails; the fix removes the record and keeps the folder; no "Keep It" for it', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Broken head' });
      writeFiles(plan.path, { 'notes.txt': 'my notes\n' });
      const files = hashTree(plan.path);
      await life.registry.update((data) => void (data.plans[0].creating = true));
      const admin = path.join(repo.main, '.git', 'worktrees', path.basename(plan.path));
      fs.writeFileSync(path.join(admin, 'HEAD'), '0'.repeat(40) + '\n');
      fs.writeFileSync(path.join(admin, 'locked'), 'initializing');
      assert.match(gitMayFail(repo.main, 'rev-list', '--all').stderr, /bad object .*worktrees\/.*\/HEAD/);
      const later = new Date(Date.now() + 60 * 60 * 1000);
      const findings = await runDoctor(life.ctx, life.registry, { now: later });
      assert.deepStrictEqual(
        findings.map((f) => [f.kind, f.planId, f.fix?.label]),
        [['brokenWorktreeRecord', plan.id, 'Remove Broken Record']],
      );
      assert.match(findings[0].fix?.description ?? '', /has files: it is kept as it is/);
      await findings[0].fix?.run();
      assert.ok(!fs.existsSync(admin));
      assert.strictEqual(hashTree(plan.path), files, 'every file of the folder is kept');
      assert.ok(gitMayFail(repo.main, 'rev-list', '--all').ok);
      assert.deepStrictEqual(worktreeList(repo.main), [repo.main]);
      // The fix refuses a record that became whole meanwhile.
      const other = await createPlan(life.ctx, life.registry, life.events, { title: 'Whole' });
      assert.throws(
        () => removeBrokenAdminFolder(life.ctx.repo.commonDir, path.basename(other.path)),
        isPlanError(ErrorCode.WorktreeNotFound, {
          reason: 'adminRecordComplete',
          path: path.join(life.ctx.repo.commonDir, 'worktrees', path.basename(other.path)),
        }),
      );
      assert.ok(fs.existsSync(other.path));
    }));

  it('moved changes whose putting back stopped half-way (a full disk): "Put Back in Main Checkout" finishes it', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      writeFiles(repo.main, { 'src/app.txt': 'moved\n'.repeat(500), 'new.txt': 'untracked\n' });
      git(
        repo.main,
        'stash',
        'push',
        '--quiet',
        '--include-untracked',
        '-m',
        'plan-worktrees: moving changes to plan 4 (89abcdef)',
      );
      const stash = git(repo.main, 'rev-parse', 'stash@{0}');
      // What a create's undo left when the disk filled while it put the changes back: one file half-written, the other not yet.
      fs.writeFileSync(path.join(repo.main, 'src/app.txt'), 'moved\n'.repeat(100));
      const [finding] = (await runDoctor(life.ctx, life.registry)).filter((f) => f.kind === 'movedChanges');
      assert.strictEqual(finding.fix?.label, 'Put Back in Main Checkout');
      await finding.fix?.run();
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'src/app.txt'), 'utf8'), 'moved\n'.repeat(500));
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'new.txt'), 'utf8'), 'untracked\n');
      assert.strictEqual(
        git(repo.main, 'stash', 'list'),
        '',
        `the stash ${stash.slice(0, 12)} is dropped once applied`,
      );
    }));

  it('old snapshots: lists them and deletes only the one a fix names', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Snapshots' });
      const old = await writeSnapshot(life.ctx, plan, 'forced cleanup');
      const findings = await runDoctor(life.ctx, life.registry, {
        now: new Date(Date.now() + 31 * 24 * 60 * 60 * 1000),
      });
      const finding = only(findings, 'oldSnapshot');
      assert.ok(finding.message.includes(old.ref));
      assert.ok(finding.fix?.description.includes(old.ref));
      assert.deepStrictEqual(
        await runDoctor(life.ctx, life.registry, { now: new Date(Date.now() + 29 * 24 * 60 * 60 * 1000) }),
        [],
      );
      const recent = await writeSnapshot(life.ctx, plan, 'later');
      await finding.fix?.run();
      assert.strictEqual(gitMayFail(repo.main, 'rev-parse', '--verify', '--quiet', old.ref).ok, false);
      assert.deepStrictEqual(
        (await listSnapshots(life.ctx)).map((s) => s.ref),
        [recent.ref],
      );
    }));

  it('activity files of plan runs that are gone: deletes them, and keeps those of active plans', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const kept = await createPlan(life.ctx, life.registry, life.events, { id: '1', title: 'Kept' });
      const gone = await createPlan(life.ctx, life.registry, life.events, { id: '2', title: 'Gone' });
      const commonDir = life.ctx.repo.commonDir;
      const window = (planId: string) => ({
        version: 1 as const,
        planId,
        run: 1,
        window: { pid: process.pid, hostname: 'h', open: false, since: new Date().toISOString() },
        running: [],
      });
      await writeWindowActivity(commonDir, window(kept.id));
      await writeWindowActivity(commonDir, window(gone.id));
      await writeActivityReport(
        commonDir,
        gone.id,
        1,
        makeActivityReport({ id: gone.id, run: 1 }, { state: 'done' }, { pid: process.pid, hostname: 'h' }),
      );
      // A file the doctor does not know the name of is not its to delete.
      fs.writeFileSync(path.join(activityFolder(commonDir), 'notes.txt'), 'mine\n');
      assert.deepStrictEqual(await runDoctor(life.ctx, life.registry), [], 'every run is active');
      await cleanupPlan(life.ctx, life.registry, life.events, gone);
      const stale = only(await runDoctor(life.ctx, life.registry), 'staleActivity');
      assert.strictEqual(stale.planId, gone.id);
      const files = [activityFile(commonDir, gone.id, 1), reportFile(commonDir, gone.id, 1)];
      assert.strictEqual(stale.fix?.description, `Deletes ${files.join(', ')}. Nothing else changes.`);
      await stale.fix?.run();
      assert.deepStrictEqual(fs.readdirSync(activityFolder(commonDir)).sort(), ['1@1.json', 'notes.txt']);
      assert.deepStrictEqual(await runDoctor(life.ctx, life.registry), []);
    }));

  it('templatePattern finds the id and slug in a plan branch name', () => {
    assert.deepStrictEqual(
      { ...templatePattern('plan/${id}-${slug}')?.exec('plan/189-feature-xyz')?.groups },
      { id: '189', slug: 'feature-xyz' },
    );
    assert.strictEqual(templatePattern('phase-${id}-run-${run}')?.exec('phase-7-run-2')?.groups?.id, '7');
    assert.strictEqual(templatePattern('phase-${id}-run-${run}')?.exec('phase-7-run-002')?.groups?.id, '7');
    assert.strictEqual(templatePattern('p-${id}-${runNumber}')?.exec('p-7-12')?.groups?.id, '7');
    assert.strictEqual(templatePattern('plan/${id}-${slug}')?.exec('feature/x'), null);
    assert.strictEqual(templatePattern('work/${slug}'), undefined);
  });
});

/**
 * What a `git worktree add -b <name>` killed half-way leaves: its record
 * under .git/worktrees with some files empty or missing (`overrides`: a file
 * name and its content, or null for a missing file), a "locked" file that
 * says "initializing", and a folder with only its .git file.
 */
function killedAdd(
  main: string,
  folder: string,
  name: string,
  overrides: Record<string, string | null>,
): { admin: string; folder: string } {
  git(main, 'worktree', 'add', '-q', '--no-checkout', '-b', name, folder);
  const admin = path.join(main, '.git', 'worktrees', name);
  fs.rmSync(path.join(admin, 'index'), { force: true });
  fs.writeFileSync(path.join(admin, 'locked'), 'initializing');
  for (const [file, content] of Object.entries(overrides)) {
    if (content === null) fs.rmSync(path.join(admin, file), { force: true });
    else fs.writeFileSync(path.join(admin, file), content);
  }
  return { admin, folder: fs.realpathSync(folder) };
}

function worktreeList(main: string): string[] {
  return git(main, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((l) => l.startsWith('worktree '))
    .map((l) => l.slice('worktree '.length));
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
