/**
 * `git diff`: which paths differ, and whether anything is staged.
 */
import { GitAt, options, records } from './git';
import { ChangedPath, parseNameStatus } from './log';

/** The paths that differ between two trees or commits (`diff --name-only -z --no-renames`). */
export async function diffNames(at: GitAt, from: string, to: string): Promise<string[]> {
  return records(await at.git.run(['diff', '--name-only', '-z', '--no-renames', from, to], options(at)));
}

/** The paths that differ between two commits, with their status (`diff --name-status -z --no-renames`). */
export async function diffNameStatus(at: GitAt, from: string, to: string): Promise<ChangedPath[]> {
  return parseNameStatus(await at.git.run(['diff', '--name-status', '-z', '--no-renames', from, to], options(at)));
}

/** The files with unresolved conflicts (unmerged index entries) in the worktree. */
export async function conflictedFiles(at: GitAt): Promise<string[]> {
  return records(await at.git.run(['diff', '--name-only', '--diff-filter=U', '-z'], options(at)));
}

/** Whether the index differs from HEAD (`diff --cached --quiet`). */
export async function hasStagedChanges(at: GitAt): Promise<boolean> {
  return (await at.git.exec(['diff', '--cached', '--quiet'], options(at, { okExitCodes: [1] }))).exitCode !== 0;
}
