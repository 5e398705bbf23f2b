/**
 * "Start in Worktree": starts the plan a plan file describes (from the
 * explorer's menu, the CodeLens, the tree item, the active editor, a pick,
 * or a program's `{ file }`), with the id and title from the file, validated
 * before anything is created; the plan records the file.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, PlanWorktreesError } from '../../model/engine/errors';
import { samePath } from '../../model/engine/names';
import { isInside } from '../../model/engine/paths';
import { PlanEngine } from '../../model/engine/planEngine';
import { PlanRecord } from '../../model/engine/types';
import { matchesPlanFilePatterns, planFileFormat } from '../../model/planFiles/find';
import { parsePlanFile, planFromFile, readPlanFile } from '../../model/planFiles/parse';
import { escapeIcons } from '../iconSyntax';
import { mainWorktreeFile, PlanFileNode, planFilePatterns } from '../planFiles/fileIndex';
import { setPlanFileStatus, statusBindingEnabled } from '../planFiles/statusBinding';
import { PlanRepositories } from '../repositories';
import { OpenAfterCreate, readUiSettings } from '../settings';
import { isProgram, optionsOf, treeNodeOf } from './args';
import { askWhereChangesGo, CreateArgs } from './create';
import { whichRepository } from '../whichRepository';
import { CommandDeps, CommandRunner, markShown } from './run';

/** Arguments of `planWorktrees.startPlanFromFile` when a program calls it. */
export interface StartFromFileArgs {
  /** The plan file: absolute, or relative to the main worktree (of `repository` when the window has several). */
  file: string;
  /** The repository a relative `file` is in (a path in it); `repo` is the same. */
  repository?: string;
  repo?: string;
  base?: string;
  open?: OpenAfterCreate;
  dirtyBase?: CreateArgs['dirtyBase'];
}

export function planFileCommands(deps: CommandDeps, run: CommandRunner): vscode.Disposable {
  return vscode.commands.registerCommand(
    'planWorktrees.startPlanFromFile',
    run(vscode.l10n.t('Start in Worktree'), (args?: unknown) => startPlanFromFile(deps, args)),
  );
}

/**
 * Starts a plan from a plan file: `args` is a Uri (explorer, CodeLens), a
 * tree node, `{ file, base?, open?, dirtyBase? }` from a program, or nothing
 * (the active editor's plan file, else a pick of the files not started yet).
 * The id and title come from the file and are validated before anything is
 * created; the plan records the file.
 */
async function startPlanFromFile(deps: CommandDeps, args: unknown): Promise<PlanRecord | undefined> {
  const program = isProgram(args);
  const target = await resolveTarget(deps, args);
  if (!target) return undefined;
  const { engine, root, file } = target;
  const document = vscode.workspace.textDocuments.find(
    (d) => d.uri.scheme === 'file' && samePath(d.uri.fsPath, path.join(root, file)),
  );
  // What the user sees is what starts: an open editor's text, saved or not.
  const planFile = document ? parsePlanFile(file, document.getText()) : await readPlanFile(root, file);
  const input = planFromFile(planFile);

  const active = (await engine.list()).flatMap((i) => (i.plan?.status === 'active' ? [i.plan] : []));
  const running =
    active.find((p) => p.planFile === file) ??
    (input.id !== undefined ? active.find((p) => p.id === input.id) : undefined);
  if (running) {
    const message = vscode.l10n.t(
      'Plan {0} ({1}) is already in its worktree {2}.',
      running.id,
      running.title,
      running.path,
    );
    if (program) throw new PlanWorktreesError(ErrorCode.PlanExists, message);
    const open = await vscode.window.showInformationMessage(message, vscode.l10n.t('Open in New Window'));
    if (open) {
      await vscode.commands.executeCommand('planWorktrees.openInNewWindow', {
        plan: running.id,
        repository: engine.repo.mainPath,
      });
    }
    return undefined;
  }

  const a: Partial<StartFromFileArgs> = program ? optionsOf<StartFromFileArgs>(args) : {};
  const dirtyBase = a.dirtyBase ?? (await decideDirtyBase(engine, program));
  if (!dirtyBase) return undefined;
  // A program is never asked where to open the plan.
  const open =
    a.open ??
    (program && readUiSettings(vscode.Uri.file(engine.repo.mainPath)).openAfterCreate === 'ask' ? 'none' : undefined);
  const createArgs: CreateArgs = {
    id: input.id,
    title: input.title,
    planFile: input.planFile,
    base: a.base,
    open,
    dirtyBase,
    repository: engine.repo.mainPath,
  };
  let plan: PlanRecord | undefined;
  try {
    plan = await vscode.commands.executeCommand<PlanRecord | undefined>('planWorktrees.create', createArgs);
  } catch (e) {
    // The create command showed it already.
    markShown(e);
    throw e;
  }
  if (!plan) return undefined;
  deps.log.info(`Started plan ${plan.id} from ${file}`);
  if (statusBindingEnabled(engine)) {
    await setPlanFileStatus(engine, file, { step: 'started', worktree: plan.path }, deps.log);
  }
  return plan;
}

/** The repository and the file (relative to its worktree) a start is about. */
async function resolveTarget(
  deps: CommandDeps,
  args: unknown,
): Promise<{ engine: PlanEngine; root: string; file: string } | undefined> {
  const node = treeNodeOf<PlanFileNode>(args, 'planFile');
  if (node) {
    return { engine: node.engine, root: node.engine.repo.mainPath, file: node.planFile.file };
  }
  let absolute: string | undefined;
  if (args instanceof vscode.Uri) absolute = args.fsPath;
  else if (
    typeof args === 'string' ||
    (args && typeof args === 'object' && typeof (args as { file?: unknown }).file === 'string')
  ) {
    const given = typeof args === 'string' ? args : (args as StartFromFileArgs).file;
    if (path.isAbsolute(given)) absolute = given;
    else {
      // A relative file names no repository: the one `repository` names, or the only one.
      const engine = await whichRepository(deps.repositories, args, { ask: false });
      if (!engine) return undefined;
      absolute = path.join(engine.repo.mainPath, given);
    }
  } else if (args === undefined) {
    const active = vscode.window.activeTextEditor?.document.uri;
    const found = active && mainWorktreeFile(deps.repositories, active);
    if (found && planFileFormat(found.file) && matchesPlanFilePatterns(found.file, planFilePatterns(found.engine))) {
      absolute = active.fsPath;
    } else return pickPlanFile(deps);
  }
  if (absolute === undefined) {
    throw new PlanWorktreesError(ErrorCode.InvalidName, vscode.l10n.t('Start in Worktree needs a plan file.'));
  }
  return locate(deps.repositories, absolute);
}

/** The worktree of a repository that holds the file (the deepest one), and the file relative to it. */
async function locate(
  repositories: PlanRepositories,
  absolute: string,
): Promise<{ engine: PlanEngine; root: string; file: string }> {
  let best: { engine: PlanEngine; root: string } | undefined;
  for (const engine of repositories.engines) {
    for (const item of await engine.list()) {
      const root = item.worktree?.path;
      if (root && !item.worktree?.bare && isInside(root, absolute) && (!best || root.length > best.root.length)) {
        best = { engine, root };
      }
    }
  }
  if (!best) {
    throw new PlanWorktreesError(
      ErrorCode.WorktreeNotFound,
      vscode.l10n.t('{0} is not inside a worktree of a repository of this window.', absolute),
    );
  }
  const file = path.relative(best.root, absolute).split(path.sep).join('/');
  if (!planFileFormat(file)) {
    throw new PlanWorktreesError(
      ErrorCode.InvalidName,
      vscode.l10n.t('{0} is not a plan file: plan files are Markdown (.md) or JSON (.json).', file),
    );
  }
  return { ...best, file };
}

async function pickPlanFile(
  deps: CommandDeps,
): Promise<{ engine: PlanEngine; root: string; file: string } | undefined> {
  const entries = (await Promise.all(deps.repositories.engines.map((e) => deps.planFiles.entries(e))))
    .flat()
    .filter((e) => e.state === 'new');
  if (entries.length === 0) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'There is no plan file to start. Plan files are Markdown or JSON files in the folders the "planWorktrees.planFiles" setting names, such as plans/ or tasks/.',
      ),
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    entries.map((e) => ({
      label: escapeIcons(`${e.planFile.id !== undefined ? `${e.planFile.id} · ` : ''}${e.planFile.title}`),
      description: escapeIcons(e.planFile.file),
      detail: e.planFile.status === undefined ? undefined : escapeIcons(e.planFile.status),
      entry: e,
    })),
    { placeHolder: vscode.l10n.t('Start which plan in its own worktree?'), matchOnDescription: true },
  );
  return (
    picked && { engine: picked.entry.engine, root: picked.entry.engine.repo.mainPath, file: picked.entry.planFile.file }
  );
}

/**
 * What happens to the main checkout's uncommitted changes. Plan files that
 * are new or changed stay where they are without a question (they are why
 * the plan starts); other changes follow the `dirtyBase` setting, and `ask`
 * asks — or refuses, for a program.
 */
async function decideDirtyBase(engine: PlanEngine, program: boolean): Promise<CreateArgs['dirtyBase'] | undefined> {
  const setting = readUiSettings(vscode.Uri.file(engine.repo.mainPath)).dirtyBase;
  if (setting !== 'ask') return setting;
  const dirty = await engine.uncommittedChanges();
  if (dirty.length === 0) return 'refuse';
  const patterns = planFilePatterns(engine);
  const others = dirty.filter((f) => !matchesPlanFilePatterns(f, patterns));
  if (others.length === 0) return 'ignore';
  if (program) return 'refuse';
  return askWhereChangesGo(others);
}
