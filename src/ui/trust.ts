/**
 * Restricted Mode (VS Code's workspace trust). While the folder is not
 * trusted, the git runner refuses every command that could start a program
 * the repository names (see `runsNothingTheRepositoryNames` in src/git/git.ts);
 * here the UI says so once, the same way everywhere, with the way out.
 */
import * as vscode from 'vscode';
import { ErrorCode, PlanWorktreesError } from '../model/engine/errors';

export function isTrusted(): boolean {
  return vscode.workspace.isTrusted;
}

/** The note the tree, the commands and the API give while the folder is not trusted. */
export function restrictedModeNote(): string {
  return vscode.l10n.t('Restricted Mode: trust this folder to see changes and use commands.');
}

/** Throws `Untrusted` (with the note) unless the folder is trusted. */
export function requireTrust(): void {
  if (!isTrusted()) throw new PlanWorktreesError(ErrorCode.Untrusted, restrictedModeNote());
}

/** Tells the person why nothing happened, with a button that opens workspace trust. */
export async function explainRestrictedMode(): Promise<void> {
  const manage = vscode.l10n.t('Manage Workspace Trust');
  const picked = await vscode.window.showInformationMessage(restrictedModeNote(), manage);
  if (picked === manage) await vscode.commands.executeCommand('workbench.trust.manage');
}

/** Calls `onTrusted` when the person trusts the folder (no reload needed). */
export function onDidGrantTrust(onTrusted: () => unknown): vscode.Disposable {
  return vscode.workspace.onDidGrantWorkspaceTrust(() => void onTrusted());
}
