/**
 * The context keys the manifest's `when` clauses use (and one round trip to the window). Set only here.
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

/**
 * `planWorktrees.started`: set once at start-up; no `when` clause uses it.
 * Setting it is a round trip to the window, whose reply comes after the
 * window told every tree view registered before it whether it shows (see
 * PlanTreeProvider.waitForFirstPaint).
 */
export function windowRoundTrip(): Thenable<unknown> {
  return vscode.commands.executeCommand('setContext', 'planWorktrees.started', true);
}
