/**
 * What a worktree is in the middle of: a rebase stopped on a conflict, a merge
 * waiting for its commit, a cherry-pick or revert. Read from the files git
 * keeps in the worktree's own git directory (`rebase-merge/`, `rebase-apply/`,
 * `MERGE_HEAD`, ...): no git process, so the tree can ask it of every worktree.
 * The files are data: only their existence is looked at.
 */
import * as fs from 'fs';
import * as path from 'path';

export type GitOperation = 'rebase' | 'merge' | 'cherryPick' | 'revert';

const markers: ReadonlyArray<[string, GitOperation]> = [
  ['rebase-merge', 'rebase'],
  ['rebase-apply', 'rebase'],
  ['MERGE_HEAD', 'merge'],
  ['CHERRY_PICK_HEAD', 'cherryPick'],
  ['REVERT_HEAD', 'revert'],
];

/** The git directory of the worktree at `folder`: its `.git` folder, or where its `.git` file points. */
export function worktreeGitDir(folder: string): string | undefined {
  const dotGit = path.join(folder, '.git');
  try {
    const stat = fs.lstatSync(dotGit);
    if (stat.isDirectory()) return dotGit;
    if (!stat.isFile() || stat.size > 4096) return undefined;
    const match = /^gitdir: (.*)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
    return match ? path.resolve(folder, match[1].trim()) : undefined;
  } catch {
    return undefined;
  }
}

/** The operation the worktree at `folder` is in the middle of, if any. */
export function operationInProgress(folder: string): GitOperation | undefined {
  const gitDir = worktreeGitDir(folder);
  if (!gitDir) return undefined;
  return markers.find(([file]) => fs.existsSync(path.join(gitDir, file)))?.[1];
}
