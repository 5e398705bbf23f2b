/**
 * Rebasing a plan onto its base in its own worktree, so conflicts with the
 * base are resolved there, and the way through a rebase that stopped:
 * continue it once no file has conflicts left, or abort it (after a snapshot
 * of the worktree, so no resolution made so far is lost). Everything runs in
 * the plan's worktree only; the base and the main checkout never change.
 */
import * as fs from 'fs';
import * as path from 'path';
import { conflictedFiles as unmergedFiles } from '../../git/commands/diff';
import { add } from '../../git/commands/gitIndex';
import { abortRebase as abort, continueRebase as next, rebase, RebaseOutcome } from '../../git/commands/rebase';
import { isClean } from '../../git/commands/status';
import { abortMerge, mergeCommit } from '../../git/commands/merge';
import { isAncestor } from '../../git/commands/log';
import { verifyRef } from '../../git/commands/refs';
import { checkCommits, refuseConflicts } from './merge';
import { operationInProgress } from '../../git/operation';
import { BlockedAction, ErrorCode, PlanError } from '../engine/errors';
import { qualifyBranch } from '../state/merged';
import { PlanRecord, RepoContext } from '../engine/types';

/**
 * Refuses (RebaseInProgress, MergeInProgress) when the plan's worktree is in
 * the middle of a rebase, merge, cherry-pick or revert: `what` is what cannot
 * be done meanwhile ("commit", "rebase").
 */
export function refuseOperationInProgress(
  plan: Pick<PlanRecord, 'id' | 'path'> & { base?: string },
  action: BlockedAction,
): void {
  const operation = operationInProgress(plan.path);
  if (!operation) return;
  const data = { reason: 'planInOperation', plan: plan.id, base: plan.base, operation, action } as const;
  throw operation === 'rebase'
    ? new PlanError(ErrorCode.RebaseInProgress, data)
    : new PlanError(ErrorCode.MergeInProgress, data);
}

/** The files with unresolved conflicts in a worktree (unmerged index entries). */
export async function conflictedFiles(ctx: RepoContext, folder: string, signal?: AbortSignal): Promise<string[]> {
  return unmergedFiles({ git: ctx.git, cwd: folder, signal });
}

/**
 * Rebases the plan onto its base. Returns the conflicting files when the
 * rebase stopped (the worktree is then mid-rebase, for the user to finish), or [].
 */
export async function rebaseInWorktree(ctx: RepoContext, plan: PlanRecord, signal?: AbortSignal): Promise<string[]> {
  refuseOperationInProgress(plan, 'rebase');
  if (!(await isClean({ git: ctx.git, cwd: plan.path, signal }, { untracked: 'no' }))) {
    throw new PlanError(ErrorCode.PlanDirty, { reason: 'rebase', plan: plan.id, base: plan.base });
  }
  return stoppedOn(ctx, plan, await rebase({ git: ctx.git, cwd: plan.path, signal }, qualifyBranch(plan.base)));
}

/** How "Update from <base>" brings the base's new commits into the plan. */
export type UpdateHow = 'rebase' | 'merge';

export interface UpdateResult {
  how: UpdateHow;
  /** False when the plan had every commit of its base already (nothing moved). */
  updated: boolean;
  /** The files the rebase stopped on (the worktree is then mid-rebase: Continue or Abort Rebase); [] when done. */
  conflicts: string[];
}

/**
 * Brings the base's current commits into the plan, in the plan's worktree:
 * a rebase onto the base, or a merge of it. Refuses a worktree in the middle
 * of another operation and one with uncommitted changes (PlanDirty), and,
 * before anything moves, a base whose merge with the plan conflicts
 * (MergeConflict, naming the files, from `merge-tree`). The base and the
 * main checkout never change.
 */
export async function updateFromBase(
  ctx: RepoContext,
  plan: PlanRecord,
  how: UpdateHow,
  signal?: AbortSignal,
): Promise<UpdateResult> {
  refuseOperationInProgress(plan, 'rebase');
  const worktree = { git: ctx.git, cwd: plan.path, signal };
  if (!(await isClean(worktree, { untracked: 'no' }))) {
    throw new PlanError(ErrorCode.PlanDirty, { reason: 'update', plan: plan.id, base: plan.base });
  }
  const repo = { git: ctx.git, cwd: ctx.repo.commonDir, signal };
  const [tip, base] = await Promise.all([
    verifyRef(repo, `${qualifyBranch(plan.branch)}^{commit}`),
    verifyRef(repo, `${qualifyBranch(plan.base)}^{commit}`),
  ]);
  if (tip === undefined) {
    throw new PlanError(ErrorCode.BranchNotFound, { reason: 'planBranch', plan: plan.id, branch: plan.branch });
  }
  if (base === undefined) {
    throw new PlanError(ErrorCode.BranchNotFound, { reason: 'planBase', plan: plan.id, base: plan.base });
  }
  if (await isAncestor(repo, base, tip)) return { how, updated: false, conflicts: [] };
  refuseConflicts(plan, await checkCommits(ctx, base, tip, signal));
  if (how === 'rebase') {
    return { how, updated: true, conflicts: await stoppedOn(ctx, plan, await rebase(worktree, base)) };
  }
  const merged = await mergeCommit(worktree, base, `Merge ${plan.base} into ${plan.branch}`);
  if (!merged.done) {
    // The pre-check found no conflict; a merge that stops anyway is put back, and says why.
    const files = await conflictedFiles(ctx, plan.path);
    await abortMerge({ git: ctx.git, cwd: plan.path });
    throw new PlanError(ErrorCode.MergeConflict, { reason: 'check', plan: plan.id, base: plan.base, files });
  }
  return { how, updated: true, conflicts: [] };
}

/**
 * Continues a stopped rebase. Files that had conflicts and no longer hold
 * conflict markers are taken as resolved (staged); any other conflict left
 * refuses (ConflictsUnresolved, naming the files) before git runs. Returns
 * the files of the next conflict when the rebase stops again, or [] when it is done.
 */
export async function continueRebase(ctx: RepoContext, plan: PlanRecord, signal?: AbortSignal): Promise<string[]> {
  requireRebase(plan);
  const conflicts = await conflictedFiles(ctx, plan.path, signal);
  const unresolved = conflicts.filter((file) => !isResolved(path.join(plan.path, file)));
  if (unresolved.length > 0) {
    throw new PlanError(ErrorCode.ConflictsUnresolved, { plan: plan.id, files: unresolved });
  }
  const worktree = { git: ctx.git, cwd: plan.path, signal };
  if (conflicts.length > 0) await add(worktree, conflicts);
  return stoppedOn(ctx, plan, await next(worktree));
}

/** Aborts a stopped rebase: the plan's branch and worktree go back to where they were before it. */
export async function abortRebase(ctx: RepoContext, plan: PlanRecord, signal?: AbortSignal): Promise<void> {
  requireRebase(plan);
  await abort({ git: ctx.git, cwd: plan.path, signal });
}

function requireRebase(plan: PlanRecord): void {
  if (operationInProgress(plan.path) !== 'rebase') {
    throw new PlanError(ErrorCode.NoRebaseInProgress, { plan: plan.id });
  }
}

/** [] when the rebase step is done; else the conflicts it stopped on; a stop without conflicts is an error with git's reason. */
async function stoppedOn(ctx: RepoContext, plan: PlanRecord, outcome: RebaseOutcome): Promise<string[]> {
  if (outcome.done) return [];
  const conflicts = await conflictedFiles(ctx, plan.path);
  if (conflicts.length > 0) return conflicts;
  throw new PlanError(
    ErrorCode.RebaseInProgress,
    { reason: 'stopped', plan: plan.id, problem: outcome.reason },
    { stderr: outcome.gitSaid },
  );
}

/** A file whose conflict is resolved: it exists and has no conflict markers at the start of a line. */
function isResolved(file: string): boolean {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return !/^(<{7}|>{7})( |$)/m.test(text);
  } catch {
    return false;
  }
}
