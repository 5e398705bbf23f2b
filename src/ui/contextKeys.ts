/**
 * The context keys the manifest's `when` clauses use. Set only here.
 */
import * as vscode from 'vscode';

/** `planWorktrees.state`: which welcome view the tree shows. */
export type ViewState = 'noRepository' | 'gitMissing' | 'ready';

export function setViewState(state: ViewState): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', 'planWorktrees.state', state);
}

export function setHasPlans(hasPlans: boolean): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', 'planWorktrees.hasPlans', hasPlans);
}

export function setIsPlanWindow(isPlanWindow: boolean): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', 'planWorktrees.isPlanWindow', isPlanWindow);
}
