/**
 * Removing a worktree's folder after a snapshot without losing what is written
 * into it meanwhile (an agent or a build still running there). The worktree
 * is first moved aside (`git worktree move`: one atomic rename beside it), so
 * nothing reaches it by its path any more, and the snapshot is taken of the
 * moved folder (of the folder where it is when it cannot be moved). A file is
 * then deleted only when the snapshot holds it (or it is disposable) and it is
 * as it was when looked at before the snapshot. What appeared or changed
 * meanwhile (a process writing through a folder it had open) is added to the
 * snapshot and deleted in another round. Git's record of the worktree goes last.
 */
import * as fs from 'fs';
import * as path from 'path';
import { lsTree } from '../../git/commands/objects';
import { moveWorktree, removeWorktree } from '../../git/commands/worktrees';
import { adminDotGit, removeAdminDir, worktreeAdminDir } from '../../git/worktreeFiles';
import { WorktreeEntry } from '../../git/worktreeList';
import { samePath } from '../engine/names';
import { addToSnapshot, Snapshot } from './snapshot';
import { RepoContext } from '../engine/types';
import { readWorktreeContent, WorktreeContent } from '../state/worktreeContent';

export interface FolderRemoval {
  /** The snapshot, holding every file deleted. */
  snapshot: Snapshot;
  /** The folder moved aside, when something kept writing into it: it holds only what was written after the last round. */
  leftover?: string;
}

/** Rounds of "add what changed to the snapshot, delete it" before giving up on a folder that keeps changing. */
const maxRounds = 5;
/** A file changed this shortly before it was looked at could change again unseen within one tick of the file system's clock. */
const racyNs = 50_000_000n;

/** What a file was when looked at: size, times and inode, and whether it had just changed. */
interface Seen {
  key: string;
  racy: boolean;
}

/**
 * Snapshots `folder` (with `snapshotOf`, given the folder to read and what it
 * holds) and removes it with git's record of the worktree `entry`. When the
 * snapshot fails the folder is put back and nothing is removed.
 */
export async function removeAfterSnapshot(
  ctx: RepoContext,
  entry: WorktreeEntry,
  folder: string,
  snapshotOf: (folder: string, content: WorktreeContent) => Promise<Snapshot>,
  signal?: AbortSignal,
): Promise<FolderRemoval> {
  const aside = await moveAside(ctx, entry, folder);
  const admin = worktreeAdminDir(ctx.repo.commonDir, aside);
  let first: { snapshot: Snapshot; seen: Map<string, Seen>; disposable: Set<string> };
  try {
    const content = await readWorktreeContent(ctx, aside, signal);
    const disposable = new Set(content.disposable);
    const seen = lookAt(aside, disposable);
    first = { snapshot: await snapshotOf(aside, content), seen, disposable };
  } catch (e) {
    await moveBack(ctx, entry, aside, folder);
    throw e;
  }
  const removal = await deleteInRounds(ctx, aside, first.snapshot, first.seen, first.disposable);
  // A folder left with what a writer added late is no worktree any more (git would delete it with the record).
  if (removal.leftover) fs.rmSync(path.join(aside, '.git'), { force: true });
  await forgetWorktree(ctx, { ...entry, path: aside }, admin);
  return removal;
}

/**
 * Moves the worktree beside itself with `git worktree move` (one rename; git
 * then lists it there, so a process killed meanwhile leaves a worktree, not a
 * stray folder); the folder itself when it cannot be moved (a file held open
 * on Windows) or has submodules (their settings name their folder by its path).
 */
async function moveAside(ctx: RepoContext, entry: WorktreeEntry, folder: string): Promise<string> {
  if (fs.existsSync(path.join(folder, '.gitmodules'))) return folder;
  const aside = `${folder}.removing-${process.pid}-${Date.now().toString(36)}`;
  try {
    await moveWorktree(inRepo(ctx), folder, aside, { force: lockedForce(entry) });
    return aside;
  } catch (e) {
    ctx.log.warn(`Could not move ${folder} aside (${(e as Error).message}); removing it where it is.`);
    return folder;
  }
}

async function moveBack(ctx: RepoContext, entry: WorktreeEntry, aside: string, folder: string): Promise<void> {
  if (aside === folder) return;
  try {
    await moveWorktree(inRepo(ctx), aside, folder, { force: lockedForce(entry) });
  } catch (e) {
    ctx.log.error(`Could not move ${aside} back to ${folder}: ${(e as Error).message}. The worktree is at ${aside}.`);
  }
}

/** Git moves or removes a locked worktree only when forced twice. */
function lockedForce(entry: WorktreeEntry): 0 | 2 {
  return entry.locked !== undefined ? 2 : 0;
}

function inRepo(ctx: RepoContext): { git: RepoContext['git']; cwd: string } {
  return { git: ctx.git, cwd: ctx.repo.commonDir };
}

/** Deletes what the snapshot holds; adds what changed meanwhile to the snapshot and tries again. */
async function deleteInRounds(
  ctx: RepoContext,
  root: string,
  snapshot: Snapshot,
  seen: Map<string, Seen>,
  disposable: Set<string>,
): Promise<FolderRemoval> {
  for (let round = 1; ; round++) {
    const held = await snapshotPaths(ctx, snapshot.commit);
    const left = deleteHeld(root, '', { held, seen, disposable });
    if (left.length === 0) return removeRoot(ctx, root) ? { snapshot } : { snapshot, leftover: root };
    const files = left.filter((f) => !f.endsWith('/'));
    if (round >= maxRounds || files.length === 0) {
      ctx.log.warn(
        `${root} kept changing (${left.slice(0, 5).join(', ')}…); it is left where it is. The snapshot ${snapshot.ref} holds everything deleted.`,
      );
      return { snapshot, leftover: root };
    }
    // Files that had just changed are looked at again once the clock has moved on.
    await new Promise((resolve) => setTimeout(resolve, Number(racyNs / 1_000_000n) + 10));
    for (const file of files) seen.set(file, lookAtFile(path.join(root, file)));
    snapshot = await addToSnapshot(ctx, snapshot, root, files);
  }
}

/** Path to object type (`blob`, `commit` for a submodule) of every entry of the snapshot's tree. */
async function snapshotPaths(ctx: RepoContext, commit: string): Promise<Map<string, string>> {
  const entries = (await lsTree(inRepo(ctx), commit)) ?? [];
  return new Map(entries.map((e) => [e.path, e.type]));
}

/** Every file and symbolic link under `root` (not in `.git`, disposable folders or nested repositories), as looked at now. */
function lookAt(root: string, disposable: Set<string>, rel = ''): Map<string, Seen> {
  const seen = new Map<string, Seen>();
  for (const d of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const p = `${rel}${d.name}`;
    if (rel === '' && d.name === '.git') continue;
    if (!d.isDirectory()) seen.set(p, lookAtFile(path.join(root, p)));
    else if (!disposable.has(`${p}/`) && !fs.existsSync(path.join(root, p, '.git'))) {
      for (const [k, v] of lookAt(root, disposable, `${p}/`)) seen.set(k, v);
    }
  }
  return seen;
}

function lookAtFile(file: string): Seen {
  const now = BigInt(Date.now()) * 1_000_000n;
  const stat = fs.lstatSync(file, { bigint: true, throwIfNoEntry: false });
  if (!stat) return { key: 'gone', racy: false };
  return {
    key: `${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}:${stat.mode}`,
    racy: stat.ctimeNs >= now - racyNs || stat.mtimeNs >= now - racyNs,
  };
}

/**
 * Deletes under `rel` every file the snapshot holds (or that is disposable) and
 * that is as it was seen; returns what it left (`dir/` for a nested repository).
 */
function deleteHeld(
  root: string,
  rel: string,
  facts: { held: Map<string, string>; seen: Map<string, Seen>; disposable: Set<string> },
): string[] {
  const left: string[] = [];
  for (const d of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const p = `${rel}${d.name}`;
    const full = path.join(root, p);
    if (rel === '' && d.name === '.git') continue;
    if (d.isDirectory()) {
      if (facts.disposable.has(`${p}/`) || facts.held.get(p) === 'commit') {
        fs.rmSync(full, { recursive: true, force: true });
      } else if (fs.existsSync(path.join(full, '.git'))) left.push(`${p}/`);
      else {
        const inside = deleteHeld(root, `${p}/`, facts);
        // A folder that a writer has just added to is gone through again: what is new in it is left for the next round.
        left.push(...(inside.length === 0 && !removeEmptyFolder(full) ? deleteHeld(root, `${p}/`, facts) : inside));
      }
      continue;
    }
    const before = facts.seen.get(p);
    const now = lookAtFile(full);
    if ((facts.held.get(p) === 'blob' || facts.disposable.has(p)) && before && !before.racy && before.key === now.key) {
      fs.rmSync(full, { force: true });
    } else left.push(p);
  }
  return left;
}

/** Removes a folder that should be empty; false when a writer has just added to it. */
function removeEmptyFolder(folder: string): boolean {
  try {
    fs.rmdirSync(folder);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOTEMPTY' && (e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  }
}

/** Removes the emptied folder and its `.git` file; false when something new is in it. */
function removeRoot(ctx: RepoContext, root: string): boolean {
  const names = fs.readdirSync(root);
  if (names.some((n) => n !== '.git')) return false;
  fs.rmSync(path.join(root, '.git'), { force: true });
  try {
    fs.rmdirSync(root);
    return true;
  } catch (e) {
    ctx.log.warn(`Could not remove ${root}: ${(e as Error).message}`);
    return false;
  }
}

/**
 * Removes git's record of a worktree whose folder is gone. When a folder is
 * at its path that is no worktree (one left with a writer's late files, or
 * made again by a writer: git refuses), the record alone is removed, as
 * `git worktree prune` would, and the folder is left alone.
 */
async function forgetWorktree(ctx: RepoContext, entry: WorktreeEntry, admin: string | undefined): Promise<void> {
  try {
    await removeWorktree(inRepo(ctx), entry.path, { force: entry.locked !== undefined ? 2 : 1 });
  } catch (e) {
    const gitdir = admin && adminDotGit(admin);
    if (!admin || !gitdir || !samePath(gitdir, path.join(entry.path, '.git')) || fs.existsSync(gitdir)) throw e;
    ctx.log.warn(
      `${entry.path} was made again by something still writing there; it is left alone, and only git's record of the worktree is removed.`,
    );
    removeAdminDir(admin);
  }
}
