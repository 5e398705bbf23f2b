/**
 * Which files are plan files: the Markdown plans, work orders and task JSON
 * under the `planFiles` globs, found without following symlinks or leaving
 * the folder, and read only when they are regular UTF-8 files of a sane size.
 */
import { constants, promises as fs } from 'fs';
import * as path from 'path';
import { ErrorCode, PlanError, PlanWorktreesError } from '../engine/errors';
import { ensureValid, validatePlanFile } from '../engine/names';
import { isInside } from '../engine/paths';
import { globToRegExp } from '../lifecycle/copyFiles';

/** The default of the `planFiles` setting (package.json declares the same). */
export const DEFAULT_PLAN_FILE_PATTERNS: readonly string[] = [
  'plans/**/*.{md,json}',
  '.plans/**/*.{md,json}',
  '.tasks/**/*.{md,json}',
  'tasks/**/*.{md,json}',
  'work-orders/**/*.{md,json}',
];

/** A plan file larger than this is not read (nobody writes a 1 MiB plan; a hostile repository might). */
export const MAX_PLAN_FILE_BYTES = 1024 * 1024;

/** How many folder entries a search looks at, at most, before it stops. */
export const MAX_SEARCHED_ENTRIES = 20_000;

export type PlanFileFormat = 'markdown' | 'json';

/** The format of a plan file by its extension; undefined for any other file. */
export function planFileFormat(file: string): PlanFileFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.md' || ext === '.markdown') return 'markdown';
  if (ext === '.json') return 'json';
  return undefined;
}

/** Whether `file` (relative, `/`-separated) matches one of the glob patterns. */
export function matchesPlanFilePatterns(file: string, patterns: readonly string[]): boolean {
  const normalized = file.split(path.sep).join('/');
  return usablePatterns(patterns).some((p) => globToRegExp(p).test(normalized));
}

/**
 * The plan files under `root` that match the patterns, relative and
 * `/`-separated, sorted. Only the folders the patterns name are searched
 * (`plans/**` searches `plans/`); ignored files count (a `.plans/` folder is
 * often git-ignored), symlinks, `.git` and `node_modules` never do. A pattern
 * that is absolute or contains `..` is left out.
 */
export async function findPlanFiles(
  root: string,
  patterns: readonly string[],
  maxEntries = MAX_SEARCHED_ENTRIES,
): Promise<string[]> {
  const usable = usablePatterns(patterns);
  if (usable.length === 0) return [];
  const matchers = usable.map(globToRegExp);
  const bases = [...new Set(usable.map(literalBase))].sort();
  // A base inside another base is searched with it.
  const roots = bases.filter((b) => !bases.some((other) => other !== b && (other === '' || b.startsWith(`${other}/`))));
  const found = new Set<string>();
  let budget = maxEntries;
  const walk = async (relDir: string): Promise<void> => {
    let entries: import('fs').Dirent[];
    try {
      entries = await fs.readdir(path.join(root, relDir), { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (--budget < 0) return;
      const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name === '.git' || entry.name === 'node_modules') continue;
        await walk(rel);
      } else if (
        entry.isFile() &&
        planFileFormat(entry.name) &&
        !/^readme\./i.test(entry.name) &&
        matchers.some((m) => m.test(rel))
      ) {
        found.add(rel);
      }
    }
  };
  for (const base of roots) {
    if (base !== '') {
      // The base folder itself must be a real folder, not a symlink out of the repository.
      const stat = await fs.lstat(path.join(root, base)).catch(() => undefined);
      if (!stat?.isDirectory()) continue;
    }
    await walk(base);
  }
  return [...found].sort();
}

/**
 * Throws `InvalidName` unless the status binding may write `file`: a plan file
 * (relative, no `..`, nothing under `.git`) that the `planFiles` patterns
 * name. The file a plan records comes from the registry, which is data.
 */
export function ensureBindable(file: string, patterns: readonly string[]): void {
  ensureValid(file, validatePlanFile);
  if (!planFileFormat(file) || !matchesPlanFilePatterns(file, patterns)) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'notAPlanFile', file });
  }
}

/**
 * The text of a plan file: a regular file inside `root` (no symlink on the
 * way), at most MAX_PLAN_FILE_BYTES, valid UTF-8. Throws `InvalidName` saying
 * which of these it is not.
 */
export async function readPlanFileText(root: string, file: string): Promise<string> {
  const realRoot = await fs.realpath(root);
  const target = path.join(realRoot, file);
  for (let dir = path.dirname(target); dir !== realRoot && isInside(realRoot, dir); dir = path.dirname(dir)) {
    if ((await fs.lstat(dir)).isSymbolicLink()) {
      throw new PlanWorktreesError(
        ErrorCode.InvalidName,
        `${path.relative(realRoot, dir)} is a symlink; plan files are read only from real folders.`,
      );
    }
  }
  const stat = await fs.lstat(target);
  if (stat.isSymbolicLink()) {
    throw new PlanWorktreesError(ErrorCode.InvalidName, 'it is a symlink; plan files must be regular files.');
  }
  if (!stat.isFile()) throw new PlanWorktreesError(ErrorCode.InvalidName, 'it is not a regular file.');
  if (stat.size > MAX_PLAN_FILE_BYTES) {
    throw new PlanWorktreesError(
      ErrorCode.InvalidName,
      `it is ${stat.size} bytes long; plan files of at most ${MAX_PLAN_FILE_BYTES} bytes are read.`,
    );
  }
  const handle = await fs.open(target, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  let bytes: Buffer;
  try {
    bytes = await handle.readFile();
  } finally {
    await handle.close();
  }
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    throw new PlanWorktreesError(ErrorCode.InvalidName, 'it is not UTF-8 text.');
  }
  return text;
}

/** Patterns relative to the root: no absolute path, no `..`, `/`-separated. */
function usablePatterns(patterns: readonly string[]): string[] {
  return patterns
    .map((p) => p.trim().replace(/\\/g, '/').replace(/^\.\//, ''))
    .filter((p) => p !== '' && !p.startsWith('/') && !/^[A-Za-z]:/.test(p) && !p.split('/').includes('..'));
}

/** The folder part of a pattern before its first glob character: `plans/**\/*.md` → `plans`. */
function literalBase(pattern: string): string {
  const parts = pattern.split('/');
  const base: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (/[*?[{]/.test(part)) break;
    base.push(part);
  }
  return base.join('/');
}
