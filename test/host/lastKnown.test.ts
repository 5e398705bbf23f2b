/**
 * State from memory: a tree that opens (as at the next start) paints every
 * plan's last known state at once, marked as such, then verifies it with git
 * in the background.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { PlanTreeProvider, PlanNode } from '../../src/ui/planTree';
import { PlanRepositories } from '../../src/ui/repositories';
import { activateExtension, hoverTooltip, setSetting, TestingApi, treeItems, waitFor } from './helpers';

describe('State from memory', function () {
  this.timeout(120_000);
  let api: TestingApi;

  before(async () => {
    api = await activateExtension<TestingApi>();
    await setSetting('openAfterCreate', 'none');
  });

  after(async () => {
    await setSetting('openAfterCreate', undefined);
  });

  it('a tree that opens paints each plan\'s last known state at once, marked "(last known)", then verifies it with git', async () => {
    const plan = await vscode.commands.executeCommand<{ id: string; path: string }>('planWorktrees.create', {
      id: 'lk1',
      title: 'Last known',
      open: 'none',
    });
    assert.ok(plan, 'create returned nothing');
    fs.writeFileSync(path.join(plan.path, 'wip.txt'), 'not committed\n');
    await waitFor(
      async () =>
        (await treeItems(api)).find((i) => i.label === 'lk1 · Last known' && /●1 changed/.test(i.description)),
      'the window tree shows the changed file',
    );

    // Written with no refresh yet: the verify reads it, whether a file-system event announces it or not.
    fs.writeFileSync(path.join(plan.path, 'more.txt'), 'more\n');
    // A new tree over the same repositories: what the next start draws before git has said anything.
    const tree = new PlanTreeProvider(api.testing.repositories as unknown as PlanRepositories);
    try {
      const described = (node: PlanNode) => String(tree.getTreeItem(node).description ?? '');
      const nodes = await tree.getChildren();
      const node = nodes.find((n) => n.type === 'worktree' && n.item.plan?.id === 'lk1');
      assert.ok(node, 'the plan is in the new tree');
      const first = tree.getTreeItem(node);
      assert.match(String(first.description), /●[12] changed.*\(last known\)/, 'painted at once, marked as last known');
      const tooltip = (await hoverTooltip(tree, node)) as vscode.MarkdownString;
      assert.match(tooltip.value, /Read: .+, being checked with git/);

      let last = '';
      await waitFor(async () => {
        const shown = (await tree.getChildren()).find((n) => n.type === 'worktree' && n.item.plan?.id === 'lk1');
        last = shown ? described(shown) : 'not shown';
        return /●2 changed/.test(last) && !/last known/.test(last);
      }, 'the verified state, no longer marked').catch((e) => {
        throw new Error(`${e.message}; last shown: ${last}`);
      });
    } finally {
      tree.dispose();
    }
  });
});
