/**
 * What a plan's record may act on: its own worktree and its own local branch,
 * nothing else. The registry is data anyone who can write to the
 * repository's folder controls; an entry naming the branch of another
 * worktree (another plan's, the main checkout's), or a folder whose worktree
 * is on another branch, must never make cleanup or discard remove that
 * worktree or delete that branch. Such an entry is reported by the doctor and
 * refused by every operation with `ForeignBranch`.
 */
import { ErrorCode, PlanError } from '../engine/errors';
import { shortBranchName, WorktreeEntry } from '../../git/worktreeList';
import { qualifyBranch } from '../state/merged';
import { samePath, shownName, validateBranchName } from '../engine/names';
import { PlanRecord } from '../engine/types';

/**
 * Why the record may not act on its branch or worktree, or undefined when it
 * may. `plans` are every record of the registry: a worktree at another
 * record's folder is that record's, not this one's.
 */
export function ownershipProblem(
  plan: PlanRecord,
  worktrees: readonly WorktreeEntry[],
  plans: readonly PlanRecord[],
): string | undefined {
  const bad = validateBranchName(plan.branch);
  if (bad) return bad;
  const ref = qualifyBranch(plan.branch);
  const own = worktrees.find((w) => samePath(w.path, plan.path));
  if (own && !own.isMain && own.branch !== undefined && own.branch !== ref) {
    return `Plan ${shownName(plan.id)}'s record names the branch ${shownName(plan.branch)}, but its worktree ${own.path} is on ${shortBranchName(own.branch)}`;
  }
  const holder = worktrees.find((w) => w.branch === ref && w !== own);
  if (!holder) return undefined;
  if (holder.isMain) {
    return `Plan ${shownName(plan.id)}'s record names the branch ${shownName(plan.branch)}, which is the main checkout's`;
  }
  // A worktree moved by hand is still found on the plan's branch; one at another record's folder is that plan's.
  const other = plans.find((p) => !(p.id === plan.id && p.run === plan.run) && samePath(p.path, holder.path));
  if (other) {
    return `Plan ${shownName(plan.id)}'s record names the branch ${shownName(plan.branch)}, which is checked out in ${holder.path}, the worktree of plan ${shownName(other.id)}`;
  }
  return undefined;
}

/** Throws `ForeignBranch` when the record may not act on its branch or worktree (see `ownershipProblem`). */
export function ensureOwned(plan: PlanRecord, worktrees: readonly WorktreeEntry[], plans: readonly PlanRecord[]): void {
  const problem = ownershipProblem(plan, worktrees, plans);
  if (problem) {
    throw new PlanError(ErrorCode.ForeignBranch, { problem });
  }
}
