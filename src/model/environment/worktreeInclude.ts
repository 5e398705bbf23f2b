/**
 * `.worktreeinclude`: the file at the repository's root that Claude Code,
 * Conductor, Codex and ccmanager read, in gitignore syntax, naming the
 * ignored files of the main checkout a new worktree gets (a `.env`, a local
 * configuration). As in those tools, a file is copied only when it matches a
 * pattern and git ignores it: a tracked file never, an untracked file that is
 * not ignored never. It adds to the `copyFiles` setting (the union of both is
 * copied). Git matches the patterns (`git ls-files --others --ignored
 * --exclude-from`), so the syntax is exactly gitignore's.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { untrackedMatching } from '../../git/commands/untracked';
import { RepoContext } from '../engine/types';

export const WORKTREE_INCLUDE = '.worktreeinclude';

/** A pattern file larger than this is not one a person wrote: it is left unread. */
export const MAX_WORKTREE_INCLUDE_BYTES = 256 * 1024;

/** The files `.worktreeinclude` names, before the untracked ones that are not ignored are taken out. */
export interface IncludeCandidates {
  /** Untracked or ignored files of the main checkout that match the patterns, relative to its root. */
  files: string[];
  /** Why the file was not read, when it is there but was not used (a symlink, a folder, too large). */
  problem?: string;
}

/**
 * The untracked files of the main checkout `main` that its `.worktreeinclude`
 * matches (no git process when there is no such file). The file is read only
 * when it is a regular file of the main checkout itself: a symlink (which
 * could lead anywhere), a folder or a file over 256 KB is left alone, and
 * `problem` says so.
 */
export async function includeCandidates(
  ctx: RepoContext,
  main: string,
  signal?: AbortSignal,
): Promise<IncludeCandidates> {
  const file = path.join(main, WORKTREE_INCLUDE);
  let stat;
  try {
    stat = await fs.lstat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return { files: [] };
    }
    throw e;
  }
  if (stat.isSymbolicLink()) return { files: [], problem: `${WORKTREE_INCLUDE} is a symbolic link; it is not read` };
  if (!stat.isFile()) return { files: [], problem: `${WORKTREE_INCLUDE} is not a regular file; it is not read` };
  if (stat.size > MAX_WORKTREE_INCLUDE_BYTES) {
    return {
      files: [],
      problem: `${WORKTREE_INCLUDE} is larger than ${MAX_WORKTREE_INCLUDE_BYTES / 1024} KB; it is not read`,
    };
  }
  return { files: await untrackedMatching({ git: ctx.git, cwd: main, signal }, file) };
}

/**
 * The files to copy into a new plan: those `copyFiles` names, and those
 * `.worktreeinclude` names that git ignores (`notIgnored`: the main
 * checkout's untracked files that are not ignored, as `git status` lists
 * them), each once, without the files inside `wholeFolders` (dependency
 * folders copied or linked whole).
 */
export function filesToCopy(
  copyFiles: string[],
  included: string[],
  notIgnored: ReadonlySet<string>,
  wholeFolders: string[] = [],
): string[] {
  const inFolder = (file: string): boolean => wholeFolders.some((folder) => file.startsWith(`${folder}/`));
  const all = new Set(copyFiles);
  for (const file of included) if (!notIgnored.has(file)) all.add(file);
  return [...all].filter((file) => !inFolder(file));
}
