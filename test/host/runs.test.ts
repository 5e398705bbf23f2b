/**
 * Several runs of one plan, as a person meets them: "Start New Run" on the
 * plan's tree item starts run 2 in a worktree and branch of its own while
 * run 1 stays as it was (changes and all); the tree then shows the runs
 * under one item, the newest first; discarding the new runs leaves run 1.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  act,
  activateExtension,
  canAct,
  createPlan,
  gitIn,
  menuCommands,
  setSetting,
  ShownItem,
  TestingApi,
  treeItems,
  waitFor,
} from './helpers';

interface Run {
  id: string;
  run: number;
  path: string;
  branch: string;
}

describe('Several runs of one plan', function () {
  this.timeout(120_000);
  let api: TestingApi;

  before(async () => {
    api = await activateExtension<TestingApi>();
    await setSetting('openAfterCreate', 'none');
  });

  after(async () => {
    await setSetting('openAfterCreate', undefined);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  /** The tree's item for plan rn-7 (a plan, or its runs), once it shows what `ready` wants. */
  async function planItem(ready: (item: ShownItem) => boolean, what: string): Promise<ShownItem> {
    return waitFor(
      async () => (await treeItems(api)).find((i) => i.label.startsWith('rn-7 · ') && ready(i)),
      what,
      30_000,
    );
  }

  /** The labels of the runs shown under the item of a plan's runs, in the tree's order. */
  async function runLabels(item: ShownItem): Promise<string[]> {
    const children = await api.testing.tree.getChildren(item.node);
    return children.map((node) => {
      const label = api.testing.tree.getTreeItem(node).label;
      return typeof label === 'string' ? label : (label?.label ?? '');
    });
  }

  it('Start New Run on the plan starts run 2 beside the kept run 1; the tree groups the runs, newest first', async () => {
    const first = (await createPlan('rn-7', 'Runs phase')) as unknown as Run;
    const started: Run[] = [];
    try {
      fs.writeFileSync(path.join(first.path, 'why-it-failed.txt'), 'kept for inspection\n');
      const single = await planItem((i) => i.contextValue.startsWith('plan:'), 'the plan in the tree');
      assert.strictEqual(single.label, 'rn-7 · Runs phase', 'a plan with one run looks as before');
      assert.ok(
        menuCommands(single.contextValue, 'menu').includes('planWorktrees.startNewRun'),
        `"Start New Run" is not in the menu of ${single.contextValue}`,
      );
      await vscode.commands.executeCommand('notifications.clearAll');
      // What the menu item does: the command with the tree node.
      const second = await vscode.commands.executeCommand<Run>('planWorktrees.startNewRun', single.node);
      assert.ok(second, 'a run was started');
      started.push(second);
      assert.deepStrictEqual(
        [second.id, second.run, second.branch, path.basename(second.path)],
        ['rn-7', 2, 'plan/rn-7-runs-phase-run-002', 'rn-7-runs-phase-run-002'],
      );
      assert.ok(fs.existsSync(path.join(first.path, 'why-it-failed.txt')), "run 1's change is still there");
      assert.ok(!fs.existsSync(path.join(second.path, 'why-it-failed.txt')), 'run 2 starts clean');
      if (canAct) {
        await vscode.commands.executeCommand('notifications.showList');
        await act({
          see: `Started run 2 of plan rn-7 at ${second.path}. The earlier runs stay as they are.`,
          in: 'notificationCenter',
        });
        await vscode.commands.executeCommand('notifications.hideList');
      }

      const grouped = await planItem((i) => i.contextValue === 'planRuns', 'the runs of the plan under one item');
      assert.deepStrictEqual([grouped.label, grouped.description], ['rn-7 · Runs phase', '2 runs']);
      assert.deepStrictEqual(await runLabels(grouped), ['Run 2 · Runs phase', 'Run 1 · Runs phase']);
      assert.strictEqual(
        (await treeItems(api)).filter((i) => i.label.startsWith('rn-7 · ')).length,
        1,
        'the runs are not shown beside their plan as well',
      );

      // The button on the item of the runs starts the next one.
      assert.ok(menuCommands('planRuns', 'inline').includes('planWorktrees.startNewRun'));
      const third = await vscode.commands.executeCommand<Run>('planWorktrees.startNewRun', grouped.node);
      started.push(third);
      assert.strictEqual(third.run, 3);
      const three = await planItem((i) => i.description === '3 runs', 'three runs under the plan');
      assert.deepStrictEqual(await runLabels(three), [
        'Run 3 · Runs phase',
        'Run 2 · Runs phase',
        'Run 1 · Runs phase',
      ]);

      // Discarding runs 3 and 2 by their numbers leaves run 1 whole; the plan looks as before again.
      for (const run of [3, 2]) {
        await vscode.commands.executeCommand('planWorktrees.discard', { plan: 'rn-7', run, force: true });
      }
      assert.ok(!fs.existsSync(second.path) && !fs.existsSync(third.path));
      assert.strictEqual(fs.readFileSync(path.join(first.path, 'why-it-failed.txt'), 'utf8'), 'kept for inspection\n');
      await planItem((i) => i.contextValue.startsWith('plan:') && i.label === 'rn-7 · Runs phase', 'run 1 alone');
    } finally {
      for (const run of [...started.map((r) => r.run), 1]) {
        await Promise.resolve(
          vscode.commands.executeCommand('planWorktrees.discard', { plan: 'rn-7', run, force: true }),
        ).then(
          () => undefined,
          () => undefined,
        );
      }
    }
  });

  it("a run's Source Control commits into that run, not into the newer run started after it", async () => {
    await setSetting('scm.showAllPlans', true);
    const first = (await createPlan('rn-8', 'Runs commit')) as unknown as Run;
    let second: Run | undefined;
    try {
      const control = await waitFor(() => api.testing.scm.forPlan('rn-8', 1), "run 1's Source Control");
      second = await vscode.commands.executeCommand<Run>('planWorktrees.startNewRun', { plan: 'rn-8' });
      assert.strictEqual(second.run, 2);
      await api.testing.scm.sync();
      await waitFor(() => api.testing.scm.forPlan('rn-8', 2), "run 2's Source Control");
      const secondHead = gitIn(second.path, 'rev-parse', 'HEAD');
      fs.writeFileSync(path.join(first.path, 'run-one.txt'), 'work of run 1\n');
      control.sourceControl.inputBox.value = 'Work of run 1';
      const accept = control.sourceControl.acceptInputCommand;
      assert.ok(accept);
      const commit = await vscode.commands.executeCommand<string>(accept.command, ...(accept.arguments ?? []));
      assert.strictEqual(gitIn(first.path, 'rev-parse', 'HEAD'), commit, 'the commit is on run 1');
      assert.strictEqual(gitIn(first.path, 'log', '-1', '--format=%s'), 'Work of run 1');
      assert.strictEqual(gitIn(second.path, 'rev-parse', 'HEAD'), secondHead, 'run 2 is untouched');
    } finally {
      await setSetting('scm.showAllPlans', undefined);
      for (const run of [2, 1]) {
        await Promise.resolve(
          vscode.commands.executeCommand('planWorktrees.discard', { plan: 'rn-8', run, force: true }),
        ).then(
          () => undefined,
          () => undefined,
        );
      }
    }
  });

  it('Create with the id of an active plan asks whether to start a new run; Start New Run starts run 2', async function () {
    if (!canAct) this.skip();
    const first = (await createPlan('rn-9', 'Runs asked')) as unknown as Run;
    let second: Run | undefined;
    try {
      await vscode.commands.executeCommand('notifications.clearAll');
      const creating = Promise.resolve(vscode.commands.executeCommand<Run>('planWorktrees.create', { id: 'rn-9' }));
      await act({ see: "The plan's title", in: 'quickInput' }, { type: 'Runs asked' }, { press: 'Enter' });
      await vscode.commands.executeCommand('notifications.showList');
      await act(
        {
          see: `Plan rn-9 is active (run 1, folder ${first.path}). Start a new run of it, in a worktree and branch of its own? Run 1 stays as it is.`,
          in: 'notificationCenter',
        },
        { click: 'Start New Run', in: 'notificationCenter' },
      );
      await vscode.commands.executeCommand('notifications.hideList');
      second = await creating;
      assert.ok(second, 'a run was started');
      assert.deepStrictEqual([second.run, second.branch], [2, 'plan/rn-9-runs-asked-run-002']);
      assert.ok(fs.existsSync(first.path) && fs.existsSync(second.path));
    } finally {
      for (const run of [2, 1]) {
        await Promise.resolve(
          vscode.commands.executeCommand('planWorktrees.discard', { plan: 'rn-9', run, force: true }),
        ).then(
          () => undefined,
          () => undefined,
        );
      }
    }
  });
});
