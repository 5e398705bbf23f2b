/**
 * Locking a worktree (`git worktree lock`) keeps git from pruning or removing
 * it, for example while it lives on a removable drive. Cleanup refuses a
 * locked worktree unless forced.
 */
import { lockWorktree as lock, unlockWorktree as unlock } from '../../git/commands/worktrees';
import { ErrorCode, PlanError } from '../engine/errors';
import { ensureValid, validateWorktreePath } from '../engine/names';
import { RepoContext } from '../engine/types';

export async function lockWorktree(ctx: RepoContext, worktreePath: string, reason?: string): Promise<void> {
  ensureValid(worktreePath, validateWorktreePath);
  if (reason && (reason.length > 500 || /[\p{Cc}\u2028\u2029]/u.test(reason))) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'lockReason' });
  }
  await lock({ git: ctx.git, cwd: ctx.repo.mainPath }, worktreePath, reason);
}

export async function unlockWorktree(ctx: RepoContext, worktreePath: string): Promise<void> {
  ensureValid(worktreePath, validateWorktreePath);
  await unlock({ git: ctx.git, cwd: ctx.repo.mainPath }, worktreePath);
}
