/**
 * `git submodule`: checking out the submodules a new worktree's commit
 * records. Cloning a submodule can run programs its configuration names, so
 * the runner refuses it while the folder is not trusted.
 */
import { GitAt, options } from './git';

/** `git submodule update --init --recursive` in the worktree at `at.cwd`. */
export async function updateSubmodules(at: GitAt): Promise<void> {
  await at.git.run(['submodule', 'update', '--init', '--recursive', '--quiet'], options(at));
}
