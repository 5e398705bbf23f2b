/**
 * The main-checkout guard as a person meets it: the status-bar item of the
 * main window, whatever window changes the plans, and the guard's question
 * on the first edit of a main-checkout file.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { act, activateExtension, canAct, createPlan, gitIn, setSetting, TestingApi, waitFor, workspaceRoot } from './helpers';

describe('Guard status bar and questions', function () {
  this.timeout(120_000);
  let api: TestingApi;
  let main: string;

  before(async () => {
    api = await activateExtension<TestingApi>();
    main = workspaceRoot();
    await setSetting('openAfterCreate', 'none');
    await setSetting('guard.mode', 'warn');
  });

  after(async () => {
    await setSetting('openAfterCreate', undefined);
    await setSetting('guard.mode', undefined);
  });

  it('moves an unsaved edit of a main-checkout file into the new plan when the guard\'s "Move Changes to a New Plan" is chosen', async function () {
    if (!canAct) this.skip();
    const keeper = await createPlan('mv-0', 'Keeps the guard on');
    const file = path.join(main, 'README.md');
    const committed = gitIn(main, 'show', 'HEAD:README.md') + '\n';
    assert.strictEqual(fs.readFileSync(file, 'utf8'), committed, 'README.md is as committed at the start');
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    // A person's keystrokes: the first one already brings the guard's question, so the edit is unsaved.
    await editor.edit((b) => b.insert(new vscode.Position(editor.document.lineCount, 0), 'Typed on main by mistake.\n'));
    assert.ok(editor.document.isDirty);
    await waitFor(() => api.testing.guard.events.find((e) => e.kind === 'warned' && e.file === file), 'the guard\'s question');

    await act({ click: 'Move Changes to a New Plan', in: 'notification' }, { type: 'Rescued typing' }, { press: 'Enter' });
    const item = await waitFor(async () => (await api.list()).find((i) => i.plan?.title === 'Rescued typing' && i.worktree), 'the new plan');
    const planFile = path.join(item.worktree?.path ?? '', 'README.md');
    try {
      await waitFor(() => !editor.document.isDirty && fs.readFileSync(planFile, 'utf8').includes('Typed on main by mistake.'), 'the edit saved in the plan');
      assert.strictEqual(fs.readFileSync(planFile, 'utf8'), `${committed}Typed on main by mistake.\n`, "the plan's copy has the typed text");
      assert.strictEqual(fs.readFileSync(file, 'utf8'), committed, "main's file is as committed");
      assert.strictEqual(editor.document.getText(), committed, "main's document is back to the committed text");
      assert.strictEqual(editor.document.isDirty, false, "main's document is not dirty");
      assert.strictEqual(gitIn(main, 'status', '--porcelain'), '', 'the main checkout is clean');
      const mainTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath === file);
      const shown = await waitFor(
        () => (vscode.window.activeTextEditor?.document.uri.fsPath === planFile && mainTabs().length === 0 ? vscode.window.activeTextEditor : undefined),
        "an editor on the plan's copy instead of main's file",
      );
      assert.strictEqual(shown.document.isDirty, false);
      assert.strictEqual(shown.document.getText(), `${committed}Typed on main by mistake.\n`);
    } finally {
      if (editor.document.isDirty) {
        await vscode.window.showTextDocument(editor.document);
        await vscode.commands.executeCommand('workbench.action.files.revert');
      }
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.commands.executeCommand('notifications.clearAll');
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: item.plan?.id, force: true });
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: keeper.id, force: true });
    }
  });

  it('says so, before anything is made, when "Move Changes to a New Plan" has nothing to move', async function () {
    if (!canAct) this.skip();
    assert.strictEqual(gitIn(main, 'status', '--porcelain'), '', 'the main checkout is clean');
    const before = (await api.list()).length;
    const moving = vscode.commands.executeCommand('planWorktrees.moveChangesToPlan');
    await act({ see: 'The main checkout has no changes to move', in: 'notification' });
    await vscode.commands.executeCommand('notifications.clearAll');
    assert.strictEqual(await moving, undefined, 'nothing was created');
    assert.strictEqual((await api.list()).length, before);
  });
});
