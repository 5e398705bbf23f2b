/**
 * Finds the repository a folder belongs to (from any folder inside any of its
 * worktrees) and lists its worktrees: the cheap "first paint" of the tree view.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, isError, PlanError, PlanWorktreesError } from './errors';
import type { Git } from '../../git/commands/git';
import { isBareRepository, repositoryOf, worktreeTop } from '../../git/commands/repository';
import { listWorktrees as gitWorktrees } from '../../git/commands/worktrees';
import { WorktreeEntry } from '../../git/worktreeList';
import { worktreesFromFiles } from '../../git/worktreeFiles';
import { RepoContext, RepositoryInfo } from './types';
import { listWorktreesFromAdmin } from '../recovery/worktreeAdmin';

/**
 * The repository that `folder` is in: its main worktree, common git directory
 * and the top of the worktree the folder is in (main or linked, or a
 * subfolder of one). Throws NotAGitRepository otherwise, a missing folder too.
 */
export async function discoverRepository(git: Git, folder: string): Promise<RepositoryInfo> {
  return (await discoverRepositoryAndList(git, folder)).repo;
}

/**
 * `discoverRepository`, with the worktree list it read on the way (absent
 * when a half-written admin folder made `git worktree list` fail): three git
 * processes, the last two at once.
 */
export async function discoverRepositoryAndList(
  git: Git,
  folder: string,
): Promise<{ repo: RepositoryInfo; worktrees?: WorktreeEntry[] }> {
  if (!isDirectory(folder)) {
    throw new PlanError(ErrorCode.NotAGitRepository, { reason: 'missingFolder', path: folder });
  }
  const { commonDir, insideWorkTree } = await inRepository(folder, () => repositoryOf({ git, cwd: folder }));
  const [main, top] = await Promise.all([
    mainWorktree(git, folder, commonDir),
    insideWorkTree ? inRepository(folder, () => worktreeTop({ git, cwd: folder })) : undefined,
  ]);
  const mainPath = main?.path ?? commonDir;
  const repo = { mainPath, commonDir, currentPath: top ?? mainPath, bare: main?.bare ?? false };
  return { repo, worktrees: main?.worktrees };
}

/** Every worktree of the repository, main first: exactly one git process. */
export async function listWorktrees(ctx: RepoContext): Promise<WorktreeEntry[]> {
  return gitWorktrees({ git: ctx.git, cwd: ctx.repo.commonDir });
}

/**
 * The worktrees now: read from git's files where they tell (no git process;
 * the files `git worktree list` reads, read as data, see worktreesFromFiles),
 * else `git worktree list`. Synchronous work of up to some tens of
 * milliseconds at hundreds of worktrees: callers start their git processes
 * first (`Git.afterStarts`).
 */
export function worktreesNow(ctx: RepoContext): Promise<WorktreeEntry[]> {
  const fromFiles = worktreesFromFiles(ctx.repo.commonDir, { path: ctx.repo.mainPath, bare: ctx.repo.bare });
  return fromFiles ? Promise.resolve(fromFiles) : listWorktrees(ctx);
}

/**
 * Every worktree, even when a half-written admin folder makes `git worktree
 * list` fail: then the healthy ones, read from the admin folders, and the
 * error (WorktreeAdminBroken) that says to run the doctor.
 */
export async function listWorktreesOrHealthy(
  ctx: RepoContext,
): Promise<{ worktrees: WorktreeEntry[]; problem?: PlanWorktreesError }> {
  try {
    return { worktrees: await listWorktrees(ctx) };
  } catch (e) {
    if (!isError(e, ErrorCode.WorktreeAdminBroken)) throw e;
    return {
      worktrees: await listWorktreesFromAdmin(ctx),
      problem: e,
    };
  }
}

/** The first entry of `git worktree list`; when a half-written admin folder of another worktree makes that fail, from `rev-parse` in the common directory. */
async function mainWorktree(
  git: Git,
  folder: string,
  commonDir: string,
): Promise<{ path: string; bare: boolean; worktrees?: WorktreeEntry[] } | undefined> {
  try {
    const worktrees = await gitWorktrees({ git, cwd: folder });
    return worktrees[0] && { path: worktrees[0].path, bare: worktrees[0].bare, worktrees };
  } catch (e) {
    if (!isError(e, ErrorCode.WorktreeAdminBroken)) throw e;
    const bare = await inRepository(commonDir, () => isBareRepository({ git, cwd: commonDir }));
    // As git names the main worktree: the common directory without its "/.git".
    const mainPath = path.basename(commonDir) === '.git' ? path.dirname(commonDir) : commonDir;
    return { path: mainPath, bare };
  }
}

/** Runs `read`; git's NotAGitRepository becomes the model's, naming `folder`. */
async function inRepository<T>(folder: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (isError(e, ErrorCode.NotAGitRepository)) {
      throw new PlanError(
        ErrorCode.NotAGitRepository,
        { reason: 'notInRepository', path: folder },
        { command: e.command, cause: e },
      );
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
