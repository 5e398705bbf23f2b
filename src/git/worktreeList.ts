/**
 * Parses `git worktree list --porcelain -z`: one record per worktree, each a
 * run of NUL-terminated `key value` lines, records separated by an empty line.
 * With `-z` a lock or prune reason may itself contain newlines.
 */

/** One worktree as git reports it. */
export interface WorktreeEntry {
  /** Absolute folder of the worktree (for a bare repository's first entry: the repository folder). */
  path: string;
  /** The commit checked out; undefined for a bare entry or a branch with no commit yet. */
  head?: string;
  /** Full ref of the checked-out branch, e.g. `refs/heads/plan/1-x`; undefined when detached or bare. */
  branch?: string;
  bare: boolean;
  detached: boolean;
  /** The lock reason: '' when locked without a reason, undefined when not locked. */
  locked?: string;
  /** Why git could prune it (e.g. its folder is gone): '' without a reason, undefined when not prunable. */
  prunable?: string;
  /** The first entry: the main worktree (or the bare repository). */
  isMain: boolean;
}

/** The object id git prints for a branch that has no commit yet. */
const NULL_OID = /^0+$/;

/** Parses the output of `git worktree list --porcelain -z`. */
export function parseWorktreeList(text: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | undefined;
  for (const line of text.split('\0')) {
    if (line === '') {
      current = undefined;
      continue;
    }
    const { key, value } = splitLine(line);
    if (key === 'worktree') {
      current = { path: value ?? '', bare: false, detached: false, isMain: entries.length === 0 };
      entries.push(current);
    } else if (current) {
      applyAttribute(current, key, value);
    }
  }
  return entries;
}

function splitLine(line: string): { key: string; value?: string } {
  const space = line.indexOf(' ');
  return space < 0 ? { key: line } : { key: line.slice(0, space), value: line.slice(space + 1) };
}

function applyAttribute(entry: WorktreeEntry, key: string, value: string | undefined): void {
  switch (key) {
    case 'HEAD':
      if (value && !NULL_OID.test(value)) entry.head = value;
      break;
    case 'branch':
      entry.branch = value;
      break;
    case 'bare':
      entry.bare = true;
      break;
    case 'detached':
      entry.detached = true;
      break;
    case 'locked':
      entry.locked = value ?? '';
      break;
    case 'prunable':
      entry.prunable = value ?? '';
      break;
    // Attributes a newer git may add are ignored.
  }
}

/** `refs/heads/plan/1-x` → `plan/1-x`; other refs are returned unchanged. */
export function shortBranchName(ref: string): string {
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}
