/**
 * The setup command (`postCreateCommand`) as a VS Code task in the plan's
 * folder, with the plan's environment: its output is in the task's terminal,
 * and its end — the exit code — is recorded in the plan's registry record and
 * history (src/model/environment/setupResult.ts), so the tree can say "setup
 * failed" and offer Show Setup Output and Run Setup Again. Never in an
 * untrusted workspace.
 */
import * as vscode from 'vscode';
import { PlanEngine } from '../model/engine/planEngine';
import { PlanRecord } from '../model/engine/types';
import { expandSetupCommand, planEnvironment } from '../model/environment/planEnvironment';
import { requireTrust } from './trust';

/** The task type of setup commands (package.json `taskDefinitions`). */
export const SETUP_TASK_TYPE = 'planWorktrees';

/** The setup tasks this window started and has not seen end, by plan key. */
const running = new Map<string, vscode.TaskExecution>();

function key(plan: Pick<PlanRecord, 'id' | 'run'>): string {
  return `${plan.id}\0${plan.run}`;
}

/** The task's name: the terminal it runs in is named after it. */
export function setupTaskName(plan: Pick<PlanRecord, 'id'>): string {
  return vscode.l10n.t('Plan {0} setup', plan.id);
}

/**
 * Runs `command` as the setup task of `plan` and records its start; resolves
 * with its exit code once it ends (undefined when its terminal was closed
 * before it ended), recorded too.
 */
export async function runSetupTask(
  engine: PlanEngine,
  plan: PlanRecord,
  command: string,
  log: vscode.LogOutputChannel,
): Promise<number | undefined> {
  requireTrust();
  const task = new vscode.Task(
    { type: SETUP_TASK_TYPE, plan: plan.id },
    vscode.TaskScope.Workspace,
    setupTaskName(plan),
    'Plan Worktrees',
    new vscode.ShellExecution(expandSetupCommand(command, plan), {
      cwd: plan.path,
      env: planEnvironment(plan, engine.repo.mainPath),
    }),
  );
  task.presentationOptions = {
    reveal: vscode.TaskRevealKind.Always,
    focus: false,
    panel: vscode.TaskPanelKind.Dedicated,
    clear: true,
  };
  await engine.recordSetup(plan, { phase: 'started', command });
  log.info(`Running the setup command of plan ${plan.id}: ${command}`);
  const ended = new Promise<number | undefined>((resolve) => {
    let execution: vscode.TaskExecution | undefined;
    const mine = (e: { execution: vscode.TaskExecution }) =>
      execution !== undefined ? e.execution === execution : e.execution.task.name === task.name;
    let exitCode: number | undefined;
    const subscriptions = [
      vscode.tasks.onDidEndTaskProcess((e) => {
        if (mine(e)) exitCode = e.exitCode;
      }),
      vscode.tasks.onDidEndTask((e) => {
        if (!mine(e)) return;
        for (const s of subscriptions) s.dispose();
        running.delete(key(plan));
        resolve(exitCode);
      }),
    ];
    void vscode.tasks.executeTask(task).then(
      (started) => {
        execution = started;
        running.set(key(plan), started);
      },
      (e) => {
        for (const s of subscriptions) s.dispose();
        log.error(`The setup task of plan ${plan.id} could not start: ${String(e)}`);
        resolve(undefined);
      },
    );
  });
  const exitCode = await ended;
  log.info(`The setup command of plan ${plan.id} ended with exit code ${exitCode ?? 'unknown'}.`);
  await engine.recordSetup(plan, { phase: 'ended', exitCode });
  return exitCode;
}

/** Shows the terminal the setup task of `plan` ran in, when it is in this window; false when it is not. */
export function showSetupOutput(plan: Pick<PlanRecord, 'id'>): boolean {
  const name = setupTaskName(plan);
  const terminal = vscode.window.terminals.find((t) => t.name === name || t.name.endsWith(name));
  terminal?.show();
  return terminal !== undefined;
}
