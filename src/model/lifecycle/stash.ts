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
import { ErrorCode, PlanError } from '../engine/errors';
import { parseStatus } from '../../git/status';
import { RepoContext } from '../engine/types';

export interface StashEntry {
  /** `stash@{n}` at the moment it was listed; it moves when anyone stashes or drops. */
  name: string;
  oid: string;
  /** The stash commit's subject (`On main: <message>`). */
  subject: string;
}

/** The main checkout's stash entries, newest first (one git process). */
export async function listStashes(ctx: RepoContext): Promise<StashEntry[]> {
  const out = await ctx.git.run(['stash', 'list', '-z', '--format=%gd%x09%H%x09%s'], { cwd: ctx.repo.mainPath });
  const entries: StashEntry[] = [];
  for (const record of out.split('\0')) {
    const [name, oid, subject] = record.split('\t');
    if (subject !== undefined) entries.push({ name, oid, subject });
  }
  return entries;
}

/**
 * Drops the stash entry whose commit is `oid`, if it is still listed; any
 * other entry it might hit is stored back. Returns whether it dropped one.
 */
export async function dropStashByOid(ctx: RepoContext, oid: string): Promise<boolean> {
  const cwd = ctx.repo.mainPath;
  for (let attempt = 0; attempt < 5; attempt++) {
    const entry = (await listStashes(ctx)).find((s) => s.oid === oid);
    if (!entry) return false;
    const out = await ctx.git.run(['stash', 'drop', entry.name], { cwd });
    // git says which commit it dropped: "Dropped stash@{1} (<oid>)".
    const dropped = /\(([0-9a-f]{40,64})\)\s*$/.exec(out.trim())?.[1];
    if (dropped === oid) return true;
    if (!dropped) {
      throw new PlanError(ErrorCode.Unknown, {
        reason: 'stashDropUnclear',
        stash: oid,
        name: entry.name,
        answer: out.trim(),
      });
    }
    // Somebody stashed between the list and the drop: theirs was at that position. Put it back, then find ours again.
    const subject = (await ctx.git.run(['show', '-s', '--format=%s', dropped, '--'], { cwd })).trim();
    await ctx.git.run(['stash', 'store', '-m', subject, dropped], { cwd });
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
  const status = parseStatus(
    await ctx.git.run(['status', '--porcelain=v2', '-z', '--untracked-files=all', '--no-renames'], { cwd: folder }),
  );
  const entries = status.entries.filter((e) => e.kind !== 'ignored');
  if (entries.length === 0) return true;
  if (entries.some((e) => e.kind !== 'changed' && e.kind !== 'untracked')) return false;
  const paths = entries.map((e) => e.path);
  const [head, stashed, untracked] = await Promise.all([
    blobsAt(ctx, folder, 'HEAD', paths),
    blobsAt(ctx, folder, stashOid, paths),
    blobsAt(ctx, folder, `${stashOid}^3`, paths),
  ]);
  const content = (oid: string | undefined): Promise<Buffer | undefined> =>
    oid ? ctx.git.execBuffer(['show', oid], { cwd: folder }) : Promise.resolve(undefined);
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
  await ctx.git.run(['reset', '--quiet', '--hard', 'HEAD'], { cwd: folder });
  for (const entry of entries.filter((e) => e.kind === 'untracked')) {
    fs.rmSync(path.join(folder, entry.path), { force: true });
  }
  return true;
}

/** The blob of each of `paths` in `treeish` (absent ones left out; a missing tree gives none). */
async function blobsAt(ctx: RepoContext, cwd: string, treeish: string, paths: string[]): Promise<Map<string, string>> {
  const out = await ctx.git.exec(
    ['ls-tree', '-r', '-z', '--full-tree', treeish, '--', ...paths.map((p) => `:(literal)${p}`)],
    { cwd, okExitCodes: [128] },
  );
  const blobs = new Map<string, string>();
  if (out.exitCode !== 0) return blobs;
  for (const line of out.stdout.split('\0')) {
    const tab = line.indexOf('\t');
    if (tab > 0) blobs.set(line.slice(tab + 1), line.slice(0, tab).split(' ')[2]);
  }
  return blobs;
}

function isFile(file: string): boolean {
  try {
    return fs.lstatSync(file).isFile();
  } catch {
    return false;
  }
}
