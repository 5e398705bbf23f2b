import * as assert from 'assert';
import { fork } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { ExecOptions, ExecResult, Git } from '../../../../src/git/runner';
import { createPlan, CreateOptions, planNames } from '../../../../src/model/lifecycle/create';
import { discardPlan } from '../../../../src/model/lifecycle/cleanup';
import { runDoctor } from '../../../../src/model/recovery/doctor';
import { PlanRecord } from '../../../../src/model/engine/types';
import { historyEntries } from '../../../../src/model/state/history';
import { updateSubmodules } from '../../../../src/git/commands/submodules';
import { lifecycleFor, Lifecycle, StashingGit, statusOf, wholeState } from '../../helpers/b';
import { FaultInjector, FaultyGit, withStateFaults } from '../../helpers/fault';
import {
  commitFiles,
  createRepo,
  git,
  gitMayFail,
  hashTree,
  makeTempDir,
  removeDir,
  TestRepo,
  withRepo,
  writeFiles,
} from '../../helpers/repo';
import { isPlanError } from '../../helpers/errors';

/** The error has this code; with `data`, it is the model's refusal with that data. */
function isCode(code: ErrorCode, data?: Record<string, unknown>): (e: unknown) => boolean {
  return (e: unknown) => {
    if (data) return isPlanError(code, data)(e);
    assert.ok(e instanceof PlanWorktreesError, String(e));
    assert.strictEqual(e.code, code, e.message);
    return true;
  };
}

/** Expects `createPlan(options)` to fail with `code` and to change nothing at all. */
async function assertRefused(
  repo: TestRepo,
  life: Lifecycle,
  options: CreateOptions,
  code: ErrorCode,
  data?: Record<string, unknown>,
): Promise<void> {
  const before = wholeState(repo.root, repo.main, life.ctx);
  await assert.rejects(
    createPlan(life.ctx, life.registry, life.events, options),
    isCode(code, data),
    JSON.stringify(options),
  );
  assert.strictEqual(
    wholeState(repo.root, repo.main, life.ctx),
    before,
    `${JSON.stringify(options)} changed something`,
  );
}

function branchTip(main: string, branch: string): string | undefined {
  const result = gitMayFail(main, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
  return result.ok ? result.stdout : undefined;
}

describe('createPlan', () => {
  it('makes exactly the names planNames foresees, and planNames refuses what create refuses, changing nothing', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const foreseen = planNames(life.ctx, await life.registry.read(), { title: '../Login page' });
      assert.deepStrictEqual(foreseen, {
        id: '1',
        run: 1,
        slug: 'login-page',
        branch: 'plan/1-login-page',
        path: path.join(repo.root, 'repo.plans', '1-login-page'),
      });
      const before = wholeState(repo.root, repo.main, life.ctx);
      const again = planNames(life.ctx, await life.registry.read(), { title: '../Login page' });
      assert.deepStrictEqual(again, foreseen);
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before, 'planNames changes nothing');
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: '../Login page' });
      assert.deepStrictEqual(
        { id: plan.id, run: plan.run, slug: plan.slug, branch: plan.branch, path: plan.path },
        foreseen,
      );
      const next = planNames(life.ctx, await life.registry.read(), { title: 'Second' });
      assert.deepStrictEqual([next.id, next.branch], ['2', 'plan/2-second']);
      assert.throws(
        () => planNames(life.ctx, { version: 1, plans: [plan] }, { id: '1', title: 'Again' }),
        isCode(ErrorCode.PlanExists),
      );
      fs.mkdirSync(path.join(repo.root, 'repo.plans', '3-taken'));
      assert.throws(
        () => planNames(life.ctx, { version: 1, plans: [plan] }, { id: '3', title: 'Taken' }),
        isCode(ErrorCode.PathExists),
      );
      assert.throws(
        () => planNames(life.ctx, { version: 1, plans: [plan] }, { title: 'x', branch: '-x' }),
        isCode(ErrorCode.InvalidName),
      );
    }));

  it('creates the worktree, branch and registry entry from the title and the default templates', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const mainFiles = hashTree(repo.main);
      const head = git(repo.main, 'rev-parse', 'HEAD');
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Feature XYZ: the login page' });
      const folder = path.join(repo.root, 'repo.plans', '1-feature-xyz-the-login-page');
      assert.deepStrictEqual(
        {
          id: plan.id,
          slug: plan.slug,
          branch: plan.branch,
          path: plan.path,
          base: plan.base,
          baseCommit: plan.baseCommit,
          status: plan.status,
          run: plan.run,
        },
        {
          id: '1',
          slug: 'feature-xyz-the-login-page',
          branch: 'plan/1-feature-xyz-the-login-page',
          path: folder,
          base: 'main',
          baseCommit: head,
          status: 'active',
          run: 1,
        },
      );
      assert.strictEqual(plan.creating, undefined);
      assert.strictEqual(git(folder, 'symbolic-ref', '--short', 'HEAD'), plan.branch);
      assert.strictEqual(git(folder, 'rev-parse', 'HEAD'), head);
      assert.strictEqual(statusOf(folder), '');
      assert.strictEqual(fs.readFileSync(path.join(folder, 'src/app.txt'), 'utf8'), 'one\ntwo\nthree\n');
      assert.deepStrictEqual((await life.registry.read()).plans, [plan]);
      assert.deepStrictEqual(
        (await life.events.read('1')).map((e) => e.type),
        ['create.before', 'create.after'],
      );
      assert.strictEqual(hashTree(repo.main), mainFiles, 'the main checkout is untouched');
      assert.strictEqual(statusOf(repo.main), '');
    }));

  it('numbers plans 1, 2, ... and goes on after the largest id; takes an explicit id, base, branch and folder', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const other = commitFiles(repo.main, { 'other.txt': 'x' });
      git(repo.main, 'branch', 'develop');
      git(repo.main, 'reset', '-q', '--hard', 'HEAD~1');
      const first = await createPlan(life.ctx, life.registry, life.events, { title: 'One' });
      const named = await createPlan(life.ctx, life.registry, life.events, {
        id: '189',
        title: 'Ticket',
        base: 'develop',
        branch: 'feature/ticket-189',
        path: path.join(repo.root, 'elsewhere', 'ticket'),
        planFile: 'plans/189.md',
      });
      const next = await createPlan(life.ctx, life.registry, life.events, { title: 'Next' });
      assert.deepStrictEqual([first.id, named.id, next.id], ['1', '189', '190']);
      assert.strictEqual(named.base, 'develop');
      assert.strictEqual(named.baseCommit, other);
      assert.strictEqual(named.planFile, 'plans/189.md');
      assert.strictEqual(git(named.path, 'symbolic-ref', '--short', 'HEAD'), 'feature/ticket-189');
      assert.strictEqual(git(named.path, 'rev-parse', 'HEAD'), other);
      assert.ok(fs.existsSync(path.join(repo.root, 'elsewhere', 'ticket', 'other.txt')));
    }));

  it('counts runs of an id for ${run} (zero-padded) and refuses a second active plan with the same id unless a new run is asked for', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main, {
        branchTemplate: 'phase-${id}-run-${run}',
        worktreeLocation: '${repoParent}/runs/${id}-run-${runNumber}',
      });
      const first = await createPlan(life.ctx, life.registry, life.events, { id: '7', title: 'Phase seven' });
      assert.deepStrictEqual(
        [first.branch, first.path, first.run],
        ['phase-7-run-001', path.join(repo.root, 'runs', '7-run-1'), 1],
      );
      await assertRefused(repo, life, { id: '7', title: 'Again' }, ErrorCode.PlanExists, {
        reason: 'exists',
        plan: '7',
        run: 1,
      });
      git(repo.main, 'worktree', 'remove', first.path);
      await life.registry.update((data) => void (data.plans[0].status = 'removed'));
      const second = await createPlan(life.ctx, life.registry, life.events, { id: '7', title: 'Phase seven' });
      assert.deepStrictEqual([second.branch, second.run], ['phase-7-run-002', 2]);
      assert.deepStrictEqual(
        (await life.registry.read()).plans.map((p) => [p.id, p.run, p.status]),
        [
          ['7', 1, 'removed'],
          ['7', 2, 'active'],
        ],
      );
    }));

  it('starts run 2 of an active plan (newRun) in a worktree and branch of its own: the default templates give run 1 the names of today, run 2 a -run-002 suffix', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const first = await createPlan(life.ctx, life.registry, life.events, { id: '7', title: 'Phase seven' });
      assert.deepStrictEqual(
        [first.branch, first.path, first.run],
        ['plan/7-phase-seven', path.join(repo.root, 'repo.plans', '7-phase-seven'), 1],
      );
      writeFiles(first.path, { 'kept.txt': 'run one, kept for inspection\n' });
      const foreseen = planNames(life.ctx, await life.registry.read(), {
        id: '7',
        title: 'Phase seven',
        newRun: true,
      });
      const second = await createPlan(life.ctx, life.registry, life.events, {
        id: '7',
        title: 'Phase seven',
        newRun: true,
      });
      assert.deepStrictEqual(
        [second.branch, second.path, second.run],
        ['plan/7-phase-seven-run-002', path.join(repo.root, 'repo.plans', '7-phase-seven-run-002'), 2],
      );
      assert.deepStrictEqual([foreseen.branch, foreseen.path, foreseen.run], [second.branch, second.path, 2]);
      assert.strictEqual(git(second.path, 'symbolic-ref', '--short', 'HEAD'), 'plan/7-phase-seven-run-002');
      assert.strictEqual(git(first.path, 'symbolic-ref', '--short', 'HEAD'), 'plan/7-phase-seven');
      assert.ok(fs.existsSync(path.join(first.path, 'kept.txt')), "run 1's files stay");
      assert.ok(!fs.existsSync(path.join(second.path, 'kept.txt')));
      assert.deepStrictEqual(
        (await life.registry.read()).plans.map((p) => [p.id, p.run, p.status]),
        [
          ['7', 1, 'active'],
          ['7', 2, 'active'],
        ],
      );
      // Run 3 as well; both earlier runs keep their names.
      const third = await createPlan(life.ctx, life.registry, life.events, { id: '7', title: 'Other', newRun: true });
      assert.deepStrictEqual([third.branch, third.run], ['plan/7-other-run-003', 3]);
    }));

  it('never gives a new run the number of a run whose registry entry is gone but whose snapshot is kept', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const first = await createPlan(life.ctx, life.registry, life.events, { id: '7', title: 'Seven' });
      const second = await createPlan(life.ctx, life.registry, life.events, {
        id: '7',
        title: 'Seven',
        newRun: true,
      });
      writeFiles(second.path, { 'work.txt': 'w\n' });
      await discardPlan(life.ctx, life.registry, life.events, second);
      assert.ok(!fs.existsSync(second.path));
      // The registry forgets run 2 (written by hand, or set aside when it was corrupt); its snapshot remains.
      await life.registry.update((data) => void data.plans.splice(1, 1));
      const next = await createPlan(life.ctx, life.registry, life.events, { id: '7', title: 'Seven', newRun: true });
      assert.deepStrictEqual([next.run, next.branch], [3, 'plan/7-seven-run-003']);
      assert.strictEqual(git(first.path, 'symbolic-ref', '--short', 'HEAD'), 'plan/7-seven');
    }));

  it('refuses to move a file deleted in the index and back on disk as an untracked file (git stash cannot apply it), naming it, and changes nothing', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      git(repo.main, 'rm', '-q', '--cached', 'README.md');
      writeFiles(repo.main, { 'README.md': 'written again\n', 'other.txt': 'untracked\n' });
      await assertRefused(repo, life, { title: 'Move it', dirtyBase: 'move' }, ErrorCode.BaseDirty, {
        reason: 'deletedAndUntracked',
        files: ['README.md'],
      });
      assert.strictEqual(git(repo.main, 'stash', 'list'), '', 'no stash left');
    }));

  it('refuses bad names with a clear error and changes nothing', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      await createPlan(life.ctx, life.registry, life.events, { title: 'Existing' });
      const cases: Array<[CreateOptions, RegExp]> = [
        [{ title: 'x'.repeat(300) }, /300 characters long/],
        [{ title: 'two\nlines' }, /line break/],
        [{ title: 'bell\u0007' }, /control character/],
        [{ title: '   ' }, /empty/],
        [{ id: '--upload-pack=x', title: 'T' }, /must not start with "-"/],
        [{ id: '..', title: 'T' }, /must not start with "\."/],
        [{ id: 'a..b', title: 'T' }, /must not contain "\.\."/],
        [{ id: 'a b', title: 'T' }, /a space is not allowed/],
        [{ title: 'T', branch: 'has space' }, /must not contain a space/],
        [{ title: 'T', branch: '-x' }, /must not start with "-"/],
        [{ title: 'T', branch: 'a..b' }, /must not contain "\.\."/],
        [{ title: 'T', base: '--orphan' }, /must not start with "-"/],
        [{ title: 'T', path: `${repo.root}/a/../../escape` }, /must not contain "\.\."/],
        [{ title: 'T', path: '../sibling' }, /must not contain "\.\."/],
        [{ title: 'T', planFile: '../outside.md' }, /inside the repository/],
      ];
      for (const [options, problem] of cases) {
        await assertRefused(repo, life, options, ErrorCode.InvalidName, { reason: 'name', problem });
      }
    }));

  it('refuses an unknown template variable, and a folder inside the git directory', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main, { branchTemplate: 'plan/${ticket}' });
      await assertRefused(repo, life, { title: 'T' }, ErrorCode.InvalidName, {
        reason: 'name',
        problem: /\$\{ticket\}/,
      });
      const ok = await lifecycleFor(repo.main);
      await assertRefused(repo, ok, { title: 'T', path: path.join(repo.main, '.git', 'plan') }, ErrorCode.InvalidName, {
        reason: 'insideGitDir',
        path: path.join(repo.main, '.git', 'plan'),
      });
    }));

  it('refuses an existing branch, an existing folder and a folder git still has registered', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      git(repo.main, 'branch', 'plan/1-taken');
      await assertRefused(repo, life, { title: 'Taken' }, ErrorCode.BranchExists, {
        reason: 'create',
        branch: 'plan/1-taken',
      });
      const folder = path.join(repo.root, 'repo.plans', '1-free');
      fs.mkdirSync(folder, { recursive: true });
      await assertRefused(repo, life, { title: 'Free' }, ErrorCode.PathExists, {
        reason: 'folderExists',
        path: folder,
      });
      const gone = path.join(repo.root, 'gone');
      git(repo.main, 'worktree', 'add', '-q', '--detach', gone);
      fs.rmSync(gone, { recursive: true });
      await assertRefused(repo, life, { title: 'Gone', path: gone }, ErrorCode.PathExists, {
        reason: 'registeredWorktree',
        path: gone,
      });
    }));

  it('a folder git registers while the create runs: git refuses it, the same clear error, and nothing is left behind', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const gone = path.join(repo.root, 'gone');
      // Someone registers the folder (and deletes it) just before git worktree add runs.
      class RacingGit extends Git {
        override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
          if (
            args[0] === 'worktree' &&
            args[1] === 'add' &&
            !fs.existsSync(path.join(repo.main, '.git', 'worktrees', 'gone'))
          ) {
            git(repo.main, 'worktree', 'add', '-q', '--detach', gone);
            fs.rmSync(gone, { recursive: true });
          }
          return super.exec(args, options);
        }
      }
      const ctx = { ...life.ctx, git: new RacingGit() };
      await assert.rejects(
        createPlan(ctx, life.registry, life.events, { title: 'Gone', path: gone }),
        isCode(ErrorCode.PathExists, { reason: 'registeredWorktree', path: gone }),
      );
      assert.strictEqual(
        gitMayFail(repo.main, 'rev-parse', '--verify', '--quiet', 'refs/heads/plan/1-gone').ok,
        false,
        'the branch git made is deleted',
      );
      assert.deepStrictEqual((await life.registry.read()).plans, []);
      assert.ok(!fs.existsSync(gone));
    }));

  it('refuses a missing base branch, and a detached main checkout without a base', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      await assertRefused(repo, life, { title: 'T', base: 'nope' }, ErrorCode.BranchNotFound, {
        reason: 'base',
        base: 'nope',
      });
      git(repo.main, 'checkout', '-q', '--detach');
      await assertRefused(repo, life, { title: 'T' }, ErrorCode.BranchNotFound, { reason: 'detachedHead' });
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'T', base: 'main' });
      assert.strictEqual(plan.base, 'main');
    }));

  it('dirtyBase refuse: lists the staged, modified and untracked files and changes nothing', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      writeFiles(repo.main, { 'README.md': 'staged\n', 'new dir/untracked file.txt': 'u' });
      git(repo.main, 'add', 'README.md');
      writeFiles(repo.main, { 'src/app.txt': 'modified\n' });
      const before = wholeState(repo.root, repo.main, life.ctx);
      await assert.rejects(createPlan(life.ctx, life.registry, life.events, { title: 'T' }), (e: unknown) => {
        isCode(ErrorCode.BaseDirty, { reason: 'uncommitted' })(e);
        assert.deepStrictEqual([...(e as PlanWorktreesError).files].sort(), [
          'README.md',
          'new dir/untracked file.txt',
          'src/app.txt',
        ]);
        return true;
      });
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
    }));

  it('dirtyBase move: staged, unstaged and untracked changes end up in the plan and the main checkout is clean', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main, { dirtyBase: 'move' });
      writeFiles(repo.main, { 'README.md': 'staged\n', 'notes/new file.txt': 'untracked' });
      git(repo.main, 'add', 'README.md');
      writeFiles(repo.main, { 'src/app.txt': 'modified\n' });
      const moved = statusOf(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Take my changes' });
      assert.strictEqual(statusOf(repo.main), '');
      assert.strictEqual(statusOf(plan.path), moved, 'same staged/unstaged/untracked state in the plan');
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'notes/new file.txt'), 'utf8'), 'untracked');
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'src/app.txt'), 'utf8'), 'modified\n');
      assert.strictEqual(git(repo.main, 'stash', 'list'), '', 'no stash entry is left over');
      const after = (await life.events.read(plan.id)).find((e) => e.type === 'create.after');
      assert.deepStrictEqual([...(after?.moved as string[])].sort(), [
        'README.md',
        'notes/new file.txt',
        'src/app.txt',
      ]);
    }));

  it('dirtyBase move: a stash the user makes while the create drops its own is kept (stashes are dropped by commit, not by position)', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main, { dirtyBase: 'move' });
      writeFiles(repo.main, { 'src/app.txt': 'moved to the plan\n', 'moved.txt': 'untracked, moved' });
      const ctx = { ...life.ctx, git: new StashingGit(repo.main, { 'user.txt': "the user's own work\n" }) };
      const plan = await createPlan(ctx, life.registry, life.events, { title: 'Take my changes' });
      assert.ok(ctx.git.stashed, 'the user stashed between the steps');
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'src/app.txt'), 'utf8'), 'moved to the plan\n');
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'moved.txt'), 'utf8'), 'untracked, moved');
      assert.deepStrictEqual(
        git(repo.main, 'stash', 'list', '--format=%gs').split('\n'),
        ["On main: the user's stash"],
        "only the user's stash is left",
      );
      assert.strictEqual(git(repo.main, 'show', 'stash@{0}^3:user.txt'), "the user's own work");
    }));

  it("dirtyBase move, undone: a stash the user makes while the undo drops the create's stash is kept, with the changes put back", () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main, { dirtyBase: 'move' });
      writeFiles(repo.main, { 'src/app.txt': 'moved, then put back\n' });
      const ctx = { ...life.ctx, git: new StashingGit(repo.main, { 'user.txt': "the user's own work\n" }) };
      // The steps counted here are the registry writes and event appends: the third is the write that finishes the
      // plan, after the changes moved and the files were copied.
      const faults = new FaultInjector();
      faults.arm(3, 'before');
      await assert.rejects(
        withStateFaults(faults, () => createPlan(ctx, life.registry, life.events, { title: 'Doomed' })),
        /Injected failure/,
      );
      assert.strictEqual(faults.injected, 'before step 3 (registry write)');
      assert.ok(ctx.git.stashed, 'the user stashed between the steps');
      // The user's stash took what was in the main checkout then: the changes the undo had put back, and their own file.
      assert.deepStrictEqual(git(repo.main, 'stash', 'list', '--format=%gs').split('\n'), [
        "On main: the user's stash",
      ]);
      assert.strictEqual(git(repo.main, 'show', 'stash@{0}:src/app.txt'), 'moved, then put back');
      assert.strictEqual(git(repo.main, 'show', 'stash@{0}^3:user.txt'), "the user's own work");
      assert.deepStrictEqual((await life.registry.read()).plans, []);
    }));

  it('dirtyBase move: when the changes do not apply to the plan, they stay in the main checkout and nothing is left behind', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main, { dirtyBase: 'move' });
      git(repo.main, 'checkout', '-q', '-b', 'other');
      commitFiles(repo.main, { 'src/app.txt': 'other\n' });
      git(repo.main, 'checkout', '-q', 'main');
      writeFiles(repo.main, { 'src/app.txt': 'conflicting change\n', 'untracked.txt': 'u' });
      git(repo.main, 'add', 'src/app.txt');
      const before = wholeState(repo.root, repo.main, life.ctx);
      await assert.rejects(createPlan(life.ctx, life.registry, life.events, { title: 'T', base: 'other' }));
      assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
      assert.deepStrictEqual(
        (await life.events.read('1')).map((e) => e.type),
        ['create.before', 'create.failed'],
      );
    }));

  it("dirtyBase ignore, given per call over the setting: leaves the main checkout's changes where they are", () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main, { dirtyBase: 'refuse' });
      writeFiles(repo.main, { 'src/app.txt': 'mine\n' });
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'T', dirtyBase: 'ignore' });
      assert.strictEqual(statusOf(repo.main), ' M src/app.txt');
      assert.strictEqual(statusOf(plan.path), '');
    }));

  it('copies untracked and ignored files matching copyFiles, never through or to a symlink outside', async () => {
    const outside = makeTempDir('pw-outside-');
    const repo = createRepo({
      '.gitignore': '.env\n.env.*\n!.env.example\n',
      '.env.example': 'tracked',
      'README.md': 'r',
    });
    try {
      fs.writeFileSync(path.join(outside, 'secret'), 'outside secret');
      // The plan's base has `conf` as a symlink to a folder outside the repository.
      git(repo.main, 'checkout', '-q', '-b', 'linked');
      fs.symlinkSync(outside, path.join(repo.main, 'conf'));
      git(repo.main, 'add', 'conf');
      git(repo.main, 'commit', '-q', '-m', 'conf is a link');
      git(repo.main, 'checkout', '-q', 'main');
      writeFiles(repo.main, {
        '.env': 'TOKEN=1',
        '.env.local': 'LOCAL=1',
        'conf/.env': 'would go outside',
        'pkg/.env': 'nested',
        'unrelated.txt': 'not copied',
      });
      fs.symlinkSync('.env', path.join(repo.main, '.env.inside'));
      fs.symlinkSync(path.join(outside, 'secret'), path.join(repo.main, '.env.outside'));
      fs.symlinkSync('../../' + path.basename(outside) + '/secret', path.join(repo.main, '.env.relative-outside'));
      const life = await lifecycleFor(repo.main, { copyFiles: ['.env', '.env.*', '**/.env'], dirtyBase: 'ignore' });
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Env', base: 'linked' });
      assert.strictEqual(fs.readFileSync(path.join(plan.path, '.env'), 'utf8'), 'TOKEN=1');
      assert.strictEqual(fs.readFileSync(path.join(plan.path, '.env.local'), 'utf8'), 'LOCAL=1');
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'pkg/.env'), 'utf8'), 'nested');
      assert.strictEqual(fs.readlinkSync(path.join(plan.path, '.env.inside')), '.env');
      assert.strictEqual(fs.readFileSync(path.join(plan.path, '.env.example'), 'utf8'), 'tracked');
      for (const file of ['.env.outside', '.env.relative-outside', 'unrelated.txt']) {
        assert.ok(!fs.existsSync(path.join(plan.path, file)), file);
      }
      assert.deepStrictEqual(fs.readdirSync(outside), ['secret'], 'nothing was written through the conf symlink');
      assert.strictEqual(fs.readFileSync(path.join(outside, 'secret'), 'utf8'), 'outside secret');
    } finally {
      removeDir(repo.root);
      removeDir(outside);
    }
  });

  it('rolls back completely after a failure before any of its steps, up to the write that finishes the plan', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main, { dirtyBase: 'move' });
      await createPlan(life.ctx, life.registry, life.events, {
        title: 'Earlier',
        path: path.join(repo.root, 'earlier'),
      });
      writeFiles(repo.main, { '.env': 'SECRET=1', 'src/app.txt': 'uncommitted\n', 'scratch.txt': 'untracked' });
      git(repo.main, 'add', 'src/app.txt');
      fs.appendFileSync(path.join(repo.main, '.git', 'info', 'exclude'), '.env\n');
      const before = wholeState(repo.root, repo.main, life.ctx);
      // Each git process, registry write and event append of the create is a step; the create fails before step n,
      // for n = 1, 2, … until the step that fails is the registry write that finishes the plan (the second one).
      const faults = new FaultInjector();
      const ctx = { ...life.ctx, git: new FaultyGit(faults) };
      const failedBefore: string[] = [];
      for (let n = 1; n <= 50; n++) {
        faults.arm(n, 'before');
        await assert.rejects(
          withStateFaults(faults, () => createPlan(ctx, life.registry, life.events, { title: 'Doomed' })),
          /Injected failure/,
          `step ${n}`,
        );
        const step = faults.steps[n - 1];
        failedBefore.push(step);
        assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before, `failed before step ${n} (${step})`);
        assert.strictEqual(branchTip(repo.main, 'plan/2-doomed'), undefined, `step ${n} (${step})`);
        // Once the plan is reserved (a registry write before this step), its failure is recorded.
        if (failedBefore.slice(0, -1).includes('registry write')) {
          assert.strictEqual((await life.events.read()).at(-1)?.type, 'create.failed', `step ${n} (${step})`);
        }
        if (failedBefore.filter((s) => s === 'registry write').length === 2) break;
      }
      // After the reservation: the worktree, the move of the main checkout's changes, and the copy (just before the
      // finishing write) each had a failure right after them.
      const reserved = failedBefore.indexOf('registry write');
      assert.ok(reserved >= 0, failedBefore.join(', '));
      for (const step of ['event create.before', 'git worktree add', 'git stash apply']) {
        assert.ok(failedBefore.indexOf(step) > reserved, `${step} in ${failedBefore.join(', ')}`);
      }
      assert.strictEqual(failedBefore.at(-1), 'registry write', failedBefore.join(', '));
    }));

  it('works with spaces and unicode in the repository and plan folders', async () => {
    const repo = createRepo(undefined, 'my repo ü');
    try {
      const life = await lifecycleFor(repo.main);
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Über größe — 日本 test' });
      assert.strictEqual(plan.path, path.join(repo.root, 'my repo ü.plans', '1-uber-grosse-test'));
      assert.strictEqual(plan.title, 'Über größe — 日本 test');
      assert.strictEqual(git(plan.path, 'symbolic-ref', '--short', 'HEAD'), 'plan/1-uber-grosse-test');
      const spaced = await createPlan(life.ctx, life.registry, life.events, {
        title: 'x',
        path: path.join(repo.root, 'dossier ünï', 'plan two'),
      });
      assert.strictEqual(git(spaced.path, 'rev-parse', '--show-toplevel'), spaced.path);
    } finally {
      removeDir(repo.root);
    }
  });

  it('stops before changing anything when cancelled', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const controller = new AbortController();
      controller.abort();
      await assertRefused(repo, life, { title: 'T', signal: controller.signal }, ErrorCode.Cancelled);
    }));

  it('gives two processes creating at the same moment distinct ids and a consistent registry', () =>
    withRepo(async (repo) => {
      const worker = path.join(__dirname, '..', '..', 'fixtures', 'createWorker.js');
      const children = [0, 1, 2].map(() => fork(worker, [repo.main, 'Same title'], { stdio: 'inherit' }));
      const results = children.map(
        (child) =>
          new Promise<{ plan?: PlanRecord; error?: string }>((resolve, reject) => {
            child.on('message', (m) => {
              if (typeof m === 'object') resolve(m as { plan?: PlanRecord; error?: string });
            });
            child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
          }),
      );
      await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
      for (const child of children) child.send('go');
      const answers = await Promise.all(results);
      assert.deepStrictEqual(
        answers.map((a) => a.error),
        [undefined, undefined, undefined],
      );
      const ids = answers.map((a) => a.plan?.id).sort();
      assert.deepStrictEqual(ids, ['1', '2', '3']);
      const life = await lifecycleFor(repo.main);
      const plans = (await life.registry.read()).plans;
      assert.deepStrictEqual(plans.map((p) => p.id).sort(), ['1', '2', '3']);
      assert.ok(plans.every((p) => !p.creating));
      for (const plan of plans) {
        assert.strictEqual(git(plan.path, 'symbolic-ref', '--short', 'HEAD'), `plan/${plan.id}-same-title`);
      }
    }));

  it("two processes moving the main checkout's changes at the same moment: the changes end up in exactly one place, and no stash is left", async function () {
    this.timeout(120_000);
    const rounds = Number(process.env.PLAN_WORKTREES_RACE_ROUNDS) || 6;
    const worker = path.join(__dirname, '..', '..', 'fixtures', 'createWorker.js');
    for (let round = 1; round <= rounds; round++) {
      await withRepo(async (repo) => {
        const changes: Record<string, string> = {};
        for (let i = 0; i < 60; i++) changes[`src/file ${i}.txt`] = `committed ${i}\n`;
        commitFiles(repo.main, changes, 'many files');
        for (let i = 0; i < 60; i++) changes[`src/file ${i}.txt`] = `changed ${i}\n`;
        for (let i = 0; i < 20; i++) changes[`new/untracked ${i}.txt`] = `untracked ${i}\n`;
        writeFiles(repo.main, changes);
        git(repo.main, 'add', 'src/file 0.txt');
        const moved = statusOf(repo.main);
        const children = ['One', 'Two'].map((title) => fork(worker, [repo.main, title, 'move'], { stdio: 'inherit' }));
        const results = children.map(
          (child) =>
            new Promise<{ plan?: PlanRecord; error?: string }>((resolve, reject) => {
              child.on('message', (m) => {
                if (typeof m === 'object') resolve(m as { plan?: PlanRecord; error?: string });
              });
              child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
            }),
        );
        await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
        for (const child of children) child.send('go');
        const answers = await Promise.all(results);
        const context = `round ${round}: ${JSON.stringify(answers.map((a) => a.error ?? a.plan?.id))}`;
        assert.strictEqual(git(repo.main, 'stash', 'list'), '', `${context}: a stash is left`);
        // Every change is in one place only: the main checkout or one plan, with what was staged still staged.
        const places = [repo.main, ...answers.flatMap((a) => (a.plan ? [a.plan.path] : []))];
        const holding = places.filter((place) => statusOf(place) !== '');
        assert.strictEqual(holding.length, 1, `${context}: the changes are in ${holding.join(', ') || 'no place'}`);
        assert.strictEqual(statusOf(holding[0]), moved, context);
        for (const [file, content] of Object.entries(changes)) {
          assert.strictEqual(fs.readFileSync(path.join(holding[0], file), 'utf8'), content, `${context}: ${file}`);
        }
        const life = await lifecycleFor(repo.main);
        assert.deepStrictEqual(
          (await runDoctor(life.ctx, life.registry)).map((f) => f.kind),
          [],
          context,
        );
      });
    }
  });

  it('creates a plan in a repository with a submodule without touching the submodule', async () => {
    const repo = createRepo();
    const sub = createRepo({ 'lib.txt': 'library\n' }, 'sub');
    try {
      git(repo.main, '-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'add', sub.main, 'vendor/lib');
      git(repo.main, 'commit', '-q', '-m', 'add submodule');
      writeFiles(path.join(repo.main, 'vendor/lib'), { 'local-only.txt': 'untracked in the submodule' });
      const before = hashTree(path.join(repo.main, 'vendor/lib'));
      const life = await lifecycleFor(repo.main, { dirtyBase: 'ignore' });
      const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'With submodule' });
      assert.strictEqual(git(plan.path, 'ls-files', '--stage', 'vendor/lib').split(' ')[0], '160000');
      assert.strictEqual(hashTree(path.join(repo.main, 'vendor/lib')), before);
    } finally {
      removeDir(repo.root);
      removeDir(sub.root);
    }
  });
});

describe('createPlan with submodules', () => {
  /** Lets git clone a submodule from a local folder (git refuses the file transport by default) through a HOME of the test's own. */
  async function withFileTransport<T>(body: () => Promise<T>): Promise<T> {
    const home = makeTempDir('pw-home-');
    const saved = process.env.HOME;
    fs.writeFileSync(path.join(home, '.gitconfig'), '[protocol "file"]\n\tallow = always\n');
    process.env.HOME = home;
    try {
      return await body();
    } finally {
      process.env.HOME = saved;
      removeDir(home);
    }
  }

  function repoWithSubmodule(): { repo: TestRepo; sub: TestRepo } {
    const repo = createRepo();
    const sub = createRepo({ 'lib.txt': 'library\n' }, 'sub');
    git(repo.main, '-c', 'protocol.file.allow=always', 'submodule', '--quiet', 'add', sub.main, 'vendor/lib');
    git(repo.main, 'commit', '-q', '-m', 'add submodule');
    return { repo, sub };
  }

  it('checks out the submodules of a new plan first (updateSubmodules), and the history says so', async () => {
    const { repo, sub } = repoWithSubmodule();
    try {
      await withFileTransport(async () => {
        const life = await lifecycleFor(repo.main);
        const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'With submodule' });
        assert.strictEqual(fs.readFileSync(path.join(plan.path, 'vendor/lib/lib.txt'), 'utf8'), 'library\n');
        const events = await life.events.read(plan.id);
        assert.deepStrictEqual(
          events.map((e) => e.type),
          ['create.before', 'submodules.before', 'submodules.after', 'create.after'],
        );
        assert.strictEqual(events[3].submodules, 'updated');
        assert.ok(historyEntries(events).some((e) => e.summary === 'Submodules checked out'));
      });
    } finally {
      removeDir(repo.root);
      removeDir(sub.root);
    }
  });

  it('leaves them alone when updateSubmodules is off', async () => {
    const { repo, sub } = repoWithSubmodule();
    try {
      await withFileTransport(async () => {
        const life = await lifecycleFor(repo.main, { updateSubmodules: false });
        const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Without' });
        assert.deepStrictEqual(fs.readdirSync(path.join(plan.path, 'vendor/lib')), []);
        assert.ok(!(await life.events.read(plan.id)).some((e) => e.type.startsWith('submodules.')));
      });
    } finally {
      removeDir(repo.root);
      removeDir(sub.root);
    }
  });

  it('creates the plan all the same when a submodule cannot be cloned, and records the failure', async () => {
    const { repo, sub } = repoWithSubmodule();
    try {
      removeDir(sub.root);
      await withFileTransport(async () => {
        const life = await lifecycleFor(repo.main);
        const plan = await createPlan(life.ctx, life.registry, life.events, { title: 'Unreachable' });
        assert.ok(fs.existsSync(path.join(plan.path, 'README.md')));
        const events = await life.events.read(plan.id);
        const failed = events.find((e) => e.type === 'submodules.failed');
        assert.ok(failed && typeof failed.error === 'string', JSON.stringify(events));
        assert.strictEqual(events[events.length - 1].submodules, 'failed');
        assert.ok(historyEntries(events).some((e) => e.summary === 'Checking out the submodules failed'));
      });
    } finally {
      removeDir(repo.root);
    }
  });

  it('refuses to run it while the folder is not trusted (the runner refuses git submodule)', async () => {
    const { repo, sub } = repoWithSubmodule();
    try {
      const untrusted = new Git({ trusted: () => false });
      await assert.rejects(
        updateSubmodules({ git: untrusted, cwd: repo.main }),
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.Untrusted,
      );
      assert.deepStrictEqual(fs.readdirSync(path.join(repo.main, 'vendor/lib')).sort(), ['.git', 'lib.txt']);
    } finally {
      removeDir(repo.root);
      removeDir(sub.root);
    }
  });
});
