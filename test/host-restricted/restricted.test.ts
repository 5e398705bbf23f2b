/**
 * Restricted Mode, in a real VS Code window with workspace trust on: the
 * folder (a plan worktree of a repository that names programs for every git
 * feature that can start one: fsmonitor, filters, textconv, merge drivers,
 * hooks, ssh, upload-pack, gpg, editors, pager, credential helper) opens
 * untrusted. Showing, refreshing and expanding the view, opening Source
 * Control and invoking every command must start none of them; once trust is
 * granted in the Workspace Trust editor, the view fills in without a reload,
 * the plan's setup command runs, and git runs the repository's programs
 * again (which proves the programs were live all along).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  activateExtension,
  canScreenshot,
  projectRoot,
  screenshot,
  TestingApi,
  treeItems,
  waitFor,
  workspaceRoot,
} from '../host/helpers';

const programLog = process.env.PLAN_WORKTREES_PROGRAM_LOG ?? '';
const setupLog = process.env.PLAN_WORKTREES_SETUP_LOG ?? '';

interface RestrictedApi extends TestingApi {
  diff(plan: string): Promise<unknown>;
  merge(plan: string, options?: Record<string, unknown>): Promise<unknown>;
  cleanup(plan: string, options?: Record<string, unknown>): Promise<unknown>;
  startFromFile(file: string): Promise<unknown>;
  testing: TestingApi['testing'] & {
    treeView: vscode.TreeView<unknown>;
    scm: TestingApi['testing']['scm'] & { controls: Map<string, unknown> };
    tree: TestingApi['testing']['tree'] & {
      nodeForPath(p: string): { details?: { dirty: { modified: number } } } | undefined;
    };
  };
}

/** The programs of the repository that ran so far, in order. */
function programsThatRan(): string[] {
  return fs.existsSync(programLog) ? fs.readFileSync(programLog, 'utf8').split('\n').filter(Boolean) : [];
}

function codeOf(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

/** Lets every refresh, watcher and background read that the last step started finish. */
async function settle(api: RestrictedApi): Promise<void> {
  await api.testing.scm.sync();
  await api.testing.tree.getChildren();
  await new Promise((r) => setTimeout(r, 1000));
}

describe('Restricted Mode (workspace trust on)', function () {
  this.timeout(120_000);
  let api: RestrictedApi;
  let planPath: string;
  let mainPath: string;

  before(async () => {
    assert.ok(programLog && setupLog, 'the runner passes the log files of the hostile repository');
    api = await activateExtension<RestrictedApi>();
    planPath = workspaceRoot();
    mainPath = api.testing.repositories.engines[0].repo.mainPath;
  });

  it('opens the folder untrusted, with the extension active', () => {
    assert.strictEqual(vscode.workspace.isTrusted, false);
    assert.notStrictEqual(mainPath, planPath, 'the window is the plan worktree, not the main checkout');
  });

  it('shows the plans from the worktree list with the Restricted Mode note, and runs nothing the repository names', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
    await vscode.commands.executeCommand('planWorktrees.refresh');
    const items = await treeItems(api);
    assert.deepStrictEqual(
      items.map((i) => i.label),
      ['Trust This Folder…', 'Main checkout', '1 · Hostile repository'],
    );
    const trustItem = api.testing.tree.getTreeItem(items[0].node);
    assert.strictEqual(trustItem.command?.command, 'workbench.trust.manage');
    assert.match(
      api.testing.treeView.message ?? '',
      /Restricted Mode: trust this folder to see changes and use commands/,
    );
    // Expanding the plan would list its diff: the note instead.
    const children = await api.testing.tree.getChildren(items[2].node);
    assert.deepStrictEqual(
      children.map((c) => api.testing.tree.getTreeItem(c).label as string),
      ['Trust This Folder…'],
    );
    await vscode.commands.executeCommand('workbench.view.scm');
    await settle(api);
    assert.strictEqual(api.testing.scm.controls.size, 0, 'no Source Control of the plan (it would run git diff)');
    assert.strictEqual(api.testing.tree.nodeForPath(planPath)?.details, undefined, 'no git status of the plan');
    if (canScreenshot) {
      await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
      await screenshot('restricted-mode');
    }
    assert.deepStrictEqual(programsThatRan(), []);
  });

  it('answers every command with the Restricted Mode note, changes nothing and runs nothing', async () => {
    const refs = () =>
      fs.readFileSync(path.join(mainPath, '.git', 'HEAD'), 'utf8') +
      fs.readdirSync(path.join(mainPath, '.git', 'refs', 'heads'), { recursive: true }).join(',');
    const before = refs();
    const calls: Array<[string, Record<string, unknown>]> = [
      ['planWorktrees.create', { id: '2', title: 'Not while untrusted', open: 'none' }],
      ['planWorktrees.moveChangesToPlan', { id: '3', title: 'Move', open: 'none' }],
      ['planWorktrees.merge', { plan: '1', strategy: 'merge' }],
      ['planWorktrees.merge', { plan: '1', strategy: 'rebase' }],
      ['planWorktrees.commit', { plan: '1', message: 'Commit while untrusted' }],
      ['planWorktrees.publish', { plan: '1' }],
      ['planWorktrees.cleanup', { plan: '1', force: true }],
      ['planWorktrees.discard', { plan: '1', force: true }],
      ['planWorktrees.restore', { snapshot: 'none', force: true }],
      ['planWorktrees.doctor', { fix: 'all', force: true }],
      ['planWorktrees.lock', { plan: '1' }],
      ['planWorktrees.unlock', { plan: '1' }],
      ['planWorktrees.showDiff', { plan: '1' }],
      ['planWorktrees.startPlanFromFile', { file: 'README.md', open: 'none' }],
    ];
    for (const [command, args] of calls) {
      await assert.rejects(
        Promise.resolve(vscode.commands.executeCommand(command, args)),
        (e) => codeOf(e) === 'Untrusted' && /Restricted Mode/.test(String((e as Error).message)),
        command,
      );
    }
    await assert.rejects(api.diff('1'), (e) => codeOf(e) === 'Untrusted', 'api.diff');
    await assert.rejects(api.merge('1'), (e) => codeOf(e) === 'Untrusted', 'api.merge');
    await assert.rejects(api.cleanup('1', { force: true }), (e) => codeOf(e) === 'Untrusted', 'api.cleanup');
    await settle(api);
    assert.strictEqual(refs(), before, 'no branch moved or was made');
    assert.ok(fs.existsSync(planPath), 'the plan worktree is still there');
    assert.deepStrictEqual(programsThatRan(), []);
  });

  it('runs no setup command and opens no terminal while untrusted', async () => {
    const names = vscode.window.terminals.map((t) => t.name);
    assert.ok(!names.some((n) => /^Plan 1 setup/.test(n)), `terminals: ${names.join(', ')}`);
    assert.ok(!fs.existsSync(setupLog), 'the setup command did not run');
    const pending = path.join(api.testing.repositories.engines[0].repo.commonDir, 'plan-worktrees', 'setup', '1.json');
    assert.ok(fs.existsSync(pending), 'the setup command waits for trust');
  });

  it('fills in once trust is granted in the Workspace Trust editor, without a reload', async () => {
    assert.deepStrictEqual(programsThatRan(), []);
    await vscode.commands.executeCommand('workbench.trust.manage');
    const done = path.join(projectRoot, 'artifacts', 'restricted-trust-granted.txt');
    fs.rmSync(done, { force: true });
    console.log(`[plan-worktrees:grant-trust] ${done}`);
    await waitFor(() => fs.existsSync(done), 'the runner to click Trust', 30_000);
    assert.strictEqual(fs.readFileSync(done, 'utf8'), 'trusted');
    await waitFor(() => vscode.workspace.isTrusted, 'the folder to be trusted');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    // The plan's state, its Source Control and its setup command, with no reload.
    await waitFor(
      () => api.testing.tree.nodeForPath(planPath)?.details?.dirty.modified === 1,
      "the plan's changes in the tree",
      30_000,
    );
    assert.strictEqual(api.testing.treeView.message, undefined);
    const labels = (await treeItems(api)).map((i) => i.label);
    assert.ok(!labels.includes('Trust This Folder…'), labels.join(', '));
    await waitFor(() => api.testing.scm.controls.size === 1, "the plan's Source Control", 30_000);
    await waitFor(
      () => fs.existsSync(setupLog) && fs.readFileSync(setupLog, 'utf8') === '1\n',
      'the setup command to run once, in this window, with PLAN_WORKTREES_ID',
      30_000,
    );
    // Trusted, git may run what the repository names again: the hostile config was live all along.
    await waitFor(
      () => programsThatRan().includes('fsmonitor'),
      'git status to run the fsmonitor program now that the folder is trusted',
      30_000,
    );
  });
});
