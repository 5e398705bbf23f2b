/**
 * Parses `git merge-tree --write-tree -z --name-only --no-messages <a> <b>`
 * (git 2.38+), the merge computed without touching any index or worktree.
 *
 * - `--write-tree`: the real merge (ort), writing the result tree to the object store;
 * - `-z`: NUL-terminated fields, so any path is safe;
 * - `--name-only`: conflicted paths only, without modes and stages;
 * - `--no-messages`: no informational messages after the paths.
 *
 * Output: `<tree>\0` then, when there are conflicts, `<path>\0` per conflicted
 * path. Exit code 0 = clean, 1 = conflicts (the tree then holds conflict markers).
 */

export interface MergeTreeResult {
  clean: boolean;
  /** The merged tree (with conflict markers when not clean). */
  tree: string;
  /** Conflicted paths, unique and sorted. */
  conflicts: string[];
}

/** The arguments that produce the output parseMergeTree reads; revisions are validated by the caller. */
export function mergeTreeArgs(ours: string, theirs: string): string[] {
  return ['merge-tree', '--write-tree', '-z', '--name-only', '--no-messages', ours, theirs];
}

/** Parses merge-tree's stdout and exit code (0 clean, 1 conflicted). */
export function parseMergeTree(stdout: string, exitCode: number): MergeTreeResult {
  const fields = stdout.split('\0');
  const tree = fields[0].trim();
  const conflicts = new Set<string>();
  // Paths end at the first empty field: informational messages follow it when --no-messages is not given.
  for (let i = 1; i < fields.length && fields[i] !== ''; i++) conflicts.add(fields[i]);
  return { clean: exitCode === 0, tree, conflicts: [...conflicts].sort() };
}
