/**
 * The last known state of every worktree, kept across sessions in
 * `<common git dir>/plan-worktrees/cache/worktree-state.json`, so the tree can
 * paint every item's state the moment it opens (marked as last known) and
 * verify it with git in the background.
 *
 * The file is a cache, used for display only: nothing that deletes or moves
 * anything reads it. Anyone who can write to the repository's folder can
 * write it, so it is data to validate, never trusted: it is opened like every
 * state file (no symbolic link, a regular file, at most `MAX_STATE_CACHE_BYTES`),
 * every entry is type-checked (a bad one is dropped), and an entry counts
 * only while its key — the worktree's HEAD, branch, folder and index stamp —
 * is what the worktree has now. A file that cannot be read as a cache is
 * ignored, and the next write replaces it.
 *
 * It lives in a folder of its own (`cache/`), outside the pattern the
 * repository watcher follows (`plan-worktrees/*.json`), so writing it never
 * makes any window refresh.
 */
import * as path from 'path';
import type { WorktreeDetails } from '../state/state';
import type { GitOperation } from '../../git/operation';
import { readStateFile, stateDir, writeStateFile } from './stateFiles';

/** A cache larger than this is not read: thousands of worktrees take well under a megabyte. */
export const MAX_STATE_CACHE_BYTES = 2 * 1024 * 1024;
/** More entries than this are not kept (and a file with more is not read). */
export const MAX_STATE_CACHE_ENTRIES = 5000;
const VERSION = 1;

/** One worktree's last read: what it was keyed by, when it was read, and what it said. */
export interface KnownState {
  key: string;
  /** When the state was read (ISO 8601). */
  readAt: string;
  details: WorktreeDetails;
}

export function stateCacheFile(commonDir: string): string {
  return path.join(stateDir(commonDir), 'cache', 'worktree-state.json');
}

/**
 * The entries of the cache file, by worktree folder; empty when there is no
 * file or it cannot be read as a cache (too large, not JSON, another
 * version, a link...). Never throws.
 */
export async function readStateCache(commonDir: string): Promise<Map<string, KnownState>> {
  const known = new Map<string, KnownState>();
  let parsed: unknown;
  try {
    const text = await readStateFile(stateCacheFile(commonDir), MAX_STATE_CACHE_BYTES);
    if (text === undefined) return known;
    parsed = JSON.parse(text);
  } catch {
    return known;
  }
  if (!isObject(parsed) || parsed.version !== VERSION || !isObject(parsed.worktrees)) return known;
  const entries = Object.entries(parsed.worktrees);
  if (entries.length > MAX_STATE_CACHE_ENTRIES) return known;
  for (const [folder, value] of entries) {
    const entry = validEntry(folder, value);
    if (entry) known.set(folder, entry);
  }
  return known;
}

/** Replaces the cache file with these entries (atomically: a temporary file, then a rename). */
export async function writeStateCache(commonDir: string, entries: Map<string, KnownState>): Promise<void> {
  const worktrees: Record<string, KnownState> = {};
  for (const [folder, entry] of [...entries].slice(0, MAX_STATE_CACHE_ENTRIES)) worktrees[folder] = entry;
  await writeStateFile(stateCacheFile(commonDir), JSON.stringify({ version: VERSION, worktrees }));
}

function validEntry(folder: string, value: unknown): KnownState | undefined {
  if (!path.isAbsolute(folder) || folder.length > 4096 || !isObject(value)) return undefined;
  const { key, readAt, details } = value;
  if (!isString(key, 8192) || !isString(readAt, 64) || Number.isNaN(Date.parse(readAt))) return undefined;
  const checked = validDetails(details);
  return checked ? { key, readAt, details: checked } : undefined;
}

const OPERATIONS: readonly GitOperation[] = ['rebase', 'merge', 'cherryPick', 'revert'];
const MERGE_KINDS = ['ancestor', 'sameTree', 'patchId'] as const;

/** The details as the cache holds them, every field type-checked and copied; undefined when one is wrong. */
export function validDetails(value: unknown): WorktreeDetails | undefined {
  if (!isObject(value) || typeof value.missing !== 'boolean' || !isObject(value.dirty)) return undefined;
  const { staged, modified, untracked, conflicted } = value.dirty;
  if (![staged, modified, untracked, conflicted].every(isCount)) return undefined;
  const details: WorktreeDetails = {
    dirty: { staged, modified, untracked, conflicted } as WorktreeDetails['dirty'],
    missing: value.missing,
  };
  for (const field of ['ahead', 'behind'] as const) {
    if (value[field] === undefined) continue;
    if (!isCount(value[field])) return undefined;
    details[field] = value[field] as number;
  }
  for (const field of ['tip', 'head'] as const) {
    if (value[field] === undefined) continue;
    if (!isOid(value[field])) return undefined;
    details[field] = value[field] as string;
  }
  if (value.operation !== undefined) {
    if (!OPERATIONS.includes(value.operation as GitOperation)) return undefined;
    details.operation = value.operation as GitOperation;
  }
  if (value.merged !== undefined) {
    const merged = validMerged(value.merged);
    if (!merged) return undefined;
    details.merged = merged;
  }
  if (value.lastCommit !== undefined) {
    const c = value.lastCommit;
    if (!isObject(c) || !isOid(c.sha) || !isString(c.subject, 2000) || !isString(c.date, 64)) return undefined;
    details.lastCommit = { sha: c.sha, subject: c.subject, date: c.date };
  }
  return details;
}

function validMerged(value: unknown): WorktreeDetails['merged'] {
  if (!isObject(value) || typeof value.merged !== 'boolean') return undefined;
  const merged: NonNullable<WorktreeDetails['merged']> = { merged: value.merged };
  if (value.how !== undefined) {
    if (value.how !== 'upstream' && !MERGE_KINDS.includes(value.how as (typeof MERGE_KINDS)[number])) return undefined;
    merged.how = value.how as NonNullable<WorktreeDetails['merged']>['how'];
  }
  if (value.upstream !== undefined) {
    const u = value.upstream;
    if (!isObject(u) || !isString(u.ref, 1024) || !MERGE_KINDS.includes(u.how as (typeof MERGE_KINDS)[number])) {
      return undefined;
    }
    merged.upstream = { ref: u.ref, how: u.how as (typeof MERGE_KINDS)[number] };
  }
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isOid(value: unknown): value is string {
  return typeof value === 'string' && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(value);
}
