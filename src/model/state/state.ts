/**
 * The state of every worktree for the tree view: dirty counts, ahead/behind
 * the plan's base, merged, missing folder, last commit. Built to stay fast at
 * hundreds of worktrees: a refresh runs ONE `git status` per worktree and a
 * constant number of git processes for all of them together (base refs, one
 * history walk, one log of the last commits). Squash-merge detection
 * (`merge-tree`) runs only for plans that could have been squash-merged
 * (not an ancestor, nothing uncommitted, base moved on) and is remembered per
 * (tip, base) pair, which never changes its answer.
 *
 * A plan is judged by its branch: a worktree in the middle of a rebase has a
 * detached HEAD (the commit being replayed), which says nothing about the
 * plan, so its branch's tip is compared with the base and its merged-ness is
 * unknown (`operation` says why) until the rebase ends.
 *
 * Results are cached per worktree until `invalidate(path)`; after a base
 * branch moves (a merge), call `invalidate()` so every plan's counts are redone.
 */
import * as fs from 'fs';
import { ErrorCode, isError } from '../engine/errors';
import { GitOperation, operationInProgress } from '../../git/operation';
import { commitSummaries } from '../../git/commands/log';
import { status } from '../../git/commands/status';
import { StatusSummary } from '../../git/status';
import { WorktreeEntry } from '../../git/worktreeList';
import { Divergence, divergences, hasSameTree, MergedResult, MergeTarget, qualifyBranch, readRefs } from './merged';
import { PlanRecord, RepoContext } from '../engine/types';

export interface DirtyCounts {
  staged: number;
  modified: number;
  untracked: number;
  conflicted: number;
}

export interface LastCommit {
  sha: string;
  subject: string;
  /** Committer date, ISO 8601. */
  date: string;
}

export interface WorktreeDetails {
  dirty: DirtyCounts;
  /** Commits of the worktree's HEAD not in the plan's base (plans only). */
  ahead?: number;
  /** Commits of the plan's base not in the worktree's HEAD (plans only). */
  behind?: number;
  /** Whether the plan's work is in its base or the base's upstream (plans only); unknown (absent) while `operation` is set. */
  merged?: MergedResult;
  /** A rebase, merge, cherry-pick or revert the worktree is in the middle of. */
  operation?: GitOperation;
  /** The commit compared with the base (plans only): HEAD on a branch; the plan branch's tip when HEAD is detached. */
  tip?: string;
  /** The folder is gone (deleted by hand, or git says prunable): no dirty counts or ahead/behind; head and last commit are git's last record. */
  missing: boolean;
  /** The commit checked out. */
  head?: string;
  lastCommit?: LastCommit;
}

export interface WorktreeItem {
  entry: WorktreeEntry;
  plan?: PlanRecord;
}

const clean: DirtyCounts = { staged: 0, modified: 0, untracked: 0, conflicted: 0 };

/** Per-worktree state, cached until invalidated. One instance per repository. */
export class WorktreeStateCache {
  private readonly cache = new Map<string, Promise<WorktreeDetails>>();
  /** `tip:base` → whether merging tip into base leaves base's tree unchanged. Commits never change, so neither does the answer. */
  private readonly sameTree = new Map<string, boolean>();
  private batch: { items: WorktreeItem[]; result: Promise<Map<string, WorktreeDetails>> } | undefined;

  constructor(private readonly ctx: RepoContext) {}

  /**
   * The details of one worktree. Calls made in the same tick are read
   * together, so asking for each item of a list costs what detailsForAll costs.
   */
  details(entry: WorktreeEntry, plan?: PlanRecord): Promise<WorktreeDetails> {
    const cached = this.cache.get(entry.path);
    if (cached) return cached;
    this.batch ??= this.scheduleBatch();
    this.batch.items.push({ entry, plan });
    return this.batch.result.then((all) => all.get(entry.path) as WorktreeDetails);
  }

  /** The details of every given worktree, keyed by path; cached ones are not read again. */
  async detailsForAll(items: WorktreeItem[]): Promise<Map<string, WorktreeDetails>> {
    const toRead = items.filter((item) => !this.cache.has(item.entry.path));
    if (toRead.length > 0) {
      const reading = this.read(toRead);
      for (const { entry } of toRead) {
        this.remember(
          entry.path,
          reading.then((all) => all.get(entry.path) as WorktreeDetails),
        );
      }
    }
    // Taken before any await, so an invalidate() meanwhile cannot leave a hole.
    const pending = items.map(({ entry }) => this.cache.get(entry.path) as Promise<WorktreeDetails>);
    const results = await Promise.all(pending);
    return new Map(items.map(({ entry }, i) => [entry.path, results[i]]));
  }

  /** Forgets one worktree's details (or all of them): the next request reads them again. */
  invalidate(path?: string): void {
    if (path === undefined) this.cache.clear();
    else this.cache.delete(path);
  }

  private scheduleBatch(): { items: WorktreeItem[]; result: Promise<Map<string, WorktreeDetails>> } {
    const items: WorktreeItem[] = [];
    const result = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.batch = undefined;
      return this.detailsForAll(items);
    });
    return { items, result };
  }

  /** Caches a pending read; a failed read is not kept, so the next request tries again. */
  private remember(path: string, details: Promise<WorktreeDetails>): void {
    this.cache.set(path, details);
    details.catch(() => {
      if (this.cache.get(path) === details) this.cache.delete(path);
    });
  }

  private async read(items: WorktreeItem[]): Promise<Map<string, WorktreeDetails>> {
    // A detached plan worktree (mid-rebase) is judged by its branch, read with the bases: no extra process.
    const branches = items.flatMap(({ entry, plan }) => (plan && entry.detached ? [qualifyBranch(plan.branch)] : []));
    const bases = [...new Set([...items.flatMap(({ plan }) => (plan ? [qualifyBranch(plan.base)] : [])), ...branches])];
    const [statuses, targets] = await Promise.all([
      Promise.all(items.map(({ entry }) => this.readStatus(entry))),
      this.readTargets(bases),
    ]);
    const details = new Map(items.map(({ entry }, i) => [entry.path, toDetails(entry, statuses[i])]));
    const comparisons = comparisonsFor(items, details, targets);
    const heads = [
      ...new Set([...[...details.values()].flatMap((d) => (d.head ? [d.head] : [])), ...comparisons.map((c) => c.tip)]),
    ];
    const [commits, answers] = await Promise.all([
      this.readLastCommits(heads),
      divergences(this.ctx, comparisons.flatMap(pairsOf)),
    ]);
    for (const d of details.values()) {
      const commit = d.head ? commits.get(d.head) : undefined;
      if (commit) d.lastCommit = { sha: commit.sha, subject: commit.subject, date: commit.date };
    }
    let next = 0;
    await Promise.all(
      comparisons.map(async (c) => {
        const onBase = answers[next++];
        const onUpstream = c.upstream ? answers[next++] : undefined;
        c.details.ahead = onBase.ahead;
        c.details.behind = onBase.behind;
        c.details.tip = c.tip;
        if (!c.details.operation) {
          c.details.merged = await this.mergedState(c, commits.get(c.tip)?.tree, onBase, onUpstream);
        }
      }),
    );
    return details;
  }

  /** `git status` of one worktree; 'missing' when its folder is gone (no git call then); undefined for a bare repository's entry. */
  private async readStatus(entry: WorktreeEntry): Promise<StatusSummary | 'missing' | undefined> {
    if (entry.bare) return undefined;
    if (entry.prunable !== undefined || !fs.existsSync(entry.path)) return 'missing';
    try {
      // A refresh must never take the index lock that the user's own git commands need.
      return await status(
        { git: this.ctx.git, cwd: entry.path },
        { branch: true, untracked: 'all', optionalLocks: false },
      );
    } catch (e) {
      if (isError(e, ErrorCode.NotAGitRepository)) return 'missing';
      throw e;
    }
  }

  /** The plans' base branches and, when they have one, their upstreams: at most two git processes. */
  private async readTargets(bases: string[]): Promise<Map<string, MergeTarget>> {
    if (bases.length === 0) return new Map();
    const targets = await readRefs(this.ctx, bases);
    const upstreams = [...new Set([...targets.values()].flatMap((t) => (t.upstream ? [t.upstream] : [])))];
    if (upstreams.length > 0) for (const [ref, target] of await readRefs(this.ctx, upstreams)) targets.set(ref, target);
    return targets;
  }

  /** Ancestor answers come from the walk; the squash check only for plans with nothing uncommitted. */
  private async mergedState(
    c: Comparison,
    tipTree: string | undefined,
    onBase: Divergence,
    onUpstream: Divergence | undefined,
  ): Promise<MergedResult> {
    if (onBase.ancestor) return { merged: true, how: 'ancestor' };
    if (c.upstream && onUpstream?.ancestor) {
      return { merged: true, how: 'upstream', upstream: { ref: c.upstream.ref, how: 'ancestor' } };
    }
    if (!isClean(c.details.dirty)) return { merged: false };
    if (await this.isSquashMerged(c.tip, tipTree, c.base, onBase)) return { merged: true, how: 'sameTree' };
    if (c.upstream && onUpstream && (await this.isSquashMerged(c.tip, tipTree, c.upstream, onUpstream))) {
      return { merged: true, how: 'upstream', upstream: { ref: c.upstream.ref, how: 'sameTree' } };
    }
    return { merged: false };
  }

  /**
   * Whether the tip's changes are all in the target already. A target that has
   * not moved since the fork (behind 0) can only hold them when the trees are
   * equal, which the last-commit log already told; otherwise one merge-tree, remembered.
   */
  private async isSquashMerged(
    tip: string,
    tipTree: string | undefined,
    target: MergeTarget,
    divergence: Divergence,
  ): Promise<boolean> {
    if (divergence.behind === 0) return tipTree === target.tree;
    const key = `${tip}:${target.oid}`;
    let answer = this.sameTree.get(key);
    if (answer === undefined) {
      answer = await hasSameTree(this.ctx, tip, target);
      this.sameTree.set(key, answer);
    }
    return answer;
  }

  /** Subject, date and tree of each head: one git process for all. */
  private async readLastCommits(heads: string[]): Promise<Map<string, LastCommit & { tree: string }>> {
    const commits = new Map<string, LastCommit & { tree: string }>();
    if (heads.length === 0) return commits;
    for (const commit of await commitSummaries({ git: this.ctx.git, cwd: this.ctx.repo.commonDir }, heads)) {
      commits.set(commit.sha, commit);
    }
    return commits;
  }
}

/** A plan worktree to compare with its base (and the base's upstream). */
interface Comparison {
  details: WorktreeDetails;
  tip: string;
  base: MergeTarget;
  upstream?: MergeTarget;
}

function toDetails(entry: WorktreeEntry, status: StatusSummary | 'missing' | undefined): WorktreeDetails {
  if (status === 'missing') return { dirty: { ...clean }, missing: true, head: entry.head };
  if (status === undefined) return { dirty: { ...clean }, missing: false, head: entry.head };
  const { staged, modified, untracked, conflicted } = status;
  const details: WorktreeDetails = {
    dirty: { staged, modified, untracked, conflicted },
    missing: false,
    head: status.branch.oid,
  };
  const operation = operationInProgress(entry.path);
  if (operation) details.operation = operation;
  return details;
}

/** The plans whose worktree is there, has a commit (its branch's, when detached), and whose base branch exists. */
function comparisonsFor(
  items: WorktreeItem[],
  details: Map<string, WorktreeDetails>,
  targets: Map<string, MergeTarget>,
): Comparison[] {
  return items.flatMap(({ entry, plan }) => {
    const d = details.get(entry.path) as WorktreeDetails;
    const base = plan && targets.get(qualifyBranch(plan.base));
    const tip = plan && entry.detached ? targets.get(qualifyBranch(plan.branch))?.oid : d.head;
    if (!base || d.missing || !tip) return [];
    const upstream = base.upstream ? targets.get(base.upstream) : undefined;
    return [{ details: d, tip, base, upstream }];
  });
}

function pairsOf(c: Comparison): Array<{ tip: string; base: string }> {
  return [c.base, c.upstream].flatMap((t) => (t ? [{ tip: c.tip, base: t.oid }] : []));
}

function isClean(dirty: DirtyCounts): boolean {
  return dirty.staged + dirty.modified + dirty.untracked + dirty.conflicted === 0;
}
