/**
 * The facade the UI and the extension API use: one engine per repository.
 * Reads are cheap and reconciled (git says what exists, the registry what a
 * plan means); every mutating operation runs through the repository's
 * operation queue, one at a time, and fires `onDidChange` when it ends.
 * Across windows, an operation on a plan (and every doctor fix) holds the
 * plan's lock, and one that moves or judges from the base holds the base's
 * too (see planLock.ts): it works on the plan as it is once it holds them.
 */
import * as fs from 'fs';
import { forEachRef } from '../../git/commands/refs';
import { listRemotes } from '../../git/commands/remote';
import { isClean } from '../../git/commands/status';
import { asDiskFull } from '../../git/errors';
import { ErrorCode, errorRecord, PlanError, PlanWorktreesError } from './errors';
import type { Git } from '../../git/commands/git';
import { Logger, silentLogger } from '../../git/log';
import { shortBranchName, WorktreeEntry } from '../../git/worktreeList';
import { entryGitDir, headsFromFiles, repositoryFromFiles, worktreeListStamp } from '../../git/worktreeFiles';
import { allInOrder, limitConcurrency, OperationQueue } from './async';
import { cleanupPlan, CleanupOptions, CleanupResult, discardPlan, findWorktree } from '../lifecycle/cleanup';
import {
  AdoptableBranch,
  adoptableBranches,
  createPlan,
  CreatedPlan,
  CreateOptions,
  planNames,
  PlanNames,
  uncommittedFiles,
} from '../lifecycle/create';
import { diffPlan, PlanDiff, readBaseContent } from '../state/diff';
import { findAgain, Finding, Fix, FixOutcome, runDoctor } from '../recovery/doctor';
import { EventLog } from '../store/events';
import { commitAll } from '../lifecycle/commit';
import { fetchBaseRemote, publishPlan, PublishResult } from '../lifecycle/publish';
import {
  abortRebase,
  conflictedFiles,
  continueRebase,
  rebaseInWorktree,
  updateFromBase,
  UpdateHow,
  UpdateResult,
} from '../lifecycle/rebase';
import { checkMerge, MergeCheck, mergePlan, MergeOptions, MergeResult } from '../lifecycle/merge';
import { allowedPlanFolder } from '../store/location';
import { Mergeability, MergeabilityCache } from '../state/mergeability';
import { qualifyBranch } from '../state/merged';
import { pathKey, samePath, shownName } from './names';
import { LockOwner } from '../store/lock';
import { LockSubject, PlanLocks } from '../store/planLock';
import { plansWithId, Registry } from '../store/registry';
import { discoverRepositoryAndList, listWorktrees, listWorktreesOrHealthy } from './repository';
import {
  finishRestore,
  listSnapshots,
  restoreSnapshot,
  Snapshot,
  SNAPSHOT_REFS,
  unfinishedRestore,
  UnfinishedRestore,
  writeSnapshot,
} from '../lifecycle/snapshot';
import { WorktreeDetails, WorktreeStateCache } from '../state/state';
import { readStateCache, readStateCacheFile, writeStateCache } from '../store/stateCache';
import {
  defaultSettings,
  EngineSettings,
  LifecycleEvent,
  PlanRecord,
  RepoContext,
  RepositoryInfo,
  SetupResult,
} from './types';
import { recordSetup, SetupProgress } from '../environment/setupResult';
import { lockWorktree, unlockWorktree } from '../lifecycle/worktreeLock';

/** One row of the list: a worktree with its plan, or a plan whose worktree is gone. */
export interface PlanWorktree {
  /** Absent for a plan whose worktree no longer exists. */
  worktree?: WorktreeEntry;
  plan?: PlanRecord;
  kind: 'main' | 'plan' | 'other';
}

/** What `PlanEngine.open` needs: the git runner, a logger and settings over the defaults. */
export interface EngineOptions {
  git: Git;
  log?: Logger;
  settings?: Partial<EngineSettings>;
  /** How long an operation waits while another window works on the same plan, before PlanBusy; default 5 s. */
  lockWaitMs?: number;
  /**
   * Keep every worktree's last read state in the state folder
   * (`cache/worktree-state.json`), so the next session paints it at once
   * (`lastKnown`) before it is verified. Off by default.
   */
  persistState?: boolean;
  /**
   * Every change in the common git directory is announced by `invalidate()`
   * (the extension's watchers): the worktree list is then reused until one
   * without checking the stamp of its files (a few thousand file stats at
   * hundreds of worktrees). Off by default: the stamp decides.
   */
  watched?: boolean;
}

/**
 * Which plan an operation is about: its id (the default run, see
 * `defaultRun`), or its id and run (`{ id: '7', run: 2 }`; a plan record is
 * one), which names that run and no other.
 */
export type PlanRef = string | { id: string; run?: number };

/** The id a plan reference names. */
export function refId(ref: PlanRef): string {
  return typeof ref === 'string' ? ref : ref.id;
}

/**
 * The run of a plan an id alone names, among its runs: the newest run that
 * is active or still has its worktree (`hasWorktree`), else the newest run.
 * A run merged but not cleaned up yet is still the one its id names; a run
 * kept for inspection is named by its run number.
 */
export function defaultRun(runs: PlanRecord[], hasWorktree: (plan: PlanRecord) => boolean): PlanRecord | undefined {
  const newestFirst = [...runs].sort((a, b) => b.run - a.run);
  return newestFirst.find((p) => p.status === 'active' || hasWorktree(p)) ?? newestFirst[0];
}

/** How long after a read its states are written to the cache file (reads close together make one write). */
const PERSIST_DELAY_MS = 2000;

export interface Disposable {
  dispose(): void;
}

/** One queue per repository (common git directory), shared by every engine of this process. */
const queues = new Map<string, OperationQueue>();

export class PlanEngine {
  settings: EngineSettings;
  private readonly ctx: RepoContext;
  private readonly registry: Registry;
  private readonly events: EventLog;
  private readonly state: WorktreeStateCache;
  private readonly mergeable: MergeabilityCache;
  private readonly queue: OperationQueue;
  private readonly locks: PlanLocks;
  private readonly listeners = new Set<() => void>();
  private persistState: boolean;
  private readonly watched: boolean;
  /**
   * Opened from what an earlier session kept (`remembered`), not confirmed by
   * git yet (`adopt`): only for painting; it writes nothing.
   */
  private memoryOnly = false;
  /** The cache file, read once (by the first `list()`). */
  private persisted: Promise<void> | undefined;
  /** The worktree folders of the last `list()`: only their states are kept in the cache file. */
  private listed = new Set<string>();
  /** The worktree list of the last `list()` git gave in full (kept in the cache file, for the next session's first paint). */
  private listedEntries: WorktreeEntry[] | undefined;
  private persistTimer: NodeJS.Timeout | undefined;
  private persistFailed = false;
  /** The last worktree list git gave, with the stamp of what it read (see `worktreeListStamp`); until `invalidate()`. */
  private lastList: { stamp: string; worktrees: WorktreeEntry[] } | undefined;

  /** Opens the repository that `folder` (any folder inside any of its worktrees) belongs to. */
  static async open(folder: string, options: EngineOptions): Promise<PlanEngine> {
    const { repo, worktrees } = await discoverRepositoryAndList(options.git, folder);
    const engine = new PlanEngine(repo, options);
    // The list read to find the repository is the first paint's too, while nothing it read changed.
    const stamp = worktrees && worktreeListStamp(repo.commonDir, worktrees);
    if (worktrees && stamp !== undefined) engine.lastList = { stamp, worktrees };
    return engine;
  }

  /**
   * An engine for painting only, opened from git's files and the state cache
   * file an earlier session wrote (no git process): the repository of
   * `folder` (its nearest `.git`), the worktree list that session kept, each
   * worktree's HEAD as git's files say now, and every last known state.
   * Undefined when nothing usable was kept. Its `list()` gives that list
   * without asking git, and it writes nothing; no operation may run on it
   * before `adopt` confirmed it with what git says (see PlanRepositories).
   */
  static async remembered(folder: string, options: EngineOptions): Promise<PlanEngine | undefined> {
    const found = repositoryFromFiles(folder);
    if (!found) return undefined;
    const { states, layout } = await readStateCacheFile(found.commonDir, { sync: true });
    const main = layout?.worktrees[0];
    if (!layout || !main || main.bare || !samePath(main.path, layout.mainPath)) return undefined;
    if (!layout.worktrees.some((w) => samePath(w.path, found.top))) return undefined;
    const gitDirs = layout.worktrees.map((w) => entryGitDir(found.commonDir, w));
    const heads = headsFromFiles(
      found.commonDir,
      gitDirs.filter((d): d is string => d !== undefined),
    );
    // A HEAD the files cannot tell is left empty: its last known state (keyed by it) is then not painted.
    const worktrees = layout.worktrees.map((w, i) => {
      const now = gitDirs[i] === undefined ? undefined : heads.get(gitDirs[i] as string);
      return now
        ? { ...w, head: now.head, branch: now.branch, detached: now.branch === undefined }
        : { ...w, head: undefined };
    });
    const repo = { mainPath: layout.mainPath, commonDir: found.commonDir, currentPath: found.top, bare: false };
    const engine = new PlanEngine(repo, { ...options, persistState: false, watched: true });
    engine.memoryOnly = true;
    engine.lastList = { stamp: '', worktrees };
    engine.state.seed(states);
    // Each key from the files just read (a worktree's git directory is not looked for twice): the paint reads no more.
    engine.state.pinKeys(
      new Map(
        worktrees.flatMap((w, i) =>
          states.has(w.path) ? [[w.path, engine.state.keyOf(w, { gitDir: gitDirs[i] })]] : [],
        ),
      ),
    );
    engine.persisted = Promise.resolve();
    return engine;
  }

  /** Whether this engine was opened from memory and git has not confirmed it yet (see `remembered`). */
  get fromMemory(): boolean {
    return this.memoryOnly;
  }

  /**
   * Confirms an engine opened from memory with one git opened (`PlanEngine.open`
   * on the same folder): when git found the same repository, this engine
   * takes git's worktree list and works from now on like `opened` (the tree's
   * items drawn from it stay valid), its settings included; false, and
   * nothing changes, otherwise.
   */
  adopt(opened: PlanEngine, options: { persistState?: boolean } = {}): boolean {
    if (!this.memoryOnly) return false;
    const same =
      samePath(opened.repo.commonDir, this.repo.commonDir) &&
      samePath(opened.repo.mainPath, this.repo.mainPath) &&
      samePath(opened.repo.currentPath, this.repo.currentPath) &&
      opened.repo.bare === this.repo.bare;
    if (!same) return false;
    this.memoryOnly = false;
    this.state.unpinKeys();
    this.lastList = opened.lastList;
    // Painting needs no setting: the settings are read once, for the engine git opened.
    this.settings = opened.settings;
    this.persistState = options.persistState ?? false;
    if (this.persistState) this.state.onRead = () => this.schedulePersist();
    return true;
  }

  private constructor(
    readonly repo: RepositoryInfo,
    options: EngineOptions,
  ) {
    this.settings = { ...defaultSettings, ...options.settings };
    const log = options.log ?? silentLogger;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const engine = this;
    this.ctx = {
      git: options.git,
      log,
      repo,
      // Settings change with the user's configuration; every operation sees the current ones.
      get settings() {
        return engine.settings;
      },
    };
    this.registry = new Registry(repo.commonDir, log);
    this.events = new EventLog(repo.commonDir);
    this.state = new WorktreeStateCache(this.ctx);
    this.persistState = options.persistState ?? false;
    this.watched = options.watched ?? false;
    if (this.persistState) this.state.onRead = () => this.schedulePersist();
    this.mergeable = new MergeabilityCache(this.ctx);
    this.locks = new PlanLocks(repo.commonDir, { waitMs: options.lockWaitMs });
    this.queue = queues.get(repo.commonDir) ?? new OperationQueue();
    queues.set(repo.commonDir, this.queue);
  }

  /**
   * Why the last `list()` could not ask git (a half-written worktree record:
   * WorktreeAdminBroken, which the doctor repairs); undefined when it could.
   */
  listProblem: PlanWorktreesError | undefined;

  /**
   * Every worktree with its plan, and the active plans whose worktree is gone:
   * one git process (none while nothing git reads for its list changed, see
   * `readWorktrees`) and one registry read. When a half-written worktree
   * record makes git fail, the healthy worktrees are read from git's files and
   * `listProblem` says so.
   */
  async list(): Promise<PlanWorktree[]> {
    const [{ worktrees, problem }, data] = await Promise.all([
      this.readWorktrees(),
      // Painted from memory (the first paint at start-up): every step of an asynchronous read would wait behind
      // whatever else the busy event loop holds.
      this.memoryOnly ? this.registry.readWithoutYielding() : this.registry.read(),
      this.loadPersisted(),
    ]);
    this.listProblem = problem;
    this.listed = new Set(worktrees.map((w) => w.path));
    this.listedEntries = problem ? undefined : worktrees;
    const items = reconcile(worktrees, data.plans);
    // Painted from memory: the registry is written only once git has confirmed what moved.
    if (!this.memoryOnly) await this.followMoved(items);
    return items;
  }

  /**
   * Git's worktree list: the last one while nothing it reads changed (its
   * stamp, or with `watched` no event said so; no git process) and no
   * `invalidate()` came since, else
   * `git worktree list`. Only this listing for display is kept: every
   * operation lists the worktrees itself.
   */
  private async readWorktrees(): Promise<{ worktrees: WorktreeEntry[]; problem?: PlanWorktreesError }> {
    const last = this.lastList;
    if (this.watched) {
      // The next event in the common git directory clears what is kept.
      if (last) return { worktrees: last.worktrees };
      const read = await listWorktreesOrHealthy(this.ctx);
      this.lastList = read.problem ? undefined : { stamp: '', worktrees: read.worktrees };
      return read;
    }
    // The files are stamped before git reads them and again after: a list read while they changed (a worktree added or a
    // commit made at that moment) is not kept.
    const previous = last?.worktrees ?? [];
    const before = worktreeListStamp(this.repo.commonDir, previous);
    if (last && before !== undefined && before === last.stamp) return { worktrees: last.worktrees };
    const read = await listWorktreesOrHealthy(this.ctx);
    const steady = before !== undefined && worktreeListStamp(this.repo.commonDir, previous) === before;
    const stamp = read.problem || !steady ? undefined : worktreeListStamp(this.repo.commonDir, read.worktrees);
    this.lastList = stamp === undefined ? undefined : { stamp, worktrees: read.worktrees };
    return read;
  }

  /** Records the new folder of plan worktrees moved by hand (`git worktree move`), which `reconcile` found on their branch. */
  private async followMoved(items: PlanWorktree[]): Promise<void> {
    const moved = items.filter((i) => i.plan && i.worktree && !samePath(i.plan.path, i.worktree.path));
    if (moved.length === 0) return;
    await this.registry.update((data) => {
      for (const { plan, worktree } of moved) {
        const entry = data.plans.find((p) => p.id === plan?.id && p.run === plan?.run && p.path === plan?.path);
        if (entry && worktree) Object.assign(entry, { path: worktree.path, updated: new Date().toISOString() });
      }
    });
    for (const item of moved) if (item.plan && item.worktree) item.plan = { ...item.plan, path: item.worktree.path };
    this.ctx.log.info(
      `Followed ${moved.length} plan worktree(s) moved by hand: ${moved.map((i) => i.worktree?.path).join(', ')}`,
    );
  }

  /**
   * Dirty counts, ahead/behind, merged... of one row, for display: cached
   * until `invalidate` says what changed (see WorktreeStateCache). `fresh`
   * reads the worktree's status and the base refs again first (a question
   * about to be asked). No operation that deletes or moves anything decides
   * from this: each reads git itself.
   */
  async details(item: PlanWorktree, options: { fresh?: boolean } = {}): Promise<WorktreeDetails> {
    if (!item.worktree) return { dirty: { staged: 0, modified: 0, untracked: 0, conflicted: 0 }, missing: true };
    if (options.fresh) this.state.forget([item.worktree.path]);
    return this.state.details(item.worktree, item.plan);
  }

  /**
   * The last state read of a row, from this session or the cache file of an
   * earlier one (`persistState`; read by the first `list()`), with
   * `lastKnown` set: for painting before git confirms it. Only while the
   * worktree's key (HEAD, branch, folder, index stamp) is what it was then;
   * undefined otherwise. No git process.
   */
  lastKnown(item: PlanWorktree): WorktreeDetails | undefined {
    const known = item.worktree && this.state.lastKnown(item.worktree);
    return known ? { ...known.details, lastKnown: { readAt: known.readAt } } : undefined;
  }

  /**
   * Reads the state of `items` again from git, in their order (the first
   * `first` together, then `batch` at a time), with at most `concurrency`
   * git processes at once, calling `each` as each part arrives: the
   * background verify of states painted from memory.
   */
  async verify(
    items: PlanWorktree[],
    each: (item: PlanWorktree, details: WorktreeDetails) => void,
    options: { concurrency?: number; first?: number; batch?: number } = {},
  ): Promise<void> {
    const limit = limitConcurrency(options.concurrency ?? 2);
    const rows = items.filter((i): i is PlanWorktree & { worktree: WorktreeEntry } => i.worktree !== undefined);
    this.state.forget(rows.map((r) => r.worktree.path));
    let start = 0;
    let size = Math.max(1, options.first ?? 20);
    while (start < rows.length) {
      const part = rows.slice(start, start + size);
      const all = await this.state.detailsForAll(
        part.map((r) => ({ entry: r.worktree, plan: r.plan })),
        { limit },
      );
      for (const row of part) {
        const details = all.get(row.worktree.path);
        if (details) each(row, details);
      }
      start += size;
      size = Math.max(1, options.batch ?? 50);
    }
  }

  /** Writes the states read so far to the cache file now (`persistState`), instead of after the delay. */
  async flushState(): Promise<void> {
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = undefined;
    if (!this.persistState) return;
    const keep = new Map([...this.state.knownStates()].filter(([folder]) => this.listed.has(folder)));
    const layout =
      this.listedEntries && !this.repo.bare
        ? { mainPath: this.repo.mainPath, worktrees: this.listedEntries }
        : undefined;
    try {
      await writeStateCache(this.repo.commonDir, keep, layout);
    } catch (e) {
      // A cache that cannot be written costs the next session its quick paint, nothing more: said once.
      if (!this.persistFailed) this.ctx.log.warn(`The worktree state cache could not be written: ${String(e)}`);
      this.persistFailed = true;
    }
  }

  private schedulePersist(): void {
    if (this.persistTimer) return;
    this.persistTimer = setTimeout(() => void this.flushState(), PERSIST_DELAY_MS);
    this.persistTimer.unref?.();
  }

  private loadPersisted(): Promise<void> {
    if (!this.persistState) return Promise.resolve();
    this.persisted ??= readStateCache(this.repo.commonDir).then((states) => this.state.seed(states));
    return this.persisted;
  }

  /**
   * The plan a reference names: that run of it, or for an id alone its
   * newest run that is active or still has its folder (see `defaultRun`).
   * Throws `PlanNotFound` (with the run, when one was named).
   */
  async plan(ref: PlanRef): Promise<PlanRecord> {
    const planId = refId(ref);
    const run = typeof ref === 'string' ? undefined : ref.run;
    const runs = plansWithId(await this.registry.read(), planId);
    const plan = run === undefined ? defaultRun(runs, (p) => fs.existsSync(p.path)) : runs.find((p) => p.run === run);
    if (!plan) {
      throw new PlanError(ErrorCode.PlanNotFound, {
        reason: 'noPlan',
        plan: shownName(planId),
        ...(run !== undefined ? { run } : {}),
      });
    }
    return plan;
  }

  /** Every run of a plan id, newest first (none for an unknown id). */
  async runs(planId: string): Promise<PlanRecord[]> {
    return plansWithId(await this.registry.read(), planId);
  }

  /** The plan whose worktree this engine was opened in; undefined in the main checkout or another worktree. */
  async currentPlan(): Promise<PlanRecord | undefined> {
    if (samePath(this.repo.currentPath, this.repo.mainPath)) return undefined;
    const here = (await this.registry.read()).plans
      .filter((p) => samePath(p.path, this.repo.currentPath))
      .sort((a, b) => b.run - a.run);
    return here.find((p) => p.status === 'active') ?? here[0];
  }

  /** The id, branch and folder a create with these options would make now (see `planNames`); changes nothing. */
  async previewNames(options: { id?: string; title: string; branch?: string; path?: string }): Promise<PlanNames> {
    return planNames(this.ctx, await this.registry.read(), options);
  }

  /** Creates a plan worktree (see `createPlan`); a given id is locked meanwhile (a new number is reserved in the registry). */
  create(options: CreateOptions): Promise<CreatedPlan> {
    const subjects: LockSubject[] = options.id === undefined ? [] : [{ kind: 'plan', name: options.id }];
    return this.mutate('create', () =>
      this.locks.hold(subjects, 'create', options.id, () => createPlan(this.ctx, this.registry, this.events, options)),
    );
  }

  /** The plan's changes against the merge-base with its base: committed, uncommitted and untracked. */
  async diff(planId: PlanRef): Promise<PlanDiff> {
    return diffPlan(this.ctx, await this.plan(planId));
  }

  /** The content of a file in the plan's merge-base (the left side of its diff). */
  async readBaseContent(planId: PlanRef, mergeBase: string, file: string): Promise<Buffer | undefined> {
    return readBaseContent(this.ctx, await this.plan(planId), mergeBase, file);
  }

  /**
   * The merge pre-check of one plan now (`merge-tree --write-tree`): changes
   * nothing. With `attempt` (a merge a person or program asked for), a
   * conflict is recorded in the history as a refused merge (`merge.refused`).
   */
  async checkMerge(planId: PlanRef, options: { attempt?: boolean } = {}): Promise<MergeCheck> {
    const plan = await this.plan(planId);
    const check = await checkMerge(this.ctx, plan);
    if (options.attempt && !check.clean) {
      await this.events.append({
        type: 'merge.refused',
        planId: plan.id,
        run: plan.run,
        branch: plan.branch,
        base: plan.base,
        code: ErrorCode.MergeConflict,
        error: `Conflicts with ${plan.base}; nothing was changed.`,
        files: check.conflicts,
      });
    }
    return check;
  }

  /** For every active plan: merges cleanly or not, and which other plans change the same files (cached per pair of commits). */
  async mergeability(): Promise<Map<string, Mergeability>> {
    const active = (await this.registry.read()).plans.filter((p) => p.status === 'active' && !p.creating);
    return this.mergeable.compute(active);
  }

  /** Commits every change of the plan's worktree with this message (the Source Control input box); returns the new commit. */
  commit(planId: PlanRef, message: string): Promise<string> {
    return this.onPlan('commit', planId, (plan) => commitAll(this.ctx, plan, message));
  }

  /** Pushes the plan branch to its base's remote (see `publishPlan`). */
  publish(planId: PlanRef, signal?: AbortSignal): Promise<PublishResult> {
    return this.onPlan('publish', planId, async (plan) => {
      const result = await publishPlan(this.ctx, plan, signal);
      await this.events.append({ type: 'publish', planId: plan.id, branch: plan.branch, remote: result.remote });
      return result;
    });
  }

  /** Fetches the plan's base remote, so work merged on the server shows as merged. */
  fetch(planId: PlanRef, signal?: AbortSignal): Promise<void> {
    return this.mutate('fetch', async () => fetchBaseRemote(this.ctx, (await this.plan(planId)).base, signal));
  }

  /**
   * Rebases the plan onto its base in its own worktree; returns the files to
   * resolve when it stopped on conflicts (events `rebase.before/after/failed`).
   */
  rebaseOntoBase(planId: PlanRef, signal?: AbortSignal): Promise<string[]> {
    return this.recorded('rebase', planId, (plan) => rebaseInWorktree(this.ctx, plan, signal), { base: true });
  }

  /** Brings the base's new commits into the plan by a rebase or a merge in its worktree, pre-checked first (events `update.*`). */
  updateFromBase(planId: PlanRef, how: UpdateHow, signal?: AbortSignal): Promise<UpdateResult> {
    return this.recorded('update', planId, (plan) => updateFromBase(this.ctx, plan, how, signal), { base: true });
  }

  /** Continues the plan's stopped rebase; returns the files of the next conflict, or [] when it is done (events `rebase.continue.*`). */
  continueRebase(planId: PlanRef, signal?: AbortSignal): Promise<string[]> {
    return this.recorded('rebase.continue', planId, (plan) => continueRebase(this.ctx, plan, signal));
  }

  /**
   * Aborts the plan's stopped rebase: branch and worktree go back to where
   * they were. A snapshot of the worktree comes first when it holds anything
   * (resolutions made so far), so nothing is lost (events `rebase.abort.*`).
   */
  abortRebase(planId: PlanRef, signal?: AbortSignal): Promise<Snapshot | undefined> {
    return this.recorded('rebase.abort', planId, async (plan) => {
      const changed = !(await isClean({ git: this.ctx.git, cwd: plan.path, signal }));
      const snapshot = changed
        ? await writeSnapshot(this.ctx, plan, 'rebase aborted', { ignoredFiles: false })
        : undefined;
      if (snapshot) {
        await this.events.append({
          type: 'snapshot',
          planId: plan.id,
          run: plan.run,
          reason: 'rebase aborted',
          ref: snapshot.ref,
          commit: snapshot.commit,
        });
      }
      await abortRebase(this.ctx, plan, signal);
      return snapshot;
    });
  }

  /** The files with unresolved conflicts in the plan's worktree. */
  async conflicts(planId: PlanRef): Promise<string[]> {
    return conflictedFiles(this.ctx, (await this.plan(planId)).path);
  }

  /** Merges the plan into its base and records it as merged (events `merge.before/after/failed`). */
  merge(planId: PlanRef, options: MergeOptions): Promise<MergeResult> {
    return this.onPlan('merge', planId, (plan) => this.mergeHeld(plan, options), { base: true });
  }

  /** Removes the plan's worktree, and its branch when merged (see `cleanupPlan`). */
  cleanup(planId: PlanRef, options: CleanupOptions = {}): Promise<CleanupResult> {
    return this.onPlan('cleanup', planId, (plan) => cleanupPlan(this.ctx, this.registry, this.events, plan, options), {
      base: true,
    });
  }

  /** Removes the plan's worktree and branch, merged or not, after a snapshot (see `discardPlan`). */
  discard(planId: PlanRef): Promise<CleanupResult> {
    return this.onPlan('discard', planId, (plan) => discardPlan(this.ctx, this.registry, this.events, plan), {
      base: true,
    });
  }

  /** Every snapshot, newest first. */
  snapshots(): Promise<Snapshot[]> {
    return listSnapshots(this.ctx);
  }

  /** The folder `restore` brings this snapshot's plan back to (before a `-restored-N` suffix when it is taken): its recorded folder when the location template allows it. */
  restoreDestination(snapshot: Snapshot): string {
    return allowedPlanFolder(this.ctx, snapshot.plan);
  }

  /** Brings a plan back from a snapshot (its ref, or a plan id for its latest snapshot) and marks it active. */
  restore(snapshotRefOrPlanId: string): Promise<{ path: string; branch: string }> {
    return this.mutate('restore', async () => {
      const { plan } = await this.findSnapshot(snapshotRefOrPlanId);
      // Found again once the plan is locked: another window may have restored or deleted it meanwhile.
      return this.locks.hold([{ kind: 'plan', name: plan.id }], 'restore', plan.id, async () =>
        this.restoreHeld(await this.findSnapshot(snapshotRefOrPlanId)),
      );
    });
  }

  /**
   * The worktree a restore of `snapshot` left when it stopped after making it
   * (its window died, or a step failed): the plan is not active, the last event
   * of its run is that restore's, and the worktree holds only what the restore
   * put there (see `unfinishedRestore`).
   */
  private async unfinishedRestore(
    plan: PlanRecord,
    worktree: WorktreeEntry,
    snapshot: Snapshot,
  ): Promise<UnfinishedRestore | undefined> {
    if (plan.status === 'active') return undefined;
    const last = (await this.events.read(plan.id)).filter((e) => e.run === plan.run).pop();
    if (!last || (last.type !== 'restore.before' && last.type !== 'restore.failed') || last.ref !== snapshot.ref) {
      return undefined;
    }
    return unfinishedRestore(this.ctx, snapshot, worktree);
  }

  /**
   * What the doctor finds. Each fix runs through the queue, holding the lock
   * of the plan it is about, and first finds its finding again: one that no
   * longer holds (another window fixed it, or is in the middle of an
   * operation that looked like a problem) changes nothing and says so.
   */
  async doctor(): Promise<Finding[]> {
    const [findings, data] = await Promise.all([runDoctor(this.ctx, this.registry), this.registry.read()]);
    return Promise.all(
      findings.map(async (finding) => {
        const fix = finding.fix;
        if (!fix) return finding;
        const planId = finding.planId ?? planOf(data.plans, finding.path, finding.branch)?.id;
        const subjects = fixSubjects(finding, fix, planId);
        // What an operation running right now leaves half-way for a moment is no finding to fix.
        for (const subject of subjects) {
          const busy = await this.locks.holder(subject);
          if (busy) return { ...finding, message: `${finding.message} ${busyNote(subject, busy)}`, fix: undefined };
        }
        const operation = `doctor: ${fix.label}`;
        return {
          ...finding,
          fix: {
            ...fix,
            run: () =>
              this.mutate(operation, () => this.locks.hold(subjects, operation, planId, () => this.fixAgain(finding))),
          },
        };
      }),
    );
  }

  /** Records that the setup command of a plan started or ended (with its exit code): its registry record and its history. */
  recordSetup(plan: Pick<PlanRecord, 'id' | 'run' | 'branch'>, progress: SetupProgress): Promise<SetupResult> {
    return recordSetup(this.registry, this.events, plan, progress);
  }

  /** The lifecycle events of one plan (of every plan without an id), oldest first. */
  history(planId?: string): Promise<LifecycleEvent[]> {
    return this.events.read(planId);
  }

  /** The lifecycle events at or after `since` (ms since the epoch), oldest first: only the newest part of the log is read. */
  historySince(since: number): Promise<LifecycleEvent[]> {
    return this.events.read({ since });
  }

  /** The main checkout's uncommitted files (tracked and untracked): what `dirtyBase` is about. */
  uncommittedChanges(): Promise<string[]> {
    return uncommittedFiles(this.ctx);
  }

  /** The remote pull requests are taken from (`settings.pullRequests.remote`) when the repository has it; undefined otherwise. */
  async pullRequestRemote(): Promise<string | undefined> {
    const { remote } = this.ctx.settings.pullRequests;
    return (await listRemotes({ git: this.ctx.git, cwd: this.repo.commonDir })).includes(remote) ? remote : undefined;
  }

  /** Short names of the local branches, sorted: the choices for a base. */
  /** The branches a plan can adopt (see `adoptableBranches`). */
  branchesToAdopt(): Promise<AdoptableBranch[]> {
    return adoptableBranches(this.ctx);
  }

  async localBranches(): Promise<string[]> {
    const refs = await forEachRef({ git: this.ctx.git, cwd: this.repo.commonDir }, ['refs/heads/'], ['refname'], {
      sort: 'refname',
    });
    return refs.map(([ref]) => shortBranchName(ref));
  }

  /** `git worktree lock`: cleanup then refuses the worktree unless forced. */
  lock(worktreePath: string, reason?: string): Promise<void> {
    return this.onWorktree('lock', worktreePath, () => lockWorktree(this.ctx, worktreePath, reason));
  }

  /** `git worktree unlock`. */
  unlock(worktreePath: string): Promise<void> {
    return this.onWorktree('unlock', worktreePath, () => unlockWorktree(this.ctx, worktreePath));
  }

  /**
   * After a file-system event: `path` — in that worktree (its status is read
   * again); none — in the common git directory (refs, HEAD, worktree records,
   * an index, the registry: the base refs are read again, and a worktree's
   * status when its HEAD, branch, folder or index stamp changed).
   */
  invalidate(path?: string): void {
    if (path === undefined) this.lastList = undefined;
    this.state.invalidate(path);
  }

  /** Reads every worktree's state again on the next request (the Refresh command). */
  forget(): void {
    this.lastList = undefined;
    this.state.forget();
  }

  /** Called after every mutating operation, whether it succeeded or not. */
  onDidChange(listener: () => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Drops every listener; a pending write of the state cache is made now. */
  dispose(): void {
    this.listeners.clear();
    if (this.persistTimer) void this.flushState();
  }

  /** `merge` once the plan and its base are locked. */
  private async mergeHeld(plan: PlanRecord, options: MergeOptions): Promise<MergeResult> {
    const about = { planId: plan.id, run: plan.run, branch: plan.branch, base: plan.base, strategy: options.strategy };
    // Written while the merge's first git processes run (nothing moves before they end); on disk before anything moves.
    const before = this.events.append({ type: 'merge.before', ...about });
    before.catch(() => undefined);
    let result: MergeResult;
    try {
      result = await mergePlan(this.ctx, plan, options, before);
    } catch (e) {
      // Not recorded: its own failure is the merge's (nothing moved), as when it was written first.
      await before;
      await this.events.append({
        type: 'merge.failed',
        ...about,
        ...errorRecord(e),
        files: (e as PlanWorktreesError).files,
      });
      throw e;
    }
    // The registry and the event log are written at once: the merge is done (nothing in recovery reads either to finish it).
    await allInOrder([
      this.setStatus(plan, 'merged'),
      this.events.append({
        type: 'merge.after',
        ...about,
        baseBefore: result.baseBefore,
        baseAfter: result.baseAfter,
        commit: result.commit,
      }),
    ]);
    return result;
  }

  /** `restore` once the plan is locked. */
  private async restoreHeld(snapshot: Snapshot): Promise<{ path: string; branch: string }> {
    const plan = snapshot.plan;
    const runs = plansWithId(await this.registry.read(), plan.id);
    const active = runs.find((p) => p.status === 'active' && p.run !== plan.run);
    if (active) {
      throw new PlanError(ErrorCode.PlanExists, {
        reason: 'activeAgain',
        plan: plan.id,
        run: active.run,
        path: active.path,
        action: 'restore',
      });
    }
    // Restoring a plan whose worktree is still there would make a second worktree and leave the first one without its plan.
    // (Merged but not cleaned up too: its entry would point at the restored folder, and its worktree at no plan.)
    const same = runs.find((p) => p.run === plan.run);
    const existing = same ? findWorktree(await listWorktrees(this.ctx), same) : undefined;
    // Unless that worktree is what a restore of this very snapshot left when it stopped half-way: then it is finished there.
    const unfinished = same && existing ? await this.unfinishedRestore(same, existing, snapshot) : undefined;
    if (same && existing && !unfinished) {
      throw new PlanError(ErrorCode.PlanExists, {
        reason: 'worktreeStillThere',
        plan: plan.id,
        status: same.status,
        path: existing.path,
        folderGone: !fs.existsSync(existing.path),
        files: [existing.path],
      });
    }
    await this.events.append({ type: 'restore.before', planId: plan.id, run: plan.run, ref: snapshot.ref });
    try {
      const restored = unfinished
        ? await finishRestore(this.ctx, snapshot, unfinished)
        : await restoreSnapshot(this.ctx, snapshot);
      await this.registry.update((data) => {
        const entry = data.plans.find((p) => p.id === plan.id && p.run === plan.run);
        const now = new Date().toISOString();
        const fields = {
          path: fs.realpathSync(restored.path),
          branch: restored.branch,
          status: 'active' as const,
          updated: now,
        };
        if (entry) Object.assign(entry, fields);
        else data.plans.push({ ...plan, ...fields });
      });
      await this.events.append({
        type: 'restore.after',
        planId: plan.id,
        run: plan.run,
        ref: snapshot.ref,
        path: restored.path,
        branch: restored.branch,
      });
      return restored;
    } catch (e) {
      await this.events.append({
        type: 'restore.failed',
        planId: plan.id,
        run: plan.run,
        ref: snapshot.ref,
        ...errorRecord(e),
      });
      throw e;
    }
  }

  /**
   * A mutating operation on one plan: queued, holding the plan's lock (and,
   * with `base`, its base branch's), on the plan as the registry has it once
   * the lock is held.
   */
  private onPlan<T>(
    name: string,
    ref: PlanRef,
    operation: (plan: PlanRecord) => Promise<T>,
    options: { base?: boolean } = {},
  ): Promise<T> {
    const planId = refId(ref);
    return this.mutate(name, () =>
      this.locks.hold([{ kind: 'plan', name: planId }], name, planId, async () => {
        const plan = await this.plan(ref);
        return options.base
          ? this.locks.hold([{ kind: 'branch', name: qualifyBranch(plan.base) }], name, plan.id, () => operation(plan))
          : operation(plan);
      }),
    );
  }

  /** A mutating operation on a worktree: holding the lock of its plan, if it is one's, and of its folder. */
  private onWorktree<T>(name: string, worktreePath: string, operation: () => Promise<T>): Promise<T> {
    return this.mutate(name, async () => {
      const plan = planOf((await this.registry.read()).plans, worktreePath, undefined);
      const subjects: LockSubject[] = [
        ...(plan ? [{ kind: 'plan' as const, name: plan.id }] : []),
        { kind: 'worktree', name: pathKey(worktreePath) },
      ];
      return this.locks.hold(subjects, name, plan?.id, operation);
    });
  }

  /** Runs the fix of `finding` if the doctor finds it again now (under its lock); else changes nothing and says so. */
  private async fixAgain(finding: Finding): Promise<FixOutcome> {
    const again = findAgain(await runDoctor(this.ctx, this.registry), finding);
    if (!again?.fix) {
      return {
        applied: false,
        reason: `This is no longer so (another window or command changed it meanwhile), so nothing was changed: ${finding.message}`,
      };
    }
    await again.fix.run();
    return { applied: true };
  }

  private mutate<T>(name: string, operation: () => Promise<T>): Promise<T> {
    return this.queue.run(name, async () => {
      try {
        return await operation();
      } catch (e) {
        // A full disk met while writing the registry, the event log or a copied file: typed, like git's.
        throw asDiskFull(e, this.repo.commonDir);
      } finally {
        // An operation may have changed any worktree's files: everything is read again.
        this.forget();
        for (const listener of [...this.listeners]) {
          try {
            listener();
          } catch (e) {
            this.ctx.log.error(e as Error);
          }
        }
      }
    });
  }

  /** Runs an operation on a plan through the queue, holding its lock (see `onPlan`), with `<name>.before/after/failed` events; the after event holds the conflicts it stopped on. */
  private recorded<T>(
    name: string,
    planId: PlanRef,
    operation: (plan: PlanRecord) => Promise<T>,
    options: { base?: boolean } = {},
  ): Promise<T> {
    const run = async (plan: PlanRecord): Promise<T> => {
      const about = { planId: plan.id, run: plan.run, branch: plan.branch, base: plan.base };
      await this.events.append({ type: `${name}.before`, ...about });
      try {
        const result = await operation(plan);
        await this.events.append({
          type: `${name}.after`,
          ...about,
          ...(Array.isArray(result) ? { conflicts: result } : {}),
        });
        return result;
      } catch (e) {
        await this.events.append({
          type: `${name}.failed`,
          ...about,
          ...errorRecord(e),
          files: (e as PlanWorktreesError).files,
        });
        throw e;
      }
    };
    return this.onPlan(name, planId, run, options);
  }

  private async setStatus(plan: PlanRecord, status: PlanRecord['status']): Promise<void> {
    await this.registry.update((data) => {
      const entry = data.plans.find((p) => p.id === plan.id && p.run === plan.run);
      if (!entry) return;
      entry.status = status;
      entry.updated = new Date().toISOString();
    });
  }

  private async findSnapshot(refOrPlanId: string): Promise<Snapshot> {
    const snapshots = await listSnapshots(this.ctx);
    const found = refOrPlanId.startsWith(SNAPSHOT_REFS)
      ? snapshots.find((s) => s.ref === refOrPlanId)
      : snapshots.find((s) => s.planId === refOrPlanId);
    if (!found) {
      throw new PlanError(
        ErrorCode.SnapshotNotFound,
        refOrPlanId.startsWith(SNAPSHOT_REFS)
          ? { reason: 'noSnapshot', ref: shownName(refOrPlanId, 120) }
          : { reason: 'noSnapshotOfPlan', plan: shownName(refOrPlanId) },
      );
    }
    return found;
  }
}

/**
 * What a doctor fix holds while it runs: the plan it is about, the folders it
 * touches (its finding's, and the one it adds a worktree in, which may be no
 * plan's yet), and for an interrupted merge the branch whose worktree's files
 * it moves (no merge into that branch meanwhile). In the order every caller
 * takes locks: plan, folders, branch.
 */
function fixSubjects(finding: Finding, fix: Fix, planId: string | undefined): LockSubject[] {
  const subjects: LockSubject[] = planId !== undefined ? [{ kind: 'plan', name: planId }] : [];
  for (const folder of new Set([finding.path, fix.folder].filter((f): f is string => f !== undefined).map(pathKey))) {
    subjects.push({ kind: 'worktree', name: folder });
  }
  if (finding.kind === 'interruptedMerge' && finding.branch) {
    subjects.push({ kind: 'branch', name: qualifyBranch(finding.branch) });
  }
  return subjects;
}

/** Says that a finding may be the passing state of an operation that holds its plan right now. */
function busyNote(subject: LockSubject, holder: LockOwner): string {
  const what = subject.kind === 'plan' ? `Plan ${subject.name}` : `The worktree ${subject.name}`;
  const where =
    holder.pid === process.pid ? 'this window' : `another window (process ${holder.pid} on ${holder.hostname})`;
  return `${what} is busy right now (${holder.operation ?? 'an operation'} in ${where}): run the doctor again when it has finished.`;
}

/** The plan (its active run first, then its latest) whose folder is `folder`, or else whose branch is `branch`. */
function planOf(plans: PlanRecord[], folder: string | undefined, branch: string | undefined): PlanRecord | undefined {
  const preferred = [...plans].sort(
    (a, b) => Number(b.status === 'active') - Number(a.status === 'active') || b.run - a.run,
  );
  return (
    preferred.find((p) => folder !== undefined && samePath(p.path, folder)) ??
    preferred.find((p) => branch !== undefined && p.branch === branch)
  );
}

/**
 * Joins git's worktrees with the registry's plans: a worktree at a plan's
 * folder (or, for an active plan, on its branch) is that plan's; other
 * worktrees are `other`; active plans without a worktree are listed without one.
 */
export function reconcile(worktrees: WorktreeEntry[], plans: PlanRecord[]): PlanWorktree[] {
  const byPreference = [...plans].sort(
    (a, b) => Number(b.status === 'active') - Number(a.status === 'active') || b.run - a.run,
  );
  // By folder, so that hundreds of worktrees join in linear time (comparing every pair took 17 ms at 200).
  const byFolder = new Map<string, PlanRecord[]>();
  for (const plan of byPreference) {
    const key = pathKey(plan.path);
    const same = byFolder.get(key);
    if (same) same.push(plan);
    else byFolder.set(key, [plan]);
  }
  const used = new Set<PlanRecord>();
  const items: PlanWorktree[] = worktrees.map((worktree) => {
    if (worktree.isMain) return { worktree, kind: 'main' };
    const plan = byFolder.get(pathKey(worktree.path))?.find((p) => !used.has(p));
    if (!plan) return { worktree, kind: 'other' };
    used.add(plan);
    return { worktree, plan, kind: 'plan' };
  });
  for (const plan of byPreference.filter((p) => p.status === 'active' && !used.has(p))) {
    // A worktree moved by hand is still found on the plan's branch.
    const moved = items.find((i) => i.kind === 'other' && i.worktree?.branch === `refs/heads/${plan.branch}`);
    if (moved) {
      moved.plan = plan;
      moved.kind = 'plan';
    } else items.push({ plan, kind: 'plan' });
    used.add(plan);
  }
  return items;
}
