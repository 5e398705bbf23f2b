/**
 * Dependency folders (`node_modules`, `.venv`, ...) of the main checkout made
 * ready in a new plan without reinstalling, per the `dependencyFolders`
 * setting: `copy` (a copy-on-write clone of each file where the file system
 * can, else a plain copy: nothing written in the plan reaches the main
 * checkout), `hardlink` (a clone where it can, else hard links: fast and
 * small, but a file changed in place changes the main checkout's too, so it
 * suits folders whose files package managers replace rather than edit; across
 * file systems, a plain copy) or `symlink` (the plan's folder is a symbolic
 * link to the main checkout's: shared, installs in the plan change it).
 *
 * Only a folder git ignores in the main checkout and tracks nothing in is
 * handled, and only when it is a real folder there (not a symlink). Nothing
 * is followed outside the repository: inside the folder, a symlink is
 * recreated as it is only when it is relative and leads to something inside
 * the repository; others, and sockets or devices, are left out (and counted).
 */
import { constants, Dirent, promises as fs } from 'fs';
import * as path from 'path';
import { ErrorCode, PlanError } from '../engine/errors';
import { isInside } from '../engine/paths';

export type DependencyMode = 'copy' | 'hardlink' | 'symlink' | 'off';

/** How the files of a folder were made in the plan. */
export type DependencyMethod = 'clone' | 'hardlink' | 'copy' | 'symlink';

export const DEPENDENCY_MODES: readonly DependencyMode[] = ['copy', 'hardlink', 'symlink', 'off'];

/** What was done with one dependency folder. */
export interface DependencyResult {
  /** The folder, relative to the repository root (`/`-separated). */
  folder: string;
  mode: Exclude<DependencyMode, 'off'>;
  /** How most of its files were made; undefined when the folder was left out. */
  method?: DependencyMethod;
  /** Files made by each method. */
  files: Partial<Record<Exclude<DependencyMethod, 'symlink'>, number>>;
  /** Symbolic links inside the folder recreated as they are. */
  links: number;
  /** Entries inside the folder left out, and why (a symlink leading outside, a socket). */
  skipped: Array<{ path: string; reason: string }>;
  /** Why the whole folder was left out (not ignored by git, not in the main checkout, ...). */
  reason?: string;
  ms: number;
}

/**
 * Why a `dependencyFolders` entry is not a folder of the repository, or
 * undefined when it is fine: a relative `/`-separated path without `..`,
 * `.git` or control characters, and a known mode.
 */
export function dependencyFolderProblem(folder: string, mode: unknown): string | undefined {
  if (!DEPENDENCY_MODES.includes(mode as DependencyMode)) {
    return `The dependency folder "${folder}" has the mode ${JSON.stringify(mode)}; known modes: ${DEPENDENCY_MODES.join(', ')}.`;
  }
  if (folder.length === 0 || folder.length > 1024) return 'A dependency folder name is empty or too long.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(folder)) {
    return `The dependency folder "${folder.replace(/\p{Cc}/gu, '?')}" must not contain control characters or "\\".`;
  }
  const parts = folder.split('/');
  if (folder.startsWith('/') || /^[A-Za-z]:/.test(folder) || parts.some((p) => p === '' || p === '.' || p === '..')) {
    return `The dependency folder "${folder}" must be a path inside the repository, relative to its root, without "." or ".." parts.`;
  }
  if (parts.some((p) => p.toLowerCase() === '.git')) {
    return `The dependency folder "${folder}" must not be inside a ".git" folder.`;
  }
  return undefined;
}

/** The folders of the setting that are not off, checked; a bad entry throws `InvalidName` (before anything changes). */
export function dependencyFolderList(
  setting: Record<string, unknown>,
): Array<{ folder: string; mode: Exclude<DependencyMode, 'off'> }> {
  const list: Array<{ folder: string; mode: Exclude<DependencyMode, 'off'> }> = [];
  for (const [folder, mode] of Object.entries(setting)) {
    const problem = dependencyFolderProblem(folder, mode);
    if (problem) throw new PlanError(ErrorCode.InvalidName, { reason: 'name', problem });
    if (mode !== 'off') list.push({ folder, mode: mode as Exclude<DependencyMode, 'off'> });
  }
  return list;
}

/**
 * The folders of `list` that are real folders in the main checkout `main`
 * (no symlink on the way), cheap: one lstat each, no git process.
 */
export async function presentFolders<T extends { folder: string }>(main: string, list: T[]): Promise<T[]> {
  const present = await Promise.all(list.map((entry) => realFolderIn(main, entry.folder)));
  return list.filter((_, i) => present[i]);
}

/** Whether `folder` (relative) is a folder of `root` with no symlink at any of its parts. */
async function realFolderIn(root: string, folder: string): Promise<boolean> {
  let current = root;
  for (const part of folder.split('/')) {
    current = path.join(current, part);
    const stat = await fs.lstat(current).catch(() => undefined);
    if (!stat || stat.isSymbolicLink() || !stat.isDirectory()) return false;
  }
  return true;
}

/**
 * Makes the dependency folder `folder` of the main checkout `main` in the
 * new worktree `plan`, by `mode`. `notIgnored` are the main checkout's
 * untracked files that git does not ignore (from `git status`): a folder with
 * one of them is not ignored, and is left out. Never writes over anything in
 * the plan, never outside it.
 */
export async function placeDependencyFolder(
  main: string,
  plan: string,
  folder: string,
  mode: Exclude<DependencyMode, 'off'>,
  notIgnored: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<DependencyResult> {
  const started = Date.now();
  const result: DependencyResult = { folder, mode, files: {}, links: 0, skipped: [], ms: 0 };
  const leftOut = (reason: string): DependencyResult => ({ ...result, reason, ms: Date.now() - started });
  const root = await fs.realpath(main);
  if (!(await realFolderIn(root, folder))) return leftOut('not a folder in the main checkout');
  for (const file of notIgnored) {
    if (file.startsWith(`${folder}/`)) return leftOut(`git does not ignore it (${file} is an untracked file)`);
  }
  const source = path.join(root, ...folder.split('/'));
  const target = path.join(plan, ...folder.split('/'));
  if (!isInside(plan, target) || target === plan) return leftOut('outside the worktree');
  if (await fs.lstat(target).catch(() => undefined)) return leftOut('already in the plan (git tracks files in it)');
  // Its parents are made as real folders; one that is a symlink or a file in the plan stops it.
  for (let dir = path.dirname(target); dir !== plan && isInside(plan, dir); dir = path.dirname(dir)) {
    const stat = await fs.lstat(dir).catch(() => undefined);
    if (stat && (stat.isSymbolicLink() || !stat.isDirectory())) {
      return leftOut(`${path.relative(plan, dir)} is not a real folder in the plan`);
    }
  }
  await fs.mkdir(path.dirname(target), { recursive: true });
  if (mode === 'symlink') {
    await fs.symlink(source, target, 'dir');
    return { ...result, method: 'symlink', ms: Date.now() - started };
  }
  const copier = new FolderCopier(root, mode, result, signal);
  await copier.copyTree(source, target);
  const counts = Object.entries(result.files) as Array<[Exclude<DependencyMethod, 'symlink'>, number]>;
  const method = counts.sort((a, b) => b[1] - a[1])[0]?.[0] ?? (mode === 'hardlink' ? 'hardlink' : 'copy');
  return { ...result, method, ms: Date.now() - started };
}

/** Errors that say the file system cannot clone (or link) at all: the next method is used for the rest. */
const unsupported = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ENOTTY', 'EPERM', 'EMLINK']);

/** Copies a folder tree file by file, several files at once, with the best method the file system allows. */
class FolderCopier {
  private canClone = true;
  private canLink: boolean;
  private readonly pending = new Set<Promise<void>>();
  private static readonly AT_ONCE = 32;

  constructor(
    private readonly root: string,
    mode: 'copy' | 'hardlink',
    private readonly result: DependencyResult,
    private readonly signal?: AbortSignal,
  ) {
    this.canLink = mode === 'hardlink';
  }

  /** The first failure of a file: it fails the whole folder (and the create is undone). */
  private failure: unknown;

  async copyTree(source: string, target: string): Promise<void> {
    try {
      await this.copyFolder(source, target);
    } finally {
      await Promise.all(this.pending);
    }
    if (this.failure !== undefined) throw this.failure;
  }

  private async copyFolder(source: string, target: string): Promise<void> {
    if (this.signal?.aborted) throw new PlanError(ErrorCode.Cancelled, { reason: 'operation' });
    await fs.mkdir(target);
    const entries: Dirent[] = await fs.readdir(source, { withFileTypes: true });
    for (const entry of entries) {
      const from = path.join(source, entry.name);
      const to = path.join(target, entry.name);
      if (entry.isDirectory()) await this.copyFolder(from, to);
      else if (entry.isFile()) await this.schedule(() => this.copyFile(from, to));
      else if (entry.isSymbolicLink()) await this.schedule(() => this.copyLink(from, to));
      else this.result.skipped.push({ path: path.relative(this.root, from), reason: 'not a regular file' });
    }
  }

  /** Runs `task` once fewer than AT_ONCE run; after a failure, nothing more starts. */
  private async schedule(task: () => Promise<void>): Promise<void> {
    while (this.pending.size >= FolderCopier.AT_ONCE) await Promise.race(this.pending);
    if (this.failure !== undefined) throw this.failure;
    const run: Promise<void> = task()
      .catch((e: unknown) => {
        this.failure ??= e;
      })
      .finally(() => this.pending.delete(run));
    this.pending.add(run);
  }

  private async copyFile(from: string, to: string): Promise<void> {
    if (this.canClone) {
      try {
        await fs.copyFile(from, to, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE);
        this.count('clone');
        return;
      } catch (e) {
        if (!unsupported.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
        this.canClone = false;
      }
    }
    if (this.canLink) {
      try {
        await fs.link(from, to);
        this.count('hardlink');
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        if (!unsupported.has(code)) throw e;
        // Too many links to this one file: a copy of it; another file system or no hard links at all: copies from now on.
        if (code !== 'EMLINK') this.canLink = false;
      }
    }
    await fs.copyFile(from, to, constants.COPYFILE_EXCL);
    this.count('copy');
  }

  private count(method: Exclude<DependencyMethod, 'symlink'>): void {
    this.result.files[method] = (this.result.files[method] ?? 0) + 1;
  }

  /** A relative symlink to something inside the repository is recreated as it is; any other is left out. */
  private async copyLink(from: string, to: string): Promise<void> {
    const link = await fs.readlink(from);
    const reason = await this.linkProblem(from, link);
    if (reason) {
      this.result.skipped.push({ path: path.relative(this.root, from), reason });
      return;
    }
    await fs.symlink(link, to);
    this.result.links++;
  }

  private async linkProblem(from: string, link: string): Promise<string | undefined> {
    if (path.isAbsolute(link)) return 'a symlink with an absolute target';
    let resolved: string;
    try {
      resolved = await fs.realpath(from);
    } catch {
      return 'a broken symlink';
    }
    return isInside(this.root, resolved) ? undefined : 'a symlink that leads outside the repository';
  }
}

/** One line for the log: `node_modules: cloned 30000 files, 12 links (45 ms)`. */
export function describeDependency(result: DependencyResult): string {
  if (result.reason) return `${result.folder}: left out (${result.reason})`;
  if (result.method === 'symlink') return `${result.folder}: a symbolic link to the main checkout's folder`;
  const words: Record<Exclude<DependencyMethod, 'symlink'>, string> = {
    clone: 'cloned (copy-on-write)',
    hardlink: 'hard-linked',
    copy: 'copied',
  };
  const parts = (Object.entries(result.files) as Array<[Exclude<DependencyMethod, 'symlink'>, number]>).map(
    ([method, n]) => `${words[method]} ${n} file${n === 1 ? '' : 's'}`,
  );
  if (result.links > 0) parts.push(`${result.links} symlink${result.links === 1 ? '' : 's'} recreated`);
  if (result.skipped.length > 0) parts.push(`${result.skipped.length} left out`);
  return `${result.folder}: ${parts.join(', ') || 'empty'} (${result.ms} ms)`;
}
