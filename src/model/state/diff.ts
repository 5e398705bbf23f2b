/**
 * The review of a plan: every file it changed against the merge-base of its
 * worktree's HEAD with its base branch: committed, uncommitted and untracked
 * together. The answer is the one of `git diff -M <merge-base>` in the
 * worktree plus `git ls-files --others --exclude-standard`; each file also says
 * whether commits or uncommitted work (or both) changed it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ChangedPath, changesSince, diffNames } from '../../git/commands/diff';
import { untrackedFiles } from '../../git/commands/gitIndex';
import { mergeBase as findMergeBase } from '../../git/commands/log';
import { lsTree, readBlob } from '../../git/commands/objects';
import { ErrorCode, PlanError } from '../engine/errors';
import { qualifyBranch } from './merged';
import { PlanRecord, RepoContext } from '../engine/types';

export type DiffStatus = 'A' | 'M' | 'D' | 'R' | 'T' | 'U';

export interface DiffFile {
  /** Path relative to the worktree root (the new path of a rename). */
  path: string;
  /** For a rename: the path in the merge-base. */
  oldPath?: string;
  /** Added, Modified, Deleted, Renamed, Type changed, or U: untracked (new and not added). */
  status: DiffStatus;
  /** Changed by commits of the plan. */
  committed: boolean;
  /** Changed in the index or the worktree (untracked files included). */
  uncommitted: boolean;
}

export interface PlanDiff {
  mergeBase: string;
  files: DiffFile[];
}

/** The changed files of a plan against the merge-base with its base branch. */
export async function diffPlan(ctx: RepoContext, plan: PlanRecord): Promise<PlanDiff> {
  requireFolder(plan);
  const at = { git: ctx.git, cwd: plan.path };
  const mergeBase = await findMergeBase(at, 'HEAD', qualifyBranch(plan.base));
  if (mergeBase === undefined) {
    throw new PlanError(ErrorCode.UnrelatedHistories, { baseCommit: qualifyBranch(plan.base), planCommit: 'HEAD' });
  }
  const [all, committed, uncommitted, untracked] = await Promise.all([
    changesSince(at, mergeBase),
    diffNames(at, mergeBase, 'HEAD'),
    diffNames(at, 'HEAD'),
    untrackedFiles(at, { excludeStandard: true }),
  ]);
  const byCommits = new Set(committed);
  const byWork = new Set(uncommitted);
  const changedBy = (set: Set<string>, f: ChangedPath): boolean =>
    set.has(f.path) || (f.oldPath !== undefined && set.has(f.oldPath));
  const files: DiffFile[] = all.map((f) => ({
    ...f,
    status: toDiffStatus(f.status),
    committed: changedBy(byCommits, f),
    uncommitted: changedBy(byWork, f),
  }));
  for (const file of untracked) files.push({ path: file, status: 'U', committed: false, uncommitted: true });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { mergeBase, files };
}

/**
 * The content of `file` in the merge-base, or undefined when it is not there
 * (a file the plan added). Binary-safe.
 */
export async function readBaseContent(
  ctx: RepoContext,
  plan: PlanRecord,
  mergeBase: string,
  file: string,
): Promise<Buffer | undefined> {
  if (!/^[0-9a-f]{4,64}$/i.test(mergeBase)) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'notACommit', commit: mergeBase });
  }
  const relative = toRelative(plan, file);
  const at = { git: ctx.git, cwd: ctx.repo.commonDir };
  // ls-tree answers "nothing" for a path that is not there, where `show rev:path` would fail.
  const entry = (await lsTree(at, mergeBase, [relative]))?.find((e) => e.path === relative);
  if (entry?.type !== 'blob') return undefined;
  return readBlob(at, entry.oid);
}

/**
 * The content of `file` in the plan's worktree folder, or undefined when it
 * is not there. A symbolic link gives its target, as git stores it; never
 * reads outside the worktree.
 */
export async function readWorktreeContent(plan: PlanRecord, file: string): Promise<Buffer | undefined> {
  const full = path.join(plan.path, toRelative(plan, file));
  try {
    const stat = await fs.promises.lstat(full);
    if (stat.isSymbolicLink()) return Buffer.from(await fs.promises.readlink(full));
    return stat.isFile() ? await fs.promises.readFile(full) : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return undefined;
    }
    throw e;
  }
}

/** Git's letters to ours: a copy is an addition; an unmerged path (`U` in git) is a modification. */
function toDiffStatus(letter: string): DiffStatus {
  switch (letter) {
    case 'A':
    case 'C':
      return 'A';
    case 'D':
    case 'R':
    case 'T':
      return letter;
    default:
      return 'M';
  }
}

/** A path relative to the worktree root, refused when it is absolute or climbs out of it. */
function toRelative(plan: PlanRecord, file: string): string {
  const normalized = path.posix.normalize(file.replace(/\\/g, '/'));
  if (
    path.isAbsolute(file) ||
    normalized === '..' ||
    normalized.startsWith('../') ||
    normalized === '.' ||
    file.includes('\0')
  ) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'outsideWorktree', file, path: plan.path });
  }
  return normalized;
}

function requireFolder(plan: PlanRecord): void {
  if (!fs.existsSync(plan.path)) {
    throw new PlanError(ErrorCode.PathMissing, { plan: plan.id, path: plan.path });
  }
}
