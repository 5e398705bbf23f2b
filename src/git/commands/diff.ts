/**
 * `git diff` and `git diff-index`: which paths differ between commits, the
 * index and the files, and whether anything is staged.
 */
import { GitAt, options, records } from './git';

/** A path a diff lists, with its status letter (`A`, `D`, `M`, `R`...). */
export interface ChangedPath {
  /** The status letter, without a rename's score. */
  status: string;
  path: string;
  /** For a rename or copy: the path before. */
  oldPath?: string;
}

/**
 * The paths that differ between two trees or commits, or between one commit
 * and the files when `to` is absent (`diff --name-only -z --no-renames`).
 */
export async function diffNames(at: GitAt, from: string, to?: string): Promise<string[]> {
  const revisions = to === undefined ? [from] : [from, to];
  return records(await at.git.run(['diff', '--name-only', '-z', '--no-renames', ...revisions], options(at)));
}

/**
 * The paths that differ between `commit` and the files of the worktree, a
 * rename as one change (`diff --name-status -z -M`).
 */
export async function changesSince(at: GitAt, commit: string): Promise<ChangedPath[]> {
  return parseNameStatus(await at.git.run(['diff', '--name-status', '-z', '-M', commit], options(at)));
}

/** Whether the files (tracked ones, staged or not) differ from `commit` (`diff --quiet <commit>`). */
export async function filesDiffer(at: GitAt, commit: string): Promise<boolean> {
  return (await at.git.exec(['diff', '--quiet', commit, '--'], options(at, { okExitCodes: [1] }))).exitCode !== 0;
}

/** Whether the index is exactly the tree of `commit` (`diff-index --cached --quiet`). */
export async function indexMatches(at: GitAt, commit: string): Promise<boolean> {
  const out = await at.git.exec(['diff-index', '--cached', '--quiet', commit, '--'], options(at, { okExitCodes: [1] }));
  return out.exitCode === 0;
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

/** Parses `--name-status -z` output: `X\0path\0`, or `R<score>\0old\0new\0` for renames and copies. */
export function parseNameStatus(text: string): ChangedPath[] {
  const fields = text.split('\0');
  const records: ChangedPath[] = [];
  for (let i = 0; i + 1 < fields.length && fields[i] !== '';) {
    const status = fields[i][0];
    if (status === 'R' || status === 'C') {
      records.push({ status, oldPath: fields[i + 1], path: fields[i + 2] });
      i += 3;
    } else {
      records.push({ status, path: fields[i + 1] });
      i += 2;
    }
  }
  return records;
}
