/**
 * What of a worktree a person would miss, and so what a snapshot holds and a
 * removal must not lose: tracked changes (staged or not, also of files marked
 * assume-unchanged or skip-worktree), untracked files, and ignored files,
 * except those in declared disposable folders (dependencies, build output:
 * `disposableFolders`) and exact copies of the main checkout's file at the
 * same path (an unchanged `.env` copied in at create). A file `copyFiles`
 * names that changed in the plan is held even inside a disposable folder.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ErrorCode, PlanError } from '../engine/errors';
import { clearIndexFlag, headAndIndexFile, TaggedPath, taggedIndexEntries } from '../../git/commands/gitIndex';
import { GitAt } from '../../git/commands/git';
import { indexHasFlaggedEntries } from '../../git/indexFile';
import { readTree } from '../../git/commands/objects';
import { status } from '../../git/commands/status';
import { ignoredPaths as untrackedIgnored } from '../../git/commands/untracked';
import { allInOrder } from '../engine/async';
import { globToRegExp } from '../lifecycle/copyFiles';
import { samePath } from '../engine/names';
import { RepoContext } from '../engine/types';

export interface HeldFile {
  /** Relative to the worktree's root, with `/`. */
  path: string;
  size: number;
}

export interface WorktreeContent {
  /** Changed, staged, unmerged and untracked paths, and edits hidden by assume-unchanged or skip-worktree. */
  dirty: string[];
  /** Untracked or ignored folders that are git repositories of their own: a snapshot cannot hold their files. */
  nestedRepositories: string[];
  /** Ignored files a snapshot holds. */
  ignored: HeldFile[];
  /** Ignored paths a removal may delete without a snapshot: disposable folders (ending in `/`) and copies of the main checkout's files. */
  disposable: string[];
  /** Paths marked assume-unchanged (and skip-worktree ones on disk): a snapshot clears their flags to see their content. */
  flagged: string[];
}

/**
 * Reads what a worktree holds that a person would miss: one git process when
 * the index file says no entry is flagged, two when it cannot tell, three
 * when files are flagged.
 */
export async function readWorktreeContent(
  ctx: RepoContext,
  folder: string,
  signal?: AbortSignal,
): Promise<WorktreeContent> {
  const at = { git: ctx.git, cwd: folder, signal };
  const [{ entries }, flags] = await allInOrder([
    status(at, { untracked: 'all', ignored: 'matching', ignoreSubmodules: 'none' }),
    flaggedEntries(at, folder),
  ]);
  const flagged = flaggedPaths(folder, flags);
  const hidden = flagged.length > 0 ? await hiddenEdits(ctx, folder, flagged, signal) : [];
  const changed = entries.filter((e) => e.kind !== 'ignored');
  const ignored = classifyIgnored(
    ctx,
    folder,
    entries.filter((e) => e.kind === 'ignored').map((e) => e.path),
  );
  const untrackedRepositories = changed
    .filter((e) => e.kind === 'untracked' && e.path.endsWith('/'))
    .map((e) => e.path);
  return {
    dirty: [...changed.map((e) => e.path), ...hidden.filter((p) => !changed.some((e) => e.path === p))],
    nestedRepositories: [...untrackedRepositories, ...ignored.nestedRepositories],
    ignored: ignored.held,
    disposable: ignored.disposable,
    flagged,
  };
}

/** What a worktree holds that `git status` does not look at: `WorktreeContent` without `dirty` (not read). */
export type UnlistedContent = Omit<WorktreeContent, 'dirty'> & { dirty?: undefined };

/**
 * What of a worktree a person would miss that git's own check before `git
 * worktree remove` does not see (it lists changes and untracked files only):
 * ignored files, nested repositories among them, and flagged paths. One git
 * process (`ls-files` of ignored files) when the index file says no entry is
 * flagged, else two; neither compares a tracked file. Untracked git
 * repositories of their own are left to git's check, which lists them.
 */
export async function readUnlistedContent(
  ctx: RepoContext,
  folder: string,
  signal?: AbortSignal,
): Promise<UnlistedContent> {
  const at = { git: ctx.git, cwd: folder, signal };
  const [ignoredPaths, flags] = await allInOrder([untrackedIgnored(at), flaggedEntries(at, folder)]);
  const ignored = classifyIgnored(ctx, folder, ignoredPaths);
  return {
    nestedRepositories: ignored.nestedRepositories,
    ignored: ignored.held,
    disposable: ignored.disposable,
    flagged: flaggedPaths(folder, flags),
  };
}

/**
 * The index entries a flag may hide edits of, with their tags: none, without a
 * git process, when the index file says no entry is flagged (read as data,
 * see indexHasFlaggedEntries); else every entry as `ls-files -v` tags it.
 */
async function flaggedEntries(at: GitAt, folder: string): Promise<TaggedPath[]> {
  if ((await indexHasFlaggedEntries(folder)) === false) return [];
  return taggedIndexEntries(at);
}

/** Assume-unchanged paths, and skip-worktree paths whose file is on disk (one that is not is left out by a sparse checkout, not deleted). */
function flaggedPaths(folder: string, entries: TaggedPath[]): string[] {
  const flags = flagsOf(folder, entries);
  return [...new Set([...flags.assumed, ...flags.skipped])];
}

function flagsOf(folder: string, entries: TaggedPath[]): { assumed: string[]; skipped: string[] } {
  const flags = { assumed: [] as string[], skipped: [] as string[] };
  for (const { tag, path: file } of entries) {
    if (!tag || !file) continue;
    if (tag !== tag.toUpperCase()) flags.assumed.push(file);
    if (tag.toUpperCase() === 'S' && fs.existsSync(path.join(folder, file))) flags.skipped.push(file);
  }
  return flags;
}

/** Clears the flags of `flagged` in the index `env` names: one `update-index` per flag (it applies only one of them per call) and per 500 paths. */
async function clearFlags(
  ctx: RepoContext,
  folder: string,
  env: Record<string, string>,
  flagged: string[],
): Promise<void> {
  if (flagged.length === 0) return;
  const at = { git: ctx.git, cwd: folder, env };
  const flags = flagsOf(folder, await taggedIndexEntries(at, flagged));
  await clearIndexFlag(at, 'assumeUnchanged', flags.assumed);
  await clearIndexFlag(at, 'skipWorktree', flags.skipped);
}

/** Which flagged paths differ from the index: `git status` on a copy of the index without the flags. */
async function hiddenEdits(
  ctx: RepoContext,
  folder: string,
  flagged: string[],
  signal?: AbortSignal,
): Promise<string[]> {
  return withIndexCopy(ctx, folder, flagged, async (env) => {
    const { entries } = await status(
      { git: ctx.git, cwd: folder, env, signal },
      { untracked: 'no', ignoreSubmodules: 'all' },
    );
    const wanted = new Set(flagged);
    return entries.filter((e) => wanted.has(e.path) && e.y !== '.').map((e) => e.path);
  });
}

/**
 * Runs `body` with `GIT_INDEX_FILE` set to a copy of the worktree's index:
 * same modification time as the original (so git's check for files changed in
 * the same second as the index still applies), and without the assume-unchanged
 * and skip-worktree flags of `flagged`. The copy is removed afterwards.
 */
export async function withIndexCopy<T>(
  ctx: RepoContext,
  folder: string,
  flagged: string[] | undefined,
  body: (env: Record<string, string>, parent: string, parentTree: string) => Promise<T>,
): Promise<T> {
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-index-'));
  try {
    const env = { GIT_INDEX_FILE: path.join(tempDir, 'index') };
    const copy = { git: ctx.git, cwd: folder, env };
    const {
      head: parent,
      headTree: parentTree,
      indexFile: realIndex,
    } = await headAndIndexFile({
      git: ctx.git,
      cwd: folder,
    });
    if (fs.existsSync(realIndex)) copyKeepingTime(realIndex, env.GIT_INDEX_FILE);
    else await readTree(copy, parent);
    await clearFlags(ctx, folder, env, flagged ?? flaggedPaths(folder, await taggedIndexEntries(copy)));
    return await body(env, parent, parentTree);
  } finally {
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

/** Copies a file and gives the copy the original's times: a fresh index timestamp would turn off git's racy-file check. */
function copyKeepingTime(from: string, to: string): void {
  fs.copyFileSync(from, to);
  const stat = fs.statSync(from);
  // Rounded down: an older index only makes git check more files by content.
  fs.utimesSync(to, stat.atime, new Date(Math.floor(stat.mtimeMs)));
}

/** Sorts ignored entries into held files and disposable paths. */
function classifyIgnored(
  ctx: RepoContext,
  folder: string,
  paths: string[],
): { held: HeldFile[]; disposable: string[]; nestedRepositories: string[] } {
  const disposableFolders = usableFolders(ctx.settings.disposableFolders);
  const held: HeldFile[] = [];
  const disposable: string[] = [];
  const nestedRepositories: string[] = [];
  const visit = (rel: string, isDir: boolean): void => {
    if (isDisposable(rel, disposableFolders)) {
      disposable.push(rel);
      return;
    }
    if (!isDir) {
      const stat = fs.lstatSync(path.join(folder, rel), { throwIfNoEntry: false });
      if (stat) held.push({ path: rel, size: stat.size });
      return;
    }
    const names = fs.readdirSync(path.join(folder, rel), { withFileTypes: true });
    if (names.some((d) => d.name === '.git')) {
      nestedRepositories.push(rel);
      return;
    }
    for (const d of names) visit(`${rel}${d.name}${d.isDirectory() ? '/' : ''}`, d.isDirectory());
  };
  for (const rel of paths) visit(rel, rel.endsWith('/'));
  const copies = copiesOfMain(ctx, folder, held);
  held.push(...copiedInsideDisposable(ctx, folder, disposable));
  return { held: held.filter((f) => !copies.has(f.path)), disposable: [...disposable, ...copies], nestedRepositories };
}

/** The disposable folder entries that are usable: a name (any depth) or a relative path, never empty, `.`, `..` or absolute. */
function usableFolders(folders: readonly string[]): string[] {
  return folders
    .filter((f): f is string => typeof f === 'string')
    .map((f) => f.replace(/\\/g, '/').replace(/^\.\/|\/+$/g, ''))
    .filter((f) => f !== '' && !f.startsWith('/') && !f.split('/').some((s) => s === '' || s === '.' || s === '..'));
}

/** Whether `rel` (a folder when it ends in `/`) is, or is inside, a disposable folder. */
export function isDisposable(rel: string, folders: string[]): boolean {
  const segments = rel.split('/').slice(0, -1);
  return folders.some((f) => (f.includes('/') ? rel.startsWith(`${f}/`) : segments.includes(f)));
}

/** Held ignored files that are byte for byte the main checkout's file at the same path: nothing is lost with them. */
function copiesOfMain(ctx: RepoContext, folder: string, held: HeldFile[]): Set<string> {
  const copies = new Set<string>();
  if (ctx.repo.bare || samePath(folder, ctx.repo.mainPath)) return copies;
  for (const file of held) {
    const mine = path.join(folder, file.path);
    const theirs = path.join(ctx.repo.mainPath, file.path);
    const stat = fs.lstatSync(theirs, { throwIfNoEntry: false });
    if (!stat?.isFile() || stat.size !== file.size || !fs.lstatSync(mine).isFile()) continue;
    if (fs.readFileSync(mine).equals(fs.readFileSync(theirs))) copies.add(file.path);
  }
  return copies;
}

/** Files that `copyFiles` names inside a disposable folder and that differ from the main checkout's: never disposable. */
function copiedInsideDisposable(ctx: RepoContext, folder: string, disposable: string[]): HeldFile[] {
  const found: HeldFile[] = [];
  for (const pattern of ctx.settings.copyFiles) {
    const prefix = pattern.slice(0, pattern.search(/[*?[{]|$/));
    const inside = disposable.find((d) => prefix.startsWith(d));
    if (!inside) continue;
    const matcher = globToRegExp(pattern);
    for (const rel of listFiles(folder, inside)) {
      if (!matcher.test(rel)) continue;
      const theirs = path.join(ctx.repo.mainPath, rel);
      const mine = fs.readFileSync(path.join(folder, rel));
      if (!fs.existsSync(theirs) || !mine.equals(fs.readFileSync(theirs))) found.push({ path: rel, size: mine.length });
    }
  }
  return found;
}

/** Every file under `rel` (a folder ending in `/`), relative to `folder`; symbolic links are not followed. */
function listFiles(folder: string, rel: string): string[] {
  const files: string[] = [];
  for (const d of fs.readdirSync(path.join(folder, rel), { withFileTypes: true })) {
    if (d.isDirectory()) files.push(...listFiles(folder, `${rel}${d.name}/`));
    else if (d.isFile()) files.push(`${rel}${d.name}`);
  }
  return files;
}

/**
 * Refuses a snapshot whose ignored files are more than the limit
 * (`snapshotLimitMB`), naming the biggest, and says how to go on.
 */
export function checkSnapshotSize(ctx: RepoContext, folder: string, content: Pick<WorktreeContent, 'ignored'>): void {
  const limitMB = ctx.settings.snapshotLimitMB;
  const total = content.ignored.reduce((sum, f) => sum + f.size, 0);
  if (total <= limitMB * 1024 * 1024) return;
  const biggest = [...content.ignored].sort((a, b) => b.size - a.size).slice(0, 5);
  throw new PlanError(ErrorCode.SnapshotTooLarge, {
    path: folder,
    totalBytes: total,
    limitMB,
    biggest: biggest.map((f) => ({ path: f.path, bytes: f.size })),
    files: biggest.map((f) => f.path),
  });
}
