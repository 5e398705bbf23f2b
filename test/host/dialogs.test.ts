/**
 * The questions Create and Merge ask, answered as a person does (typing into
 * the quick input, picking by keyboard): what they show while you type and
 * pick, and what the answers make.
 */
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { Git } from '../../src/git/git';
import { PlanEngine } from '../../src/model/engine/planEngine';
import {
  act,
  activateExtension,
  canAct,
  commitIn,
  createPlan,
  gitIn,
  setSetting,
  TestingApi,
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
});
