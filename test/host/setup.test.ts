/**
 * The setup command (`planWorktrees.postCreateCommand`) as a task whose end is
 * known: a setup that exits with 1 leaves the plan's item saying "setup
 * failed", with Show Setup Output and Run Setup Again in its menu, and its
 * exit code in the plan's history; run again successfully, the item says so
 * no more.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import {
  activateExtension,
  createPlan,
  menuCommands,
  setSetting,
  TestingApi,
  treeItems,
  waitFor,
  workspaceRoot,
} from './helpers';
import { Git } from '../../src/git/runner';
import { PlanEngine } from '../../src/model/engine/planEngine';

describe('Setup command result', function () {
  this.timeout(120_000);
  let api: TestingApi;

  before(async () => {
    api = await activateExtension<TestingApi>();
    await setSetting('openAfterCreate', 'none');
  });

  after(async () => {
    await setSetting('postCreateCommand', undefined);
    await setSetting('openAfterCreate', undefined);
  });

  it('shows "setup failed" on the plan after a setup command that exits with 1, with Show Output and Run Again', async () => {
    await setSetting('postCreateCommand', 'echo "npm ERR! missing script: setup"; exit 1');
    const plan = await createPlan('su-1', 'Setup fails');
    const item = await waitFor(
      async () =>
        (await treeItems(api)).find((i) => i.label === 'su-1 · Setup fails' && /setup failed/.test(i.description)),
      'the plan to show "setup failed"',
      60_000,
    );
    assert.match(item.contextValue, /:setupFailed/);
    const menu = menuCommands(item.contextValue, 'menu');
    assert.ok(menu.includes('planWorktrees.showSetupOutput'), menu.join(' '));
    assert.ok(menu.includes('planWorktrees.runSetupAgain'), menu.join(' '));
    const engine = await PlanEngine.open(workspaceRoot(), { git: new Git() });
    const failed = (await engine.history(plan.id)).find((e) => e.type === 'setup.failed');
    assert.strictEqual(failed?.exitCode, 1);

    // Show Output brings up the terminal the task ran in.
    await vscode.commands.executeCommand('planWorktrees.showSetupOutput', item.node);
    await waitFor(() => /Plan su-1 setup/.test(vscode.window.activeTerminal?.name ?? ''), 'the setup terminal shown');

    // Fixed, and run again from the item: it finishes, and the item no longer says "setup failed".
    await setSetting('postCreateCommand', 'echo ready');
    const exitCode = await vscode.commands.executeCommand<number>('planWorktrees.runSetupAgain', { plan: plan.id });
    assert.strictEqual(exitCode, 0);
    await waitFor(
      async () =>
        (await treeItems(api)).some((i) => i.label === 'su-1 · Setup fails' && !/setup failed/.test(i.description)),
      'the plan to no longer show "setup failed"',
    );
    assert.ok((await engine.history(plan.id)).some((e) => e.type === 'setup.after' && e.exitCode === 0));
    await vscode.commands.executeCommand('planWorktrees.discard', { plan: plan.id, force: true });
  });
});
