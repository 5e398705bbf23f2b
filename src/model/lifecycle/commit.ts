/**
 * Commits every change of a plan worktree (tracked, staged, untracked) with a
 * message, as the Source Control input box does. A normal `git commit`, so
 * the user's hooks and identity apply. Refused while the worktree is in the
 * middle of a rebase or merge: a commit then would land outside the plan's
 * branch (on a detached HEAD) and replace the commit being replayed.
 */
import { ErrorCode, PlanError } from '../engine/errors';
import { refuseOperationInProgress } from './rebase';
import { PlanRecord, RepoContext } from '../engine/types';

export async function commitAll(
  ctx: RepoContext,
  plan: Pick<PlanRecord, 'id' | 'path'>,
  message: string,
): Promise<string> {
  if (message.trim() === '') throw new PlanError(ErrorCode.InvalidName, { reason: 'emptyCommitMessage' });
  refuseOperationInProgress(plan, 'commit');
  const worktree = plan.path;
  await ctx.git.run(['add', '--all', '--', '.'], { cwd: worktree });
  const staged = await ctx.git.exec(['diff', '--cached', '--quiet'], { cwd: worktree, okExitCodes: [1] });
  if (staged.exitCode === 0) {
    throw new PlanError(ErrorCode.NothingToCommit, { plan: plan.id });
  }
  await ctx.git.run(['commit', '--quiet', '--message', message], { cwd: worktree });
  return (await ctx.git.run(['rev-parse', 'HEAD'], { cwd: worktree })).trim();
}
