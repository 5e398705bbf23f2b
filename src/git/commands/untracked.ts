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

/**
 * The ignored untracked paths of the worktree at `at.cwd` as `git status
 * --ignored=matching --untracked-files=all` lists them (a folder an ignore
 * pattern matches as `dir/`, not what it holds), without looking at a tracked
 * file: `git ls-files --others --ignored --exclude-standard --directory`.
 * That also lists each untracked folder on the way to an ignored path just
 * before what it holds (`logs/` before `logs/a.log`): those are left out.
 */
export async function ignoredPaths(at: GitAt): Promise<string[]> {
  const listed = records(
    await at.git.run(['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory'], options(at)),
  ).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // Sorted, what a folder holds follows it at once.
  return listed.filter((p, i) => !(p.endsWith('/') && listed[i + 1]?.startsWith(p)));
}

/** Whether git ignores `file` (relative to the worktree at `at.cwd`), as it is on disk: `git check-ignore -q`. */
export async function isIgnored(at: GitAt, file: string): Promise<boolean> {
  const out = await at.git.exec(['check-ignore', '-q', '--', file], options(at, { okExitCodes: [1] }));
  return out.exitCode === 0;
}
