/**
 * Why a git command failed, as the command knows it. The same words mean
 * different things for different commands ("already exists" is a folder for
 * `worktree add`, a ref for `update-ref`), so each command keeps its own map
 * from git's stderr to a reason (and, where the reason is one, an error code)
 * and throws a CommandError carrying it; callers test `hasReason(e, 'moved')`,
 * never the text.
 */
import { GitErrorCode, PlanWorktreesError } from '../errors';

export interface ReasonRule<R extends string> {
  /** What git prints (stderr) for this reason. */
  pattern: RegExp;
  reason: R;
  /** The error code when the command knows better than the global table; the runner's code otherwise. */
  code?: GitErrorCode;
}

/** A failed git command whose reason its command recognised. */
export class CommandError<R extends string = string> extends PlanWorktreesError {
  readonly reason: R;

  constructor(reason: R, code: GitErrorCode, message: string, cause: PlanWorktreesError) {
    super(code, message, {
      command: cause.command,
      stderr: cause.stderr,
      exitCode: cause.exitCode,
      files: cause.files,
      cause,
    });
    this.name = 'PlanWorktreesError';
    this.reason = reason;
  }
}

/** Failures the runner itself knows for what they are, whatever the command: never reclassified. */
const runnerCodes = new Set([
  GitErrorCode.Cancelled,
  GitErrorCode.Untrusted,
  GitErrorCode.GitNotFound,
  GitErrorCode.DiskFull,
  GitErrorCode.PathMissing,
]);

/** Whether `e` is a git failure the command recognised as `reason`. */
export function hasReason(e: unknown, reason: string): e is CommandError {
  return e instanceof CommandError && e.reason === reason;
}

/** `e` with its reason (and code) from `rules` when one matches its stderr (or `exitCode`); `e` itself otherwise. */
export function classify<R extends string>(e: unknown, rules: ReadonlyArray<ReasonRule<R>>): unknown {
  if (!(e instanceof PlanWorktreesError) || e instanceof CommandError || runnerCodes.has(e.code)) return e;
  const stderr = e.stderr ?? '';
  const rule = rules.find((r) => r.pattern.test(stderr));
  return rule ? new CommandError(rule.reason, rule.code ?? e.code, e.message, e) : e;
}

/** Runs `command`, rethrowing its failure classified by `rules`. */
export async function withReasons<T, R extends string>(
  rules: ReadonlyArray<ReasonRule<R>>,
  command: () => Promise<T>,
): Promise<T> {
  try {
    return await command();
  } catch (e) {
    throw classify(e, rules);
  }
}
