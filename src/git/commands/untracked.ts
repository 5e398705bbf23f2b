/**
 * Untracked files of a worktree chosen by gitignore patterns, with git's own
 * matching (exact gitignore semantics: `!` negation, `/` anchors, `**`,
 * folder patterns), and whether git ignores one path. One process each.
 */
import { GitAt, options, records } from './git';

/**
 * The untracked files (ignored ones included) of the worktree at `at.cwd`
 * that the gitignore-syntax `patternFile` (an absolute path) matches,
 * relative to the worktree's root: `git ls-files --others --ignored --exclude-from`.
 */
export async function untrackedMatching(at: GitAt, patternFile: string): Promise<string[]> {
  return records(
    await at.git.run(['ls-files', '-z', '--others', '--ignored', `--exclude-from=${patternFile}`], options(at)),
  );
}

/** Whether git ignores `file` (relative to the worktree at `at.cwd`), as it is on disk: `git check-ignore -q`. */
export async function isIgnored(at: GitAt, file: string): Promise<boolean> {
  const out = await at.git.exec(['check-ignore', '-q', '--', file], options(at, { okExitCodes: [1] }));
  return out.exitCode === 0;
}

/**
 * Which of `files` (relative to the worktree at `at.cwd`) git ignores, in one
 * process: `git check-ignore -z --stdin`. Tracked files are never ignored.
 */
export async function ignoredAmong(at: GitAt, files: readonly string[]): Promise<Set<string>> {
  if (files.length === 0) return new Set();
  const out = await at.git.exec(
    ['check-ignore', '-z', '--stdin'],
    options(at, { okExitCodes: [1], stdin: files.map((f) => `${f}\0`).join('') }),
  );
  return new Set(records(out.stdout));
}
