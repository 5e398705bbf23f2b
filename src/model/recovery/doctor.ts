/**
 * The doctor: finds what drifted between git and the registry (orphaned
 * entries, missing folders, plan branches without a worktree, locked
 * worktrees, unmerged work of removed plans, worktrees of plan branches the
 * registry does not know, old snapshots, and what a process that died
 * half-way through an operation left: see interrupted.ts) and offers a safe fix for each. A
 * fix says exactly what it changes or deletes; nothing is deleted that a fix
 * does not name.
 */
import * as fs from 'fs';
import * as path from 'path';
import { mergeBase } from '../../git/commands/log';
import { currentBranch, deleteRef, forEachRef } from '../../git/commands/refs';
import { addWorktree, removeWorktree } from '../../git/commands/worktrees';
import { ErrorCode, isError, PlanError } from '../engine/errors';
import { shortBranchName, WorktreeEntry } from '../../git/worktreeList';
import { findWorktree } from '../lifecycle/cleanup';
import {
  applyStash,
  createRunning,
  dropStash,
  finishMerge,
  finishPlanSide,
  finishPartialMove,
  HalfMerge,
  halfMerges,
  isApplied,
  isClean,
  isPartlyApplied,
  keepAndDropStash,
  MoveStash,
  PlanLeftBehind,
  plansLeftBehind,
  moveStashes,
  removeStaleLock,
  stashHolder,
  stashRef,
  staleLocks,
  STALE_LOCK_MS,
} from './interrupted';
import { isMerged, qualifyBranch } from '../state/merged';
import { allowedPlanFolder } from '../store/location';
import { ensureValid, samePath, shownName, validateBranchName } from '../engine/names';
import { ownershipProblem } from '../store/ownership';
import { InvalidRecord, Registry } from '../store/registry';
import { activityKeys, removePlanActivity } from '../store/activity';
import { listWorktrees } from '../engine/repository';
import { listSnapshots, Snapshot } from '../lifecycle/snapshot';
import { PlanRecord, RegistryData, RepoContext } from '../engine/types';
import { unlockWorktree } from '../lifecycle/worktreeLock';
import {
  ADMIN_WRITE_MS,
  AdminFolder,
  brokenAdminFolders,
  removeBrokenAdminFolder,
  worktreeFolderState,
} from './worktreeAdmin';

export type FindingKind =
  | 'orphanedEntry'
  | 'unfinishedCreate'
  | 'missingFolder'
  | 'branchWithoutWorktree'
  | 'lockedWorktree'
  | 'unmergedWork'
  | 'unregisteredWorktree'
  | 'oldSnapshot'
  | 'movedChanges'
  | 'interruptedMerge'
  | 'staleLock'
  | 'invalidEntry'
  | 'foreignBranch'
  | 'brokenWorktreeRecord'
  | 'staleActivity';

export interface Fix {
  label: string;
  /** Exactly what the fix changes or deletes, for the confirmation a person reads. */
  description: string;
  /** The engine's fixes (PlanEngine.doctor) say whether they were applied. */
  run(): Promise<FixOutcome | void>;
  /** The folder of the worktree the fix adds, when it adds one: no other fix touches it meanwhile. */
  folder?: string;
}

/** What running a fix did: nothing (`applied` false, `reason` says why) when its finding no longer held. */
export interface FixOutcome {
  applied: boolean;
  reason?: string;
}

export interface Finding {
  kind: FindingKind;
  message: string;
  planId?: string;
  path?: string;
  branch?: string;
  /** Absent when there is nothing safe to do automatically (the message says what to do). */
  fix?: Fix;
}

export interface DoctorOptions {
  /** Snapshots older than this are reported; default 30 days. */
  snapshotMaxAgeDays?: number;
  /** A create still marked `creating` after this long was interrupted; default 10 minutes. */
  creatingTimeoutMs?: number;
  /** The current time (tests). */
  now?: Date;
}

const dayMs = 24 * 60 * 60 * 1000;

/** Everything the doctor finds, in a stable order (worktrees, plans, snapshots). */
export async function runDoctor(ctx: RepoContext, registry: Registry, options: DoctorOptions = {}): Promise<Finding[]> {
  const now = (options.now ?? new Date()).getTime();
  // Read as files first: a half-written record makes `git worktree list` (and so every other check) fail.
  const broken = brokenAdminFolders(ctx.repo.commonDir);
  const [listed, { data, invalid }] = await Promise.all([
    listWorktrees(ctx).catch((e: unknown) => e),
    registry.contents(),
  ]);
  const findings: Finding[] = broken.map((admin) => brokenRecord(ctx, admin, data, now));
  if (!Array.isArray(listed)) {
    if (!isError(listed, ErrorCode.WorktreeAdminBroken)) throw listed;
    // Nothing else can be checked until git can list its worktrees again.
    if (findings.length === 0) {
      findings.push({
        kind: 'brokenWorktreeRecord',
        message: `${listed.message} The doctor found no half-written record under ${path.join(ctx.repo.commonDir, 'worktrees')} to repair.`,
      });
    }
    return findings;
  }
  findings.push(...invalid.map((record) => invalidEntry(registry, record)));
  const brokenFolders = broken.flatMap((a) => (a.worktree ? [a.worktree] : []));
  const isBroken = (folder: string): boolean => brokenFolders.some((f) => samePath(f, folder));
  // A broken record's worktree (git lists it with a HEAD of 0000…) is the broken record's finding only.
  const worktrees = listed.filter((w) => !isBroken(w.path));
  const [branches, snapshots, stashes] = await Promise.all([localBranches(ctx), listSnapshots(ctx), moveStashes(ctx)]);
  for (const file of staleLocks(ctx, worktrees, now)) findings.push(staleLock(file));
  for (const entry of worktrees.filter((w) => !w.isMain)) findings.push(...worktreeFindings(ctx, entry));
  findings.push(...unregisteredWorktrees(ctx, registry, worktrees, data));
  const known: Known = {
    worktrees,
    branches,
    now,
    creatingTimeoutMs: options.creatingTimeoutMs ?? 10 * 60 * 1000,
    stashes,
    plans: data.plans,
  };
  for (const plan of data.plans.filter((p) => !isBroken(p.path))) {
    const finding = await planFinding(ctx, registry, plan, known);
    if (finding) findings.push(finding);
  }
  for (const stash of stashes) {
    const finding = await movedChanges(ctx, stash, data, known);
    if (finding) findings.push(finding);
  }
  for (const half of await halfMerges(ctx, worktrees)) findings.push(interruptedMerge(ctx, half, data));
  for (const left of await plansLeftBehind(ctx, worktrees, data.plans)) findings.push(planLeftBehind(ctx, left, data));
  findings.push(...(await staleActivity(ctx, data.plans)));
  const maxAge = (options.snapshotMaxAgeDays ?? 30) * dayMs;
  for (const snapshot of snapshots.filter((s) => now - Date.parse(s.time) > maxAge)) {
    findings.push(oldSnapshot(ctx, snapshot, options.snapshotMaxAgeDays ?? 30));
  }
  return findings;
}

/**
 * The finding among `findings` (found again, right before a fix runs) that is
 * the same as `finding`: the same kind, plan, folder, branch and message, and a
 * fix that would do exactly what the person confirmed. Undefined when it no
 * longer holds.
 */
export function findAgain(findings: Finding[], finding: Finding): Finding | undefined {
  return findings.find(
    (f) =>
      f.kind === finding.kind &&
      f.planId === finding.planId &&
      f.path === finding.path &&
      f.branch === finding.branch &&
      f.message === finding.message &&
      f.fix?.label === finding.fix?.label &&
      f.fix?.description === finding.fix?.description,
  );
}

function worktreeFindings(ctx: RepoContext, entry: WorktreeEntry): Finding[] {
  const findings: Finding[] = [];
  const branch = entry.branch ? shortBranchName(entry.branch) : undefined;
  const locked = entry.locked !== undefined;
  if (locked) {
    findings.push({
      kind: 'lockedWorktree',
      message: `The worktree ${entry.path} is locked${entry.locked ? ` (${entry.locked})` : ''}: cleanup refuses it and git never prunes it.`,
      path: entry.path,
      branch,
      fix: {
        label: 'Unlock',
        description: `Unlocks the worktree ${entry.path}. Nothing is deleted.`,
        run: () => unlockWorktree(ctx, entry.path),
      },
    });
  }
  if (!fs.existsSync(entry.path)) {
    findings.push({
      kind: 'missingFolder',
      message: `The folder of the worktree ${entry.path} is gone, but git still lists it${locked ? ' (locked: unlock it first if the folder is not coming back)' : ''}.`,
      path: entry.path,
      branch,
      fix: locked
        ? undefined
        : {
            label: 'Prune',
            description: `Removes git's record of the worktree ${entry.path}, whose folder is already gone.${branch ? ` The branch ${branch} and its commits are kept.` : ''}`,
            run: async () => {
              await removeWorktree({ git: ctx.git, cwd: ctx.repo.commonDir }, entry.path, { force: 1 });
            },
          },
    });
  }
  return findings;
}

interface Known {
  worktrees: WorktreeEntry[];
  branches: Set<string>;
  now: number;
  creatingTimeoutMs: number;
  /** Stashes of the main checkout's changes that a create was moving. */
  stashes: MoveStash[];
  /** Every valid record of the registry. */
  plans: PlanRecord[];
}

async function planFinding(
  ctx: RepoContext,
  registry: Registry,
  plan: PlanRecord,
  known: Known,
): Promise<Finding | undefined> {
  const worktree = findWorktree(known.worktrees, plan);
  const hasBranch = known.branches.has(plan.branch);
  const where = { planId: plan.id, path: plan.path, branch: plan.branch };
  const foreign = ownershipProblem(plan, known.worktrees, known.plans);
  if (foreign) {
    return {
      kind: 'foreignBranch',
      message: `${foreign}. Operations refuse this entry and nothing is done with it; correct or remove it in ${registry.file}.`,
      ...where,
    };
  }
  if (plan.creating) {
    if (createRunning(plan, known.now, known.creatingTimeoutMs)) return undefined; // being created right now
    if (worktree) {
      // The main checkout's changes it was moving, not applied in the worktree yet (or only part-way): the fix finishes the move.
      const moving = known.stashes.find((s) => s.planId === plan.id);
      const move = moving && (await unfinishedMove(ctx, moving, worktree.path));
      const finishMove = move === 'notStarted' ? moving : undefined;
      const keep = (p: PlanRecord): void => {
        delete p.creating;
        delete p.creator;
      };
      return {
        kind: 'unfinishedCreate',
        message: `Creating plan ${plan.id} was interrupted after its worktree ${worktree.path} was made${move === 'partly' ? ", while the main checkout's changes were being applied there" : ''}.`,
        ...where,
        fix:
          moving && move === 'partly'
            ? {
                label: 'Keep It',
                description: `Finishes moving the main checkout's changes into plan ${plan.id}: the files the interrupted move had written in ${worktree.path} (each a copy of one in the stash) are set back, then it applies the stash ${moving.name} (${moving.oid.slice(0, 12)}) whole there, drops it, and marks the plan as created in the registry. Nothing else changes.`,
                run: async () => {
                  await finishPartialMove(ctx, moving, worktree.path);
                  await editPlan(registry, plan, keep);
                },
              }
            : finishMove
              ? {
                  label: 'Keep It',
                  description: `Applies the main checkout's changes that were being moved into plan ${plan.id} (${finishMove.name}, ${finishMove.oid.slice(0, 12)}) in its worktree ${worktree.path}, drops that stash, and marks the plan as created in the registry.`,
                  run: async () => {
                    if (await isClean(ctx, worktree.path)) await applyStash(ctx, finishMove, worktree.path);
                    await editPlan(registry, plan, keep);
                  },
                }
              : {
                  label: 'Keep It',
                  description: `Marks plan ${plan.id} as created in the registry. Nothing in git or on disk changes.`,
                  run: () => editPlan(registry, plan, keep),
                },
      };
    }
  }
  if (plan.status === 'active' && !worktree) {
    if (hasBranch) {
      return {
        kind: 'branchWithoutWorktree',
        message: `Plan ${plan.id} has its branch ${plan.branch} but no worktree.`,
        ...where,
        fix: recreateFix(ctx, registry, plan),
      };
    }
    return {
      kind: 'orphanedEntry',
      message: `Plan ${plan.id} is in the registry, but neither its worktree ${plan.path} nor its branch ${plan.branch} exists.`,
      ...where,
      fix: {
        label: 'Mark Removed',
        description: `Marks plan ${plan.id} as removed in the registry, where it stays as history. Nothing in git or on disk changes.`,
        run: () => editPlan(registry, plan, (p) => ((p.status = 'removed'), delete p.creating, delete p.creator)),
      },
    };
  }
  if (
    (plan.status === 'removed' || plan.status === 'abandoned') &&
    hasBranch &&
    !worktree &&
    !(await isMerged(ctx, plan.branch, plan.base).catch(() => ({ merged: false }))).merged
  ) {
    if (known.worktrees.some((w) => w.branch === qualifyBranch(plan.branch))) return undefined;
    return {
      kind: 'unmergedWork',
      message: `Plan ${plan.id} was ${plan.status}, but its branch ${plan.branch} still has work that is not in ${plan.base}.`,
      ...where,
      fix: recreateFix(ctx, registry, plan),
    };
  }
  return undefined;
}

/**
 * How far a create that died had moved the stash's changes into its worktree:
 * `notStarted` (the worktree is clean), `partly` (some of them, and nothing
 * else), or undefined (all of them, or changes that are not only the stash's,
 * or no folder).
 */
async function unfinishedMove(
  ctx: RepoContext,
  stash: MoveStash,
  folder: string,
): Promise<'notStarted' | 'partly' | undefined> {
  if (!fs.existsSync(folder)) return undefined;
  if (await isClean(ctx, folder)) return 'notStarted';
  if (await isApplied(ctx, stash, folder)) return undefined;
  return (await isPartlyApplied(ctx, stash, folder)) ? 'partly' : undefined;
}

/** Recreating a plan's worktree on its existing branch: adds a folder, deletes nothing. */
function recreateFix(ctx: RepoContext, registry: Registry, plan: PlanRecord): Fix {
  // The recorded folder only where the location template allows it (never under .git).
  const folder = freeFolder(allowedPlanFolder(ctx, plan));
  return {
    label: 'Recreate Worktree',
    description: `Adds a worktree at ${folder} on the branch ${plan.branch} and marks plan ${plan.id} active. Nothing is deleted.`,
    folder,
    run: async () => {
      // Checked again when the fix runs: another fix (Add to Plans) may have made a plan with this id active meanwhile.
      await refuseActiveId(registry, plan.id, plan.run);
      await addWorktree(
        { git: ctx.git, cwd: ctx.repo.commonDir },
        folder,
        ensureValid(plan.branch, validateBranchName),
      );
      await editPlan(registry, plan, (p) => {
        p.path = fs.realpathSync(folder);
        p.status = 'active';
        delete p.creating;
        delete p.creator;
      });
    },
  };
}

/** Worktrees on a branch that looks like a plan's (from the branch template) that the registry does not know. */
function unregisteredWorktrees(
  ctx: RepoContext,
  registry: Registry,
  worktrees: WorktreeEntry[],
  data: RegistryData,
): Finding[] {
  const pattern = templatePattern(ctx.settings.branchTemplate);
  if (!pattern) return [];
  const findings: Finding[] = [];
  for (const entry of worktrees) {
    if (entry.isMain || !entry.branch || !fs.existsSync(entry.path)) continue;
    const branch = shortBranchName(entry.branch);
    const match = pattern.exec(branch);
    const id = match?.groups?.id;
    if (!id || data.plans.some((p) => p.branch === branch || samePath(p.path, entry.path))) continue;
    const slug = match.groups?.slug ?? id;
    // Adding it would make a second active plan with this id.
    const taken = data.plans.find((p) => p.id === id && p.status === 'active');
    if (taken) {
      findings.push({
        kind: 'unregisteredWorktree',
        message: `The worktree ${entry.path} is on the plan branch ${branch}, but the registry has no plan for it, and plan ${id} is already active (${taken.path}). Clean up plan ${id} first (then the doctor offers to add this worktree), or remove this worktree with git.`,
        planId: id,
        path: entry.path,
        branch,
      });
      continue;
    }
    findings.push({
      kind: 'unregisteredWorktree',
      message: `The worktree ${entry.path} is on the plan branch ${branch}, but the registry has no plan for it.`,
      planId: id,
      path: entry.path,
      branch,
      fix: {
        label: 'Add to Plans',
        description: `Adds plan ${id} to the registry for the worktree ${entry.path} (branch ${branch}, based on the main checkout's branch). Nothing in git or on disk changes.`,
        run: () => adopt(ctx, registry, { id, slug, branch, path: entry.path }),
      },
    });
  }
  return findings;
}

/** Registers an existing worktree as a plan, based on the main checkout's branch at their merge-base. */
/** Throws PlanExists when another run of this plan id is active. */
async function refuseActiveId(registry: Registry, id: string, run: number): Promise<void> {
  const active = (await registry.read()).plans.find((p) => p.id === id && p.run !== run && p.status === 'active');
  if (active) {
    throw new PlanError(ErrorCode.PlanExists, {
      reason: 'activeAgain',
      plan: id,
      run: active.run,
      path: active.path,
      action: 'recreate',
    });
  }
}

async function adopt(
  ctx: RepoContext,
  registry: Registry,
  found: { id: string; slug: string; branch: string; path: string },
): Promise<void> {
  const base = await currentBranch({ git: ctx.git, cwd: ctx.repo.mainPath });
  if (base === undefined) {
    throw new PlanError(ErrorCode.BranchNotFound, { reason: 'detachedHead' });
  }
  const baseCommit = await mergeBase(
    { git: ctx.git, cwd: ctx.repo.commonDir },
    qualifyBranch(base),
    qualifyBranch(found.branch),
  );
  if (baseCommit === undefined) {
    throw new PlanError(ErrorCode.UnrelatedHistories, {
      baseCommit: qualifyBranch(base),
      planCommit: qualifyBranch(found.branch),
    });
  }
  await registry.update((data) => {
    if (data.plans.some((p) => p.branch === found.branch && p.status === 'active')) return;
    // Checked again when the fix runs: another fix (Recreate Worktree) may have made a plan with this id active meanwhile.
    const taken = data.plans.find((p) => p.id === found.id && p.status === 'active');
    if (taken) {
      throw new PlanError(ErrorCode.PlanExists, {
        reason: 'activeNow',
        plan: found.id,
        path: taken.path,
        found: found.path,
      });
    }
    const run = 1 + data.plans.filter((p) => p.id === found.id).length;
    const now = new Date().toISOString();
    data.plans.push({
      id: found.id,
      title: found.slug,
      slug: found.slug,
      branch: found.branch,
      path: found.path,
      base,
      baseCommit,
      created: now,
      status: 'active',
      run,
      updated: now,
    });
  });
}

/**
 * A stash of the main checkout's changes that a create was moving into a
 * plan. Dropped once every change it holds is in the plan's worktree; put back
 * in the main checkout when the plan has no worktree; otherwise left, and the
 * message says how to apply it.
 */
async function movedChanges(
  ctx: RepoContext,
  stash: MoveStash,
  data: RegistryData,
  known: Known,
): Promise<Finding | undefined> {
  const plan = data.plans.filter((p) => p.id === stash.planId).sort((a, b) => b.run - a.run)[0];
  const worktree = plan ? findWorktree(known.worktrees, plan) : undefined;
  const folder = worktree && fs.existsSync(worktree.path) ? worktree.path : undefined;
  if (plan?.creating && createRunning(plan, known.now, known.creatingTimeoutMs)) return undefined; // the create is moving them right now
  const where = { planId: stash.planId, path: folder, branch: plan?.branch };
  const held = `${stash.name} (${stash.oid.slice(0, 12)}) holds uncommitted changes moved out of the main checkout for plan ${stash.planId}`;
  // A create that died before or while applying them: its Keep It finishes the move.
  if (folder && plan?.creating && (await unfinishedMove(ctx, stash, folder))) return undefined;
  if (folder && (await isApplied(ctx, stash, folder))) {
    return {
      kind: 'movedChanges',
      message: `${held}; they are in its worktree ${folder}, and the stash is a leftover copy.`,
      ...where,
      fix: {
        label: 'Drop Stash',
        description: `Drops the stash ${stash.name} (${stash.oid.slice(0, 12)}), once it is checked again that every change it holds is in ${folder}. Nothing else changes.`,
        run: async () => {
          if (!(await isApplied(ctx, stash, folder))) {
            throw new PlanError(ErrorCode.WorktreeDirty, {
              reason: 'stashNotInFolder',
              stash: stash.oid,
              path: folder,
            });
          }
          await dropStash(ctx, stash);
        },
      },
    };
  }
  // Another window may have moved the same changes (or they were put back): a copy is never put back a second time.
  const holder = folder ? undefined : await stashHolder(ctx, stash, known.worktrees);
  if (holder) {
    const ref = stashRef(stash);
    return {
      kind: 'movedChanges',
      message: `${held}, which has no worktree; ${holder} has every one of those changes already, so the stash is a copy.`,
      ...where,
      fix: {
        label: 'Drop Stash',
        description: `Drops the stash ${stash.name} (${stash.oid.slice(0, 12)}), once it is checked again that ${holder} has its changes, and keeps its commit as ${ref} ("git stash apply ${stash.oid}" brings it back). Nothing else changes.`,
        run: async () => {
          const now = await stashHolder(ctx, stash, await listWorktrees(ctx));
          if (!now) {
            throw new PlanError(ErrorCode.WorktreeDirty, { reason: 'stashNowhere', stash: stash.oid });
          }
          await keepAndDropStash(ctx, stash);
        },
      },
    };
  }
  if (!folder) {
    return {
      kind: 'movedChanges',
      message: `${held}, which has no worktree: the changes are only in the stash.`,
      ...where,
      fix: {
        label: 'Put Back in Main Checkout',
        description: `Applies the stash ${stash.name} (${stash.oid.slice(0, 12)}) in the main checkout ${ctx.repo.mainPath}, where the changes came from (git refuses if that would overwrite a changed file), then drops it.`,
        run: () => applyStash(ctx, stash, ctx.repo.mainPath),
      },
    };
  }
  return {
    kind: 'movedChanges',
    message: `${held}, and only some of them are in its worktree ${folder}. Compare ("git stash show -p --include-untracked ${stash.oid}"), apply what is missing, then drop the stash ("git stash drop ${stash.name}").`,
    ...where,
  };
}

/**
 * A half-written admin folder of a worktree (a `git worktree add` that was
 * killed): removes that record, and the worktree's folder only when it holds
 * nothing but its `.git` file. One still being written is left alone.
 */
function brokenRecord(ctx: RepoContext, admin: AdminFolder, data: RegistryData, now: number): Finding {
  const plan = admin.worktree
    ? data.plans.filter((p) => samePath(p.path, admin.worktree as string)).sort((a, b) => b.run - a.run)[0]
    : undefined;
  const where = { planId: plan?.id, path: admin.worktree, branch: plan?.branch };
  const what = `Git's record of the worktree ${admin.worktree ?? `"${admin.name}"`} (${admin.dir}) is half-written: ${admin.problems.join('; ')}.`;
  const age = Math.round((now - admin.modifiedMs) / 1000);
  if (now - admin.modifiedMs < ADMIN_WRITE_MS) {
    return {
      kind: 'brokenWorktreeRecord',
      message: `${what} It was written ${age} s ago, perhaps by a "git worktree add" still running; run the doctor again in a minute.`,
      ...where,
    };
  }
  const state = worktreeFolderState(admin);
  const folderText =
    state === 'onlyGitFile'
      ? ` Its folder ${admin.worktree} holds nothing but the ".git" file that points to this record: that file and the then empty folder are deleted too.`
      : state === 'content'
        ? ` Its folder ${admin.worktree} has files: it is kept as it is (no longer a git worktree).`
        : '';
  return {
    kind: 'brokenWorktreeRecord',
    message: `${what} Until it is repaired, git cannot list the worktrees${admin.problems.some((p) => p.includes('HEAD')) ? ' or walk every commit ("git gc" fails)' : ''}.`,
    ...where,
    fix: {
      label: 'Remove Broken Record',
      description: `Deletes the folder ${admin.dir} (git's half-written record of that worktree).${folderText} No branch, commit or other worktree is touched.`,
      run: async () => {
        const removed = removeBrokenAdminFolder(ctx.repo.commonDir, admin.name);
        ctx.log.info(`Doctor: removed ${removed.join(', ') || 'nothing (already gone)'}`);
      },
    },
  };
}

/** A worktree that a merge left half-way (its branch moved, its files not). */
function interruptedMerge(ctx: RepoContext, half: HalfMerge, data: RegistryData): Finding {
  const plan = data.plans.filter((p) => p.id === half.planId).sort((a, b) => b.run - a.run)[0];
  const ownPlan = plan?.branch === half.branch;
  const folder = half.worktree.path;
  return {
    kind: 'interruptedMerge',
    message: `Merging plan ${half.planId} was interrupted: the branch ${half.branch} is at ${half.to.slice(0, 12)}, but the files of ${folder} are still at ${half.from.slice(0, 12)}.`,
    planId: half.planId,
    path: folder,
    branch: half.branch,
    fix: {
      label: 'Finish the Merge',
      description: ownPlan
        ? `Brings the index and files of ${folder} to ${half.to.slice(0, 12)}, the commit the merge made of them; what was changed there since the merge stopped stays, uncommitted (refused if it conflicts with the merge). No untracked or ignored file is overwritten; nothing is deleted.`
        : `Brings the index and files of ${folder} from ${half.from.slice(0, 12)} to ${half.to.slice(0, 12)}, as the merge would have (refused if that would overwrite a changed, untracked or ignored file). Untracked and ignored files stay.`,
      run: () => finishMerge(ctx, half, plan),
    },
  };
}

function planLeftBehind(ctx: RepoContext, left: PlanLeftBehind, data: RegistryData): Finding {
  const plan = data.plans.find((p) => p.id === left.planId && p.status === 'active') as PlanRecord;
  return {
    kind: 'interruptedMerge',
    message: `Merging plan ${left.planId} was interrupted: ${plan.base} has the commit of its uncommitted work (${left.to.slice(0, 12)}), but the branch ${left.branch} is still at ${left.from.slice(0, 12)}.`,
    planId: left.planId,
    path: left.worktree.path,
    branch: left.branch,
    fix: {
      label: 'Finish the Merge',
      description: `Moves the branch ${left.branch} to ${left.to.slice(0, 12)} and the index of ${left.worktree.path} with it, as the merge would have; the files already hold that work, and what was changed since stays, uncommitted. Nothing is deleted.`,
      run: () => finishPlanSide(ctx, left, plan),
    },
  };
}

/** A record of plans.json that is not a valid plan: skipped by everything, kept in the file. */
function invalidEntry(registry: Registry, record: InvalidRecord): Finding {
  const id =
    typeof (record.record as { id?: unknown } | null)?.id === 'string'
      ? shownName((record.record as { id: string }).id)
      : undefined;
  return {
    kind: 'invalidEntry',
    message: `Record ${record.index + 1}${id !== undefined ? ` (plan "${id}")` : ''} of ${registry.file} is not a valid plan: ${record.problem.replace(/\.?$/, '.')} It is skipped and kept in the file as it is; correct it there, or set it aside.`,
    planId: id,
    fix: {
      label: 'Set Aside',
      description: `Moves every record of ${registry.file} that is not a valid plan to a file plans.invalid-<time>.json beside it. Nothing is deleted; git and the worktrees do not change.`,
      run: async () => void (await registry.setAsideInvalid()),
    },
  };
}

/** A lock file a git process that died left behind. */
function staleLock(file: string): Finding {
  return {
    kind: 'staleLock',
    message: `${file} is older than ${STALE_LOCK_MS / 1000} seconds: a git command that was interrupted left it, and every git command that needs it fails.`,
    path: file,
    fix: {
      label: 'Delete Lock File',
      description: `Deletes ${file}, if it is still older than ${STALE_LOCK_MS / 1000} seconds (a running git command holds its lock for a moment only). Nothing else changes.`,
      run: async () => removeStaleLock(file),
    },
  };
}

/** Activity files (plan-worktrees/activity/) of plan runs that are no longer active: nothing reads them any more. */
async function staleActivity(ctx: RepoContext, plans: PlanRecord[]): Promise<Finding[]> {
  const keys = await activityKeys(ctx.repo.commonDir);
  return keys
    .filter(({ planId, run }) => !plans.some((p) => p.id === planId && p.run === run && p.status === 'active'))
    .map(({ planId, run, files }) => ({
      kind: 'staleActivity',
      message: `The activity of plan ${planId} (run ${run}) is left in ${files.join(', ')}, but that run is no longer active.`,
      planId,
      fix: {
        label: 'Delete Activity Files',
        description: `Deletes ${files.join(', ')}. Nothing else changes.`,
        run: async () => removePlanActivity(ctx.repo.commonDir, planId, run),
      },
    }));
}

function oldSnapshot(ctx: RepoContext, snapshot: Snapshot, days: number): Finding {
  return {
    kind: 'oldSnapshot',
    message: `The snapshot ${snapshot.ref} of plan ${snapshot.planId} ("${snapshot.plan.title}", ${snapshot.reason}) is older than ${days} days (taken ${snapshot.time}).`,
    planId: snapshot.planId,
    branch: snapshot.plan.branch,
    fix: {
      label: 'Delete Snapshot',
      description: `Deletes the ref ${snapshot.ref} (commit ${snapshot.commit.slice(0, 12)}). The files and commits it holds can no longer be restored from it; branches are not touched.`,
      run: async () => {
        await deleteRef({ git: ctx.git, cwd: ctx.repo.commonDir }, snapshot.ref, {
          expected: snapshot.commit,
          message: 'plan-worktrees: doctor',
        });
      },
    },
  };
}

/**
 * A branch template as a pattern that finds the id (and slug) in a branch
 * name: `plan/${id}-${slug}` → /^plan\/(?<id>...)-(?<slug>...)$/. Undefined
 * when the template has no `${id}`.
 */
export function templatePattern(template: string): RegExp | undefined {
  if (!template.includes('${id}')) return undefined;
  const parts: Record<string, string> = {
    id: '(?<id>[A-Za-z0-9_][A-Za-z0-9._-]*?)',
    slug: '(?<slug>[a-z0-9]+(?:-[a-z0-9]+)*)',
    run: '\\d+',
    runNumber: '\\d+',
  };
  const seen = new Set<string>();
  const source = template
    .split(/(\$\{[^}]*\})/)
    .map((piece) => {
      const name = /^\$\{([^}]*)\}$/.exec(piece)?.[1];
      if (name === undefined) return piece.replace(/[.*+?^$()|[\]\\{}/]/g, '\\$&');
      const part = parts[name] ?? '[^/]+';
      if (seen.has(name)) return part.replace(/\(\?<\w+>/, '(?:');
      seen.add(name);
      return part;
    })
    .join('');
  return new RegExp(`^${source}$`);
}

async function localBranches(ctx: RepoContext): Promise<Set<string>> {
  const refs = await forEachRef({ git: ctx.git, cwd: ctx.repo.commonDir }, ['refs/heads/'], ['refname']);
  return new Set(refs.map(([ref]) => shortBranchName(ref)));
}

/** The folder itself if free, else the first free `<folder>-restored-N`. */
function freeFolder(folder: string): string {
  if (!fs.existsSync(folder)) return folder;
  for (let n = 1; ; n++) if (!fs.existsSync(`${folder}-restored-${n}`)) return `${folder}-restored-${n}`;
}

async function editPlan(registry: Registry, plan: PlanRecord, edit: (entry: PlanRecord) => void): Promise<void> {
  await registry.update((data) => {
    const entry = data.plans.find((p) => p.id === plan.id && p.run === plan.run);
    if (!entry) return;
    edit(entry);
    entry.updated = new Date().toISOString();
  });
}
