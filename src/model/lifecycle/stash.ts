/**
 * The main checkout's stash list, addressed by commit, never by position.
 * `stash@{0}` names whatever was stashed last: a `git stash` the user runs
 * between our reading the list and our dropping an entry shifts every name
 * by one. So entries are found by their commit, and a drop checks which
 * commit it removed: when it was not ours (somebody stashed in between), that
 * entry is stored back at once and ours is looked up again.
 */
import * as fs from 'fs';
import * as path from 'path';
import { reset } from '../../git/commands/gitIndex';
import { commitSubject, lsTree, readBlob } from '../../git/commands/objects';
import { dropStash, listStashes as stashList, StashEntry, storeStash } from '../../git/commands/stash';
import { status } from '../../git/commands/status';
import { ErrorCode, PlanError } from '../engine/errors';
import { RepoContext } from '../engine/types';

export type { StashEntry };

/** The main checkout's stash entries, newest first (one git process). */
export function listStashes(ctx: RepoContext): Promise<StashEntry[]> {
  return stashList({ git: ctx.git, cwd: ctx.repo.mainPath });
}

/**
 * Drops the stash entry whose commit is `oid`, if it is still listed; any
 * other entry it might hit is stored back. Returns whether it dropped one.
 */
export async function dropStashByOid(ctx: RepoContext, oid: string): Promise<boolean> {
  const main = { git: ctx.git, cwd: ctx.repo.mainPath };
  for (let attempt = 0; attempt < 5; attempt++) {
    const entry = (await listStashes(ctx)).find((s) => s.oid === oid);
    if (!entry) return false;
    // git says which commit it dropped.
    const { dropped, answer } = await dropStash(main, entry.name);
    if (dropped === oid) return true;
    if (!dropped) {
      throw new PlanError(ErrorCode.Unknown, {
        reason: 'stashDropUnclear',
        stash: oid,
        name: entry.name,
        answer,
      });
    }
    // Somebody stashed between the list and the drop: theirs was at that position. Put it back, then find ours again.
    await storeStash(main, dropped, await commitSubject(main, dropped));
    ctx.log.warn(
      `Dropped the stash ${dropped} at ${entry.name} instead of ${oid} (a stash made meanwhile); it is stored back as stash@{0}.`,
    );
  }
  throw new PlanError(ErrorCode.RefLocked, { reason: 'stashListChanging', stash: oid });
}

/**
 * After a `git stash apply` into a clean `folder` failed half-way (a full
 * disk): puts the folder back as it was before, but only when every change
 * in it is a piece of the stash (each changed file is as HEAD has it, or the
 * stash's version or the start of it, written half-way; each untracked file
 * the stash's or the start of it), so nothing is lost that the stash does not
 * keep. Returns whether it did.
 */
export async function undoPartialApply(ctx: RepoContext, stashOid: string, folder: string): Promise<boolean> {
  const at = { git: ctx.git, cwd: folder };
  const entries = (await status(at, { renames: false })).entries.filter((e) => e.kind !== 'ignored');
  if (entries.length === 0) return true;
  if (entries.some((e) => e.kind !== 'changed' && e.kind !== 'untracked')) return false;
  const paths = entries.map((e) => e.path);
  const [head, stashed, untracked] = await Promise.all([
    blobsAt(ctx, folder, 'HEAD', paths),
    blobsAt(ctx, folder, stashOid, paths),
    blobsAt(ctx, folder, `${stashOid}^3`, paths),
  ]);
  const content = (oid: string | undefined): Promise<Buffer | undefined> =>
    oid ? readBlob(at, oid) : Promise.resolve(undefined);
  for (const entry of entries) {
    const file = path.join(folder, entry.path);
    if (!fs.existsSync(file) && entry.kind === 'changed') continue; // HEAD's version comes back below
    if (!isFile(file)) return false; // a folder or a link: not ours to judge
    const now = fs.readFileSync(file);
    const [atHead, inStash] = await Promise.all([
      entry.kind === 'changed' ? content(head.get(entry.path)) : undefined,
      content((entry.kind === 'changed' ? stashed : untracked).get(entry.path)),
    ]);
    const explained =
      (atHead !== undefined && now.equals(atHead)) ||
      (inStash !== undefined && now.length <= inStash.length && inStash.subarray(0, now.length).equals(now));
    if (!explained) return false;
  }
  // Every change is a copy of what the stash keeps: back to HEAD, and the stash's untracked files out again.
  await reset(at, { hard: true });
  for (const entry of entries.filter((e) => e.kind === 'untracked')) {
    fs.rmSync(path.join(folder, entry.path), { force: true });
  }
  return true;
}

/** The blob of each of `paths` in `treeish` (absent ones left out; a missing tree gives none). */
async function blobsAt(ctx: RepoContext, cwd: string, treeish: string, paths: string[]): Promise<Map<string, string>> {
  const entries = await lsTree({ git: ctx.git, cwd }, treeish, paths, { missingOk: true });
  return new Map((entries ?? []).map((e) => [e.path, e.oid]));
}

function isFile(file: string): boolean {
  try {
    return fs.lstatSync(file).isFile();
  } catch {
    return false;
  }
}
