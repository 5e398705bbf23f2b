/**
 * `git rebase` in a worktree: start, continue, abort. Git never waits for an
 * editor (the replayed commit keeps its message). A rebase that stops is an
 * answer, not a failure: it says why, in git's words.
 */
import { GitAt, options } from './git';

/** How a rebase step ended: done, or stopped (on conflicts, or for `reason`). */
export type RebaseOutcome = { done: true } | { done: false; reason: string; gitSaid: string };

/** `rebase <onto>`. */
export async function rebase(at: GitAt, onto: string): Promise<RebaseOutcome> {
  return outcome(at, ['rebase', onto]);
}

/** `rebase --continue`, once the conflicts are resolved and staged. */
export async function continueRebase(at: GitAt): Promise<RebaseOutcome> {
  return outcome(at, ['rebase', '--continue']);
}

/** `rebase --abort`: the branch and worktree go back to where they were. */
export async function abortRebase(at: GitAt): Promise<void> {
  await at.git.run(['rebase', '--abort'], options(at));
}

async function outcome(at: GitAt, args: string[]): Promise<RebaseOutcome> {
  const result = await at.git.exec(args, options(at, { okExitCodes: [1], noEditor: true }));
  return result.exitCode === 0
    ? { done: true }
    : { done: false, reason: stopReason(result.stderr), gitSaid: result.stderr };
}

/** The line of git's stderr that says why the rebase stopped (its first error, else its first line). */
function stopReason(stderr: string): string {
  const line = stderr.split('\n').find((l) => /^(error|fatal):/.test(l.trim())) ?? stderr.trim().split('\n')[0] ?? '';
  return line.replace(/^(error|fatal):\s*/, '');
}
