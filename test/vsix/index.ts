/**
 * The .vsix check: runs in a VS Code where Plan Worktrees is not a
 * development extension but installed from the .vsix that `npm run package`
 * builds (scripts/run-vsix-check.js installs it). Proves the package holds
 * everything the extension needs to activate and work.
 */
import * as assert from 'assert';
import Mocha from 'mocha';
import * as path from 'path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'planworktrees.plan-worktrees';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'vsix', mocha);
  describe('Plan Worktrees installed from its .vsix', () => {
    it('is installed (not a development extension) and activates', async () => {
      const extension = vscode.extensions.getExtension<{ version: number }>(EXTENSION_ID);
      assert.ok(extension, `${EXTENSION_ID} is not installed`);
      const installedIn = process.env.PLAN_WORKTREES_VSIX_EXTENSIONS_DIR;
      assert.ok(installedIn && extension.extensionPath.startsWith(installedIn + path.sep), `loaded from ${extension.extensionPath}, not from the installed .vsix`);
      const api = await extension.activate();
      assert.strictEqual(extension.isActive, true);
      assert.strictEqual(api.version, 1);
    });

    it('registers its commands and works on the open repository', async () => {
      const commands = await vscode.commands.getCommands(true);
      for (const id of ['planWorktrees.create', 'planWorktrees.merge', 'planWorktrees.cleanup', 'planWorktrees.doctor']) {
        assert.ok(commands.includes(id), `${id} is not registered`);
      }
      const findings = await vscode.commands.executeCommand<unknown[]>('planWorktrees.doctor', {});
      assert.ok(Array.isArray(findings), 'the doctor ran against the repository');
    });
  });
  return new Promise((resolve, reject) => mocha.run((failures) => (failures ? reject(new Error(`${failures} .vsix check(s) failed.`)) : resolve())));
}
