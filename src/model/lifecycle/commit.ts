/**
 * Commits every change of a plan worktree (tracked, staged, untracked) with a
 * message, as the Source Control input box does. A normal `git commit`, so
 * the user's hooks and identity apply. Refused while the worktree is in the
 * middle of a rebase or merge: a commit then would land outside the plan's
 * branch (on a detached HEAD) and replace the commit being replayed.
 */
import { commit } from '../../git/commands/commit';
import { hasStagedChanges } from '../../git/commands/diff';
import { addAll } from '../../git/commands/gitIndex';
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
  const worktree = { git: ctx.git, cwd: plan.path };
  await addAll(worktree, ['.']);
  if (!(await hasStagedChanges(worktree))) {
    throw new PlanError(ErrorCode.NothingToCommit, { plan: plan.id });
  }
  return commit(worktree, message);
}
