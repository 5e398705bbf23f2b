/**
 * Wires the three layers together and nothing else: the git runner, the
 * model, and the views and commands of src/ui.
 */
import * as vscode from 'vscode';
import { ErrorCode, PlanWorktreesError } from './git/errors';
import { Git } from './git/git';
import { registerCommands } from './ui/commands';
import { setHasPlans, setViewState, ViewState } from './ui/contextKeys';

export interface PlanWorktreesApi {
  /** The version of the API object; grows as features land. */
  readonly version: 1;
}

export async function activate(context: vscode.ExtensionContext): Promise<PlanWorktreesApi> {
  const log = vscode.window.createOutputChannel('Plan Worktrees', { log: true });
  context.subscriptions.push(log);
  const git = new Git({ log });

  const refresh = async (): Promise<void> => {
    const state = await detectViewState(git, log);
    await setViewState(state);
    await setHasPlans(false);
  };
  context.subscriptions.push(registerCommands({ refresh, log }));
  context.subscriptions.push(vscode.window.registerTreeDataProvider('planWorktrees.plans', { getChildren: () => [], getTreeItem: (item: vscode.TreeItem) => item }));
  log.info(`Plan Worktrees ${context.extension.packageJSON.version} activated`);
  await refresh();
  return { version: 1 };
}

async function detectViewState(git: Git, log: vscode.LogOutputChannel): Promise<ViewState> {
  try {
    await git.checkVersion();
  } catch (e) {
    log.error(e instanceof Error ? e : String(e));
    return 'gitMissing';
  }
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== 'file') continue;
    try {
      await git.run(['rev-parse', '--git-common-dir'], { cwd: folder.uri.fsPath });
      return 'ready';
    } catch (e) {
      if (!(e instanceof PlanWorktreesError && e.code === ErrorCode.NotAGitRepository)) log.warn(`${folder.uri.fsPath}: ${String(e)}`);
    }
  }
  return 'noRepository';
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
