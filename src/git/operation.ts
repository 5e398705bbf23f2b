/**
 * What a worktree is in the middle of: a rebase stopped on a conflict, a merge
 * waiting for its commit, a cherry-pick or revert. Read from the files git
 * keeps in the worktree's own git directory (`rebase-merge/`, `rebase-apply/`,
 * `MERGE_HEAD`, ...): no git process, so the tree can ask it of every worktree.
 * The files are data: only their existence is looked at.
 */
import * as fs from 'fs';
import * as path from 'path';
import { worktreeGitDir } from './worktreeFiles';

export type GitOperation = 'rebase' | 'merge' | 'cherryPick' | 'revert';

const markers: ReadonlyArray<[string, GitOperation]> = [
  ['rebase-merge', 'rebase'],
  ['rebase-apply', 'rebase'],
  ['MERGE_HEAD', 'merge'],
  ['CHERRY_PICK_HEAD', 'cherryPick'],
  ['REVERT_HEAD', 'revert'],
];

/** The operation the worktree at `folder` is in the middle of, if any. */
export function operationInProgress(folder: string): GitOperation | undefined {
  return operationsInProgress(folder)[0];
}

/** Every operation the worktree at `folder` has a marker of, rebase first. */
export function operationsInProgress(folder: string): GitOperation[] {
  const gitDir = worktreeGitDir(folder);
  if (!gitDir) return [];
  return markers.filter(([file]) => fs.existsSync(path.join(gitDir, file))).map(([, operation]) => operation);
}
