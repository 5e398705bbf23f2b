/**
 * Which repository a command, the status bar or the API is about when the
 * window holds several (a multi-root workspace, a folder with several
 * repositories): the one named by the arguments (`repository`/`repo`: a path
 * in it), the one of a tree node, the only one, the active editor's, or — for
 * a person — a pick. A program that names none while several are open gets
 * `RepositoryAmbiguous` instead of a guess; never silently the first one.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, PlanError, PlanWorktreesError } from '../model/engine/errors';
import { PlanEngine, PlanWorktree } from '../model/engine/planEngine';
import { isInside } from '../model/engine/paths';
import { isProgram } from './commands/args';
import { escapeIcons } from './iconSyntax';
import { PlanRepositories } from './repositories';

/** Where a file is: the repository and the worktree (main checkout, plan or other) that hold it. */
export interface Location {
  engine: PlanEngine;
  item: PlanWorktree;
}

/** The path the arguments name as `repository` or `repo`, if any. */
export function repositoryArgOf(args: unknown): string | undefined {
  if (!args || typeof args !== 'object') return undefined;
  const a = args as { repository?: unknown; repo?: unknown };
  const given = a.repository ?? a.repo;
  if (given instanceof vscode.Uri) return given.fsPath;
  return typeof given === 'string' ? given : undefined;
}

/** The engine a tree node carries (a repository group, a worktree, a plan file), if it is one of this window's. */
function engineOfNode(repositories: PlanRepositories, args: unknown): PlanEngine | undefined {
  if (!args || typeof args !== 'object' || !('type' in args)) return undefined;
  const engine = (args as { engine?: unknown }).engine;
  return repositories.engines.find((e) => e === engine);
}

/** The repository (and worktree) whose worktree holds `fsPath`: the deepest worktree wins. Throws when a list cannot be read. */
export async function locate(repositories: PlanRepositories, fsPath: string): Promise<Location | undefined> {
  let best: (Location & { root: string }) | undefined;
  for (const engine of repositories.engines) {
    const items = await engine.list();
    for (const item of items) {
      const root = item.worktree?.path;
      if (!root || item.worktree?.bare || !isInside(root, fsPath)) continue;
      if (!best || root.length > best.root.length) best = { engine, item, root };
    }
  }
  return best && { engine: best.engine, item: best.item };
}

/** The file of the active editor, when it is a file on disk. */
function activeFile(): string | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri?.scheme === 'file' ? uri.fsPath : undefined;
}

/**
 * Where this window is, as the status bar and its actions see it: the
 * worktree of the active editor's file when that file is in one of the
 * window's folders; for a file of a repository outside them (a plan's file
 * opened from its main checkout's window), that repository's folder of this
 * window; otherwise (no editor, a file of no repository) the worktree of the
 * window's first folder.
 */
export async function activeLocation(repositories: PlanRepositories): Promise<Location | undefined> {
  const file = activeFile();
  const here = file !== undefined ? await locate(repositories, file) : undefined;
  if (file !== undefined && here) {
    if (vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))) return here;
    const own = await locate(repositories, here.engine.repo.currentPath);
    if (own) return own;
  }
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== 'file') continue;
    const found = await locate(repositories, folder.uri.fsPath);
    if (found) return found;
  }
  return undefined;
}

/**
 * The repository the arguments mean, in this order: `repository`/`repo`
 * (a path inside one of this window's repositories or their worktrees; any
 * other path rejects with `RepositoryNotOpen`), a tree node's, the only one,
 * then the active editor's (for a person), else a pick (a person) or
 * `RepositoryAmbiguous` (a program, or `ask: false`). Undefined when the person
 * cancels the pick; no repository at all rejects with `NotAGitRepository`.
 */
export async function whichRepository(
  repositories: PlanRepositories,
  args: unknown,
  options: { ask?: boolean; placeHolder?: string } = {},
): Promise<PlanEngine | undefined> {
  const engines = repositories.engines;
  const named = repositoryArgOf(args);
  if (named !== undefined) {
    const wanted = path.resolve(named);
    const engine =
      engines.find((e) => isInside(e.repo.mainPath, wanted) || isInside(e.repo.commonDir, wanted)) ??
      (await locate(repositories, wanted))?.engine;
    if (!engine) {
      throw new PlanError(ErrorCode.RepositoryNotOpen, {
        path: named,
        repositories: engines.map((e) => e.repo.mainPath),
      });
    }
    return engine;
  }
  const fromNode = engineOfNode(repositories, args);
  if (fromNode) return fromNode;
  if (engines.length === 0) {
    throw new PlanWorktreesError(
      ErrorCode.NotAGitRepository,
      vscode.l10n.t('Open a folder inside a git repository first.'),
    );
  }
  if (engines.length === 1) return engines[0];
  const ask = options.ask ?? !isProgram(args);
  if (!ask) {
    throw new PlanError(ErrorCode.RepositoryAmbiguous, { repositories: engines.map((e) => e.repo.mainPath) });
  }
  const file = activeFile();
  const here = file !== undefined ? await locate(repositories, file) : undefined;
  if (here) return here.engine;
  return pickRepository(engines, options.placeHolder);
}

/** A quick pick of the repositories, named by their folder. */
export async function pickRepository(
  engines: readonly PlanEngine[],
  placeHolder?: string,
): Promise<PlanEngine | undefined> {
  const picked = await vscode.window.showQuickPick(
    engines.map((engine) => ({
      label: escapeIcons(path.basename(engine.repo.mainPath)),
      description: escapeIcons(engine.repo.mainPath),
      engine,
    })),
    { placeHolder: placeHolder ?? vscode.l10n.t('In which repository?'), matchOnDescription: true },
  );
  return picked?.engine;
}
