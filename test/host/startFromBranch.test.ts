/**
 * "Start Plan from Branch…" driven as a person does: the pick of branches
 * (local ones no worktree has checked out), the title, and the plan that
 * adopts the branch — whose clean-up then keeps it while its work is not
 * merged.
 */
import * as assert from 'assert';
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
});
