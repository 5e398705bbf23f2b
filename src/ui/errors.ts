/**
 * Turns engine errors into messages a person can act on: the reason, and
 * where it helps a button ("Show Conflicting Files", "Force Clean Up…",
 * "Show Log"). The UI switches on the error's code, never on its text.
 */
import * as vscode from 'vscode';
import { ErrorCode, PlanWorktreesError } from '../model/engine/errors';
import { errorMessage } from './messages';
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
  const message = errorMessage(error);
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
  await vscode.window.showQuickPick(error.files, { title, placeHolder: errorMessage(error) });
}
