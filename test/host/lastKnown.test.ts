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
import { Git } from '../../src/git/runner';
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

  it('a new session paints every plan with its last known state from what the last session kept, before any git process of its own; its discovery takes the painted repository over and verifies', async () => {
    const plan = await vscode.commands.executeCommand<{ id: string; path: string }>('planWorktrees.create', {
      id: 'lk2',
      title: 'Kept layout',
      open: 'none',
    });
    assert.ok(plan, 'create returned nothing');
    fs.writeFileSync(path.join(plan.path, 'wip.txt'), 'not committed\n');
    await waitFor(
      async () =>
        (await treeItems(api)).find((i) => i.label === 'lk2 · Kept layout' && /●1 changed/.test(i.description)),
      'the window tree shows the changed file',
    );
    // What this session keeps for the next (a window open for a while writes it by itself).
    const running = api.testing.repositories as unknown as PlanRepositories;
    await Promise.all(running.engines.map((e) => e.flushState()));

    // The next session, as activate starts it: its own git runner, its repositories, its tree.
    const git = new Git({ log: running.log, trusted: () => true });
    const repositories = new PlanRepositories(git, running.log);
    const tree = new PlanTreeProvider(repositories);
    try {
      await repositories.paintFromMemory();
      const nodes = await tree.getChildren();
      const worktrees = nodes.filter((n) => n.type === 'worktree');
      const node = worktrees.find((n) => n.item.plan?.id === 'lk2');
      assert.ok(node, 'the plan is painted');
      assert.match(String(tree.getTreeItem(node).description), /●1 changed.*\(last known\)/);
      assert.ok(
        worktrees.every((n) => n.details?.lastKnown),
        'every worktree has its last known state',
      );
      assert.strictEqual(git.processCount, 0, 'before any git process');
      assert.strictEqual(repositories.engines.length, 0, 'nothing for commands before git has answered');
      const painted = node.engine;

      await repositories.discover();
      assert.ok(git.processCount > 0);
      assert.strictEqual(repositories.engines[0], painted, 'the painted repository, confirmed by git');
      assert.strictEqual(painted.fromMemory, false);
      await waitFor(async () => {
        const shown = (await tree.getChildren()).find((n) => n.type === 'worktree' && n.item.plan?.id === 'lk2');
        return (
          shown?.type === 'worktree' &&
          /●1 changed/.test(String(tree.getTreeItem(shown).description)) &&
          !shown.details?.lastKnown
        );
      }, 'verified by git');
    } finally {
      tree.dispose();
      repositories.dispose();
    }
  });
  it("a new session's git work (the guard's first state among it) does not wait for the Plans view's first paint while the view is hidden, as nothing asks for it; while the view shows, it waits", async () => {
    const running = api.testing.repositories as unknown as PlanRepositories;
    const view = api.testing.treeView;
    // A tree that has not painted yet, as at the next start (the view shows the extension's own tree: this one never paints).
    const repositories = new PlanRepositories(new Git({ log: running.log, trusted: () => true }), running.log);
    const tree = new PlanTreeProvider(repositories);
    try {
      await vscode.commands.executeCommand('workbench.view.explorer');
      await waitFor(() => !view.visible, 'the Plans view is hidden');
      const started = Date.now();
      assert.strictEqual(await tree.waitForFirstPaint(view, 5_000), 'hidden', 'no wait for a hidden view');
      assert.ok(Date.now() - started < 5_000, `waited ${Date.now() - started} ms`);

      await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
      await waitFor(() => view.visible, 'the Plans view shows');
      assert.strictEqual(await tree.waitForFirstPaint(view, 300), 'timeout', 'a view that shows is waited for');
    } finally {
      tree.dispose();
      repositories.dispose();
    }
  });
});
