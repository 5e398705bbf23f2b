/**
 * Typed errors. Git's stderr becomes an error code here and nowhere else; the
 * model throws the same class for its own refusals, so the UI switches on one
 * `code` to pick its message and its buttons.
 */

export enum ErrorCode {
  GitNotFound = 'GitNotFound',
  GitTooOld = 'GitTooOld',
  NotAGitRepository = 'NotAGitRepository',
  Cancelled = 'Cancelled',
  IndexLocked = 'IndexLocked',
  RefLocked = 'RefLocked',
  BranchExists = 'BranchExists',
  BranchNotFound = 'BranchNotFound',
  BranchNotMerged = 'BranchNotMerged',
  BranchCheckedOut = 'BranchCheckedOut',
  PathExists = 'PathExists',
  PathMissing = 'PathMissing',
  WorktreeDirty = 'WorktreeDirty',
  WorktreeLocked = 'WorktreeLocked',
  WorktreeNotFound = 'WorktreeNotFound',
  MainWorktree = 'MainWorktree',
  MergeConflict = 'MergeConflict',
  MergeInProgress = 'MergeInProgress',
  /** A rebase is stopped in the worktree (on conflicts, or waiting to be continued). */
  RebaseInProgress = 'RebaseInProgress',
  /** Continue or abort was asked of a worktree that is not rebasing. */
  NoRebaseInProgress = 'NoRebaseInProgress',
  /** Files still have conflicts to resolve. */
  ConflictsUnresolved = 'ConflictsUnresolved',
  /** A commit was asked for with no change to commit. */
  NothingToCommit = 'NothingToCommit',
  NotFastForward = 'NotFastForward',
  /** A rebase would give other files than a merge of the same commits (it drops merge commits). */
  RebaseChangesContent = 'RebaseChangesContent',
  BaseMoved = 'BaseMoved',
  BaseDirty = 'BaseDirty',
  PlanDirty = 'PlanDirty',
  PlanNotFound = 'PlanNotFound',
  SnapshotNotFound = 'SnapshotNotFound',
  SnapshotTooLarge = 'SnapshotTooLarge',
  InvalidName = 'InvalidName',
  RegistryCorrupt = 'RegistryCorrupt',
  /** A state file or the state folder is a symbolic link or not a regular file/folder: it is not opened. */
  StateFileUnsafe = 'StateFileUnsafe',
  /** A state file is far larger than any real one: it is not read. */
  StateFileTooLarge = 'StateFileTooLarge',
  /** A plan's record names a branch or worktree that is not its own: nothing is done with it. */
  ForeignBranch = 'ForeignBranch',
  LockTimeout = 'LockTimeout',
  /** Another window is running an operation on the same plan (or merging into the same branch). */
  PlanBusy = 'PlanBusy',
  PlanExists = 'PlanExists',
  PlanMoved = 'PlanMoved',
  /** The plan's branch and its base share no commit (a history rewritten by hand): there is nothing to merge into. */
  UnrelatedHistories = 'UnrelatedHistories',
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

export class PlanWorktreesError extends Error {
  readonly code: ErrorCode;
  readonly command?: string;
  readonly stderr?: string;
  readonly exitCode?: number;
  readonly files: string[];

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'PlanWorktreesError';
    this.code = code;
    this.command = details.command;
    this.stderr = details.stderr;
    this.exitCode = details.exitCode;
    this.files = details.files ?? [];
  }
}

export function isError(e: unknown, code: ErrorCode): e is PlanWorktreesError {
  return e instanceof PlanWorktreesError && e.code === code;
}

/** Git's and Node's words for a full disk. */
const diskFull = /No space left on device|Out of diskspace|ENOSPC/i;

const patterns: ReadonlyArray<[RegExp, ErrorCode]> = [
  [diskFull, ErrorCode.DiskFull],
  [
    /failed to read (.*[\\/])?worktrees[\\/][^\\/]+[\\/](commondir|gitdir)|bad object (.*[\\/])?worktrees[\\/][^\\/]+[\\/]HEAD/i,
    ErrorCode.WorktreeAdminBroken,
  ],
  // The folder git runs in was removed while it ran (another window removed the worktree).
  [/Unable to read current working directory/i, ErrorCode.PathMissing],
  [/not a git repository/i, ErrorCode.NotAGitRepository],
  [/index\.lock': File exists|Unable to create '.*index\.lock'/i, ErrorCode.IndexLocked],
  [/cannot lock ref|unable to update local ref|reference already exists.*lock/i, ErrorCode.RefLocked],
  [/a branch named '.*' already exists|branch '.*' already exists/i, ErrorCode.BranchExists],
  [/is already (checked out|used by worktree) at/i, ErrorCode.BranchCheckedOut],
  [/'.*' already exists|already exists$/im, ErrorCode.PathExists],
  [/is not fully merged/i, ErrorCode.BranchNotMerged],
  [/contains modified or untracked files|use --force to delete it/i, ErrorCode.WorktreeDirty],
  [/is locked|cannot (remove|move) a locked working tree/i, ErrorCode.WorktreeLocked],
  [/is not a working tree|is a main working tree/i, ErrorCode.WorktreeNotFound],
  [/not possible to fast-forward|Not possible to fast-forward/i, ErrorCode.NotFastForward],
  [/already a rebase-(merge|apply) directory|middle of another rebase/i, ErrorCode.RebaseInProgress],
  [/you must edit all merge conflicts|unmerged files|needs merge/i, ErrorCode.ConflictsUnresolved],
  [/You have not concluded your merge|MERGE_HEAD exists|merge is in progress/i, ErrorCode.MergeInProgress],
  [/CONFLICT \(|Merge conflict in/i, ErrorCode.MergeConflict],
  [
    /not a valid branch name|is not a valid (ref|branch) name|bad revision|invalid reference|unknown revision/i,
    ErrorCode.InvalidName,
  ],
  [/ENOENT|spawn git/i, ErrorCode.GitNotFound],
];

/** Turns what a failed git command printed into an error code. */
export function classifyGitError(stderr: string): ErrorCode {
  for (const [pattern, code] of patterns) {
    if (pattern.test(stderr)) return code;
  }
  return ErrorCode.Unknown;
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
    ErrorCode.DiskFull,
    `The disk is full${file ? ` (writing ${file})` : ''}. Free some space, then try again.`,
    { files: file ? [file] : [], cause: e },
  );
}

/** The file a full-disk message of git names (`'<path>'` or `file <path>`), if any. */
export function diskFullPath(stderr: string): string | undefined {
  const line = stderr.split('\n').find((l) => diskFull.test(l)) ?? '';
  return /'([^']+)'/.exec(line)?.[1] ?? /(?:write|file) (\S+?):? /.exec(line)?.[1];
}
