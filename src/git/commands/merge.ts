/**
 * `git merge` in a worktree: a merge of one commit into the branch checked
 * out there, with its message given (git never waits for an editor), and
 * its abort. A merge that stops is an answer, not a failure.
 */
import { GitAt, options } from './git';
import { RebaseOutcome } from './rebase';

/** `merge --no-edit -m <message> <commit>` (`commit` is an object id, never an option). */
export async function mergeCommit(at: GitAt, commit: string, message: string): Promise<RebaseOutcome> {
  const result = await at.git.exec(
    ['merge', '--no-edit', '--no-ff', '-m', message, commit],
    options(at, { okExitCodes: [1], noEditor: true }),
  );
  return result.exitCode === 0
    ? { done: true }
    : { done: false, reason: result.stderr.trim().split('\n')[0] ?? '', gitSaid: result.stderr };
}

/** `merge --abort`: the branch and worktree go back to where they were before the merge. */
export async function abortMerge(at: GitAt): Promise<void> {
  await at.git.run(['merge', '--abort'], options(at));
}
