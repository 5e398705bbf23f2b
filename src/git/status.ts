/**
 * Parses `git status --porcelain=v2 -z --branch` (with or without
 * `--untracked-files=all` and `--ignored`). Records are NUL-terminated; a
 * rename or copy record (`2 ...`) is followed by one more NUL-terminated field,
 * the original path.
 */

export interface StatusEntry {
  /** Path relative to the worktree root (a folder ends with `/` when untracked files are not listed one by one). */
  path: string;
  /** For a rename or copy: the path it came from. */
  origPath?: string;
  /** Index (staged) status letter, `.` when unchanged; `?`/`!` for untracked/ignored. */
  x: string;
  /** Worktree (unstaged) status letter, `.` when unchanged. */
  y: string;
  kind: 'changed' | 'renamed' | 'unmerged' | 'untracked' | 'ignored';
}

export interface BranchStatus {
  /** The commit checked out; undefined before the first commit. */
  oid?: string;
  /** The short branch name, or `(detached)`. */
  head?: string;
  upstream?: string;
  ahead?: number;
  behind?: number;
}

export interface StatusSummary {
  branch: BranchStatus;
  /** Entries with a staged change (a file staged and modified again counts in both). */
  staged: number;
  /** Entries with an unstaged change to a tracked file. */
  modified: number;
  untracked: number;
  conflicted: number;
  entries: StatusEntry[];
}

/** Parses the output of `git status --porcelain=v2 -z --branch`. */
export function parseStatus(text: string): StatusSummary {
  const summary: StatusSummary = { branch: {}, staged: 0, modified: 0, untracked: 0, conflicted: 0, entries: [] };
  const records = text.split('\0');
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (record === '') continue;
    if (record.startsWith('# ')) {
      applyHeader(summary.branch, record.slice(2));
      continue;
    }
    const entry = parseEntry(record);
    if (!entry) continue;
    if (entry.kind === 'renamed') entry.origPath = records[++i];
    summary.entries.push(entry);
    count(summary, entry);
  }
  return summary;
}

function applyHeader(branch: BranchStatus, header: string): void {
  const space = header.indexOf(' ');
  const key = header.slice(0, space);
  const value = header.slice(space + 1);
  switch (key) {
    case 'branch.oid':
      if (value !== '(initial)') branch.oid = value;
      break;
    case 'branch.head':
      branch.head = value;
      break;
    case 'branch.upstream':
      branch.upstream = value;
      break;
    case 'branch.ab': {
      const match = /^\+(\d+) -(\d+)$/.exec(value);
      if (match) {
        branch.ahead = Number(match[1]);
        branch.behind = Number(match[2]);
      }
      break;
    }
  }
}

/** Fields before the path: `1 XY sub mH mI mW hH hI path`, `2 XY sub mH mI mW hH hI Xscore path`, `u XY sub m1 m2 m3 mW h1 h2 h3 path`. */
const fieldsBeforePath: Record<string, number> = { '1': 8, '2': 9, u: 10 };

function parseEntry(record: string): StatusEntry | undefined {
  const type = record[0];
  if (type === '?' || type === '!') {
    return { path: record.slice(2), x: type, y: type, kind: type === '?' ? 'untracked' : 'ignored' };
  }
  const skip = fieldsBeforePath[type];
  if (skip === undefined) return undefined;
  const path = afterFields(record, skip);
  const x = record[2];
  const y = record[3];
  const kind = type === 'u' ? 'unmerged' : type === '2' ? 'renamed' : 'changed';
  return { path, x, y, kind };
}

/** The rest of `record` after `n` space-separated fields (the path may contain spaces). */
function afterFields(record: string, n: number): string {
  let index = 0;
  for (let i = 0; i < n; i++) index = record.indexOf(' ', index) + 1;
  return record.slice(index);
}

function count(summary: StatusSummary, entry: StatusEntry): void {
  switch (entry.kind) {
    case 'untracked':
      summary.untracked++;
      return;
    case 'ignored':
      return;
    case 'unmerged':
      summary.conflicted++;
      return;
    default:
      if (entry.x !== '.') summary.staged++;
      if (entry.y !== '.') summary.modified++;
  }
}

/** Every changed, unmerged or untracked path of a status (not ignored ones): the files a refusal lists. */
export function statusPaths(summary: StatusSummary): string[] {
  return summary.entries.filter((e) => e.kind !== 'ignored').map((e) => e.path);
}
