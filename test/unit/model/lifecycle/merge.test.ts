import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, isError, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { ExecOptions, ExecResult, Git } from '../../../../src/git/runner';
import { checkMerge, mergePlan, MergeStrategy } from '../../../../src/model/lifecycle/merge';
import { listSnapshots, restoreSnapshot } from '../../../../src/model/lifecycle/snapshot';
import { PlanRecord } from '../../../../src/model/engine/types';
import { addPlan, openContext } from '../../helpers/a';
import { RoundGit } from '../../helpers/roundGit';
import {
  commitFiles,
  fingerprint,
  git,
  gitMayFail,
  hashTree,
  TestRepo,
  withRepo,
  writeFiles,
} from '../../helpers/repo';
import { isPlanError } from '../../helpers/errors';
import { FaultInjector, FaultyGit } from '../../helpers/fault';

function isCode(code: ErrorCode, files?: string[]) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof PlanWorktreesError, String(e));
    assert.strictEqual(e.code, code, e.message);
    if (files) assert.deepStrictEqual(e.files, files);
    return true;
  };
}

/** A plan with two commits (one in a folder with spaces and unicode), and main moved on with its own commit. */
function divergedPlan(repo: TestRepo): PlanRecord {
  const plan = addPlan(repo, '1', { title: 'Feature \u00e9t\u00e9', folder: 'plan \u00fcber 1' });
  commitFiles(plan.path, { 'feature.txt': 'feature\n' }, 'add feature');
  commitFiles(
    plan.path,
    { 'docs/n\u00f6tes file.md': 'notes\n', 'src/app.txt': 'one\ntwo\nthree\nfour\n' },
    'notes and four',
  );
  commitFiles(repo.main, { 'README.md': '# demo, moved on\n' }, 'main moves');
  return plan;
}

/** Asserts that the main checkout's index and files are exactly those of its HEAD (plus the given untracked files). */
function assertCheckoutAt(main: string, commit: string, untracked: string[] = []): void {
  assert.strictEqual(git(main, 'rev-parse', 'HEAD'), commit);
  assert.strictEqual(git(main, 'diff', '--name-only', 'HEAD'), '', 'index and files match HEAD');
  assert.deepStrictEqual(
    git(main, 'ls-files', '--others', '--exclude-standard').split('\n').filter(Boolean),
    untracked,
  );
}

/**
 * A git runner that, just before the base branch is moved, lets "someone else"
 * commit on it (a real commit in the main checkout), and records the
 * fingerprint at that moment.
 */
class RacingGit extends Git {
  fingerprintAfterRace: string | undefined;
  constructor(private readonly main: string) {
    super();
  }
  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    if (args[0] === 'update-ref' && args.includes('refs/heads/main') && this.fingerprintAfterRace === undefined) {
      commitFiles(this.main, { 'race.txt': 'someone else\n' }, 'a commit made during the merge');
      this.fingerprintAfterRace = fingerprint(this.main);
    }
    return super.exec(args, options);
  }
}

/**
 * A git runner that records the subcommands it runs and, given a file, touches
 * it in the main checkout (same bytes, new time) right after each `status`
 * there: the index entry that status has just refreshed is stale again when
 * the merge moves the files.
 */
class TouchingGit extends Git {
  readonly calls: string[] = [];
  constructor(
    private readonly main: string,
    private readonly file?: string,
  ) {
    super();
  }
  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    this.calls.push(args[0]);
    const result = await super.exec(args, options);
    if (this.file && args[0] === 'status' && options.cwd === this.main) {
      const file = path.join(this.main, this.file);
      const later = new Date(fs.statSync(file).mtimeMs + 5000);
      fs.utimesSync(file, later, later);
    }
    return result;
  }
}

describe('checkMerge', () => {
  it('finds a clean merge and its tree, changing nothing', () =>
    withRepo(async (repo) => {
      const plan = divergedPlan(repo);
      const before = fingerprint(repo.main);
      const check = await checkMerge(await openContext(repo.main), plan);
      assert.deepStrictEqual(
        [check.clean, check.conflicts, check.baseCommit, check.planCommit, check.mergeBase],
        [true, [], git(repo.main, 'rev-parse', 'main'), git(repo.main, 'rev-parse', plan.branch), plan.baseCommit],
      );
      assert.match(check.tree ?? '', /^[0-9a-f]{40}$/);
      assert.strictEqual(fingerprint(repo.main), before);
    }));

  it('refuses a plan whose history was rewritten to share nothing with its base (its root amended), with UnrelatedHistories, changing nothing', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '1', { title: 'Rewritten' });
      writeFiles(plan.path, { 'README.md': '# rewritten root\n' });
      git(plan.path, 'commit', '-q', '-a', '--amend', '--no-edit');
      const before = fingerprint(repo.main);
      for (const strategy of ['merge', 'squash', 'fastForward', 'rebase'] as MergeStrategy[]) {
        await assert.rejects(
          mergePlan(await openContext(repo.main), plan, { strategy }),
          isCode(ErrorCode.UnrelatedHistories),
          strategy,
        );
      }
      assert.strictEqual(fingerprint(repo.main), before);
    }));

  it('lists the conflicting files', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '2');
      commitFiles(plan.path, { 'src/app.txt': 'plan\n', 'same name.txt': 'plan\n' });
      commitFiles(repo.main, { 'src/app.txt': 'main\n', 'same name.txt': 'main\n' });
      const check = await checkMerge(await openContext(repo.main), plan);
      assert.deepStrictEqual(
        [check.clean, check.conflicts, check.tree],
        [false, ['same name.txt', 'src/app.txt'], undefined],
      );
    }));
});

describe('mergePlan', () => {
  it('merge: makes a merge commit with both parents and brings the clean main checkout along, keeping its untracked files', () =>
    withRepo(async (repo) => {
      const plan = divergedPlan(repo);
      writeFiles(repo.main, { 'scratch.txt': 'untracked, kept\n' });
      const baseBefore = git(repo.main, 'rev-parse', 'main');
      const planTip = git(repo.main, 'rev-parse', plan.branch);
      const planFiles = hashTree(plan.path);
      const result = await mergePlan(await openContext(repo.main), plan, { strategy: 'merge' });
      assert.deepStrictEqual(
        [result.strategy, result.baseBefore, result.baseAfter, result.commit],
        ['merge', baseBefore, git(repo.main, 'rev-parse', 'main'), result.baseAfter],
      );
      assert.strictEqual(
        git(repo.main, 'log', '-1', '--format=%P%n%s', 'main'),
        `${baseBefore} ${planTip}\nMerge plan 1: Feature \u00e9t\u00e9`,
      );
      assertCheckoutAt(repo.main, result.commit, ['scratch.txt']);
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'docs/n\u00f6tes file.md'), 'utf8'), 'notes\n');
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'README.md'), 'utf8'), '# demo, moved on\n');
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'scratch.txt'), 'utf8'), 'untracked, kept\n');
      assert.strictEqual(git(repo.main, 'rev-parse', plan.branch), planTip, 'the plan branch does not move');
      assert.strictEqual(hashTree(plan.path), planFiles);
    }));

  it("merge: refreshes the main checkout's index only when an entry went stale after its status, and then merges all the same", () =>
    withRepo(async (repo) => {
      const plan = divergedPlan(repo);
      const fresh = new TouchingGit(repo.main);
      const touched = new TouchingGit(repo.main, 'src/app.txt');
      const first = await mergePlan(await openContext(repo.main, fresh), plan, { strategy: 'merge' });
      assert.deepStrictEqual(
        fresh.calls.filter((c) => c === 'update-index' || c === 'read-tree'),
        ['read-tree'],
        'the status has just refreshed the index',
      );
      assertCheckoutAt(repo.main, first.commit);

      // src/app.txt changes in the second merge, and its index entry is stale when the files move.
      commitFiles(plan.path, { 'src/app.txt': 'one\ntwo\nthree\nfour\nfive\n' }, 'five');
      const second = await mergePlan(await openContext(repo.main, touched), plan, { strategy: 'merge' });
      assert.deepStrictEqual(
        touched.calls.filter((c) => c === 'update-index' || c === 'read-tree'),
        ['read-tree', 'update-index', 'read-tree'],
      );
      assertCheckoutAt(repo.main, second.commit);
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'src/app.txt'), 'utf8'), 'one\ntwo\nthree\nfour\nfive\n');
    }));

  it('squash: one commit on the base with the merged tree, listing the squashed commits', () =>
    withRepo(async (repo) => {
      const plan = divergedPlan(repo);
      const baseBefore = git(repo.main, 'rev-parse', 'main');
      const ctx = await openContext(repo.main);
      const { tree } = await checkMerge(ctx, plan);
      const result = await mergePlan(ctx, plan, { strategy: 'squash' });
      assert.strictEqual(git(repo.main, 'log', '-1', '--format=%P', 'main'), baseBefore);
      assert.strictEqual(git(repo.main, 'rev-parse', 'main^{tree}'), tree);
      const message = git(repo.main, 'log', '-1', '--format=%B', 'main');
      assert.match(
        message,
        /^Plan 1: Feature \u00e9t\u00e9\n\nSquashed commits:\n- [0-9a-f]+ add feature\n- [0-9a-f]+ notes and four/,
      );
      assertCheckoutAt(repo.main, result.commit);
    }));

  it("squash with a subject of the person's own: that first line, the list of squashed commits below it; an empty or multi-line one is refused before anything moves", () =>
    withRepo(async (repo) => {
      const plan = divergedPlan(repo);
      const baseBefore = git(repo.main, 'rev-parse', 'main');
      const ctx = await openContext(repo.main);
      for (const subject of ['', '   ', 'two\nlines']) {
        await assert.rejects(mergePlan(ctx, plan, { strategy: 'squash', subject }), isCode(ErrorCode.InvalidName));
        assert.strictEqual(git(repo.main, 'rev-parse', 'main'), baseBefore, 'nothing moved');
      }
      await mergePlan(ctx, plan, { strategy: 'squash', subject: 'Add the feature, été edition' });
      assert.match(
        git(repo.main, 'log', '-1', '--format=%B', 'main'),
        /^Add the feature, été edition\n\nSquashed commits:\n- [0-9a-f]+ add feature\n/,
      );
    }));

  it('fastForward: moves the base to the plan tip when main has not moved', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '3');
      const tip = commitFiles(plan.path, { 'ff.txt': 'ff\n' }, 'ff work');
      const result = await mergePlan(await openContext(repo.main), plan, { strategy: 'fastForward' });
      assert.deepStrictEqual([result.baseAfter, result.commit], [tip, tip]);
      assertCheckoutAt(repo.main, tip);
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'ff.txt'), 'utf8'), 'ff\n');
    }));

  it('rebase: replays the plan commits onto the base, moves plan and base to the result, and the plan worktree follows', () =>
    withRepo(async (repo) => {
      const plan = divergedPlan(repo);
      fs.appendFileSync(path.join(repo.main, '.git', 'info', 'exclude'), '*.tmp\n');
      writeFiles(plan.path, { 'by ada.txt': 'ada\n' });
      git(plan.path, 'add', 'by ada.txt');
      git(
        plan.path,
        'commit',
        '-q',
        '--author=Ada Lovelace <ada@example.invalid>',
        '--date=2001-02-03T04:05:06+01:00',
        '-m',
        'by ada\n\nwith a body',
      );
      writeFiles(plan.path, { 'build output.tmp': 'ignored file in the plan, kept\n' });
      const authors = git(plan.path, 'log', '--format=%an <%ae> %ad', 'main..HEAD');
      const tipBefore = git(plan.path, 'rev-parse', 'HEAD');
      const baseBefore = git(repo.main, 'rev-parse', 'main');
      const result = await mergePlan(await openContext(repo.main), plan, { strategy: 'rebase' });
      assert.strictEqual(git(repo.main, 'rev-parse', plan.branch), result.commit);
      assert.strictEqual(git(repo.main, 'rev-parse', 'main'), result.commit);
      assert.strictEqual(
        git(repo.main, 'log', '--format=%s', `${baseBefore}..main`),
        'by ada\nnotes and four\nadd feature',
      );
      assert.strictEqual(git(repo.main, 'log', '-1', '--format=%B', 'main'), 'by ada\n\nwith a body\n');
      assert.strictEqual(git(repo.main, 'rev-list', '--merges', '--count', 'main'), '0', 'linear history');
      assert.strictEqual(
        git(repo.main, 'log', '--format=%an <%ae> %ad', `${baseBefore}..main`),
        authors,
        'authors and dates are kept',
      );
      assert.strictEqual(
        git(repo.main, 'diff', baseBefore, 'main'),
        git(repo.main, 'diff', plan.baseCommit, tipBefore),
        'the same changes, on top of the base',
      );
      assertCheckoutAt(repo.main, result.commit);
      // The plan worktree is on the rebased branch, with its files: the plan's work, main's change, and its untracked file.
      assert.strictEqual(git(plan.path, 'symbolic-ref', 'HEAD'), `refs/heads/${plan.branch}`);
      assertCheckoutAt(plan.path, result.commit);
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'README.md'), 'utf8'), '# demo, moved on\n');
      assert.strictEqual(
        fs.readFileSync(path.join(plan.path, 'build output.tmp'), 'utf8'),
        'ignored file in the plan, kept\n',
      );
    }));

  it('rebase: keeps a snapshot of the plan as it was before its branch moved, restorable as its own branch', () =>
    withRepo(async (repo) => {
      const plan = divergedPlan(repo);
      const tipBefore = git(plan.path, 'rev-parse', 'HEAD');
      const ctx = await openContext(repo.main);
      const result = await mergePlan(ctx, plan, { strategy: 'rebase' });
      const snapshots = await listSnapshots(ctx);
      assert.strictEqual(snapshots.length, 1);
      assert.deepStrictEqual(
        [snapshots[0].planId, snapshots[0].reason, result.snapshot],
        ['1', 'before a rebase merge', snapshots[0].ref],
      );
      assert.strictEqual(git(repo.main, 'rev-parse', `${snapshots[0].commit}^1`), tipBefore);
      const restored = await restoreSnapshot(ctx, snapshots[0], {
        path: path.join(repo.root, 'restored'),
        branch: 'plan/1-before',
      });
      assert.strictEqual(git(restored.path, 'rev-parse', 'HEAD'), tipBefore, 'the pre-rebase branch is back');
      assert.strictEqual(git(restored.path, 'status', '--porcelain'), '');
    }));

  it('rebase: a plan that merged its base in (no change of its own in the merge) rebases, with the same content as a merge', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '11');
      commitFiles(plan.path, { 'feature.txt': 'feature\n' }, 'feature');
      commitFiles(repo.main, { 'README.md': '# main, first\n' }, 'main first');
      git(plan.path, 'merge', '-q', '--no-edit', 'main');
      commitFiles(plan.path, { 'feature.txt': 'feature, more\n' }, 'more');
      commitFiles(repo.main, { 'src/app.txt': 'one\ntwo\nthree\nmain\n' }, 'main second');
      const ctx = await openContext(repo.main);
      const { tree } = await checkMerge(ctx, plan);
      const result = await mergePlan(ctx, plan, { strategy: 'rebase' });
      assert.strictEqual(git(repo.main, 'rev-parse', 'main^{tree}'), tree);
      assert.strictEqual(git(repo.main, 'rev-list', '--merges', '--count', `${result.baseBefore}..main`), '0');
      assertCheckoutAt(repo.main, result.commit);
    }));

  it('commitUncommitted: commits the plan staged, unstaged and untracked changes first, then merges them too', () =>
    withRepo(async (repo) => {
      const plan = divergedPlan(repo);
      writeFiles(plan.path, { 'staged.txt': 'staged\n' });
      git(plan.path, 'add', 'staged.txt');
      writeFiles(plan.path, { 'feature.txt': 'feature, edited\n', 'new dir/untracked \u00fc.txt': 'untracked\n' });
      const files = hashTree(plan.path);
      const tipBefore = git(repo.main, 'rev-parse', plan.branch);
      const result = await mergePlan(await openContext(repo.main), plan, {
        strategy: 'merge',
        commitUncommitted: true,
      });
      assert.ok(result.committedUncommitted);
      assert.strictEqual(git(repo.main, 'rev-parse', plan.branch), result.committedUncommitted);
      assert.strictEqual(git(repo.main, 'rev-parse', `${plan.branch}^`), tipBefore);
      assert.strictEqual(git(repo.main, 'log', '-1', '--format=%P', 'main').split(' ')[1], result.committedUncommitted);
      assertCheckoutAt(plan.path, result.committedUncommitted as string);
      assert.strictEqual(hashTree(plan.path), files, "the plan's files are untouched");
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'new dir/untracked \u00fc.txt'), 'utf8'), 'untracked\n');
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'feature.txt'), 'utf8'), 'feature, edited\n');
    }));

  it('rebase with commitUncommitted: the uncommitted work is replayed too and the plan worktree ends clean on the result', () =>
    withRepo(async (repo) => {
      const plan = divergedPlan(repo);
      writeFiles(plan.path, { 'feature.txt': 'edited\n', 'untracked.txt': 'u\n' });
      const result = await mergePlan(await openContext(repo.main), plan, {
        strategy: 'rebase',
        commitUncommitted: true,
      });
      assert.strictEqual(git(repo.main, 'log', '-1', '--format=%s', 'main'), 'Plan 1: uncommitted changes');
      assertCheckoutAt(plan.path, result.commit);
      assertCheckoutAt(repo.main, result.commit);
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'untracked.txt'), 'utf8'), 'u\n');
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'README.md'), 'utf8'), '# demo, moved on\n');
    }));

  it('moves a base that is not checked out anywhere without touching any worktree', () =>
    withRepo(async (repo) => {
      git(repo.main, 'branch', 'develop');
      const plan = addPlan(repo, '4', { base: 'develop' });
      commitFiles(plan.path, { 'dev.txt': 'dev\n' });
      const mainFiles = hashTree(repo.main);
      const result = await mergePlan(await openContext(repo.main), plan, { strategy: 'merge' });
      assert.strictEqual(git(repo.main, 'rev-parse', 'develop'), result.commit);
      assert.strictEqual(git(repo.main, 'show', 'develop:dev.txt'), 'dev');
      assert.strictEqual(hashTree(repo.main), mainFiles);
    }));

  it('does nothing for a plan that is already merged', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '5');
      commitFiles(plan.path, { 'x.txt': 'x\n' });
      git(repo.main, 'merge', '-q', plan.branch);
      const before = fingerprint(repo.main);
      for (const strategy of ['merge', 'squash', 'fastForward', 'rebase'] as MergeStrategy[]) {
        const result = await mergePlan(await openContext(repo.main), plan, { strategy });
        assert.strictEqual(result.baseAfter, result.baseBefore, strategy);
      }
      assert.strictEqual(fingerprint(repo.main), before);
    }));

  it('a plan whose change the base has by another commit: a merge still joins its history, a squash has nothing to add', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '5');
      const change = commitFiles(plan.path, { 'x.txt': 'x\n' });
      const picked = commitFiles(repo.main, { 'x.txt': 'x\n' }, 'the same change, made on main');
      const squashed = await mergePlan(await openContext(repo.main), plan, { strategy: 'squash' });
      assert.strictEqual(squashed.baseAfter, picked, 'no squash commit that changes nothing');
      const merged = await mergePlan(await openContext(repo.main), plan, { strategy: 'merge' });
      assert.notStrictEqual(merged.baseAfter, picked);
      assert.deepStrictEqual(git(repo.main, 'rev-parse', `${merged.commit}^1`, `${merged.commit}^2`).split('\n'), [
        picked,
        change,
      ]);
      assert.strictEqual(
        git(repo.main, 'rev-parse', `${merged.commit}^{tree}`),
        git(repo.main, 'rev-parse', `${picked}^{tree}`),
      );
      assertCheckoutAt(repo.main, merged.commit);
    }));

  describe('refusals leave everything byte-for-byte unchanged', () => {
    for (const strategy of ['merge', 'squash', 'fastForward', 'rebase'] as MergeStrategy[]) {
      it(`MergeConflict (${strategy}) lists the conflicting files`, () =>
        withRepo(async (repo) => {
          const plan = addPlan(repo, '6');
          commitFiles(plan.path, { 'src/app.txt': 'plan\n', 'both added.txt': 'plan\n' });
          commitFiles(repo.main, { 'src/app.txt': 'main\n', 'both added.txt': 'main\n' });
          writeFiles(plan.path, { 'wip.txt': 'uncommitted, and asked to commit it\n' });
          const before = fingerprint(repo.main);
          await assert.rejects(
            mergePlan(await openContext(repo.main), plan, { strategy, commitUncommitted: true }),
            isCode(ErrorCode.MergeConflict, ['both added.txt', 'src/app.txt']),
          );
          assert.strictEqual(fingerprint(repo.main), before);
        }));
    }

    it('MergeConflict when replaying one commit conflicts although the whole merge would not (rebase)', () =>
      withRepo(async (repo) => {
        const plan = addPlan(repo, '7');
        commitFiles(plan.path, { 'src/app.txt': 'one\nTWO\nthree\n' }, 'shout');
        commitFiles(plan.path, { 'src/app.txt': 'one\ntwo\nthree\n', 'extra.txt': 'x\n' }, 'whisper again');
        commitFiles(repo.main, { 'src/app.txt': 'one\n2\nthree\n' }, 'main edits the same line');
        const before = fingerprint(repo.main);
        const ctx = await openContext(repo.main);
        assert.strictEqual((await checkMerge(ctx, plan)).clean, true);
        await assert.rejects(
          mergePlan(ctx, plan, { strategy: 'rebase' }),
          isCode(ErrorCode.MergeConflict, ['src/app.txt']),
        );
        assert.strictEqual(fingerprint(repo.main), before);
      }));

    it('RebaseChangesContent when the plan has a merge commit with changes of its own (an "evil merge"), which a rebase would drop', () =>
      withRepo(async (repo) => {
        const plan = addPlan(repo, '12');
        commitFiles(plan.path, { 'feature.txt': 'feature\n' }, 'feature');
        git(plan.path, 'branch', 'side', 'main');
        const side = path.join(repo.root, 'side');
        git(repo.main, 'worktree', 'add', '-q', side, 'side');
        commitFiles(side, { 'side.txt': 'side\n' }, 'side work');
        git(plan.path, 'merge', '-q', '--no-ff', '--no-commit', 'side');
        writeFiles(plan.path, {
          'feature.txt': 'feature, fixed while merging\n',
          'made in the merge.txt': 'only in the merge commit\n',
        });
        git(plan.path, 'add', '-A');
        git(plan.path, 'commit', '-q', '--no-edit');
        commitFiles(repo.main, { 'README.md': '# main moved on\n' }, 'main moves');
        const before = fingerprint(repo.main);
        const ctx = await openContext(repo.main);
        await assert.rejects(mergePlan(ctx, plan, { strategy: 'rebase' }), (e: unknown) => {
          isCode(ErrorCode.RebaseChangesContent, ['feature.txt', 'made in the merge.txt'])(e);
          return isPlanError(ErrorCode.RebaseChangesContent, { plan: plan.id, base: 'main' })(e);
        });
        assert.strictEqual(fingerprint(repo.main), before);
        assert.deepStrictEqual(await listSnapshots(ctx), [], 'no snapshot either');
        // A merge of the same commits keeps everything.
        const merged = await mergePlan(ctx, plan, { strategy: 'merge' });
        assert.strictEqual(
          fs.readFileSync(path.join(repo.main, 'made in the merge.txt'), 'utf8'),
          'only in the merge commit\n',
        );
        assertCheckoutAt(repo.main, merged.commit);
      }));

    it('PlanDirty lists the uncommitted files of the plan', () =>
      withRepo(async (repo) => {
        const plan = divergedPlan(repo);
        writeFiles(plan.path, { 'feature.txt': 'edited\n', 'new file.txt': 'new\n' });
        const before = fingerprint(repo.main);
        await assert.rejects(
          mergePlan(await openContext(repo.main), plan, { strategy: 'merge' }),
          isCode(ErrorCode.PlanDirty, ['feature.txt', 'new file.txt']),
        );
        assert.strictEqual(fingerprint(repo.main), before);
      }));

    it('BaseDirty for unstaged and for staged changes in the main checkout', () =>
      withRepo(async (repo) => {
        const plan = divergedPlan(repo);
        writeFiles(repo.main, { 'src/app.txt': 'unsaved work in main\n' });
        let before = fingerprint(repo.main);
        await assert.rejects(
          mergePlan(await openContext(repo.main), plan, { strategy: 'merge' }),
          isCode(ErrorCode.BaseDirty, ['src/app.txt']),
        );
        assert.strictEqual(fingerprint(repo.main), before);
        git(repo.main, 'add', 'src/app.txt');
        before = fingerprint(repo.main);
        await assert.rejects(
          mergePlan(await openContext(repo.main), plan, { strategy: 'squash' }),
          isCode(ErrorCode.BaseDirty, ['src/app.txt']),
        );
        assert.strictEqual(fingerprint(repo.main), before);
      }));

    it('BaseDirty for an untracked file in the main checkout that the merge would overwrite', () =>
      withRepo(async (repo) => {
        const plan = divergedPlan(repo);
        writeFiles(repo.main, {
          'feature.txt': 'my own untracked file\n',
          docs: 'a file where the plan has a folder\n',
          'unrelated.txt': 'stays\n',
        });
        const before = fingerprint(repo.main);
        await assert.rejects(
          mergePlan(await openContext(repo.main), plan, { strategy: 'merge' }),
          isCode(ErrorCode.BaseDirty, ['docs', 'feature.txt']),
        );
        assert.strictEqual(fingerprint(repo.main), before);
      }));

    for (const strategy of ['merge', 'squash', 'fastForward', 'rebase'] as MergeStrategy[]) {
      it(`BaseDirty (${strategy}) for ignored files of the main checkout that the plan tracks (.gitignore and info/exclude), before anything moves`, () =>
        withRepo(async (repo) => {
          commitFiles(repo.main, { '.gitignore': '*.local\n' }, 'ignore local files');
          fs.appendFileSync(path.join(repo.main, '.git', 'info', 'exclude'), 'build/\n');
          const plan = addPlan(repo, '8');
          writeFiles(plan.path, {
            'secrets.local': 'from the plan\n',
            'build/out.js': 'from the plan\n',
            'build/new.js': 'new\n',
            'plain.txt': 'plain\n',
          });
          git(plan.path, 'add', '-f', 'secrets.local', 'build/out.js', 'build/new.js', 'plain.txt');
          git(plan.path, 'commit', '-q', '-m', 'the plan tracks files main ignores');
          if (strategy !== 'fastForward') commitFiles(repo.main, { 'README.md': '# main moved on\n' }, 'main moves');
          // The main checkout's own ignored files: a rotated secret, a build output; build/new.js is not there.
          writeFiles(repo.main, {
            'secrets.local': 'my secret\n',
            'build/out.js': 'my build\n',
            'build/keep.js': 'stays\n',
          });
          const before = fingerprint(repo.main);
          await assert.rejects(mergePlan(await openContext(repo.main), plan, { strategy }), (e: unknown) => {
            isCode(ErrorCode.BaseDirty, ['build/out.js', 'secrets.local'])(e);
            return isPlanError(ErrorCode.BaseDirty, { reason: 'untrackedInTheWay', path: repo.main })(e);
          });
          assert.strictEqual(fingerprint(repo.main), before);
          assert.strictEqual(fs.readFileSync(path.join(repo.main, 'secrets.local'), 'utf8'), 'my secret\n');

          // Once they are out of the way, the same merge goes through; an ignored folder the plan adds a new file to is no obstacle.
          fs.rmSync(path.join(repo.main, 'secrets.local'));
          fs.rmSync(path.join(repo.main, 'build/out.js'));
          const result = await mergePlan(await openContext(repo.main), plan, { strategy });
          assertCheckoutAt(repo.main, result.commit);
          assert.strictEqual(fs.readFileSync(path.join(repo.main, 'build/keep.js'), 'utf8'), 'stays\n');
          assert.strictEqual(fs.readFileSync(path.join(repo.main, 'secrets.local'), 'utf8'), 'from the plan\n');
        }));
    }

    it('BaseDirty for an ignored file where the plan has a folder, and for ignored files in a folder where the plan has a file', () =>
      withRepo(async (repo) => {
        fs.appendFileSync(path.join(repo.main, '.git', 'info', 'exclude'), 'cache\nlogs/\n');
        const plan = addPlan(repo, '9');
        writeFiles(plan.path, { 'cache/index.txt': 'plan\n', logs: 'a file named logs\n' });
        git(plan.path, 'add', '-f', 'cache/index.txt', 'logs');
        git(plan.path, 'commit', '-q', '-m', 'folders and files');
        writeFiles(repo.main, { cache: 'an ignored file\n', 'logs/today.log': 'an ignored log\n' });
        const before = fingerprint(repo.main);
        await assert.rejects(
          mergePlan(await openContext(repo.main), plan, { strategy: 'merge' }),
          isCode(ErrorCode.BaseDirty, ['cache', 'logs/today.log']),
        );
        assert.strictEqual(fingerprint(repo.main), before);
      }));

    it("BaseDirty (rebase) for an ignored file of the plan's worktree that the base's new commits track", () =>
      withRepo(async (repo) => {
        fs.appendFileSync(path.join(repo.main, '.git', 'info', 'exclude'), '*.local\n');
        const plan = addPlan(repo, '10');
        commitFiles(plan.path, { 'feature.txt': 'feature\n' }, 'plan work');
        writeFiles(plan.path, { 'settings.local': "the plan's own settings\n" });
        writeFiles(repo.main, { 'settings.local': 'shared settings\n' });
        git(repo.main, 'add', '-f', 'settings.local');
        git(repo.main, 'commit', '-q', '-m', 'main tracks settings.local');
        const before = fingerprint(repo.main);
        await assert.rejects(mergePlan(await openContext(repo.main), plan, { strategy: 'rebase' }), (e: unknown) => {
          isCode(ErrorCode.BaseDirty, ['settings.local'])(e);
          return isPlanError(ErrorCode.BaseDirty, { reason: 'untrackedInTheWay', path: plan.path })(e);
        });
        assert.strictEqual(fingerprint(repo.main), before);
        assert.strictEqual(
          fs.readFileSync(path.join(plan.path, 'settings.local'), 'utf8'),
          "the plan's own settings\n",
        );
      }));

    it('MergeInProgress when the main checkout is in the middle of a merge', () =>
      withRepo(async (repo) => {
        const plan = divergedPlan(repo);
        git(repo.main, 'checkout', '-q', '-b', 'other', 'main~1');
        commitFiles(repo.main, { 'README.md': 'other\n' });
        git(repo.main, 'checkout', '-q', 'main');
        git(repo.main, 'merge', '-q', '--no-commit', '--no-ff', '-s', 'ours', 'other');
        assert.ok(fs.existsSync(path.join(repo.main, '.git', 'MERGE_HEAD')));
        const before = fingerprint(repo.main);
        await assert.rejects(
          mergePlan(await openContext(repo.main), plan, { strategy: 'merge' }),
          isCode(ErrorCode.MergeInProgress),
        );
        assert.strictEqual(fingerprint(repo.main), before);
      }));

    it('MergeInProgress when the base branch is being rebased (its HEAD is detached meanwhile)', () =>
      withRepo(async (repo) => {
        const plan = divergedPlan(repo);
        git(repo.main, 'checkout', '-q', '-b', 'other', 'main~1');
        commitFiles(repo.main, { 'README.md': 'other\n' });
        git(repo.main, 'checkout', '-q', 'main');
        assert.strictEqual(gitMayFail(repo.main, 'rebase', 'other').ok, false, 'the rebase stops on a conflict');
        assert.strictEqual(gitMayFail(repo.main, 'symbolic-ref', '-q', 'HEAD').ok, false);
        const before = fingerprint(repo.main);
        await assert.rejects(
          mergePlan(await openContext(repo.main), plan, { strategy: 'merge' }),
          isCode(ErrorCode.MergeInProgress),
        );
        assert.strictEqual(fingerprint(repo.main), before);
      }));

    it('MergeInProgress when the plan branch is being rebased in its own worktree; not for a rebase in a worktree whose folder is gone', () =>
      withRepo(async (repo) => {
        const plan = divergedPlan(repo);
        // An interactive rebase that stops at the first commit ("edit"): HEAD is detached meanwhile.
        execFileSync('git', ['rebase', '-q', '-i', 'main'], {
          cwd: plan.path,
          env: { ...process.env, GIT_SEQUENCE_EDITOR: "sed -i -e 's/^pick/edit/'" },
          stdio: 'ignore',
        });
        assert.strictEqual(gitMayFail(plan.path, 'symbolic-ref', '-q', 'HEAD').ok, false);
        const before = fingerprint(repo.main);
        await assert.rejects(mergePlan(await openContext(repo.main), plan, { strategy: 'merge' }), (e: unknown) => {
          return isPlanError(ErrorCode.MergeInProgress, { reason: 'inFolder', operation: 'rebase', path: plan.path })(
            e,
          );
        });
        assert.strictEqual(fingerprint(repo.main), before);

        const other = addPlan(repo, '2');
        fs.rmSync(plan.path, { recursive: true });
        const result = await mergePlan(await openContext(repo.main), { ...other, base: 'main' }, { strategy: 'merge' });
        assert.strictEqual(result.baseAfter, result.baseBefore, 'a plan with nothing to merge');
      }));

    it('NotFastForward when main has moved on', () =>
      withRepo(async (repo) => {
        const plan = divergedPlan(repo);
        const before = fingerprint(repo.main);
        await assert.rejects(
          mergePlan(await openContext(repo.main), plan, { strategy: 'fastForward' }),
          isCode(ErrorCode.NotFastForward),
        );
        assert.strictEqual(fingerprint(repo.main), before);
      }));

    it('BaseMoved when someone commits on the base between the check and the move (compare-and-swap)', () =>
      withRepo(async (repo) => {
        const plan = divergedPlan(repo);
        const racing = new RacingGit(repo.main);
        const ctx = await openContext(repo.main, racing);
        await assert.rejects(mergePlan(ctx, plan, { strategy: 'merge' }), isCode(ErrorCode.BaseMoved));
        assert.ok(racing.fingerprintAfterRace);
        assert.strictEqual(fingerprint(repo.main), racing.fingerprintAfterRace, 'only the other commit happened');
      }));

    it('BaseMoved (rebase): the snapshot taken before the branches move is deleted again', () =>
      withRepo(async (repo) => {
        const plan = divergedPlan(repo);
        const racing = new RacingGit(repo.main);
        const ctx = await openContext(repo.main, racing);
        await assert.rejects(mergePlan(ctx, plan, { strategy: 'rebase' }), isCode(ErrorCode.BaseMoved));
        assert.match(
          racing.fingerprintAfterRace ?? '',
          /refs\/plan-worktrees\/snapshots\/1\//,
          'the snapshot was there while the merge ran',
        );
        assert.strictEqual(
          fingerprint(repo.main),
          racing.fingerprintAfterRace?.replace(/^refs\/plan-worktrees\/.*\n/m, ''),
          'only the other commit happened',
        );
        assert.strictEqual(git(repo.main, 'for-each-ref', 'refs/plan-worktrees/'), '');
      }));

    it('BranchNotFound for a plan whose base branch is gone', () =>
      withRepo(async (repo) => {
        const plan = divergedPlan(repo);
        const before = fingerprint(repo.main);
        await assert.rejects(
          mergePlan(await openContext(repo.main), { ...plan, base: 'gone' }, { strategy: 'merge' }),
          isCode(ErrorCode.BranchNotFound),
        );
        assert.strictEqual(fingerprint(repo.main), before);
      }));

    it('GitTooOld with a clear message, from a wrapper script that answers like git 2.37 for merge-tree --write-tree', () =>
      withRepo(async (repo) => {
        const plan = divergedPlan(repo);
        const oldGit = path.join(repo.root, 'old-git');
        fs.writeFileSync(
          oldGit,
          '#!/bin/sh\n' +
            '# Answers like git before 2.38 for "merge-tree --write-tree"; everything else goes to the real git.\n' +
            'if [ "$1" = "merge-tree" ] && [ "$2" = "--write-tree" ]; then\n' +
            '  echo "usage: git merge-tree <base-tree> <branch1> <branch2>" >&2\n' +
            '  exit 129\n' +
            'fi\n' +
            'exec git "$@"\n',
          { mode: 0o755 },
        );
        const before = fingerprint(repo.main);
        const ctx = await openContext(repo.main, new Git({ path: oldGit }));
        for (const run of [() => checkMerge(ctx, plan), () => mergePlan(ctx, plan, { strategy: 'merge' })]) {
          await assert.rejects(run(), (e: unknown) => {
            // The merge-tree command knows this failure (src/git/commands/mergeTree.ts): a git-level error, its words made there.
            return isError(e, ErrorCode.GitTooOld) && /merge-tree --write-tree.*2\.38/.test(e.message);
          });
        }
        assert.strictEqual(fingerprint(repo.main), before);
      }));
  });
});

/** The main checkout has the base checked out, clean, with an ignored file; the plan has one commit, and the base one of its own unless the merge is a fast-forward. */
function readyToMerge(repo: TestRepo, strategy: MergeStrategy): PlanRecord {
  commitFiles(repo.main, { '.gitignore': '.env\n' }, 'ignore .env');
  writeFiles(repo.main, { '.env': 'SECRET=1\n' });
  const plan = addPlan(repo, '1');
  commitFiles(plan.path, { 'feature.txt': 'feature\n' }, 'add feature');
  if (strategy !== 'fastForward') commitFiles(repo.main, { 'README.md': '# demo, moved on\n' }, 'main moves');
  return plan;
}

/** A FaultyGit that knows how many of its processes are running. */
class CountingFaultyGit extends FaultyGit {
  active = 0;
  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    this.active++;
    try {
      return await super.exec(args, options);
    } finally {
      this.active--;
    }
  }
}

describe('a failure at any git process of a merge without uncommitted work (the pre-check and the build run side by side)', () => {
  for (const strategy of ['merge', 'squash', 'fastForward', 'rebase'] as MergeStrategy[]) {
    it(`${strategy}: leaves everything as it was, with no git process left running, whichever process fails`, async function () {
      this.timeout(300_000);
      const faults = new FaultInjector();
      for (let n = 1; ; n++) {
        const done = await withRepo(async (repo) => {
          const plan = readyToMerge(repo, strategy);
          const runner = new CountingFaultyGit(faults);
          const ctx = await openContext(repo.main, runner);
          const before = fingerprint(repo.main);
          faults.arm(n, 'before');
          let failure: unknown;
          const result = await mergePlan(ctx, plan, { strategy }).catch((e: unknown) => {
            failure = e;
            return undefined;
          });
          if (!faults.injected) {
            assert.ok(result && n > 5, `the merge without a fault: ${String(failure)}`);
            return true;
          }
          const context = `failure ${faults.injected} of ${faults.steps.join(', ')}`;
          if (result) {
            // A status read on a guess that failed is read again.
            assert.strictEqual(git(repo.main, 'rev-parse', 'main'), result.baseAfter, context);
            assertCheckoutAt(repo.main, result.baseAfter);
            return false;
          }
          assert.match(String(failure), /Injected failure/, context);
          assert.strictEqual(runner.active, 0, `${context}: a git process outlives the merge`);
          assert.strictEqual(fingerprint(repo.main), before, `${context}: something changed`);
          return false;
        });
        if (done) break;
      }
    });
  }
});

/** A git runner that, as its first `merge-tree` is asked for, first runs `moveBranch` (once, synchronously: before any other process starts). */
class MovingGit extends Git {
  private moved = false;
  readonly mergeTrees: string[][] = [];

  constructor(private readonly moveBranch: () => void) {
    super();
  }

  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    if (args[0] === 'merge-tree') {
      this.mergeTrees.push(args.slice(-2));
      if (!this.moved) {
        this.moved = true;
        this.moveBranch();
      }
    }
    return super.exec(args, options);
  }
}

describe('a merge whose branches move while its pre-check starts on the commits their files name', () => {
  for (const strategy of ['merge', 'squash'] as MergeStrategy[]) {
    for (const moved of ['base', 'plan'] as const) {
      it(`${strategy}: the ${moved} branch's new commit is in the result, not only its parent's files`, () =>
        withRepo(async (repo) => {
          const plan = readyToMerge(repo, strategy);
          const before = { base: git(repo.main, 'rev-parse', 'main'), plan: git(plan.path, 'rev-parse', 'HEAD') };
          // Between the read of the files (the guess) and git's answer: a commit on the branch, with a file of its own.
          const folder = moved === 'base' ? repo.main : plan.path;
          const runner = new MovingGit(() =>
            commitFiles(folder, { [`late-${moved}.txt`]: `late ${moved} work\n` }, 'late'),
          );
          const ctx = await openContext(repo.main, runner);
          const result = await mergePlan(ctx, plan, { strategy });
          const now = { base: result.baseBefore, plan: git(plan.path, 'rev-parse', 'HEAD') };
          assert.notStrictEqual(now[moved], before[moved], 'the branch moved');
          assert.strictEqual(git(repo.main, 'show', `${result.commit}:late-${moved}.txt`), `late ${moved} work`);
          assert.strictEqual(
            fs.readFileSync(path.join(repo.main, `late-${moved}.txt`), 'utf8'),
            `late ${moved} work\n`,
          );
          assert.strictEqual(fs.readFileSync(path.join(repo.main, 'feature.txt'), 'utf8'), 'feature\n');
          // The pre-check started on the old commits was not used: merge-tree ran again on the new ones.
          assert.deepStrictEqual(runner.mergeTrees, [
            [before.base, before.plan],
            [now.base, now.plan],
          ]);
          assertCheckoutAt(repo.main, result.commit);
          // A squash's message lists the plan's commits as they are now.
          if (strategy === 'squash' && moved === 'plan') {
            assert.match(git(repo.main, 'log', '-1', '--format=%B', result.commit), /^- [0-9a-f]+ late$/m);
          }
          if (strategy === 'merge') {
            assert.deepStrictEqual(
              git(repo.main, 'rev-parse', `${result.commit}^1`, `${result.commit}^2`).split('\n'),
              [now.base, now.plan],
            );
          }
        }));
    }
  }
});

describe('the git processes of a merge', () => {
  // readyToMerge: the merge looks for ignored files in the main checkout's way. The worktrees are read from git's files.
  const expected: Record<MergeStrategy, string[][]> = {
    // The pre-check (and a squash's list of commits) starts beside the reads, on the commits git's files name; the
    // statuses of the plan's and the base's checkouts read the refs (no for-each-ref).
    merge: [['merge-tree', 'status', 'status'], ['commit-tree', 'diff'], ['update-ref'], ['read-tree']],
    squash: [['log', 'merge-tree', 'status', 'status'], ['commit-tree', 'diff'], ['update-ref'], ['read-tree']],
    fastForward: [['for-each-ref', 'status', 'status'], ['merge-base'], ['diff'], ['update-ref'], ['read-tree']],
    // One commit replayed (commit-tree, merge-tree, commit-tree), the snapshot of the plan (no flagged entry: the index
    // file says so, no `ls-files -v`), then both branches moved.
    rebase: [
      ['for-each-ref', 'status', 'status'],
      ['merge-base', 'merge-tree'],
      ['diff', 'log'],
      ['commit-tree'],
      ['merge-tree'],
      ['commit-tree'],
      ['status'],
      ['rev-parse'],
      ['write-tree'],
      ['add'],
      ['write-tree'],
      ['commit-tree'],
      ['update-ref'],
      ['update-ref'],
      ['read-tree'],
      ['update-ref'],
      ['read-tree'],
    ],
  };
  for (const strategy of ['merge', 'squash', 'fastForward', 'rebase'] as MergeStrategy[]) {
    const rounds = expected[strategy];
    const processes = rounds.flat().length;
    it(`${strategy}: ${processes} git processes in ${rounds.length} rounds, and the merge done`, () =>
      withRepo(async (repo) => {
        const plan = readyToMerge(repo, strategy);
        const runner = new RoundGit();
        const ctx = await openContext(repo.main, runner);
        runner.rounds.length = 0;
        const result = await mergePlan(ctx, plan, { strategy });
        assert.deepStrictEqual(runner.rounds, rounds);
        assert.notStrictEqual(result.baseAfter, result.baseBefore);
        assertCheckoutAt(repo.main, result.baseAfter, []);
        assert.strictEqual(fs.readFileSync(path.join(repo.main, 'feature.txt'), 'utf8'), 'feature\n');
        assert.strictEqual(fs.readFileSync(path.join(repo.main, '.env'), 'utf8'), 'SECRET=1\n');
      }));
  }
});

describe('the worktree list of a merge', () => {
  /** A runner that lists the subcommands in the order they are asked for. */
  class OrderGit extends Git {
    readonly asked: string[] = [];
    override exec(args: string[], options: ExecOptions): Promise<ExecResult> {
      this.asked.push(args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c') ?? args[0]);
      return super.exec(args, options);
    }
  }

  it('is read once the first processes have started (here by git: a stray file among its admin folders), and the merge done', () =>
    withRepo(async (repo) => {
      const plan = readyToMerge(repo, 'merge');
      // Not as a finished `git worktree add` leaves it: the files are not taken as the list, git lists the worktrees.
      fs.writeFileSync(path.join(repo.main, '.git', 'worktrees', 'stray'), 'not a worktree\n');
      const runner = new OrderGit();
      const ctx = await openContext(repo.main, runner);
      runner.asked.length = 0;
      const result = await mergePlan(ctx, plan, { strategy: 'merge' });
      assert.deepStrictEqual(runner.asked.slice(0, 4), ['merge-tree', 'status', 'status', 'worktree']);
      assertCheckoutAt(repo.main, result.baseAfter, []);
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'feature.txt'), 'utf8'), 'feature\n');
    }));
});
