/**
 * What every command function takes first: the runner and the folder git
 * runs in, with the cancellation signal and extra environment (a temporary
 * index) of that call. Model code builds one (`{ git: ctx.git, cwd }`) and
 * passes it on; it never sees an argument list.
 */
import type { ExecOptions, Git } from '../runner';

export type { Git } from '../runner';

export interface GitAt {
  git: Git;
  /** The folder git runs in: the common git directory, or a worktree. */
  cwd: string;
  signal?: AbortSignal;
  /** Extra environment variables, such as GIT_INDEX_FILE. */
  env?: Record<string, string>;
}

/** The runner's options for one call at `at`, with `extra` (exit codes that are answers, stdin...). */
export function options(at: GitAt, extra: Omit<ExecOptions, 'cwd'> = {}): ExecOptions {
  const env = at.env || extra.env ? { ...at.env, ...extra.env } : undefined;
  return {
    cwd: at.cwd,
    ...(at.signal ? { signal: at.signal } : {}),
    ...extra,
    ...(env ? { env } : {}),
  };
}

/** `at` with a different folder, signal or environment. */
export function moved(at: GitAt, change: Partial<GitAt>): GitAt {
  return { ...at, ...change };
}

/** The non-empty records of `text` split on `separator` (NUL by default). */
export function records(text: string, separator = '\0'): string[] {
  return text.split(separator).filter((r) => r !== '');
}

/** A path for git that is matched literally, never as a pattern or an option. */
export function literal(file: string): string {
  return `:(literal)${file}`;
}
