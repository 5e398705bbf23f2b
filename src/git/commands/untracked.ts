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
