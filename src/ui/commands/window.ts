/**
 * The window's own commands: the status bar's actions pick, Refresh, Show
 * Log, and allowing edits in the main checkout for this session.
 */
import * as vscode from 'vscode';
import { escapeIcons } from '../iconSyntax';
import { RepositoryNode } from '../planTree';
import { activeLocation, whichRepository } from '../whichRepository';
import { runArgument } from './args';
import { CommandDeps, CommandRunner } from './run';

export function windowCommands(deps: CommandDeps, run: CommandRunner): vscode.Disposable {
  const { repositories, log } = deps;
  return vscode.Disposable.from(
    vscode.commands.registerCommand(
      'planWorktrees.refresh',
      run(vscode.l10n.t('Refresh'), () => repositories.refresh(), { untrusted: true }),
    ),
    vscode.commands.registerCommand('planWorktrees.showLog', () => log.show()),
    vscode.commands.registerCommand('planWorktrees.allowMainEdits', () => deps.guard.allowEdits()),
    vscode.commands.registerCommand(
      'planWorktrees.showActions',
      run(vscode.l10n.t('Plan Worktrees'), () => showActions(deps)),
    ),
  );
}

/** The actions of where the status bar says this window is: the active editor's plan or main checkout. */
async function showActions(deps: CommandDeps): Promise<void> {
  const here = await activeLocation(deps.repositories);
  const engine = here?.engine ?? (await whichRepository(deps.repositories, undefined));
  if (!engine) return;
  const current = here?.item.kind === 'plan' ? here.item.plan : undefined;
  // Create in the repository the item speaks of, as its group's create action in the tree does.
  const repository: RepositoryNode = { type: 'repository', engine };
  type Action = vscode.QuickPickItem & { command?: string; args?: unknown; run?: () => Promise<unknown> };
  const { writes } = deps;
  const written: Action[] =
    !current && writes.files(engine).length > 0
      ? [
          {
            label: vscode.l10n.t('$(diff) Show Changes'),
            detail: vscode.l10n.t('Files written in the main checkout from outside the editor'),
            run: () => writes.showChanges(engine),
          },
          { label: vscode.l10n.t('$(git-branch) Move to a New Plan…'), run: () => writes.moveToPlan(engine) },
          { label: vscode.l10n.t('$(check) It Was Me'), run: async () => writes.dismiss(engine) },
        ]
      : [];
  const actions: Action[] = written.concat(
    current
      ? [
          {
            label: vscode.l10n.t('$(diff-multiple) Show All Changes'),
            command: 'planWorktrees.showDiff',
            args: { plan: current.id, run: current.run },
          },
          {
            label: vscode.l10n.t('$(git-merge) Merge into {0}…', escapeIcons(current.base)),
            command: 'planWorktrees.merge',
            args: runArgument(current),
          },
          { label: vscode.l10n.t('$(trash) Clean Up…'), command: 'planWorktrees.cleanup', args: runArgument(current) },
          {
            label: vscode.l10n.t('$(home) Open the Main Checkout'),
            command: 'vscode.openFolder',
            args: vscode.Uri.file(engine.repo.mainPath),
          },
        ]
      : [
          { label: vscode.l10n.t('$(add) Create Plan Worktree…'), command: 'planWorktrees.create', args: repository },
          // With no plans there is nothing to open and nothing guarded.
          ...((await engine.list()).some((i) => i.kind === 'plan' && i.worktree)
            ? [
                { label: vscode.l10n.t('$(empty-window) Open a Plan…'), command: 'planWorktrees.openInNewWindow' },
                {
                  label: vscode.l10n.t('$(unlock) Allow Edits in the Main Checkout for This Session'),
                  command: 'planWorktrees.allowMainEdits',
                },
              ]
            : []),
        ],
  );
  const picked = await vscode.window.showQuickPick(actions, {
    placeHolder: current ? vscode.l10n.t('Plan {0}: {1}', current.id, current.title) : vscode.l10n.t('Main checkout'),
  });
  if (picked?.run) await picked.run();
  else if (picked?.command) await vscode.commands.executeCommand(picked.command, picked.args);
}
