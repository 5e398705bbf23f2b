/**
 * A plan whose rebase onto its base stopped on a conflict, as a person meets
 * it: the tree shows it as rebasing (never as merged) with Continue, Abort
 * and Show Conflicts; the plan's commit box refuses to commit mid-rebase; a
 * second rebase says why it cannot run; the history lists the rebase and the
 * refused merge.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { PlanErrorCode } from '../../src/model/engine/errors';
import { planErrorMessage } from '../../src/ui/messages';
import {
  activateExtension,
  canScreenshot,
  commitIn,
  createPlan,
  gitIn,
  menuCommands,
  screenshot,
  settleTree,
  setSetting,
  TestingApi,
  treeItems,
  waitFor,
  workspaceRoot,
} from './helpers';

interface Engine {
  rebaseOntoBase(planId: string): Promise<string[]>;
}

describe('A plan mid-rebase', function () {
  this.timeout(120_000);
  let api: TestingApi;
  let main: string;
  let plan: { id: string; path: string; branch: string };
  let planTip: string;

  before(async () => {
    api = await activateExtension<TestingApi>();
    main = workspaceRoot();
    await setSetting('openAfterCreate', 'none');
    await setSetting('scm.showAllPlans', true);
    plan = await createPlan('500', 'Rebase me');
    planTip = commitIn(plan.path, { 'README.md': '# Plan 500 title\n' }, 'Plan 500 rewrites the title');
    commitIn(main, { 'README.md': '# Main title\n' }, 'Main rewrites the title');
  });

  after(async () => {
    await vscode.commands.executeCommand('planWorktrees.discard', { plan: '500', force: true });
    await setSetting('openAfterCreate', undefined);
    await setSetting('scm.showAllPlans', undefined);
  });

  const engine = () => api.testing.repositories.engines[0] as unknown as Engine;
  const planItem = async () => (await treeItems(api)).find((i) => i.label === '500 · Rebase me');

  it('is refused by the merge, recorded in the history as a refused merge', async () => {
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('planWorktrees.merge', { plan: '500', strategy: 'merge' })),
      /conflicts with main/,
    );
    const history = await vscode.commands.executeCommand<{
      entries: Array<{ kind: string; outcome: string; summary: string; detail?: string }>;
    }>('planWorktrees.showHistory', { plan: '500' });
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    const refused = history?.entries.find((e) => e.kind === 'merge' && e.outcome === 'failed');
    assert.ok(refused, JSON.stringify(history?.entries));
    assert.strictEqual(refused.summary, 'Merge into main refused');
    assert.strictEqual(refused.detail, 'MergeConflict: Conflicts with main; nothing was changed. Files: README.md.');
  });

  it('shows as rebasing with a pause icon, Continue, Abort and Show Conflicts, never as merged', async () => {
    // "Rebase Plan onto main…" of the conflict message runs this.
    assert.deepStrictEqual(await engine().rebaseOntoBase('500'), ['README.md']);
    await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
    const shown = await waitFor(async () => {
      const item = await planItem();
      return item && /^plan:rebasing/.test(item.contextValue) ? item : undefined;
    }, 'the plan shown as rebasing');
    assert.match(shown.description, /^rebasing ●1 changed 1 conflicted/);
    assert.doesNotMatch(shown.description, /merged|detached/);
    const icon = api.testing.tree.getTreeItem(shown.node).iconPath as vscode.ThemeIcon;
    assert.strictEqual(icon.id, 'debug-pause');
    assert.strictEqual((icon.color as vscode.ThemeColor).id, 'gitDecoration.conflictingResourceForeground');
    assert.deepStrictEqual(
      menuCommands(shown.contextValue, 'inline').filter((c) => /Rebase|Conflicts|merge$/.test(c)),
      ['planWorktrees.showConflicts', 'planWorktrees.continueRebase', 'planWorktrees.abortRebase'],
      'the buttons on the item: no Merge mid-rebase',
    );
    assert.ok(
      menuCommands(shown.contextValue, 'menu').includes('planWorktrees.openInNewWindow'),
      'the plan can still be opened to resolve it',
    );
    if (canScreenshot) {
      await settleTree();
      await screenshot('explorer-rebasing', { clearNotifications: true });
    }
  });

  it('says a second rebase cannot run while one is stopped, in a whole sentence', async () => {
    await assert.rejects(engine().rebaseOntoBase('500'), (e: unknown) => {
      const error = e as { code: PlanErrorCode; data: unknown };
      assert.strictEqual(error.code, 'RebaseInProgress');
      assert.deepStrictEqual(error.data, {
        reason: 'planInOperation',
        plan: '500',
        base: 'main',
        operation: 'rebase',
        action: 'rebase',
      });
      assert.strictEqual(
        planErrorMessage(error.code, error.data),
        'Plan 500 is in the middle of a rebase, so it cannot rebase onto main now. Resolve its conflicts and continue the rebase, or abort it first.',
      );
      return true;
    });
  });

  it("refuses to commit from the plan's commit box mid-rebase: no detached commit", async () => {
    fs.writeFileSync(path.join(plan.path, 'README.md'), "# Main title, and the plan's\n");
    await api.testing.scm.sync();
    const control = await waitFor(() => api.testing.scm.forPlan('500'), 'the plan in Source Control');
    control.sourceControl.inputBox.value = 'Resolve the title';
    await new Promise((r) => setTimeout(r, 300));
    const head = gitIn(plan.path, 'rev-parse', 'HEAD');
    const accept = control.sourceControl.acceptInputCommand;
    assert.ok(accept);
    // The box's command answers the person itself (one message); it neither commits nor rejects.
    assert.strictEqual(await vscode.commands.executeCommand(accept.command, ...(accept.arguments ?? [])), undefined);
    assert.strictEqual(gitIn(plan.path, 'rev-parse', 'HEAD'), head, 'no commit was made');
    assert.match(gitIn(plan.path, 'status'), /rebase in progress/);
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('planWorktrees.commit', { plan: '500', message: 'x' })),
      (e: unknown) => (e as { code?: string }).code === 'RebaseInProgress',
    );
  });

  it('shows the conflicts, continues only when none is left (naming them), then the plan is active again', async () => {
    fs.writeFileSync(
      path.join(plan.path, 'README.md'),
      '<<<<<<< HEAD\n# Main title\n=======\n# Plan 500 title\n>>>>>>> plan\n',
    );
    assert.deepStrictEqual(await vscode.commands.executeCommand('planWorktrees.showConflicts', { plan: '500' }), [
      'README.md',
    ]);
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('planWorktrees.continueRebase', { plan: '500' })),
      (e: unknown) => {
        const error = e as { code?: string; files?: string[] };
        assert.strictEqual(error.code, 'ConflictsUnresolved');
        assert.deepStrictEqual(error.files, ['README.md']);
        return true;
      },
    );
    fs.writeFileSync(path.join(plan.path, 'README.md'), "# Main title, and the plan's\n");
    assert.deepStrictEqual(await vscode.commands.executeCommand('planWorktrees.continueRebase', { plan: '500' }), []);
    assert.strictEqual(gitIn(plan.path, 'rev-parse', '--abbrev-ref', 'HEAD'), plan.branch);
    assert.strictEqual(
      gitIn(plan.path, 'log', '-1', '--format=%s'),
      'Plan 500 rewrites the title',
      'the replayed commit kept its message',
    );
    const shown = await waitFor(async () => {
      const item = await planItem();
      return item && /^plan:active/.test(item.contextValue) ? item : undefined;
    }, 'the plan active again');
    assert.ok(menuCommands(shown.contextValue, 'inline').includes('planWorktrees.merge'));
  });

  it('aborts a rebase after a snapshot: the branch is back at its tip', async () => {
    commitIn(main, { 'README.md': '# Main title, again\n' }, 'Main moves on');
    assert.deepStrictEqual(await engine().rebaseOntoBase('500'), ['README.md']);
    const tip = gitIn(plan.path, 'rev-parse', plan.branch);
    const result = await vscode.commands.executeCommand<{ aborted: boolean; snapshot?: { ref: string } }>(
      'planWorktrees.abortRebase',
      { plan: '500', force: true },
    );
    assert.ok(result?.aborted && result.snapshot);
    assert.strictEqual(gitIn(plan.path, 'rev-parse', 'HEAD'), tip);
    assert.notStrictEqual(tip, planTip, 'the first rebase had finished');
    const history = await vscode.commands.executeCommand<{ entries: Array<{ kind: string; summary: string }> }>(
      'planWorktrees.showHistory',
      { plan: '500' },
    );
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.deepStrictEqual(
      history?.entries.filter((e) => e.kind === 'rebase').map((e) => e.summary),
      [
        'Rebase onto main stopped on conflicts',
        'Rebase onto main refused',
        'Continuing the rebase refused',
        'Rebase onto main finished',
        'Rebase onto main stopped on conflicts',
        'Rebase aborted: the plan is back where it was',
      ],
    );
  });
});
