/**
 * Is a branch's work already in its base? Cleanup deletes a branch only when
 * the answer is yes, so every check here errs on the side of "not merged".
 *
 * A branch is merged into a base when, in this order:
 * - `ancestor`: its tip is in the base's history (a branch with no commits
 *   beyond the merge-base counts: there is nothing to lose);
 * - `sameTree`: merging it into the base would not change the base's tree
 *   (`merge-tree --write-tree` gives the base's own tree): every change of the
 *   branch is already there, as after a squash merge or a pull request
 *   squash-merged on the server;
 * - `patchId`: every commit of the branch has a patch-equivalent commit in the
 *   base (`git cherry`), as after a rebase or cherry-picks.
 * When the base has an upstream (e.g. `origin/main`), the same checks run
 * against it too; fetching it is the caller's business.
 */
import { ErrorCode, PlanError } from '../engine/errors';
import { cherry, commitGraph, mergeBase, octopusMergeBase } from '../../git/commands/log';
import { mergeTree } from '../../git/commands/mergeTree';
import { forEachRef } from '../../git/commands/refs';
import { validateBranchName } from '../engine/names';
import { RepoContext } from '../engine/types';

export type MergeKind = 'ancestor' | 'sameTree' | 'patchId';

export interface MergedResult {
  merged: boolean;
  /** How the work was found; `upstream` when it is in the base's upstream only. */
  how?: MergeKind | 'upstream';
  /** When `how` is `upstream`: the upstream ref and how the work was found there. */
  upstream?: { ref: string; how: MergeKind };
}

/** A commit that work may have been merged into: a base branch or its upstream. */
export interface MergeTarget {
  /** Full ref name, e.g. `refs/heads/main`. */
  ref: string;
  oid: string;
  tree: string;
  /** Full ref of its upstream, e.g. `refs/remotes/origin/main`, if configured. */
  upstream?: string;
}

/** Whether the work of `branch` is in `base` or in the base's upstream. Both are branch names (short or full refs). */
export async function isMerged(ctx: RepoContext, branch: string, base: string): Promise<MergedResult> {
  const branchRef = qualifyBranch(branch);
  const baseRef = qualifyBranch(base);
  const refs = await readRefs(ctx, [branchRef, baseRef]);
  const tip = requireRef(refs, branchRef);
  const target = requireRef(refs, baseRef);
  const direct = await mergedInto(ctx, tip.oid, target);
  if (direct || !target.upstream) return direct ? { merged: true, how: direct } : { merged: false };
  const upstream = (await readRefs(ctx, [target.upstream])).get(target.upstream);
  const viaUpstream = upstream && (await mergedInto(ctx, tip.oid, upstream));
  return viaUpstream
    ? { merged: true, how: 'upstream', upstream: { ref: target.upstream, how: viaUpstream } }
    : { merged: false };
}

/**
 * How the commit `tip` is merged into `target`, or undefined when it is not:
 * the three checks in order, each run only when the previous one said no.
 */
export async function mergedInto(ctx: RepoContext, tip: string, target: MergeTarget): Promise<MergeKind | undefined> {
  const mergeBase = await findMergeBase(ctx, tip, target.oid);
  if (mergeBase === undefined) return undefined;
  if (mergeBase === tip) return 'ancestor';
  if (await hasSameTree(ctx, tip, target)) return 'sameTree';
  if (await isPatchEquivalent(ctx, tip, target.oid)) return 'patchId';
  return undefined;
}

/** True when merging `tip` into `target` would leave target's tree as it is: one git process. */
export async function hasSameTree(
  ctx: RepoContext,
  tip: string,
  target: Pick<MergeTarget, 'oid' | 'tree'>,
): Promise<boolean> {
  const merge = await mergeTree({ git: ctx.git, cwd: ctx.repo.commonDir }, target.oid, tip);
  return merge.clean && merge.tree === target.tree;
}

/** The best common ancestor of two commits, or undefined for unrelated histories. */
export async function findMergeBase(ctx: RepoContext, a: string, b: string): Promise<string | undefined> {
  return mergeBase({ git: ctx.git, cwd: ctx.repo.commonDir }, a, b);
}

/** True when every commit between the merge-base and `tip` has a patch-equivalent commit in `target`. */
async function isPatchEquivalent(ctx: RepoContext, tip: string, target: string): Promise<boolean> {
  const commits = await cherry({ git: ctx.git, cwd: ctx.repo.commonDir }, target, tip);
  return commits.length > 0 && commits.every((c) => c.equivalent);
}

/**
 * Reads branches (full refs) in one git process: their commit, tree and
 * upstream. Refs that do not exist are missing from the map; so are, with
 * `mergedInto` (a full ref), those whose commit is not in its history.
 */
export async function readRefs(
  ctx: RepoContext,
  refs: string[],
  filter: { mergedInto?: string } = {},
): Promise<Map<string, MergeTarget>> {
  const rows = await forEachRef(
    { git: ctx.git, cwd: ctx.repo.commonDir },
    refs,
    ['refname', 'objectname', 'tree', 'upstream'],
    filter.mergedInto !== undefined ? { merged: filter.mergedInto } : {},
  );
  const wanted = new Set(refs);
  const found = new Map<string, MergeTarget>();
  for (const [ref, oid, tree, upstream] of rows) {
    // for-each-ref also matches refs below a pattern (refs/heads/main/x for refs/heads/main).
    if (!wanted.has(ref) || !tree) continue;
    found.set(ref, { ref, oid, tree, upstream: upstream || undefined });
  }
  return found;
}

/**
 * The commit of `branch` when it is in the history of `base` (both branch
 * names; `ancestor` above), read with it in one git process
 * (`for-each-ref --merged`); undefined when it is not, when either is
 * missing, when git fails, or when `base` is no valid short branch name (a
 * revision such as `main@{1}` would name another commit than the branch's).
 */
export async function ancestorTip(ctx: RepoContext, branch: string, base: string): Promise<string | undefined> {
  if (validateBranchName(base) !== undefined) return undefined;
  const branchRef = qualifyBranch(branch);
  const baseRef = qualifyBranch(base);
  const refs = await readRefs(ctx, [branchRef, baseRef], { mergedInto: baseRef }).catch(() => undefined);
  // The base lists itself: one that does not was not the commit asked about.
  return refs?.has(baseRef) ? refs.get(branchRef)?.oid : undefined;
}

/** `main` → `refs/heads/main`; a full ref is kept. The result never starts with `-`. */
export function qualifyBranch(name: string): string {
  return name.startsWith('refs/') ? name : `refs/heads/${name}`;
}

function requireRef(refs: Map<string, MergeTarget>, ref: string): MergeTarget {
  const found = refs.get(ref);
  if (!found) {
    throw new PlanError(ErrorCode.BranchNotFound, { reason: 'branch', branch: ref.replace(/^refs\/heads\//, '') });
  }
  return found;
}

/** How a commit relates to a base commit. */
export interface Divergence {
  /** Commits in the tip's history that are not in the base's. */
  ahead: number;
  /** Commits in the base's history that are not in the tip's. */
  behind: number;
  /** The tip is in the base's history (`ahead` is 0). */
  ancestor: boolean;
}

/**
 * Ahead/behind counts of many (tip, base) pairs in two git processes whatever
 * their number: one `merge-base --octopus` finds a commit in every history,
 * one `rev-list --parents` walks everything above it, and the counting is done
 * here. The answer is in the order of `pairs`.
 */
export async function divergences(
  ctx: RepoContext,
  pairs: ReadonlyArray<{ tip: string; base: string }>,
): Promise<Divergence[]> {
  if (pairs.length === 0) return [];
  const commits = [...new Set(pairs.flatMap((p) => [p.tip, p.base]))];
  const at = { git: ctx.git, cwd: ctx.repo.commonDir };
  const common = await octopusMergeBase(at, commits);
  const graph = await commitGraph(at, commits, common ? [common] : []);
  const reach = memoize((oid: string) => reachable(graph, oid));
  return pairs.map(({ tip, base }) => {
    const mine = reach(tip);
    const theirs = reach(base);
    const ahead = countMissing(mine, theirs);
    return { ahead, behind: countMissing(theirs, mine), ancestor: ahead === 0 };
  });
}

/**
 * The commits of `graph` reachable from `start`. A commit outside the graph is
 * below the common commit, and so is everything it reaches: an empty set.
 */
function reachable(graph: Map<string, string[]>, start: string): Set<string> {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const oid = stack.pop() as string;
    if (seen.has(oid) || !graph.has(oid)) continue;
    seen.add(oid);
    stack.push(...(graph.get(oid) as string[]));
  }
  return seen;
}

function countMissing(from: Set<string>, other: Set<string>): number {
  let count = 0;
  for (const oid of from) if (!other.has(oid)) count++;
  return count;
}

function memoize<T>(compute: (key: string) => T): (key: string) => T {
  const values = new Map<string, T>();
  return (key) => {
    if (!values.has(key)) values.set(key, compute(key));
    return values.get(key) as T;
  };
}
