/**
 * The model's errors: its refusals (a dirty plan, a corrupt registry, a
 * branch that is not the plan's, ...) as a code and the data that explains
 * them — the plan, its base, the files, the folder, which refusal of the code
 * it is — and no sentence. src/ui/messages.ts turns code + data into the text
 * a person reads; `describe` below makes the short English that logs and the
 * API show, in this one place.
 *
 * Codes come in two families that share one namespace: git's
 * (`GitErrorCode`, src/git/errors.ts: what git or the runner says) and the
 * model's (`DomainCode`: judgements only the model makes). A model error can
 * carry a git-level code when it means the same for the person (a merge check
 * that finds conflicts is a `MergeConflict`, with its "Show Conflicting Files"
 * button). `ErrorCode` is both, for the UI and the tests to switch on.
 */
import { ErrorDetails, GitErrorCode, PlanWorktreesError } from '../../git/errors';
import { GitOperation } from '../../git/operation';

export { isError, PlanWorktreesError } from '../../git/errors';

/** Refusals and findings only the model makes. */
export enum DomainCode {
  /** A branch the operation needs (the plan's, its base, the main checkout's) is not there. */
  BranchNotFound = 'BranchNotFound',
  /** The main worktree was asked to be removed. */
  MainWorktree = 'MainWorktree',
  /** Continue or abort was asked of a worktree that is not rebasing. */
  NoRebaseInProgress = 'NoRebaseInProgress',
  /** A commit was asked for with no change to commit. */
  NothingToCommit = 'NothingToCommit',
  /** A rebase would give other files than a merge of the same commits (it drops merge commits). */
  RebaseChangesContent = 'RebaseChangesContent',
  BaseMoved = 'BaseMoved',
  BaseDirty = 'BaseDirty',
  PlanDirty = 'PlanDirty',
  PlanNotFound = 'PlanNotFound',
  SnapshotNotFound = 'SnapshotNotFound',
  SnapshotTooLarge = 'SnapshotTooLarge',
  RegistryCorrupt = 'RegistryCorrupt',
  /** A state file or the state folder is a symbolic link or not a regular file/folder: it is not opened. */
  StateFileUnsafe = 'StateFileUnsafe',
  /** A state file is far larger than any real one: it is not read. */
  StateFileTooLarge = 'StateFileTooLarge',
  /** A state file holds something Plan Worktrees never writes (`field` names the member that is wrong): it is not used. */
  StateFileInvalid = 'StateFileInvalid',
  /** A plan's record names a branch or worktree that is not its own: nothing is done with it. */
  ForeignBranch = 'ForeignBranch',
  LockTimeout = 'LockTimeout',
  /** Another window is running an operation on the same plan (or merging into the same branch). */
  PlanBusy = 'PlanBusy',
  PlanExists = 'PlanExists',
  PlanMoved = 'PlanMoved',
  /** The plan's branch and its base share no commit (a history rewritten by hand): there is nothing to merge into. */
  UnrelatedHistories = 'UnrelatedHistories',
  /** No block of free ports is left in the port range for a new plan. */
  NoFreePort = 'NoFreePort',
  /** The pre-remove command failed (or could not start, or ran past its time limit): the clean-up stopped before anything changed. */
  PreRemoveFailed = 'PreRemoveFailed',
  /** Several repositories are open and a program's call names none of them (`repository`): nothing is guessed. */
  RepositoryAmbiguous = 'RepositoryAmbiguous',
  /** The `repository` a call names is not one of the window's repositories (nor inside one). */
  RepositoryNotOpen = 'RepositoryNotOpen',
}

/** Every code an error of Plan Worktrees carries: git's and the model's. */
export const ErrorCode = { ...GitErrorCode, ...DomainCode } as const;
export type ErrorCode = GitErrorCode | DomainCode;

/** What cannot be done while a plan is in the middle of another operation. */
export type BlockedAction = 'commit' | 'rebase';

/**
 * The data of each refusal, by code. Where a code has several refusals,
 * `reason` says which one it is. Files a person may want to see are in
 * `files` (the UI's "Show Files" button lists them).
 */
export interface ErrorData {
  [ErrorCode.BranchNotFound]:
    | { reason: 'base'; base: string }
    | { reason: 'planBranch'; plan: string; branch: string }
    | { reason: 'planBase'; plan: string; base: string }
    | { reason: 'branch'; branch: string }
    | { reason: 'detachedHead' }
    | { reason: 'noRemote'; base: string }
    | { reason: 'pullRequest'; number: number; remote: string; ref: string }
    | { reason: 'pullRequestRemote'; remote: string };
  [ErrorCode.MainWorktree]: { path: string };
  [ErrorCode.NoRebaseInProgress]: { plan: string };
  [ErrorCode.NothingToCommit]: { plan: string };
  [ErrorCode.RebaseChangesContent]: { plan: string; base: string; files: string[] };
  [ErrorCode.BaseMoved]:
    { reason: 'changesMoved'; plan: string; files: string[] } | { reason: 'branchMoved'; branch: string };
  [ErrorCode.PlanMoved]: { reason: 'branchMoved'; branch: string };
  [ErrorCode.BaseDirty]:
    | { reason: 'uncommitted'; files: string[] }
    | { reason: 'deletedAndUntracked'; files: string[] }
    | { reason: 'baseCheckout'; path: string; base: string; files: string[] }
    | { reason: 'untrackedInTheWay'; path: string; files: string[] };
  [ErrorCode.PlanDirty]:
    | { reason: 'merge'; plan: string; files: string[] }
    | { reason: 'rebase'; plan: string; base: string }
    | { reason: 'update'; plan: string; base: string };
  [ErrorCode.PlanNotFound]:
    { reason: 'noPlan'; plan: string; run?: number } | { reason: 'entryDisappeared'; plan: string };
  [ErrorCode.SnapshotNotFound]:
    | { reason: 'noSnapshot'; ref: string }
    | { reason: 'noSnapshotOfPlan'; plan: string }
    | { reason: 'notSnapshotCommit'; commit: string }
    | { reason: 'notInRepository'; ref: string; commit: string };
  [ErrorCode.SnapshotTooLarge]: {
    path: string;
    totalBytes: number;
    limitMB: number;
    /** The biggest ignored files, biggest first. */
    biggest: { path: string; bytes: number }[];
    files: string[];
  };
  [ErrorCode.RegistryCorrupt]:
    | { reason: 'unreadable'; path: string; problem: string; files: string[] }
    | { reason: 'setAside'; path: string; aside: string; problem: string; files: string[] };
  [ErrorCode.StateFileUnsafe]: {
    reason: 'folderIsSymlink' | 'notAFolder' | 'fileIsSymlink' | 'notAFile';
    path: string;
    files: string[];
  };
  [ErrorCode.StateFileTooLarge]: { path: string; size: number; maxBytes: number; files: string[] };
  [ErrorCode.StateFileInvalid]: { path: string; field: string; files: string[] };
  [ErrorCode.ForeignBranch]: { problem: string };
  [ErrorCode.LockTimeout]: {
    timeoutMs: number;
    path: string;
    holder?: { pid: number; hostname: string; time: string };
    files: string[];
  };
  [ErrorCode.PlanBusy]: {
    subject: { kind: 'plan' | 'branch' | 'worktree'; name: string };
    /** Who holds the lock, when its lock file could be read. */
    holder?: { pid: number; hostname: string; time: string; operation?: string; plan?: string };
  };
  [ErrorCode.PlanExists]:
    | { reason: 'exists'; plan: string; run: number; branch: string; path: string }
    | { reason: 'activeAgain'; plan: string; run: number; path: string; action: 'restore' | 'recreate' }
    | { reason: 'worktreeStillThere'; plan: string; status: string; path: string; folderGone: boolean; files: string[] }
    | { reason: 'activeNow'; plan: string; path: string; found: string };
  [ErrorCode.UnrelatedHistories]: { baseCommit: string; planCommit: string };
  /** `repositories`: the main worktrees of the window's repositories; `plan`: the id several of them have. */
  [ErrorCode.RepositoryAmbiguous]: { repositories: string[]; plan?: string };
  [ErrorCode.RepositoryNotOpen]: { path: string; repositories: string[] };
  /** `output`: the last lines the command printed (all of it is in the log). */
  [ErrorCode.PreRemoveFailed]:
    | { reason: 'exitCode'; plan: string; command: string; output: string; exitCode: number }
    | { reason: 'signal'; plan: string; command: string; output: string; signal: string }
    | { reason: 'timeout'; plan: string; command: string; output: string; timeoutSeconds: number }
    | { reason: 'notStarted'; plan: string; command: string; output: string; problem: string };

  // Git-level codes, when the model refuses for the same reason git would.
  [ErrorCode.NotAGitRepository]: { reason: 'missingFolder' | 'notInRepository'; path: string };
  [ErrorCode.GitTooOld]: { reason: 'mergeTree' };
  [ErrorCode.Cancelled]: { reason: 'operation' | 'merge' };
  /** A program the repository or the settings name would run: never while the folder is not trusted. */
  [ErrorCode.Untrusted]: { reason: 'preRemoveCommand'; plan: string; command: string };
  [ErrorCode.NoFreePort]: { from: number; to: number; blockSize: number };
  [ErrorCode.InvalidName]:
    | { reason: 'name'; problem: string }
    | { reason: 'notStartable'; file: string; problem?: string }
    | { reason: 'statusNotWritten'; status: string }
    | { reason: 'planFileNotEditable'; problem: string }
    | { reason: 'notAPlanFile'; file: string }
    | { reason: 'notACommit'; commit: string }
    | { reason: 'outsideWorktree'; file: string; path: string }
    | { reason: 'insideGitDir'; path: string; gitDir: string }
    | { reason: 'subject' }
    | { reason: 'emptyCommitMessage' }
    | { reason: 'lockReason' }
    | { reason: 'noBranchToAdopt' }
    | { reason: 'activityReport'; field: 'state' | 'message' }
    | { reason: 'pullRequestNumber'; value: string }
    | { reason: 'pullRequestRef'; pattern: string }
    | { reason: 'pullRequestWithBranch' };
  [ErrorCode.PathMissing]: { plan: string; path: string };
  [ErrorCode.PathExists]:
    | { reason: 'folderExists'; path: string; files: string[] }
    | { reason: 'registeredWorktree'; path: string; files: string[] }
    | CannotMakeFolder
    | { reason: 'restoreFolder'; path: string };
  [ErrorCode.BranchExists]: { reason: 'create'; branch: string } | { reason: 'restore'; branch: string };
  [ErrorCode.BranchCheckedOut]: { reason: 'adopt'; branch: string; path: string };
  [ErrorCode.WorktreeLocked]: { path: string; lockReason: string; files: string[] };
  [ErrorCode.WorktreeDirty]:
    | { reason: 'detached'; path: string; head: string }
    | { reason: 'nestedRepositories'; path: string; files: string[] }
    | { reason: 'uncommitted'; path: string; files: string[] }
    | { reason: 'submodules'; path: string; files: string[] }
    | { reason: 'stashNotInFolder'; stash: string; path: string }
    | { reason: 'stashNowhere'; stash: string }
    | { reason: 'notFromStash'; stash: string; path: string };
  [ErrorCode.WorktreeNotFound]:
    | { reason: 'adminRecordComplete'; path: string }
    | { reason: 'mergeNotHalfway'; plan: string; path: string }
    | { reason: 'notLeftBehind'; plan: string };
  [ErrorCode.MergeConflict]:
    | { reason: 'check'; plan: string; base: string; files: string[] }
    | { reason: 'replay'; subject: string; files: string[] }
    | { reason: 'finishMerge'; plan: string; path: string; files: string[] };
  [ErrorCode.MergeInProgress]:
    | { reason: 'inFolder'; operation: string; path: string }
    | { reason: 'planInOperation'; plan: string; base?: string; operation: GitOperation; action: BlockedAction };
  [ErrorCode.RebaseInProgress]:
    | { reason: 'planInOperation'; plan: string; base?: string; operation: GitOperation; action: BlockedAction }
    | { reason: 'stopped'; plan: string; problem: string };
  [ErrorCode.ConflictsUnresolved]: { plan: string; files: string[] };
  [ErrorCode.NotFastForward]: { plan: string; base: string };
  [ErrorCode.IndexLocked]: { path: string };
  [ErrorCode.RefLocked]: { reason: 'stashListChanging'; stash: string };
  [ErrorCode.Unknown]:
    | { reason: 'stashNotRecorded' }
    | { reason: 'stashDropUnclear'; stash: string; name: string; answer: string }
    | CannotMakeFolder;
}

/** A folder for a plan's worktree could not be made: `why`, and the system's own words when it is none of those. */
export interface CannotMakeFolder {
  reason: 'cannotMakeFolder';
  path: string;
  why: 'fileInTheWay' | 'permissionDenied' | 'readOnly' | 'other';
  problem?: string;
  files: string[];
}

/** The codes the model throws with data. */
export type PlanErrorCode = keyof ErrorData;

/**
 * Errors that wrap another one (`cause`) and say what more happened: they
 * keep the code of what they wrap, so the UI's buttons stay those of the
 * first failure.
 */
export type WrapperData =
  | { reason: 'undoIncomplete'; problems: Error[]; files: string[] }
  | { reason: 'stashKept'; stash: string; stashMessage: string; path: string; clean: boolean; files: string[] };

/** A refusal of the model: a code and its data, no sentence (src/ui/messages.ts makes it). */
export class PlanError<C extends PlanErrorCode = PlanErrorCode> extends PlanWorktreesError<C> {
  constructor(
    code: C,
    readonly data: ErrorData[C],
    details: Omit<ErrorDetails, 'files'> = {},
  ) {
    super(code, describe(code, data), { ...details, files: filesOf(data) });
    this.name = 'PlanError';
  }
}

/** An error that wraps `cause` (keeping its code) and says what more happened. */
export class PlanErrorWrapper extends PlanWorktreesError<ErrorCode> {
  constructor(
    cause: unknown,
    readonly data: WrapperData,
  ) {
    const code = cause instanceof PlanWorktreesError ? (cause.code as ErrorCode) : ErrorCode.Unknown;
    super(code, `${describe(data.reason, data)} (${cause instanceof Error ? cause.message : String(cause)})`, {
      files: data.files,
      cause,
    });
    this.name = 'PlanError';
  }
}

/**
 * What an event in the log records of an error: its short English (for the
 * log), and, for the model's errors, its code and data, so that the UI can
 * say it again in words (the history).
 */
export function errorRecord(e: unknown): { error: string; code?: string; data?: unknown } {
  const error = e instanceof Error ? e.message : String(e);
  if (e instanceof PlanError) return { error, code: e.code, data: e.data };
  return e instanceof PlanWorktreesError ? { error, code: e.code } : { error };
}

/**
 * The short English of an error, made from its code and data: for logs and
 * the API, not for the person (src/ui/messages.ts speaks to them).
 */
export function describe(code: string, data: object): string {
  const parts = Object.entries(data)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => (key === 'reason' ? String(value) : `${key} ${shown(value)}`));
  return parts.length > 0 ? `${code}: ${parts.join(', ')}` : code;
}

/** A value of the data, short and on one line: lists cut after five, long text cut, control characters escaped. */
function shown(value: unknown): string {
  if (Array.isArray(value)) {
    const first = value.slice(0, 5).map(shown).join(', ');
    return value.length > 5 ? `${first} and ${value.length - 5} more` : first;
  }
  if (value instanceof Error) return oneLine(value.message);
  if (typeof value === 'object' && value !== null) return oneLine(JSON.stringify(value));
  return oneLine(String(value));
}

const unprintable = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

function oneLine(text: string): string {
  const escaped = text.replace(unprintable, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > 200 ? `${escaped.slice(0, 200)}…` : escaped;
}

function filesOf(data: object): string[] {
  const files = (data as { files?: unknown }).files;
  return Array.isArray(files) ? (files as string[]) : [];
}
