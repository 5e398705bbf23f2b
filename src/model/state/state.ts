/**
 * The state of every worktree for the tree view: dirty counts, ahead/behind
 * the plan's base, merged, missing folder, last commit. Built to stay fast at
 * hundreds of worktrees: a first read runs ONE `git status` per worktree and a
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
 * What is read again, and when (the state is for display only: no operation
 * that deletes or moves anything reads it, each asks git itself):
 * - `invalidate(path)` — a file-system event in that worktree: its `git status`
 *   is run again; nothing else.
 * - `invalidate()` — something in the common git directory changed (refs,
 *   HEAD, the worktree records, an index, the registry): the base refs are
 *   read again (one `for-each-ref`), and a worktree's `git status` only when
 *   its key changed — its HEAD, branch or folder in the worktree list the
 *   caller passes, or its index's stamp (inode, size, times); a worktree
 *   with no file-system event and the same key gives the same status.
 * - `forget()` — everything is read again (the Refresh command, after an
 *   operation, the background verify).
 * Facts about commits (a commit's subject and tree, ahead/behind of a pair of
 * commits, whether a squash merge holds) never change and are remembered.
 */
import * as fs from 'fs';
import { ErrorCode, isError } from '../engine/errors';
import { Limiter, mapInTurns, unlimited } from '../engine/async';
import { GitOperation, operationInProgress } from '../../git/operation';
import { entryGitDir, indexStamp } from '../../git/worktreeFiles';
import type { KnownState } from '../store/stateCache';
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
  /**
   * Present on a state from memory (the last read, kept across sessions) that
   * git has not confirmed yet: when it was read. Shown as such, never used to
   * decide anything.
   */
  lastKnown?: { readAt: string };
}

export interface WorktreeItem {
  entry: WorktreeEntry;
  plan?: PlanRecord;
}

const clean: DirtyCounts = { staged: 0, modified: 0, untracked: 0, conflicted: 0 };

/** Options of a read. */
export interface ReadOptions {
  /** Runs each git process of the read (default: all at once, within the runner's own limit). */
  limit?: Limiter;
}

/** A worktree's status read, with the key it was read under. */
interface StatusRead {
  key: string | undefined;
  result: Promise<StatusResult>;
}

type StatusResult = StatusSummary | 'missing' | undefined;

/**
 * Worktrees whose file checks (a few `stat`s each: the key before a status
 * read, the operation after it) run in one turn of the event loop: a read of
 * 200 worktrees made some 1,000 of them in one synchronous stretch.
 */
const FILE_CHECKS_PER_TURN = 20;

/** Remembered facts about commits are dropped when there are more than this (a long session). */
const MAX_REMEMBERED = 20_000;

/** Per-worktree state, cached until invalidated (see the header). One instance per repository. */
export class WorktreeStateCache {
  /** Each worktree's details, until any invalidate. */
  private readonly cache = new Map<string, Promise<WorktreeDetails>>();
  /** Each worktree's status, reused while its key holds and no event came for it. */
  private readonly statuses = new Map<string, StatusRead>();
  /** The base refs (and their upstreams) last read, until `invalidate()`. */
  private targets: { refs: Set<string>; result: Promise<Map<string, MergeTarget>> } | undefined;
  /** Subject, date and tree of a commit. */
  private readonly commits = new Map<string, LastCommit & { tree: string }>();
  /** `tip:base` → ahead/behind of the pair of commits. */
  private readonly divergence = new Map<string, Divergence>();
  /** `tip:base` → whether merging tip into base leaves base's tree unchanged. Commits never change, so neither does the answer. */
  private readonly sameTree = new Map<string, boolean>();
  /** The last state read of each worktree with its key: what is kept across sessions. */
  private readonly known = new Map<string, KnownState>();
  private batch: { items: WorktreeItem[]; result: Promise<Map<string, WorktreeDetails>> } | undefined;
  /** Keys pinned for a paint from memory (`pinKeys`). */
  private pinned: Map<string, string | undefined> | undefined;
  /** Called after each read that gave new states (to keep them). */
  onRead: (() => void) | undefined;

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
  async detailsForAll(items: WorktreeItem[], options: ReadOptions = {}): Promise<Map<string, WorktreeDetails>> {
    const toRead = items.filter((item) => !this.cache.has(item.entry.path));
    if (toRead.length > 0) {
      const reading = this.read(toRead, options.limit ?? unlimited);
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

  /**
   * After a file-system event: `path` — in that worktree (its status is read
   * again); none — in the common git directory (the base refs are read
   * again, and each worktree's status when its key changed).
   */
  invalidate(path?: string): void {
    if (path === undefined) {
      this.cache.clear();
      this.targets = undefined;
    } else {
      this.cache.delete(path);
      this.statuses.delete(path);
    }
  }

  /** Reads everything again (of these worktrees only, when given; the base refs in any case). */
  forget(paths?: string[]): void {
    if (paths === undefined) {
      this.cache.clear();
      this.statuses.clear();
    } else {
      for (const p of paths) {
        this.cache.delete(p);
        this.statuses.delete(p);
      }
    }
    this.targets = undefined;
  }

  /**
   * What git's files say a worktree's status depends on, read without a git
   * process: its HEAD and branch (from the worktree list), whether its folder
   * is there and git still has it, and its index's stamp. Undefined when it
   * cannot be told (its git directory is not found): then it is always read.
   */
  keyOf(entry: WorktreeEntry, found?: { gitDir: string | undefined }): string | undefined {
    if (entry.bare) return 'bare';
    const there = entry.prunable === undefined && fs.existsSync(entry.path);
    if (!there) return `missing:${entry.head ?? ''}`;
    const stamp = indexStamp(found ? found.gitDir : entryGitDir(this.ctx.repo.commonDir, entry));
    return stamp === undefined ? undefined : `${entry.head ?? ''}|${entry.branch ?? ''}|${stamp}`;
  }

  /** The last state read of this worktree, if it was read with the key the worktree has now (from memory or the cache file). */
  lastKnown(entry: WorktreeEntry): KnownState | undefined {
    const known = this.known.get(entry.path);
    if (!known) return undefined;
    const key = this.pinned?.has(entry.path) ? this.pinned.get(entry.path) : this.keyOf(entry);
    return key !== undefined && known.key === key ? known : undefined;
  }

  /**
   * Keys taken once, when an engine opened from memory read git's files for
   * its paint (`PlanEngine.remembered`: the HEADs and git directories it had
   * just read): `lastKnown` answers from them without reading each
   * worktree's files a second time. Only a paint uses them, never a read;
   * `unpinKeys` drops them when git confirms the engine.
   */
  pinKeys(keys: Map<string, string | undefined>): void {
    this.pinned = keys;
  }

  unpinKeys(): void {
    this.pinned = undefined;
  }

  /** States from the cache file: taken where nothing was read in this session yet. */
  seed(states: Map<string, KnownState>): void {
    for (const [folder, state] of states) if (!this.known.has(folder)) this.known.set(folder, state);
  }

  /** The last state read of every worktree (to keep across sessions). */
  knownStates(): Map<string, KnownState> {
    return this.known;
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

  /** The worktree's status: the one read before under the same key (with no event since), or a new read. */
  private statusOf(entry: WorktreeEntry, limit: Limiter): StatusRead {
    const key = this.keyOf(entry);
    const before = this.statuses.get(entry.path);
    if (before && key !== undefined && before.key === key) return before;
    const read: StatusRead = { key, result: limit(() => this.readStatus(entry)) };
    this.statuses.set(entry.path, read);
    read.result.catch(() => {
      if (this.statuses.get(entry.path) === read) this.statuses.delete(entry.path);
    });
    return read;
  }

  /** The base refs: those read since the last `invalidate()` when they cover `bases`, else one read. */
  private targetsFor(bases: string[], limit: Limiter): Promise<Map<string, MergeTarget>> {
    if (bases.length === 0) return Promise.resolve(new Map());
    const last = this.targets;
    if (last && bases.every((b) => last.refs.has(b))) return last.result;
    const read = { refs: new Set(bases), result: limit(() => this.readTargets(bases)) };
    this.targets = read;
    read.result.catch(() => {
      if (this.targets === read) this.targets = undefined;
    });
    return read.result;
  }

  private async read(items: WorktreeItem[], limit: Limiter): Promise<Map<string, WorktreeDetails>> {
    // A detached plan worktree (mid-rebase) is judged by its branch, read with the bases: no extra process.
    const branches = items.flatMap(({ entry, plan }) => (plan && entry.detached ? [qualifyBranch(plan.branch)] : []));
    const bases = [...new Set([...items.flatMap(({ plan }) => (plan ? [qualifyBranch(plan.base)] : [])), ...branches])];
    const targetsRead = this.targetsFor(bases, limit);
    // Each worktree's key is taken just before its status read starts.
    const reads = await mapInTurns(items, FILE_CHECKS_PER_TURN, ({ entry }) => this.statusOf(entry, limit));
    const [statuses, targets] = await Promise.all([Promise.all(reads.map((r) => r.result)), targetsRead]);
    const details = new Map(
      await mapInTurns(
        items,
        FILE_CHECKS_PER_TURN,
        ({ entry }, i) => [entry.path, toDetails(entry, statuses[i])] as const,
      ),
    );
    const comparisons = comparisonsFor(items, details, targets);
    const heads = [
      ...new Set([...[...details.values()].flatMap((d) => (d.head ? [d.head] : [])), ...comparisons.map((c) => c.tip)]),
    ].filter((h) => !this.commits.has(h));
    const pairs = [...new Map(comparisons.flatMap(pairsOf).map((p) => [pairKey(p), p])).values()].filter(
      (p) => !this.divergence.has(pairKey(p)),
    );
    const [commits, answers] = await Promise.all([
      heads.length > 0 ? limit(() => this.readLastCommits(heads)) : new Map<string, LastCommit & { tree: string }>(),
      pairs.length > 0 ? limit(() => divergences(this.ctx, pairs)) : [],
    ]);
    if (this.commits.size + commits.size > MAX_REMEMBERED) this.commits.clear();
    for (const [sha, commit] of commits) this.commits.set(sha, commit);
    if (this.divergence.size + pairs.length > MAX_REMEMBERED) this.divergence.clear();
    const found = new Map(pairs.map((p, i) => [pairKey(p), answers[i]]));
    for (const [key, answer] of found) this.divergence.set(key, answer);
    // Never a guess: a pair the walk did not answer counts as not merged.
    const divergenceOf = (tip: string, base: string): Divergence =>
      found.get(pairKey({ tip, base })) ??
      this.divergence.get(pairKey({ tip, base })) ?? { ahead: 0, behind: 0, ancestor: false };
    for (const d of details.values()) {
      const commit = d.head ? this.commits.get(d.head) : undefined;
      if (commit) d.lastCommit = { sha: commit.sha, subject: commit.subject, date: commit.date };
    }
    await Promise.all(
      comparisons.map(async (c) => {
        const onBase = divergenceOf(c.tip, c.base.oid);
        const onUpstream = c.upstream ? divergenceOf(c.tip, c.upstream.oid) : undefined;
        c.details.ahead = onBase.ahead;
        c.details.behind = onBase.behind;
        c.details.tip = c.tip;
        if (!c.details.operation) {
          c.details.merged = await this.mergedState(c, this.commits.get(c.tip)?.tree, onBase, onUpstream, limit);
        }
      }),
    );
    const readAt = new Date().toISOString();
    items.forEach(({ entry }, i) => {
      const key = reads[i].key;
      if (key !== undefined) {
        this.known.set(entry.path, { key, readAt, details: details.get(entry.path) as WorktreeDetails });
      }
    });
    this.onRead?.();
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
    limit: Limiter,
  ): Promise<MergedResult> {
    if (onBase.ancestor) return { merged: true, how: 'ancestor' };
    if (c.upstream && onUpstream?.ancestor) {
      return { merged: true, how: 'upstream', upstream: { ref: c.upstream.ref, how: 'ancestor' } };
    }
    if (!isClean(c.details.dirty)) return { merged: false };
    if (await this.isSquashMerged(c.tip, tipTree, c.base, onBase, limit)) return { merged: true, how: 'sameTree' };
    if (c.upstream && onUpstream && (await this.isSquashMerged(c.tip, tipTree, c.upstream, onUpstream, limit))) {
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
    limit: Limiter,
  ): Promise<boolean> {
    if (divergence.behind === 0) return tipTree === target.tree;
    const key = `${tip}:${target.oid}`;
    let answer = this.sameTree.get(key);
    if (answer === undefined) {
      answer = await limit(() => hasSameTree(this.ctx, tip, target));
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

function pairKey(p: { tip: string; base: string }): string {
  return `${p.tip}:${p.base}`;
}

function pairsOf(c: Comparison): Array<{ tip: string; base: string }> {
  return [c.base, c.upstream].flatMap((t) => (t ? [{ tip: c.tip, base: t.oid }] : []));
}

function isClean(dirty: DirtyCounts): boolean {
  return dirty.staged + dirty.modified + dirty.untracked + dirty.conflicted === 0;
}
