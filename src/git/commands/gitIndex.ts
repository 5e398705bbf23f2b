/**
 * The index of a worktree (or the temporary one `at.env` names): add, refresh,
 * reset, checkout-index, ls-files. Paths are taken literally.
 */
import * as fs from 'fs';
import { GitAt, literal, options, records } from './git';

/** `add --all` (every change, untracked files included), of the whole worktree or of `paths` (after `--`). */
export async function addAll(at: GitAt, paths?: string[]): Promise<void> {
  await at.git.run(['add', '--all', ...(paths ? ['--', ...paths] : [])], options(at));
}

/** `add -- <paths>`: stages these files (conflicts marked resolved). */
export async function add(at: GitAt, paths: string[]): Promise<void> {
  await at.git.run(['add', '--', ...paths], options(at));
}

/**
 * `add --force` of `files` (ignored ones too), read from `listFile` (written
 * here, NUL-separated, each taken literally): any number of paths, one process.
 */
export async function addForced(at: GitAt, files: string[], listFile: string): Promise<void> {
  fs.writeFileSync(listFile, files.map((f) => `${literal(f)}\0`).join(''));
  await at.git.run(['add', '--force', `--pathspec-from-file=${listFile}`, '--pathspec-file-nul'], options(at));
}

/** `update-index -q --refresh`: stale stat data is refreshed; changed files stay changed (not an error). */
export async function refreshIndex(at: GitAt): Promise<void> {
  await at.git.exec(['update-index', '-q', '--refresh'], options(at, { okExitCodes: [1] }));
}

/** `reset -q`: the index back to HEAD, files untouched. With `hard`, the files too (`reset --quiet --hard HEAD`). */
export async function reset(at: GitAt, flags: { hard?: boolean } = {}): Promise<void> {
  await at.git.run(flags.hard ? ['reset', '--quiet', '--hard', 'HEAD'] : ['reset', '-q'], options(at));
}

/** `checkout-index -f -q -- <paths>`: these files written again from the index. */
export async function checkoutIndex(at: GitAt, paths: string[]): Promise<void> {
  await at.git.run(['checkout-index', '-f', '-q', '--', ...paths], options(at));
}

/** Untracked files (`ls-files -z --others`), relative to the worktree: ignored ones too, unless `excludeStandard`. */
export async function untrackedFiles(
  at: GitAt,
  flags: { excludeStandard?: boolean; skipFolders?: string[] } = {},
): Promise<string[]> {
  // An --exclude of a folder keeps git from walking into it.
  const skip = (flags.skipFolders ?? []).map((folder) => `--exclude=/${folder.replace(/[\\*?[\]!#]/g, '\\$&')}/`);
  const args = ['ls-files', '-z', '--others', ...(flags.excludeStandard ? ['--exclude-standard'] : []), ...skip];
  return records(await at.git.run(args, options(at)));
}

/** An index entry with its `ls-files -v` tag: lowercase for assume-unchanged, `S` for skip-worktree. */
export interface TaggedPath {
  tag: string;
  path: string;
}

/** The index entries (all, or those at `paths`, taken literally) with their tags (`ls-files -v -z`). */
export async function taggedIndexEntries(at: GitAt, paths?: string[]): Promise<TaggedPath[]> {
  const args = ['ls-files', '-v', '-z', ...(paths ? ['--', ...paths.map(literal)] : [])];
  return records(await at.git.run(args, options(at))).map((r) => ({ tag: r.slice(0, 1), path: r.slice(2) }));
}

/** Clears the assume-unchanged or skip-worktree flag of `paths` (`update-index --no-...`), 500 paths per process. */
export async function clearIndexFlag(
  at: GitAt,
  flag: 'assumeUnchanged' | 'skipWorktree',
  paths: string[],
): Promise<void> {
  const option = flag === 'assumeUnchanged' ? '--no-assume-unchanged' : '--no-skip-worktree';
  for (let i = 0; i < paths.length; i += 500) {
    await at.git.run(['update-index', option, '--', ...paths.slice(i, i + 500)], options(at));
  }
}

/** Which of `paths` are submodules (gitlinks, mode 160000) in the index (`ls-files --stage`). */
export async function submodulesAmong(at: GitAt, paths: string[]): Promise<string[]> {
  const out = await at.git.run(['ls-files', '--stage', '-z', '--', ...paths.map(literal)], options(at));
  return records(out)
    .filter((line) => line.startsWith('160000 '))
    .map((line) => line.slice(line.indexOf('\t') + 1));
}

/** The index file of the worktree (`rev-parse --git-path index`), absolute. */
export async function indexFile(at: GitAt): Promise<string> {
  return (await at.git.run(['rev-parse', '--path-format=absolute', '--git-path', 'index'], options(at))).trim();
}

/** The worktree's HEAD commit, its tree and its index file (absolute): one process. */
export async function headAndIndexFile(at: GitAt): Promise<{ head: string; headTree: string; indexFile: string }> {
  const out = await at.git.run(
    ['rev-parse', 'HEAD', 'HEAD^{tree}', '--path-format=absolute', '--git-path', 'index'],
    options(at),
  );
  const [head, headTree, file] = out.trim().split('\n');
  return { head, headTree, indexFile: file };
}
