/**
 * "Start Plan from Branch…" driven as a person does: the pick of branches
 * (local ones no worktree has checked out), the title, and the plan that
 * adopts the branch — whose clean-up then keeps it while its work is not
 * merged; and "Pull Request…", which fetches a pull request's head from the
 * remote the settings name.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Git } from '../../src/git/runner';
import { PlanEngine } from '../../src/model/engine/planEngine';
import { PlanRecord } from '../../src/model/engine/types';
import { act, activateExtension, canAct, commitIn, gitIn, setSetting, workspaceRoot } from './helpers';

describe('Start Plan from Branch', function () {
  this.timeout(120_000);
  let main: string;
  let engine: PlanEngine;

  before(async function () {
    if (!canAct) this.skip();
    await activateExtension();
    main = workspaceRoot();
    engine = await PlanEngine.open(main, { git: new Git() });
    await setSetting('openAfterCreate', 'none');
  });

  after(async () => {
    await setSetting('openAfterCreate', undefined);
  });

  it('offers the branches no worktree has checked out; the plan adopts the picked one, and clean-up keeps it unmerged', async () => {
    const busy = path.join(path.dirname(main), 'sfb-busy-worktree');
    gitIn(main, 'worktree', 'add', '-q', '-b', 'sfb/busy', busy);
    gitIn(main, 'branch', 'sfb/feature');
    let plan: PlanRecord | undefined;
    try {
      const starting = vscode.commands.executeCommand<PlanRecord>('planWorktrees.startFromBranch');
      await act(
        { type: 'sfb/' },
        { see: 'sfb/feature', in: 'quickInput' },
        { absent: 'sfb/busy', in: 'quickInput' },
        { press: 'Enter' },
        { see: "The plan's title", in: 'quickInput' },
        { value: 'feature' },
        { press: 'Control+a' },
        { type: 'SFB feature' },
        { press: 'Enter' },
      );
      plan = await starting;
      assert.ok(plan, 'a plan was started');
      assert.deepStrictEqual([plan.title, plan.branch, plan.adopted], ['SFB feature', 'sfb/feature', true]);
      assert.strictEqual(gitIn(plan.path, 'symbolic-ref', 'HEAD'), 'refs/heads/sfb/feature');
      const tip = commitIn(plan.path, { 'sfb.txt': 'work\n' }, 'Work on the adopted branch');
      const result = await engine.cleanup(plan.id);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch], [true, false]);
      assert.strictEqual(gitIn(main, 'rev-parse', 'refs/heads/sfb/feature'), tip, 'the adopted branch is kept');
    } finally {
      if (plan) {
        await vscode.commands.executeCommand('planWorktrees.discard', { plan: plan.id, force: true }).then(
          () => undefined,
          () => undefined,
        );
      }
      gitIn(main, 'worktree', 'remove', '--force', busy);
      gitIn(main, 'branch', '-D', 'sfb/busy', 'sfb/feature');
    }
  });

  it('offers "Pull Request…" when the repository has the remote the settings name: the head of the number typed, adopted as pr/<n>', async () => {
    const remote = path.join(path.dirname(main), 'sfb-pr-remote.git');
    const scratch = path.join(path.dirname(main), 'sfb-pr-scratch');
    gitIn(path.dirname(main), 'init', '-q', '--bare', remote);
    gitIn(main, 'remote', 'add', 'sfb-pr', remote);
    // The pull request's head as GitHub keeps it: under refs/pull/7/head, on no branch.
    gitIn(main, 'worktree', 'add', '-q', '--detach', scratch);
    const head = commitIn(scratch, { 'pr7.txt': 'from a contributor\n' }, 'Pull request 7');
    gitIn(scratch, 'push', '-q', 'sfb-pr', 'HEAD:refs/pull/7/head');
    gitIn(main, 'worktree', 'remove', '--force', scratch);
    let plan: PlanRecord | undefined;
    try {
      await setSetting('pullRequests.remote', 'sfb-pr');
      // A number the remote has no pull request for: a typed error, and nothing made.
      const refsBefore = gitIn(main, 'for-each-ref', '--format=%(refname)');
      await vscode.commands.executeCommand('notifications.clearAll');
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand('planWorktrees.startFromBranch', { pullRequest: 99 })),
        (e: unknown) =>
          (e as { code?: string }).code === 'BranchNotFound' &&
          (e as { data?: { reason?: string; number?: number } }).data?.reason === 'pullRequest' &&
          (e as { data?: { number?: number } }).data?.number === 99,
      );
      await vscode.commands.executeCommand('notifications.showList');
      await act({
        see: 'The remote "sfb-pr" has no pull request 99 (refs/pull/99/head does not exist there).',
        in: 'notificationCenter',
      });
      await vscode.commands.executeCommand('notifications.hideList');
      await vscode.commands.executeCommand('notifications.clearAll');
      assert.strictEqual(gitIn(main, 'for-each-ref', '--format=%(refname)'), refsBefore, 'no ref made');

      const starting = vscode.commands.executeCommand<PlanRecord>('planWorktrees.startFromBranch');
      await act(
        { see: 'Pull Request…', in: 'quickInput' },
        { type: 'Pull Request' },
        { press: 'Enter' },
        { see: 'The number of the pull request of sfb-pr', in: 'quickInput' },
        { type: '7' },
        { press: 'Enter' },
        { see: "The plan's title", in: 'quickInput' },
        { value: 'Pull request 7' },
        { press: 'Enter' },
      );
      plan = await starting;
      assert.ok(plan, 'a plan was started');
      assert.deepStrictEqual([plan.title, plan.branch, plan.adopted], ['Pull request 7', 'pr/7', true]);
      assert.strictEqual(gitIn(plan.path, 'rev-parse', 'HEAD'), head);
      assert.ok(fs.existsSync(path.join(plan.path, 'pr7.txt')));
      const result = await engine.cleanup(plan.id);
      assert.deepStrictEqual([result.removedWorktree, result.deletedBranch], [true, false], 'unmerged: kept');
      assert.strictEqual(gitIn(main, 'rev-parse', 'refs/heads/pr/7'), head);
      plan = undefined;
    } finally {
      await setSetting('pullRequests.remote', undefined);
      if (plan) {
        await vscode.commands.executeCommand('planWorktrees.discard', { plan: plan.id, force: true }).then(
          () => undefined,
          () => undefined,
        );
      }
      gitIn(main, 'remote', 'remove', 'sfb-pr');
      for (const ref of ['refs/heads/pr/7', 'refs/remotes/sfb-pr/pr/7']) {
        try {
          gitIn(main, 'update-ref', '-d', ref);
        } catch {
          // not made
        }
      }
      fs.rmSync(remote, { recursive: true, force: true });
    }
  });
});
