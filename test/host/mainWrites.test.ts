/**
 * Files written in the main checkout from outside the editor (an agent
 * outside its worktree, a script) while plans exist: the status bar warns,
 * and its actions move them into a new plan or dismiss them.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  act,
  activateExtension,
  canAct,
  createPlan,
  gitIn,
  setSetting,
  TestingApi,
  waitFor,
  workspaceRoot,
} from './helpers';

describe('Main checkout written from outside the editor', function () {
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

  const bar = () => api.testing.statusBar.state;
  /** The item shows the guard, unchanged, once the file-system events have had time to arrive and be sorted. */
  async function staysGuarded(what: string): Promise<void> {
    // The events come within a second, are gathered 300 ms and sorted in a few more.
    await new Promise((r) => setTimeout(r, 2_000));
    assert.deepStrictEqual([bar().text, bar().warning], ['$(shield) Main checkout', true], what);
  }

  it('warns with the count of files written on disk, not for ignored files or editor saves; "It Was Me" dismisses, "Move to a New Plan" moves them', async () => {
    const engine = api.testing.repositories.engines[0];
    const keeper = await createPlan('ow-1', 'Keeps plans existing');
    let moved: { id: string; path: string } | undefined;
    const written = ['agent-notes.txt', path.join('escaped', 'out.md')];
    try {
      await waitFor(() => bar().text === '$(shield) Main checkout' && bar().warning, 'the guard item');

      // An ignored file written by a script is nobody's concern.
      fs.writeFileSync(path.join(main, '.env'), 'SECRET=1\n');
      await staysGuarded('after a write to an ignored file');

      // A save from this window's editor is the guard's business, not this warning's.
      const readme = path.join(main, 'README.md');
      const committed = fs.readFileSync(readme, 'utf8');
      const editor = await vscode.window.showTextDocument(vscode.Uri.file(readme));
      await editor.edit((b) => b.insert(new vscode.Position(editor.document.lineCount, 0), 'Saved in the editor.\n'));
      assert.ok(await editor.document.save(), 'the editor saved');
      await staysGuarded('after a save from the editor');
      await editor.edit((b) => b.replace(new vscode.Range(0, 0, editor.document.lineCount, 0), committed));
      assert.ok(await editor.document.save());
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.commands.executeCommand('notifications.clearAll');
      assert.strictEqual(gitIn(main, 'status', '--porcelain'), '', 'main is clean (.env is ignored)');

      // A script writes two files (one in a new folder): the item warns with their count.
      fs.mkdirSync(path.join(main, 'escaped'));
      for (const f of written) fs.writeFileSync(path.join(main, f), `written by ${f}\n`);
      await waitFor(
        () => bar().text === '$(warning) Main checkout changed: 2 files',
        'the warning with the count',
      ).catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify({ bar: bar(), files: api.testing.writes.files(engine) })}`);
      });
      assert.strictEqual(bar().warning, true);
      assert.match(bar().tooltip, /written on disk from outside this window/);
      assert.deepStrictEqual(
        api.testing.writes.files(engine),
        written.map((f) => path.join(main, f)),
      );

      // "It Was Me" from the item's actions: back to the guard until the next write.
      if (canAct) {
        const picking = vscode.commands.executeCommand('planWorktrees.showActions');
        await act({ see: 'Show Changes', in: 'quickInput' }, { see: 'Move to a New Plan', in: 'quickInput' });
        await act({ click: 'It Was Me', in: 'quickInput' });
        await picking;
      } else {
        api.testing.writes.dismiss(engine);
      }
      await waitFor(() => bar().text === '$(shield) Main checkout', 'the guard item again after "It Was Me"');
      await staysGuarded('after "It Was Me"');

      // The next write warns again, counting only what came after.
      fs.appendFileSync(path.join(main, written[0]), 'and more\n');
      await waitFor(() => bar().text === '$(warning) Main checkout changed: 1 file', 'the warning again');

      // "Move to a New Plan": the changes go into a new plan; main is clean; the warning is gone.
      if (canAct) {
        const picking = vscode.commands.executeCommand('planWorktrees.showActions');
        await act({ click: 'Move to a New Plan', in: 'quickInput' }, { type: 'Escaped writes' }, { press: 'Enter' });
        await picking;
        const item = await waitFor(
          async () => (await api.list()).find((i) => i.plan?.title === 'Escaped writes' && i.worktree),
          'the new plan',
        );
        moved = { id: item.plan?.id as string, path: item.worktree?.path as string };
      } else {
        moved = (await api.testing.writes.moveToPlan(engine, { title: 'Escaped writes' })) as typeof moved;
      }
      assert.ok(moved, 'a plan was made');
      for (const f of written) assert.ok(fs.existsSync(path.join(moved.path, f)), `${f} is in the plan`);
      assert.strictEqual(
        fs.readFileSync(path.join(moved.path, written[0]), 'utf8'),
        `written by ${written[0]}\nand more\n`,
      );
      for (const f of written) assert.ok(!fs.existsSync(path.join(main, f)), `${f} left the main checkout`);
      await waitFor(() => bar().text === '$(shield) Main checkout', 'the guard item after the move');
      await staysGuarded('after the move (its own deletions in main are no outside write)');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.commands.executeCommand('notifications.clearAll');
      fs.rmSync(path.join(main, '.env'), { force: true });
      for (const f of written) fs.rmSync(path.join(main, f), { force: true });
      fs.rmSync(path.join(main, 'escaped'), { recursive: true, force: true });
      if (moved) await vscode.commands.executeCommand('planWorktrees.discard', { plan: moved.id, force: true });
      await vscode.commands.executeCommand('planWorktrees.discard', { plan: keeper.id, force: true });
    }
  });
});
