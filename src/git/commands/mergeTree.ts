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
import { GitErrorCode, PlanWorktreesError } from '../errors';
import { GitAt, options } from './git';
import { ReasonRule, withReasons } from './reasons';

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

export type MergeTreeReason = 'tooOld' | 'unrelated';

const mergeTreeReasons: ReadonlyArray<ReasonRule<MergeTreeReason>> = [
  { pattern: /usage: git merge-tree|unknown option.*write-tree/i, reason: 'tooOld', code: GitErrorCode.GitTooOld },
  // Two commits without a common ancestor (exit code 128).
  { pattern: /refusing to merge unrelated histories/i, reason: 'unrelated' },
];

/**
 * The merge of `ours` and `theirs` computed without touching any index or
 * worktree (`merge-tree --write-tree`); the merged tree is written to the
 * object store. A git that does not know it (before 2.38) gets GitTooOld;
 * two commits without a common ancestor fail with reason `unrelated`.
 */
export async function mergeTree(at: GitAt, ours: string, theirs: string): Promise<MergeTreeResult> {
  try {
    const out = await withReasons(mergeTreeReasons, () =>
      at.git.exec(mergeTreeArgs(ours, theirs), options(at, { okExitCodes: [1] })),
    );
    return parseMergeTree(out.stdout, out.exitCode);
  } catch (e) {
    if (e instanceof PlanWorktreesError && (e.code === GitErrorCode.GitTooOld || e.exitCode === 129)) {
      throw new PlanWorktreesError(
        GitErrorCode.GitTooOld,
        'This git cannot check a merge without touching files ("git merge-tree --write-tree"). Install git 2.38 or newer.',
        { command: e.command, stderr: e.stderr, cause: e },
      );
    }
    throw e;
  }
}
