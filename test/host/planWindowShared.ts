/**
 * What the main window's test and the plan window's suite share: the plan
 * they use, where the main window leaves the facts the plan window checks,
 * and a probe of a real terminal's environment.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { projectRoot, waitFor } from './helpers';

export const WINDOW_PLAN = { id: 'w1', title: 'Plan window', branch: 'plan/w1-plan-window' };

/** Written by the main window before it opens the plan window. */
export interface PlanWindowFacts {
  main: string;
  setupLog: string;
}

export const factsFile = path.join(projectRoot, 'artifacts', 'plan-window-facts.json');
/** Written by the main window once its tree showed the plan window's command running: the command then ends. */
export const activityReleaseFile = path.join(projectRoot, 'artifacts', 'plan-window-activity-release');
/** What the person types in the plan window's terminal (a package script that waits for the release, then fails). */
export const ACTIVITY_COMMAND = 'npm test';

/** Written by the plan window when it waits for the main window to remove its worktree. */
export const readyForRemovalFile = path.join(projectRoot, 'artifacts', 'plan-window-ready-for-removal');

/** Asks the runner for the text of `what` in the window open on `folder`. */
export async function windowText(what: 'statusbar' | 'notifications', folder: string): Promise<string> {
  const file = path.join(projectRoot, 'artifacts', `plan-window-${what}.txt`);
  fs.rmSync(file, { force: true });
  console.log(`[plan-worktrees:${what}] ${JSON.stringify({ folder, file })}`);
  return String(
    await waitFor(
      () => fs.existsSync(file) && fs.readFileSync(file, 'utf8'),
      `the runner to read the window's ${what}`,
    ),
  );
}

export const PLAN_VARIABLES = [
  'PLAN_WORKTREES_ID',
  'PLAN_WORKTREES_BRANCH',
  'PLAN_WORKTREES_BASE',
  'PLAN_WORKTREES_MAIN',
];

/** The PLAN_WORKTREES_* variables a new terminal of this window's shell sees. */
export async function terminalPlanVariables(): Promise<Record<string, string>> {
  const out = path.join(os.tmpdir(), `pw-env-${Date.now()}-${Math.random().toString(16).slice(2)}.txt`);
  const terminal = vscode.window.createTerminal({
    name: 'env probe',
    shellPath: '/bin/sh',
    shellArgs: ['-c', `env > "${out}.part" && mv "${out}.part" "${out}"`],
  });
  try {
    const text: string = await waitFor(
      () => (fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : undefined),
      'the terminal to write its environment',
    );
    return Object.fromEntries(
      text
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])
        .filter(([name]) => PLAN_VARIABLES.includes(name)),
    );
  } finally {
    terminal.dispose();
    fs.rmSync(out, { force: true });
  }
}
