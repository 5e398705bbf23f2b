/**
 * `git stash`, addressed by commit: push, apply, list, drop, store. A drop
 * says which commit it removed, so a caller can tell whether it was its own.
 */
import { GitAt, options, records } from './git';

export interface StashEntry {
  /** `stash@{n}` at the moment it was listed; it moves when anyone stashes or drops. */
  name: string;
  oid: string;
  /** The stash commit's subject (`On main: <message>`). */
  subject: string;
}

/** The stash entries, newest first (`stash list`). */
export async function listStashes(at: GitAt): Promise<StashEntry[]> {
  const out = await at.git.run(['stash', 'list', '-z', '--format=%gd%x09%H%x09%s'], options(at));
  const entries: StashEntry[] = [];
  for (const record of records(out)) {
    const [name, oid, subject] = record.split('\t');
    if (subject !== undefined) entries.push({ name, oid, subject });
  }
  return entries;
}

/** Stashes the worktree's changes, untracked files included (`stash push --include-untracked -m`). */
export async function pushStash(at: GitAt, message: string): Promise<void> {
  await at.git.run(['stash', 'push', '--include-untracked', '-m', message], options(at));
}

/** Applies the stash commit `oid`, what was staged staged again (`stash apply --index`). */
export async function applyStash(at: GitAt, oid: string): Promise<void> {
  await at.git.run(['stash', 'apply', '--index', oid], options(at));
}

/** Drops the entry `name` (`stash@{n}`); returns the commit git says it dropped, or undefined (and git's words) when it did not say. */
export async function dropStash(at: GitAt, name: string): Promise<{ dropped?: string; answer: string }> {
  const out = (await at.git.run(['stash', 'drop', name], options(at))).trim();
  // "Dropped stash@{1} (<oid>)"
  return { dropped: /\(([0-9a-f]{40,64})\)\s*$/.exec(out)?.[1], answer: out };
}

/** Stores the stash commit `oid` in the stash list again, as its newest entry (`stash store -m`). */
export async function storeStash(at: GitAt, oid: string, message: string): Promise<void> {
  await at.git.run(['stash', 'store', '-m', message, oid], options(at));
}
