/**
 * `git worktree`: add, remove, move, lock, unlock, list, prune, repair. Every
 * folder goes after `--`; a failure says why where git told (`reason`).
 */
import { isWorktreeRace } from '../runner';
import { parseWorktreeList, WorktreeEntry } from '../worktreeList';
import { GitAt, options } from './git';
import { deleteRef, verifyRef } from './refs';
import { hasReason, ReasonRule, withReasons } from './reasons';
import { GitErrorCode } from '../errors';

export type AddReason = 'branchExists' | 'registeredMissing' | 'folderExists' | 'checkedOut';

const addReasons: ReadonlyArray<ReasonRule<AddReason>> = [
  {
    pattern: /a branch named '.*' already exists|branch '.*' already exists/i,
    reason: 'branchExists',
    code: GitErrorCode.BranchExists,
  },
  // The folder is gone, but git still has a worktree registered there (or a locked one).
  { pattern: /is a missing but (already registered|locked) worktree/, reason: 'registeredMissing' },
  {
    pattern: /is already (checked out|used by worktree) at/i,
    reason: 'checkedOut',
    code: GitErrorCode.BranchCheckedOut,
  },
  { pattern: /'.*' already exists/, reason: 'folderExists', code: GitErrorCode.PathExists },
];

export type RemoveReason = 'hasSubmodules' | 'dirty' | 'locked' | 'notAWorktree';

const removeReasons: ReadonlyArray<ReasonRule<RemoveReason>> = [
  // Git refuses any worktree with submodules unless forced, clean or not.
  { pattern: /containing submodules/, reason: 'hasSubmodules', code: GitErrorCode.WorktreeDirty },
  { pattern: /contains modified or untracked files/i, reason: 'dirty', code: GitErrorCode.WorktreeDirty },
  {
    pattern: /is locked|cannot (remove|move) a locked working tree/i,
    reason: 'locked',
    code: GitErrorCode.WorktreeLocked,
  },
  {
    pattern: /is not a working tree|is a main working tree/i,
    reason: 'notAWorktree',
    code: GitErrorCode.WorktreeNotFound,
  },
];

/** Every worktree of the repository, the main one first (`worktree list --porcelain -z`). */
export async function listWorktrees(at: GitAt): Promise<WorktreeEntry[]> {
  return parseWorktreeList(await at.git.run(['worktree', 'list', '--porcelain', '-z'], options(at)));
}

/** Checks out the existing branch (or commit) `start` in a new worktree at `folder`. */
export async function addWorktree(at: GitAt, folder: string, start: string): Promise<void> {
  await withReasons(addReasons, () => at.git.run(['worktree', 'add', '--', folder, start], options(at)));
}

/**
 * Creates the branch `branch` at `commit` and checks it out in a new worktree
 * at `folder` (`worktree add -b`, with `--no-track` when `noTrack`; with
 * `track`, a remote-tracking ref at `commit`, the branch starts there and
 * tracks it: `--track`). Git makes
 * the branch before the worktree: when it stopped because another window was
 * adding or removing a worktree at that moment (`isWorktreeRace`), the branch
 * it made (still at `commit`) is deleted and the add tried again, up to three
 * times. Fails with `branchExists` (not ours to delete), `registeredMissing`
 * (git made the branch, which the caller then deletes with `deleteNewBranch`).
 */
export async function addWorktreeWithBranch(
  at: GitAt,
  folder: string,
  branch: string,
  commit: string,
  flags: { noTrack?: boolean; track?: string } = {},
): Promise<void> {
  const how = flags.track !== undefined ? ['--track'] : flags.noTrack ? ['--no-track'] : [];
  const args = ['worktree', 'add', ...how, '-b', branch, '--', folder, flags.track ?? commit];
  for (let attempt = 1; ; attempt++) {
    try {
      await withReasons(addReasons, () => at.git.run(args, options(at)));
      return;
    } catch (e) {
      if (attempt > 3 || hasReason(e, 'branchExists') || !isWorktreeRace(e) || at.signal?.aborted) throw e;
      await deleteNewBranch({ ...at, signal: undefined }, branch, commit);
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

/** Deletes `refs/heads/<branch>` only while it still points at `commit` (the branch a `worktree add -b` made); no-op when it is gone. */
export async function deleteNewBranch(at: GitAt, branch: string, commit: string): Promise<void> {
  const ref = `refs/heads/${branch}`;
  if ((await verifyRef(at, ref)) !== undefined) await deleteRef(at, ref, { expected: commit });
}

/**
 * `git worktree remove`. `force`: 1 removes a worktree with changes, 2 a
 * locked one too. `showUntracked`: git's own check lists untracked files
 * whatever `status.showUntrackedFiles` says.
 */
export async function removeWorktree(
  at: GitAt,
  folder: string,
  flags: { force?: 0 | 1 | 2; showUntracked?: boolean } = {},
): Promise<void> {
  const config = flags.showUntracked ? ['-c', 'status.showUntrackedFiles=normal'] : [];
  const force = Array<string>(flags.force ?? 0).fill('--force');
  await withReasons(removeReasons, () =>
    at.git.run([...config, 'worktree', 'remove', ...force, '--', folder], options(at)),
  );
}

/** `git worktree move`; `force` 2 moves a locked worktree. */
export async function moveWorktree(at: GitAt, from: string, to: string, flags: { force?: 0 | 2 } = {}): Promise<void> {
  const force = Array<string>(flags.force ?? 0).fill('--force');
  await withReasons(removeReasons, () => at.git.run(['worktree', 'move', ...force, '--', from, to], options(at)));
}

/**
 * `git worktree lock`. The reason goes as one argument (`--reason=<text>`),
 * so that neither git nor the runner's option guard reads a reason that looks
 * like an option as one.
 */
export async function lockWorktree(at: GitAt, folder: string, reason?: string): Promise<void> {
  const args = ['worktree', 'lock', ...(reason ? [`--reason=${reason}`] : []), '--', folder];
  await withReasons(removeReasons, () => at.git.run(args, options(at)));
}

export async function unlockWorktree(at: GitAt, folder: string): Promise<void> {
  await withReasons(removeReasons, () => at.git.run(['worktree', 'unlock', '--', folder], options(at)));
}

/** `git worktree prune`: forgets worktrees whose folder is gone (not locked ones). */
export async function pruneWorktrees(at: GitAt): Promise<void> {
  await at.git.run(['worktree', 'prune'], options(at));
}

/** `git worktree repair`: mends the links between worktrees and the repository (after a move by hand). */
export async function repairWorktrees(at: GitAt, folders: string[] = []): Promise<void> {
  await at.git.run(['worktree', 'repair', ...(folders.length > 0 ? ['--', ...folders] : [])], options(at));
}
