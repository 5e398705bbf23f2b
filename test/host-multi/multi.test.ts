/**
 * A multi-root workspace of two repositories (test/host-multi/fixture.ts):
 * the tree groups by repository, each group creating in its own; create by
 * a person's pick and by a program's `repository`; a program that names no
 * repository is refused instead of getting the first one; the status bar
 * follows the active editor across the two and into a plan added to the
 * workspace; "Open in New Window" on that plan opens no second window.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  act,
  activateExtension,
  canAct,
  EXTENSION_ID,
  gitIn,
  projectRoot,
  TestingApi,
  treeItems,
  waitFor,
} from '../host/helpers';
import { SECOND } from './fixture';

type Api = TestingApi & {
  create(args: Record<string, unknown>): Promise<{ id: string; title: string; path: string; branch: string }>;
  diff(plan: string, options?: { repository?: string }): Promise<unknown>;
  startFromFile(file: string, options?: Record<string, unknown>): Promise<{ id: string; path: string }>;
};

function codeOf(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

/** The folders (or workspace files) of the browser's windows open now, as the runner sees them. */
async function openWindows(): Promise<string[]> {
  const file = path.join(projectRoot, 'artifacts', `windows-${process.pid}-${Date.now()}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  console.log(`[plan-worktrees:windows] ${file}`);
  const text = await waitFor(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8'), 'the list of windows');
  fs.rmSync(file, { force: true });
  return JSON.parse(String(text)) as string[];
}

async function openFile(file: string): Promise<vscode.TextEditor> {
  return vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
}

describe('Several repositories in one window', function () {
  let api: Api;
  let demo: string;
  let second: string;
  const statusText = () => api.testing.statusBar.state.text;
  /** Waits until the status bar's text passes `check`; a timeout says what it showed then. */
  const statusShows = async (check: (text: string) => boolean, what: string) => {
    await waitFor(() => check(statusText()), what).catch((e: Error) => {
      throw new Error(`${e.message}; the status bar says "${statusText()}"`);
    });
  };

  before(async () => {
    api = await activateExtension<Api>();
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    assert.strictEqual(folders.length, 2, `a workspace of two folders: ${folders.join(', ')}`);
    [demo, second] = folders;
    assert.strictEqual(path.basename(second), SECOND);
    await waitFor(() => api.testing.repositories.engines.length === 2, 'both repositories');
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('groups the tree by repository, and each group has its own create action', async () => {
    const items = await treeItems(api);
    assert.deepStrictEqual(
      items.map((i) => [i.label, i.description, i.contextValue]),
      [
        [path.basename(demo), demo, 'repository'],
        [SECOND, second, 'repository'],
      ],
    );
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { menus: Record<string, Array<{ command: string; when: string; group?: string }>> };
    };
    const onGroup = manifest.contributes.menus['view/item/context'].filter((e) =>
      /\bviewItem == repository\b/.test(e.when),
    );
    assert.deepStrictEqual(
      onGroup.map((e) => [e.command, e.group]),
      [['planWorktrees.create', 'inline@1']],
    );
  });

  it("refuses a program's create that names no repository, and creates in the one it names", async () => {
    const plansBefore = (await api.list()).filter((i) => i.kind === 'plan').length;
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('planWorktrees.create', { title: 'Nowhere', open: 'none' })),
      (e) => codeOf(e) === 'RepositoryAmbiguous' && String((e as Error).message).includes(second),
    );
    await assert.rejects(
      api.create({ title: 'Elsewhere', repository: path.join(path.dirname(demo), 'not-a-repository') }),
      (e) => codeOf(e) === 'RepositoryNotOpen',
    );
    assert.strictEqual((await api.list()).filter((i) => i.kind === 'plan').length, plansBefore, 'nothing created');

    // Named by a file inside it, the second repository.
    const plan = await api.create({ id: '1', title: 'By arguments', repository: path.join(second, 'lib', 'index.js') });
    assert.ok(plan.path.startsWith(`${second}.plans${path.sep}`), plan.path);
    assert.strictEqual(gitIn(second, 'branch', '--list', plan.branch).replace('+', '').trim(), plan.branch);
    assert.strictEqual(gitIn(demo, 'branch', '--list', plan.branch), '', 'the first repository has no such branch');

    // A plan file named relative to a main checkout, and a restore: the same rule.
    await assert.rejects(api.startFromFile('plans/ship.md'), (e) => codeOf(e) === 'RepositoryAmbiguous');
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('planWorktrees.restore', { plan: '1' })),
      (e) => codeOf(e) === 'RepositoryAmbiguous',
    );
    const shipped = await api.startFromFile('plans/ship.md', { repository: second });
    assert.strictEqual(shipped.id, 'ship');
    assert.ok(shipped.path.startsWith(`${second}.plans${path.sep}`), shipped.path);
  });

  it('asks a person which repository, and creates in the one picked', async function () {
    if (!canAct) this.skip();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const creating = Promise.resolve(vscode.commands.executeCommand<{ path: string }>('planWorktrees.create'));
    await act(
      { see: path.basename(demo), in: 'quickInput' },
      { click: SECOND, in: 'quickInput' },
      { see: "The plan's title", in: 'quickInput' },
      { type: 'Picked by a person' },
      { see: 'Branch plan/2-picked-by-a-person', in: 'quickInput' },
      { press: 'Enter' },
    );
    const plan = await creating;
    assert.ok(plan?.path.startsWith(`${second}.plans${path.sep}`), plan?.path);
  });

  it("creates in a group's repository from its create action", async function () {
    if (!canAct) this.skip();
    const group = (await treeItems(api)).find((i) => i.label === path.basename(demo));
    const creating = Promise.resolve(
      vscode.commands.executeCommand<{ id: string; path: string }>('planWorktrees.create', group?.node),
    );
    await act(
      { see: "The plan's title", in: 'quickInput' },
      { type: 'From the group' },
      { see: 'Branch plan/1-from-the-group', in: 'quickInput' },
      { press: 'Enter' },
    );
    const plan = await creating;
    assert.ok(plan?.path.startsWith(`${demo}.plans${path.sep}`), plan?.path);
    // Both repositories have a plan 1 now: a program must say which.
    await assert.rejects(api.diff('1'), (e) => codeOf(e) === 'RepositoryAmbiguous');
    assert.ok(await api.diff('1', { repository: demo }));
  });

  it('the status bar follows the active editor across the two repositories', async () => {
    await openFile(path.join(second, 'README.md'));
    await statusShows((t) => t.endsWith(`Main checkout · ${SECOND}`), `the second repository`);
    await openFile(path.join(demo, 'README.md'));
    await statusShows((t) => t.endsWith(`Main checkout · ${path.basename(demo)}`), `the first repository`);
    // A file of a plan that is no folder of this window: its repository, seen from this window's folder of it.
    const plan1 = (await api.list()).find((i) => i.plan?.id === '1' && i.worktree?.path.startsWith(`${second}.plans`));
    assert.ok(plan1?.worktree, 'plan 1 of the second repository');
    await openFile(path.join(plan1.worktree.path, 'README.md'));
    await statusShows((t) => t.endsWith(`Main checkout · ${SECOND}`), `the second again`);
  });

  it('adds a plan to the workspace; the status bar and the guard follow its folder, and it opens no second window', async () => {
    const plan = await api.create({ id: 'side', title: 'Side by side', repository: second });
    const added = await vscode.commands.executeCommand<string>('planWorktrees.addToWorkspace', {
      plan: plan.id,
      repository: second,
    });
    assert.strictEqual(added, plan.path);
    const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.fsPath === plan.path);
    assert.strictEqual(folder?.name, 'Plan side: Side by side');
    assert.strictEqual(vscode.workspace.workspaceFolders?.length, 3);

    const inPlan = await openFile(path.join(plan.path, 'lib', 'index.js'));
    await statusShows((t) => t === `$(git-branch) Plan side: Side by side · ${SECOND}`, `the plan`);
    // An edit in the plan's folder is the plan's: the guard says nothing; one in the main checkout is warned about.
    const warned = () => api.testing.guard.events.filter((e) => e.kind === 'warned').map((e) => e.file);
    await inPlan.edit((b) => b.insert(new vscode.Position(0, 0), '// plan\n'));
    const inMain = await openFile(path.join(second, 'lib', 'index.js'));
    await statusShows((t) => t.endsWith(`Main checkout · ${SECOND}`), `the main checkout`);
    await inMain.edit((b) => b.insert(new vscode.Position(0, 0), '// main\n'));
    await waitFor(() => warned().includes(inMain.document.uri.fsPath), 'the guard warning for the main checkout');
    assert.ok(!warned().includes(inPlan.document.uri.fsPath), 'no warning for the plan');
    for (const editor of [inPlan, inMain]) {
      await vscode.window.showTextDocument(editor.document);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }

    if (canAct) {
      const before = await openWindows();
      const opened = await vscode.commands.executeCommand<string>('planWorktrees.openInNewWindow', {
        plan: plan.id,
        repository: second,
      });
      assert.strictEqual(opened, plan.path);
      await new Promise((r) => setTimeout(r, 1500));
      assert.deepStrictEqual(await openWindows(), before, 'no second window on the plan');
    }
  });
});
