/**
 * The explorer, the create and clean-up commands, and the main-checkout
 * guard, in the real VS Code host, on the demo repository the host opened.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  activateExtension,
  canScreenshot,
  gitIn,
  hoverTooltip,
  screenshot,
  setSetting,
  settleTree,
  TestingApi,
  treeItems,
  waitFor,
  workspaceRoot,
} from './helpers';

describe('Explorer, commands and guard', function () {
  this.timeout(120_000);
  let api: TestingApi;
  let main: string;

  before(async () => {
    api = await activateExtension<TestingApi>();
    main = workspaceRoot();
    await setSetting('openAfterCreate', 'none');
  });

  after(async () => {
    await setSetting('openAfterCreate', undefined);
    await setSetting('guard.mode', undefined);
  });

  it('creates a plan through command arguments, without a prompt, and the tree shows it', async () => {
    const plan = await vscode.commands.executeCommand<{ id: string; path: string; branch: string }>(
      'planWorktrees.create',
      { id: '189', title: 'Feature xyz', open: 'none' },
    );
    assert.ok(plan, 'create returned nothing');
    assert.strictEqual(plan.id, '189');
    assert.strictEqual(plan.branch, 'plan/189-feature-xyz');
    assert.ok(fs.existsSync(path.join(plan.path, 'README.md')), 'the worktree has the files of the base');
    assert.match(gitIn(main, 'worktree', 'list'), /plan\/189-feature-xyz/);
    const shown = await waitFor(
      async () => (await treeItems(api)).find((i) => i.label === '189 · Feature xyz'),
      'the plan in the tree',
    );
    // Made on hover, not with every redraw of the item (VS Code parses each Markdown tooltip it is given).
    assert.strictEqual(api.testing.tree.getTreeItem(shown.node).tooltip, undefined, 'no tooltip before the hover');
    const tooltip = (await hoverTooltip(api.testing.tree, shown.node)) as vscode.MarkdownString;
    assert.match(tooltip.value, /Branch: plan\/189\\-feature\\-xyz/, 'the branch is in the tooltip');
    assert.match(shown.contextValue, /^plan:active/);
    const first = (await treeItems(api))[0];
    assert.strictEqual(first.label, 'Main checkout', 'the main checkout is at the top');
  });

  it('shows the dirty state of a plan after a file changes in it, without a manual refresh', async () => {
    const plan = (await api.list()).find((i) => i.plan?.id === '189');
    assert.ok(plan?.worktree);
    fs.writeFileSync(path.join(plan.worktree.path, 'notes.md'), 'new file\n');
    fs.appendFileSync(path.join(plan.worktree.path, 'README.md'), 'changed\n');
    const shown = await waitFor(
      async () =>
        (await treeItems(api)).find((i) => i.label === '189 · Feature xyz' && /●2 changed/.test(i.description)),
      'the dirty count',
    );
    assert.match(shown.contextValue, /:dirty/);
  });

  it('shows the main-checkout guard in the status bar while plans exist', async () => {
    await setSetting('guard.mode', 'warn');
    await api.testing.statusBar.update();
    const state = api.testing.statusBar.state;
    assert.strictEqual(state.visible, true);
    assert.strictEqual(state.text, '$(shield) Main checkout');
    assert.strictEqual(state.warning, true, 'warning-coloured');
    if (canScreenshot) await screenshot('guard-status-bar', { clearNotifications: true });
  });

  it('warns on the first edit of a main-checkout file in warn mode', async () => {
    await setSetting('guard.mode', 'warn');
    const file = path.join(main, 'src', 'util.js');
    const editor = await vscode.window.showTextDocument(vscode.Uri.file(file));
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), '// edit on main\n'));
    const warned = await waitFor(() => api.testing.guard.events.find((e) => e.kind === 'warned'), 'the guard warning');
    assert.strictEqual(warned.file, file);
    assert.match(warned.message, /main checkout while plans exist/);
    if (canScreenshot) await screenshot('guard-warning');
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.strictEqual(gitIn(main, 'status', '--porcelain'), '', 'the main checkout is clean');
  });

  it('opens main-checkout files read-only in readOnly mode, until edits are allowed', async () => {
    await setSetting('guard.mode', 'readOnly');
    const file = path.join(main, 'src', 'app.js');
    const before = fs.readFileSync(file, 'utf8');
    await vscode.window.showTextDocument(vscode.Uri.file(file));
    await waitFor(
      () => api.testing.guard.events.find((e) => e.kind === 'readOnly' && e.file === file),
      'the read-only guard',
    );
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor);
    // Typing goes through the editor, as a user's keystrokes do.
    await vscode.commands.executeCommand('type', { text: 'blocked' });
    assert.strictEqual(editor.document.getText(), before, 'typing into a read-only main-checkout file changes nothing');
    await vscode.commands.executeCommand('planWorktrees.allowMainEdits');
    assert.strictEqual(api.testing.guard.editsAllowed, true);
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('type', { text: 'allowed' });
    assert.match(editor.document.getText(), /allowed/, 'after Allow Edits typing edits the file');
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.strictEqual(fs.readFileSync(file, 'utf8'), before);
    assert.strictEqual(gitIn(main, 'status', '--porcelain'), '', 'the main checkout is clean');
  });

  it('shows a worktree added with plain git from a terminal, without a manual refresh', async () => {
    const outside = path.join(path.dirname(main), 'made-by-hand');
    gitIn(main, 'worktree', 'add', '-b', 'by-hand', outside);
    try {
      const shown = await waitFor(
        async () => (await treeItems(api)).find((i) => i.label === 'made-by-hand'),
        'the hand-made worktree in the tree',
      );
      assert.match(shown.contextValue, /^worktree:other/);
    } finally {
      gitIn(main, 'worktree', 'remove', '--force', outside);
      gitIn(main, 'branch', '-D', 'by-hand');
    }
    await waitFor(
      async () => !(await treeItems(api)).some((i) => i.label === 'made-by-hand'),
      'the hand-made worktree to leave the tree',
    );
  });

  it('captures the tree with plans in several states', async function () {
    if (!canScreenshot) this.skip();
    await vscode.commands.executeCommand('planWorktrees.create', { id: '190', title: 'Refactor parser', open: 'none' });
    const merged = await vscode.commands.executeCommand<{ id: string; path: string }>('planWorktrees.create', {
      id: '191',
      title: 'Fix typo',
      open: 'none',
    });
    const locked = await vscode.commands.executeCommand<{ path: string }>('planWorktrees.create', {
      id: '192',
      title: 'Long-running spike',
      open: 'none',
    });
    const missing = await vscode.commands.executeCommand<{ path: string }>('planWorktrees.create', {
      id: '193',
      title: 'Abandoned experiment',
      open: 'none',
    });
    assert.ok(merged && locked && missing);
    fs.writeFileSync(
      path.join(merged.path, 'README.md'),
      '# Demo project\n\nA small repository to try Plan Worktrees on, with the typo fixed.\n',
    );
    gitIn(merged.path, 'commit', '-qam', 'Fix the typo');
    await vscode.commands.executeCommand('planWorktrees.merge', { plan: '191', strategy: 'merge', cleanup: false });
    gitIn(locked.path, 'worktree', 'lock', '--reason', 'on hold', locked.path);
    fs.rmSync(missing.path, { recursive: true, force: true });
    await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
    const items = await waitFor(async () => {
      const shown = await treeItems(api);
      const ready =
        shown.some((i) => i.label === '192 · Long-running spike' && /locked/.test(i.description)) &&
        shown.some((i) => i.label === '191 · Fix typo' && /merged/.test(i.description)) &&
        shown.some((i) => i.label === '193 · Abandoned experiment' && /missing/.test(i.description)) &&
        shown.some((i) => i.label === '189 · Feature xyz' && /changed/.test(i.description));
      return ready ? shown : undefined;
    }, 'the plans in their states');
    assert.deepStrictEqual(
      items.map((i) => i.label),
      [
        'Main checkout',
        '189 · Feature xyz',
        '190 · Refactor parser',
        '191 · Fix typo',
        '192 · Long-running spike',
        '193 · Abandoned experiment',
      ],
    );
    const byLabel = (label: string) => items.find((i) => i.label === label);
    assert.doesNotMatch(
      byLabel('190 · Refactor parser')?.description ?? '',
      /merged/,
      'a plan without commits of its own is not "merged"',
    );
    assert.match(byLabel('191 · Fix typo')?.contextValue ?? '', /^plan:merged/);
    assert.match(byLabel('192 · Long-running spike')?.contextValue ?? '', /:locked/);
    assert.match(byLabel('193 · Abandoned experiment')?.contextValue ?? '', /^plan:missing/);
    // State first: at the side bar's default width nothing that matters is cut off behind a branch name.
    assert.match(byLabel('191 · Fix typo')?.description ?? '', /^merged/);
    assert.match(byLabel('189 · Feature xyz')?.description ?? '', /^●2 changed/);
    assert.match(byLabel('192 · Long-running spike')?.description ?? '', /locked$/);
    assert.strictEqual(byLabel('193 · Abandoned experiment')?.description, 'missing');
    assert.ok(
      items.every((i) => !/^plan\//.test(i.description)),
      'no description starts with a branch',
    );
    await settleTree();
    await screenshot('explorer-plans', { clearNotifications: true });
    gitIn(locked.path, 'worktree', 'unlock', locked.path);
    for (const id of ['190', '191', '192', '193']) {
      await vscode.commands.executeCommand('planWorktrees.cleanup', { plan: id, force: true });
    }
  });

  it("lists a plan's changed files when it is expanded, and a click opens the diff against the base", async () => {
    const plan = await vscode.commands.executeCommand<{ id: string; path: string }>('planWorktrees.create', {
      id: '200',
      title: 'Diff check',
      open: 'none',
    });
    assert.ok(plan);
    fs.appendFileSync(path.join(plan.path, 'src', 'app.js'), '// changed in the plan\n');
    fs.writeFileSync(path.join(plan.path, 'added.txt'), 'a new file\n');
    const node = await waitFor(
      async () => (await treeItems(api)).find((i) => i.label === '200 · Diff check' && /●2/.test(i.description)),
      'the plan with two changes',
    );
    const children = await api.testing.tree.getChildren(node.node);
    const files = children.map((child) => api.testing.tree.getTreeItem(child));
    assert.deepStrictEqual(files.map((f) => `${f.label} ${f.description}`).sort(), ['added.txt U', 'app.js M src']);
    const app = files.find((f) => f.label === 'app.js');
    assert.strictEqual(app?.command?.command, 'vscode.diff');
    const [left, right] = app.command.arguments as [vscode.Uri, vscode.Uri, string];
    assert.strictEqual(left.scheme, 'plan-base');
    assert.strictEqual(right.fsPath, path.join(plan.path, 'src', 'app.js'));
    const base = await vscode.workspace.openTextDocument(left);
    assert.strictEqual(
      base.getText(),
      fs.readFileSync(path.join(main, 'src', 'app.js'), 'utf8'),
      'the left side is the base version',
    );
    await vscode.commands.executeCommand(app.command.command, ...(app.command.arguments ?? []));
    await waitFor(
      () => vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputTextDiff,
      'a diff editor',
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('planWorktrees.cleanup', { plan: '200', force: true });
  });

  it("moves the main checkout's uncommitted changes into a new plan and leaves the main checkout clean", async () => {
    fs.appendFileSync(path.join(main, 'README.md'), 'work started on main by mistake\n');
    fs.writeFileSync(path.join(main, 'draft.md'), 'an untracked draft\n');
    const plan = await vscode.commands.executeCommand<{ id: string; path: string }>('planWorktrees.moveChangesToPlan', {
      id: '201',
      title: 'Rescued work',
      open: 'none',
    });
    assert.ok(plan);
    assert.strictEqual(gitIn(main, 'status', '--porcelain'), '', 'the main checkout is clean');
    assert.match(fs.readFileSync(path.join(plan.path, 'README.md'), 'utf8'), /work started on main by mistake/);
    assert.strictEqual(fs.readFileSync(path.join(plan.path, 'draft.md'), 'utf8'), 'an untracked draft\n');
    await vscode.commands.executeCommand('planWorktrees.discard', { plan: '201', force: true });
  });

  it('reports a branch switch in the main checkout while plans exist', async () => {
    const plan = await vscode.commands.executeCommand<{ id: string }>('planWorktrees.create', {
      id: '202',
      title: 'Keeps plans alive',
      open: 'none',
    });
    assert.ok(plan);
    await waitFor(
      async () => (await treeItems(api)).some((i) => i.label === '202 · Keeps plans alive'),
      'the plan in the tree',
    );
    gitIn(main, 'checkout', '-q', '-b', 'side-branch');
    try {
      const event = await waitFor(
        () => api.testing.guard.events.find((e) => e.kind === 'branchSwitch'),
        'the branch-switch report',
      );
      assert.match(event.message, /from main to side-branch/);
    } finally {
      gitIn(main, 'checkout', '-q', 'main');
      gitIn(main, 'branch', '-D', 'side-branch');
    }
    await vscode.commands.executeCommand('planWorktrees.cleanup', { plan: '202', force: true });
  });

  it('cleans up a plan through the command, and the item leaves the tree', async () => {
    const plan = (await api.list()).find((i) => i.plan?.id === '189');
    assert.ok(plan?.worktree);
    const worktree = plan.worktree.path;
    // Dirty: refused without force, with nothing changed.
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('planWorktrees.cleanup', { plan: '189' })),
      (e: unknown) => {
        const error = e as { code?: string; data?: { reason?: string }; files?: string[] };
        assert.deepStrictEqual([error.code, error.data?.reason], ['WorktreeDirty', 'uncommitted']);
        assert.ok(error.files?.includes('notes.md'), JSON.stringify(error.files));
        return true;
      },
    );
    assert.ok(fs.existsSync(path.join(worktree, 'notes.md')), 'the refused clean-up kept the untracked file');
    const result = await vscode.commands.executeCommand<{ removedWorktree: boolean; snapshot?: { ref: string } }>(
      'planWorktrees.cleanup',
      { plan: '189', force: true },
    );
    assert.ok(result?.removedWorktree);
    assert.ok(result.snapshot, 'a forced clean-up keeps a snapshot');
    assert.ok(!fs.existsSync(worktree));
    assert.match(gitIn(main, 'for-each-ref', 'refs/plan-worktrees/snapshots/'), /snapshots\/189\//);
    await waitFor(
      async () => !(await treeItems(api)).some((i) => i.label === '189 · Feature xyz'),
      'the plan to leave the tree',
    );

    // The snapshot brings the plan back with its uncommitted and untracked files.
    const restored = await vscode.commands.executeCommand<{ path: string; branch: string }>('planWorktrees.restore', {
      snapshot: result.snapshot.ref,
    });
    assert.ok(restored);
    assert.strictEqual(fs.readFileSync(path.join(restored.path, 'notes.md'), 'utf8'), 'new file\n');
    assert.match(fs.readFileSync(path.join(restored.path, 'README.md'), 'utf8'), /changed\n$/);
    await waitFor(
      async () => (await treeItems(api)).some((i) => i.label === '189 · Feature xyz'),
      'the restored plan in the tree',
    );
    await vscode.commands.executeCommand('planWorktrees.discard', { plan: '189', force: true });
  });

  it('runs the doctor with arguments and returns its findings without a prompt', async () => {
    const plan = await vscode.commands.executeCommand<{ path: string }>('planWorktrees.create', {
      id: '203',
      title: 'Folder deleted by hand',
      open: 'none',
    });
    assert.ok(plan);
    fs.rmSync(plan.path, { recursive: true, force: true });
    const findings = await vscode.commands.executeCommand<
      Array<{ kind: string; path?: string; fix?: { label: string } }>
    >('planWorktrees.doctor', {});
    const missing = findings?.find((f) => f.kind === 'missingFolder' && f.path === plan.path);
    assert.ok(missing, `the doctor reports the missing folder: ${JSON.stringify(findings)}`);
    assert.ok(missing.fix, 'with a fix');
    await vscode.commands.executeCommand('planWorktrees.discard', { plan: '203', force: true });
  });

  it("shows $(…) in a plan's title as text in its tooltip, not as an icon", async () => {
    const plan = await vscode.commands.executeCommand<{ id: string }>('planWorktrees.create', {
      id: '204',
      title: 'Check $(verified) badge',
      open: 'none',
    });
    assert.ok(plan, 'create returned nothing');
    const shown = await waitFor(
      async () => (await treeItems(api)).find((i) => i.label === '204 · Check $(verified) badge'),
      'the plan in the tree',
    );
    const tooltip = (await hoverTooltip(api.testing.tree, shown.node)) as vscode.MarkdownString;
    assert.strictEqual(
      tooltip.supportThemeIcons,
      true,
      'the tooltip renders theme icons, so user text in it must be escaped',
    );
    // `\\$` is a backslash that Markdown keeps, which tells VS Code "not an icon"; `\(` and `\)` are plain Markdown escapes.
    assert.ok(tooltip.value.includes('**Plan 204: Check \\\\$\\(verified\\) badge**'), tooltip.value);
    assert.doesNotMatch(tooltip.value, /(^|[^\\])\$\(verified\)/, 'no $(verified) without a backslash before it');
    await vscode.commands.executeCommand('planWorktrees.discard', { plan: '204', force: true });
  });
});
