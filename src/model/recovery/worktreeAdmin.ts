/**
 * Git's admin folders of linked worktrees (`<common>/worktrees/<name>`), read
 * as data. `git worktree add` writes them file by file (gitdir, HEAD as
 * 0000… until the branch is set, commondir); a process killed in between
 * leaves one half-written, and then every `git worktree list` fails ("failed
 * to read worktrees/<name>/commondir") or `rev-list --all` does ("bad object
 * worktrees/<name>/HEAD"). Reading the files ourselves finds such folders even
 * when git cannot list, lists the healthy worktrees meanwhile, and removes a
 * broken record without touching a worktree folder that has content.
 */
import * as fs from 'fs';
import * as path from 'path';
import { forEachRef } from '../../git/commands/refs';
import { ErrorCode, PlanError } from '../engine/errors';
import { WorktreeEntry } from '../../git/worktreeList';
import { RepoContext } from '../engine/types';

export interface AdminFolder {
  name: string;
  /** `<common>/worktrees/<name>`. */
  dir: string;
  /** The worktree's folder, from the `gitdir` file (`<folder>/.git`); undefined when that file is empty or missing. */
  worktree?: string;
  /** `ref: refs/heads/x` → that ref; undefined when HEAD is detached or unreadable. */
  branch?: string;
  /** The commit of a detached HEAD. */
  detachedAt?: string;
  locked?: string;
  /** What is wrong; empty for a healthy folder. */
  problems: string[];
  /** When its newest file was written (ms). */
  modifiedMs: number;
}

/** A broken admin folder younger than this may be one that a running `git worktree add` is still writing. */
export const ADMIN_WRITE_MS = 60_000;

const NULL_OID = /^0+$/;
const OID = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Every admin folder under `<common>/worktrees`, checked (no git process). */
export function readAdminFolders(commonDir: string): AdminFolder[] {
  const root = path.join(commonDir, 'worktrees');
  let names: string[];
  try {
    names = fs
      .readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
  return names.map((name) => readAdminFolder(commonDir, path.join(root, name)));
}

/** The admin folders git cannot read. */
export function brokenAdminFolders(commonDir: string): AdminFolder[] {
  return readAdminFolders(commonDir).filter((a) => a.problems.length > 0);
}

function readAdminFolder(commonDir: string, dir: string): AdminFolder {
  const name = path.basename(dir);
  const problems: string[] = [];
  const folder: AdminFolder = { name, dir, problems, modifiedMs: newestFile(dir) };
  const gitdir = readSmallFile(path.join(dir, 'gitdir'));
  if (gitdir === undefined) problems.push('its "gitdir" file is missing');
  else if (gitdir.trim() === '') problems.push('its "gitdir" file is empty');
  else folder.worktree = path.dirname(path.resolve(dir, gitdir.trim()));
  const commondir = readSmallFile(path.join(dir, 'commondir'));
  if (commondir === undefined) problems.push('its "commondir" file is missing');
  else if (commondir.trim() === '') problems.push('its "commondir" file is empty');
  else if (!sameFolder(path.resolve(dir, commondir.trim()), commonDir)) {
    problems.push(`its "commondir" file points to ${commondir.trim()}, not to this repository`);
  }
  const head = readSmallFile(path.join(dir, 'HEAD'))?.trim();
  if (head === undefined) problems.push('its "HEAD" file is missing');
  else if (head === '') problems.push('its "HEAD" file is empty');
  else if (head.startsWith('ref: ')) folder.branch = head.slice('ref: '.length).trim();
  else if (NULL_OID.test(head)) {
    problems.push('its "HEAD" is still the placeholder 0000… that git writes before it sets the branch');
  } else if (OID.test(head)) folder.detachedAt = head;
  else problems.push('its "HEAD" file holds neither a branch nor a commit');
  const locked = readSmallFile(path.join(dir, 'locked'));
  if (locked !== undefined) folder.locked = locked.trim();
  return folder;
}

/**
 * The worktrees as git would list them, from the admin folders: the main
 * worktree and every healthy linked one (their commits from one
 * `for-each-ref`). Used only when `git worktree list` fails because of a
 * broken admin folder.
 */
export async function listWorktreesFromAdmin(ctx: RepoContext): Promise<WorktreeEntry[]> {
  const healthy = readAdminFolders(ctx.repo.commonDir).filter((a) => a.problems.length === 0 && a.worktree);
  const mainHead = readSmallFile(path.join(ctx.repo.commonDir, 'HEAD'))?.trim() ?? '';
  const mainBranch = mainHead.startsWith('ref: ') ? mainHead.slice('ref: '.length).trim() : undefined;
  const refs = new Map<string, string>();
  const heads = await forEachRef({ git: ctx.git, cwd: ctx.repo.commonDir }, ['refs/heads'], ['refname', 'objectname']);
  for (const [ref, oid] of heads) {
    if (oid) refs.set(ref, oid);
  }
  const main: WorktreeEntry = ctx.repo.bare
    ? { path: ctx.repo.mainPath, bare: true, detached: false, isMain: true }
    : {
        path: ctx.repo.mainPath,
        head: mainBranch ? refs.get(mainBranch) : OID.test(mainHead) ? mainHead : undefined,
        branch: mainBranch,
        bare: false,
        detached: !mainBranch,
        isMain: true,
      };
  const linked = healthy.map((a): WorktreeEntry => {
    const entry: WorktreeEntry = {
      path: a.worktree as string,
      head: a.branch ? refs.get(a.branch) : a.detachedAt,
      branch: a.branch,
      bare: false,
      detached: !a.branch,
      isMain: false,
    };
    if (a.locked !== undefined) entry.locked = a.locked;
    if (!fs.existsSync(entry.path)) entry.prunable = 'gitdir file points to non-existent location';
    return entry;
  });
  return [main, ...linked];
}

/** What the worktree folder of a broken admin folder holds: nothing to keep, or files. */
export function worktreeFolderState(admin: AdminFolder): 'none' | 'onlyGitFile' | 'content' {
  if (!admin.worktree || !fs.existsSync(admin.worktree)) return 'none';
  let entries: string[];
  try {
    entries = fs.readdirSync(admin.worktree);
  } catch {
    return 'content';
  }
  if (entries.length === 0) return 'onlyGitFile';
  if (entries.length === 1 && entries[0] === '.git' && pointsHere(admin)) return 'onlyGitFile';
  return 'content';
}

/**
 * Removes a broken admin folder (checked again first), and its worktree
 * folder only when that holds nothing but the `.git` file pointing here.
 * Returns what it removed.
 */
export function removeBrokenAdminFolder(commonDir: string, name: string): string[] {
  const dir = path.join(commonDir, 'worktrees', name);
  if (!fs.existsSync(dir)) return [];
  const now = readAdminFolder(commonDir, dir);
  if (now.problems.length === 0) {
    throw new PlanError(ErrorCode.WorktreeNotFound, { reason: 'adminRecordComplete', path: dir });
  }
  const removed: string[] = [];
  const folderState = worktreeFolderState(now);
  fs.rmSync(dir, { recursive: true, force: true });
  removed.push(dir);
  if (folderState === 'onlyGitFile' && now.worktree) {
    const gitFile = path.join(now.worktree, '.git');
    if (fs.existsSync(gitFile)) {
      fs.rmSync(gitFile, { force: true });
      removed.push(gitFile);
    }
    try {
      fs.rmdirSync(now.worktree);
      removed.push(now.worktree);
    } catch {
      // not empty any more: somebody's files now
    }
  }
  return removed;
}

/** Whether the worktree folder's `.git` is a file naming this admin folder (git's link from a worktree to its record). */
function pointsHere(admin: AdminFolder): boolean {
  if (!admin.worktree) return false;
  const gitFile = path.join(admin.worktree, '.git');
  try {
    if (!fs.lstatSync(gitFile).isFile()) return false;
    const target = /^gitdir: (.*)$/m.exec(fs.readFileSync(gitFile, 'utf8'))?.[1]?.trim();
    return target !== undefined && sameFolder(path.resolve(admin.worktree, target), admin.dir);
  } catch {
    return false;
  }
}

function readSmallFile(file: string): string | undefined {
  try {
    const stat = fs.lstatSync(file);
    if (!stat.isFile() || stat.size > 64 * 1024) return stat.isFile() ? '' : undefined;
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function newestFile(dir: string): number {
  let newest = 0;
  try {
    newest = fs.statSync(dir).mtimeMs;
    for (const name of fs.readdirSync(dir)) {
      try {
        newest = Math.max(newest, fs.lstatSync(path.join(dir, name)).mtimeMs);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // gone meanwhile
  }
  return newest;
}

function sameFolder(a: string, b: string): boolean {
  const real = (p: string): string => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}
