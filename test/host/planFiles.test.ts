/**
 * Plans from files, the status binding, the plan window's terminal
 * environment and the history, in the real VS Code host on the demo
 * repository: through the tree, the CodeLens, the commands and a real terminal.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  activateExtension,
  canScreenshot,
  commitIn,
  gitIn,
  projectRoot,
  screenshot,
  setSetting,
  TestingApi,
  treeItems,
  waitFor,
  widenSideBar,
  workspaceRoot,
} from './helpers';

interface PlanFilesTestingApi extends TestingApi {
  testing: TestingApi['testing'] & {
    tree: TestingApi['testing']['tree'] & {
      resolveTreeItem(item: vscode.TreeItem, node: unknown): Promise<vscode.TreeItem>;
    };
    planFiles: { startablePaths: string[] };
  };
}

interface Plan {
  id: string;
  title: string;
  path: string;
  branch: string;
  base: string;
  baseCommit: string;
  planFile?: string;
}

const LOGIN_MD =
  '---\nid: pf-1\ntitle: Fix the login\nstatus: todo  # set by the team\nowner: ana\n---\n\n# Fix the login\n\n- [ ] reproduce\n- [ ] fix\n';
const API_JSON =
  '{\n  "id": "pf-2",\n  "title": "Ship the API",\n  "status": "pending",\n  "steps": [{ "status": "pending", "name": "design" }]\n}\n';

/** A menu entry's `when` clause regular expression on `viewItem`, as VS Code matches it. */
function menuMatches(menu: string, command: string, contextValue: string): boolean {
  const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
  const entries: Array<{ command: string; when: string; group?: string }> = manifest.contributes.menus[menu];
  return entries.some((e) => {
    if (e.command !== command) return false;
    const match = /viewItem =~ \/(.*?)\/(?: |$)/.exec(e.when);
    return !!match && new RegExp(match[1]).test(contextValue) && (e.group ?? '').startsWith('inline');
  });
}

describe('Plans from files, status binding, plan terminals and history', function () {
  this.timeout(120_000);
  let api: PlanFilesTestingApi;
  let main: string;
  /** The base commit plan pf-1 started from. */
  let pf1Base = '';
  const write = (rel: string, content: string): void => {
    const file = path.join(main, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  };

  before(async () => {
    api = await activateExtension<PlanFilesTestingApi>();
    main = workspaceRoot();
    await setSetting('openAfterCreate', 'none');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const item of await api.list()) {
      if (item.plan?.id.startsWith('pf-') && item.worktree) {
        await vscode.commands
          .executeCommand('planWorktrees.cleanup', { plan: item.plan.id, force: true })
          .then(undefined, () => undefined);
      }
    }
    for (const dir of ['plans', 'tasks']) fs.rmSync(path.join(main, dir), { recursive: true, force: true });
    await setSetting('openAfterCreate', undefined);
    await setSetting('planFileStatus', undefined);
  });

  it('shows plan files without a worktree in the tree, with "Start in Worktree", and offers it in the explorer', async () => {
    write('plans/pf-1-login.md', LOGIN_MD);
    write('tasks/pf-2.json', API_JSON);
    write('plans/README.md', '# What goes in this folder\n');
    const items = await waitFor(async () => {
      const shown = await treeItems(api);
      return shown.some((i) => i.label === 'pf-1 · Fix the login') &&
        shown.some((i) => i.label === 'pf-2 · Ship the API')
        ? shown
        : undefined;
    }, 'the plan files in the tree');
    const login = items.find((i) => i.label === 'pf-1 · Fix the login');
    assert.strictEqual(login?.description, 'plans/pf-1-login.md · todo');
    assert.strictEqual(login.contextValue, 'planFile:new');
    assert.ok(
      menuMatches('view/item/context', 'planWorktrees.startPlanFromFile', login.contextValue),
      'the inline "Start in Worktree" action shows on it',
    );
    assert.ok(!items.some((i) => /README/.test(i.description)), 'a README is not a plan');
    assert.strictEqual(items[0].label, 'Main checkout');
    // The explorer's context menu offers the command on exactly these files.
    await waitFor(
      () => api.testing.planFiles.startablePaths.includes(path.join(main, 'tasks', 'pf-2.json')),
      'the explorer context key',
    );
    const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8'));
    assert.ok(
      manifest.contributes.menus['explorer/context'].some(
        (m: { command: string; when: string }) =>
          m.command === 'planWorktrees.startPlanFromFile' &&
          m.when.includes('resourcePath in planWorktrees.planFilePaths'),
      ),
    );
    assert.ok(!api.testing.planFiles.startablePaths.some((p) => p.endsWith('README.md')));
    if (canScreenshot) {
      await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
      await widenSideBar();
      await screenshot('plan-files-tree', { clearNotifications: true });
    }
  });

  it("starts a plan from its tree item with the file's id and title; with the binding on, the status follows: in_progress, then done on merge", async () => {
    await setSetting('planFileStatus', true);
    const login = (await treeItems(api)).find((i) => i.label === 'pf-1 · Fix the login');
    assert.ok(login);
    const plan = await vscode.commands.executeCommand<Plan>('planWorktrees.startPlanFromFile', login.node);
    assert.ok(plan, 'the start returned the plan');
    assert.deepStrictEqual(
      [plan.id, plan.title, plan.planFile, plan.branch],
      ['pf-1', 'Fix the login', 'plans/pf-1-login.md', 'plan/pf-1-fix-the-login'],
    );
    assert.ok(fs.existsSync(path.join(plan.path, 'README.md')));
    pf1Base = plan.baseCommit;
    const file = path.join(main, 'plans', 'pf-1-login.md');
    assert.strictEqual(
      fs.readFileSync(file, 'utf8'),
      LOGIN_MD.replace('status: todo  #', 'status: in_progress  #'),
      'only the status changed',
    );
    await waitFor(async () => {
      const shown = await treeItems(api);
      return (
        shown.some((i) => i.label === 'pf-1 · Fix the login' && i.contextValue.startsWith('plan:active')) &&
        !shown.some((i) => i.contextValue.startsWith('planFile:') && i.label.startsWith('pf-1'))
      );
    }, 'the plan-file item to become a plan');

    commitIn(plan.path, { 'src/login.js': 'export const login = () => true;\n' }, 'Fix the login');
    await vscode.commands.executeCommand('planWorktrees.merge', { plan: 'pf-1', strategy: 'merge', cleanup: true });
    await waitFor(
      () => fs.readFileSync(file, 'utf8') === LOGIN_MD.replace('status: todo  #', 'status: done  #'),
      'the status "done" after the merge',
    );
    assert.ok(!fs.existsSync(plan.path), 'cleaned up after the merge');
    // A done plan file is not offered again.
    await waitFor(
      async () => !(await treeItems(api)).some((i) => i.label.startsWith('pf-1')),
      'the finished plan file to leave the tree',
    );
  });

  it('starts a plan from the CodeLens at the top of a plan file', async () => {
    const uri = vscode.Uri.file(path.join(main, 'tasks', 'pf-2.json'));
    await vscode.window.showTextDocument(uri);
    const lenses = await waitFor(async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      return found?.some((l) => l.command?.title.includes('Start in Worktree')) ? found : undefined;
    }, 'the Start in Worktree CodeLens');
    const start = lenses.find((l) => l.command?.title.includes('Start in Worktree'));
    assert.ok(start?.command);
    assert.strictEqual(start.range.start.line, 0, 'at the top of the file');
    assert.strictEqual(start.command.command, 'planWorktrees.startPlanFromFile');
    if (canScreenshot) {
      // Room for the editor, and time for the CodeLens to be drawn.
      await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
      for (let i = 0; i < 6; i++) await vscode.commands.executeCommand('workbench.action.increaseViewWidth');
      await new Promise((r) => setTimeout(r, 1500));
      await screenshot('plan-file-codelens', { clearNotifications: true });
    }
    const plan = await vscode.commands.executeCommand<Plan>(start.command.command, ...(start.command.arguments ?? []));
    assert.ok(plan);
    assert.deepStrictEqual([plan.id, plan.title, plan.planFile], ['pf-2', 'Ship the API', 'tasks/pf-2.json']);
    assert.strictEqual(
      fs.readFileSync(uri.fsPath, 'utf8'),
      API_JSON.replace('"status": "pending",\n', '"status": "in_progress",\n').replace(
        '}]\n}',
        `}],\n  "worktree": ${JSON.stringify(plan.path)}\n}`,
      ),
      "only the top-level status changed, in the task JSON's words, and the worktree recorded after the last member",
    );
    const after = await waitFor(async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      return found?.find((l) => l.command?.title.includes('is in its worktree'));
    }, 'the CodeLens of a started plan');
    assert.strictEqual(after.command?.command, 'planWorktrees.openInNewWindow');
    await waitFor(
      () => !api.testing.planFiles.startablePaths.includes(uri.fsPath),
      'the started file to leave the explorer context key',
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('refuses a plan file with a hostile id or title with a clear error, and creates nothing', async () => {
    await setSetting('planFileStatus', false);
    write('plans/evil.md', '---\nid: "../../../outside"\ntitle: Escape\n---\n');
    write('plans/evil2.json', '{ "id": "pf-evil", "title": "bell\\u0007 and \\u001b]0;title" }');
    const shown = await waitFor(
      async () => (await treeItems(api)).find((i) => i.label === 'evil.md'),
      'the broken plan file in the tree',
    );
    assert.strictEqual(shown.contextValue, 'planFile:invalid');
    assert.match(shown.description, /not a valid plan/);
    const state = () =>
      [
        gitIn(main, 'for-each-ref', '--format=%(refname) %(objectname)'),
        gitIn(main, 'worktree', 'list', '--porcelain'),
        fs.readFileSync(path.join(main, '.git', 'plan-worktrees', 'plans.json'), 'utf8'),
      ].join('\n');
    const before = state();
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('planWorktrees.startPlanFromFile', { file: 'plans/evil.md' })),
      (e: unknown) =>
        (e as { code?: string }).code === 'InvalidName' &&
        /plans\/evil\.md: The plan id "\.\.\/\.\.\/\.\.\/outside" must not start with "\."/.test((e as Error).message),
    );
    await assert.rejects(
      Promise.resolve(
        vscode.commands.executeCommand('planWorktrees.startPlanFromFile', {
          file: path.join(main, 'plans', 'evil2.json'),
        }),
      ),
      (e: unknown) =>
        (e as { code?: string }).code === 'InvalidName' &&
        /plans\/evil2\.json: .*control character \(U\+0007\)/.test((e as Error).message),
    );
    assert.strictEqual(state(), before, 'no branch, worktree or registry entry');
    const evil = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(main, 'plans', 'evil.md')));
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', evil.uri);
    assert.strictEqual(lenses.length, 1);
    assert.match(
      lenses[0].command?.title ?? '',
      /^\$\(warning\) Not a plan that can be started: The plan id/,
      'the CodeLens says why instead of "Start in Worktree"',
    );
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('shows a plan\'s lifecycle in "Show History" and sums it up in the plan\'s tooltip', async () => {
    const shown = await vscode.commands.executeCommand<{
      plan: string;
      entries: Array<{ kind: string; summary: string; outcome: string }>;
    }>('planWorktrees.showHistory', { plan: 'pf-1' });
    assert.ok(shown);
    const base = pf1Base.slice(0, 8);
    assert.deepStrictEqual(
      shown.entries.map((e) => e.summary),
      [
        `Created from main at ${base} as plan/pf-1-fix-the-login`,
        'Merged into main (merge)',
        'Cleaned up: worktree removed, branch plan/pf-1-fix-the-login deleted',
      ],
    );
    if (canScreenshot) await screenshot('plan-history', { clearNotifications: true });
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');

    const node = (await treeItems(api)).find((i) => i.label === 'pf-2 · Ship the API')?.node;
    assert.ok(node);
    const item = api.testing.tree.getTreeItem(node);
    const resolved = await api.testing.tree.resolveTreeItem(item, node);
    const tooltip = (resolved.tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /\*\*History\*\*/);
    assert.match(tooltip, /Created from main at [0-9a-f]{8} as plan\/pf\\-2\\-ship\\-the\\-api/);
    await api.testing.tree.resolveTreeItem(item, node);
    assert.strictEqual(
      (item.tooltip as vscode.MarkdownString).value.split('**History**').length,
      2,
      'summed up once, however often it is resolved',
    );
  });

  it('merging a task JSON\'s plan writes "completed", and its clean-up takes the worktree member out again', async () => {
    await setSetting('planFileStatus', true);
    const plan = (await api.list()).find((i) => i.plan?.id === 'pf-2')?.worktree;
    assert.ok(plan);
    commitIn(plan.path, { 'src/api.js': 'export const api = 1;\n' }, 'Ship the API');
    await vscode.commands.executeCommand('planWorktrees.merge', { plan: 'pf-2', strategy: 'merge', cleanup: true });
    const file = path.join(main, 'tasks', 'pf-2.json');
    const expected = API_JSON.replace('"status": "pending",\n', '"status": "completed",\n');
    await waitFor(
      () => fs.readFileSync(file, 'utf8') === expected,
      'the status "completed" and no worktree member',
    ).catch((e: Error) => assert.strictEqual(fs.readFileSync(file, 'utf8'), expected, e.message));
    assert.ok(!fs.existsSync(plan.path), 'cleaned up after the merge');
  });
});
