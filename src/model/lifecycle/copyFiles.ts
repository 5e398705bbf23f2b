/**
 * Copies the untracked or ignored files a new plan needs (`.env`, `.env.*` by
 * default) from the main checkout into the plan's worktree. Safe by
 * construction: only files git reports as untracked or ignored, never a
 * symlink that leads outside the repository, never a write through a symlink
 * or outside the new worktree, never over an existing file.
 */
import { constants, promises as fs } from 'fs';
import * as path from 'path';
import { untrackedFiles } from '../../git/commands/gitIndex';
import { isInside } from '../engine/paths';
import { RepoContext } from '../engine/types';

export interface CopyResult {
  /** Paths copied, relative to the worktree root. */
  copied: string[];
  /** Paths that matched but were left out, and why. */
  skipped: Array<{ path: string; reason: string }>;
}

/**
 * Copies the untracked and ignored files of `from` that match one of the glob
 * `patterns` (relative to the root: `*`, `?`, `**`, `{a,b}`, `[abc]`) into `to`.
 */
export async function copyUntrackedFiles(
  ctx: RepoContext,
  from: string,
  to: string,
  patterns: string[],
  signal?: AbortSignal,
): Promise<CopyResult> {
  return copyFiles(from, to, await listUntrackedFiles(ctx, from, patterns, signal));
}

/**
 * The untracked and ignored files of `from` that match one of the glob
 * `patterns`: one git process, none without patterns. Git does not look into
 * the folders `skipFolders` names (paths from the root: dependency folders
 * that are copied whole), which would list thousands of files.
 */
export async function listUntrackedFiles(
  ctx: RepoContext,
  from: string,
  patterns: string[],
  signal?: AbortSignal,
  skipFolders: string[] = [],
): Promise<string[]> {
  if (patterns.length === 0) return [];
  const matchers = patterns.map(globToRegExp);
  // Without --exclude-standard, --others lists ignored files too; dependency folders copied whole are not walked.
  const files = await untrackedFiles({ git: ctx.git, cwd: from, signal }, { skipFolders });
  return files.filter((file) => matchers.some((m) => m.test(file)));
}

/** Copies `files` (from `listUntrackedFiles`) of `from` into `to`; a file gone from `from` meanwhile is skipped. */
export async function copyFiles(from: string, to: string, files: string[]): Promise<CopyResult> {
  const result: CopyResult = { copied: [], skipped: [] };
  if (files.length === 0) return result;
  const root = await fs.realpath(from);
  for (const file of files) {
    const reason = await copyOne(root, to, file);
    if (reason) result.skipped.push({ path: file, reason });
    else result.copied.push(file);
  }
  return result;
}

/** Copies one file; returns why it was skipped, or undefined when it was copied. */
async function copyOne(root: string, to: string, file: string): Promise<string | undefined> {
  const source = path.join(root, file);
  const target = path.join(to, file);
  if (!isInside(to, target)) return 'outside the worktree';
  const blocked = await blockedParent(to, path.dirname(target));
  if (blocked) return blocked;
  if (await exists(target)) return 'already exists in the plan';
  const stat = await fs.lstat(source).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!stat) return 'no longer in the main checkout';
  if (stat.isSymbolicLink()) return copyLink(root, source, target);
  if (!stat.isFile()) return 'not a regular file';
  const data = await readNoFollow(source);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, data, { flag: 'wx', mode: stat.mode & 0o777 });
  return undefined;
}

/** A relative symlink to something inside the repository is recreated as it is; any other is left out. */
async function copyLink(root: string, source: string, target: string): Promise<string | undefined> {
  const link = await fs.readlink(source);
  if (path.isAbsolute(link)) return 'a symlink with an absolute target';
  let resolved: string;
  try {
    resolved = await fs.realpath(source);
  } catch {
    return 'a broken symlink';
  }
  if (!isInside(root, resolved)) return 'a symlink that leads outside the repository';
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.symlink(link, target);
  return undefined;
}

/** Why writing into `dir` could leave `root` (an existing parent that is a symlink or not a folder), if it could. */
async function blockedParent(root: string, dir: string): Promise<string | undefined> {
  for (let current = dir; isInside(root, current) && current !== root; current = path.dirname(current)) {
    try {
      const stat = await fs.lstat(current);
      if (stat.isSymbolicLink()) return `its folder ${path.relative(root, current)} is a symlink in the plan`;
      if (!stat.isDirectory()) return `${path.relative(root, current)} is not a folder in the plan`;
    } catch {
      // not there yet: created as a real folder
    }
  }
  return undefined;
}

async function readNoFollow(file: string): Promise<Buffer> {
  const handle = await fs.open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}

/** A glob relative to the repository root as an anchored regular expression over `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const slashAfter = glob[i + 2] === '/';
      source += slashAfter ? '(?:.*/)?' : '.*';
      i += slashAfter ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      source += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      source += ')';
    } else if (c === ',' && braces > 0) source += '|';
    else source += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}${')'.repeat(braces)}$`);
}
