/**
 * The setup command (`planWorktrees.postCreateCommand`) as a task whose end is
 * known: a setup that exits with 1 leaves the plan's item saying "setup
 * failed", with Show Setup Output and Run Setup Again in its menu, and its
 * exit code in the plan's history; run again successfully, the item says so
 * no more.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  activateExtension,
  createPlan,
  gitIn,
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

  it("runs the setup command a checked-in .vscode/plan-worktrees.json names, and the user's setting wins over it", async () => {
    const main = workspaceRoot();
    const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-repo-config-'));
    const head = gitIn(main, 'rev-parse', 'HEAD');
    try {
      fs.mkdirSync(path.join(main, '.vscode'), { recursive: true });
      fs.writeFileSync(
        path.join(main, '.vscode', 'plan-worktrees.json'),
        `{\n  // the repository's own setup\n  "setupCommand": "echo from-file > '${path.join(marks, 'file.txt')}'",\n}\n`,
      );
      gitIn(main, 'add', '.vscode/plan-worktrees.json');
      gitIn(main, 'commit', '-q', '-m', 'plan settings of the repository');
      await setSetting('postCreateCommand', undefined);
      const fromFile = await createPlan('su-2', 'Setup from the repository');
      await waitFor(() => fs.existsSync(path.join(marks, 'file.txt')), "the repository file's setup command to run");
      await setSetting('postCreateCommand', `echo from-user > '${path.join(marks, 'user.txt')}'`);
      const fromUser = await createPlan('su-3', 'Setup from the user');
      await waitFor(() => fs.existsSync(path.join(marks, 'user.txt')), "the user's setup command to run");
      await waitFor(
        async () => (await engineHistory(fromUser.id)).some((e) => e.type === 'setup.after'),
        'the setup of su-3 to end',
      );
      assert.deepStrictEqual(fs.readdirSync(marks).sort(), ['file.txt', 'user.txt'], "su-3 ran the file's command too");
      for (const plan of [fromFile, fromUser]) {
        await vscode.commands.executeCommand('planWorktrees.discard', { plan: plan.id, force: true });
      }
    } finally {
      await setSetting('postCreateCommand', undefined);
      gitIn(main, 'reset', '-q', '--hard', head);
      fs.rmSync(marks, { recursive: true, force: true });
    }
  });
});

async function engineHistory(planId: string): Promise<Array<{ type: string }>> {
  const engine = await PlanEngine.open(workspaceRoot(), { git: new Git() });
  return engine.history(planId);
}
