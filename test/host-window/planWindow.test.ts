/**
 * Runs inside the plan's own window (see test/host/planWindow.test.ts, which
 * opens it): what a person sees in the window of a plan.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { activateExtension, TestingApi, waitFor, workspaceRoot } from '../host/helpers';
import * as os from 'os';
import * as vscode from 'vscode';
import {
  ACTIVITY_COMMAND,
  activityReleaseFile,
  factsFile,
  PlanWindowFacts,
  readyForRemovalFile,
  terminalPlanVariables,
  WINDOW_PLAN,
  windowText,
} from '../host/planWindowShared';

describe('Plan window (its own VS Code window)', function () {
  this.timeout(90_000);
  let api: TestingApi;
  let facts: PlanWindowFacts;

  before(async () => {
    api = await activateExtension<TestingApi>();
    facts = JSON.parse(fs.readFileSync(factsFile, 'utf8')) as PlanWindowFacts;
  });

  it('is opened on the plan worktree, and its status bar names the plan', async () => {
    assert.ok(workspaceRoot().endsWith(`${WINDOW_PLAN.id}-plan-window`), workspaceRoot());
    await waitFor(
      () => api.testing.statusBar.state.text.includes(`Plan ${WINDOW_PLAN.id}: ${WINDOW_PLAN.title}`),
      'the status bar to name the plan',
    );
    // What the page shows, read by the runner from the window's DOM.
    assert.match(
      await windowText('statusbar', workspaceRoot()),
      new RegExp(`Plan ${WINDOW_PLAN.id}: ${WINDOW_PLAN.title}`),
    );
  });

  it('runs the setup command the main window left, once, in a terminal with the plan variables', async () => {
    const expected = `${WINDOW_PLAN.id} ${WINDOW_PLAN.branch}\n`;
    await waitFor(
      () => fs.existsSync(facts.setupLog) && fs.readFileSync(facts.setupLog, 'utf8') === expected,
      'the setup command to run',
      30_000,
    );
    assert.ok(
      !fs.existsSync(path.join(facts.main, '.git', 'plan-worktrees', 'setup', `${WINDOW_PLAN.id}.json`)),
      'the pending setup was taken',
    );
  });

  it('gives every terminal of the window PLAN_WORKTREES_ID, _BRANCH, _BASE and _MAIN', async () => {
    const seen = await waitFor(
      async () => {
        const vars = await terminalPlanVariables();
        return vars.PLAN_WORKTREES_ID ? vars : undefined;
      },
      'a terminal with the plan variables',
      30_000,
    );
    assert.deepStrictEqual(seen, {
      PLAN_WORKTREES_BASE: 'main',
      PLAN_WORKTREES_BRANCH: WINDOW_PLAN.branch,
      PLAN_WORKTREES_ID: WINDOW_PLAN.id,
      PLAN_WORKTREES_MAIN: facts.main,
    });
  });

  it("shows the plan's Source Control, which follows changes in the worktree by itself", async () => {
    const control = await waitFor(() => api.testing.scm.forPlan(WINDOW_PLAN.id), "the plan's Source Control");
    const names = () => control.uncommitted.resourceStates.map((r) => path.basename(r.resourceUri.fsPath)).sort();
    assert.deepStrictEqual(names(), []);
    fs.writeFileSync(path.join(workspaceRoot(), 'written-in-the-plan.txt'), 'new\n');
    fs.appendFileSync(path.join(workspaceRoot(), 'src', 'app.js'), '// changed\n');
    // No sync() and no update(): the file watchers bring the change.
    await waitFor(
      () => names().join(',') === 'app.js,written-in-the-plan.txt',
      'Source Control to list both changes',
      30_000,
    );
  });

  it('publishes what runs in its terminal for the other windows: the command while it runs, then its exit code', async () => {
    const file = path.join(facts.main, '.git', 'plan-worktrees', 'activity', `${WINDOW_PLAN.id}@1.json`);
    const published = () =>
      JSON.parse(fs.readFileSync(file, 'utf8')) as {
        window: { pid: number; hostname: string; open: boolean };
        running: Array<{ command: string; source: string }>;
        last?: { command: string; source: string; exitCode?: number };
      };
    // The window is open: its extension host's process, which a reader checks is alive (no heartbeat).
    assert.deepStrictEqual(
      { ...published().window, since: undefined },
      { pid: process.pid, hostname: os.hostname(), open: true, since: undefined },
    );
    // The setup command ran as a task of this window: task processes count too.
    await waitFor(() => published().last?.source === 'task', 'the setup task to be published as ended', 30_000);
    assert.match(published().last?.command ?? '', /^printf /);
    assert.strictEqual(published().last?.exitCode, 0);
    // A package script that waits until the main window has seen it run, then fails.
    fs.writeFileSync(
      path.join(workspaceRoot(), 'package.json'),
      JSON.stringify({ name: 'demo', private: true, scripts: { test: 'node wait-for-review.js' } }),
    );
    fs.writeFileSync(
      path.join(workspaceRoot(), 'wait-for-review.js'),
      `const fs = require('fs');\nconst t = setInterval(() => { if (fs.existsSync(${JSON.stringify(activityReleaseFile)})) { clearInterval(t); process.exit(1); } }, 200);\n`,
    );
    const terminal = vscode.window.createTerminal({ name: 'agent', shellPath: '/bin/bash', cwd: workspaceRoot() });
    try {
      terminal.show();
      // Typed into the terminal as a person (or an agent) would: VS Code's shell integration reports it.
      await waitFor(() => terminal.shellIntegration, "the terminal's shell integration", 30_000);
      terminal.sendText(ACTIVITY_COMMAND);
      await waitFor(
        () => published().running.some((c) => c.command === ACTIVITY_COMMAND && c.source === 'terminal'),
        'the command to be published as running',
        30_000,
      );
      // The main window sees it in its tree, then lets the script end.
      await waitFor(() => published().last?.command === ACTIVITY_COMMAND, 'the command to end', 150_000);
      assert.deepStrictEqual(published().running, []);
      // The files written for the script are the worktree's last change, before the command ended.
      const { lastChange, last } = published() as { lastChange?: string; last?: { ended: string } };
      assert.ok(lastChange && last && Date.parse(lastChange) <= Date.parse(last.ended), JSON.stringify(published()));
      assert.deepStrictEqual(
        { ...published().last, started: undefined, ended: undefined },
        { command: ACTIVITY_COMMAND, source: 'terminal', exitCode: 1, started: undefined, ended: undefined },
      );
    } finally {
      terminal.dispose();
    }
  });

  it('says so at once when the main window removes its worktree, and offers only what still works', async () => {
    const folder = workspaceRoot();
    const watch = (api.testing as unknown as { planWindowWatch: { isGone: boolean } }).planWindowWatch;
    assert.strictEqual(watch.isGone, false);
    fs.writeFileSync(readyForRemovalFile, folder);
    await waitFor(() => !fs.existsSync(folder), 'the main window to discard this plan', 60_000);
    await waitFor(() => watch.isGone, 'this window to notice', 30_000);
    assert.match(api.testing.statusBar.state.text, new RegExp(`Plan ${WINDOW_PLAN.id}: worktree removed`));
    assert.strictEqual(api.testing.statusBar.state.warning, true);
    assert.match(await windowText('statusbar', folder), /worktree removed/);
    const toast = await windowText('notifications', folder);
    assert.match(toast, new RegExp(`The worktree of plan ${WINDOW_PLAN.id} was removed`));
    assert.match(toast, /Open the Main Checkout/);
    assert.match(toast, /Close Window/);
    // Its Source Control (merge, commit, clean up) went with the plan.
    await waitFor(() => api.testing.scm.forPlan(WINDOW_PLAN.id) === undefined, "the plan's Source Control to go");
  });
});
