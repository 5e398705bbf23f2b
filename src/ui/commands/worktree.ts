/**
 * Commands on a worktree folder (a plan's or any other of the repository):
 * open it in a new or this window, add it to this window's workspace, reveal
 * it, open a terminal there, copy its path, lock or unlock it.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, PlanWorktreesError } from '../../model/engine/errors';
import { PlanEngine, PlanWorktree } from '../../model/engine/planEngine';
import { samePath } from '../../model/engine/names';
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
      'planWorktrees.addToWorkspace',
      run(vscode.l10n.t('Add Plan to Workspace'), (args?: unknown) => addToWorkspace(deps, args), {
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
  const uri = vscode.Uri.file(target.path);
  // Already a folder of this window (Add Plan to Workspace): shown here rather than opened a second time.
  if (newWindow && isFolderOfThisWindow(target.path)) {
    deps.log.info(
      `${target.path} is a folder of this window: revealed in its Explorer instead of opening another window.`,
    );
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return target.path;
  }
  // VS Code itself brings forward a window that has this folder open, rather than opening a duplicate.
  await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: newWindow });
  return target.path;
}

function isFolderOfThisWindow(folder: string): boolean {
  return (vscode.workspace.workspaceFolders ?? []).some(
    (f) => f.uri.scheme === 'file' && samePath(f.uri.fsPath, folder),
  );
}

/**
 * "Add Plan to Workspace": the plan's worktree becomes a folder of this
 * window (a multi-root workspace; VS Code makes a single-folder window one),
 * named after the plan. A folder the window has already is revealed instead.
 * Resolves with the folder once the workspace has it.
 */
async function addToWorkspace(deps: CommandDeps, args: unknown): Promise<string | undefined> {
  const target = await worktreeOf(deps, args, vscode.l10n.t('Add which plan to this workspace?'));
  if (!target) return undefined;
  const uri = vscode.Uri.file(target.path);
  if (isFolderOfThisWindow(target.path)) {
    await vscode.commands.executeCommand('revealInExplorer', uri);
    return target.path;
  }
  const plan = target.item.plan;
  const name = plan ? vscode.l10n.t('Plan {0}: {1}', plan.id, plan.title) : path.basename(target.path);
  const count = vscode.workspace.workspaceFolders?.length ?? 0;
  const added = new Promise<void>((resolve) => {
    const listener = vscode.workspace.onDidChangeWorkspaceFolders(() => {
      if (!isFolderOfThisWindow(target.path)) return;
      listener.dispose();
      resolve();
    });
  });
  if (!vscode.workspace.updateWorkspaceFolders(count, 0, { uri, name })) {
    throw new PlanWorktreesError(
      ErrorCode.Unknown,
      vscode.l10n.t('VS Code did not add {0} to this workspace.', target.path),
    );
  }
  await added;
  deps.log.info(`Added ${target.path} to this window's workspace as "${name}".`);
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
