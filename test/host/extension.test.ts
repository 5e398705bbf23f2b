import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  activateExtension,
  canScreenshot,
  EXTENSION_ID,
  gitIn,
  projectRoot,
  screenshot,
  TestingApi,
  treeItems,
  waitFor,
  workspaceRoot,
} from './helpers';

describe('Plan Worktrees in a real VS Code', () => {
  it('is loaded as the development extension and activates', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not loaded`);
    await activateExtension();
    assert.strictEqual(extension.isActive, true);
    assert.match(vscode.version, /^1\.100\./);
  });

  it('registers every command that package.json declares, and no other', async () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
    const declared: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    const registered = (await vscode.commands.getCommands(true))
      // VS Code itself adds `planWorktrees.plans.focus` and the like for the view.
      .filter((c) => c.startsWith('planWorktrees.') && !c.startsWith('planWorktrees.plans.'));
    assert.deepStrictEqual(registered.sort(), declared);
  });

  it("shows the Plan Worktrees view with the repository's worktrees, captured as a screenshot", async () => {
    // nodeForPath: the node last handed out for a worktree's folder, set only once someone (the workbench drawing the view) asked for the items.
    const api = await activateExtension<TestingApi & { testing: { tree: { nodeForPath(folder: string): unknown } } }>();
    const main = workspaceRoot();
    await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
    // Both come from the workbench: it says the view is visible, and it asks the view for its items to draw them.
    await waitFor(() => api.testing.treeView.visible, 'the workbench to show the Plans view');
    // No plans yet: no items, so the view shows its welcome with Create Plan Worktree; with a plan, the worktrees.
    assert.deepStrictEqual(
      await api.testing.tree.getChildren(),
      [],
      'an empty tree (the welcome) before the first plan',
    );
    const plan = await vscode.commands.executeCommand<{ id: string }>('planWorktrees.create', {
      id: 'view-1',
      title: 'Shown in the view',
      open: 'none',
    });
    assert.ok(plan);
    const worktrees = gitIn(main, 'worktree', 'list', '--porcelain')
      .split('\n')
      .filter((line) => line.startsWith('worktree '))
      .map((line) => line.slice('worktree '.length));
    assert.ok(worktrees.length >= 2, 'the main checkout and the plan');
    for (const folder of worktrees) {
      await waitFor(() => api.testing.tree.nodeForPath(folder), `the view to ask for the item of ${folder}`);
    }
    try {
      const items = await treeItems(api);
      assert.strictEqual(items[0]?.label, 'Main checkout', 'the main checkout is the first item');
      if (!canScreenshot) return;
      const file = await screenshot('workbench-plan-worktrees-view');
      const png = fs.readFileSync(file);
      assert.strictEqual(png.subarray(1, 4).toString('latin1'), 'PNG');
      assert.ok(png.length > 10_000, `screenshot is only ${png.length} bytes`);
    } finally {
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: plan.id, force: true });
    }
  });

  it('has a Get Started walkthrough with the lifecycle in four steps, and it opens', async function () {
    const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
    const walkthrough = manifest.contributes.walkthroughs[0];
    assert.deepStrictEqual(
      walkthrough.steps.map((s: { id: string }) => s.id),
      ['create', 'review', 'merge', 'cleanup'],
    );
    for (const step of walkthrough.steps) {
      assert.ok(fs.existsSync(path.join(projectRoot, step.media.markdown)), `${step.media.markdown} exists`);
    }
    await vscode.commands.executeCommand(
      'workbench.action.openWalkthrough',
      { category: `${EXTENSION_ID}#${walkthrough.id}` },
      false,
    );
    // The walkthrough editor reuses one tab whose label the extension API does not update; the screenshot shows which one it is.
    await waitFor(
      () => vscode.window.tabGroups.activeTabGroup.activeTab?.label.startsWith('Walkthrough:'),
      'the walkthrough editor',
    );
    await new Promise((r) => setTimeout(r, 1000));
    if (canScreenshot) await screenshot('walkthrough', { clearNotifications: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
