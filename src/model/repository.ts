/**
 * Finds the repository a folder belongs to (from any folder inside any of its
 * worktrees) and lists its worktrees: the cheap "first paint" of the tree view.
 */
import * as fs from 'fs';
import { ErrorCode, isError, PlanWorktreesError } from '../git/errors';
import { Git } from '../git/git';
import { parseWorktreeList, WorktreeEntry } from '../git/worktreeList';
import { RepoContext, RepositoryInfo } from './types';

/**
 * The repository that `folder` is in: its main worktree, common git directory
 * and the top of the worktree the folder is in (main or linked, or a
 * subfolder of one). Throws NotAGitRepository otherwise, a missing folder too.
 */
export async function discoverRepository(git: Git, folder: string): Promise<RepositoryInfo> {
  if (!isDirectory(folder)) {
    throw new PlanWorktreesError(ErrorCode.NotAGitRepository, `The folder "${folder}" does not exist, so it is not in a git repository.`);
  }
  const [commonDir, insideWorkTree] = await revParseLines(git, folder, ['--path-format=absolute', '--git-common-dir', '--is-inside-work-tree']);
  const [main] = parseWorktreeList(await git.run(['worktree', 'list', '--porcelain', '-z'], { cwd: folder }));
  const mainPath = main?.path ?? commonDir;
  const currentPath = insideWorkTree === 'true' ? (await revParseLines(git, folder, ['--show-toplevel']))[0] : mainPath;
  return { mainPath, commonDir, currentPath, bare: main?.bare ?? false };
}

/** Every worktree of the repository, main first: exactly one git process. */
export async function listWorktrees(ctx: RepoContext): Promise<WorktreeEntry[]> {
  return parseWorktreeList(await ctx.git.run(['worktree', 'list', '--porcelain', '-z'], { cwd: ctx.repo.commonDir }));
}

async function revParseLines(git: Git, folder: string, args: string[]): Promise<string[]> {
  try {
    return (await git.run(['rev-parse', ...args], { cwd: folder })).split('\n');
  } catch (e) {
    if (isError(e, ErrorCode.NotAGitRepository)) {
      throw new PlanWorktreesError(ErrorCode.NotAGitRepository, `"${folder}" is not inside a git repository. Open a folder that is inside a git repository.`, {
        command: e.command,
        stderr: e.stderr,
        cause: e,
      });
    }
    throw e;
  }
}

function isDirectory(folder: string): boolean {
  try {
    return fs.statSync(folder).isDirectory();
  } catch {
    return false;
  }
}
