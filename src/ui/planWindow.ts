/**
 * What a plan's own window does when it opens: terminals get the plan's
 * environment (PLAN_WORKTREES_ID, _BRANCH, _BASE, _MAIN), and the setup
 * command left by the window that created the plan runs in a terminal.
 */
import * as vscode from 'vscode';
import { takePendingSetup } from '../model/store/pendingSetup';
import { runInTerminal } from './commands/create';
import { PlanRepositories } from './repositories';

/** Fills this window's terminal environment from the plan the window is in (any of `repositories`' engines), or clears it. */
export async function preparePlanWindow(
  context: vscode.ExtensionContext,
  repositories: Pick<PlanRepositories, 'engines' | 'log'>,
): Promise<void> {
  const env = context.environmentVariableCollection;
  env.clear();
  for (const engine of repositories.engines) {
    const plan = await engine.currentPlan().catch(() => undefined);
    if (!plan) continue;
    env.description = vscode.l10n.t('Plan {0}: {1}', plan.id, plan.title);
    env.replace('PLAN_WORKTREES_ID', plan.id);
    env.replace('PLAN_WORKTREES_BRANCH', plan.branch);
    env.replace('PLAN_WORKTREES_BASE', plan.base);
    env.replace('PLAN_WORKTREES_MAIN', engine.repo.mainPath);
    const command = vscode.workspace.isTrusted ? await takePendingSetup(engine.repo.commonDir, plan.id) : undefined;
    if (command) {
      repositories.log.info(`Running the setup command of plan ${plan.id}: ${command}`);
      runInTerminal(plan, command);
    }
    return;
  }
}
