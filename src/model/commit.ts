/**
 * Commits every change of a plan worktree (tracked, staged, untracked) with a
 * message, as the Source Control input box does. A normal `git commit`, so
 * the user's hooks and identity apply.
 */
import { ErrorCode, PlanWorktreesError } from '../git/errors';
import { RepoContext } from './types';

export async function commitAll(ctx: RepoContext, worktree: string, message: string): Promise<string> {
  if (message.trim() === '') throw new PlanWorktreesError(ErrorCode.InvalidName, 'Type a commit message first.');
  await ctx.git.run(['add', '--all', '--', '.'], { cwd: worktree });
  const staged = await ctx.git.exec(['diff', '--cached', '--quiet'], { cwd: worktree, okExitCodes: [1] });
  if (staged.exitCode === 0) throw new PlanWorktreesError(ErrorCode.Unknown, 'There is nothing to commit: the plan has no uncommitted changes.');
  await ctx.git.run(['commit', '--quiet', '--message', message], { cwd: worktree });
  return (await ctx.git.run(['rev-parse', 'HEAD'], { cwd: worktree })).trim();
}
