/**
 * The main-checkout guard as a person meets it: the status-bar item of the
 * main window, whatever window changes the plans, and the guard's question
 * on the first edit of a main-checkout file.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Git } from '../../src/git/runner';
import { PlanEngine } from '../../src/model/engine/planEngine';
import {
  act,
  activateExtension,
  canAct,
  createPlan,
  gitIn,
  projectRoot,
  setSetting,
  TestingApi,
  treeItems,
  waitFor,
  workspaceRoot,
} from './helpers';

describe('Guard status bar and questions', function () {
  this.timeout(120_000);
  let api: TestingApi;
  let main: string;
  /** Another window: an engine of its own, in no way connected to this window's. */
  let otherWindow: PlanEngine;

  before(async () => {
    api = await activateExtension<TestingApi>();
    main = workspaceRoot();
    await setSetting('openAfterCreate', 'none');
    await setSetting('guard.mode', 'warn');
    otherWindow = await PlanEngine.open(main, { git: new Git() });
  });

  after(async () => {
    await setSetting('openAfterCreate', undefined);
    await setSetting('guard.mode', undefined);
  });

  const activePlans = async () =>
    (await api.list()).filter((i) => i.kind === 'plan' && i.worktree).map((i) => i.plan?.id);

  /** Watches the status-bar item for a while: it must show the guard the whole time. */
  async function guardStaysFor(ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const state = api.testing.statusBar.state;
      assert.deepStrictEqual(
        [state.visible, state.text, state.warning],
        [true, '$(shield) Main checkout', true],
        `${what}: ${JSON.stringify(state)}`,
      );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('keeps the guard item of the main window while plans exist, whatever another window does meanwhile, without a refresh', async () => {
    assert.deepStrictEqual(await activePlans(), [], 'no plans at the start');
    // Edits allowed by an earlier test (while its plans existed) end with the last plan.
    await waitFor(() => !api.testing.guard.editsAllowed, 'the guard on again');
    await otherWindow.create({ id: 'sb-1', title: 'Status one' });
    await otherWindow.create({ id: 'sb-2', title: 'Status two' });
    await waitFor(
      () => api.testing.statusBar.state.visible && api.testing.statusBar.state.warning,
      'the warning-coloured guard item',
    );
    assert.strictEqual(api.testing.statusBar.state.text, '$(shield) Main checkout');

    // Another window cleans up one of the plans: the other one is still there.
    await otherWindow.cleanup('sb-1', { force: true });
    await waitFor(async () => !(await activePlans()).includes('sb-1'), 'the clean-up to show in the list');
    await guardStaysFor(2_000, 'after another window cleaned up one of two plans');

    // Another window is half-way through adding a worktree: until it is done, git cannot list the worktrees.
    const switches = () => api.testing.guard.events.filter((e) => e.kind === 'branchSwitch').length;
    const switchesBefore = switches();
    const half = path.join(main, '.git', 'worktrees', 'half-made');
    fs.mkdirSync(half, { recursive: true });
    fs.writeFileSync(path.join(half, 'gitdir'), `${path.join(path.dirname(main), 'half-made', '.git')}\n`);
    fs.writeFileSync(path.join(half, 'commondir'), '');
    try {
      await guardStaysFor(2_500, 'while another window adds a worktree');
    } finally {
      fs.rmSync(half, { recursive: true, force: true });
    }
    await guardStaysFor(1_000, 'after it added it');
    assert.strictEqual(
      switches(),
      switchesBefore,
      'a list that failed meanwhile is no branch switch of the main checkout',
    );

    // The last plan goes: the item stays, and says there are no plans.
    await otherWindow.cleanup('sb-2', { force: true });
    const none = await waitFor(() => {
      const state = api.testing.statusBar.state;
      return state.visible && !state.warning ? state : undefined;
    }, 'the no-plans state of the guard item');
    assert.strictEqual(none.text, '$(home) Main checkout');
    assert.match(none.tooltip, /no plans yet/);
  });

  it('with no plans shows the welcome view with "Create Plan Worktree" and a plain "Main checkout"; with a plan, the tree and the guard', async () => {
    assert.deepStrictEqual(await activePlans(), [], 'no plans');
    await api.testing.statusBar.update();
    // VS Code shows the view's welcome (No plans yet … Create Plan Worktree) only while the tree is empty.
    await waitFor(
      async () => (await api.testing.tree.getChildren()).length === 0,
      'an empty tree, so that the welcome view shows',
    );
    const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
    const welcome = manifest.contributes.viewsWelcome.find(
      (w: { when: string }) => w.when === 'planWorktrees.state == ready && !planWorktrees.hasPlans',
    );
    const nls = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.nls.json'), 'utf8'));
    assert.match(
      nls[/^%(.*)%$/.exec(welcome?.contents ?? '')?.[1] ?? ''] ?? '',
      /^No plans yet\..*\[Create Plan Worktree\]\(command:planWorktrees\.create\)/s,
    );
    assert.deepStrictEqual(
      { ...api.testing.statusBar.state, tooltip: undefined },
      { visible: true, text: '$(home) Main checkout', warning: false, tooltip: undefined },
      'a plain "Main checkout" in the status bar',
    );

    const plan = await createPlan('sb-3', 'Fills the tree');
    try {
      const items = await waitFor(async () => {
        const shown = await treeItems(api);
        return shown.length === 2 ? shown : undefined;
      }, 'the main checkout and the plan in the tree');
      assert.deepStrictEqual(
        items.map((i) => i.label),
        ['Main checkout', 'sb-3 · Fills the tree'],
      );
      await waitFor(
        () => api.testing.statusBar.state.visible && api.testing.statusBar.state.warning,
        'the warning-coloured guard item',
      );
      assert.strictEqual(api.testing.statusBar.state.text, '$(shield) Main checkout');
    } finally {
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: plan.id, force: true });
    }
    await waitFor(async () => (await api.testing.tree.getChildren()).length === 0, 'the empty tree again');
  });

  it('allows edits in the main checkout while plans exist; once none is left, the next plan guards again', async () => {
    const plan = await createPlan('sb-4', 'Allowed for a while');
    await vscode.commands.executeCommand('planWorktrees.allowMainEdits');
    assert.strictEqual(api.testing.guard.editsAllowed, true);
    await waitFor(() => api.testing.statusBar.state.text === '$(unlock) Main checkout', 'the unlocked guard item');
    await vscode.commands.executeCommand('planWorktrees.discard', { plan: plan.id, force: true });
    await waitFor(() => !api.testing.guard.editsAllowed, 'the guard on again after the last plan went');
    const next = await createPlan('sb-5', 'Guarded again');
    try {
      await waitFor(
        () => api.testing.statusBar.state.text === '$(shield) Main checkout' && api.testing.statusBar.state.warning,
        'the guard item warning again',
      );
    } finally {
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: next.id, force: true });
    }
  });

  it('moves an unsaved edit of a main-checkout file into the new plan when the guard\'s "Move Changes to a New Plan" is chosen', async function () {
    if (!canAct) this.skip();
    const keeper = await createPlan('mv-0', 'Keeps the guard on');
    const file = path.join(main, 'README.md');
    const committed = gitIn(main, 'show', 'HEAD:README.md') + '\n';
    assert.strictEqual(fs.readFileSync(file, 'utf8'), committed, 'README.md is as committed at the start');
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    // A person's keystrokes: the first one already brings the guard's question, so the edit is unsaved.
    await editor.edit((b) =>
      b.insert(new vscode.Position(editor.document.lineCount, 0), 'Typed on main by mistake.\n'),
    );
    assert.ok(editor.document.isDirty);
    await waitFor(
      () => api.testing.guard.events.find((e) => e.kind === 'warned' && e.file === file),
      "the guard's question",
    );

    // Clicked where every notification stays (its toast is not always drawn in the test workbench).
    await vscode.commands.executeCommand('notifications.showList');
    await act(
      { click: 'Move Changes to a New Plan', in: 'notificationCenter' },
      { type: 'Rescued typing' },
      { press: 'Enter' },
    );
    await vscode.commands.executeCommand('notifications.hideList');
    const item = await waitFor(
      async () => (await api.list()).find((i) => i.plan?.title === 'Rescued typing' && i.worktree),
      'the new plan',
    );
    const planFile = path.join(item.worktree?.path ?? '', 'README.md');
    try {
      await waitFor(
        () => !editor.document.isDirty && fs.readFileSync(planFile, 'utf8').includes('Typed on main by mistake.'),
        'the edit saved in the plan',
      );
      assert.strictEqual(
        fs.readFileSync(planFile, 'utf8'),
        `${committed}Typed on main by mistake.\n`,
        "the plan's copy has the typed text",
      );
      assert.strictEqual(fs.readFileSync(file, 'utf8'), committed, "main's file is as committed");
      assert.strictEqual(editor.document.getText(), committed, "main's document is back to the committed text");
      assert.strictEqual(editor.document.isDirty, false, "main's document is not dirty");
      assert.strictEqual(gitIn(main, 'status', '--porcelain'), '', 'the main checkout is clean');
      const mainTabs = () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs)
          .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath === file);
      const shown = await waitFor(
        () =>
          vscode.window.activeTextEditor?.document.uri.fsPath === planFile && mainTabs().length === 0
            ? vscode.window.activeTextEditor
            : undefined,
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
    // Read where every notification stays until it is answered (its toast may be hidden by then): the notification centre.
    await vscode.commands.executeCommand('notifications.showList');
    await act({ see: 'The main checkout has no changes to move', in: 'notificationCenter' });
    await vscode.commands.executeCommand('notifications.clearAll');
    await vscode.commands.executeCommand('notifications.hideList');
    assert.strictEqual(await moving, undefined, 'nothing was created');
    assert.strictEqual((await api.list()).length, before);
  });
});
