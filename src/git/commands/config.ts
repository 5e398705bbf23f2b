/**
 * `git config` of the repository: read a value, list names, remove a section.
 */
import { GitAt, options } from './git';

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
