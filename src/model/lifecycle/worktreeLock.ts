/**
 * Locking a worktree (`git worktree lock`) keeps git from pruning or removing
 * it, for example while it lives on a removable drive. Cleanup refuses a
 * locked worktree unless forced.
 */
import { ErrorCode, PlanError } from '../engine/errors';
import { ensureValid, validateWorktreePath } from '../engine/names';
import { RepoContext } from '../engine/types';

export async function lockWorktree(ctx: RepoContext, worktreePath: string, reason?: string): Promise<void> {
  ensureValid(worktreePath, validateWorktreePath);
  if (reason && (reason.length > 500 || /[\p{Cc}\u2028\u2029]/u.test(reason))) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'lockReason' });
  }
  const args = ['worktree', 'lock'];
  // One argument: the reason is text, never read as an option (by simple-git's guard either).
  if (reason) args.push(`--reason=${reason}`);
  await ctx.git.run([...args, '--', worktreePath], { cwd: ctx.repo.mainPath });
}

export async function unlockWorktree(ctx: RepoContext, worktreePath: string): Promise<void> {
  ensureValid(worktreePath, validateWorktreePath);
  await ctx.git.run(['worktree', 'unlock', '--', worktreePath], { cwd: ctx.repo.mainPath });
}
