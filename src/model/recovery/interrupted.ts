/**
 * What an operation leaves when its process dies half-way (a crashed or
 * killed window), for the doctor to find and repair:
 * - a create that died: its registry entry stays `creating`; its process is
 *   gone (`createRunning` tells);
 * - a create that was moving the main checkout's changes: they wait in a
 *   stash (`plan-worktrees: moving changes to plan <id> (...)`);
 * - a merge that died between moving a branch and bringing its worktree
 *   along: the branch is at the merge result, the worktree's index and files
 *   still at the commit before (the branch's last reflog entry is ours);
 * - a git process that died: its `index.lock` (or a ref's lock) stays, and
 *   every later git command there fails.
 * Every fix checks again, when it runs, that what it acts on is still so.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ErrorCode, PlanError } from '../engine/errors';
import { filesDiffer, indexMatches } from '../../git/commands/diff';
import { GitAt } from '../../git/commands/git';
import { indexFile, refreshIndex, reset, untrackedFiles } from '../../git/commands/gitIndex';
import { changedPaths, commitParents, sameTrees, treeChanges } from '../../git/commands/log';
import { mergeTree } from '../../git/commands/mergeTree';
import {
  blobIdLike,
  commitTree,
  lsTree,
  readBlob,
  readCommit,
  readTree,
  readTreeUpdate,
  writeTree,
} from '../../git/commands/objects';
import { createRef, lastReflogEntry, revParse, updateRef, verifyRef } from '../../git/commands/refs';
import { applyStash as gitApplyStash } from '../../git/commands/stash';
import { isClean as gitIsClean } from '../../git/commands/status';
import { entryGitDir, gitLockFiles } from '../../git/worktreeFiles';
import { shortBranchName, WorktreeEntry } from '../../git/worktreeList';
import { isProcessAlive } from '../store/lock';
import { refuseFilesInTheWay } from '../lifecycle/merge';
import { validateId } from '../engine/names';
import { commitWorktree } from '../lifecycle/snapshot';
import { dropStashByOid, listStashes, undoPartialApply } from '../lifecycle/stash';
import { PlanRecord, RepoContext } from '../engine/types';

/** A lock file older than this was left by a git process that died (git holds them for a moment). */
export const STALE_LOCK_MS = 60_000;

/** Whether the create that reserved this entry is still running: its process lives, or (elsewhere, or unknown) it is young. */
export function createRunning(plan: PlanRecord, now: number, timeoutMs: number): boolean {
  const young = now - Date.parse(plan.created) < timeoutMs;
  const creator = plan.creator;
  if (creator && creator.hostname === os.hostname() && creator.pid !== process.pid && !isProcessAlive(creator.pid)) {
    return false;
  }
  return young;
}

/** A stash left by a create that moved the main checkout's changes into a plan. */
export interface MoveStash {
  /** `stash@{n}` when listed. */
  name: string;
  oid: string;
  planId: string;
  subject: string;
}

const moveSubject = /plan-worktrees: moving changes to plan (\S+) \([0-9a-f]+\)$/;

/** The main checkout's stashes made by a create's move (one git process; none in a bare repository). */
export async function moveStashes(ctx: RepoContext): Promise<MoveStash[]> {
  if (ctx.repo.bare) return [];
  return (await listStashes(ctx)).flatMap(({ name, oid, subject }) => {
    const planId = moveSubject.exec(subject)?.[1];
    return planId ? [{ name, oid, planId, subject }] : [];
  });
}

/** Whether a worktree has no uncommitted or untracked (not ignored) files. */
export async function isClean(ctx: RepoContext, folder: string): Promise<boolean> {
  return gitIsClean({ git: ctx.git, cwd: folder });
}

/**
 * Whether every change the stash holds is in `folder`: its tracked files are
 * as the stash has them, and each of its untracked files is there with the
 * same content.
 */
export async function isApplied(ctx: RepoContext, stash: MoveStash, folder: string): Promise<boolean> {
  const at = { git: ctx.git, cwd: folder };
  if (await filesDiffer(at, stash.oid)) return false;
  const untracked = await lsTree(at, `${stash.oid}^3`, undefined, { missingOk: true });
  if (!untracked) return true; // the stash has no untracked files
  for (const entry of untracked) {
    const file = path.join(folder, entry.path);
    if (!fs.existsSync(file) || blobIdLike(entry.oid, fs.readFileSync(file)) !== entry.oid) return false;
  }
  return true;
}

/** One change a stash holds: a path and its content then (`undefined`: deleted), with its mode. */
interface StashChange {
  path: string;
  blob?: string;
  mode?: string;
}

/** Every change the stash holds against the commit it was made on: tracked files (staged or not) and untracked ones. */
async function stashChanges(ctx: RepoContext, stash: MoveStash): Promise<StashChange[]> {
  const at = common(ctx);
  const changes: StashChange[] = (await treeChanges(at, `${stash.oid}^1`, stash.oid)).map(({ path, blob, mode }) =>
    blob === undefined ? { path } : { path, blob, mode },
  );
  const untracked = await lsTree(at, `${stash.oid}^3`, undefined, { missingOk: true });
  if (!untracked) return changes; // the stash has no untracked files
  for (const entry of untracked) changes.push({ path: entry.path, blob: entry.oid, mode: entry.mode });
  return changes;
}

/** Whether each change is on disk in `folder`: the file with the same content (or link target), or no file where it was deleted. */
function changesOnDisk(changes: StashChange[], folder: string): boolean {
  return changes.every((change) => {
    const file = path.join(folder, change.path);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(file);
    } catch {
      return change.blob === undefined;
    }
    if (change.blob === undefined || stat.isDirectory()) return false;
    const content = stat.isSymbolicLink() ? Buffer.from(fs.readlinkSync(file)) : fs.readFileSync(file);
    return blobIdLike(change.blob, content) === change.blob;
  });
}

/**
 * The folder, among the main checkout and the worktrees, that already has
 * every change the stash holds (another plan that moved the same changes,
 * or the main checkout they were put back in); undefined when none has.
 */
export async function stashHolder(
  ctx: RepoContext,
  stash: MoveStash,
  worktrees: WorktreeEntry[],
): Promise<string | undefined> {
  const changes = await stashChanges(ctx, stash);
  if (changes.length === 0) return undefined;
  return worktrees.find((w) => !w.bare && fs.existsSync(w.path) && changesOnDisk(changes, w.path))?.path;
}

/**
 * Keeps the stash's commit under `refs/plan-worktrees/stashes/<plan>/<commit>`
 * (`git stash apply <commit>` brings it back), then drops the stash. Returns the ref.
 */
export async function keepAndDropStash(ctx: RepoContext, stash: MoveStash): Promise<string> {
  const ref = stashRef(stash);
  const at = common(ctx);
  if ((await verifyRef(at, ref)) !== stash.oid) {
    await createRef(at, ref, stash.oid, 'plan-worktrees: doctor keeps a stash');
  }
  await dropStash(ctx, stash);
  return ref;
}

/** Where keepAndDropStash keeps a stash's commit. */
export function stashRef(stash: MoveStash): string {
  const plan = validateId(stash.planId) === undefined ? stash.planId : 'unknown';
  return `refs/plan-worktrees/stashes/${plan}/${stash.oid.slice(0, 12)}`;
}

/**
 * Whether `folder`, the worktree of a create that died moving the main
 * checkout's changes into it, holds some of the stash's changes and nothing
 * else: every file that differs from its HEAD, on disk or in the index, is
 * as applying the stash makes it (or, for the file being written when the
 * apply died, the start of it). Then setting those back and applying the
 * stash whole loses nothing (they are copies of what the stash holds).
 */
export async function isPartlyApplied(ctx: RepoContext, stash: MoveStash, folder: string): Promise<boolean> {
  const at = common(ctx);
  const now = await commitWorktree(ctx, folder, `plan-worktrees: files of ${folder}`, {
    fallbackIdentity: true,
    keepIndex: true,
  });
  const [head, stashBase, staged] = await revParse(at, [
    `${now.parent}^{tree}`,
    `${stash.oid}^1`,
    `${stash.oid}^2^{tree}`,
  ]);
  // What is staged: the snapshot's second parent, when it differs from HEAD.
  const indexTree = (await verifyRef(at, `${now.commit}^2^{tree}`)) ?? head;
  const expected = await appliedTree(ctx, stash, now.parent, stashBase === now.parent);
  if (!expected) return false;
  const differ = async (a: string, b: string): Promise<Set<string>> =>
    new Set((await changedPaths(at, a, b)).map((c) => c.path));
  const [filesMoved, filesNotAsApplied] = await Promise.all([differ(head, now.tree), differ(now.tree, expected)]);
  const neither = [...filesMoved].filter((f) => filesNotAsApplied.has(f));
  if (!(await allHalfWritten(ctx, folder, expected, neither))) return false;
  const [indexMoved, indexNotAsApplied, indexNotAsStaged] = await Promise.all([
    differ(head, indexTree),
    differ(indexTree, expected),
    stashBase === now.parent && staged ? differ(indexTree, staged) : Promise.resolve(undefined),
  ]);
  return ![...indexMoved].some((f) => indexNotAsApplied.has(f) && (!indexNotAsStaged || indexNotAsStaged.has(f)));
}

/**
 * Whether each of these files is one the apply was writing when it died: its
 * content so far is the start of what the stash has there (git deletes a
 * file, then writes it anew). A few at most; more is not what a dying apply leaves.
 */
async function allHalfWritten(ctx: RepoContext, folder: string, expected: string, files: string[]): Promise<boolean> {
  if (files.length > 8) return false;
  for (const file of files) {
    let content: Buffer;
    try {
      content = fs.readFileSync(path.join(folder, file));
    } catch {
      content = Buffer.alloc(0); // deleted, not written again yet
    }
    const whole = await readBlob(common(ctx), `${expected}:${file}`).catch(() => undefined);
    if (!whole || content.length >= whole.length || !whole.subarray(0, content.length).equals(content)) return false;
  }
  return true;
}

/**
 * The files `git stash apply` makes of the stash on top of `head`: its tracked
 * files (merged onto `head` when the stash was made on another commit) and its
 * untracked ones. Undefined when that merge conflicts.
 */
async function appliedTree(
  ctx: RepoContext,
  stash: MoveStash,
  head: string,
  sameBase: boolean,
): Promise<string | undefined> {
  const at = common(ctx);
  let [tracked] = await revParse(at, [`${stash.oid}^{tree}`]);
  if (!sameBase) {
    const asChild = await commitTree(at, `${head}^{tree}`, [`${stash.oid}^1`], 'plan-worktrees: apply step', {
      author: throwawayIdentity,
    });
    const merged = await mergeTree(at, asChild, stash.oid);
    if (!merged.clean) return undefined;
    tracked = merged.tree;
  }
  const untracked = await verifyRef(at, `${stash.oid}^3^{tree}`);
  if (untracked === undefined) return tracked;
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-index-'));
  try {
    const temporary = { ...at, env: { GIT_INDEX_FILE: path.join(tempDir, 'index') } };
    await readTree(temporary, tracked, untracked);
    return await writeTree(temporary);
  } catch {
    return undefined; // an untracked file where the stash has a tracked one: not a state a move leaves
  } finally {
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

/**
 * Finishes a move that stopped part-way in `folder` (checked again first,
 * see isPartlyApplied): the files it had written are set back (`reset
 * --hard`, and its untracked files deleted; each is a copy of one in the
 * stash), then the stash is applied whole and dropped.
 */
export async function finishPartialMove(ctx: RepoContext, stash: MoveStash, folder: string): Promise<void> {
  if (!(await isPartlyApplied(ctx, stash, folder))) {
    throw new PlanError(ErrorCode.WorktreeDirty, { reason: 'notFromStash', stash: stash.oid, path: folder });
  }
  const at = { git: ctx.git, cwd: folder };
  await reset(at, { hard: true });
  const untracked = await untrackedFiles(at, { excludeStandard: true });
  for (const file of untracked) fs.rmSync(path.join(folder, file), { force: true });
  await applyStash(ctx, stash, folder);
}

/**
 * Applies the stash in `folder` (with what was staged), then drops it. When
 * an earlier apply stopped half-way there (a full disk) and everything in the
 * folder is a piece of the stash, that is undone first and applied again.
 */
export async function applyStash(ctx: RepoContext, stash: MoveStash, folder: string): Promise<void> {
  const apply = (): Promise<void> => gitApplyStash({ git: ctx.git, cwd: folder }, stash.oid);
  try {
    await apply();
  } catch (e) {
    if (!(await undoPartialApply(ctx, stash.oid, folder).catch(() => false))) throw e;
    await apply();
  }
  await dropStash(ctx, stash);
}

/** Drops the stash by its commit (its `stash@{n}` name may have moved, and may move while it is dropped). */
export async function dropStash(ctx: RepoContext, stash: MoveStash): Promise<void> {
  await dropStashByOid(ctx, stash.oid);
}

/** A worktree whose branch a merge moved while its index and files stayed at the commit before. */
export interface HalfMerge {
  worktree: WorktreeEntry;
  branch: string;
  /** The commit the files are at. */
  from: string;
  /** The commit the branch is at. */
  to: string;
  planId: string;
}

/**
 * Worktrees left half-way by a merge that died: the branch's last reflog
 * entry is a merge of ours, the worktree's HEAD is its new commit, and its
 * index is still exactly the commit before. Reads the reflogs as files; one
 * git process per worktree whose branch a merge moved last.
 */
export async function halfMerges(ctx: RepoContext, worktrees: WorktreeEntry[]): Promise<HalfMerge[]> {
  const found: HalfMerge[] = [];
  for (const worktree of worktrees) {
    if (worktree.bare || !worktree.branch || !worktree.head || !fs.existsSync(worktree.path)) continue;
    const last = lastReflogEntry(ctx.repo.commonDir, worktree.branch);
    const planId = last ? /^plan-worktrees: merge plan (\S+)$/.exec(last.message)?.[1] : undefined;
    if (!last || !planId || last.to !== worktree.head || last.from === last.to || /^0+$/.test(last.from)) continue;
    const at = { git: ctx.git, cwd: worktree.path };
    if (!(await indexMatches(at, last.from))) continue;
    if (await sameTrees(at, last.from, last.to)) continue; // the same files at both commits: nothing to bring along
    found.push({ worktree, branch: shortBranchName(worktree.branch), from: last.from, to: last.to, planId });
  }
  return found;
}

/**
 * Brings a half-merged worktree to its branch's commit, as the merge would
 * have. The base's worktree: its files move from `from` to `to` (git refuses
 * to overwrite a changed file). The plan's own worktree, whose files are its
 * work as the merge committed it plus whatever was changed there since: those
 * changes (from `from` to the files as they are) are carried onto `to`, as a
 * three-way merge; a conflict is refused. Neither overwrites an untracked or
 * ignored file. The index is refreshed first (`read-tree -m` refuses an entry
 * whose file stamps are stale), and a fix that fails puts the index back as
 * it was, so the doctor finds the same half-merge again.
 */
export async function finishMerge(ctx: RepoContext, half: HalfMerge, plan: PlanRecord | undefined): Promise<void> {
  const folder = half.worktree.path;
  const again = (await halfMerges(ctx, [half.worktree])).find((h) => h.from === half.from && h.to === half.to);
  if (!again) {
    throw new PlanError(ErrorCode.WorktreeNotFound, { reason: 'mergeNotHalfway', plan: half.planId, path: folder });
  }
  const at = { git: ctx.git, cwd: folder };
  const refresh = (): Promise<void> => refreshIndex(at);
  const index = await indexFile(at);
  const copy = `${index}.plan-worktrees-${process.pid}`;
  fs.copyFileSync(index, copy);
  try {
    await refresh();
    if (plan && plan.branch === half.branch) {
      const { tree } = await commitWorktree(ctx, folder, `plan-worktrees: files of ${folder}`, {
        fallbackIdentity: true,
      });
      const target = await carryChanges(ctx, folder, half, tree);
      await refuseFilesInTheWay(ctx, folder, tree, target);
      await readTree(at, tree);
      await refresh();
      await readTreeUpdate(at, tree, target);
      await readTree(at, half.to);
      await refresh();
    } else {
      await refuseFilesInTheWay(ctx, folder, half.from, half.to);
      await readTreeUpdate(at, half.from, half.to);
    }
  } catch (e) {
    fs.copyFileSync(copy, index);
    throw e;
  } finally {
    fs.rmSync(copy, { force: true });
  }
}

/**
 * The tree of `half.to` with the changes the worktree's files (`files`, a
 * tree) hold against `half.from`: a three-way merge whose merge-base is
 * `from` (both sides are first recorded as children of it: git 2.39's
 * merge-tree has no `--merge-base`). MergeConflict when they collide.
 */
async function carryChanges(ctx: RepoContext, folder: string, half: HalfMerge, files: string): Promise<string> {
  const at = common(ctx);
  const who = { author: throwawayIdentity };
  const [target, local] = await Promise.all([
    commitTree(at, `${half.to}^{tree}`, [half.from], 'plan-worktrees: merge result', who),
    commitTree(at, files, [half.from], `plan-worktrees: files of ${folder}`, who),
  ]);
  const merged = await mergeTree(at, target, local);
  if (!merged.clean) {
    throw new PlanError(ErrorCode.MergeConflict, {
      reason: 'finishMerge',
      plan: half.planId,
      path: folder,
      files: merged.conflicts,
    });
  }
  return merged.tree;
}

/** The identity of commits no ref ever points to (steps of a computation): they need one, whatever the user has configured. */
const throwawayIdentity = {
  GIT_AUTHOR_NAME: 'Plan Worktrees',
  GIT_AUTHOR_EMAIL: 'plan-worktrees@localhost',
  GIT_COMMITTER_NAME: 'Plan Worktrees',
  GIT_COMMITTER_EMAIL: 'plan-worktrees@localhost',
};

/**
 * A plan left behind by a merge that died between its two ref moves: the
 * base's last move is a merge of this plan, to a commit the merge made of
 * the plan's uncommitted work (the base's new tip for a fast-forward, its
 * second parent for a merge commit), whose parent is still the plan's tip:
 * the plan's branch was to move there next, and its files already hold it.
 */
export interface PlanLeftBehind {
  planId: string;
  branch: string;
  worktree: WorktreeEntry;
  /** The plan's tip. */
  from: string;
  /** The commit of its work that the base has. */
  to: string;
}

export async function plansLeftBehind(
  ctx: RepoContext,
  worktrees: WorktreeEntry[],
  plans: PlanRecord[],
): Promise<PlanLeftBehind[]> {
  const found: PlanLeftBehind[] = [];
  for (const plan of plans.filter((p) => p.status === 'active')) {
    const last = lastReflogEntry(ctx.repo.commonDir, `refs/heads/${plan.base}`);
    if (!last || last.message !== `plan-worktrees: merge plan ${plan.id}`) continue;
    const worktree = worktrees.find((w) => w.branch === `refs/heads/${plan.branch}` && w.head && fs.existsSync(w.path));
    if (!worktree?.head) continue;
    const at = common(ctx);
    const { commit: tip, parents } = await commitParents(at, last.to);
    for (const candidate of [tip, parents[1]].filter((c): c is string => !!c && c !== worktree.head)) {
      const {
        parents: [firstParent],
        subject,
      } = await readCommit(at, candidate);
      if (firstParent === worktree.head && subject === `Plan ${plan.id}: uncommitted changes`) {
        found.push({ planId: plan.id, branch: plan.branch, worktree, from: worktree.head, to: candidate });
        break;
      }
    }
  }
  return found;
}

/**
 * Moves the plan's branch to the commit of its work that the base has (by
 * compare-and-swap), and its index there: its files hold that work already,
 * and whatever was changed since stays, uncommitted. Nothing else changes.
 */
export async function finishPlanSide(ctx: RepoContext, left: PlanLeftBehind, plan: PlanRecord): Promise<void> {
  const again = (await plansLeftBehind(ctx, [left.worktree], [plan])).find(
    (l) => l.from === left.from && l.to === left.to,
  );
  if (!again) {
    throw new PlanError(ErrorCode.WorktreeNotFound, { reason: 'notLeftBehind', plan: left.planId });
  }
  await updateRef(common(ctx), `refs/heads/${left.branch}`, left.to, {
    expected: left.from,
    message: `plan-worktrees: finish the merge of plan ${left.planId}`,
  });
  const worktree = { git: ctx.git, cwd: left.worktree.path };
  await readTree(worktree, left.to);
  await refreshIndex(worktree);
}

/** Lock files left by git processes that died: a worktree's `index.lock` and `HEAD.lock`, and locks of refs. */
export function staleLocks(ctx: RepoContext, worktrees: WorktreeEntry[], now: number): string[] {
  const gitDirs = worktrees.flatMap((w) => entryGitDir(ctx.repo.commonDir, w) ?? []);
  return gitLockFiles(ctx.repo.commonDir, gitDirs).filter((file) => {
    try {
      return now - fs.statSync(file).mtimeMs > STALE_LOCK_MS;
    } catch {
      return false;
    }
  });
}

/** Deletes a lock file if it is still there and still stale. */
export function removeStaleLock(file: string): void {
  let modified: number;
  try {
    modified = fs.statSync(file).mtimeMs;
  } catch {
    return;
  }
  if (Date.now() - modified <= STALE_LOCK_MS) {
    throw new PlanError(ErrorCode.IndexLocked, { path: file });
  }
  fs.rmSync(file, { force: true });
}

/** Commands run in the common git directory. */
function common(ctx: RepoContext): GitAt {
  return { git: ctx.git, cwd: ctx.repo.commonDir };
}
