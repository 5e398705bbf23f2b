/**
 * A plan's port block where its programs run, in the real host: the setup
 * command's `${port}` and `PLAN_WORKTREES_PORT`, and the terminal "Open
 * Terminal Here" opens for a plan — a real shell that echoes the variable
 * into a file — carry the first port of the plan's block; two plans get
 * blocks of their own.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { Git } from '../../src/git/runner';
import { PlanEngine } from '../../src/model/engine/planEngine';
import { activateExtension, createPlan, setSetting, waitFor, workspaceRoot } from './helpers';

describe('Plan ports in terminals and the setup command', function () {
  this.timeout(120_000);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-ports-'));
  const ids = ['pt-1', 'pt-2'];

  before(async () => {
    await activateExtension();
    await setSetting('openAfterCreate', 'none');
  });

  after(async () => {
    for (const terminal of vscode.window.terminals.filter((t) => /^Plan pt-/.test(t.name))) terminal.dispose();
    for (const id of ids) {
      await vscode.commands
        .executeCommand('planWorktrees.discard', { plan: id, force: true })
        .then(undefined, () => undefined);
    }
    await setSetting('postCreateCommand', undefined);
    await setSetting('openAfterCreate', undefined);
    fs.rmSync(out, { recursive: true, force: true });
  });

  it("gives each plan's setup command and terminal PLAN_WORKTREES_PORT, the first port of its own block", async () => {
    // `${port}` is replaced before the shell runs; $PLAN_WORKTREES_PORT and $PLAN_WORKTREES_ID are the task's environment.
    await setSetting(
      'postCreateCommand',
      `printf '%s %s\\n' '\${port}' "$PLAN_WORKTREES_PORT" > '${out}/setup-'"$PLAN_WORKTREES_ID"'.txt'`,
    );
    for (const id of ids) await createPlan(id, `Port ${id}`);
    const engine = await PlanEngine.open(workspaceRoot(), { git: new Git() });
    const ports: number[] = [];
    for (const id of ids) {
      const port = (await engine.plan(id)).port;
      assert.ok(typeof port === 'number' && port > 0, `plan ${id} has a port: ${String(port)}`);
      ports.push(port);
      const setup = path.join(out, `setup-${id}.txt`);
      const written = await waitFor(
        () => fs.existsSync(setup) && fs.readFileSync(setup, 'utf8'),
        `the setup command of ${id} to write its port`,
        60_000,
      );
      assert.strictEqual(written, `${port} ${port}\n`, `the setup command of ${id}: \${port} and PLAN_WORKTREES_PORT`);

      // "Open Terminal Here" for the plan: a real shell, which echoes what it was given.
      await vscode.commands.executeCommand('planWorktrees.openTerminal', { plan: id });
      const terminal = await waitFor(
        () => vscode.window.terminals.find((t) => t.name === `Plan ${id}`),
        `the terminal of ${id}`,
      );
      const options = terminal.creationOptions as vscode.TerminalOptions;
      assert.strictEqual(options.env?.PLAN_WORKTREES_PORT, String(port));
      const echoed = path.join(out, `terminal-${id}.txt`);
      terminal.sendText(`echo "$PLAN_WORKTREES_PORT" > '${echoed}.part' && mv '${echoed}.part' '${echoed}'`);
      const seen = await waitFor(
        () => fs.existsSync(echoed) && fs.readFileSync(echoed, 'utf8'),
        `the terminal of ${id} to echo its port`,
        30_000,
      );
      assert.strictEqual(seen, `${port}\n`, `the shell of ${id}'s terminal sees PLAN_WORKTREES_PORT`);
    }
    const blockSize =
      vscode.workspace.getConfiguration('planWorktrees').get<{ blockSize?: number }>('ports')?.blockSize ?? 10;
    assert.ok(
      Math.abs(ports[0] - ports[1]) >= blockSize,
      `two plans, two blocks of ${blockSize} ports that do not overlap: ${ports.join(' and ')}`,
    );
  });
});
