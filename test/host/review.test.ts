/**
 * Review and merge through the Source Control view, in the real VS Code host.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  activateExtension,
  canScreenshot,
  commitIn,
  createPlan,
  gitIn,
  screenshot,
  setSetting,
  TestingApi,
  treeItems,
  waitFor,
  widenSideBar,
  workspaceRoot,
} from './helpers';

/** Refs, HEADs and status of every worktree, and the bytes of every file: "nothing changed" when equal. */
function stateOf(main: string, worktrees: string[]): string {
  const files = (dir: string): string =>
    gitIn(dir, 'ls-files', '-co', '--exclude-standard')
      .split('\n')
      .filter(Boolean)
      .map((f) => `${f}:${fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : '<gone>'}`)
      .join('\n');
  return [
    gitIn(main, 'for-each-ref', '--format=%(refname) %(objectname)'),
    ...[main, ...worktrees].map((w) => `${w}\n${gitIn(w, 'status', '--porcelain')}\n${files(w)}`),
  ].join('\n---\n');
}

describe('Review and merge through Source Control', function () {
  this.timeout(120_000);
  let api: TestingApi;
  let main: string;

  before(async () => {
    api = await activateExtension<TestingApi>();
    main = workspaceRoot();
    await setSetting('openAfterCreate', 'none');
    await setSetting('scm.showAllPlans', true);
  });

  after(async () => {
    await setSetting('openAfterCreate', undefined);
    await setSetting('scm.showAllPlans', undefined);
  });

  it('lists exactly what git diff <merge-base> and the untracked files say, in two groups', async () => {
    const plan = await createPlan('300', 'Review me');
    commitIn(
      plan.path,
      { 'src/app.js': 'export const changed = true;\n', 'docs/guide.md': '# Guide\n' },
      'Work on the plan',
    );
    gitIn(plan.path, 'mv', 'src/util.js', 'src/helpers.js');
    fs.appendFileSync(path.join(plan.path, 'README.md'), 'uncommitted line\n');
    fs.writeFileSync(path.join(plan.path, 'scratch.txt'), 'untracked\n');
    await api.testing.scm.sync();
    const control = await waitFor(() => api.testing.scm.forPlan('300'), 'the plan in Source Control');
    await control.update();
    assert.strictEqual(control.sourceControl.label, 'Plan 300 → main');

    const mergeBase = gitIn(plan.path, 'merge-base', 'HEAD', 'main');
    const expected = new Set([
      ...gitIn(plan.path, 'diff', '--name-only', '-M', mergeBase).split('\n').filter(Boolean),
      ...gitIn(plan.path, 'ls-files', '--others', '--exclude-standard').split('\n').filter(Boolean),
    ]);
    const shown = (group: vscode.SourceControlResourceGroup) =>
      group.resourceStates.map((r) => path.relative(plan.path, r.resourceUri.fsPath)).sort();
    const all = new Set([...shown(control.committed), ...shown(control.uncommitted)]);
    assert.deepStrictEqual([...all].sort(), [...expected].sort());
    assert.deepStrictEqual(
      shown(control.committed),
      gitIn(plan.path, 'diff', '--name-only', mergeBase, 'HEAD').split('\n').sort(),
    );
    assert.ok(shown(control.uncommitted).includes('scratch.txt') && shown(control.uncommitted).includes('README.md'));
    assert.strictEqual(
      control.sourceControl.count,
      shown(control.committed).length,
      'the badge counts the files committed on the plan, not the uncommitted ones again',
    );
    const renamed = control.uncommitted.resourceStates.find((r) => r.resourceUri.fsPath.endsWith('helpers.js'));
    assert.strictEqual(renamed?.decorations?.tooltip, 'Renamed from src/util.js');
    const untracked = control.uncommitted.resourceStates.find((r) => r.resourceUri.fsPath.endsWith('scratch.txt'));
    assert.strictEqual(untracked?.decorations?.tooltip, 'Untracked');
  });

  it('opens a resource as a diff editor whose left side is the base version, and the gutter compares with the base', async () => {
    const control = api.testing.scm.forPlan('300');
    assert.ok(control);
    const resource = control.committed.resourceStates.find((r) =>
      r.resourceUri.fsPath.endsWith(path.join('src', 'app.js')),
    );
    assert.ok(resource?.command);
    await vscode.commands.executeCommand(resource.command.command, ...(resource.command.arguments ?? []));
    const tab = await waitFor(() => {
      const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
      return input instanceof vscode.TabInputTextDiff ? input : undefined;
    }, 'the diff editor');
    const left = await vscode.workspace.openTextDocument(tab.original);
    assert.strictEqual(left.getText(), fs.readFileSync(path.join(main, 'src', 'app.js'), 'utf8'));
    assert.strictEqual(tab.modified.fsPath, resource.resourceUri.fsPath);
    const original = control.provideOriginalResource(resource.resourceUri);
    assert.ok(original);
    assert.strictEqual((await vscode.workspace.openTextDocument(original)).getText(), left.getText());
    if (canScreenshot) {
      await vscode.commands.executeCommand('workbench.view.scm');
      await screenshot('scm-review', { clearNotifications: true });
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens every change of the plan in one multi-file diff editor', async () => {
    const count = await vscode.commands.executeCommand<number>('planWorktrees.showDiff', { plan: '300' });
    assert.strictEqual(count, 5);
    await waitFor(
      () => vscode.window.tabGroups.activeTabGroup.activeTab?.label.includes('Plan 300'),
      'the changes editor titled with the plan',
    );
    if (canScreenshot) await screenshot('changes-editor', { clearNotifications: true });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('commits every change of the plan from the Source Control input box', async () => {
    const control = api.testing.scm.forPlan('300');
    assert.ok(control?.sourceControl.acceptInputCommand);
    // The commit reads the value the extension host holds, which this sets at once. The workbench gets a copy and
    // echoes it back; messages keep their order both ways, so the echo of this value comes before the echo of the
    // clearing, and the box ends empty (waited for below): nothing to wait for here.
    control.sourceControl.inputBox.value = 'Finish the review';
    const accept = control.sourceControl.acceptInputCommand;
    const commit = await vscode.commands.executeCommand<string>(accept.command, ...(accept.arguments ?? []));
    const plan = (await api.list()).find((i) => i.plan?.id === '300');
    assert.ok(plan?.worktree);
    assert.strictEqual(gitIn(plan.worktree.path, 'rev-parse', 'HEAD'), commit);
    assert.strictEqual(gitIn(plan.worktree.path, 'log', '-1', '--format=%s'), 'Finish the review');
    assert.strictEqual(gitIn(plan.worktree.path, 'status', '--porcelain'), '');
    await waitFor(() => control.sourceControl.inputBox.value === '', 'the input box to be cleared');
    await vscode.commands.executeCommand('planWorktrees.discard', { plan: '300', force: true });
  });

  it('merges with each strategy through the command with arguments', async () => {
    const strategies = ['fastForward', 'merge', 'squash', 'rebase'] as const;
    const plans = [];
    for (const [i, strategy] of strategies.entries()) {
      const plan = await createPlan(`31${i}`, `Strategy ${strategy}`);
      const tip = commitIn(plan.path, { [`feature-${strategy}.txt`]: `${strategy}\n` }, `Add ${strategy}`);
      plans.push({ plan, strategy, tip });
    }
    for (const { plan, strategy, tip } of plans) {
      const before = gitIn(main, 'rev-parse', 'main');
      const result = await vscode.commands.executeCommand<{ baseBefore: string; baseAfter: string }>(
        'planWorktrees.merge',
        { plan: plan.id, strategy, cleanup: false },
      );
      assert.ok(result, `merge ${strategy} returned nothing`);
      assert.strictEqual(result.baseBefore, before);
      assert.strictEqual(gitIn(main, 'rev-parse', 'main'), result.baseAfter);
      assert.ok(
        fs.existsSync(path.join(main, `feature-${strategy}.txt`)),
        `the main checkout has the file of the ${strategy} plan`,
      );
      assert.strictEqual(gitIn(main, 'status', '--porcelain'), '', 'the main checkout is clean after the merge');
      const parents = gitIn(main, 'rev-list', '--parents', '-n', '1', 'main').split(' ').length - 1;
      if (strategy === 'fastForward') assert.strictEqual(result.baseAfter, tip);
      if (strategy === 'merge') assert.strictEqual(parents, 2);
      if (strategy === 'squash') {
        assert.strictEqual(parents, 1);
        assert.match(gitIn(main, 'log', '-1', '--format=%s', 'main'), /^Plan 312: Strategy squash/);
      }
      if (strategy === 'rebase') {
        assert.strictEqual(parents, 1);
        assert.strictEqual(
          gitIn(main, 'rev-parse', plan.branch),
          result.baseAfter,
          'the plan branch is the rebased history',
        );
      }
    }
    for (const { plan } of plans) await vscode.commands.executeCommand('planWorktrees.cleanup', { plan: plan.id });
  });

  it('refuses a conflicting merge before anything moves, and names the files', async () => {
    const plan = await createPlan('320', 'Conflicting change');
    commitIn(plan.path, { 'README.md': '# Plan version\n' }, 'Plan rewrites the title');
    commitIn(main, { 'README.md': '# Main version\n' }, 'Main rewrites the title');
    const before = stateOf(main, [plan.path]);
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('planWorktrees.merge', { plan: '320', strategy: 'merge' })),
      (e: unknown) => {
        const error = e as { code?: string; files?: string[]; message: string };
        assert.strictEqual(error.code, 'MergeConflict');
        assert.deepStrictEqual(error.files, ['README.md']);
        return true;
      },
    );
    assert.strictEqual(stateOf(main, [plan.path]), before, 'base, main checkout and plan are unchanged');
  });

  it('shows in the tree which plans merge cleanly, which conflict, and which change the same files', async () => {
    const overlap = await createPlan('321', 'Also touches the readme');
    commitIn(
      overlap.path,
      { 'README.md': '# Main version\n\nMore text from plan 321.\n' },
      'Plan 321 extends the readme',
    );
    const items = await waitFor(async () => {
      const shown = await treeItems(api);
      const conflicting = shown.find((i) => i.label === '320 · Conflicting change');
      const clean = shown.find((i) => i.label === '321 · Also touches the readme');
      return conflicting &&
        /⚠ conflicts/.test(conflicting.description) &&
        clean &&
        /✓ merges cleanly/.test(clean.description)
        ? { conflicting, clean }
        : undefined;
    }, 'the merge badges');
    assert.match(items.conflicting.description, /⇄ 321/);
    assert.match(items.clean.description, /⇄ 320/);
    if (canScreenshot) {
      await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
      await widenSideBar();
      await screenshot('explorer-merge-badges', { clearNotifications: true });
    }
  });

  it('cleans up after the merge when asked: worktree removed, branch deleted', async () => {
    const plan = (await api.list()).find((i) => i.plan?.id === '321');
    assert.ok(plan?.worktree);
    await vscode.commands.executeCommand('planWorktrees.merge', { plan: '321', strategy: 'squash', cleanup: true });
    assert.ok(!fs.existsSync(plan.worktree.path), 'the worktree folder is gone');
    assert.strictEqual(gitIn(main, 'branch', '--list', 'plan/321-*'), '', 'the branch is deleted');
    assert.match(fs.readFileSync(path.join(main, 'README.md'), 'utf8'), /More text from plan 321/);
    await vscode.commands.executeCommand('planWorktrees.discard', { plan: '320', force: true });
  });

  it("publishes a plan to the base branch's remote; a pull request merged there shows the plan as merged", async () => {
    const remote = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-remote-'));
    const server = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-server-'));
    try {
      gitIn(remote, 'init', '-q', '--bare', '-b', 'main');
      gitIn(main, 'remote', 'add', 'origin', remote);
      gitIn(main, 'push', '-q', '-u', 'origin', 'main');
      const plan = await createPlan('330', 'Reviewed by pull request');
      commitIn(plan.path, { 'pr.txt': 'from a pull request\n' }, 'Pull request work');
      const result = await vscode.commands.executeCommand<{ remote: string }>('planWorktrees.publish', { plan: '330' });
      assert.strictEqual(result?.remote, 'origin');
      assert.strictEqual(gitIn(remote, 'rev-parse', plan.branch), gitIn(plan.path, 'rev-parse', 'HEAD'));
      // The server squash-merges the pull request.
      gitIn(server, 'clone', '-q', remote, 'work');
      const work = path.join(server, 'work');
      gitIn(work, 'config', 'user.email', 'server@example.invalid');
      gitIn(work, 'config', 'user.name', 'Server');
      gitIn(work, 'merge', '-q', '--squash', `origin/${plan.branch}`);
      gitIn(work, 'commit', '-q', '-m', 'Merge pull request: Reviewed by pull request');
      gitIn(work, 'push', '-q', 'origin', 'main');
      gitIn(main, 'fetch', '-q', 'origin');
      await vscode.commands.executeCommand('planWorktrees.refresh');
      await waitFor(
        async () =>
          (await treeItems(api)).some(
            (i) => i.label === '330 · Reviewed by pull request' && /merged/.test(i.description),
          ),
        'the plan shown as merged',
      );
      const cleaned = await vscode.commands.executeCommand<{ deletedBranch: boolean }>('planWorktrees.cleanup', {
        plan: '330',
      });
      assert.strictEqual(cleaned?.deletedBranch, true, 'the branch is deleted like after a local merge');
    } finally {
      gitIn(main, 'remote', 'remove', 'origin');
      fs.rmSync(remote, { recursive: true, force: true });
      fs.rmSync(server, { recursive: true, force: true });
    }
  });
});
