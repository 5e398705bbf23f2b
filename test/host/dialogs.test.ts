/**
 * The questions Create and Merge ask, answered as a person does (typing into
 * the quick input, picking by keyboard): what they show while you type and
 * pick, and what the answers make.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Git } from '../../src/git/runner';
import { PlanEngine } from '../../src/model/engine/planEngine';
import { forceQuestion } from '../../src/ui/cleanupQuestions';
import {
  act,
  activateExtension,
  canAct,
  commitIn,
  createPlan,
  gitIn,
  setSetting,
  TestingApi,
  treeItems,
  waitFor,
  workspaceRoot,
} from './helpers';

describe('Create and merge questions', function () {
  this.timeout(120_000);
  let api: TestingApi;
  let main: string;
  let engine: PlanEngine;

  before(async function () {
    if (!canAct) this.skip();
    api = await activateExtension<TestingApi>();
    main = workspaceRoot();
    engine = await PlanEngine.open(main, { git: new Git() });
    await setSetting('openAfterCreate', 'none');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(async () => {
    await setSetting('openAfterCreate', undefined);
    await setSetting('merge.strategy', undefined);
    await setSetting('afterMerge', undefined);
  });

  it('shows the branch and folder a title makes as it is typed, and explains a title that looks like a path', async () => {
    const before = (await api.list()).length;
    const x = await engine.previewNames({ title: 'x' });
    const fixLogin = await engine.previewNames({ title: 'Fix login' });
    const folderOf = (folder: string) => `…/${path.basename(path.dirname(folder))}/${path.basename(folder)}`;
    const creating = vscode.commands.executeCommand('planWorktrees.create');
    await act(
      { type: 'Fix login' },
      { see: `Branch ${fixLogin.branch} · Folder ${folderOf(fixLogin.path)}`, in: 'quickInput' },
      { press: 'Control+a' },
      { type: '../x' },
      {
        see: '"../x" is taken as a title, not as a path or an option: the branch and folder are named after its words only ("x").',
        in: 'quickInput',
      },
      { see: `Branch ${x.branch} · Folder ${folderOf(x.path)}`, in: 'quickInput' },
      { press: 'Control+a' },
      { type: '...' },
      { see: '"..." has no letters or digits, so the branch and folder are named "plan".', in: 'quickInput' },
      { press: 'Escape' },
    );
    assert.strictEqual(await creating, undefined, 'cancelled');
    assert.strictEqual((await api.list()).length, before, 'nothing was created');
    assert.deepStrictEqual([x.branch, path.basename(x.path)], [`plan/${x.id}-x`, `${x.id}-x`]);
  });

  it("offers only plans with something to merge, names the strategies in words, and lets a person write the squash commit's message", async () => {
    await setSetting('merge.strategy', 'ask');
    await setSetting('afterMerge', 'keep');
    const work = await createPlan('dq-1', 'With work');
    const idle = await createPlan('dq-2', 'Nothing yet');
    try {
      commitIn(work.path, { 'dq.txt': 'work\n' }, 'Add dq.txt');
      await waitFor(async () => {
        const item = (await engine.list()).find((i) => i.plan?.id === 'dq-1');
        return item && ((await engine.details(item)).ahead ?? 0) > 0;
      }, 'the commit of dq-1');
      const merging = vscode.commands.executeCommand<{ commit: string }>('planWorktrees.merge');
      await act(
        { see: 'dq-1 · With work', in: 'quickInput' },
        { absent: 'dq-2 · Nothing yet', in: 'quickInput' },
        { press: 'Enter' },
        { see: 'Squash into one commit', in: 'quickInput' },
        { see: 'Merge commit', in: 'quickInput' },
        { see: 'Fast-forward only', in: 'quickInput' },
        { see: 'Rebase, then fast-forward', in: 'quickInput' },
        { absent: 'fastForward', in: 'quickInput' },
        { type: 'Squash into' },
        { press: 'Enter' },
        { see: 'The message of the squash commit', in: 'quickInput' },
        { value: 'Plan dq-1: With work' },
        { press: 'Control+a' },
        { type: 'Add dq.txt, reviewed' },
        { press: 'Enter' },
      );
      const result = await merging;
      assert.ok(result, 'merged');
      assert.strictEqual(gitIn(main, 'log', '-1', '--format=%s', 'main'), 'Add dq.txt, reviewed');
      assert.match(gitIn(main, 'log', '-1', '--format=%b', 'main'), /^Squashed commits:\n- [0-9a-f]+ Add dq\.txt/);
      assert.strictEqual(
        gitIn(main, 'rev-list', '--parents', '-n', '1', 'main').split(' ').length,
        2,
        'one parent: a squash',
      );
    } finally {
      await vscode.commands.executeCommand('notifications.clearAll');
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: work.id, force: true });
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: idle.id, force: true });
    }
  });
  it('after a merge, asks "Clean it up now?" in a quick pick that stays when focus moves, says the merged branch is deleted, and cleans up on the answer', async () => {
    await setSetting('afterMerge', 'ask');
    const plan = await createPlan('dq-3', 'Merged then asked');
    commitIn(plan.path, { 'dq3.txt': 'work\n' }, 'Add dq3.txt');
    const merging = vscode.commands.executeCommand<{ commit: string }>('planWorktrees.merge', {
      type: 'worktree',
      plan: plan.id,
      strategy: 'merge',
    });
    try {
      await act(
        { see: 'Plan dq-3 is merged into main. Clean it up now?', in: 'quickInput' },
        { see: `The branch ${plan.branch} is deleted: its work is in main.`, in: 'quickInput' },
        { see: 'Keep the Plan', in: 'quickInput' },
      );
      // Focus moves elsewhere (a person clicks into an editor): the question is still there, not in the notification centre.
      await vscode.commands.executeCommand('workbench.action.focusFirstEditorGroup');
      await act(
        { see: 'Plan dq-3 is merged into main. Clean it up now?', in: 'quickInput' },
        { absent: 'Clean it up now?', in: 'notificationCenter' },
        { click: 'Clean Up', in: 'quickInput' },
      );
      assert.ok(await merging, 'merged');
      await waitFor(async () => !(await api.list()).some((i) => i.plan?.id === 'dq-3'), 'plan dq-3 cleaned up');
      assert.strictEqual(gitIn(main, 'branch', '--list', plan.branch), '', 'the merged branch is deleted');
      assert.strictEqual(fs.existsSync(plan.path), false, 'the worktree folder is removed');
    } finally {
      await setSetting('afterMerge', undefined);
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: plan.id, force: true }).then(
        () => undefined,
        () => undefined,
      );
    }
  });
  it('asks a locked plan one question, the forced clean-up with its snapshot, and names each uncommitted file once', async () => {
    const locked = await createPlan('dq-4', 'Locked by an agent');
    const dirty = await createPlan('dq-5', 'With uncommitted files');
    try {
      gitIn(main, 'worktree', 'lock', '--reason', 'agent dq-4 at work', locked.path);
      fs.writeFileSync(path.join(dirty.path, 'notes.txt'), 'not committed\n');
      await vscode.commands.executeCommand('planWorktrees.refresh');
      // What a person sees before clicking: the plan's item says it has a change.
      await waitFor(
        async () =>
          (await treeItems(api)).some((i) => i.label.includes('dq-5') && /1 (changed|untracked)|●/.test(i.description)),
        'dq-5 shown with its uncommitted file',
      );
      // Clean Up from the plan's item in the Plans view, as a person does. The extension-test host
      // refuses modal dialogs and reports the refused dialog's message: that is the first question asked.
      await vscode.commands.executeCommand('planWorktrees.cleanup', { type: 'worktree', plan: 'dq-4' });
      await vscode.commands.executeCommand('notifications.showList');
      await act({ see: 'Force the clean-up of plan dq-4?', in: 'notificationCenter' });
      await vscode.commands.executeCommand('notifications.hideList');
      await vscode.commands.executeCommand('notifications.clearAll');
      await vscode.commands.executeCommand('planWorktrees.cleanup', { type: 'worktree', plan: 'dq-5' });
      await vscode.commands.executeCommand('notifications.showList');
      await act({ see: 'Force the clean-up of plan dq-5?', in: 'notificationCenter' });
      await vscode.commands.executeCommand('notifications.hideList');
      await vscode.commands.executeCommand('notifications.clearAll');
      assert.ok(fs.existsSync(locked.path) && fs.existsSync(dirty.path), 'nothing removed unasked');
      // The forced clean-up's question after git refused a plain one: each file named once, not in git's message and again in a list.
      const refused = await engine.cleanup(dirty.id).then(
        () => assert.fail('a plain clean-up of a worktree with an uncommitted file is refused'),
        (e: { code?: string; files?: string[] }) => e,
      );
      assert.strictEqual(refused.code, 'WorktreeDirty');
      const question = forceQuestion(await engine.plan(dirty.id), { files: refused.files });
      const text = `${question.message}\n${question.detail}`;
      assert.strictEqual(text.split('notes.txt').length - 1, 1, text);
      assert.match(question.detail, /A snapshot is saved first/);
    } finally {
      gitIn(main, 'worktree', 'unlock', locked.path);
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: locked.id, force: true });
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: dirty.id, force: true });
    }
  });
});
