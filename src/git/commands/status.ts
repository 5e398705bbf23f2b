/**
 * `git status --porcelain=v2 -z`, parsed (src/git/status.ts). Which files it
 * lists is the caller's choice: untracked ones one by one or not at all,
 * ignored ones, renames found or not, submodules looked into or not.
 */
import { parseStatus, StatusSummary } from '../status';
import { GitAt, options } from './git';

export interface StatusFlags {
  /** `all` lists untracked files one by one (default), `no` leaves them out. */
  untracked?: 'all' | 'no';
  /** `matching`: ignored files too (an ignored folder as one entry). */
  ignored?: 'matching';
  /** False: no rename detection (a rename is a deletion and an addition). */
  renames?: false;
  /** With the branch header lines (`# branch.oid`...). */
  branch?: boolean;
  /** False: with `branch`, no count of commits ahead of and behind the upstream (`--no-ahead-behind`). */
  aheadBehind?: false;
  /** Changes inside submodules: looked at (`none`) or not (`all`); git's default (and config) when absent. */
  ignoreSubmodules?: 'none' | 'all';
  /**
   * False: git does not take the index lock to refresh its file stamps
   * (GIT_OPTIONAL_LOCKS=0), so that a background refresh never blocks the
   * user's own git commands.
   */
  optionalLocks?: false;
}

/** The worktree's status, parsed. */
export async function status(at: GitAt, flags: StatusFlags = {}): Promise<StatusSummary> {
  return parseStatus(await at.git.run(statusArgs(flags), options(at, statusEnv(flags))));
}

/** Whether `git status` lists nothing at all: no change, no untracked (not ignored) file. */
export async function isClean(at: GitAt, flags: StatusFlags = {}): Promise<boolean> {
  return (await at.git.run(statusArgs(flags), options(at, statusEnv(flags)))) === '';
}

function statusArgs(flags: StatusFlags): string[] {
  return [
    'status',
    '--porcelain=v2',
    ...(flags.branch ? ['--branch'] : []),
    ...(flags.branch && flags.aheadBehind === false ? ['--no-ahead-behind'] : []),
    '-z',
    `--untracked-files=${flags.untracked ?? 'all'}`,
    ...(flags.ignored ? [`--ignored=${flags.ignored}`] : []),
    ...(flags.renames === false ? ['--no-renames'] : []),
    ...(flags.ignoreSubmodules ? [`--ignore-submodules=${flags.ignoreSubmodules}`] : []),
  ];
}

function statusEnv(flags: StatusFlags): { env?: Record<string, string> } {
  return flags.optionalLocks === false ? { env: { GIT_OPTIONAL_LOCKS: '0' } } : {};
}
