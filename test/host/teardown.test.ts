/**
 * The pre-remove command (`planWorktrees.preRemoveCommand`) as a person
 * meets it: Clean Up stops with a message that names the command, its exit
 * status and its output, and removes nothing; Force Clean Up skips it and
 * says so.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { act, activateExtension, canAct, createPlan, setSetting, TestingApi, waitFor } from './helpers';

describe('Pre-remove command', function () {
  this.timeout(120_000);
  const command = 'echo "database still in use"; exit 1';

  before(async () => {
    await activateExtension<TestingApi>();
    await setSetting('openAfterCreate', 'none');
  });

  after(async () => {
    await setSetting('preRemoveCommand', undefined);
    await setSetting('openAfterCreate', undefined);
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('stops Clean Up when it exits with 1, with a message naming it; Force Clean Up skips it and says so', async () => {
    const plan = await createPlan('td-1', 'Teardown fails');
    await setSetting('preRemoveCommand', command);
    await vscode.commands.executeCommand('notifications.clearAll');
    const refused = await Promise.resolve(
      vscode.commands.executeCommand('planWorktrees.cleanup', { plan: plan.id }),
    ).then(
      () => undefined,
      (e: { code?: string; data?: { exitCode?: number; output?: string } }) => e,
    );
    assert.strictEqual(refused?.code, 'PreRemoveFailed', 'Clean Up was not stopped by the pre-remove command');
    assert.strictEqual(refused.data?.exitCode, 1);
    assert.strictEqual(refused.data?.output, 'database still in use\n');
    assert.ok(fs.existsSync(plan.path), 'the worktree was removed although the pre-remove command failed');
    if (canAct) {
      // Read where every notification stays (its toast is not always drawn in the test workbench).
      await vscode.commands.executeCommand('notifications.showList');
      await act(
        {
          see: `The pre-remove command "${command}" exited with status 1. The clean-up of plan td-1 stopped before anything was changed.`,
          in: 'notificationCenter',
        },
        { see: 'Its last output: database still in use', in: 'notificationCenter' },
      );
      await vscode.commands.executeCommand('notifications.hideList');
    }
    await vscode.commands.executeCommand('notifications.clearAll');

    const result = await vscode.commands.executeCommand<{ removedWorktree: boolean; preRemove?: string }>(
      'planWorktrees.cleanup',
      { plan: plan.id, force: true },
    );
    assert.strictEqual(result?.preRemove, 'skipped');
    assert.ok(result.removedWorktree);
    await waitFor(() => !fs.existsSync(plan.path), 'the forced clean-up to remove the worktree');
    if (canAct) {
      // Between the two: the kept branch (its work is not in main), which the message names too.
      // Read where every notification stays (its toast may be gone by then): the notification centre.
      await vscode.commands.executeCommand('notifications.showList');
      await act(
        { see: 'Plan td-1 cleaned up.', in: 'notificationCenter' },
        { see: 'The pre-remove command was not run (forced clean-up).', in: 'notificationCenter' },
      );
      await vscode.commands.executeCommand('notifications.hideList');
    }
  });
});
