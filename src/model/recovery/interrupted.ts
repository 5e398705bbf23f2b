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
import { mergeTreeArgs, parseMergeTree } from '../../git/commands/mergeTree';
import { blobIdLike } from '../../git/commands/objects';
import { entryGitDir } from '../../git/worktreeFiles';
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
  return (await ctx.git.run(['status', '--porcelain', '-z', '--untracked-files=all'], { cwd: folder })) === '';
}

/**
 * Whether every change the stash holds is in `folder`: its tracked files are
 * as the stash has them, and each of its untracked files is there with the
 * same content.
 */
export async function isApplied(ctx: RepoContext, stash: MoveStash, folder: string): Promise<boolean> {
  const tracked = await ctx.git.exec(['diff', '--quiet', stash.oid, '--'], { cwd: folder, okExitCodes: [1] });
  if (tracked.exitCode !== 0) return false;
  const untracked = await ctx.git.exec(['ls-tree', '-r', '-z', `${stash.oid}^3`, '--'], {
    cwd: folder,
    okExitCodes: [128],
  });
  if (untracked.exitCode !== 0) return true; // the stash has no untracked files
  for (const line of untracked.stdout.split('\0').filter(Boolean)) {
    const tab = line.indexOf('\t');
    const blob = line.slice(0, tab).split(' ')[2];
    const file = path.join(folder, line.slice(tab + 1));
    if (!fs.existsSync(file) || blobIdLike(blob, fs.readFileSync(file)) !== blob) return false;
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
  const cwd = ctx.repo.commonDir;
  const changes: StashChange[] = [];
  const tracked = await ctx.git.run(['diff-tree', '-r', '-z', '--no-renames', `${stash.oid}^1`, stash.oid], { cwd });
  const fields = tracked.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const [, mode, , blob, status] = fields[i].split(' ');
    changes.push(status === 'D' ? { path: fields[i + 1] } : { path: fields[i + 1], blob, mode });
  }
  const untracked = await ctx.git.exec(['ls-tree', '-r', '-z', `${stash.oid}^3`, '--'], { cwd, okExitCodes: [128] });
  if (untracked.exitCode !== 0) return changes; // the stash has no untracked files
  for (const line of untracked.stdout.split('\0').filter(Boolean)) {
    const tab = line.indexOf('\t');
    const [mode, , blob] = line.slice(0, tab).split(' ');
    changes.push({ path: line.slice(tab + 1), blob, mode });
  }
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
  const existing = await ctx.git.exec(['rev-parse', '--verify', '--quiet', ref], {
    cwd: ctx.repo.commonDir,
    okExitCodes: [1],
  });
  if (existing.stdout.trim() !== stash.oid) {
    await ctx.git.run(['update-ref', '-m', 'plan-worktrees: doctor keeps a stash', ref, stash.oid, ''], {
      cwd: ctx.repo.commonDir,
    });
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
  const cwd = ctx.repo.commonDir;
  const now = await commitWorktree(ctx, folder, `plan-worktrees: files of ${folder}`, {
    fallbackIdentity: true,
    keepIndex: true,
  });
  const [head, stashBase, staged] = (
    await ctx.git.run(['rev-parse', `${now.parent}^{tree}`, `${stash.oid}^1`, `${stash.oid}^2^{tree}`], { cwd })
  )
    .trim()
    .split('\n');
  // What is staged: the snapshot's second parent, when it differs from HEAD.
  const ownIndex = await ctx.git.exec(['rev-parse', '--verify', '--quiet', `${now.commit}^2^{tree}`], {
    cwd,
    okExitCodes: [1],
  });
  const indexTree = ownIndex.exitCode === 0 ? ownIndex.stdout.trim() : head;
  const expected = await appliedTree(ctx, stash, now.parent, stashBase === now.parent);
  if (!expected) return false;
  const differ = async (a: string, b: string): Promise<Set<string>> =>
    new Set(
      (await ctx.git.run(['diff-tree', '-r', '-z', '--name-only', '--no-renames', a, b], { cwd }))
        .split('\0')
        .filter(Boolean),
    );
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
    const whole = await ctx.git
      .execBuffer(['show', `${expected}:${file}`], { cwd: ctx.repo.commonDir })
      .catch(() => undefined);
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
  const cwd = ctx.repo.commonDir;
  let tracked = (await ctx.git.run(['rev-parse', `${stash.oid}^{tree}`], { cwd })).trim();
  if (!sameBase) {
    const asChild = (
      await ctx.git.run(['commit-tree', `${head}^{tree}`, '-p', `${stash.oid}^1`, '-m', 'plan-worktrees: apply step'], {
        cwd,
        env: throwawayIdentity,
      })
    ).trim();
    const out = await ctx.git.exec(mergeTreeArgs(asChild, stash.oid), { cwd, okExitCodes: [1] });
    const merged = parseMergeTree(out.stdout, out.exitCode);
    if (!merged.clean) return undefined;
    tracked = merged.tree;
  }
  const untracked = await ctx.git.exec(['rev-parse', '--verify', '--quiet', `${stash.oid}^3^{tree}`], {
    cwd,
    okExitCodes: [1],
  });
  if (untracked.exitCode !== 0) return tracked;
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-index-'));
  try {
    const env = { GIT_INDEX_FILE: path.join(tempDir, 'index') };
    await ctx.git.run(['read-tree', tracked, untracked.stdout.trim()], { cwd, env });
    return (await ctx.git.run(['write-tree'], { cwd, env })).trim();
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
  await ctx.git.run(['reset', '-q', '--hard'], { cwd: folder });
  const untracked = (await ctx.git.run(['ls-files', '-z', '--others', '--exclude-standard'], { cwd: folder }))
    .split('\0')
    .filter(Boolean);
  for (const file of untracked) fs.rmSync(path.join(folder, file), { force: true });
  await applyStash(ctx, stash, folder);
}

/**
 * Applies the stash in `folder` (with what was staged), then drops it. When
 * an earlier apply stopped half-way there (a full disk) and everything in the
 * folder is a piece of the stash, that is undone first and applied again.
 */
export async function applyStash(ctx: RepoContext, stash: MoveStash, folder: string): Promise<void> {
  const apply = (): Promise<string> => ctx.git.run(['stash', 'apply', '--index', stash.oid], { cwd: folder });
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
    const index = await ctx.git.exec(['diff-index', '--cached', '--quiet', last.from, '--'], {
      cwd: worktree.path,
      okExitCodes: [1],
    });
    if (index.exitCode !== 0) continue;
    const same = await ctx.git.exec(['diff-tree', '--quiet', last.from, last.to, '--'], {
      cwd: worktree.path,
      okExitCodes: [1],
    });
    if (same.exitCode === 0) continue; // the same files at both commits: nothing to bring along
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
  const run = (args: string[]): Promise<string> => ctx.git.run(args, { cwd: folder });
  const refresh = (): Promise<unknown> =>
    ctx.git.exec(['update-index', '-q', '--refresh'], { cwd: folder, okExitCodes: [1] });
  const index = (await run(['rev-parse', '--path-format=absolute', '--git-path', 'index'])).trim();
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
      await run(['read-tree', tree]);
      await refresh();
      await run(['read-tree', '-m', '-u', tree, target]);
      await run(['read-tree', half.to]);
      await refresh();
    } else {
      await refuseFilesInTheWay(ctx, folder, half.from, half.to);
      await run(['read-tree', '-m', '-u', half.from, half.to]);
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
  const run = (args: string[]): Promise<string> =>
    ctx.git.run(args, { cwd: ctx.repo.commonDir, env: throwawayIdentity });
  const [target, local] = await Promise.all([
    run(['commit-tree', `${half.to}^{tree}`, '-p', half.from, '-m', 'plan-worktrees: merge result']),
    run(['commit-tree', files, '-p', half.from, '-m', `plan-worktrees: files of ${folder}`]),
  ]);
  const out = await ctx.git.exec(mergeTreeArgs(target.trim(), local.trim()), {
    cwd: ctx.repo.commonDir,
    okExitCodes: [1],
  });
  const merged = parseMergeTree(out.stdout, out.exitCode);
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
    const [tip, ...parents] = (
      await ctx.git.run(['rev-list', '--parents', '-n', '1', last.to], { cwd: ctx.repo.commonDir })
    )
      .trim()
      .split(' ');
    for (const candidate of [tip, parents[1]].filter((c): c is string => !!c && c !== worktree.head)) {
      const commit = await ctx.git.run(['cat-file', 'commit', candidate], { cwd: ctx.repo.commonDir });
      const firstParent = /^parent ([0-9a-f]+)$/m.exec(commit)?.[1];
      const subject = commit.slice(commit.indexOf('\n\n') + 2).split('\n')[0];
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
  await ctx.git.run(
    [
      'update-ref',
      '-m',
      `plan-worktrees: finish the merge of plan ${left.planId}`,
      `refs/heads/${left.branch}`,
      left.to,
      left.from,
    ],
    { cwd: ctx.repo.commonDir },
  );
  await ctx.git.run(['read-tree', left.to], { cwd: left.worktree.path });
  await ctx.git.exec(['update-index', '-q', '--refresh'], { cwd: left.worktree.path, okExitCodes: [1] });
}

/** Lock files left by git processes that died: a worktree's `index.lock` and `HEAD.lock`, and locks of refs. */
export function staleLocks(ctx: RepoContext, worktrees: WorktreeEntry[], now: number): string[] {
  const candidates: string[] = [];
  for (const worktree of worktrees) {
    const gitDir = entryGitDir(ctx.repo.commonDir, worktree);
    if (gitDir) candidates.push(path.join(gitDir, 'index.lock'), path.join(gitDir, 'HEAD.lock'));
  }
  candidates.push(path.join(ctx.repo.commonDir, 'packed-refs.lock'));
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.lock')) candidates.push(full);
    }
  };
  walk(path.join(ctx.repo.commonDir, 'refs'));
  return [...new Set(candidates)].filter((file) => {
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

/** The last line of a branch's reflog: `<old> <new> <who> <time> <zone>\t<message>`. */
function lastReflogEntry(commonDir: string, ref: string): { from: string; to: string; message: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(commonDir, 'logs', ref), 'utf8');
  } catch {
    return undefined;
  }
  const line = text.trimEnd().split('\n').pop() ?? '';
  const match = /^([0-9a-f]+) ([0-9a-f]+) [^\t]*\t(.*)$/.exec(line);
  return match ? { from: match[1], to: match[2], message: match[3] } : undefined;
}
