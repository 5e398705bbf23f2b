/**
 * Cleaning up a plan: remove its worktree, delete its branch when its work is
 * in the base, and mark the registry entry (kept as history). Nothing is lost
 * without a way back: the main worktree is never touched; a locked or dirty
 * worktree is refused unless forced; a forced removal writes a snapshot
 * first; a branch whose work is not in the base (or the base's upstream, after
 * a fetch) is kept and the result says why. `discardPlan` also deletes an
 * unmerged branch, but only once a snapshot holds its commits.
 */
import * as fs from 'fs';
import { configNames, mayHaveBranchSection, removeConfigSection } from '../../git/commands/config';
import { GitAt } from '../../git/commands/git';
import { submodulesAmong } from '../../git/commands/gitIndex';
import { isAncestor as isAncestorOf } from '../../git/commands/log';
import { hasReason } from '../../git/commands/reasons';
import { deleteRef, forEachRef } from '../../git/commands/refs';
import { fetch, upstreamOf } from '../../git/commands/remote';
import { removeWorktree as remove } from '../../git/commands/worktrees';
import { ErrorCode, errorRecord, isError, PlanError, PlanWorktreesError } from '../engine/errors';
import { WorktreeEntry } from '../../git/worktreeList';
import { allInOrder } from '../engine/async';
import { EventLog } from '../store/events';
import { runPreRemoveCommand } from '../environment/preRemove';
import { ancestorTip, isMerged, MergedResult, mergedInto, qualifyBranch, readRefs } from '../state/merged';
import { samePath } from '../engine/names';
import { ensureOwned } from '../store/ownership';
import { Registry } from '../store/registry';
import { listWorktrees, worktreesNow } from '../engine/repository';
import { removeAfterSnapshot } from './removal';
import { Snapshot, writeSnapshot } from './snapshot';
import { PlanRecord, PlanStatus, RepoContext } from '../engine/types';
import {
  checkSnapshotSize,
  readUnlistedContent,
  readWorktreeContent,
  UnlistedContent,
  WorktreeContent,
} from '../state/worktreeContent';

/** How a cleanup may proceed. */
export interface CleanupOptions {
  /** Remove a dirty or locked worktree too (after a snapshot of everything). */
  force?: boolean;
  /** Delete the branch when its work is in the base; default true. */
  deleteBranch?: boolean;
  signal?: AbortSignal;
}

/** What a cleanup or discard did. */
export interface CleanupResult {
  removedWorktree: boolean;
  deletedBranch: boolean;
  /** Why the branch was kept, when it was. */
  keptBranchReason?: string;
  /** The snapshot written before anything was removed, if one was needed. */
  snapshot?: Snapshot;
  /** Whether the plan's work is in its base; undefined when the branch is gone. */
  merged?: MergedResult;
  /** The plan's status in the registry now. */
  status: PlanStatus;
  /**
   * The pre-remove command (`preRemoveCommand`): `ran` (it exited with 0 before
   * anything was removed) or `skipped` (a forced clean-up does not run it);
   * absent when there is none or the plan's folder was already gone.
   */
  preRemove?: 'ran' | 'skipped';
  /** Another window removed the plan while this removal ran: nothing was left to do. */
  alreadyRemoved?: boolean;
  /**
   * When something kept writing into the worktree while it was removed: the
   * folder (moved aside) left with what was written after the snapshot's
   * last round. Everything deleted is in the snapshot.
   */
  leftover?: string;
}

/** How long a quiet fetch of the base's upstream may take before cleanup carries on without it. */
const fetchTimeoutMs = 20_000;

/** Removes a plan's worktree and, when its work is merged, its branch. */
export function cleanupPlan(
  ctx: RepoContext,
  registry: Registry,
  events: EventLog,
  plan: PlanRecord,
  options: CleanupOptions = {},
): Promise<CleanupResult> {
  return removePlan(ctx, registry, events, plan, {
    force: options.force ?? false,
    branch: options.deleteBranch === false ? 'keep' : 'ifMerged',
    signal: options.signal,
  });
}

/** Removes a plan's worktree and branch, merged or not, after a snapshot of its commits and files. */
export function discardPlan(
  ctx: RepoContext,
  registry: Registry,
  events: EventLog,
  plan: PlanRecord,
  options: { signal?: AbortSignal } = {},
): Promise<CleanupResult> {
  return removePlan(ctx, registry, events, plan, { force: true, branch: 'always', signal: options.signal });
}

interface RemoveMode {
  force: boolean;
  branch: 'ifMerged' | 'always' | 'keep';
  signal?: AbortSignal;
}

async function removePlan(
  ctx: RepoContext,
  registry: Registry,
  events: EventLog,
  plan: PlanRecord,
  mode: RemoveMode,
): Promise<CleanupResult> {
  const discard = mode.branch === 'always';
  await events.append({
    type: 'remove.before',
    planId: plan.id,
    run: plan.run,
    branch: plan.branch,
    path: plan.path,
    force: mode.force,
    discard,
  });
  let preRemove: CleanupResult['preRemove'];
  try {
    preRemove = await preRemoveStep(ctx, events, plan, mode);
  } catch (e) {
    await events.append({
      type: 'remove.failed',
      planId: plan.id,
      run: plan.run,
      branch: plan.branch,
      ...errorRecord(e),
    });
    throw e;
  }
  // A snapshot written by an attempt that failed afterwards still holds the work: the result names it.
  const taken: Taken = {};
  for (let attempt = 1; ; attempt++) {
    try {
      const once = await removeOnce(ctx, registry, events, plan, mode, taken);
      const result: CleanupResult = {
        ...once,
        removedWorktree: once.removedWorktree || (taken.removedWorktree ?? false),
        snapshot: once.snapshot ?? taken.snapshot,
        ...(preRemove ? { preRemove } : {}),
      };
      await events.append({
        type: 'remove.after',
        planId: plan.id,
        run: plan.run,
        branch: plan.branch,
        path: plan.path,
        ...(plan.planFile !== undefined ? { planFile: plan.planFile } : {}),
        removedWorktree: result.removedWorktree,
        deletedBranch: result.deletedBranch,
        status: result.status,
        snapshot: result.snapshot?.ref,
        leftover: result.leftover,
        preRemove,
      });
      return result;
    } catch (e) {
      // Another window removing the same plan at the same time: git ran in a folder it had just removed, or found the worktree or branch gone.
      const meanwhile =
        e instanceof PlanWorktreesError && !mode.signal?.aborted
          ? await removedMeanwhile(ctx, registry, plan).catch(() => undefined)
          : undefined;
      if (meanwhile?.done) {
        ctx.log.info(
          `Plan ${plan.id} was removed by another window meanwhile (${(e as Error).message}); nothing more to do.`,
        );
        const removedWorktree = taken.removedWorktree ?? false;
        await events.append({
          type: 'remove.after',
          planId: plan.id,
          run: plan.run,
          branch: plan.branch,
          path: plan.path,
          ...(plan.planFile !== undefined ? { planFile: plan.planFile } : {}),
          removedWorktree,
          deletedBranch: false,
          status: meanwhile.done,
          snapshot: taken.snapshot?.ref,
          alreadyRemoved: true,
          preRemove,
        });
        return {
          removedWorktree,
          deletedBranch: false,
          status: meanwhile.done,
          snapshot: taken.snapshot,
          alreadyRemoved: true,
          ...(preRemove ? { preRemove } : {}),
        };
      }
      if (meanwhile?.again && isGoneMeanwhile(e) && attempt < 3) {
        // Half-way in the other window: decide again from what is there now.
        ctx.log.info(`Plan ${plan.id} changed while it was being removed (${(e as Error).message}); looking again.`);
        plan = meanwhile.again;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
        continue;
      }
      await events.append({
        type: 'remove.failed',
        planId: plan.id,
        run: plan.run,
        branch: plan.branch,
        ...errorRecord(e),
      });
      throw e;
    }
  }
}

/**
 * Runs the pre-remove command in the plan's worktree, once, before anything
 * is read or removed, and records it (`preRemove.before`/`.after`/`.failed`,
 * with the exit code). A forced clean-up skips it and records that
 * (`preRemove.skipped`); a discard runs it. Its failure (or Restricted Mode)
 * is thrown: nothing has changed.
 */
async function preRemoveStep(
  ctx: RepoContext,
  events: EventLog,
  plan: PlanRecord,
  mode: RemoveMode,
): Promise<CleanupResult['preRemove']> {
  const command = ctx.settings.preRemoveCommand.trim();
  if (!command || !fs.existsSync(plan.path)) return undefined;
  const about = { planId: plan.id, run: plan.run, branch: plan.branch, command };
  if (mode.force && mode.branch !== 'always') {
    ctx.log.info(`Forced clean-up of plan ${plan.id}: the pre-remove command is skipped.`);
    await events.append({ type: 'preRemove.skipped', ...about, reason: 'forced' });
    return 'skipped';
  }
  await events.append({ type: 'preRemove.before', ...about });
  try {
    const run = await runPreRemoveCommand(ctx, plan, command, {
      timeoutMs: ctx.settings.preRemoveTimeoutMs,
      signal: mode.signal,
    });
    await events.append({ type: 'preRemove.after', ...about, exitCode: run.exitCode, ms: run.ms });
    return 'ran';
  } catch (e) {
    const data = e instanceof PlanError ? (e.data as { exitCode?: number }) : {};
    await events.append({ type: 'preRemove.failed', ...about, exitCode: data.exitCode, ...errorRecord(e) });
    throw e;
  }
}

/** What an attempt did before it failed: the snapshot it wrote (which holds the work) and whether it removed the worktree. */
interface Taken {
  snapshot?: Snapshot;
  removedWorktree?: boolean;
}

/** An error that another window removing the plan at the same moment explains. */
function isGoneMeanwhile(e: unknown): boolean {
  return (
    isError(e, ErrorCode.PathMissing) ||
    isError(e, ErrorCode.WorktreeNotFound) ||
    isError(e, ErrorCode.RefLocked) ||
    isError(e, ErrorCode.BranchNotFound)
  );
}

/**
 * After such an error: `done` (the status the other window recorded) when
 * another window changed the registry entry to not active and git no longer
 * has its worktree;
 * `again` (the plan as the registry has it now) when it is still active, so
 * the removal is decided afresh; undefined when the plan's entry is gone.
 */
async function removedMeanwhile(
  ctx: RepoContext,
  registry: Registry,
  plan: PlanRecord,
): Promise<{ done?: PlanStatus; again?: PlanRecord } | undefined> {
  const [data, worktrees] = await Promise.all([registry.read(), listWorktrees(ctx)]);
  const now = data.plans.find((p) => p.id === plan.id && p.run === plan.run);
  if (!now) return undefined;
  const worktree = findWorktree(worktrees, now);
  // Our own attempt records the status last, so a changed entry is another window's doing.
  const changedElsewhere = now.status !== plan.status || now.updated !== plan.updated;
  if (changedElsewhere && now.status !== 'active' && !(worktree && fs.existsSync(worktree.path))) {
    return { done: now.status };
  }
  return { again: now };
}

/** One attempt at removing the plan (see removePlan). */
async function removeOnce(
  ctx: RepoContext,
  registry: Registry,
  events: EventLog,
  plan: PlanRecord,
  mode: RemoveMode,
  taken: Taken,
): Promise<CleanupResult> {
  const discard = mode.branch === 'always';
  // Independent reads at once; what the plan's folder holds is read where the registry says (read again below when it is elsewhere).
  // The registry's failure is thrown where it was read before, after the main worktree's refusal.
  // The longest read, of what the folder holds, starts first. Unforced, changes and untracked files are left to the
  // check `git worktree remove` makes itself just before it deletes (see removeWorktree): the last look, which also
  // sees what was written after ours. Ours reads what that check does not see, and everything when more is in question.
  const contentRead = fs.existsSync(plan.path)
    ? (mode.force ? readWorktreeContent : readUnlistedContent)(ctx, plan.path, mode.signal).catch(() => undefined)
    : undefined;
  const tipRead = tipAndMerged(ctx, plan, mode.branch !== 'keep');
  // Git's files of every worktree are read (synchronously) once the processes above have started, while they run.
  const worktreesRead = ctx.git.afterStarts().then(() => worktreesNow(ctx));
  const [worktrees, { tip, merged: mergedHere }, contentHere, registered] = await allInOrder([
    worktreesRead,
    tipRead,
    contentRead,
    registry.read().then(
      (data) => () => data,
      (e: unknown) => () => {
        throw e;
      },
    ),
  ]);
  const entry = findWorktree(worktrees, plan);
  if (samePath(plan.path, ctx.repo.mainPath) || entry?.isMain) {
    throw new PlanError(ErrorCode.MainWorktree, { path: plan.path });
  }
  ensureOwned(plan, worktrees, registered().plans);
  const folder = entry && fs.existsSync(entry.path) ? entry.path : undefined;
  if (entry?.locked !== undefined && !mode.force) {
    throw new PlanError(ErrorCode.WorktreeLocked, { path: entry.path, lockReason: entry.locked, files: [entry.path] });
  }
  const here = folder && samePath(folder, plan.path) ? contentHere : undefined;
  // What git's check leaves to ours is enough when the worktree is on its branch's tip, the branch needs no fetch,
  // and there is no ignored file to keep, no flagged path and no repository of its own: git then removes it or refuses.
  const enough =
    here &&
    (here.dirty !== undefined ||
      (nothingUnlisted(here) &&
        entry?.head === tip &&
        (tip === undefined || mode.branch === 'keep' || mergedHere?.merged === true)));
  const content = folder ? (enough ? here : await readWorktreeContent(ctx, folder, mode.signal)) : undefined;
  await refuseLoss(ctx, folder, content, mode.force);
  if (folder && content) checkSnapshotSize(ctx, folder, content);

  const stray = folder && entry?.head && entry.head !== tip ? await isOnNoBranch(ctx, entry.head) : false;
  if (stray && folder && !mode.force) {
    throw new PlanError(ErrorCode.WorktreeDirty, { reason: 'detached', path: folder, head: entry?.head ?? '' });
  }
  const merged = tip && mode.branch !== 'keep' ? await mergedAfterFetch(ctx, plan, mode.signal, mergedHere) : undefined;
  const full = content?.dirty !== undefined ? content : undefined;
  const losable = (full?.dirty.length ?? 0) > 0 || stray || (tip !== undefined && !merged?.merged);
  // Ignored files a person would miss are kept in a snapshot by every removal, forced or not.
  const needsSnapshot = (mode.force && losable) || (content?.ignored.length ?? 0) > 0;
  // A worktree moved by hand is snapshotted, and would be restored, where it is now.
  const recorded = entry && !samePath(entry.path, plan.path) ? { ...plan, path: entry.path } : plan;
  const reason = discard ? 'discard' : mode.force ? 'forced cleanup' : 'cleanup (ignored files)';

  // The branch's settings are read while the worktree goes, for when the branch goes too.
  const [removal, settings] = await allInOrder([
    removeFolder(
      ctx,
      events,
      {
        plan: recorded,
        entry,
        folder,
        content: full,
        force: mode.force,
        snapshotReason: needsSnapshot ? reason : undefined,
        signal: mode.signal,
      },
      taken,
    ),
    tip !== undefined && mode.branch !== 'keep' ? branchSettingNames(ctx, plan.branch) : undefined,
  ]);
  const { snapshot, leftover, removedWorktree } = removal;
  const status: PlanStatus = discard ? 'abandoned' : merged?.merged || plan.status === 'merged' ? 'merged' : 'removed';
  // The status is written while the branch is settled (it does not depend on how); when settling fails, the entry
  // is put back as it was, so that this attempt has recorded nothing (see removedMeanwhile).
  const [branch, marked] = await Promise.allSettled([
    settleBranch(ctx, events, plan, {
      tip,
      merged,
      snapshot,
      mode,
      otherWorktrees: worktrees.filter((w) => w !== entry),
      settings,
    }),
    markStatus(registry, plan, status),
  ]);
  if (branch.status === 'rejected') {
    if (marked.status === 'fulfilled' && marked.value) await unmarkStatus(registry, plan, marked.value);
    throw branch.reason;
  }
  if (marked.status === 'rejected') throw marked.reason;
  return { removedWorktree, ...branch.value, snapshot, merged, status, ...(leftover ? { leftover } : {}) };
}

/**
 * Removes the plan's worktree: with a snapshot (`snapshotReason`) of the folder
 * git has, moved aside first so nothing written meanwhile is lost (see
 * removal.ts), or of its branch when the folder is gone; without one, by
 * `git worktree remove`.
 */
async function removeFolder(
  ctx: RepoContext,
  events: EventLog,
  job: {
    plan: PlanRecord;
    entry?: WorktreeEntry;
    folder?: string;
    content?: WorktreeContent;
    force: boolean;
    snapshotReason?: string;
    signal?: AbortSignal;
  },
  taken: Taken,
): Promise<{ removedWorktree: boolean; snapshot?: Snapshot; leftover?: string }> {
  const { entry, folder } = job;
  let reason = job.snapshotReason;
  // What is written is noted in `taken` at once: an attempt that fails afterwards still names it.
  const snapshotOf = async (where: { folder: string; content?: WorktreeContent }): Promise<Snapshot> =>
    (taken.snapshot = await takeSnapshot(ctx, events, job.plan, reason as string, where));
  // Forced, but nothing needed a snapshot when it was read. Something may still be writing there (an agent, a
  // build), and git's own check before it deletes races with it: the folder is moved aside and snapshotted all the same.
  if (!reason && job.force && entry && folder && fs.existsSync(folder)) reason = 'forced cleanup';
  if (reason && entry && folder) {
    const removal = await removeAfterSnapshot(
      ctx,
      entry,
      folder,
      (aside, content) => snapshotOf({ folder: aside, content }),
      job.signal,
    );
    Object.assign(taken, { snapshot: removal.snapshot, removedWorktree: true });
    return { removedWorktree: true, ...removal };
  }
  const snapshot = reason ? await snapshotOf({ folder: folder ?? job.plan.path }) : undefined;
  const removedWorktree = entry ? await removeWorktree(ctx, entry, folder, job.force) : false;
  taken.removedWorktree ||= removedWorktree;
  return { removedWorktree, snapshot };
}

/** The plan's worktree: at its recorded folder, or wherever its branch is checked out (moved by hand). */
export function findWorktree(worktrees: WorktreeEntry[], plan: PlanRecord): WorktreeEntry | undefined {
  return (
    worktrees.find((w) => samePath(w.path, plan.path)) ??
    worktrees.find((w) => !w.isMain && w.branch === qualifyBranch(plan.branch))
  );
}

/** No ignored file to keep, no flagged path, no repository of its own among the ignored files. */
function nothingUnlisted(content: UnlistedContent): boolean {
  return content.ignored.length === 0 && content.flagged.length === 0 && content.nestedRepositories.length === 0;
}

/**
 * Refuses a dirty worktree unless forced; even forced, changes inside a
 * submodule and git repositories of its own in the worktree (untracked or
 * ignored), which a snapshot cannot hold.
 */
async function refuseLoss(
  ctx: RepoContext,
  folder: string | undefined,
  content: { dirty?: string[]; nestedRepositories: string[] } | undefined,
  force: boolean,
): Promise<void> {
  const dirty = content?.dirty ?? [];
  const repos = content?.nestedRepositories ?? [];
  if (!folder) return;
  if (repos.length > 0) {
    throw new PlanError(ErrorCode.WorktreeDirty, { reason: 'nestedRepositories', path: folder, files: repos });
  }
  if (dirty.length === 0) return;
  if (!force) {
    throw new PlanError(ErrorCode.WorktreeDirty, { reason: 'uncommitted', path: folder, files: dirty });
  }
  const submodules = await submodulePaths(ctx, folder, dirty);
  if (submodules.length > 0) {
    throw new PlanError(ErrorCode.WorktreeDirty, { reason: 'submodules', path: folder, files: submodules });
  }
}

/** Which of `paths` are submodules (gitlinks) in the worktree's index. */
async function submodulePaths(ctx: RepoContext, folder: string, paths: string[]): Promise<string[]> {
  return submodulesAmong({ git: ctx.git, cwd: folder }, paths);
}

/**
 * The tip of the plan's branch (undefined when it is gone) and, with
 * `withMerged`, whether that tip is merged into the base itself. One git
 * process when the tip is in the base's history (the usual case after a
 * merge); otherwise both refs are read again and compared.
 * `merged` is undefined when this does not say yes (or fails):
 * `mergedAfterFetch` asks again, the upstream too.
 */
async function tipAndMerged(
  ctx: RepoContext,
  plan: PlanRecord,
  withMerged: boolean,
): Promise<{ tip?: string; merged?: MergedResult }> {
  const ancestor = withMerged ? await ancestorTip(ctx, plan.branch, plan.base) : undefined;
  if (ancestor) return { tip: ancestor, merged: { merged: true, how: 'ancestor' } };
  const branchRef = qualifyBranch(plan.branch);
  const baseRef = qualifyBranch(plan.base);
  const refs = await readRefs(ctx, withMerged ? [branchRef, baseRef] : [branchRef]);
  const tip = refs.get(branchRef)?.oid;
  const base = refs.get(baseRef);
  const how = tip && base ? await mergedInto(ctx, tip, base).catch(() => undefined) : undefined;
  return { tip, merged: how ? { merged: true, how } : undefined };
}

/** True when no local branch contains `commit`: removing the worktree checked out there would lose it. */
async function isOnNoBranch(ctx: RepoContext, commit: string): Promise<boolean> {
  const found = await forEachRef(inRepo(ctx), ['refs/heads/'], ['refname'], { contains: commit, count: 1 });
  return found.length === 0;
}

/**
 * Whether the plan's work is in its base (`known`: already asked); when not,
 * its upstream is fetched quietly and asked too (a pull request merged on the server).
 */
async function mergedAfterFetch(
  ctx: RepoContext,
  plan: PlanRecord,
  signal?: AbortSignal,
  known?: MergedResult,
): Promise<MergedResult> {
  try {
    const first = known ?? (await isMerged(ctx, plan.branch, plan.base));
    if (first.merged || !(await fetchUpstream(ctx, plan.base, signal))) return first;
    return await isMerged(ctx, plan.branch, plan.base);
  } catch (e) {
    if (e instanceof PlanWorktreesError && e.code === ErrorCode.BranchNotFound) {
      ctx.log.warn(`Cannot tell whether plan ${plan.id} is merged: ${e.message}`);
      return { merged: false };
    }
    throw e;
  }
}

/** Fetches the base branch's upstream; false (and a log line) when it has none or the fetch fails. */
async function fetchUpstream(ctx: RepoContext, base: string, signal?: AbortSignal): Promise<boolean> {
  const upstream = await upstreamOf(inRepo(ctx), qualifyBranch(base));
  if (!upstream) return false;
  const { remote, remoteRef } = upstream;
  try {
    const timeout = AbortSignal.timeout(fetchTimeoutMs);
    const at = { ...inRepo(ctx), signal: signal ? AbortSignal.any([signal, timeout]) : timeout };
    await fetch(at, remote, remoteRef, { noTags: true });
    return true;
  } catch (e) {
    if (signal?.aborted) throw e;
    ctx.log.warn(
      `Could not fetch ${remoteRef} from ${remote} (carrying on with what is known locally): ${(e as Error).message}`,
    );
    return false;
  }
}

async function takeSnapshot(
  ctx: RepoContext,
  events: EventLog,
  plan: PlanRecord,
  reason: string,
  where: { folder: string; content?: WorktreeContent },
): Promise<Snapshot> {
  const snapshot = await writeSnapshot(ctx, plan, reason, where);
  await events.append({
    type: 'snapshot',
    planId: plan.id,
    run: plan.run,
    branch: plan.branch,
    ref: snapshot.ref,
    commit: snapshot.commit,
    reason,
  });
  return snapshot;
}

/**
 * `git worktree remove`. Unforced, git refuses a worktree with changes or
 * untracked files itself (its own `status`, made to list untracked files
 * whatever `status.showUntrackedFiles` says); ours then names the files.
 */
async function removeWorktree(
  ctx: RepoContext,
  entry: WorktreeEntry,
  folder: string | undefined,
  force: boolean,
): Promise<boolean> {
  // A folder that is gone has nothing left to lose: only git's record of it is removed.
  const forced = force || !folder ? (entry.locked !== undefined ? 2 : 1) : 0;
  try {
    await remove(inRepo(ctx), entry.path, { force: forced, showUntracked: true });
  } catch (e) {
    if (!(e instanceof PlanWorktreesError) || !folder || forced > 0) throw e;
    await refuseLoss(ctx, folder, await readWorktreeContent(ctx, folder), false);
    // Git refuses any worktree with submodules unless forced; this one is clean.
    if (!hasReason(e, 'hasSubmodules')) throw e;
    await remove(inRepo(ctx), entry.path, { force: 1, showUntracked: true });
  }
  return true;
}

/** What is known of the plan's branch when the clean-up decides whether to delete it. */
interface BranchFacts {
  tip?: string;
  merged?: MergedResult;
  snapshot?: Snapshot;
  mode: RemoveMode;
  otherWorktrees: WorktreeEntry[];
}

interface BranchOutcome {
  deletedBranch: boolean;
  keptBranchReason?: string;
}

/** Deletes the branch when allowed and safe (compare-and-swap on its tip), or says why it is kept. */
async function settleBranch(
  ctx: RepoContext,
  events: EventLog,
  plan: PlanRecord,
  facts: BranchFacts & { settings?: string[] },
): Promise<BranchOutcome> {
  const reason = await keepReason(ctx, plan, facts);
  if (reason) {
    await events.append({ type: 'keep', planId: plan.id, run: plan.run, branch: plan.branch, reason });
    return { deletedBranch: false, keptBranchReason: reason };
  }
  await deleteRef(inRepo(ctx), qualifyBranch(plan.branch), {
    expected: facts.tip as string,
    message: `plan-worktrees: clean up plan ${plan.id}`,
  });
  await removeBranchSettings(ctx, plan.branch, facts.settings ?? (await branchSettingNames(ctx, plan.branch)));
  return { deletedBranch: true };
}

/**
 * The names of every `branch.*` setting; none, without a git process, when
 * the repository's config file cannot hold `branch.<branch>` (the only file
 * `removeBranchSettings` changes).
 */
async function branchSettingNames(ctx: RepoContext, branch: string): Promise<string[]> {
  if (!mayHaveBranchSection(ctx.repo.commonDir, branch)) return [];
  return configNames(inRepo(ctx), '^branch\\.');
}

/** Removes `branch.<name>.*` (upstream and such) as `git branch -d` does; `names` are those of every `branch.*` setting. */
async function removeBranchSettings(ctx: RepoContext, branch: string, names: string[]): Promise<void> {
  if (names.some((name) => name.startsWith(`branch.${branch}.`))) {
    await removeConfigSection(inRepo(ctx), `branch.${branch}`);
  }
}

async function keepReason(ctx: RepoContext, plan: PlanRecord, facts: BranchFacts): Promise<string | undefined> {
  if (facts.tip === undefined) return `the branch ${plan.branch} no longer exists`;
  if (facts.mode.branch === 'keep') return 'keeping the branch was asked for';
  const elsewhere = facts.otherWorktrees.find((w) => w.branch === qualifyBranch(plan.branch));
  if (elsewhere) return `it is checked out in ${elsewhere.path}`;
  if (facts.merged?.merged) return undefined;
  // A branch the plan adopted was somebody's before it: only its merged work lets it go, discard or not.
  if (plan.adopted) {
    return `the plan did not create it and its work is not in ${plan.base}${facts.merged ? '' : ' (or its upstream)'}`;
  }
  if (facts.mode.branch === 'ifMerged') {
    return `its work is not in ${plan.base}${facts.merged ? '' : ' (or its upstream)'}; delete it by discarding the plan`;
  }
  // Discarding: only once a snapshot holds every commit of the branch.
  if (!facts.snapshot || !(await isAncestor(ctx, facts.tip, facts.snapshot.commit))) {
    return `no snapshot holds its commits`;
  }
  return undefined;
}

async function isAncestor(ctx: RepoContext, commit: string, of: string): Promise<boolean> {
  return isAncestorOf(inRepo(ctx), commit, of);
}

/** What `markStatus` changed: the entry's status and time before, and the time it wrote. */
interface Marked {
  status: PlanStatus;
  updated?: string;
  written: string;
}

/** Sets the status of the plan's registry entry; the entry stays as history. */
async function markStatus(registry: Registry, plan: PlanRecord, status: PlanStatus): Promise<Marked | undefined> {
  return registry.update((data) => {
    const entry = data.plans.find((p) => p.id === plan.id && p.run === plan.run);
    if (!entry) return undefined;
    const before = { status: entry.status, updated: entry.updated };
    entry.status = status;
    entry.updated = new Date().toISOString();
    return { ...before, written: entry.updated };
  });
}

/** Puts back what `markStatus` changed, unless the entry changed again since. */
async function unmarkStatus(registry: Registry, plan: PlanRecord, marked: Marked): Promise<void> {
  await registry.update((data) => {
    const entry = data.plans.find((p) => p.id === plan.id && p.run === plan.run);
    if (!entry || entry.updated !== marked.written) return;
    entry.status = marked.status;
    if (marked.updated === undefined) delete entry.updated;
    else entry.updated = marked.updated;
  });
}

function inRepo(ctx: RepoContext): GitAt {
  return { git: ctx.git, cwd: ctx.repo.commonDir };
}
