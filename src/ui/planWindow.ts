/**
 * What a plan's own window does when it opens: terminals get the plan's
 * environment (PLAN_WORKTREES_ID, _BRANCH, _BASE, _MAIN, _PORT), and the setup
 * command left by the window that created the plan runs as a task whose exit
 * code is recorded (src/ui/setupTask.ts).
 */
import * as vscode from 'vscode';
import { planEnvironment } from '../model/environment/planEnvironment';
import { takePendingSetup } from '../model/store/pendingSetup';
import { runSetupTask } from './setupTask';
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
    for (const [name, value] of Object.entries(planEnvironment(plan, engine.repo.mainPath))) env.replace(name, value);
    const command = vscode.workspace.isTrusted ? await takePendingSetup(engine.repo.commonDir, plan) : undefined;
    if (command) {
      void runSetupTask(engine, plan, command, repositories.log).catch((e) => repositories.log.error(e));
    }
    return;
  }
}
