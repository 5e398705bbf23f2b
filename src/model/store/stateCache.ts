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
import type { WorktreeEntry } from '../../git/worktreeList';
import type { GitOperation } from '../../git/operation';
import { readStateFile, readStateFileSync, stateDir, writeStateFile } from './stateFiles';

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
 * The repository as the last session listed it: its main worktree's folder
 * and git's worktree list then. For painting the tree before git has
 * answered in a new session; never for deciding anything.
 */
export interface RememberedLayout {
  mainPath: string;
  worktrees: WorktreeEntry[];
}

/**
 * The entries of the cache file, by worktree folder; empty when there is no
 * file or it cannot be read as a cache (too large, not JSON, another
 * version, a link...). Never throws.
 */
export async function readStateCache(commonDir: string): Promise<Map<string, KnownState>> {
  return (await readStateCacheFile(commonDir)).states;
}

/**
 * The entries of the cache file (as `readStateCache`) and the layout it
 * remembers, when valid. Never throws. `sync`: read without yielding (the
 * first paint at start-up, while the event loop is busy).
 */
export async function readStateCacheFile(
  commonDir: string,
  options: { sync?: boolean } = {},
): Promise<{ states: Map<string, KnownState>; layout?: RememberedLayout }> {
  const known = new Map<string, KnownState>();
  let parsed: unknown;
  try {
    const file = stateCacheFile(commonDir);
    const text = options.sync
      ? readStateFileSync(file, MAX_STATE_CACHE_BYTES)
      : await readStateFile(file, MAX_STATE_CACHE_BYTES);
    if (text === undefined) return { states: known };
    parsed = JSON.parse(text);
  } catch {
    return { states: known };
  }
  if (!isObject(parsed) || parsed.version !== VERSION || !isObject(parsed.worktrees)) return { states: known };
  const entries = Object.entries(parsed.worktrees);
  if (entries.length > MAX_STATE_CACHE_ENTRIES) return { states: known };
  for (const [folder, value] of entries) {
    const entry = validEntry(folder, value);
    if (entry) known.set(folder, entry);
  }
  return { states: known, layout: validLayout(parsed.layout) };
}

/**
 * Replaces the cache file with these entries and, when given, the layout
 * (atomically: a temporary file, then a rename).
 */
export async function writeStateCache(
  commonDir: string,
  entries: Map<string, KnownState>,
  layout?: RememberedLayout,
): Promise<void> {
  const worktrees: Record<string, KnownState> = {};
  for (const [folder, entry] of [...entries].slice(0, MAX_STATE_CACHE_ENTRIES)) worktrees[folder] = entry;
  const kept =
    layout && layout.worktrees.length <= MAX_STATE_CACHE_ENTRIES
      ? { mainPath: layout.mainPath, worktrees: layout.worktrees.map(entryFields) }
      : undefined;
  await writeStateFile(stateCacheFile(commonDir), JSON.stringify({ version: VERSION, worktrees, layout: kept }));
}

/** Only the fields of a worktree entry, nothing else an object may carry. */
function entryFields(e: WorktreeEntry): WorktreeEntry {
  return {
    path: e.path,
    head: e.head,
    branch: e.branch,
    bare: e.bare,
    detached: e.detached,
    locked: e.locked,
    prunable: e.prunable,
    isMain: e.isMain,
  };
}

/** The remembered layout, every field type-checked; undefined when anything in it is wrong. */
function validLayout(value: unknown): RememberedLayout | undefined {
  if (!isObject(value) || !isPath(value.mainPath) || !Array.isArray(value.worktrees)) return undefined;
  if (value.worktrees.length === 0 || value.worktrees.length > MAX_STATE_CACHE_ENTRIES) return undefined;
  const worktrees: WorktreeEntry[] = [];
  for (const [i, w] of value.worktrees.entries()) {
    if (!isObject(w) || !isPath(w.path)) return undefined;
    if (typeof w.bare !== 'boolean' || typeof w.detached !== 'boolean' || w.isMain !== (i === 0)) return undefined;
    if (w.head !== undefined && !isOid(w.head)) return undefined;
    if (w.branch !== undefined && !(isString(w.branch, 1024) && w.branch.startsWith('refs/'))) return undefined;
    for (const field of ['locked', 'prunable'] as const) {
      if (w[field] !== undefined && !isString(w[field], 4096)) return undefined;
    }
    worktrees.push(entryFields(w as unknown as WorktreeEntry));
  }
  return { mainPath: value.mainPath, worktrees };
}

function isPath(value: unknown): value is string {
  return isString(value, 4096) && path.isAbsolute(value);
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
