/**
 * Objects: trees and commits written without touching a branch
 * (`write-tree`, `commit-tree` with the message on stdin), the index read
 * from a tree (`read-tree`), and what is stored (`ls-tree`, `cat-file`,
 * `show <blob>`, `hash-object`), parsed here.
 */
import { createHash } from 'crypto';
import { GitAt, literal, options, records } from './git';
import { hasReason, ReasonRule, withReasons } from './reasons';

/** Writes the index (the one `at.env` names, or the worktree's) as a tree; throws while it has conflicts. */
export async function writeTree(at: GitAt): Promise<string> {
  return (await at.git.run(['write-tree'], options(at))).trim();
}

export type CommitTreeReason = 'noIdentity';

const commitTreeReasons: ReadonlyArray<ReasonRule<CommitTreeReason>> = [
  { pattern: /identity|tell me who you are|empty ident|auto-detect email/i, reason: 'noIdentity' },
];

/** A git identity, as environment variables (`GIT_AUTHOR_NAME`, `GIT_COMMITTER_EMAIL`...). */
export type Identity = Record<string, string>;

/**
 * Writes a commit of `tree` with `parents` (`commit-tree`); the message goes
 * on stdin, ended by a newline as `-m` would: it is only text, whatever it
 * looks like. `author` (environment variables) sets who and when;
 * `fallbackIdentity` is used only when git has no identity of the user.
 */
export async function commitTree(
  at: GitAt,
  tree: string,
  parents: string[],
  message: string,
  who: { author?: Identity; fallbackIdentity?: Identity } = {},
): Promise<string> {
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p])];
  const run = (identity?: Identity): Promise<string> =>
    withReasons(commitTreeReasons, () =>
      at.git.run(args, options(at, { stdin: `${message}\n`, env: { ...who.author, ...identity } })),
    );
  try {
    return (await run()).trim();
  } catch (e) {
    if (!who.fallbackIdentity || !hasReason(e, 'noIdentity')) throw e;
    return (await run(who.fallbackIdentity)).trim();
  }
}

/**
 * `read-tree`: the index (the one `at.env` names, or the worktree's) becomes
 * `tree` (with `more`: the trees overlaid, which must not overlap). With `update` (`-m -u from to`) the worktree's files move from
 * `from` to `to` too, refusing to overwrite what is not `from`'s (reason
 * `notUpToDate` when an index entry is stale: refresh it, then again).
 */
export async function readTree(at: GitAt, tree: string, ...more: string[]): Promise<void> {
  await at.git.run(['read-tree', tree, ...more], options(at));
}

export type ReadTreeReason = 'notUpToDate';

const readTreeReasons: ReadonlyArray<ReasonRule<ReadTreeReason>> = [
  { pattern: /not uptodate/i, reason: 'notUpToDate' },
];

/** `read-tree -m -u <from> <to>`: the worktree's index and files from `from` to `to` (see readTree). */
export async function readTreeUpdate(at: GitAt, from: string, to: string): Promise<void> {
  await withReasons(readTreeReasons, () => at.git.run(['read-tree', '-m', '-u', from, to], options(at)));
}

/** One entry of a tree, as `ls-tree` gives it. */
export interface TreeEntry {
  mode: string;
  /** `blob`, `tree` or `commit` (a submodule). */
  type: string;
  oid: string;
  /** From the top of the tree, with `/`. */
  path: string;
}

/**
 * The entries of `treeish` (`ls-tree -r -z --full-tree`), all of them or
 * those at `paths` (taken literally); undefined when `treeish` names no tree
 * (with `missingOk`; an error otherwise).
 */
export async function lsTree(
  at: GitAt,
  treeish: string,
  paths?: string[],
  flags: { missingOk?: boolean } = {},
): Promise<TreeEntry[] | undefined> {
  const args = ['ls-tree', '-r', '-z', '--full-tree', treeish, ...(paths ? ['--', ...paths.map(literal)] : [])];
  const out = await at.git.exec(args, options(at, flags.missingOk ? { okExitCodes: [128] } : {}));
  if (out.exitCode !== 0) return undefined;
  return parseLsTree(out.stdout);
}

/** Parses `ls-tree -z` output: `<mode> SP <type> SP <oid> TAB <path>` records. */
export function parseLsTree(text: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of records(text)) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const [mode, type, oid] = record.slice(0, tab).split(' ');
    entries.push({ mode, type, oid, path: record.slice(tab + 1) });
  }
  return entries;
}

/** The content of a blob (`show <oid>` or `show <commit>:<path>`), as bytes. */
export async function readBlob(at: GitAt, blob: string): Promise<Buffer> {
  return at.git.execBuffer(['show', blob], options(at));
}

/** The raw text of a commit object (`cat-file commit`): headers, an empty line, the message. */
export async function readCommitObject(at: GitAt, commit: string): Promise<string> {
  return at.git.run(['cat-file', 'commit', commit], options(at));
}

/** What a commit object says of itself: its parents, first first, and the first line of its message. */
export interface CommitHeader {
  parents: string[];
  subject: string;
}

/** Reads a commit object (`cat-file commit`): its parents and the first line of its message. */
export async function readCommit(at: GitAt, commit: string): Promise<CommitHeader> {
  const text = await at.git.run(['cat-file', 'commit', commit], options(at));
  const end = text.indexOf('\n\n');
  const headers = end < 0 ? text : text.slice(0, end);
  return {
    parents: [...headers.matchAll(/^parent ([0-9a-f]+)$/gm)].map((m) => m[1]),
    subject: end < 0 ? '' : text.slice(end + 2).split('\n')[0],
  };
}

/** The first line of a commit's message (`show -s --format=%s`). */
export async function commitSubject(at: GitAt, commit: string): Promise<string> {
  return (await at.git.run(['show', '-s', '--format=%s', commit, '--'], options(at))).trim();
}

/** The id git gives `content` as a blob (`hash-object --stdin`, nothing written). */
export async function hashObject(at: GitAt, content: Buffer): Promise<string> {
  return (await at.git.run(['hash-object', '--stdin'], options(at, { stdin: content }))).trim();
}

/**
 * The id of `content` as a blob in a repository whose ids look like `like`
 * (40 hex digits: SHA-1, 64: SHA-256), computed without git, as git does.
 */
export function blobIdLike(like: string, content: Buffer): string {
  const algorithm = like.length === 64 ? 'sha256' : 'sha1';
  return createHash(algorithm).update(`blob ${content.length}\0`).update(content).digest('hex');
}
