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
import {
  act,
  activateExtension,
  canAct,
  canScreenshot,
  createPlan,
  projectRoot,
  screenshot,
  setSetting,
  settleTree,
  TestingApi,
  treeItems,
  waitFor,
  widenSideBar,
  workspaceRoot,
} from './helpers';
import {
  ACTIVITY_COMMAND,
  activityReleaseFile,
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
    fs.rmSync(activityReleaseFile, { force: true });
    const facts: PlanWindowFacts = { main, setupLog };
    fs.writeFileSync(factsFile, JSON.stringify(facts));
    // Made before the setup command is set: it has no window of its own, and no setup.
    await createPlan(OTHER_PLAN.id, OTHER_PLAN.title);
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
      await seeActivity(api);
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
      await setSetting('activity.notifyWhenCommandEnds', undefined);
      fs.rmSync(activityReleaseFile, { force: true });
      if ((await api.list()).some((i) => i.plan?.id === OTHER_PLAN.id && i.worktree)) {
        await vscode.commands.executeCommand('planWorktrees.discard', { plan: OTHER_PLAN.id, force: true });
      }
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

/** A plan without a window of its own, whose agent extension reports through the API. */
const OTHER_PLAN = { id: 'w2', title: 'Add search' };

interface ActivityApi {
  activity(plan: string): Promise<{ state?: { kind: string; command?: string }; window?: { window: { pid: number } } }>;
  reportActivity(plan: string, report: { state: string; message?: string } | undefined): Promise<void>;
}

/**
 * While the plan window's suite runs a command in its terminal (test/host-window),
 * this window's tree shows it running, then its exit code; the API says the same,
 * and a notification says it ended when the setting asks for it.
 */
async function seeActivity(api: TestingApi): Promise<void> {
  const activityApi = api as unknown as ActivityApi;
  await activityApi.reportActivity(OTHER_PLAN.id, { state: 'waitingForInput' });
  await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
  const label = `${WINDOW_PLAN.id} · ${WINDOW_PLAN.title}`;
  const described = async (wanted: RegExp) =>
    (await treeItems(api)).find((i) => i.label === label && wanted.test(i.description));
  const running = await waitFor(
    () => described(new RegExp(`^● running: ${ACTIVITY_COMMAND} (<1m|\\dm)`)),
    "the plan window's command, running, in this window's tree",
    150_000,
  );
  assert.match(running.description, /^● running: npm test /, 'the activity comes first');
  const info = await activityApi.activity(WINDOW_PLAN.id);
  assert.strictEqual(info.state?.kind, 'running');
  assert.strictEqual(info.state?.command, ACTIVITY_COMMAND);
  assert.notStrictEqual(info.window?.window.pid, process.pid, "published by the plan window's own extension host");
  const other = (await treeItems(api)).find((i) => i.label === `${OTHER_PLAN.id} · ${OTHER_PLAN.title}`);
  assert.match(other?.description ?? '', /^\? waiting for input /);
  if (canScreenshot) {
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await widenSideBar();
    await settleTree();
    await screenshot('explorer-activity', { clearNotifications: true });
  }
  assert.strictEqual(
    vscode.workspace.getConfiguration('planWorktrees').get('activity.notifyWhenCommandEnds'),
    false,
    'the notification is off by default',
  );
  await setSetting('activity.notifyWhenCommandEnds', true);
  fs.writeFileSync(activityReleaseFile, 'seen');
  await waitFor(() => described(/^✗ exited 1( |$)/), 'the exit code of the command in the tree', 60_000);
  assert.strictEqual((await activityApi.activity(WINDOW_PLAN.id)).state?.kind, 'exited');
  if (canAct) {
    await vscode.commands.executeCommand('notifications.showList');
    await act({ see: `Plan ${WINDOW_PLAN.id}: "${ACTIVITY_COMMAND}" exited with 1.`, in: 'notificationCenter' });
    await vscode.commands.executeCommand('notifications.hideList');
  }
  await activityApi.reportActivity(OTHER_PLAN.id, undefined);
  await waitFor(
    async () =>
      (await treeItems(api)).find(
        (i) => i.label === `${OTHER_PLAN.id} · ${OTHER_PLAN.title}` && !/waiting/.test(i.description),
      ),
    'the report taken back',
  );
}
