/**
 * Creating a plan: "Create Plan Worktree" (the title box with live names, or
 * a program's arguments), "Move Changes to a New Plan", where the main
 * checkout's uncommitted changes and unsaved editors go, and where the new
 * plan opens (with its setup command).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { explainTitle, validateId, validateTitle } from '../../model/engine/names';
import { ErrorCode, isError, PlanError } from '../../model/engine/errors';
import { PlanEngine } from '../../model/engine/planEngine';
import { CreatedPlan } from '../../model/lifecycle/create';
import { PlanRecord } from '../../model/engine/types';
import { leavePendingSetup } from '../../model/store/pendingSetup';
import { OpenAfterCreate, readUiSettings } from '../settings';
import { runSetupTask, showSetupOutput } from '../setupTask';
import { pickPlan } from '../pickPlan';
import { moveUnsavedDocuments, relativeTo, unsavedMainDocuments } from '../unsavedChanges';
import { errorMessage } from '../messages';
import { whichRepository } from '../whichRepository';
import { CommandDeps, CommandRunner } from './run';
import { isProgram, optionsOf } from './args';

export interface CreateArgs {
  id?: string;
  title?: string;
  base?: string;
  branch?: string;
  path?: string;
  planFile?: string;
  /** Where to open the new plan; default: the `openAfterCreate` setting. */
  open?: OpenAfterCreate;
  /** What to do with the main checkout's uncommitted changes; default: the `dirtyBase` setting. */
  dirtyBase?: 'refuse' | 'move' | 'ignore';
  /** Start from the existing branch `branch` (local, or `<remote>/<branch>`) instead of making one. */
  adopt?: boolean;
  /** Start from this pull request's head, fetched into the branch `pr/<n>` (setting `pullRequests.remote`), which the plan adopts. */
  pullRequest?: number;
  /** Start a new run of `id` although a run of it is active (its own worktree and branch); without it an active id is refused. */
  newRun?: boolean;
  /**
   * The repository to create in: a path in it (its folder, a file, one of its
   * worktrees); `repo` is the same. Needed when the window has several; a
   * program that names none then gets `RepositoryAmbiguous`.
   */
  repository?: string;
  repo?: string;
}

export function createCommands(deps: CommandDeps, run: CommandRunner): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(
      'planWorktrees.create',
      run(vscode.l10n.t('Create Plan Worktree'), (args?: CreateArgs) => createPlan(deps, args ?? {})),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.startFromBranch',
      run(vscode.l10n.t('Start Plan from Branch'), (args?: CreateArgs) => startFromBranch(deps, args ?? {})),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.startNewRun',
      run(vscode.l10n.t('Start New Run'), (args?: unknown) => startNewRun(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.runSetupAgain',
      run(vscode.l10n.t('Run Setup Again'), (args?: unknown) => runSetupAgain(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.showSetupOutput',
      run(vscode.l10n.t('Show Setup Output'), (args?: unknown) => showOutput(deps, args), { untrusted: true }),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.moveChangesToPlan',
      run(vscode.l10n.t('Move Changes to a New Plan'), (args?: CreateArgs) =>
        createPlan(deps, { ...args, dirtyBase: 'move' }),
      ),
    ),
  );
}

/**
 * "Start Plan from Branch…": a pick of the local branches no worktree has
 * checked out and the remote ones — and, when the repository has the remote
 * the `pullRequests.remote` setting names, "Pull Request…", which asks for
 * its number — then the title (the branch's last part to start with). The
 * plan adopts the branch; the main checkout's changes stay. A program gives
 * `{ branch }` or `{ pullRequest: 7 }` (and a title, or the default one).
 */
async function startFromBranch(deps: CommandDeps, args: CreateArgs): Promise<PlanRecord | undefined> {
  const engine = await whichRepository(deps.repositories, args, {
    // A pull request named by a program starts without a prompt: its repository is not asked for either.
    ask: args.pullRequest === undefined && (args.branch === undefined || args.title === undefined),
    placeHolder: vscode.l10n.t('Start a plan from a branch of which repository?'),
  });
  if (!engine) return undefined;
  let branch = args.branch;
  let pullRequest = args.pullRequest;
  const byProgram = pullRequest !== undefined;
  if (branch === undefined && pullRequest === undefined) {
    const [branches, remote] = await Promise.all([engine.branchesToAdopt(), engine.pullRequestRemote()]);
    const pullRequestItem: vscode.QuickPickItem | undefined = remote
      ? {
          label: vscode.l10n.t('$(git-pull-request) Pull Request…'),
          description: vscode.l10n.t('its head, fetched from {0} into the branch pr/<number>', remote),
        }
      : undefined;
    const picked = await vscode.window.showQuickPick(
      [
        ...(pullRequestItem ? [pullRequestItem] : []),
        ...branches.map((b) => ({
          label: b.name,
          description: b.remote ? vscode.l10n.t('remote branch') : vscode.l10n.t('local branch'),
        })),
      ],
      {
        title: vscode.l10n.t('Start Plan from Branch'),
        placeHolder: vscode.l10n.t(
          'The branch the plan works on: its worktree checks it out, and clean-up deletes it only once its work is merged',
        ),
      },
    );
    if (!picked) return undefined;
    if (picked === pullRequestItem) {
      const number = await vscode.window.showInputBox({
        title: vscode.l10n.t('Start Plan from a Pull Request'),
        prompt: vscode.l10n.t('The number of the pull request of {0}, e.g. 7.', remote ?? ''),
        ignoreFocusOut: true,
        validateInput: (value) =>
          /^\s*[1-9][0-9]{0,9}\s*$/.test(value) ? undefined : vscode.l10n.t("Type the pull request's number."),
      });
      if (number === undefined) return undefined;
      pullRequest = Number(number.trim());
    } else branch = picked.label;
  }
  const suggested =
    pullRequest !== undefined ? vscode.l10n.t('Pull request {0}', pullRequest) : branch?.split('/').pop();
  const title =
    args.title ??
    (byProgram
      ? suggested
      : await vscode.window.showInputBox({
          title: vscode.l10n.t('Start Plan from Branch: title'),
          prompt: vscode.l10n.t('The plan\'s title, e.g. "Feature xyz".'),
          value: suggested,
          ignoreFocusOut: true,
          validateInput: (value) =>
            value.trim() === '' ? vscode.l10n.t('Type a title for the plan.') : validateTitle(value.trim()),
        }));
  if (title === undefined) return undefined;
  return createPlan(deps, {
    dirtyBase: 'ignore',
    ...args,
    ...(pullRequest !== undefined ? { pullRequest } : { branch, adopt: true }),
    title: title.trim(),
    repository: engine.repo.mainPath,
  });
}

/**
 * "Start New Run" on a plan (its tree item, the item of its runs, or `{ plan,
 * run? }`): another run of the plan id with its title, base and plan file,
 * in a worktree and branch of its own (see `planNames`). The earlier runs,
 * active or not, stay exactly as they are; the main checkout's changes stay
 * where they are.
 */
async function startNewRun(deps: CommandDeps, args: unknown): Promise<PlanRecord | undefined> {
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Start a new run of which plan?'),
  });
  if (!picked) return undefined;
  const { plan, engine } = picked;
  const program = isProgram(args);
  const created = await createPlan(
    deps,
    {
      id: plan.id,
      title: plan.title,
      base: plan.base,
      ...(plan.planFile !== undefined ? { planFile: plan.planFile } : {}),
      dirtyBase: 'ignore',
      newRun: true,
      ...(program ? { open: optionsOf<CreateArgs>(args).open ?? 'none' } : {}),
    },
    engine,
  );
  if (created && !program) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Started run {0} of plan {1} at {2}. The earlier runs stay as they are.',
        created.run,
        created.id,
        created.path,
      ),
    );
  }
  return created;
}

/** Creates a plan in `chosen`, else in the repository the arguments mean (src/ui/whichRepository.ts). */
async function createPlan(deps: CommandDeps, args: CreateArgs, chosen?: PlanEngine): Promise<PlanRecord | undefined> {
  const byPerson = args.title === undefined;
  // A person (no title given) is asked which repository when it is not clear; a program is not.
  const engine =
    chosen ??
    (await whichRepository(deps.repositories, args, {
      ask: byPerson,
      placeHolder: vscode.l10n.t('Create the plan in which repository?'),
    }));
  if (!engine) return undefined;
  const settings = readUiSettings(vscode.Uri.file(engine.repo.mainPath));
  // "Move Changes to a New Plan" with nothing to move would make an empty plan: a person is told first.
  if (byPerson && args.dirtyBase === 'move' && !(await confirmNothingToMove(engine))) return undefined;
  const input = !byPerson
    ? { title: args.title as string, id: args.id, base: args.base }
    : await askForPlan(engine, args);
  if (!input) return undefined;

  // Unsaved editors of the main checkout are changes as a person sees them: they are asked about and moved too.
  let unsaved = await unsavedMainDocuments(engine);
  let dirtyBase = args.dirtyBase ?? (settings.dirtyBase === 'ask' ? undefined : settings.dirtyBase);
  // Called with everything it needs (a program, an agent): no prompt, so the safe answer.
  if (dirtyBase === undefined && !byPerson) dirtyBase = 'refuse';
  if (dirtyBase === undefined) {
    const dirty = union(
      await engine.uncommittedChanges(),
      unsaved.map((d) => relativeTo(engine, d)),
    );
    if (dirty.length === 0) dirtyBase = 'refuse';
    else {
      dirtyBase = await askWhereChangesGo(dirty);
      if (!dirtyBase) return undefined;
    }
  }
  if (dirtyBase !== 'move') unsaved = [];
  const onDisk = dirtyBase === 'move' ? await engine.uncommittedChanges() : [];

  const make = (newRun: boolean) =>
    vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Creating plan worktree "{0}"', input.title),
        cancellable: true,
      },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        progress.report({ message: vscode.l10n.t('adding the worktree…') });
        return engine.create({
          id: input.id,
          title: input.title,
          base: input.base,
          branch: args.branch,
          path: args.path,
          planFile: args.planFile,
          dirtyBase,
          ...(args.adopt ? { adopt: true } : {}),
          ...(args.pullRequest !== undefined ? { pullRequest: args.pullRequest } : {}),
          ...(newRun ? { newRun: true } : {}),
          signal: controller.signal,
        });
      },
    );
  let plan: CreatedPlan;
  try {
    plan = await make(!!args.newRun);
  } catch (e) {
    // A person who typed the id of an active plan is asked whether a new run of it is what they want.
    const active = activeRunOf(e);
    if (!byPerson || !active) throw e;
    if (!(await askNewRun(active))) return undefined;
    plan = await make(true);
  }
  deps.log.info(
    `Created plan ${plan.id} "${plan.title}" at ${plan.path} (${plan.adopted ? 'adopted ' : ''}branch ${plan.branch}, base ${plan.base})`,
  );
  if (plan.baseFetch?.fetched === false) {
    deps.log.warn(
      `Plan ${plan.id} starts from ${plan.base} as it is here: fetching it from ${plan.baseFetch.remote} failed (${plan.baseFetch.problem ?? ''}).`,
    );
  }
  if (dirtyBase === 'move') {
    const documents = await moveUnsavedDocuments(engine, plan, unsaved);
    reportMovedChanges(deps.log, plan, union(onDisk, documents.moved), documents.failed, byPerson);
  }
  await openAfterCreate(deps, engine, plan, args.open ?? settings.openAfterCreate, settings.postCreateCommand);
  return plan;
}

/** The active run a create was refused for (`PlanExists`, `exists`), if it was. */
function activeRunOf(e: unknown): { plan: string; run: number; path: string } | undefined {
  if (!(e instanceof PlanError) || !isError(e, ErrorCode.PlanExists)) return undefined;
  const data = e.data as { reason?: string; plan: string; run: number; path: string };
  return data.reason === 'exists' ? data : undefined;
}

/** Asks whether to start a new run of a plan whose id is active; true when the person wants one. */
async function askNewRun(active: { plan: string; run: number; path: string }): Promise<boolean> {
  const start = vscode.l10n.t('Start New Run');
  const picked = await vscode.window.showWarningMessage(
    vscode.l10n.t(
      'Plan {0} is active (run {1}, folder {2}). Start a new run of it, in a worktree and branch of its own? Run {1} stays as it is.',
      active.plan,
      active.run,
      active.path,
    ),
    start,
  );
  return picked === start;
}

/** True when there is something to move, or the person wants the plan anyway. */
async function confirmNothingToMove(engine: PlanEngine): Promise<boolean> {
  if ((await unsavedMainDocuments(engine)).length > 0 || (await engine.uncommittedChanges()).length > 0) return true;
  const createAnyway = vscode.l10n.t('Create an Empty Plan…');
  const picked = await vscode.window.showInformationMessage(
    vscode.l10n.t(
      'The main checkout has no changes to move: no file there is changed, untracked or unsaved. Create a new, empty plan instead?',
    ),
    createAnyway,
  );
  return picked === createAnyway;
}

/** Says what moved into the new plan (the log always; a person also in a message), and what could not. */
function reportMovedChanges(
  log: vscode.LogOutputChannel,
  plan: PlanRecord,
  moved: string[],
  failed: Array<{ file: string; reason: string }>,
  byPerson: boolean,
): void {
  log.info(
    moved.length > 0
      ? `Moved into plan ${plan.id}: ${moved.join(', ')}`
      : `Nothing moved into plan ${plan.id}: the main checkout had no changes.`,
  );
  for (const { file, reason } of failed) {
    log.warn(`Not moved into plan ${plan.id}, still unsaved in the main checkout: ${file} (${reason})`);
  }
  if (failed.length > 0) {
    void vscode.window.showWarningMessage(
      vscode.l10n.t(
        'Plan {0} is created, but these unsaved files could not be moved and are still unsaved in the main checkout: {1}',
        plan.id,
        failed.map((f) => f.file).join(', '),
      ),
    );
    return;
  }
  if (!byPerson) return;
  const shown = `${moved.slice(0, 5).join(', ')}${moved.length > 5 ? ', …' : ''}`;
  void vscode.window.showInformationMessage(
    moved.length === 0
      ? vscode.l10n.t('Plan {0} is created. The main checkout had no changes, so nothing moved.', plan.id)
      : moved.length === 1
        ? vscode.l10n.t('Moved 1 change into plan {0}: {1}. The main checkout is clean.', plan.id, shown)
        : vscode.l10n.t(
            'Moved {0} changes into plan {1}: {2}. The main checkout is clean.',
            moved.length,
            plan.id,
            shown,
          ),
  );
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

/**
 * Asks whether the main checkout's uncommitted changes move into the new plan
 * or stay where they are; undefined when the user cancels.
 */
export async function askWhereChangesGo(dirty: string[]): Promise<'move' | 'ignore' | undefined> {
  const move = vscode.l10n.t('Move into the Plan');
  const leave = vscode.l10n.t('Leave in Main Checkout');
  const picked = await vscode.window.showWarningMessage(
    dirty.length === 1
      ? vscode.l10n.t('The main checkout has 1 uncommitted change.')
      : vscode.l10n.t('The main checkout has {0} uncommitted changes.', dirty.length),
    {
      modal: true,
      detail: vscode.l10n.t(
        '{0}\n\nMove them into the new plan (the main checkout becomes clean), or leave them where they are?',
        `${dirty.slice(0, 8).join('\n')}${dirty.length > 8 ? '\n…' : ''}`,
      ),
    },
    move,
    leave,
  );
  return picked === move ? 'move' : picked === leave ? 'ignore' : undefined;
}

/** The title input box with live validation, and a "More Options" button for the id and the base. */
async function askForPlan(
  engine: PlanEngine,
  args: CreateArgs,
): Promise<{ title: string; id?: string; base?: string } | undefined> {
  const box = vscode.window.createInputBox();
  box.title = vscode.l10n.t('Create Plan Worktree');
  box.prompt = vscode.l10n.t('The plan\'s title, e.g. "Feature xyz". The branch and folder names are made from it.');
  box.placeholder = vscode.l10n.t('Plan title');
  const moreOptions: vscode.QuickInputButton = {
    iconPath: new vscode.ThemeIcon('settings-gear'),
    tooltip: vscode.l10n.t('More Options (id, base branch)…'),
  };
  box.buttons = [moreOptions];
  box.ignoreFocusOut = true;
  const prompt = box.prompt;
  // As the title is typed: the branch and folder it makes, and why a title that looks like a path or an option is only words.
  const preview = async (value: string): Promise<void> => {
    const title = value.trim();
    const problem = title === '' ? undefined : validateTitle(title);
    if (title === '' || problem) {
      box.prompt = prompt;
      box.validationMessage = problem;
      return;
    }
    let shown: { prompt: string; message?: vscode.InputBoxValidationMessage };
    try {
      const names = await engine.previewNames({ title, id: args.id, branch: args.branch, path: args.path });
      const note = explainTitle(title);
      const shownNames = vscode.l10n.t('Branch {0} · Folder {1}', names.branch, shortFolder(names.path));
      // A validation message takes the prompt's place: the note repeats the names.
      shown = {
        prompt: shownNames,
        message: note
          ? { message: vscode.l10n.t('{0} {1}', note, shownNames), severity: vscode.InputBoxValidationSeverity.Warning }
          : undefined,
      };
    } catch (e) {
      shown = {
        prompt,
        message: {
          message: errorMessage(e),
          severity: vscode.InputBoxValidationSeverity.Error,
        },
      };
    }
    // Typed on meanwhile: that value's preview is the one to show.
    if (box.value.trim() !== title) return;
    box.prompt = shown.prompt;
    box.validationMessage = shown.message;
  };
  const result = await new Promise<{ title: string; more: boolean } | undefined>((resolve) => {
    box.onDidChangeValue((value) => void preview(value));
    box.onDidAccept(() => {
      const title = box.value.trim();
      const problem = title === '' ? vscode.l10n.t('Type a title for the plan.') : validateTitle(title);
      if (problem) {
        box.validationMessage = problem;
        return;
      }
      resolve({ title, more: false });
      box.hide();
    });
    box.onDidTriggerButton(() => {
      const title = box.value.trim();
      if (title === '' || validateTitle(title)) {
        box.validationMessage = vscode.l10n.t('Type a valid title first.');
        return;
      }
      resolve({ title, more: true });
      box.hide();
    });
    box.onDidHide(() => resolve(undefined));
    box.show();
  });
  box.dispose();
  if (!result) return undefined;
  if (!result.more) return { title: result.title, id: args.id, base: args.base };
  const id = await vscode.window.showInputBox({
    title: vscode.l10n.t('Create Plan Worktree: id'),
    prompt: vscode.l10n.t('The plan id (leave empty for the next free number).'),
    value: args.id ?? '',
    validateInput: (value) => (value.trim() === '' ? undefined : validateId(value.trim())),
  });
  if (id === undefined) return undefined;
  const branches = await engine.localBranches();
  const base = await vscode.window.showQuickPick(branches, {
    title: vscode.l10n.t('Create Plan Worktree: base branch'),
    placeHolder: vscode.l10n.t('The branch the plan starts from and merges back into'),
  });
  if (base === undefined) return undefined;
  return { title: result.title, id: id.trim() || undefined, base };
}

/** A worktree folder as the create box shows it: its last two parts (`…/repo.plans/12-x`). */
function shortFolder(folder: string): string {
  const parts = folder.split(/[\\/]/).filter(Boolean);
  return parts.length > 2 ? `…${path.sep}${parts.slice(-2).join(path.sep)}` : folder;
}

async function openAfterCreate(
  deps: CommandDeps,
  engine: PlanEngine,
  plan: PlanRecord,
  open: OpenAfterCreate,
  postCreateCommand: string,
): Promise<void> {
  let where = open;
  if (where === 'ask') {
    const newWindow = vscode.l10n.t('Open in New Window');
    const here = vscode.l10n.t('Open Here');
    const picked = await vscode.window.showInformationMessage(
      vscode.l10n.t('Plan {0} is ready at {1}.', plan.id, plan.path),
      newWindow,
      here,
    );
    where = picked === newWindow ? 'newWindow' : picked === here ? 'currentWindow' : 'none';
  }
  // The setup command runs as a task of the plan's window (of this one when it opens nowhere); in an untrusted workspace, never.
  if (postCreateCommand.trim() && vscode.workspace.isTrusted) {
    if (where === 'none') void runSetupTask(engine, plan, postCreateCommand, deps.log).catch((e) => deps.log.error(e));
    else await leavePendingSetup(engine.repo.commonDir, plan, postCreateCommand);
  }
  if (where === 'newWindow' || where === 'currentWindow') {
    await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(plan.path), {
      forceNewWindow: where === 'newWindow',
    });
  }
}

/** Runs the setup command (the `postCreateCommand` setting as it is now, never a command read from the repository's state) again in the plan's folder; resolves with its exit code. */
async function runSetupAgain(deps: CommandDeps, args: unknown): Promise<number | undefined> {
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Run the setup of which plan?'),
  });
  if (!picked) return undefined;
  const command = readUiSettings(vscode.Uri.file(picked.engine.repo.mainPath)).postCreateCommand;
  if (!command.trim()) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('There is no setup command: set "planWorktrees.postCreateCommand" first.'),
    );
    return undefined;
  }
  return runSetupTask(picked.engine, picked.plan, command, deps.log);
}

/** Shows the terminal the plan's setup ran in, or says where it is. */
async function showOutput(deps: CommandDeps, args: unknown): Promise<void> {
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Show the setup of which plan?'),
  });
  if (!picked || showSetupOutput(picked.plan)) return;
  void vscode.window.showInformationMessage(
    vscode.l10n.t(
      'The setup output of plan {0} is in the "{1}" terminal of the window it ran in; Run Setup Again runs it here.',
      picked.plan.id,
      vscode.l10n.t('Plan {0} setup', picked.plan.id),
    ),
  );
}
