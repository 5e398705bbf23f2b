/**
 * The .vsix check: runs in a VS Code where Plan Worktrees is not a
 * development extension but installed from the .vsix that `npm run package`
 * builds (scripts/run-vsix-check.js installs it). Proves the package holds
 * everything the extension needs to activate and work.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'planworktrees.plan-worktrees';

export function run(): Promise<void> {
  // A stray `.only` fails the run, and so does a run that found no test.
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: 60_000,
    reporter: 'spec',
    forbidOnly: true,
    failZero: true,
  });
  mocha.suite.emit('pre-require', globalThis, 'vsix', mocha);
  describe('Plan Worktrees installed from its .vsix', () => {
    it('is installed (not a development extension) and activates', async () => {
      const extension = vscode.extensions.getExtension<{ version: number }>(EXTENSION_ID);
      assert.ok(extension, `${EXTENSION_ID} is not installed`);
      const installedIn = process.env.PLAN_WORKTREES_VSIX_EXTENSIONS_DIR;
      assert.ok(
        installedIn && extension.extensionPath.startsWith(installedIn + path.sep),
        `loaded from ${extension.extensionPath}, not from the installed .vsix`,
      );
      const api = await extension.activate();
      assert.strictEqual(extension.isActive, true);
      assert.strictEqual(api.version, 1);
    });

    it('registers its commands and works on the open repository', async () => {
      const commands = await vscode.commands.getCommands(true);
      for (const id of [
        'planWorktrees.create',
        'planWorktrees.merge',
        'planWorktrees.cleanup',
        'planWorktrees.doctor',
      ]) {
        assert.ok(commands.includes(id), `${id} is not registered`);
      }
      // The packaged git runner and engine on the real repository: a plan made, its folder deleted by hand, the doctor finds it.
      type Finding = { kind: string; path?: string };
      const doctor = async (): Promise<Finding[]> =>
        (await vscode.commands.executeCommand<Finding[]>('planWorktrees.doctor', {})) ?? [];
      const main = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
      assert.ok(main, 'the host was opened on the demo repository');
      assert.deepStrictEqual(
        (await doctor()).filter((f) => f.kind === 'missingFolder'),
        [],
        'no missing folder before',
      );
      const plan = await vscode.commands.executeCommand<{ id: string; path: string; branch: string }>(
        'planWorktrees.create',
        { id: 'v1', title: 'From the package', open: 'none' },
      );
      assert.ok(plan, 'create returned nothing');
      assert.strictEqual(plan.branch, 'plan/v1-from-the-package');
      assert.ok(fs.existsSync(path.join(plan.path, 'README.md')), 'the plan worktree has the files of the base');
      const listed = execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: main, encoding: 'utf8' });
      assert.ok(listed.includes(`worktree ${plan.path}\n`), `git does not list ${plan.path}:\n${listed}`);
      // The git above started in the packaged helper process, a child of this extension host.
      const installed = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(installed);
      const helper = path.join(installed.extensionPath, 'dist', 'gitProcessHost.js');
      assert.ok(fs.existsSync(helper), `${helper} is installed`);
      const children = execFileSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
      assert.ok(children.includes(helper), `no helper process ${helper} among:\n${children}`);
      fs.rmSync(plan.path, { recursive: true, force: true });
      const missing = (await doctor()).filter((f) => f.kind === 'missingFolder');
      assert.deepStrictEqual(
        missing.map((f) => f.path),
        [plan.path],
        'the doctor finds the plan whose folder was deleted',
      );
    });

    it("has every picture of its README next to it, where the extension's page looks for them", () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(extension);
      const readme = fs.readdirSync(extension.extensionPath).find((name) => name.toLowerCase() === 'readme.md');
      assert.ok(readme, 'the installed extension has its README');
      const pictures = [
        ...fs.readFileSync(path.join(extension.extensionPath, readme), 'utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g),
      ]
        .map((m) => m[1])
        .filter((p) => !/^[a-z]+:/i.test(p));
      assert.ok(pictures.length > 0, 'the README shows pictures');
      for (const picture of pictures) {
        assert.ok(
          fs.existsSync(path.join(extension.extensionPath, picture)),
          `${picture} is installed with the extension`,
        );
      }
    });
  });
  return new Promise((resolve, reject) =>
    mocha.run((failures) => (failures ? reject(new Error(`${failures} .vsix check(s) failed.`)) : resolve())),
  );
}
