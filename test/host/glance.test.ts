/**
 * What a person reads and clicks around a plan, checked in the real host (a
 * browser window, as code-server serves it): Show All Changes labels each
 * file as git does, the plan's Source Control has one short header, icon
 * buttons and no second count of the same files, its commit box answers an
 * empty commit with one message, Reveal works in a browser, and the log
 * says each thing once.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  activateExtension,
  commitIn,
  createPlan,
  EXTENSION_ID,
  gitIn,
  setSetting,
  TestingApi,
  waitFor,
  workspaceRoot,
} from './helpers';

/** The "Plan Worktrees" output channel's log file, found from the extension's log folder. */
function logFile(api: TestingApi): string | undefined {
  const logs = path.dirname(api.testing.logUri.fsPath);
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && depth < 3) walk(full, depth + 1);
      else if (entry.isFile() && entry.name.endsWith('Plan Worktrees.log')) found.push(full);
    }
  };
  if (fs.existsSync(logs)) walk(logs, 0);
  return found.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}

describe('Read at a glance', function () {
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

  it('opens Show All Changes with a modified file as modified (same path on both sides), not renamed', async () => {
    const plan = await createPlan('510', 'Changes editor');
    commitIn(plan.path, { 'src/app.js': 'export const changed = 1;\n', 'added.txt': 'new\n' }, 'Modify and add');
    gitIn(plan.path, 'mv', 'src/util.js', 'src/helpers.js');
    gitIn(plan.path, 'rm', '-q', 'README.md');
    assert.strictEqual(await vscode.commands.executeCommand('planWorktrees.showDiff', { plan: '510' }), 4);
    const input = await waitFor(() => {
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      const diffs = (tab?.input as { textDiffs?: Array<{ original?: vscode.Uri; modified?: vscode.Uri }> } | undefined)
        ?.textDiffs;
      return tab?.label.includes('Plan 510') && diffs && diffs.length > 0 ? diffs : undefined;
    }, 'the changes editor');
    const byName = (name: string) => input.find((d) => (d.modified ?? d.original)?.path.endsWith(name));
    const app = byName('src/app.js');
    assert.ok(app?.original && app.modified, JSON.stringify(input));
    assert.strictEqual(
      app.original.path,
      app.modified.path,
      'a modified file has the same path on both sides (the editor calls different paths "R")',
    );
    const renamed = byName('src/helpers.js');
    assert.ok(renamed?.original?.path.endsWith('src/util.js'), 'a renamed file keeps its old path on the left');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('planWorktrees.discard', { plan: '510', force: true });
  });

  it("gives the plan's Source Control a short header, icon actions only, and a count of the committed files only", async () => {
    const plan = await createPlan('511', 'A long title that the Source Control header has no room for');
    commitIn(plan.path, { 'committed.txt': 'c\n' }, 'Committed work');
    fs.writeFileSync(path.join(plan.path, 'uncommitted.txt'), 'u\n');
    await api.testing.scm.sync();
    const control = await waitFor(() => api.testing.scm.forPlan('511'), 'the plan in Source Control');
    await control.update();
    assert.strictEqual(control.sourceControl.label, 'Plan 511 → main');
    assert.strictEqual(control.sourceControl.count, 1, "the uncommitted file is the built-in provider's to count");
    assert.deepStrictEqual(
      control.sourceControl.statusBarCommands ?? [],
      [],
      'no row of buttons whose words are cut off ("Clean U"), no icons repeating the title actions',
    );
    // The actions are the view title's: icons (their titles are the tooltips), the first three on the header itself.
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: {
        commands: Array<{ command: string; icon?: string }>;
        menus: Record<string, Array<{ command: string; when: string; group: string }>>;
      };
    };
    const actions = manifest.contributes.menus['scm/title'].filter(
      (e) => /planWorktrees/.test(e.when) && e.group.startsWith('navigation'),
    );
    assert.deepStrictEqual(
      actions.map((e) => e.command),
      ['planWorktrees.commit', 'planWorktrees.merge', 'planWorktrees.showDiff'],
    );
    assert.ok(
      actions.every((e) =>
        /^\$\([a-z-]+\)$/.test(manifest.contributes.commands.find((c) => c.command === e.command)?.icon ?? ''),
      ),
      'each is an icon',
    );
    assert.match(control.sourceControl.inputBox.placeholder, /A long title/, 'the title is where there is room for it');
    // VS Code heads a provider that has a root folder with the folder's name (the built-in Git provider's too), the label pushed aside.
    assert.strictEqual(control.sourceControl.rootUri, undefined, 'the header is "Plan 511 → main"');
    // The view's title actions are given the source control: they act on its plan.
    assert.strictEqual(await vscode.commands.executeCommand('planWorktrees.showDiff', control.sourceControl), 2);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it("answers an empty commit from the plan's commit box itself, with one message (the box's command does not fail)", async () => {
    const plan = (await api.list()).find((i) => i.plan?.id === '511');
    assert.ok(plan?.worktree);
    gitIn(plan.worktree.path, 'add', '-A');
    gitIn(plan.worktree.path, 'commit', '-q', '-m', 'Commit the rest');
    const control = api.testing.scm.forPlan('511');
    assert.ok(control?.sourceControl.acceptInputCommand);
    control.sourceControl.inputBox.value = 'Nothing here';
    await new Promise((r) => setTimeout(r, 300));
    const head = gitIn(plan.worktree.path, 'rev-parse', 'HEAD');
    const accept = control.sourceControl.acceptInputCommand;
    // A rejection here is a second notification: VS Code reports the failed command beside our own message.
    assert.strictEqual(await vscode.commands.executeCommand(accept.command, ...(accept.arguments ?? [])), undefined);
    assert.strictEqual(gitIn(plan.worktree.path, 'rev-parse', 'HEAD'), head);
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('planWorktrees.commit', { plan: '511', message: 'x' })),
      (e: unknown) => (e as { code?: string }).code === 'NothingToCommit',
    );
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('writes "Merged plan … into main" to the log once', async () => {
    await vscode.commands.executeCommand('planWorktrees.merge', { plan: '511', strategy: 'squash', cleanup: false });
    const pattern = /Merged plan 511 into main \(squash\)/;
    const text = await waitFor(() => {
      const file = logFile(api);
      const content = file ? fs.readFileSync(file, 'utf8') : '';
      return pattern.test(content) ? content : undefined;
    }, 'the merge in the log');
    // Give a second write, if there were one, time to land.
    await new Promise((r) => setTimeout(r, 1500));
    const file = logFile(api);
    assert.ok(file);
    assert.strictEqual(
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => pattern.test(l)).length,
      1,
      text
        .split('\n')
        .filter((l) => /Merged plan 511/.test(l))
        .join('\n'),
    );
    await vscode.commands.executeCommand('planWorktrees.cleanup', { plan: '511', force: true });
  });

  it('reveals a worktree in a browser window, where the system file manager cannot be reached, and hides the item there', async () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { menus: Record<string, Array<{ command: string; when: string }>> };
    };
    const entry = manifest.contributes.menus['view/item/context'].find((e) => e.command === 'planWorktrees.revealInOS');
    assert.match(entry?.when ?? '', /!isWeb && !remoteName/);
    assert.strictEqual(vscode.env.uiKind, vscode.UIKind.Web, 'this host is a browser window');
    assert.strictEqual(await vscode.commands.executeCommand('planWorktrees.revealInOS', { path: main }), 'explorer');
  });
});
