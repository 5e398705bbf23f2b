/**
 * Wires the three layers together and nothing else: the git runner, the
 * engines of the workspace's repositories, and the views and commands.
 */
import * as vscode from 'vscode';
import { Git } from './git/git';
import { PlanRecord } from './model/types';
import { registerCommands } from './ui/commands';
import { MainCheckoutGuard } from './ui/guard';
import { PlanBaseContentProvider } from './ui/planBaseContent';
import { PlanTreeProvider } from './ui/planTree';
import { preparePlanWindow } from './ui/planWindow';
import { PlanRepositories } from './ui/repositories';
import { PlanSourceControls } from './ui/scm';
import { GuardStatusBar } from './ui/statusBar';
import { createApi, PlanWorktreesApi } from './ui/api';

export async function activate(context: vscode.ExtensionContext): Promise<PlanWorktreesApi> {
  const log = vscode.window.createOutputChannel('Plan Worktrees', { log: true });
  const git = new Git({ log });
  const repositories = new PlanRepositories(git, log);
  const guard = new MainCheckoutGuard(repositories, log);
  const statusBar = new GuardStatusBar(repositories, guard);
  const tree = new PlanTreeProvider(repositories);
  const scm = new PlanSourceControls(repositories);
  const treeView = vscode.window.createTreeView('planWorktrees.plans', { treeDataProvider: tree, showCollapseAll: true });
  context.subscriptions.push(
    log,
    repositories,
    guard,
    statusBar,
    tree,
    treeView,
    PlanBaseContentProvider.register(repositories),
    scm,
    registerCommands({ repositories, scm, guard, log }),
  );
  log.info(`Plan Worktrees ${context.extension.packageJSON.version} activated`);
  await repositories.discover();
  await preparePlanWindow(context, repositories);
  const api = createApi(repositories);
  if (context.extensionMode === vscode.ExtensionMode.Test) {
    return Object.assign(api, { testing: { repositories, guard, statusBar, tree, treeView, scm } });
  }
  return api;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

export type { PlanRecord, PlanWorktreesApi };
