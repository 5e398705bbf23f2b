/**
 * The lifecycle create → review → merge → clean up, as a user sees it, one
 * screenshot per step (docs/images/lifecycle-*.png via `npm run screenshots`).
 * Each step also asserts what the picture is meant to show.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  activateExtension,
  canScreenshot,
  commitIn,
  gitIn,
  screenshot,
  setSetting,
  TestingApi,
  treeItems,
  waitFor,
  workspaceRoot,
} from './helpers';

describe('The lifecycle, step by step', function () {
  this.timeout(120_000);
  let api: TestingApi;
  let main: string;
  let plan: { id: string; path: string; branch: string };

  before(async function () {
    if (!canScreenshot) this.skip();
    api = await activateExtension<TestingApi>();
    main = workspaceRoot();
    await setSetting('openAfterCreate', 'none');
    await setSetting('scm.showAllPlans', true);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await setSetting('openAfterCreate', undefined);
    await setSetting('scm.showAllPlans', undefined);
  });

  it('1. create: the plan appears in the Plans view with its own branch', async () => {
    const created = await vscode.commands.executeCommand<typeof plan>('planWorktrees.create', {
      id: '400',
      title: 'Add a farewell',
      open: 'none',
    });
    assert.ok(created);
    plan = created;
    await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
    await waitFor(async () => (await treeItems(api)).some((i) => i.label === '400 · Add a farewell'), 'the new plan');
    await new Promise((r) => setTimeout(r, 1500));
    await screenshot('lifecycle-1-create', { clearNotifications: true });
  });

  it("2. review: the plan's changes against its base in Source Control", async () => {
    commitIn(
      plan.path,
      {
        'src/app.js':
          'export function greet(name) {\n  return `Hello, ${name}!`;\n}\n\nexport function farewell(name) {\n  return `Goodbye, ${name}!`;\n}\n',
      },
      'Add farewell()',
    );
    fs.writeFileSync(path.join(plan.path, 'CHANGES.md'), '- farewell()\n');
    await api.testing.scm.sync();
    const control = await waitFor(() => api.testing.scm.forPlan('400'), 'the plan in Source Control');
    await control.update();
    // The badge counts what is committed on the plan (what a merge takes); CHANGES.md is the built-in Git provider's to count.
    assert.strictEqual(control.sourceControl.count, 1);
    const app = control.committed.resourceStates[0];
    await vscode.commands.executeCommand(app.command?.command ?? 'vscode.diff', ...(app.command?.arguments ?? []));
    await vscode.commands.executeCommand('workbench.view.scm');
    await screenshot('lifecycle-2-review', { clearNotifications: true });
  });

  it('3. merge: the strategies, after a pre-check that found no conflict', async () => {
    gitIn(plan.path, 'add', '-A');
    gitIn(plan.path, 'commit', '-q', '-m', 'Note the change');
    const planTip = gitIn(plan.path, 'rev-parse', 'HEAD');
    const mainBefore = gitIn(main, 'rev-parse', 'main');
    assert.strictEqual(
      gitIn(main, 'merge-base', 'main', planTip),
      mainBefore,
      'main has not moved since the plan began (a fast-forward is possible)',
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
    await setSetting('merge.strategy', 'ask');
    await setSetting('afterMerge', 'keep');
    try {
      // The command with a plan id only asks for the strategy, as from the tree; the picture is that question.
      let settled = false;
      const merging = vscode.commands.executeCommand<{ baseBefore: string; baseAfter: string } | undefined>(
        'planWorktrees.merge',
        '400',
      );
      void Promise.resolve(merging).finally(() => (settled = true));
      // For the picture only: the question is drawn by the workbench, which the extension host cannot watch.
      await new Promise((r) => setTimeout(r, 1500));
      await screenshot('lifecycle-3-merge');
      assert.strictEqual(settled, false, 'the merge did not wait for a strategy');
      // That it was the strategy question is proved by answering it in the workbench: the third strategy, fast-forward.
      await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
      await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await waitFor(() => settled, 'the merge to run with the strategy picked in the question');
      const result = await merging;
      assert.ok(result, 'the merge was cancelled: the question did not offer fast-forward third');
      assert.strictEqual(result.baseBefore, mainBefore);
      assert.strictEqual(result.baseAfter, planTip, "fast-forward: main moved to the plan's last commit");
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await setSetting('merge.strategy', undefined);
      await setSetting('afterMerge', undefined);
    }
    assert.strictEqual(gitIn(main, 'rev-parse', 'main'), planTip);
    assert.match(fs.readFileSync(path.join(main, 'src', 'app.js'), 'utf8'), /farewell/);
  });

  it('4. clean up: the worktree is gone, the merged branch deleted', async () => {
    const result = await vscode.commands.executeCommand<{ removedWorktree: boolean; deletedBranch: boolean }>(
      'planWorktrees.cleanup',
      { plan: '400' },
    );
    assert.ok(result?.removedWorktree && result.deletedBranch);
    assert.ok(!fs.existsSync(plan.path));
    await waitFor(
      async () => !(await treeItems(api)).some((i) => i.label === '400 · Add a farewell'),
      'the plan to leave the tree',
    );
    await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
    // Give the view and the finished progress notifications time to redraw.
    await new Promise((r) => setTimeout(r, 2000));
    await screenshot('lifecycle-4-cleanup');
    await vscode.commands.executeCommand('notifications.clearAll');
  });
});
