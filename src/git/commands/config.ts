/**
 * `git config` of the repository: read a value, list names, remove a section.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GitAt, options } from './git';
import { readSmallFile } from '../worktreeFiles';

/** A config file larger than this is not looked into: git is asked. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** The value of `key` (`config --get`), or undefined when it is not set. */
export async function getConfig(at: GitAt, key: string): Promise<string | undefined> {
  const out = await at.git.exec(['config', '--get', key], options(at, { okExitCodes: [1] }));
  return out.exitCode === 0 ? out.stdout.trim() : undefined;
}

/** The names of every setting matching the regular expression `pattern` (`config --name-only --get-regexp`). */
export async function configNames(at: GitAt, pattern: string): Promise<string[]> {
  const out = await at.git.exec(['config', '--name-only', '--get-regexp', pattern], options(at, { okExitCodes: [1] }));
  return out.stdout.split('\n');
}

/** Removes the section `name` (`config --remove-section`). */
export async function removeConfigSection(at: GitAt, name: string): Promise<void> {
  await at.git.run(['config', '--remove-section', name], options(at));
}

/**
 * Whether the repository's own config file (`<commonDir>/config`, the one
 * `config --remove-section` changes) may hold the section `branch.<branch>`,
 * read as data without a git process. False only when the file is missing,
 * or names no such branch (in any case) and has no branch header with an
 * escape (`[branch "a\\b"]`); anything else (unreadable, too large) is true.
 */
export function mayHaveBranchSection(commonDir: string, branch: string): boolean {
  const file = path.join(commonDir, 'config');
  const text = readSmallFile(file, MAX_CONFIG_BYTES);
  // None: nothing to remove. A link, anything but a plain file, or too large: git is asked.
  if (text === undefined) return fs.lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  // A quoted subsection is matched exactly, the old `[branch.name]` form in ASCII lower case.
  const lower = (t: string): string => t.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  return text.includes(branch) || lower(text).includes(lower(branch)) || /^\s*\[\s*branch\b[^\n]*\\/im.test(text);
}
