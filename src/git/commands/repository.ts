/** Where a repository is: its common git directory, the worktree a folder is in (`rev-parse`). */
import { GitAt, options } from './git';

/** The common git directory (absolute) of the repository `at.cwd` is in, and whether that folder is inside a worktree. */
export async function repositoryOf(at: GitAt): Promise<{ commonDir: string; insideWorkTree: boolean }> {
  const [commonDir, inside] = await revParseLines(at, [
    '--path-format=absolute',
    '--git-common-dir',
    '--is-inside-work-tree',
  ]);
  return { commonDir, insideWorkTree: inside === 'true' };
}

/** The top folder of the worktree `at.cwd` is in (`rev-parse --show-toplevel`). */
export async function worktreeTop(at: GitAt): Promise<string> {
  return (await revParseLines(at, ['--show-toplevel']))[0];
}

/** Whether the repository whose git directory is `at.cwd` is bare. */
export async function isBareRepository(at: GitAt): Promise<boolean> {
  return (await revParseLines(at, ['--is-bare-repository']))[0] === 'true';
}

/** `rev-parse` with `args`, one answer per line; outside a repository, git's NotAGitRepository. */
async function revParseLines(at: GitAt, args: string[]): Promise<string[]> {
  return (await at.git.run(['rev-parse', ...args], options(at))).split('\n');
}
