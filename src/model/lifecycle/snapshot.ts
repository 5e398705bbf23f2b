/**
 * Snapshots: the way back after a forced cleanup. A snapshot is a commit of
 * everything in a plan's worktree a person would miss (committed, staged,
 * unstaged and untracked files, and ignored ones outside disposable folders:
 * see worktreeContent.ts) whose parent is the plan's HEAD, kept under
 * `refs/plan-worktrees/snapshots/<id>/<timestamp>`. Its message carries the
 * plan record as JSON, so a plan can be restored even after its registry entry,
 * worktree and branch are gone.
 *
 * The commit is built with a temporary index (`GIT_INDEX_FILE`): the
 * worktree's own index, HEAD and files are never touched.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GitAt } from '../../git/commands/git';
import { addAll, addForced as addForcedFiles, reset } from '../../git/commands/gitIndex';
import { commitTree as writeCommit, readTree, readTreeUpdate, writeTree } from '../../git/commands/objects';
import { hasReason } from '../../git/commands/reasons';
import { createRef, forEachRef, revParse, updateRef, verifyRef } from '../../git/commands/refs';
import { addWorktree, addWorktreeWithBranch } from '../../git/commands/worktrees';
import { ErrorCode, PlanError } from '../engine/errors';
import { shortBranchName, WorktreeEntry } from '../../git/worktreeList';
import { allowedPlanFolder, isAllowedFolder } from '../store/location';
import { planRecordProblem } from '../store/registry';
import { listWorktrees } from '../engine/repository';
import { qualifyBranch } from '../state/merged';
import { ensureValid, validateBranchName, validateId, validateWorktreePath } from '../engine/names';
import { PlanRecord, RepoContext } from '../engine/types';
import { checkSnapshotSize, readWorktreeContent, withIndexCopy, WorktreeContent } from '../state/worktreeContent';

export const SNAPSHOT_REFS = 'refs/plan-worktrees/snapshots/';

export interface Snapshot {
  /** `refs/plan-worktrees/snapshots/<id>/<timestamp>` */
  ref: string;
  /** The snapshot commit: the worktree's files; its parent is the plan's HEAD. */
  commit: string;
  planId: string;
  /** ISO time the snapshot was taken. */
  time: string;
  /** The plan record at the time of the snapshot. */
  plan: PlanRecord;
  reason: string;
}

/** The commit made of a worktree's files. */
export interface WorktreeCommit {
  commit: string;
  /** The worktree's HEAD, the commit's parent. */
  parent: string;
  tree: string;
}

/** Used for snapshot commits when the user has no git identity: a snapshot must never fail for want of a name. */
const fallbackIdentity = {
  GIT_AUTHOR_NAME: 'Plan Worktrees',
  GIT_AUTHOR_EMAIL: 'plan-worktrees@localhost',
  GIT_COMMITTER_NAME: 'Plan Worktrees',
  GIT_COMMITTER_EMAIL: 'plan-worktrees@localhost',
};

const RECORD_PREFIX = 'plan-worktrees-record: ';

/**
 * Writes a snapshot of the plan's worktree and returns it: of `folder` (the
 * plan's folder by default) with what `content` says it holds (read when not
 * given; SnapshotTooLarge when its ignored files are over the limit; with
 * `ignoredFiles: false`, when nothing is about to be deleted, without ignored
 * files), or of the plan's branch when the folder is gone.
 */
export async function writeSnapshot(
  ctx: RepoContext,
  plan: PlanRecord,
  reason: string,
  options: { folder?: string; content?: WorktreeContent; ignoredFiles?: boolean } = {},
): Promise<Snapshot> {
  ensureValid(plan.id, validateId);
  const folder = options.folder ?? plan.path;
  const time = new Date().toISOString();
  const message = snapshotMessage(plan, reason, time);
  let commit: string;
  if (fs.existsSync(folder)) {
    const content = options.content ?? (await readWorktreeContent(ctx, folder));
    const withIgnored = options.ignoredFiles !== false;
    if (withIgnored) checkSnapshotSize(ctx, folder, content);
    const options2 = {
      fallbackIdentity: true,
      keepIndex: true,
      ignored: withIgnored ? content.ignored.map((f) => f.path) : [],
      flagged: content.flagged,
    };
    commit = (await commitWorktree(ctx, folder, message, options2)).commit;
  } else commit = await commitBranchTip(ctx, plan, message);
  const ref = await createUniqueRef(ctx, `${SNAPSHOT_REFS}${plan.id}/${time.replace(/[-:.]/g, '')}`, commit);
  ctx.log.info(`Snapshot of plan ${plan.id} (${reason}) at ${ref}`);
  return { ref, commit, planId: plan.id, time, plan, reason: oneLine(reason) };
}

/** Every snapshot (of the plan `id` only, when given), newest first: one git process. */
export async function listSnapshots(ctx: RepoContext, id?: string): Promise<Snapshot[]> {
  const under = id === undefined ? SNAPSHOT_REFS : `${SNAPSHOT_REFS}${ensureValid(id, validateId)}/`;
  const refs = await forEachRef(inRepo(ctx), [under], ['refname', 'objectname', 'contents']);
  return snapshotsOf(ctx, refs);
}

/** The snapshots these refs (`[ref, commit, message]`, as `for-each-ref` gives them) are, newest first; others are logged and skipped. */
export function snapshotsOf(ctx: RepoContext, refs: ReadonlyArray<readonly string[]>): Snapshot[] {
  const snapshots: Snapshot[] = [];
  for (const [ref, commit, contents] of refs) {
    const parsed = contents === undefined ? undefined : parseSnapshotMessage(contents);
    if (parsed) snapshots.push({ ref, commit, planId: parsed.plan.id, ...parsed });
    else if (ref) ctx.log.warn(`Skipping ${ref}: not a Plan Worktrees snapshot, or its plan record is not valid.`);
  }
  return snapshots.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
}

/**
 * Brings a snapshot back as a worktree: its branch at the plan's HEAD as it
 * was (recreated if deleted; a new `<branch>-restored-N` when the name is taken
 * by other work), and every file of the snapshot in the folder, uncommitted
 * again. An explicit `path` or `branch` that is taken is refused.
 */
export async function restoreSnapshot(
  ctx: RepoContext,
  snapshot: Snapshot,
  options: { path?: string; branch?: string } = {},
): Promise<{ path: string; branch: string }> {
  const head = await snapshotParent(ctx, snapshot);
  const branch = await chooseBranch(ctx, options.branch ?? snapshot.plan.branch, head, options.branch !== undefined);
  // The record's folder only where the location template allows it: the record is data anyone could have written.
  const folder = chooseFolder(
    ensureValid(options.path ?? allowedPlanFolder(ctx, snapshot.plan), validateWorktreePath),
    options.path !== undefined,
  );
  if (branch.create) await addWorktreeWithBranch(inRepo(ctx), folder, branch.name, head);
  else await addWorktree(inRepo(ctx), folder, branch.name);
  await fillFromSnapshot(ctx, snapshot, folder, false);
  ctx.log.info(`Restored ${snapshot.ref} to ${folder} on ${branch.name}`);
  return { path: folder, branch: branch.name };
}

/** A worktree that a restore of a snapshot made, and whether the snapshot's files are in it already. */
export interface UnfinishedRestore {
  path: string;
  branch: string;
  filesRestored: boolean;
}

/**
 * Whether `worktree` is one that a restore of `snapshot` made and did not
 * finish (its process died, or a later step failed): on a branch at the
 * snapshot's parent, holding nothing but what the restore put there — the
 * files of that commit (nothing restored yet) or the snapshot's (files
 * restored, not the index) — in a folder the location template allows.
 * Undefined when it holds anything else.
 */
export async function unfinishedRestore(
  ctx: RepoContext,
  snapshot: Snapshot,
  worktree: WorktreeEntry,
): Promise<UnfinishedRestore | undefined> {
  const head = await snapshotParent(ctx, snapshot);
  // Only where a restore could have made it: a folder the location template allows.
  if (
    !worktree.branch ||
    worktree.head !== head ||
    !isAllowedFolder(ctx, worktree.path) ||
    !fs.existsSync(worktree.path)
  ) {
    return undefined;
  }
  const [snapshotTree, headTree] = await revParse(inRepo(ctx), [`${snapshot.commit}^{tree}`, `${head}^{tree}`]);
  const { tree } = await commitWorktree(ctx, worktree.path, 'plan-worktrees: what an unfinished restore left', {
    fallbackIdentity: true,
  });
  if (tree !== snapshotTree && tree !== headTree) return undefined;
  return { path: worktree.path, branch: shortBranchName(worktree.branch), filesRestored: tree !== headTree };
}

/** Finishes a restore that stopped after making its worktree (see `unfinishedRestore`). */
export async function finishRestore(
  ctx: RepoContext,
  snapshot: Snapshot,
  into: UnfinishedRestore,
): Promise<{ path: string; branch: string }> {
  await fillFromSnapshot(ctx, snapshot, into.path, into.filesRestored);
  ctx.log.info(`Finished restoring ${snapshot.ref} to ${into.path} on ${into.branch}`);
  return { path: into.path, branch: into.branch };
}

/** Brings a worktree at the snapshot's parent to the snapshot: its files (unless there already), its changes uncommitted and what was staged staged. */
async function fillFromSnapshot(
  ctx: RepoContext,
  snapshot: Snapshot,
  folder: string,
  filesRestored: boolean,
): Promise<void> {
  const worktree = { git: ctx.git, cwd: folder };
  // Index and files to the snapshot, then the index back to HEAD: its changes are uncommitted again.
  if (!filesRestored) await readTreeUpdate(worktree, 'HEAD', snapshot.commit);
  await reset(worktree);
  // What was staged was kept as a second parent: staged again.
  const index = await verifyRef(worktree, `${snapshot.commit}^2`);
  if (index !== undefined) await readTree(worktree, index);
}

/** The plan's HEAD when the snapshot was taken; SnapshotNotFound when the snapshot commit is gone. */
async function snapshotParent(ctx: RepoContext, snapshot: Snapshot): Promise<string> {
  if (!/^[0-9a-f]{40,64}$/.test(snapshot.commit)) {
    throw new PlanError(ErrorCode.SnapshotNotFound, { reason: 'notSnapshotCommit', commit: snapshot.commit });
  }
  const parent = await verifyRef(inRepo(ctx), `${snapshot.commit}^1`);
  if (parent === undefined) {
    throw new PlanError(ErrorCode.SnapshotNotFound, {
      reason: 'notInRepository',
      ref: snapshot.ref,
      commit: snapshot.commit,
    });
  }
  return parent;
}

/**
 * Commits everything in a worktree (tracked changes, staged or not, also of
 * files marked assume-unchanged or skip-worktree; untracked files that are not
 * ignored; and the ignored files `ignored` names) on top of its HEAD, without
 * moving any ref or touching its index: a temporary copy of the index is used.
 * With `keepIndex`, what is staged is kept too (it may differ from the files on
 * disk), as a second parent whose tree is the index, as `git stash` does.
 */
export async function commitWorktree(
  ctx: RepoContext,
  worktree: string,
  message: string,
  options: { fallbackIdentity?: boolean; keepIndex?: boolean; ignored?: string[]; flagged?: string[] } = {},
): Promise<WorktreeCommit> {
  return withIndexCopy(ctx, worktree, options.flagged, async (env, parent, parentTree) => {
    const at = { git: ctx.git, cwd: worktree, env };
    // An index with conflicts has no tree; `add --all` below takes the files as they are.
    const indexTree = options.keepIndex ? await writeTree(at).catch(() => undefined) : undefined;
    await addAll(at);
    await addForced(at, env, options.ignored ?? []);
    const tree = await writeTree(at);
    const parents = [parent];
    const fallback = options.fallbackIdentity ?? false;
    if (indexTree && indexTree !== parentTree) {
      parents.push(await commitTree(ctx, indexTree, [parent], 'plan-worktrees: staged content', fallback));
    }
    const commit = await commitTree(ctx, tree, parents, message, fallback);
    return { commit, parent, tree };
  });
}

/** `git add --force` of `files` (relative to the worktree, taken literally) into the index `env` names; those gone meanwhile are left out. */
async function addForced(at: GitAt, env: Record<string, string>, files: string[]): Promise<void> {
  const present = files.filter((f) => fs.lstatSync(path.join(at.cwd, f), { throwIfNoEntry: false }));
  if (present.length === 0) return;
  await addForcedFiles(at, present, `${env.GIT_INDEX_FILE}.paths`);
}

/**
 * Adds `files` of `folder` (written after the snapshot was taken) to the
 * snapshot: a new commit with the same parents and message whose tree is the
 * old one plus these files; the snapshot's ref moves to it (compare-and-swap).
 */
export async function addToSnapshot(
  ctx: RepoContext,
  snapshot: Snapshot,
  folder: string,
  files: string[],
): Promise<Snapshot> {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-index-'));
  try {
    const env = { GIT_INDEX_FILE: path.join(tempDir, 'index') };
    const at = { git: ctx.git, cwd: folder, env };
    await readTree(at, snapshot.commit);
    await addForced(at, env, files);
    const tree = await writeTree(at);
    const parents = await revParse({ git: ctx.git, cwd: folder }, [`${snapshot.commit}^@`]);
    const message = snapshotMessage(snapshot.plan, snapshot.reason, snapshot.time);
    const commit = await commitTree(ctx, tree, parents, message, true);
    await updateRef(inRepo(ctx), snapshot.ref, commit, {
      expected: snapshot.commit,
      message: 'plan-worktrees: snapshot',
    });
    return { ...snapshot, commit };
  } finally {
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

/** `git commit-tree`; with `fallback`, a user without a git identity gets the Plan Worktrees one. */
function commitTree(
  ctx: RepoContext,
  tree: string,
  parents: string[],
  message: string,
  fallback: boolean,
): Promise<string> {
  return writeCommit(inRepo(ctx), tree, parents, message, fallback ? { fallbackIdentity } : {});
}

/** A snapshot of a plan whose folder is gone: its branch tip, as the files are lost already. */
async function commitBranchTip(ctx: RepoContext, plan: PlanRecord, message: string): Promise<string> {
  const [tip] = await revParse(inRepo(ctx), ['--verify', `${qualifyBranch(plan.branch)}^{commit}`]);
  return commitTree(ctx, `${tip}^{tree}`, [tip], message, true);
}

/** Creates `ref` (or `ref-2`, `ref-3`... when taken) at `commit`; creation is atomic, an existing ref is never overwritten. */
async function createUniqueRef(ctx: RepoContext, ref: string, commit: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? ref : `${ref}-${n}`;
    try {
      await createRef(inRepo(ctx), candidate, commit, 'plan-worktrees: snapshot');
      return candidate;
    } catch (e) {
      if (n >= 100 || !hasReason(e, 'exists')) throw e;
    }
  }
}

function snapshotMessage(plan: PlanRecord, reason: string, time: string): string {
  return [
    `Snapshot of plan ${plan.id}: ${oneLine(plan.title)}`,
    '',
    `Reason: ${oneLine(reason)}`,
    `Time: ${time}`,
    `Worktree: ${oneLine(plan.path)}`,
    '',
    `${RECORD_PREFIX}${JSON.stringify({ plan, reason: oneLine(reason), time })}`,
  ].join('\n');
}

/** The plan record, reason and time a snapshot message carries, or undefined for any other commit. */
export function parseSnapshotMessage(message: string): { plan: PlanRecord; reason: string; time: string } | undefined {
  const line = message.split('\n').find((l) => l.startsWith(RECORD_PREFIX));
  if (!line) return undefined;
  try {
    const data = JSON.parse(line.slice(RECORD_PREFIX.length)) as { plan?: PlanRecord; reason?: string; time?: string };
    if (planRecordProblem(data.plan) !== undefined) return undefined;
    return { plan: data.plan as PlanRecord, reason: String(data.reason ?? ''), time: String(data.time ?? '') };
  } catch {
    return undefined;
  }
}

/** The branch to restore on: the wanted one if free or still at `head`, else the first free `<name>-restored-N`. */
async function chooseBranch(
  ctx: RepoContext,
  wanted: string,
  head: string,
  explicit: boolean,
): Promise<{ name: string; create: boolean }> {
  ensureValid(wanted, validateBranchName);
  const [tips, worktrees] = await Promise.all([branchTips(ctx, wanted), listWorktrees(ctx)]);
  const checkedOut = new Set(worktrees.map((w) => w.branch));
  const usable = (name: string): { name: string; create: boolean } | undefined => {
    const tip = tips.get(`refs/heads/${name}`);
    if (tip === undefined) return { name, create: true };
    return tip === head && !checkedOut.has(`refs/heads/${name}`) ? { name, create: false } : undefined;
  };
  const direct = usable(wanted);
  if (direct) return direct;
  if (explicit) {
    throw new PlanError(ErrorCode.BranchExists, { reason: 'restore', branch: wanted });
  }
  for (let n = 1; ; n++) {
    const candidate = usable(`${wanted}-restored-${n}`);
    if (candidate?.create) return candidate;
  }
}

/** Tips of `name` and of every `name-restored-N`: one git process. */
async function branchTips(ctx: RepoContext, name: string): Promise<Map<string, string>> {
  const ref = qualifyBranch(name);
  const refs = await forEachRef(inRepo(ctx), [ref, `${ref}-restored-*`], ['refname', 'objectname']);
  return new Map(refs.map(([refname, oid]) => [refname, oid]));
}

/** The folder to restore into: the wanted one if free, else the first free `<folder>-restored-N`. */
function chooseFolder(wanted: string, explicit: boolean): string {
  const taken = (folder: string): boolean => fs.existsSync(folder) && fs.readdirSync(folder).length > 0;
  if (!taken(wanted)) return wanted;
  if (explicit) {
    throw new PlanError(ErrorCode.PathExists, { reason: 'restoreFolder', path: wanted });
  }
  for (let n = 1; ; n++) {
    const candidate = `${wanted}-restored-${n}`;
    if (!taken(candidate)) return candidate;
  }
}

function inRepo(ctx: RepoContext): GitAt {
  return { git: ctx.git, cwd: ctx.repo.commonDir };
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}
