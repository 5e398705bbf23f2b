/**
 * The words of errors: an error's code and data become the text a person
 * reads, localized through vscode.l10n. This is the one place where English
 * for errors is made; the model throws codes and data (src/model/engine/errors.ts),
 * git's errors carry git's own words.
 */
import * as vscode from 'vscode';
import { ErrorCode, ErrorData, PlanError, PlanErrorCode, PlanErrorWrapper, WrapperData } from '../model/engine/errors';
import { LockOwner } from '../model/store/lock';
import { PlanBusyError } from '../model/store/planLock';

/** The text of any error, for a person. */
export function errorMessage(error: unknown): string {
  if (error instanceof PlanBusyError) return busyMessage(error);
  if (error instanceof PlanError) return planErrorMessage(error.code, error.data);
  if (error instanceof PlanErrorWrapper) return wrapperMessage(error.data, error.cause);
  return error instanceof Error ? error.message : String(error);
}

/** A list of files for a message: all of them when few, else the first five and how many more. */
export function describeFiles(files: readonly string[]): string {
  const shown = files
    .slice(0, 5)
    .map((f) => `"${f}"`)
    .join(', ');
  return files.length > 5 ? vscode.l10n.t('{0} and {1} more', shown, files.length - 5) : shown;
}

/** The text of a model error from its code and data (as a program that caught it sees them). */
export function planErrorMessage(code: PlanErrorCode, data: unknown): string {
  return (messages[code] as (data: unknown) => string)(data);
}

type Messages = { [C in PlanErrorCode]: (data: ErrorData[C]) => string };

/** One entry per code the model throws; a unit test checks that every code has one. */
const messages: Messages = {
  [ErrorCode.BranchNotFound]: (d) => {
    switch (d.reason) {
      case 'base':
        return vscode.l10n.t('The base branch "{0}" does not exist (or has no commit yet).', d.base);
      case 'planBranch':
        return vscode.l10n.t('The branch "{0}" of plan {1} does not exist.', d.branch, d.plan);
      case 'planBase':
        return vscode.l10n.t('The base branch "{0}" of plan {1} does not exist.', d.base, d.plan);
      case 'branch':
        return vscode.l10n.t('The branch "{0}" does not exist.', d.branch);
      case 'detachedHead':
        return vscode.l10n.t(
          'The main checkout is on a detached HEAD, so there is no base branch to start from. Check out a branch there, or choose the base branch.',
        );
      case 'noRemote':
        return vscode.l10n.t(
          'The base branch "{0}" has no remote to publish to. Add one with "git remote add origin <url>", or set an upstream for {0}.',
          d.base,
        );
      case 'pullRequest':
        return vscode.l10n.t(
          'The remote "{0}" has no pull request {1} ({2} does not exist there).',
          d.remote,
          d.number,
          d.ref,
        );
      case 'pullRequestRemote':
        return vscode.l10n.t(
          'The repository has no remote "{0}" to take pull requests from (setting planWorktrees.pullRequests.remote).',
          d.remote,
        );
    }
  },
  [ErrorCode.MainWorktree]: (d) => vscode.l10n.t('{0} is the main worktree; it is never removed.', d.path),
  [ErrorCode.NoRebaseInProgress]: (d) => vscode.l10n.t('Plan {0} is not in the middle of a rebase.', d.plan),
  [ErrorCode.NothingToCommit]: (d) =>
    vscode.l10n.t('There is nothing to commit: plan {0} has no uncommitted changes.', d.plan),
  [ErrorCode.RebaseChangesContent]: (d) =>
    vscode.l10n.t(
      "Rebasing plan {0} onto {1} would change {2}: a rebase drops the plan's merge commits and what was changed in them. Nothing was changed. Merge or squash it instead.",
      d.plan,
      d.base,
      describeFiles(d.files),
    ),
  [ErrorCode.BaseMoved]: (d) =>
    d.reason === 'changesMoved'
      ? vscode.l10n.t(
          "The main checkout's changes were moved away (by another window) while plan {0} was being created; nothing was moved, and the plan was not created.",
          d.plan,
        )
      : branchMoved(d.branch),
  [ErrorCode.PlanMoved]: (d) => branchMoved(d.branch),
  [ErrorCode.BaseDirty]: (d) => {
    switch (d.reason) {
      case 'uncommitted':
        return vscode.l10n.t(
          'The main checkout has uncommitted changes ({0}). Commit or stash them, or create the plan with "move" to take them along.',
          describeFiles(d.files),
        );
      case 'deletedAndUntracked':
        return vscode.l10n.t(
          'In the main checkout, {0} is deleted in the index but back on disk as an untracked file: git cannot move that change into a plan. Stage the file again ("git add") or restore it, then create the plan.',
          describeFiles(d.files),
        );
      case 'baseCheckout':
        return vscode.l10n.t(
          '{0} has {1} checked out with uncommitted changes in {2}. Commit or stash them, then merge again.',
          d.path,
          d.base,
          describeFiles(d.files),
        );
      case 'untrackedInTheWay':
        return vscode.l10n.t(
          'The merge would overwrite untracked or ignored files in {0}: {1}. Move them away, then merge again.',
          d.path,
          describeFiles(d.files),
        );
    }
  },
  [ErrorCode.PlanDirty]: (d) =>
    d.reason === 'merge'
      ? vscode.l10n.t(
          'Plan {0} has uncommitted changes in {1}. Commit them, or let the merge commit them first.',
          d.plan,
          describeFiles(d.files),
        )
      : d.reason === 'update'
        ? vscode.l10n.t('Plan {0} has uncommitted changes; commit them before updating it from {1}.', d.plan, d.base)
        : vscode.l10n.t('Plan {0} has uncommitted changes; commit them before rebasing onto {1}.', d.plan, d.base),
  [ErrorCode.PlanNotFound]: (d) =>
    d.reason === 'noPlan'
      ? d.run !== undefined
        ? vscode.l10n.t('Plan "{0}" has no run {1}.', d.plan, d.run)
        : vscode.l10n.t('There is no plan "{0}".', d.plan)
      : vscode.l10n.t('The registry entry of plan {0} disappeared while it was being created.', d.plan),
  [ErrorCode.SnapshotNotFound]: (d) => {
    switch (d.reason) {
      case 'noSnapshot':
        return vscode.l10n.t('There is no snapshot {0}.', d.ref);
      case 'noSnapshotOfPlan':
        return vscode.l10n.t('There is no snapshot of plan "{0}".', d.plan);
      case 'notSnapshotCommit':
        return vscode.l10n.t('"{0}" is not a snapshot commit.', d.commit);
      case 'notInRepository':
        return vscode.l10n.t('The snapshot {0} ({1}) is not in this repository.', d.ref, d.commit);
    }
  },
  [ErrorCode.SnapshotTooLarge]: (d) =>
    vscode.l10n.t(
      'The ignored files of {0} that a snapshot must keep take {1} MB, more than the limit of {2} MB (setting planWorktrees.snapshotLimitMB). The biggest: {3}. Delete or move out what you no longer need, add a folder that a build makes again to planWorktrees.disposableFolders, or raise the limit; then try again.',
      d.path,
      megabytes(d.totalBytes),
      d.limitMB,
      d.biggest.map((f) => vscode.l10n.t('{0} ({1} MB)', f.path, megabytes(f.bytes))).join(', '),
    ),
  [ErrorCode.RegistryCorrupt]: (d) =>
    d.reason === 'unreadable'
      ? vscode.l10n.t('{0}: {1}', d.path, d.problem)
      : vscode.l10n.t(
          'The plan registry {0} was not valid ({1}). It was saved as {2} and a new, empty registry was started; the worktrees themselves are untouched.',
          d.path,
          d.problem,
          d.aside,
        ),
  [ErrorCode.StateFileUnsafe]: (d) => {
    switch (d.reason) {
      case 'folderIsSymlink':
        return vscode.l10n.t(
          '{0} is a symbolic link; the state of Plan Worktrees is only kept in a real folder. Nothing was read or written there; remove it to let Plan Worktrees start afresh.',
          d.path,
        );
      case 'notAFolder':
        return vscode.l10n.t(
          '{0} is not a folder. Nothing was read or written there; remove it to let Plan Worktrees start afresh.',
          d.path,
        );
      case 'fileIsSymlink':
        return vscode.l10n.t(
          '{0} is a symbolic link; state files are opened only as regular files. Nothing was read or written there; remove it to let Plan Worktrees start afresh.',
          d.path,
        );
      case 'notAFile':
        return vscode.l10n.t(
          '{0} is not a regular file. Nothing was read or written there; remove it to let Plan Worktrees start afresh.',
          d.path,
        );
    }
  },
  [ErrorCode.StateFileTooLarge]: (d) =>
    vscode.l10n.t(
      '{0} is {1} long, far more than Plan Worktrees ever writes (at most {2} are read). It was not read; move it away if it is not yours.',
      d.path,
      size(d.size),
      size(d.maxBytes),
    ),
  [ErrorCode.StateFileInvalid]: (d) =>
    vscode.l10n.t(
      '{0} does not hold what Plan Worktrees writes there ({1} is not valid). It was not used; remove it if it is not yours.',
      d.path,
      d.field === '(file)' || d.field === 'json' ? vscode.l10n.t('the file') : d.field,
    ),
  [ErrorCode.ForeignBranch]: (d) =>
    vscode.l10n.t('{0}. Nothing was done; run the doctor, and correct or remove the entry in plans.json.', d.problem),
  [ErrorCode.LockTimeout]: (d) =>
    d.holder
      ? vscode.l10n.t(
          'Timed out after {0} ms waiting for the lock {1}, held by process {2} on {3} since {4}. If no other window is working, delete the lock file.',
          d.timeoutMs,
          d.path,
          d.holder.pid,
          d.holder.hostname,
          d.holder.time,
        )
      : vscode.l10n.t(
          'Timed out after {0} ms waiting for the lock {1}. If no other window is working, delete the lock file.',
          d.timeoutMs,
          d.path,
        ),
  [ErrorCode.PlanBusy]: (d) => busyText(d.subject, d.holder),
  [ErrorCode.PlanExists]: (d) => {
    switch (d.reason) {
      case 'exists':
        return vscode.l10n.t(
          'Plan {0} already exists (run {1}: branch {2}, folder {3}). Clean it up first, choose another id, or start a new run of it ("Start New Run" on the plan, or `newRun: true`).',
          d.plan,
          d.run,
          d.branch,
          d.path,
        );
      case 'activeAgain':
        return d.action === 'restore'
          ? vscode.l10n.t(
              'Plan {0} is active again (run {1}, {2}). Clean it up before restoring this snapshot.',
              d.plan,
              d.run,
              d.path,
            )
          : vscode.l10n.t(
              "Plan {0} is active again (run {1}, {2}); its earlier run's worktree was not recreated.",
              d.plan,
              d.run,
              d.path,
            );
      case 'worktreeStillThere':
        return d.folderGone
          ? vscode.l10n.t(
              'Plan {0} is {1} and git still lists its worktree {2}, whose folder is gone (the doctor prunes it). Clean it up before restoring this snapshot.',
              d.plan,
              d.status,
              d.path,
            )
          : vscode.l10n.t(
              'Plan {0} is {1} and its worktree is {2}. Clean it up before restoring this snapshot.',
              d.plan,
              d.status,
              d.path,
            );
      case 'activeNow':
        return vscode.l10n.t(
          'Plan {0} is active now ({1}); the worktree {2} was not added as a second plan {0}.',
          d.plan,
          d.path,
          d.found,
        );
    }
  },
  [ErrorCode.UnrelatedHistories]: () =>
    vscode.l10n.t(
      'The plan and its base have no common history (was it rewritten?); there is nothing to merge into. Nothing was changed.',
    ),
  [ErrorCode.RepositoryAmbiguous]: (d) =>
    d.plan !== undefined
      ? vscode.l10n.t(
          'Plan "{0}" exists in several repositories of this window ({1}): name the one you mean with "repository".',
          d.plan,
          d.repositories.join(', '),
        )
      : vscode.l10n.t(
          'This window has several repositories ({0}): name the one you mean with "repository".',
          d.repositories.join(', '),
        ),
  [ErrorCode.RepositoryNotOpen]: (d) =>
    vscode.l10n.t(
      '"{0}" is not in a repository of this window. Its repositories are: {1}.',
      d.path,
      d.repositories.join(', '),
    ),
  [ErrorCode.NotAGitRepository]: (d) =>
    d.reason === 'missingFolder'
      ? vscode.l10n.t('The folder "{0}" does not exist, so it is not in a git repository.', d.path)
      : vscode.l10n.t('"{0}" is not inside a git repository. Open a folder that is inside a git repository.', d.path),
  [ErrorCode.GitTooOld]: () =>
    vscode.l10n.t(
      'This git cannot check a merge without touching files ("git merge-tree --write-tree"). Install git 2.38 or newer.',
    ),
  [ErrorCode.Cancelled]: (d) =>
    d.reason === 'merge'
      ? vscode.l10n.t('The merge was cancelled; nothing was changed.')
      : vscode.l10n.t('The operation was cancelled.'),
  [ErrorCode.Untrusted]: (d) =>
    vscode.l10n.t(
      'The pre-remove command of plan {0} ("{1}") does not run while this folder is not trusted (Restricted Mode), so plan {0} was not cleaned up; nothing was changed. Trust the folder, or use Force Clean Up, which skips the command.',
      d.plan,
      d.command,
    ),
  [ErrorCode.PreRemoveFailed]: (d) => {
    const stopped = vscode.l10n.t(
      'The clean-up of plan {0} stopped before anything was changed. Fix it and clean up again, or use Force Clean Up, which skips the command.',
      d.plan,
    );
    const output = d.output.trim() ? ` ${vscode.l10n.t('Its last output: {0}', lastLines(d.output))}` : '';
    switch (d.reason) {
      case 'exitCode':
        return `${vscode.l10n.t('The pre-remove command "{0}" exited with status {1}.', d.command, d.exitCode)} ${stopped}${output}`;
      case 'signal':
        return `${vscode.l10n.t('The pre-remove command "{0}" was stopped by {1}.', d.command, d.signal)} ${stopped}${output}`;
      case 'timeout':
        return `${vscode.l10n.t('The pre-remove command "{0}" was still running after {1} seconds and was stopped.', d.command, d.timeoutSeconds)} ${stopped}${output}`;
      case 'notStarted':
        return `${vscode.l10n.t('The pre-remove command "{0}" could not start: {1}', d.command, d.problem)} ${stopped}`;
    }
  },
  [ErrorCode.NoFreePort]: (d) =>
    vscode.l10n.t(
      'No block of {0} free ports is left in {1}-{2}: active plans or other programs use them all. Clean up plans you no longer need, or widen the "planWorktrees.ports" setting.',
      d.blockSize,
      d.from,
      d.to,
    ),
  [ErrorCode.InvalidName]: (d) => {
    switch (d.reason) {
      case 'name':
        return d.problem;
      case 'notStartable':
        return vscode.l10n.t(
          'Not a plan that can be started: {0}',
          d.problem ?? vscode.l10n.t('{0} has no title.', d.file),
        );
      case 'statusNotWritten':
        return vscode.l10n.t('"{0}" is not a status the binding writes.', d.status);
      case 'planFileNotEditable':
        return vscode.l10n.t('{0} Its status is not written.', d.problem);
      case 'notAPlanFile':
        return vscode.l10n.t(
          '{0} is not a plan file the "planFiles" setting names; its status is not written.',
          d.file,
        );
      case 'notACommit':
        return vscode.l10n.t('"{0}" is not a commit id.', d.commit);
      case 'outsideWorktree':
        return vscode.l10n.t('"{0}" is not a path inside the plan\'s worktree {1}.', d.file, d.path);
      case 'insideGitDir':
        return vscode.l10n.t('The folder "{0}" is inside the git directory {1}.', d.path, d.gitDir);
      case 'subject':
        return vscode.l10n.t('The first line of the commit message must be one line of text, not empty.');
      case 'emptyCommitMessage':
        return vscode.l10n.t('Type a commit message first.');
      case 'lockReason':
        return vscode.l10n.t('The lock reason must be one line of printable text, at most 500 characters.');
      case 'noBranchToAdopt':
        return vscode.l10n.t('Name the branch the plan starts from.');
      case 'activityReport':
        return d.field === 'state'
          ? vscode.l10n.t('An activity report says waitingForInput, working or done.')
          : vscode.l10n.t('The message of an activity report is printable text, at most {0} characters.', 200);
      case 'pullRequestNumber':
        return vscode.l10n.t('"{0}" is not a pull request number (a whole number from 1).', d.value);
      case 'pullRequestWithBranch':
        return vscode.l10n.t('A plan starts from a pull request or from a branch, not both.');
      case 'pullRequestRef':
        return vscode.l10n.t(
          'The setting planWorktrees.pullRequests.ref ("{0}") must be a ref under "refs/" that contains "${number}", such as "refs/pull/${number}/head".',
          d.pattern,
        );
    }
  },
  [ErrorCode.PathMissing]: (d) => vscode.l10n.t('The folder of plan {0} is missing: {1}', d.plan, d.path),
  [ErrorCode.PathExists]: (d) => {
    switch (d.reason) {
      case 'folderExists':
        return vscode.l10n.t('The folder "{0}" already exists. Choose another folder, or remove it first.', d.path);
      case 'registeredWorktree':
        return vscode.l10n.t(
          'Git still has a worktree registered at "{0}" (its folder is gone). Run the doctor to prune it, or choose another folder.',
          d.path,
        );
      case 'cannotMakeFolder':
        return cannotMakeFolder(d);
      case 'restoreFolder':
        return vscode.l10n.t('The folder "{0}" already exists and is not empty.', d.path);
    }
  },
  [ErrorCode.BranchExists]: (d) =>
    d.reason === 'create'
      ? vscode.l10n.t(
          'The branch "{0}" already exists. Choose another id or branch name, or clean up the plan that uses it.',
          d.branch,
        )
      : vscode.l10n.t('The branch "{0}" already exists with other work, or is checked out elsewhere.', d.branch),
  [ErrorCode.BranchCheckedOut]: (d) =>
    vscode.l10n.t(
      'The branch "{0}" is checked out in {1}: a branch can be checked out in one worktree only. Switch that worktree to another branch first, or start the plan from another branch.',
      d.branch,
      d.path,
    ),
  [ErrorCode.WorktreeLocked]: (d) =>
    d.lockReason
      ? vscode.l10n.t('The worktree {0} is locked ({1}). Unlock it first, or force the cleanup.', d.path, d.lockReason)
      : vscode.l10n.t('The worktree {0} is locked. Unlock it first, or force the cleanup.', d.path),
  [ErrorCode.WorktreeDirty]: (d) => {
    switch (d.reason) {
      case 'detached':
        return vscode.l10n.t(
          'The worktree {0} is on commit {1}, which no branch contains. Create a branch for it, or force the cleanup (a snapshot keeps it).',
          d.path,
          d.head.slice(0, 12),
        );
      case 'nestedRepositories':
        return d.files.length === 1
          ? vscode.l10n.t(
              '{0} holds a git repository of its own ({1}), whose files a snapshot cannot keep. Move it out of the worktree, then clean up.',
              d.path,
              describeFiles(d.files),
            )
          : vscode.l10n.t(
              '{0} holds git repositories of its own ({1}), whose files a snapshot cannot keep. Move them out of the worktree, then clean up.',
              d.path,
              describeFiles(d.files),
            );
      case 'uncommitted':
        return vscode.l10n.t(
          'The worktree {0} has uncommitted changes: {1}. Commit them, or force the cleanup (a snapshot keeps them).',
          d.path,
          describeFiles(d.files),
        );
      case 'submodules':
        return d.files.length === 1
          ? vscode.l10n.t(
              'The submodule {0} in {1} has changes of its own, which a snapshot cannot keep. Commit and push them inside the submodule, or discard them there, then clean up.',
              describeFiles(d.files),
              d.path,
            )
          : vscode.l10n.t(
              'The submodules {0} in {1} have changes of their own, which a snapshot cannot keep. Commit and push them inside the submodules, or discard them there, then clean up.',
              describeFiles(d.files),
              d.path,
            );
      case 'stashNotInFolder':
        return vscode.l10n.t(
          'Not every change of the stash {0} is in {1}; the stash was kept.',
          d.stash.slice(0, 12),
          d.path,
        );
      case 'stashNowhere':
        return vscode.l10n.t(
          'No worktree has every change of the stash {0} any more; the stash was kept.',
          d.stash.slice(0, 12),
        );
      case 'notFromStash':
        return vscode.l10n.t(
          '{0} has changes that are not from the stash {1}; nothing was changed.',
          d.path,
          d.stash.slice(0, 12),
        );
    }
  },
  [ErrorCode.WorktreeNotFound]: (d) => {
    switch (d.reason) {
      case 'adminRecordComplete':
        return vscode.l10n.t(
          'The worktree record {0} is complete now (a worktree add finished it); nothing was removed.',
          d.path,
        );
      case 'mergeNotHalfway':
        return vscode.l10n.t(
          '{0} is no longer half-way through the merge of plan {1}; nothing was changed.',
          d.path,
          d.plan,
        );
      case 'notLeftBehind':
        return vscode.l10n.t('Plan {0} is no longer left behind by its merge; nothing was changed.', d.plan);
    }
  },
  [ErrorCode.MergeConflict]: (d) => {
    switch (d.reason) {
      case 'check':
        return vscode.l10n.t(
          'Plan {0} conflicts with {1} in {2}. Nothing was changed.',
          d.plan,
          d.base,
          describeFiles(d.files),
        );
      case 'replay':
        return vscode.l10n.t(
          'Replaying the plan\'s commit "{0}" onto the base conflicts in {1}. Nothing was changed.',
          d.subject,
          describeFiles(d.files),
        );
      case 'finishMerge':
        return vscode.l10n.t(
          'What was changed in {0} since the merge of plan {1} stopped conflicts with the merge in {2}; nothing was changed. Commit or move those changes, then finish the merge again.',
          d.path,
          d.plan,
          describeFiles(d.files),
        );
    }
  },
  [ErrorCode.MergeInProgress]: (d) =>
    d.reason === 'inFolder'
      ? vscode.l10n.t(
          '{0} is in progress in {1}. Finish or abort it, then merge again.',
          operationInProgress(d.operation, true),
          d.path,
        )
      : planInOperation(d),
  [ErrorCode.RebaseInProgress]: (d) =>
    d.reason === 'stopped'
      ? vscode.l10n.t('The rebase of plan {0} stopped: {1}', d.plan, d.problem)
      : planInOperation(d),
  [ErrorCode.ConflictsUnresolved]: (d) =>
    d.files.length === 1
      ? vscode.l10n.t(
          'Plan {0} still has conflicts in {1}. Resolve it (no conflict markers left), then continue the rebase.',
          d.plan,
          describeFiles(d.files),
        )
      : vscode.l10n.t(
          'Plan {0} still has conflicts in {1}. Resolve them (no conflict markers left), then continue the rebase.',
          d.plan,
          describeFiles(d.files),
        ),
  [ErrorCode.NotFastForward]: (d) =>
    vscode.l10n.t(
      '{0} has commits that plan {1} does not have, so it cannot be fast-forwarded. Use another strategy, or rebase the plan.',
      d.base,
      d.plan,
    ),
  [ErrorCode.IndexLocked]: (d) =>
    vscode.l10n.t('{0} was just taken by a running git command; it was left alone.', d.path),
  [ErrorCode.RefLocked]: (d) =>
    vscode.l10n.t(
      'The stash list kept changing while the stash {0} was being dropped; it is kept ("git stash list").',
      d.stash,
    ),
  [ErrorCode.Unknown]: (d) => {
    switch (d.reason) {
      case 'stashNotRecorded':
        return vscode.l10n.t("git stash did not record the main checkout's changes; nothing was moved.");
      case 'stashDropUnclear':
        return vscode.l10n.t(
          'git stash drop {0} did not say which stash it dropped ("{1}"); check "git stash list" for {2}.',
          d.name,
          d.answer,
          d.stash,
        );
      case 'cannotMakeFolder':
        return cannotMakeFolder(d);
    }
  },
};

function wrapperMessage(data: WrapperData, cause: unknown): string {
  switch (data.reason) {
    case 'undoIncomplete':
      return vscode.l10n.t(
        '{0} Undoing the create was incomplete: {1}',
        errorMessage(cause),
        data.problems.map(errorMessage).join(' '),
      );
    case 'stashKept':
      return data.clean
        ? vscode.l10n.t(
            'Your uncommitted changes are kept in the stash {0} ("{1}"), and {2} is as it was before they moved; run "git stash apply --index {0}" in {2} (the doctor offers it as "Put Back in Main Checkout"). ({3})',
            data.stash,
            data.stashMessage,
            data.path,
            errorMessage(cause),
          )
        : vscode.l10n.t(
            'Your uncommitted changes are kept in the stash {0} ("{1}"); run "git stash apply --index {0}" in {2} once the changes half-applied there are removed (the doctor offers it as "Put Back in Main Checkout"). ({3})',
            data.stash,
            data.stashMessage,
            data.path,
            errorMessage(cause),
          );
  }
}

function branchMoved(branch: string): string {
  return vscode.l10n.t('The branch "{0}" changed during the merge; nothing was merged. Try again.', branch);
}

function cannotMakeFolder(d: { path: string; why: string; problem?: string }): string {
  const why =
    d.why === 'fileInTheWay'
      ? vscode.l10n.t('a file is in the way')
      : d.why === 'permissionDenied'
        ? vscode.l10n.t('permission denied')
        : d.why === 'readOnly'
          ? vscode.l10n.t('the file system is read-only')
          : (d.problem ?? '');
  return vscode.l10n.t(
    "Cannot make the folder {0} for the plan's worktree: {1}. Choose another worktree location.",
    d.path,
    why,
  );
}

/** A plan in the middle of a rebase (or merge, cherry-pick, revert) refuses what cannot be done meanwhile. */
function planInOperation(d: ErrorData[typeof ErrorCode.RebaseInProgress] & { reason: 'planInOperation' }): string {
  const action =
    d.action === 'commit'
      ? vscode.l10n.t('commit')
      : d.base !== undefined
        ? vscode.l10n.t('rebase onto {0}', d.base)
        : vscode.l10n.t('rebase');
  return d.operation === 'rebase'
    ? vscode.l10n.t(
        'Plan {0} is in the middle of a rebase, so it cannot {1} now. Resolve its conflicts and continue the rebase, or abort it first.',
        d.plan,
        action,
      )
    : vscode.l10n.t(
        'Plan {0} is in the middle of {1}, so it cannot {2} now. Finish {1} or abort it first.',
        d.plan,
        operationInProgress(d.operation, false),
        action,
      );
}

/** "a rebase", "a merge", ... (capitalized at the start of a sentence). */
function operationInProgress(operation: string, start: boolean): string {
  switch (operation) {
    case 'rebase':
      return start ? vscode.l10n.t('A rebase') : vscode.l10n.t('a rebase');
    case 'merge':
      return start ? vscode.l10n.t('A merge') : vscode.l10n.t('a merge');
    case 'cherryPick':
    case 'cherry-pick':
      return start ? vscode.l10n.t('A cherry-pick') : vscode.l10n.t('a cherry-pick');
    case 'revert':
      return start ? vscode.l10n.t('A revert') : vscode.l10n.t('a revert');
    default:
      return operation;
  }
}

function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

/** A file size as the state-file messages say it: MB from one megabyte on, else bytes. */
function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? vscode.l10n.t('{0} MB', megabytes(bytes)) : vscode.l10n.t('{0} bytes', bytes);
}

/** Another window works on the plan (or merges into the branch): what it does, and that trying again later will do. */
export function busyMessage(error: PlanBusyError): string {
  return busyText(error.subject, error.holder);
}

function busyText(
  subject: ErrorData[typeof ErrorCode.PlanBusy]['subject'],
  holder: Pick<LockOwner, 'operation' | 'plan'> | undefined,
): string {
  const operation = holder
    ? operationName(
        holder.operation,
        holder.plan !== undefined && holder.plan !== subject.name ? holder.plan : undefined,
      )
    : undefined;
  switch (subject.kind) {
    case 'plan':
      return operation
        ? vscode.l10n.t(
            'Plan {0} is busy: {1} in another window. Try again when it has finished.',
            subject.name,
            operation,
          )
        : vscode.l10n.t('Plan {0} is busy in another window. Try again when it has finished.', subject.name);
    case 'branch': {
      const branch = subject.name.replace(/^refs\/heads\//, '');
      return operation
        ? vscode.l10n.t(
            'The branch {0} is busy: {1} in another window. Try again when it has finished.',
            branch,
            operation,
          )
        : vscode.l10n.t('The branch {0} is busy in another window. Try again when it has finished.', branch);
    }
    case 'worktree':
      return operation
        ? vscode.l10n.t(
            'The worktree {0} is busy: {1} in another window. Try again when it has finished.',
            subject.name,
            operation,
          )
        : vscode.l10n.t('The worktree {0} is busy in another window. Try again when it has finished.', subject.name);
  }
}

/** The operation another window runs, as a person would say it ("a merge of plan 7"). */
function operationName(operation: string | undefined, plan: string | undefined): string {
  const fix = /^doctor: (.*)$/.exec(operation ?? '')?.[1];
  const names: Record<string, string> = {
    create: vscode.l10n.t('creating a plan'),
    merge: vscode.l10n.t('a merge'),
    cleanup: vscode.l10n.t('a clean-up'),
    discard: vscode.l10n.t('a discard'),
    restore: vscode.l10n.t('a restore from a snapshot'),
    commit: vscode.l10n.t('a commit'),
    publish: vscode.l10n.t('publishing'),
    rebase: vscode.l10n.t('a rebase onto its base'),
    'rebase.continue': vscode.l10n.t('continuing a rebase'),
    'rebase.abort': vscode.l10n.t('aborting a rebase'),
    lock: vscode.l10n.t('locking the worktree'),
    unlock: vscode.l10n.t('unlocking the worktree'),
  };
  const name =
    fix !== undefined
      ? vscode.l10n.t('the doctor\'s "{0}"', fix)
      : (names[operation ?? ''] ?? vscode.l10n.t('an operation'));
  return plan === undefined ? name : vscode.l10n.t('{0} of plan {1}', name, plan);
}

/** The last three lines of a command's output, on one line. */
function lastLines(output: string): string {
  return output.trim().split(/\r?\n/).slice(-3).join(' / ');
}
