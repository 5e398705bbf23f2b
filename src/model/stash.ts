/**
 * The main checkout's stash list, addressed by commit, never by position.
 * `stash@{0}` names whatever was stashed last: a `git stash` the user runs
 * between our reading the list and our dropping an entry shifts every name
 * by one. So entries are found by their commit, and a drop checks which
 * commit it removed: when it was not ours (somebody stashed in between), that
 * entry is stored back at once and ours is looked up again.
 */
import { ErrorCode, PlanWorktreesError } from '../git/errors';
import { RepoContext } from './types';

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
      throw new PlanWorktreesError(ErrorCode.Unknown, `git stash drop ${entry.name} did not say which stash it dropped ("${out.trim()}"); check "git stash list" for ${oid}.`);
    }
    // Somebody stashed between the list and the drop: theirs was at that position. Put it back, then find ours again.
    const subject = (await ctx.git.run(['show', '-s', '--format=%s', dropped, '--'], { cwd })).trim();
    await ctx.git.run(['stash', 'store', '-m', subject, dropped], { cwd });
    ctx.log.warn(`Dropped the stash ${dropped} at ${entry.name} instead of ${oid} (a stash made meanwhile); it is stored back as stash@{0}.`);
  }
  throw new PlanWorktreesError(ErrorCode.RefLocked, `The stash list kept changing while the stash ${oid} was being dropped; it is kept ("git stash list").`);
}
