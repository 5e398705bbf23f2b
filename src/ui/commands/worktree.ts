/**
 * Commands on a worktree folder (a plan's or any other of the repository):
 * open it in a new or this window, reveal it, open a terminal there, copy its
 * path, lock or unlock it.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, PlanWorktreesError } from '../../model/engine/errors';
import { PlanEngine, PlanWorktree } from '../../model/engine/planEngine';
import { planEnvironment } from '../../model/environment/planEnvironment';
import { pickPlan } from '../pickPlan';
import { WorktreeNode } from '../planTree';
import { optionsOf, planIdOf, treeNodeOf } from './args';
import { CommandDeps, CommandRunner } from './run';

export function worktreeCommands(deps: CommandDeps, run: CommandRunner): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(
      'planWorktrees.openInNewWindow',
      run(vscode.l10n.t('Open in New Window'), (args?: unknown) => openWorktree(deps, args, true), { untrusted: true }),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.openInCurrentWindow',
      run(vscode.l10n.t('Open in Current Window'), (args?: unknown) => openWorktree(deps, args, false), {
        untrusted: true,
      }),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.revealInOS',
      run(vscode.l10n.t('Reveal'), (args?: unknown) => revealWorktree(deps, args), { untrusted: true }),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.openTerminal',
      run(vscode.l10n.t('Open Terminal'), (args?: unknown) => openTerminal(deps, args), { untrusted: true }),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.copyPath',
      run(vscode.l10n.t('Copy Path'), (args?: unknown) => copyPath(deps, args), { untrusted: true }),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.lock',
      run(vscode.l10n.t('Lock Worktree'), (args?: unknown) => setLocked(deps, args, true)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.unlock',
      run(vscode.l10n.t('Unlock Worktree'), (args?: unknown) => setLocked(deps, args, false)),
    ),
  );
}

/** The worktree folder a command is about: a tree node's, a plan's, or `{ path }`. */
async function worktreeOf(
  deps: CommandDeps,
  args: unknown,
  placeHolder: string,
): Promise<{ engine: PlanEngine; item: PlanWorktree; path: string } | undefined> {
  const node = treeNodeOf<WorktreeNode>(args, 'worktree');
  if (node?.item.worktree) return { engine: node.engine, item: node.item, path: node.item.worktree.path };
  const wanted = optionsOf<{ path: unknown }>(args).path;
  if (typeof wanted === 'string' && planIdOf(args) === undefined) {
    const found = (await deps.repositories.allItems()).find(({ item }) => item.worktree?.path === wanted);
    if (!found?.item.worktree) {
      throw new PlanWorktreesError(
        ErrorCode.WorktreeNotFound,
        vscode.l10n.t('{0} is not a worktree of this repository.', wanted),
      );
    }
    return { engine: found.engine, item: found.item, path: wanted };
  }
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder,
    filter: (item) => !!item.worktree,
    preferCurrent: false,
  });
  if (!picked) return undefined;
  if (!picked.item.worktree) {
    throw new PlanWorktreesError(
      ErrorCode.PathMissing,
      vscode.l10n.t('Plan {0} has no worktree (restore it first).', picked.plan.id),
    );
  }
  return { engine: picked.engine, item: picked.item, path: picked.item.worktree.path };
}

async function openWorktree(deps: CommandDeps, args: unknown, newWindow: boolean): Promise<string | undefined> {
  const target = await worktreeOf(
    deps,
    args,
    newWindow ? vscode.l10n.t('Open which plan in a new window?') : vscode.l10n.t('Open which plan in this window?'),
  );
  if (!target) return undefined;
  await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(target.path), {
    forceNewWindow: newWindow,
  });
  return target.path;
}

/**
 * Reveals the worktree in the system's file manager where VS Code can (a
 * desktop window on this machine); elsewhere (a browser, a remote) in VS
 * Code's Explorer when the folder is in this window, or says where it is.
 * Returns where it was revealed.
 */
async function revealWorktree(deps: CommandDeps, args: unknown): Promise<'os' | 'explorer' | 'message' | undefined> {
  const target = await worktreeOf(deps, args, vscode.l10n.t('Reveal which worktree?'));
  if (!target) return undefined;
  const uri = vscode.Uri.file(target.path);
  const local = vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName;
  if (local && (await vscode.commands.getCommands(true)).includes('revealFileInOS')) {
    await vscode.commands.executeCommand('revealFileInOS', uri);
    return 'os';
  }
  if (vscode.workspace.getWorkspaceFolder(uri)) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return 'explorer';
  }
  const open = vscode.l10n.t('Open in New Window');
  const copy = vscode.l10n.t('Copy Path');
  void vscode.window
    .showInformationMessage(
      vscode.l10n.t('{0} is not in this window, so it cannot be shown in its Explorer.', target.path),
      open,
      copy,
    )
    .then(async (answer) => {
      if (answer === open) await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
      else if (answer === copy) await vscode.env.clipboard.writeText(target.path);
    });
  return 'message';
}

async function openTerminal(deps: CommandDeps, args: unknown): Promise<vscode.Terminal | undefined> {
  const target = await worktreeOf(deps, args, vscode.l10n.t('Open a terminal in which worktree?'));
  if (!target) return undefined;
  const name = target.item.plan ? vscode.l10n.t('Plan {0}', target.item.plan.id) : path.basename(target.path);
  const env = target.item.plan ? planEnvironment(target.item.plan, target.engine.repo.mainPath) : undefined;
  const terminal = vscode.window.createTerminal({ name, cwd: target.path, ...(env ? { env } : {}) });
  terminal.show();
  return terminal;
}

async function copyPath(deps: CommandDeps, args: unknown): Promise<string | undefined> {
  const target = await worktreeOf(deps, args, vscode.l10n.t('Copy the path of which worktree?'));
  if (target) await vscode.env.clipboard.writeText(target.path);
  return target?.path;
}

async function setLocked(deps: CommandDeps, args: unknown, locked: boolean): Promise<void> {
  const target = await worktreeOf(
    deps,
    args,
    locked ? vscode.l10n.t('Lock which worktree?') : vscode.l10n.t('Unlock which worktree?'),
  );
  if (!target) return;
  if (locked) await target.engine.lock(target.path, 'locked from Plan Worktrees');
  else await target.engine.unlock(target.path);
}
