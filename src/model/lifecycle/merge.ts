/**
 * Merging a plan into its base branch, without ever checking anything out.
 *
 * Everything is decided before anything moves: conflicts first
 * (`merge-tree --write-tree`), then the plan's uncommitted work, then the
 * base's worktree (a merge or rebase in progress, uncommitted changes,
 * untracked or ignored files the merge would overwrite). The new commits are
 * built with `merge-tree` and `commit-tree` (a rebase too, commit by commit,
 * and refused when its files differ from the merge's: content never changes
 * with the strategy), and
 * the base branch moves by compare-and-swap (`update-ref <ref> <new> <old>`),
 * so a base that moved since the check is refused with nothing changed. When
 * the base is checked out in a clean worktree, that worktree's index and files
 * follow (`read-tree -m -u <old> <new>`; its untracked and ignored files
 * stay: a merge that would overwrite one is refused, naming it, because git
 * itself treats ignored files as disposable).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ChangedPath, diffNames, diffNameStatus } from '../../git/commands/diff';
import { GitAt } from '../../git/commands/git';
import { checkoutIndex, indexFile, refreshIndex } from '../../git/commands/gitIndex';
import { changedPaths, commitList, commitsToReplay, isAncestor } from '../../git/commands/log';
import { mergeTree, MergeTreeResult } from '../../git/commands/mergeTree';
import { commitTree as writeCommit, Identity, readBlob, readTree, readTreeUpdate } from '../../git/commands/objects';
import { hasReason } from '../../git/commands/reasons';
import { deleteRef, updateRef } from '../../git/commands/refs';
import { status, StatusFlags } from '../../git/commands/status';
import { GitOperation, operationsInProgress } from '../../git/operation';
import { statusPaths, StatusSummary } from '../../git/status';
import { branchCommitOnDisk, rebasesInProgress } from '../../git/worktreeFiles';
import { DomainCode, ErrorCode, PlanError } from '../engine/errors';
import { WorktreeEntry } from '../../git/worktreeList';
import { allInOrder } from '../engine/async';
import { findMergeBase, MergeTarget, qualifyBranch, readRefs } from '../state/merged';
import { samePath } from '../engine/names';
import { worktreesNow } from '../engine/repository';
import { commitWorktree, WorktreeCommit, writeSnapshot } from './snapshot';
import { PlanRecord, RepoContext } from '../engine/types';

export type MergeStrategy = 'merge' | 'squash' | 'fastForward' | 'rebase';

export interface MergeCheck {
  /** True when the plan merges into the base without conflicts. */
  clean: boolean;
  /** Conflicting paths, sorted. */
  conflicts: string[];
  baseCommit: string;
  planCommit: string;
  mergeBase: string;
  /** The merged tree, when clean. */
  tree?: string;
}

export interface MergeOptions {
  strategy: MergeStrategy;
  /** Commit the plan's uncommitted changes (tracked and untracked) on its branch first, instead of refusing. */
  commitUncommitted?: boolean;
  /** The commit message of the merge or squash commit, instead of the default. */
  message?: string;
  /** The squash commit's first line instead of `squashSubject(plan)`; the list of squashed commits stays below it. */
  subject?: string;
  /** Cancels the merge up to the moment the base branch moves. */
  signal?: AbortSignal;
}

export interface MergeResult {
  strategy: MergeStrategy;
  baseBefore: string;
  /** Equal to baseBefore when there was nothing to merge. */
  baseAfter: string;
  /** The commit the base now points to: the merge or squash commit, the plan's tip, or the rebased tip. */
  commit: string;
  /** The commit made of the plan's uncommitted changes, when `commitUncommitted` was needed. */
  committedUncommitted?: string;
  /** The snapshot of the plan taken before a rebase moved its branch (`refs/plan-worktrees/snapshots/...`). */
  snapshot?: string;
}

/** Whether the plan's branch merges cleanly into its base; changes nothing. */
export async function checkMerge(ctx: RepoContext, plan: PlanRecord): Promise<MergeCheck> {
  const { tip, base } = await readPlanRefs(ctx, plan);
  return checkCommits(ctx, base.oid, tip.oid);
}

/**
 * Merges the plan into its base with the given strategy. Throws, leaving
 * everything as it was: MergeConflict, PlanDirty, MergeInProgress, BaseDirty,
 * NotFastForward, RebaseChangesContent, BaseMoved, PlanMoved, GitTooOld. With
 * `commitUncommitted`, the plan's uncommitted changes become a commit on its
 * branch, made only once the merge has succeeded. Before a rebase moves the
 * plan's branch, the plan is kept as a snapshot (deleted again if the merge fails).
 * `recorded`: a write begun beside the checks (the engine's `merge.before`
 * event), waited for before anything moves; its failure is the merge's, with
 * nothing moved.
 */
export async function mergePlan(
  ctx: RepoContext,
  plan: PlanRecord,
  options: MergeOptions,
  recorded?: Promise<unknown>,
): Promise<MergeResult> {
  if (options.subject !== undefined && (options.subject.trim() === '' || /[\r\n]/.test(options.subject))) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'subject' });
  }
  const signal = options.signal;
  const { tip, base, planWorktree, baseWorktree, pending, next } = await decide(ctx, plan, options);
  const planAfter = next.plan ?? pending?.commit;
  await recorded;
  if (signal?.aborted) {
    throw new PlanError(ErrorCode.Cancelled, { reason: 'merge' });
  }

  // The point of no return: from here on, every step that fails undoes the ones before it.
  // A rebase rewrites the plan's branch: the plan as it is now is kept first.
  const snapshot = next.plan
    ? await writeSnapshot(ctx, { ...plan, path: planWorktree?.path ?? plan.path }, 'before a rebase merge', {
        ignoredFiles: false,
      })
    : undefined;
  try {
    // The base's `status` has just refreshed its index: its files move without an `update-index --refresh` first.
    if (next.base !== base.oid) {
      await moveBase(ctx, plan, base.ref, base.oid, next.base, baseWorktree?.entry.path, true);
    }
    if (planAfter) {
      try {
        await movePlan(ctx, plan, tip.ref, tip.oid, pending?.commit ?? tip.oid, planAfter, planWorktree?.path);
      } catch (e) {
        if (next.base !== base.oid) await moveBase(ctx, plan, base.ref, next.base, base.oid, baseWorktree?.entry.path);
        throw e;
      }
    }
  } catch (e) {
    if (snapshot) await deleteSnapshot(ctx, snapshot.ref, snapshot.commit);
    throw e;
  }
  ctx.log.info(
    `Merged plan ${plan.id} into ${plan.base} (${options.strategy}): ${base.oid.slice(0, 8)} → ${next.base.slice(0, 8)}`,
  );
  return {
    strategy: options.strategy,
    baseBefore: base.oid,
    baseAfter: next.base,
    commit: next.base,
    committedUncommitted: pending?.commit,
    snapshot: snapshot?.ref,
  };
}

/** A branch and its commit, with its tree when `for-each-ref` read them (a status names the commit only). */
type Target = Omit<MergeTarget, 'tree'> & { tree?: string };

/** The tree of a branch read by `for-each-ref`: every strategy but a merge or a squash whose refs two statuses read. */
function treeOf(target: { tree?: string }): string {
  if (target.tree === undefined) throw new Error('The tree of a branch read by its status is not known');
  return target.tree;
}

/** What the merge decided before anything moves: the new commits exist, no ref points to them yet. */
interface Decided {
  tip: Target;
  base: Target;
  planWorktree?: WorktreeEntry;
  baseWorktree?: BaseWorktree;
  /** The plan's uncommitted work as a commit, when `commitUncommitted` found some. */
  pending?: WorktreeCommit;
  /** Where the base goes (and the plan, for a rebase). */
  next: { base: string; plan?: string };
}

/**
 * Every check of the merge and the commits it makes, before anything moves;
 * throws the first refusal. Nothing it started is left running when it throws.
 */
async function decide(ctx: RepoContext, plan: PlanRecord, options: MergeOptions): Promise<Decided> {
  const started: Started = { running: [] };
  try {
    return await checkEverything(ctx, plan, options, started);
  } catch (e) {
    await Promise.all(started.running);
    throw e;
  }
}

/**
 * What the checks started ahead of the answers they wait for (the pre-check on the commits git's files name, the
 * build, the base's changes), each settled, never rejected: for `decide` to wait for when a check refuses.
 */
interface Started {
  running: Array<Promise<unknown>>;
}

/** The checks and the build of `decide`; `started` learns of a build begun before the checks are through. */
async function checkEverything(
  ctx: RepoContext,
  plan: PlanRecord,
  options: MergeOptions,
  started: Started,
): Promise<Decided> {
  const signal = options.signal;
  // Reads that do not depend on each other run at once; a failure is reported where the checks below come to it.
  // Both statuses start on a guess, checked against the worktree list (read again when wrong): the plan is checked out
  // where the registry says, and the base in the main worktree. Unless the plan's uncommitted work may join its
  // commits, their pre-check starts at once on the commits git's files name (used only if the refs name the same),
  // and the result is built from it once the refs are read; the changes the base's worktree will undergo are read
  // beside the build, once the worktree list says where the base is checked out. When the pre-check started so, the
  // refs are read by the two statuses themselves (the commit each worktree has checked out), else by `for-each-ref`.
  const guessed = options.commitUncommitted ? undefined : startGuessedMerge(ctx, plan, options);
  if (guessed) started.running.push(guessed.outcome, ...(guessed.message ? [guessed.message] : []));
  const byStatus = guessed !== undefined;
  const planGuessed = guessStatus(ctx, plan.path, planStatusFlags(options, byStatus), signal);
  const mainGuessed = ctx.repo.bare
    ? undefined
    : guessStatus(ctx, ctx.repo.mainPath, baseStatusFlags(byStatus), signal);
  // Git's files of every worktree are read (synchronously) once the processes above have started, while they run.
  const worktreesRead = ctx.git.afterStarts().then(() => worktreesNow(ctx));
  const refs = byStatus ? refsFromStatuses(ctx, plan, planGuessed, mainGuessed) : readPlanRefs(ctx, plan);
  const earlyRun = options.commitUncommitted
    ? undefined
    : refs
        .then(({ tip, base }) => checkAndBuild(ctx, plan, options, base, tip, started, guessed))
        .catch(() => undefined);
  const [{ tip, base }, worktrees, planGuess, mainGuess, early, baseChanges] = await allInOrder([
    refs,
    worktreesRead,
    planGuessed,
    mainGuessed,
    earlyRun,
    earlyRun &&
      Promise.all([earlyRun, refs, worktreesRead])
        .then(([early, { base }, worktrees]) =>
          startBaseChanges(ctx, options, early?.verdict, base, worktrees, started, early?.changes),
        )
        .catch(() => undefined),
  ]);
  const planWorktree = worktrees.find((w) => w.branch === tip.ref && fs.existsSync(w.path));
  const baseEntry = findBaseWorktree(worktrees, base.ref);
  const planStatus = planWorktree
    ? ((samePath(planWorktree.path, plan.path) ? planGuess : undefined) ??
      (await readStatus(ctx, planWorktree.path, planStatusFlags(options, false), signal)))
    : undefined;
  const pending =
    planWorktree && planStatus ? await pendingWork(ctx, plan, planWorktree.path, planStatus, options) : undefined;
  const planHead = pending ? { oid: pending.commit, tree: pending.tree } : tip;
  const verdict = early?.verdict ?? (await precheck(ctx, options.strategy, base, planHead, signal));
  refuseConflicts(plan, verdict);
  refuseOperationInProgress(ctx.repo.commonDir, worktrees, [base.ref, tip.ref]);
  const baseStatus = baseEntry
    ? ((samePath(baseEntry.path, ctx.repo.mainPath) ? mainGuess : undefined) ??
      (await readStatus(ctx, baseEntry.path, baseStatusFlags(false), signal)))
    : undefined;
  const baseWorktree = baseEntry && baseStatus ? checkBaseWorktree(baseEntry, baseStatus, base.ref) : undefined;
  // What would be overwritten in the base's worktree (and, for a rebase, the plan's) is looked for while the new
  // commits are made: the trees they will have are known from the pre-check.
  const after = treesAfter(options.strategy, verdict);
  const built = early?.built;
  const [next] = await allInOrder([
    built ? built.then(settledValue) : buildResult(ctx, plan, options, verdict, base),
    baseWorktree && after.base !== undefined
      ? refuseFilesInTheWay(ctx, baseWorktree.entry.path, base.oid, after.base, signal, baseChanges)
      : undefined,
    planWorktree && planStatus && after.plan !== undefined
      ? refuseOverwrite(ctx, planWorktree.path, planStatus, planHead.oid, after.plan, signal)
      : undefined,
  ]);
  // Never reached while treesAfter agrees with buildResult; a move it did not foresee is checked all the same.
  if (baseWorktree && next.base !== base.oid && after.base === undefined) {
    await refuseFilesInTheWay(ctx, baseWorktree.entry.path, base.oid, next.base, signal);
  }
  if (planWorktree && planStatus && next.plan && after.plan === undefined) {
    await refuseOverwrite(ctx, planWorktree.path, planStatus, planHead.oid, next.plan, signal);
  }
  // What was started ahead and not needed after all (the worktree list found the base elsewhere) ends before anything moves.
  await Promise.all(started.running);
  return { tip, base, planWorktree, baseWorktree, pending, next };
}

/** A `merge-tree` (and a squash's message) started on commits the refs are not yet known to name (see startGuessedMerge). */
interface GuessedMerge {
  baseCommit: string;
  planCommit: string;
  outcome: Promise<PromiseSettledResult<MergeTreeResult>>;
  message?: Promise<PromiseSettledResult<string>>;
}

/**
 * The pre-check of a merge or a squash (`merge-tree`, and the list of commits
 * of a squash's default message) started at once, beside the read of the
 * refs, on the commits git's files name for the base and the plan
 * (branchCommitOnDisk): used only if the refs name the same commits, run again
 * on theirs otherwise. Undefined for the other strategies, or when the files
 * do not tell.
 */
function startGuessedMerge(ctx: RepoContext, plan: PlanRecord, options: MergeOptions): GuessedMerge | undefined {
  if (options.strategy !== 'merge' && options.strategy !== 'squash') return undefined;
  const baseCommit = branchCommitOnDisk(ctx.repo.commonDir, qualifyBranch(plan.base));
  const planCommit = branchCommitOnDisk(ctx.repo.commonDir, qualifyBranch(plan.branch));
  if (!baseCommit || !planCommit) return undefined;
  return {
    baseCommit,
    planCommit,
    outcome: settle(runMergeTree(ctx, baseCommit, planCommit, options.signal)),
    message:
      options.strategy === 'squash' && options.message === undefined
        ? settle(squashMessage(ctx, plan, baseCommit, planCommit, options.subject))
        : undefined,
  };
}

/** Whether `guessed` was started on these very commits. */
function guessedRight(guessed: GuessedMerge | undefined, baseCommit: string, planCommit: string): boolean {
  return guessed !== undefined && guessed.baseCommit === baseCommit && guessed.planCommit === planCommit;
}

/** The changes (`diff`) between two commits, started ahead of the check that needs them. */
interface StartedChanges {
  from: string;
  to: string;
  changes: Promise<PromiseSettledResult<ChangedPath[]>>;
}

/**
 * The changes the base's worktree will undergo, read as soon as the pre-check
 * and the worktree list are known (beside the build of the new commit, not
 * after the base's status), or those the pre-check read already (`ahead`):
 * undefined when the base does not move or is not checked out.
 */
function startBaseChanges(
  ctx: RepoContext,
  options: MergeOptions,
  verdict: Verdict | undefined,
  base: Target,
  worktrees: WorktreeEntry[],
  started: Started,
  ahead?: StartedChanges,
): StartedChanges | undefined {
  const to = verdict && treesAfter(options.strategy, verdict).base;
  if (to === undefined || !findBaseWorktree(worktrees, base.ref)) return undefined;
  if (ahead && ahead.from === base.oid && ahead.to === to) return ahead;
  const changes = settle(diffNameStatus({ ...inRepo(ctx), signal: options.signal }, base.oid, to));
  started.running.push(changes);
  return { from: base.oid, to, changes };
}

/** Deletes the snapshot a failed merge took (only if it still points where it did); a failure to do so is only logged. */
async function deleteSnapshot(ctx: RepoContext, ref: string, commit: string): Promise<void> {
  try {
    await deleteRef(inRepo(ctx), ref, { expected: commit, message: 'plan-worktrees: merge failed' });
  } catch (e) {
    ctx.log.warn(`The snapshot ${ref}, taken before a rebase merge that failed, is left: ${(e as Error).message}`);
  }
}

/** The plan's branch tip and its base branch; BranchNotFound when either is gone. */
async function readPlanRefs(ctx: RepoContext, plan: PlanRecord): Promise<{ tip: MergeTarget; base: MergeTarget }> {
  const planRef = qualifyBranch(plan.branch);
  const baseRef = qualifyBranch(plan.base);
  const refs = await readRefs(ctx, [planRef, baseRef]);
  const tip = refs.get(planRef);
  const base = refs.get(baseRef);
  if (!tip) {
    throw new PlanError(ErrorCode.BranchNotFound, { reason: 'planBranch', plan: plan.id, branch: plan.branch });
  }
  if (!base) {
    throw new PlanError(ErrorCode.BranchNotFound, { reason: 'planBase', plan: plan.id, base: plan.base });
  }
  return { tip, base };
}

/**
 * The plan's tip and its base as git names them now, read by the statuses of
 * the worktrees they are checked out in (`# branch.head` and `# branch.oid`):
 * the plan where the registry says, the base in the main worktree. When
 * either is not so (or its status failed), `for-each-ref` reads them (readPlanRefs).
 */
async function refsFromStatuses(
  ctx: RepoContext,
  plan: PlanRecord,
  planStatus: Promise<StatusSummary | undefined> | undefined,
  mainStatus: Promise<StatusSummary | undefined> | undefined,
): Promise<{ tip: Target; base: Target }> {
  const tipRef = qualifyBranch(plan.branch);
  const baseRef = qualifyBranch(plan.base);
  const [tipOid, baseOid] = (await Promise.all([planStatus, mainStatus])).map((s, i) =>
    s?.branch.head !== undefined && qualifyBranch(s.branch.head) === [tipRef, baseRef][i] ? s.branch.oid : undefined,
  );
  if (tipOid === undefined || baseOid === undefined) return readPlanRefs(ctx, plan);
  return { tip: { ref: tipRef, oid: tipOid }, base: { ref: baseRef, oid: baseOid } };
}

/** The merge pre-check of two commits (`merge-tree --write-tree`): touches no ref, index or file. */
export async function checkCommits(
  ctx: RepoContext,
  baseCommit: string,
  planCommit: string,
  signal?: AbortSignal,
): Promise<MergeCheck> {
  // At once; unrelated histories are named as such, not by merge-tree's refusal of them.
  const [found, merging] = await Promise.allSettled([
    findMergeBase(ctx, planCommit, baseCommit),
    runMergeTree(ctx, baseCommit, planCommit, signal),
  ]);
  if (found.status === 'rejected') throw found.reason;
  const mergeBase = found.value;
  if (mergeBase === undefined) {
    throw new PlanError(ErrorCode.UnrelatedHistories, { baseCommit, planCommit });
  }
  if (merging.status === 'rejected') throw merging.reason;
  const merge = merging.value;
  return {
    clean: merge.clean,
    conflicts: merge.conflicts,
    baseCommit,
    planCommit,
    mergeBase,
    tree: merge.clean ? merge.tree : undefined,
  };
}

/**
 * Refuses (MergeConflict, naming the files) a plan whose commits conflict with
 * its base's, as the pre-check (`merge-tree`) found: before anything moves.
 */
export function refuseConflicts(
  plan: Pick<PlanRecord, 'id' | 'base'>,
  check: Pick<MergeCheck, 'clean' | 'conflicts'>,
): void {
  if (check.clean) return;
  throw new PlanError(ErrorCode.MergeConflict, {
    reason: 'check',
    plan: plan.id,
    base: plan.base,
    files: check.conflicts,
  });
}

/** The pre-check of a merge with one strategy: what it found, with only the git processes that strategy needs. */
interface Verdict {
  clean: boolean;
  /** Conflicting paths, sorted. */
  conflicts: string[];
  baseCommit: string;
  planCommit: string;
  /** The tree of the base once the plan is merged (with conflict markers when not clean). */
  tree: string;
  /** Nothing to merge: the plan's commits are in the base already (for a squash, their merge changes no file). */
  alreadyMerged: boolean;
  /** The base's commit is in the plan's history (known for a fast-forward and a rebase only). */
  fastForward: boolean;
}

/**
 * The pre-check of the plan's commits for `strategy`. A merge or a squash
 * needs only `merge-tree` (a merge that changes no file asks `merge-base
 * --is-ancestor` whether there is anything to merge; unrelated histories are
 * merge-tree's refusal); a fast-forward only `merge-base` while the base is in
 * the plan's history (merge-tree then, to name conflicts before the refusal);
 * a rebase both at once. Touches no ref, index or file.
 */
async function precheck(
  ctx: RepoContext,
  strategy: MergeStrategy,
  base: Target,
  plan: { oid: string; tree?: string },
  signal?: AbortSignal,
  guessed?: GuessedMerge,
): Promise<Verdict> {
  const commits = { baseCommit: base.oid, planCommit: plan.oid };
  if (strategy === 'merge' || strategy === 'squash') {
    const merge = await mergeTreeOf(ctx, base.oid, plan.oid, signal, guessed);
    const noChange =
      merge.clean &&
      (base.tree !== undefined
        ? merge.tree === base.tree
        : (await diffNameStatus({ ...inRepo(ctx), signal }, base.oid, merge.tree)).length === 0);
    return mergeVerdict(ctx, strategy, commits, merge, noChange, signal);
  }
  if (strategy === 'fastForward') {
    const mergeBase = await findMergeBase(ctx, plan.oid, base.oid);
    if (mergeBase === undefined) throw new PlanError(ErrorCode.UnrelatedHistories, commits);
    if (mergeBase === plan.oid || mergeBase === base.oid) {
      const alreadyMerged = mergeBase === plan.oid;
      const tree = alreadyMerged ? treeOf(base) : treeOf(plan);
      return { ...commits, clean: true, conflicts: [], tree, alreadyMerged, fastForward: !alreadyMerged };
    }
    const merge = await mergeTreeOf(ctx, base.oid, plan.oid, signal);
    return { ...commits, ...merge, alreadyMerged: false, fastForward: false };
  }
  const check = await checkCommits(ctx, base.oid, plan.oid, signal);
  return {
    ...commits,
    clean: check.clean,
    conflicts: check.conflicts,
    tree: check.tree ?? '',
    alreadyMerged: check.mergeBase === plan.oid,
    fastForward: check.mergeBase === base.oid,
  };
}

/**
 * The verdict of a merge or a squash from its `merge-tree`: nothing to merge
 * when it changes no file (`noChange`) and, for a merge, the plan's commit is
 * in the base's history already (`merge-base --is-ancestor`).
 */
async function mergeVerdict(
  ctx: RepoContext,
  strategy: MergeStrategy,
  commits: { baseCommit: string; planCommit: string },
  merge: MergeTreeResult,
  noChange: boolean,
  signal?: AbortSignal,
): Promise<Verdict> {
  const alreadyMerged =
    noChange &&
    (strategy === 'squash' || (await isAncestor({ ...inRepo(ctx), signal }, commits.planCommit, commits.baseCommit)));
  return { ...commits, ...merge, alreadyMerged, fastForward: false };
}

/**
 * `merge-tree` of the base and the plan (the one `guessed` started, when it
 * is of these very commits); two histories without a common commit are UnrelatedHistories.
 */
async function mergeTreeOf(
  ctx: RepoContext,
  baseCommit: string,
  planCommit: string,
  signal?: AbortSignal,
  guessed?: GuessedMerge,
): Promise<MergeTreeResult> {
  try {
    return guessed && guessedRight(guessed, baseCommit, planCommit)
      ? await settledValue(await guessed.outcome)
      : await runMergeTree(ctx, baseCommit, planCommit, signal);
  } catch (e) {
    if (hasReason(e, 'unrelated')) throw new PlanError(ErrorCode.UnrelatedHistories, { baseCommit, planCommit });
    throw e;
  }
}

/**
 * The trees the base and (for a rebase) the plan will have once the merge
 * is done, undefined for a branch that does not move, as buildResult decides:
 * every strategy gives the base the tree of the merge (a rebase whose tree
 * differs is refused).
 */
function treesAfter(strategy: MergeStrategy, verdict: Verdict): { base?: string; plan?: string } {
  if (!verdict.clean || verdict.alreadyMerged) return {};
  if (strategy === 'fastForward' && !verdict.fastForward) return {};
  return { base: verdict.tree, plan: strategy === 'rebase' && !verdict.fastForward ? verdict.tree : undefined };
}

/**
 * The pre-check of the plan's commits and, when it is clean, the result being
 * built from it (objects only; not for a rebase, which goes commit by commit):
 * given as soon as the pre-check is done, so the checks of the worktrees run
 * while the new commit is made. A failure to build waits, settled, for the
 * moment the merge comes to that step. When the base's tree is not known (its
 * checkout's status named its commit), whether the merge changes any file is
 * the answer of the diff of the base's files, made beside the build: a commit
 * built for a merge that changes nothing is left to no ref.
 */
async function checkAndBuild(
  ctx: RepoContext,
  plan: PlanRecord,
  options: MergeOptions,
  base: Target,
  tip: Target,
  started: Started,
  guessed?: GuessedMerge,
): Promise<{
  verdict: Verdict;
  built?: Promise<PromiseSettledResult<{ base: string; plan?: string }>>;
  changes?: StartedChanges;
}> {
  // A squash's message lists the plan's commits: read while merge-tree runs.
  const message =
    options.strategy === 'squash' && options.message === undefined
      ? ((guessedRight(guessed, base.oid, tip.oid) ? guessed?.message : undefined) ??
        settle(squashMessage(ctx, plan, base.oid, tip.oid, options.subject)))
      : undefined;
  const build = (verdict: Verdict) => {
    const built = settle(
      (async () => buildResult(ctx, plan, options, verdict, base, message ? settledValue(await message) : undefined))(),
    );
    started.running.push(built);
    return built;
  };
  // Nothing is left running when this settles without a build.
  let verdict: Verdict;
  let ahead: { changes: StartedChanges; built: ReturnType<typeof build> } | undefined;
  try {
    if (base.tree === undefined && (options.strategy === 'merge' || options.strategy === 'squash')) {
      // The base's tree is not known (its status named its commit): whether the merge changes any file is the answer
      // of the diff its worktree needs anyway, read while the merge's commit is made (left unused when none changes).
      const commits = { baseCommit: base.oid, planCommit: tip.oid };
      const merge = await mergeTreeOf(ctx, base.oid, tip.oid, options.signal, guessed);
      if (merge.clean) {
        const changes = settle(diffNameStatus({ ...inRepo(ctx), signal: options.signal }, base.oid, merge.tree));
        started.running.push(changes);
        const built = build({ ...commits, ...merge, alreadyMerged: false, fastForward: false });
        ahead = { changes: { from: base.oid, to: merge.tree, changes }, built };
        const noChange = (await settledValue(await changes)).length === 0;
        verdict = await mergeVerdict(ctx, options.strategy, commits, merge, noChange, options.signal);
      } else {
        verdict = { ...commits, ...merge, alreadyMerged: false, fastForward: false };
      }
    } else {
      verdict = await precheck(ctx, options.strategy, base, tip, options.signal, guessed);
    }
  } catch (e) {
    await message;
    throw e;
  }
  if (!verdict.clean || options.strategy === 'rebase') {
    await message;
    return { verdict };
  }
  return { verdict, built: ahead && !verdict.alreadyMerged ? ahead.built : build(verdict), changes: ahead?.changes };
}

/** A promise's outcome, never rejected. */
async function settle<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
  return (await Promise.allSettled([promise]))[0];
}

/** The value of a settled outcome, or its failure thrown. */
async function settledValue<T>(outcome: PromiseSettledResult<T>): Promise<T> {
  if (outcome.status === 'rejected') throw outcome.reason;
  return outcome.value;
}

/** `git merge-tree --write-tree`; a git that does not know it (before 2.38) gets GitTooOld. */
function runMergeTree(ctx: RepoContext, ours: string, theirs: string, signal?: AbortSignal): Promise<MergeTreeResult> {
  return mergeTree({ ...inRepo(ctx), signal }, ours, theirs);
}

/**
 * The plan's uncommitted work (`status` is its folder's) as a commit that no
 * ref points to yet, or undefined when there is none. Refused with PlanDirty
 * unless `commitUncommitted`.
 */
async function pendingWork(
  ctx: RepoContext,
  plan: PlanRecord,
  folder: string,
  status: StatusSummary,
  options: MergeOptions,
): Promise<WorktreeCommit | undefined> {
  const files = statusPaths(status);
  if (files.length === 0) return undefined;
  if (!options.commitUncommitted) {
    throw new PlanError(ErrorCode.PlanDirty, { reason: 'merge', plan: plan.id, files });
  }
  return commitWorktree(ctx, folder, `Plan ${plan.id}: uncommitted changes`);
}

/**
 * Refuses (MergeInProgress) a rebase of the base or the plan in any worktree
 * (which shows a detached HEAD meanwhile), and a merge, cherry-pick or revert
 * in progress in a worktree that has one of them checked out. Read from the
 * worktrees' git directories: no git process.
 */
function refuseOperationInProgress(commonDir: string, worktrees: WorktreeEntry[], refs: string[]): void {
  const found = rebaseInProgress(commonDir, worktrees, refs) ?? otherOperationInProgress(worktrees, refs);
  if (found) {
    throw new PlanError(ErrorCode.MergeInProgress, {
      reason: 'inFolder',
      operation: found.operation,
      path: found.folder,
    });
  }
}

/**
 * A rebase of one of `refs` in a worktree whose folder exists, read where git
 * keeps every worktree's git directory, not through each worktree's `.git`
 * file: a few file checks per worktree, at hundreds of them.
 */
function rebaseInProgress(
  commonDir: string,
  worktrees: WorktreeEntry[],
  refs: string[],
): { operation: string; folder: string } | undefined {
  const main = worktrees.find((w) => w.isMain && !w.bare)?.path;
  const found = rebasesInProgress(commonDir, main).find(
    (r) => refs.includes(r.ref) && r.folder !== undefined && fs.existsSync(r.folder),
  );
  return found?.folder !== undefined ? { operation: 'rebase', folder: found.folder } : undefined;
}

/** What a person reads for an operation other than a rebase. */
const operationWords: Partial<Record<GitOperation, string>> = {
  merge: 'merge',
  cherryPick: 'cherry-pick',
  revert: 'revert',
};

/** A merge, cherry-pick or revert in progress in a worktree that has one of `refs` checked out. */
function otherOperationInProgress(
  worktrees: WorktreeEntry[],
  refs: string[],
): { operation: string; folder: string } | undefined {
  for (const worktree of worktrees.filter((w) => w.branch !== undefined && refs.includes(w.branch) && !w.bare)) {
    const operation = operationsInProgress(worktree.path)
      .map((o) => operationWords[o])
      .find((o) => o !== undefined);
    if (operation) return { operation, folder: worktree.path };
  }
  return undefined;
}

/** The worktree that has the base checked out, with its status. */
interface BaseWorktree {
  entry: WorktreeEntry;
  status: StatusSummary;
}

/** The worktree the base branch is checked out in, if any. */
function findBaseWorktree(worktrees: WorktreeEntry[], baseRef: string): WorktreeEntry | undefined {
  return worktrees.find((w) => w.branch === baseRef && !w.bare && fs.existsSync(w.path));
}

/** The base's worktree; BaseDirty when its tracked files have uncommitted changes (`status` is its status). */
function checkBaseWorktree(entry: WorktreeEntry, status: StatusSummary, baseRef: string): BaseWorktree {
  const tracked = status.entries
    .filter((e) => e.kind === 'changed' || e.kind === 'renamed' || e.kind === 'unmerged')
    .map((e) => e.path);
  if (tracked.length > 0) {
    throw new PlanError(ErrorCode.BaseDirty, {
      reason: 'baseCheckout',
      path: entry.path,
      base: baseRef.replace(/^refs\/heads\//, ''),
      files: tracked,
    });
  }
  return { entry, status };
}

/** Where the base goes (and the plan, for a rebase); the new commits exist but no ref points to them yet. */
async function buildResult(
  ctx: RepoContext,
  plan: PlanRecord,
  options: MergeOptions,
  verdict: Verdict,
  base: Target,
  message?: Promise<string>,
): Promise<{ base: string; plan?: string }> {
  const { planCommit, baseCommit, alreadyMerged, fastForward, tree } = verdict;
  if (alreadyMerged) return { base: baseCommit };
  switch (options.strategy) {
    case 'fastForward':
      if (!fastForward) {
        throw new PlanError(ErrorCode.NotFastForward, { plan: plan.id, base: plan.base });
      }
      return { base: planCommit };
    case 'rebase': {
      if (fastForward) return { base: planCommit };
      const replayed = await replay(ctx, baseCommit, treeOf(base), planCommit, options.signal);
      if (replayed.tree !== tree) {
        await refuseChangedContent(ctx, plan, replayed.tree, tree, options.signal);
      }
      return { base: replayed.commit, plan: replayed.commit };
    }
    case 'squash':
      return {
        base: await commitTree(
          ctx,
          tree,
          [baseCommit],
          options.message ?? (await (message ?? squashMessage(ctx, plan, baseCommit, planCommit, options.subject))),
          options.signal,
        ),
      };
    case 'merge':
      return {
        base: await commitTree(
          ctx,
          tree,
          [baseCommit, planCommit],
          options.message ?? `Merge plan ${plan.id}: ${plan.title}`,
          options.signal,
        ),
      };
  }
}

/** `git commit-tree` (the message on stdin: only text, whatever it looks like); `author` sets who and when. */
function commitTree(
  ctx: RepoContext,
  tree: string,
  parents: string[],
  message: string,
  signal?: AbortSignal,
  author?: Identity,
): Promise<string> {
  return writeCommit({ ...inRepo(ctx), signal }, tree, parents, message, { author });
}

/** The default first line of a plan's squash commit. */
export function squashSubject(plan: PlanRecord): string {
  return `Plan ${plan.id}: ${plan.title}`;
}

/** The subject (`squashSubject` by default) and a body listing the squashed commits, oldest first. */
async function squashMessage(
  ctx: RepoContext,
  plan: PlanRecord,
  baseCommit: string,
  planCommit: string,
  subject = squashSubject(plan),
): Promise<string> {
  const commits = await commitList(inRepo(ctx), planCommit, baseCommit);
  return `${subject}\n\nSquashed commits:\n${commits}`;
}

/**
 * Replays the plan's commits onto the base, as `git rebase` would (its list of
 * commits: no merges, none whose change is already in the base; a commit that
 * ends up empty is dropped), with objects only: no worktree, index or hook is
 * involved (`ontoTree` is the tree of `onto`). Returns the new tip and its tree; a commit that conflicts on the way is a MergeConflict.
 *
 * Each commit C with parent P is applied onto X as a merge of X and C whose
 * merge-base is P: git 2.39's merge-tree has no `--merge-base`, so X is first
 * recorded as a child of P (a commit no ref will point to).
 */
async function replay(
  ctx: RepoContext,
  onto: string,
  ontoTree: string,
  tip: string,
  signal?: AbortSignal,
): Promise<{ commit: string; tree: string }> {
  const repo = { ...inRepo(ctx), signal };
  let current = onto;
  let currentTree = ontoTree;
  for (const commit of await commitsToReplay(repo, onto, tip)) {
    const asChildOfParent = await commitTree(ctx, currentTree, [commit.parent], 'plan-worktrees: replay step', signal);
    const merge = await runMergeTree(ctx, asChildOfParent, commit.oid, signal);
    if (!merge.clean) {
      throw new PlanError(ErrorCode.MergeConflict, {
        reason: 'replay',
        subject: commit.message.split('\n')[0],
        files: merge.conflicts,
      });
    }
    if (merge.tree === currentTree) continue;
    const author = {
      GIT_AUTHOR_NAME: commit.authorName,
      GIT_AUTHOR_EMAIL: commit.authorEmail,
      GIT_AUTHOR_DATE: commit.authorDate,
    };
    current = await commitTree(ctx, merge.tree, [current], commit.message, signal, author);
    currentTree = merge.tree;
  }
  return { commit: current, tree: currentTree };
}

/**
 * Refuses (RebaseChangesContent, naming the files) a rebase whose result has
 * other files than a merge of the same commits: the rebase would lose what
 * was done in the plan's merge commits (a conflict resolved, an edit made
 * while merging), which it does not replay.
 */
async function refuseChangedContent(
  ctx: RepoContext,
  plan: PlanRecord,
  replayed: string,
  merged: string,
  signal?: AbortSignal,
): Promise<never> {
  const files = await diffNames({ ...inRepo(ctx), signal }, replayed, merged);
  throw new PlanError(ErrorCode.RebaseChangesContent, { plan: plan.id, base: plan.base, files });
}

/**
 * Refuses (BaseDirty, naming them) moving a worktree's files from `from` to
 * `to` when that would overwrite or delete a file git does not track there:
 * an untracked or an ignored one (`read-tree -m -u` overwrites ignored files).
 * Its `status` (read with ignored files) says whether there are any; then one
 * `diff` finds the paths `to` adds, and the disk says what is in their way:
 * the path itself (a file, or a folder's files that `from` does not track) or
 * a file where `to` needs a folder.
 */
async function refuseOverwrite(
  ctx: RepoContext,
  folder: string,
  status: StatusSummary,
  from: string,
  to: string,
  signal?: AbortSignal,
): Promise<void> {
  if (status.entries.some((e) => e.kind === 'untracked' || e.kind === 'ignored')) {
    await refuseFilesInTheWay(ctx, folder, from, to, signal);
  }
}

/** Refuses (BaseDirty, naming them) moving `folder`'s files from `from` to `to` over files git does not track there; see refuseOverwrite. */
export async function refuseFilesInTheWay(
  ctx: RepoContext,
  folder: string,
  from: string,
  to: string,
  signal?: AbortSignal,
  started?: StartedChanges,
): Promise<void> {
  const changes =
    started && started.from === from && started.to === to
      ? await settledValue(await started.changes)
      : await diffNameStatus({ ...inRepo(ctx), signal }, from, to);
  const added = changes.filter((c) => c.status === 'A').map((c) => c.path);
  const removed = new Set(changes.filter((c) => c.status === 'D').map((c) => c.path));
  const inTheWay = new Set<string>();
  for (const file of added) for (const found of untrackedInTheWay(folder, file, removed)) inTheWay.add(found);
  if (inTheWay.size > 0) {
    const files = [...inTheWay].sort();
    throw new PlanError(ErrorCode.BaseDirty, { reason: 'untrackedInTheWay', path: folder, files });
  }
}

/**
 * What lies on disk where `file` is to be added, that git does not track
 * (`removed` are the tracked paths the move deletes): a file or link at one
 * of its parent folders, or at the path itself, or the files of a folder there.
 */
function untrackedInTheWay(folder: string, file: string, removed: Set<string>): string[] {
  const parts = file.split('/');
  for (let n = 1; n < parts.length; n++) {
    const parent = parts.slice(0, n).join('/');
    const stat = lstat(path.join(folder, parent));
    if (!stat) return [];
    if (stat.isDirectory()) continue;
    return removed.has(parent) ? [] : [parent];
  }
  const stat = lstat(path.join(folder, file));
  if (!stat) return [];
  if (!stat.isDirectory()) return [file];
  return filesUnder(folder, file).filter((f) => !removed.has(f));
}

/** The files (and links) under a folder of the worktree, as paths relative to it. */
function filesUnder(folder: string, dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(path.join(folder, dir), { withFileTypes: true })) {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) found.push(...filesUnder(folder, relative));
    else found.push(relative);
  }
  return found;
}

function lstat(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

/**
 * Moves the base branch from `from` to `to` by compare-and-swap (BaseMoved if
 * it is no longer at `from`), then brings its worktree's index and files along.
 * Also used backwards, to undo.
 */
async function moveBase(
  ctx: RepoContext,
  plan: PlanRecord,
  ref: string,
  from: string,
  to: string,
  worktree: string | undefined,
  indexFresh = false,
): Promise<void> {
  await compareAndSwap(ctx, ref, from, to, `plan-worktrees: merge plan ${plan.id}`, ErrorCode.BaseMoved);
  if (!worktree) return;
  try {
    await updateWorktree(ctx, worktree, from, to, indexFresh);
  } catch (e) {
    // The files read-tree wrote before it failed (a full disk) go back first: that frees the space the undo needs.
    await putBackFiles(ctx, worktree, from, to).catch((undoError: unknown) =>
      ctx.log.error(`Undoing merge plan ${plan.id}: ${(undoError as Error).message}`),
    );
    await compareAndSwap(ctx, ref, to, from, `plan-worktrees: undo merge plan ${plan.id}`, ErrorCode.BaseMoved);
    throw e;
  }
}

/**
 * After `read-tree -m -u from to` failed half-way: its index is still at
 * `from` (git writes it last, all at once), some files at `to`. Files it
 * added are removed, the others written from the index again; nothing else
 * is touched.
 */
async function putBackFiles(ctx: RepoContext, worktree: string, from: string, to: string): Promise<void> {
  const at = { git: ctx.git, cwd: worktree };
  const changes = await changedPaths(at, from, to);
  const added = changes.filter((c) => c.status === 'A').map((c) => c.path);
  const others = changes.filter((c) => c.status !== 'A').map((c) => c.path);
  // An added file is git's own (the merge refuses one that was there before): removed when it holds `to`'s content or the start
  // of it (written half-way, or created empty, when the disk filled).
  for (const file of added) {
    const full = path.join(worktree, file);
    if (!isPlainFile(full)) continue;
    const content = fs.readFileSync(full);
    const wanted = await readBlob(at, `${to}:${file}`);
    if (content.length <= wanted.length && wanted.subarray(0, content.length).equals(content)) {
      fs.rmSync(full, { force: true });
    }
  }
  if (others.length > 0) await checkoutIndex(at, others);
}

/**
 * Moves the plan branch from `from` to `to` (its committed uncommitted work,
 * or its rebased commits) and brings its worktree along: its files are at
 * `filesAt` (the old tip, or the commit made of them).
 */
async function movePlan(
  ctx: RepoContext,
  plan: PlanRecord,
  ref: string,
  from: string,
  filesAt: string,
  to: string,
  worktree: string | undefined,
): Promise<void> {
  await compareAndSwap(ctx, ref, from, to, `plan-worktrees: merge plan ${plan.id}`, ErrorCode.PlanMoved);
  if (!worktree) return;
  // `read-tree` replaces the worktree's index (what the user staged): a copy puts it back if a later step fails.
  let saved: { index: string; copy: string } | undefined;
  try {
    if (filesAt !== from) {
      saved = await copyIndex(ctx, worktree);
      await readTree({ git: ctx.git, cwd: worktree }, filesAt);
    }
    // The worktree's `status` has just refreshed its index, unless `read-tree` has just replaced it.
    await updateWorktree(ctx, worktree, filesAt, to, filesAt === from);
  } catch (e) {
    await compareAndSwap(ctx, ref, to, from, `plan-worktrees: undo merge plan ${plan.id}`, ErrorCode.PlanMoved);
    // Renamed back, not copied: that needs no space on a full disk.
    if (saved) fs.renameSync(saved.copy, saved.index);
    throw e;
  } finally {
    if (saved) fs.rmSync(saved.copy, { force: true });
  }
}

/** A copy of a worktree's index file, beside it. */
async function copyIndex(ctx: RepoContext, worktree: string): Promise<{ index: string; copy: string } | undefined> {
  const index = await indexFile({ git: ctx.git, cwd: worktree });
  if (!fs.existsSync(index)) return undefined;
  const copy = `${index}.plan-worktrees-${process.pid}`;
  fs.copyFileSync(index, copy);
  return { index, copy };
}

/**
 * The worktree's index and files from commit `from` to commit `to`; its
 * untracked files stay, and nothing of its own is overwritten. `read-tree`
 * refuses a file whose index entry is stale, so the index is refreshed first;
 * when a `status` has just done that (`indexFresh`), only if `read-tree` still
 * finds one ("not uptodate"), before trying again.
 */
async function updateWorktree(
  ctx: RepoContext,
  worktree: string,
  from: string,
  to: string,
  indexFresh = false,
): Promise<void> {
  const at = { git: ctx.git, cwd: worktree };
  if (!indexFresh) await refreshIndex(at);
  if (from === to) return;
  try {
    await readTreeUpdate(at, from, to);
  } catch (e) {
    if (!indexFresh || !hasReason(e, 'notUpToDate')) throw e;
    await refreshIndex(at);
    await readTreeUpdate(at, from, to);
  }
}

/** `update-ref <ref> <to> <from>`: moves the ref only if it is still at `from`; else throws `moved` naming the branch. */
async function compareAndSwap(
  ctx: RepoContext,
  ref: string,
  from: string,
  to: string,
  reason: string,
  moved: DomainCode.BaseMoved | DomainCode.PlanMoved,
): Promise<void> {
  try {
    await updateRef(inRepo(ctx), ref, to, { expected: from, message: reason });
  } catch (e) {
    if (hasReason(e, 'moved')) {
      throw new PlanError(moved, { reason: 'branchMoved', branch: ref.replace(/^refs\/heads\//, '') }, { cause: e });
    }
    throw e;
  }
}

/**
 * The base's status: its tracked changes only. Whether the merge would
 * overwrite an untracked or ignored file there is read from the disk at the
 * paths the merge adds (refuseFilesInTheWay), whatever the status lists.
 */
function baseStatusFlags(branch: boolean): StatusFlags {
  return { untracked: 'no', ...branchFlags(branch) };
}

/**
 * The plan's status: its untracked files (uncommitted work), and for a
 * rebase, which moves its files, its ignored ones (an ignored folder as one
 * entry), to know whether any could be in the way.
 */
function planStatusFlags(options: MergeOptions, branch: boolean): StatusFlags {
  return { ...(options.strategy === 'rebase' ? { ignored: 'matching' } : {}), ...branchFlags(branch) };
}

/** With `branch`, the status names the commit checked out (and no commits ahead or behind are counted): see refsFromStatuses. */
function branchFlags(branch: boolean): StatusFlags {
  return branch ? { branch: true, aheadBehind: false } : {};
}

async function readStatus(
  ctx: RepoContext,
  folder: string,
  flags: StatusFlags,
  signal?: AbortSignal,
): Promise<StatusSummary> {
  return status({ git: ctx.git, cwd: folder, signal }, flags);
}

/** The status of a folder that is probably the one needed: undefined when it is not there or its status fails (it is read again where needed). */
function guessStatus(
  ctx: RepoContext,
  folder: string,
  flags: StatusFlags,
  signal?: AbortSignal,
): Promise<StatusSummary | undefined> | undefined {
  return fs.existsSync(folder) ? readStatus(ctx, folder, flags, signal).catch(() => undefined) : undefined;
}

function isPlainFile(file: string): boolean {
  try {
    return fs.lstatSync(file).isFile();
  } catch {
    return false;
  }
}

function inRepo(ctx: RepoContext): GitAt {
  return { git: ctx.git, cwd: ctx.repo.commonDir };
}
