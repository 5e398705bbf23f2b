/**
 * Registers every command of the manifest. Each command takes an optional
 * argument object; with enough arguments it asks nothing and returns its
 * result (see DESIGN.md, "Public contract").
 *
 * Every id is written out as a literal in a registerCommand call:
 * scripts/check-commands.js compares them with package.json.
 */
import * as vscode from 'vscode';

export interface CommandDeps {
  refresh(): Promise<void>;
  log: vscode.LogOutputChannel;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  /** A command whose feature has not been built yet: it says so instead of failing silently. */
  const notBuilt = (title: string) => (): undefined => {
    deps.log.warn(`"${title}" was run, but it is not built yet.`);
    void vscode.window.showInformationMessage(`Plan Worktrees: "${title}" is not available yet in this version.`);
    return undefined;
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand('planWorktrees.refresh', () => deps.refresh()),
    vscode.commands.registerCommand('planWorktrees.showLog', () => deps.log.show()),
    vscode.commands.registerCommand('planWorktrees.create', notBuilt('Create Plan Worktree')),
    vscode.commands.registerCommand('planWorktrees.openInNewWindow', notBuilt('Open in New Window')),
    vscode.commands.registerCommand('planWorktrees.openInCurrentWindow', notBuilt('Open in Current Window')),
    vscode.commands.registerCommand('planWorktrees.showDiff', notBuilt('Show All Changes')),
    vscode.commands.registerCommand('planWorktrees.merge', notBuilt('Merge Plan')),
    vscode.commands.registerCommand('planWorktrees.cleanup', notBuilt('Clean Up Plan')),
    vscode.commands.registerCommand('planWorktrees.discard', notBuilt('Discard Plan')),
    vscode.commands.registerCommand('planWorktrees.restore', notBuilt('Restore Plan from Snapshot')),
    vscode.commands.registerCommand('planWorktrees.doctor', notBuilt('Run Doctor')),
    vscode.commands.registerCommand('planWorktrees.allowMainEdits', notBuilt('Allow Edits in the Main Checkout')),
    vscode.commands.registerCommand('planWorktrees.moveChangesToPlan', notBuilt('Move Changes to a New Plan')),
  );
}
