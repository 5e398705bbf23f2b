/**
 * "Update from <base>" driven as a person does: the tree's ↓N is the cue
 * (the plan's menu offers the command then), the pick of rebase or merge,
 * the message that says what happened, and the refusal of a dirty plan.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  act,
  activateExtension,
  canAct,
  commitIn,
  gitIn,
  menuCommands,
  setSetting,
  TestingApi,
  treeItems,
  waitFor,
  workspaceRoot,
} from './helpers';

describe('Update from Base', function () {
  this.timeout(120_000);
  let api: TestingApi;
  let main: string;

  before(async function () {
    if (!canAct) this.skip();
    api = await activateExtension<TestingApi>();
    main = workspaceRoot();
    await setSetting('openAfterCreate', 'none');
  });

  after(async () => {
    await setSetting('openAfterCreate', undefined);
    await setSetting('updateFromBase.strategy', undefined);
  });

  /** A plan on the base `ufb-base` with a commit of its own, and a new commit on the base it does not have. */
  async function planBehind(id: string): Promise<{ path: string; branch: string; baseTip: string; planTip: string }> {
    const base = `${id}-base`;
    gitIn(main, 'branch', base);
    const plan = await vscode.commands.executeCommand<{ path: string; branch: string }>('planWorktrees.create', {
      id,
      title: `Update ${id}`,
      base,
      open: 'none',
    });
    const planTip = commitIn(plan.path, { [`${id}.txt`]: 'plan\n' }, 'plan work');
    // The base moves on elsewhere (a colleague's commit, pulled): in a worktree of its own, gone again after.
    const elsewhere = path.join(path.dirname(main), `${id}-elsewhere`);
    gitIn(main, 'worktree', 'add', '-q', elsewhere, base);
    const baseTip = commitIn(elsewhere, { [`${id}-base.txt`]: 'base\n' }, 'base moves on');
    gitIn(main, 'worktree', 'remove', elsewhere);
    return { ...plan, baseTip, planTip };
  }

  async function cleanUp(id: string): Promise<void> {
    await vscode.commands.executeCommand('planWorktrees.discard', { plan: id, force: true }).then(
      () => undefined,
      () => undefined,
    );
    gitIn(main, 'branch', '-D', `${id}-base`);
  }

  it('is offered in the menu of a plan whose base has moved on (↓1), and merges the base in when a person picks Merge', async () => {
    const plan = await planBehind('ufb-1');
    try {
      await vscode.commands.executeCommand('planWorktrees.refresh');
      const shown = await waitFor(
        async () => (await treeItems(api)).find((i) => i.label === 'ufb-1 · Update ufb-1' && /↓1/.test(i.description)),
        'the ↓1 of the plan',
      );
      assert.match(shown.contextValue, /^plan:active:clean:behind/);
      assert.ok(menuCommands(shown.contextValue, 'menu').includes('planWorktrees.updateFromBase'));
      const updating = vscode.commands.executeCommand('planWorktrees.updateFromBase', 'ufb-1');
      await act(
        { see: 'Rebase onto ufb-1-base', in: 'quickInput' },
        { see: 'Merge ufb-1-base into the plan', in: 'quickInput' },
        { type: 'Merge' },
        { press: 'Enter' },
      );
      const result = await updating;
      // Read where every notification stays (its toast is not always drawn in the test workbench).
      await vscode.commands.executeCommand('notifications.showList');
      await act({ see: 'ufb-1-base is merged into plan ufb-1.', in: 'notificationCenter' });
      await vscode.commands.executeCommand('notifications.hideList');
      assert.deepStrictEqual(result, { how: 'merge', updated: true, conflicts: [] });
      assert.strictEqual(gitIn(plan.path, 'rev-parse', 'HEAD^1'), plan.planTip);
      assert.strictEqual(gitIn(plan.path, 'rev-parse', 'HEAD^2'), plan.baseTip);
      await vscode.commands.executeCommand('planWorktrees.refresh');
      await waitFor(
        async () => (await treeItems(api)).find((i) => i.label === 'ufb-1 · Update ufb-1' && !/↓/.test(i.description)),
        'the ↓ gone',
      );
    } finally {
      await cleanUp('ufb-1');
    }
  });

  it('refuses a plan with uncommitted changes and says so; nothing moves', async () => {
    await setSetting('updateFromBase.strategy', 'rebase');
    const plan = await planBehind('ufb-2');
    try {
      fs.writeFileSync(path.join(plan.path, 'ufb-2.txt'), 'edited, not committed\n');
      const head = gitIn(plan.path, 'rev-parse', 'HEAD');
      await vscode.commands.executeCommand('notifications.clearAll');
      const updating = vscode.commands.executeCommand('planWorktrees.updateFromBase', 'ufb-2');
      await updating;
      // Read where every notification stays: a toast raised right after "clear all" is not always drawn.
      await vscode.commands.executeCommand('notifications.showList');
      await act({
        see: 'Plan ufb-2 has uncommitted changes; commit them before updating it from ufb-2-base.',
        in: 'notificationCenter',
      });
      await vscode.commands.executeCommand('notifications.hideList');
      assert.strictEqual(gitIn(plan.path, 'rev-parse', 'HEAD'), head);
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'ufb-2.txt'), 'utf8'), 'edited, not committed\n');
    } finally {
      await setSetting('updateFromBase.strategy', undefined);
      await cleanUp('ufb-2');
    }
  });
});
