/**
 * Turns engine errors into messages a person can act on: the reason, and
 * where it helps a button ("Show Conflicting Files", "Force Clean Up…",
 * "Show Log"). The UI switches on the error's code, never on its text.
 */
import * as vscode from 'vscode';
import { ErrorCode, PlanWorktreesError } from '../git/errors';
import { PlanBusyError } from '../model/store/planLock';
import { explainRestrictedMode } from './trust';

export interface ErrorAction {
  title: string;
  run(): unknown;
}

/**
 * Shows an error. `actions` are offered before "Show Log"; the files an error
 * names (conflicts, dirty files) get a "Show Files" action of their own.
 */
export async function showError(
  log: vscode.LogOutputChannel,
  what: string,
  error: unknown,
  actions: ErrorAction[] = [],
): Promise<void> {
  if (error instanceof PlanWorktreesError && error.code === ErrorCode.Cancelled) {
    log.info(`${what}: cancelled`);
    return;
  }
  if (error instanceof PlanWorktreesError && error.code === ErrorCode.Untrusted) {
    log.info(`${what}: not run in Restricted Mode`);
    return explainRestrictedMode();
  }
  const message =
    error instanceof PlanBusyError ? busyMessage(error) : error instanceof Error ? error.message : String(error);
  log.error(
    `${what}: ${error instanceof Error ? error.message : String(error)}${error instanceof PlanWorktreesError && error.stderr ? `\n${error.stderr}` : ''}`,
  );
  const all = [...actions];
  if (error instanceof PlanWorktreesError && error.files.length > 0) {
    const title =
      error.code === ErrorCode.MergeConflict ? vscode.l10n.t('Show Conflicting Files') : vscode.l10n.t('Show Files');
    all.push({ title, run: () => showFiles(error) });
  }
  if (error instanceof PlanWorktreesError && error.code === ErrorCode.WorktreeAdminBroken) {
    all.unshift({
      title: vscode.l10n.t('Run Doctor'),
      run: () => vscode.commands.executeCommand('planWorktrees.doctor'),
    });
  }
  all.push({ title: vscode.l10n.t('Show Log'), run: () => log.show() });
  const picked = await vscode.window.showErrorMessage(
    vscode.l10n.t('{0}: {1}', what, message),
    ...all.map((a) => a.title),
  );
  await all.find((a) => a.title === picked)?.run();
}

async function showFiles(error: PlanWorktreesError): Promise<void> {
  const title =
    error.code === ErrorCode.MergeConflict
      ? vscode.l10n.t('Conflicting files ({0})', error.files.length)
      : vscode.l10n.t('Files ({0})', error.files.length);
  await vscode.window.showQuickPick(error.files, { title, placeHolder: error.message });
}

/** Another window works on the plan (or merges into the branch): what it does, and that trying again later will do. */
export function busyMessage(error: PlanBusyError): string {
  const { subject, holder } = error;
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
