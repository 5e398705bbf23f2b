/**
 * Git's errors. Git's stderr becomes a `GitErrorCode` here and nowhere else.
 * The model's own refusals (a dirty plan, a corrupt registry, ...) are
 * `PlanError`s of src/model/engine/errors.ts, with data and no English; both
 * families share the base class `PlanWorktreesError`, so the UI switches on
 * one `code` to pick its message and its buttons.
 */

/** What went wrong in git (or in running it), as git or the runner tells it. */
export enum GitErrorCode {
  GitNotFound = 'GitNotFound',
  GitTooOld = 'GitTooOld',
  NotAGitRepository = 'NotAGitRepository',
  Cancelled = 'Cancelled',
  IndexLocked = 'IndexLocked',
  RefLocked = 'RefLocked',
  BranchExists = 'BranchExists',
  BranchNotMerged = 'BranchNotMerged',
  BranchCheckedOut = 'BranchCheckedOut',
  PathExists = 'PathExists',
  PathMissing = 'PathMissing',
  WorktreeDirty = 'WorktreeDirty',
  WorktreeLocked = 'WorktreeLocked',
  WorktreeNotFound = 'WorktreeNotFound',
  MergeConflict = 'MergeConflict',
  MergeInProgress = 'MergeInProgress',
  /** A rebase is stopped in the worktree (on conflicts, or waiting to be continued). */
  RebaseInProgress = 'RebaseInProgress',
  /** Files still have conflicts to resolve. */
  ConflictsUnresolved = 'ConflictsUnresolved',
  NotFastForward = 'NotFastForward',
  /** Not a valid branch or ref name, or not a revision git knows. */
  InvalidName = 'InvalidName',
  /** The folder is not trusted (Restricted Mode): the command would run git that can start programs the repository names. */
  Untrusted = 'Untrusted',
  /** A linked worktree's admin folder (`.git/worktrees/<name>`) is half-written: git cannot list or walk the worktrees. */
  WorktreeAdminBroken = 'WorktreeAdminBroken',
  /** No space left on the disk (ENOSPC): `files` names where it was writing. */
  DiskFull = 'DiskFull',
  Unknown = 'Unknown',
}

export interface ErrorDetails {
  /** The git command line, when the error came from git. */
  command?: string;
  stderr?: string;
  exitCode?: number;
  /** Files involved: conflicting paths, dirty paths, ... */
  files?: string[];
  cause?: unknown;
}

/**
 * The base of every error Plan Worktrees throws on purpose: git's (code a
 * `GitErrorCode`) and the model's (`PlanError`, code any `ErrorCode` of
 * src/model/engine/errors.ts).
 */
export class PlanWorktreesError<C extends string = string> extends Error {
  readonly code: C;
  readonly command?: string;
  readonly stderr?: string;
  readonly exitCode?: number;
  readonly files: string[];

  constructor(code: C, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'PlanWorktreesError';
    this.code = code;
    this.command = details.command;
    this.stderr = details.stderr;
    this.exitCode = details.exitCode;
    this.files = details.files ?? [];
  }
}

/** True when `e` is one of Plan Worktrees' errors with this code. */
export function isError<C extends string>(e: unknown, code: C): e is PlanWorktreesError<C> {
  return e instanceof PlanWorktreesError && e.code === code;
}

/** Git's and Node's words for a full disk. */
const diskFull = /No space left on device|Out of diskspace|ENOSPC/i;

const patterns: ReadonlyArray<[RegExp, GitErrorCode]> = [
  [diskFull, GitErrorCode.DiskFull],
  [
    /failed to read (.*[\\/])?worktrees[\\/][^\\/]+[\\/](commondir|gitdir)|bad object (.*[\\/])?worktrees[\\/][^\\/]+[\\/]HEAD/i,
    GitErrorCode.WorktreeAdminBroken,
  ],
  // The folder git runs in was removed while it ran (another window removed the worktree).
  [/Unable to read current working directory/i, GitErrorCode.PathMissing],
  [/not a git repository/i, GitErrorCode.NotAGitRepository],
  [/index\.lock': File exists|Unable to create '.*index\.lock'/i, GitErrorCode.IndexLocked],
  [/cannot lock ref|unable to update local ref|reference already exists.*lock/i, GitErrorCode.RefLocked],
  [/a branch named '.*' already exists|branch '.*' already exists/i, GitErrorCode.BranchExists],
  [/is already (checked out|used by worktree) at/i, GitErrorCode.BranchCheckedOut],
  [/'.*' already exists|already exists$/im, GitErrorCode.PathExists],
  [/is not fully merged/i, GitErrorCode.BranchNotMerged],
  [/contains modified or untracked files|use --force to delete it/i, GitErrorCode.WorktreeDirty],
  [/is locked|cannot (remove|move) a locked working tree/i, GitErrorCode.WorktreeLocked],
  [/is not a working tree|is a main working tree/i, GitErrorCode.WorktreeNotFound],
  [/not possible to fast-forward|Not possible to fast-forward/i, GitErrorCode.NotFastForward],
  [/already a rebase-(merge|apply) directory|middle of another rebase/i, GitErrorCode.RebaseInProgress],
  [/you must edit all merge conflicts|unmerged files|needs merge/i, GitErrorCode.ConflictsUnresolved],
  [/You have not concluded your merge|MERGE_HEAD exists|merge is in progress/i, GitErrorCode.MergeInProgress],
  [/CONFLICT \(|Merge conflict in/i, GitErrorCode.MergeConflict],
  [
    /not a valid branch name|is not a valid (ref|branch) name|bad revision|invalid reference|unknown revision/i,
    GitErrorCode.InvalidName,
  ],
  [/ENOENT|spawn git/i, GitErrorCode.GitNotFound],
];

/** Turns what a failed git command printed into an error code. */
export function classifyGitError(stderr: string): GitErrorCode {
  for (const [pattern, code] of patterns) {
    if (pattern.test(stderr)) return code;
  }
  return GitErrorCode.Unknown;
}

/** The first meaningful line of git's stderr, for a message a person reads. */
export function summarizeStderr(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^hint:/.test(l));
  const fatal = lines.find((l) => /^(fatal|error):/.test(l));
  return (fatal ?? lines[0] ?? '').replace(/^(fatal|error):\s*/, '');
}

/**
 * A full disk as a typed error, from a Node file-system error (ENOSPC) or a
 * PlanWorktreesError whose git said so; anything else is returned as it is.
 * `where` names the place when the error does not.
 */
export function asDiskFull(e: unknown, where?: string): unknown {
  if (e instanceof PlanWorktreesError) return e;
  const errno = e as NodeJS.ErrnoException | undefined;
  if (errno?.code !== 'ENOSPC') return e;
  const file = errno.path ?? where;
  return new PlanWorktreesError(
    GitErrorCode.DiskFull,
    `The disk is full${file ? ` (writing ${file})` : ''}. Free some space, then try again.`,
    { files: file ? [file] : [], cause: e },
  );
}

/** The file a full-disk message of git names (`'<path>'` or `file <path>`), if any. */
export function diskFullPath(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => diskFull.test(l)) ?? '';
  return /'([^']+)'/.exec(line)?.[1] ?? /(?:write|file) (\S+?):? /.exec(line)?.[1];
}
