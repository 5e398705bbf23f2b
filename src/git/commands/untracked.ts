/**
 * Untracked files of a worktree chosen by gitignore patterns, with git's own
 * matching (exact gitignore semantics: `!` negation, `/` anchors, `**`,
 * folder patterns). One process.
 */
import type { Git } from '../git';

/** Where a command runs: the runner, the folder, the cancellation signal. */
export interface GitAt {
  git: Git;
  cwd: string;
  signal?: AbortSignal;
}

/**
 * The untracked files (ignored ones included) of the worktree at `at.cwd`
 * that the gitignore-syntax `patternFile` (an absolute path) matches,
 * relative to the worktree's root: `git ls-files --others --ignored --exclude-from`.
 */
export async function untrackedMatching(at: GitAt, patternFile: string): Promise<string[]> {
  const out = await at.git.run(['ls-files', '-z', '--others', '--ignored', `--exclude-from=${patternFile}`], {
    cwd: at.cwd,
    ...(at.signal ? { signal: at.signal } : {}),
  });
  return out.split('\0').filter((file) => file !== '');
}

/** Whether git ignores `file` (relative to the worktree at `at.cwd`), as it is on disk: `git check-ignore -q`. */
export async function isIgnored(at: GitAt, file: string): Promise<boolean> {
  const out = await at.git.exec(['check-ignore', '-q', '--', file], {
    cwd: at.cwd,
    okExitCodes: [1],
    ...(at.signal ? { signal: at.signal } : {}),
  });
  return out.exitCode === 0;
}
