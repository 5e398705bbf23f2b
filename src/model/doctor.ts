/**
 * The doctor: finds what drifted between git and the registry (orphaned
 * entries, missing folders, plan branches without a worktree, locked
 * worktrees, unmerged work of removed plans, worktrees of plan branches the
 * registry does not know, old snapshots) and offers a safe fix for each. A
 * fix says exactly what it changes or deletes; nothing is deleted that a fix
 * does not name.
 */
import * as fs from 'fs';
import { shortBranchName, WorktreeEntry } from '../git/worktreeList';
import { findWorktree } from './cleanup';
import { isMerged, qualifyBranch } from './merged';
import { ensureValid, samePath, validateBranchName } from './names';
import { Registry } from './registry';
import { listWorktrees } from './repository';
import { listSnapshots, Snapshot } from './snapshot';
import { PlanRecord, RegistryData, RepoContext } from './types';
import { unlockWorktree } from './worktreeLock';

export type FindingKind =
  | 'orphanedEntry'
  | 'unfinishedCreate'
  | 'missingFolder'
  | 'branchWithoutWorktree'
  | 'lockedWorktree'
  | 'unmergedWork'
  | 'unregisteredWorktree'
  | 'oldSnapshot';

export interface Fix {
  label: string;
  /** Exactly what the fix changes or deletes, for the confirmation a person reads. */
  description: string;
  run(): Promise<void>;
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
  const [worktrees, data, branches, snapshots] = await Promise.all([listWorktrees(ctx), registry.read(), localBranches(ctx), listSnapshots(ctx)]);
  const now = (options.now ?? new Date()).getTime();
  const findings: Finding[] = [];
  for (const entry of worktrees.filter((w) => !w.isMain)) findings.push(...worktreeFindings(ctx, entry));
  findings.push(...unregisteredWorktrees(ctx, registry, worktrees, data));
  for (const plan of data.plans) {
    const finding = await planFinding(ctx, registry, plan, { worktrees, branches, now, creatingTimeoutMs: options.creatingTimeoutMs ?? 10 * 60 * 1000 });
    if (finding) findings.push(finding);
  }
  const maxAge = (options.snapshotMaxAgeDays ?? 30) * dayMs;
  for (const snapshot of snapshots.filter((s) => now - Date.parse(s.time) > maxAge)) findings.push(oldSnapshot(ctx, snapshot, options.snapshotMaxAgeDays ?? 30));
  return findings;
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
              await ctx.git.run(['worktree', 'remove', '--force', '--', entry.path], { cwd: ctx.repo.commonDir });
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
}

async function planFinding(ctx: RepoContext, registry: Registry, plan: PlanRecord, known: Known): Promise<Finding | undefined> {
  const worktree = findWorktree(known.worktrees, plan);
  const hasBranch = known.branches.has(plan.branch);
  const where = { planId: plan.id, path: plan.path, branch: plan.branch };
  if (plan.creating) {
    if (known.now - Date.parse(plan.created) < known.creatingTimeoutMs) return undefined; // being created right now
    if (worktree) {
      return {
        kind: 'unfinishedCreate',
        message: `Creating plan ${plan.id} was interrupted after its worktree ${worktree.path} was made.`,
        ...where,
        fix: { label: 'Keep It', description: `Marks plan ${plan.id} as created in the registry. Nothing in git or on disk changes.`, run: () => editPlan(registry, plan, (p) => delete p.creating) },
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
        run: () => editPlan(registry, plan, (p) => ((p.status = 'removed'), delete p.creating)),
      },
    };
  }
  if ((plan.status === 'removed' || plan.status === 'abandoned') && hasBranch && !worktree && !(await isMerged(ctx, plan.branch, plan.base).catch(() => ({ merged: false }))).merged) {
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

/** Recreating a plan's worktree on its existing branch: adds a folder, deletes nothing. */
function recreateFix(ctx: RepoContext, registry: Registry, plan: PlanRecord): Fix {
  const folder = freeFolder(plan.path);
  return {
    label: 'Recreate Worktree',
    description: `Adds a worktree at ${folder} on the branch ${plan.branch} and marks plan ${plan.id} active. Nothing is deleted.`,
    run: async () => {
      await ctx.git.run(['worktree', 'add', '--', folder, ensureValid(plan.branch, validateBranchName)], { cwd: ctx.repo.commonDir });
      await editPlan(registry, plan, (p) => {
        p.path = fs.realpathSync(folder);
        p.status = 'active';
        delete p.creating;
      });
    },
  };
}

/** Worktrees on a branch that looks like a plan's (from the branch template) that the registry does not know. */
function unregisteredWorktrees(ctx: RepoContext, registry: Registry, worktrees: WorktreeEntry[], data: RegistryData): Finding[] {
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
async function adopt(ctx: RepoContext, registry: Registry, found: { id: string; slug: string; branch: string; path: string }): Promise<void> {
  const base = (await ctx.git.run(['symbolic-ref', '--short', 'HEAD'], { cwd: ctx.repo.mainPath })).trim();
  const baseCommit = (await ctx.git.run(['merge-base', qualifyBranch(base), qualifyBranch(found.branch)], { cwd: ctx.repo.commonDir })).trim();
  await registry.update((data) => {
    if (data.plans.some((p) => p.branch === found.branch && p.status === 'active')) return;
    const run = 1 + data.plans.filter((p) => p.id === found.id).length;
    const now = new Date().toISOString();
    data.plans.push({ id: found.id, title: found.slug, slug: found.slug, branch: found.branch, path: found.path, base, baseCommit, created: now, status: 'active', run, updated: now });
  });
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
        await ctx.git.run(['update-ref', '-m', 'plan-worktrees: doctor', '-d', snapshot.ref, snapshot.commit], { cwd: ctx.repo.commonDir });
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
  const parts: Record<string, string> = { id: '(?<id>[A-Za-z0-9_][A-Za-z0-9._-]*?)', slug: '(?<slug>[a-z0-9]+(?:-[a-z0-9]+)*)', run: '\\d+' };
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
  const out = await ctx.git.run(['for-each-ref', '--format=%(refname)', 'refs/heads/'], { cwd: ctx.repo.commonDir });
  return new Set(out.split('\n').filter(Boolean).map(shortBranchName));
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
