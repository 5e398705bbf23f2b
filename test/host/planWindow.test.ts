/**
 * A plan in its own window, for real: the main window creates a plan with
 * "open in a new window" and a setup command; the runner catches the page
 * that vscode.openFolder opens and runs test/host-window there, inside the
 * plan's own extension host (terminal variables, the setup command run once,
 * the status bar, Source Control that follows the worktree by itself). This
 * test waits for that suite's result and checks what the main window sees.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { activateExtension, projectRoot, setSetting, TestingApi, waitFor, workspaceRoot } from './helpers';
import {
  factsFile,
  PlanWindowFacts,
  readyForRemovalFile,
  terminalPlanVariables,
  WINDOW_PLAN,
} from './planWindowShared';

describe('A plan in its own window (a second real window)', function () {
  this.timeout(240_000);

  it('opens the plan in a new window, where its suite passes: plan variables in terminals, the setup command once, the status bar, Source Control by itself', async () => {
    const api = await activateExtension<TestingApi>();
    const main = workspaceRoot();
    const setupLog = path.join(os.tmpdir(), `pw-setup-${Date.now()}.log`);
    const folder = path.join(`${main}.plans`, `${WINDOW_PLAN.id}-plan-window`);
    const result = path.join(projectRoot, 'artifacts', 'plan-window-result.txt');
    fs.rmSync(result, { force: true });
    fs.rmSync(readyForRemovalFile, { force: true });
    const facts: PlanWindowFacts = { main, setupLog };
    fs.writeFileSync(factsFile, JSON.stringify(facts));
    await setSetting(
      'postCreateCommand',
      `printf '%s %s\\n' "$PLAN_WORKTREES_ID" "$PLAN_WORKTREES_BRANCH" >> '${setupLog}'`,
    );
    console.log(
      `[plan-worktrees:window-tests] ${JSON.stringify({ folder, tests: path.join(projectRoot, 'out', 'test', 'host-window', 'index.js'), result })}`,
    );
    try {
      const plan = await vscode.commands.executeCommand<{ id: string; path: string; branch: string }>(
        'planWorktrees.create',
        { id: WINDOW_PLAN.id, title: WINDOW_PLAN.title, open: 'newWindow' },
      );
      assert.strictEqual(plan?.path, folder);
      assert.strictEqual(plan?.branch, WINDOW_PLAN.branch);
      // The plan window's last test waits for this window to discard the plan, as a person would from here.
      await waitFor(() => fs.existsSync(readyForRemovalFile), 'the plan window to wait for its removal', 180_000);
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: WINDOW_PLAN.id, force: true });
      const code = await waitFor(
        () => fs.existsSync(result) && fs.readFileSync(result, 'utf8'),
        'the plan window suite to finish',
        120_000,
      );
      assert.strictEqual(
        code,
        '0',
        'the suite in the plan window passed (its report is printed above, under "Plan window")',
      );
      assert.strictEqual(
        fs.readFileSync(setupLog, 'utf8'),
        `${WINDOW_PLAN.id} ${WINDOW_PLAN.branch}\n`,
        'the setup command ran once, in the plan window',
      );
      // The main checkout's own terminals get none of the plan's variables.
      assert.deepStrictEqual(await terminalPlanVariables(), {});
    } finally {
      await setSetting('postCreateCommand', undefined);
      if ((await api.list()).some((i) => i.plan?.id === WINDOW_PLAN.id && i.worktree)) {
        await vscode.commands.executeCommand('planWorktrees.discard', { plan: WINDOW_PLAN.id, force: true });
      }
      fs.rmSync(setupLog, { force: true });
    }
    assert.ok(
      !(await api.list()).some((i) => i.plan?.id === WINDOW_PLAN.id && i.worktree),
      'the plan was discarded at the end',
    );
  });
});
