/**
 * Every command of the manifest. Each takes an optional argument object; when
 * the arguments say everything it needs, it asks nothing and returns its
 * result (DESIGN.md, "Public contract"); destructive ones also need
 * `force: true` to skip their confirmation. Commands change the model, never
 * the views: the views follow the engines' change events.
 *
 * Every id is written out as a literal in a registerCommand call:
 * scripts/check-commands.js compares them with package.json.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, isError, PlanWorktreesError } from '../git/errors';
import { CleanupResult } from '../model/lifecycle/cleanup';
import { Finding } from '../model/recovery/doctor';
import { explainTitle, validateId, validateTitle } from '../model/engine/names';
import { leavePendingSetup } from '../model/store/pendingSetup';
import { PlanEngine, PlanWorktree } from '../model/engine/planEngine';
import { Snapshot } from '../model/lifecycle/snapshot';
import { PlanRecord } from '../model/engine/types';
import { branchSentence, cleanupQuestion, forceQuestion, Question } from './cleanupQuestions';
import { showError } from './errors';
import { MainCheckoutGuard } from './guard';
import { escapeIcons } from './iconSyntax';
import { commitCommand, mergeCommand, publishCommand, ReviewDeps } from './mergeCommands';
import { pickPlan, PickedPlan, planIdOf } from './pickPlan';
import { planBaseUri } from './planBaseContent';
import { registerRebaseCommands } from './rebaseCommands';
import { PlanRepositories } from './repositories';
import { PlanSourceControls } from './scm';
import { OpenAfterCreate, readUiSettings } from './settings';
import { requireTrust } from './trust';
import { moveUnsavedDocuments, relativeTo, unsavedMainDocuments } from './unsavedChanges';

export interface CommandDeps {
  repositories: PlanRepositories;
  scm: PlanSourceControls;
  guard: MainCheckoutGuard;
  log: vscode.LogOutputChannel;
}

export type { MergeStrategy } from '../model/lifecycle/merge';

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
}

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  const { repositories, log } = deps;
  const review: ReviewDeps = {
    repositories,
    scm: deps.scm,
    log,
    cleanup: (args, quiet) => cleanupPlan(deps, args, quiet),
  };
  /** Runs a command body; engine errors become messages with a way out. Returns the body's result. */
  const run =
    <A, R>(what: string, body: (args: A) => Promise<R>, options: { untrusted?: boolean } = {}) =>
    async (args: A): Promise<R | undefined> => {
      try {
        // In Restricted Mode only commands that run no git beyond reading the list work.
        if (!options.untrusted) requireTrust();
        return await body(args);
      } catch (e) {
        // Never wait for the message: a command must end when its work ends.
        void showError(log, what, e);
        if (isQuiet(args)) throw e;
        return undefined;
      }
    };

  return vscode.Disposable.from(
    vscode.commands.registerCommand(
      'planWorktrees.refresh',
      run(vscode.l10n.t('Refresh'), () => repositories.refresh(), { untrusted: true }),
    ),
    vscode.commands.registerCommand('planWorktrees.showLog', () => log.show()),
    vscode.commands.registerCommand(
      'planWorktrees.create',
      run(vscode.l10n.t('Create Plan Worktree'), (args?: CreateArgs) => createPlan(deps, args ?? {})),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.moveChangesToPlan',
      run(vscode.l10n.t('Move Changes to a New Plan'), (args?: CreateArgs) =>
        createPlan(deps, { ...args, dirtyBase: 'move' }),
      ),
    ),
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
      'planWorktrees.showDiff',
      run(vscode.l10n.t('Show All Changes'), (args?: unknown) => showAllChanges(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.merge',
      run(vscode.l10n.t('Merge Plan'), (args?: unknown) => mergeCommand(review, args, isQuiet(args))),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.commit',
      run(vscode.l10n.t('Commit'), (args?: unknown) => commitCommand(review, args, isQuiet(args))),
    ),
    registerRebaseCommands(review, run),
    vscode.commands.registerCommand(
      'planWorktrees.publish',
      run(vscode.l10n.t('Publish Plan'), (args?: unknown) => publishCommand(review, args, isQuiet(args))),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.cleanup',
      run(vscode.l10n.t('Clean Up Plan'), (args?: unknown) => cleanupPlan(deps, args, isQuiet(args))),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.discard',
      run(vscode.l10n.t('Discard Plan'), (args?: unknown) => discardPlan(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.restore',
      run(vscode.l10n.t('Restore Plan'), (args?: unknown) => restorePlan(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.doctor',
      run(vscode.l10n.t('Doctor'), (args?: unknown) => doctor(deps, args)),
    ),
    vscode.commands.registerCommand('planWorktrees.allowMainEdits', () => deps.guard.allowEdits()),
    vscode.commands.registerCommand(
      'planWorktrees.showActions',
      run(vscode.l10n.t('Plan Worktrees'), () => showActions(deps)),
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

/** Arguments given by a program (an object that is not a tree node): errors are thrown back to it too. */
function isQuiet(args: unknown): boolean {
  return !!args && typeof args === 'object' && !('type' in args);
}

function engineOrThrow(repositories: PlanRepositories): PlanEngine {
  const engine = repositories.engines[0];
  if (!engine) {
    throw new PlanWorktreesError(
      ErrorCode.NotAGitRepository,
      vscode.l10n.t('Open a folder inside a git repository first.'),
    );
  }
  return engine;
}

// ---------------------------------------------------------------- create

async function createPlan(deps: CommandDeps, args: CreateArgs): Promise<PlanRecord | undefined> {
  const engine = engineOrThrow(deps.repositories);
  const settings = readUiSettings(vscode.Uri.file(engine.repo.mainPath));
  const byPerson = args.title === undefined;
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

  const plan = await vscode.window.withProgress(
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
        signal: controller.signal,
      });
    },
  );
  deps.log.info(`Created plan ${plan.id} "${plan.title}" at ${plan.path} (branch ${plan.branch}, base ${plan.base})`);
  if (dirtyBase === 'move') {
    const documents = await moveUnsavedDocuments(engine, plan, unsaved);
    reportMovedChanges(deps.log, plan, union(onDisk, documents.moved), documents.failed, byPerson);
  }
  await openAfterCreate(engine, plan, args.open ?? settings.openAfterCreate, settings.postCreateCommand);
  return plan;
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
          message: e instanceof Error ? e.message : String(e),
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
  // The setup command runs in a terminal of the plan's window; in an untrusted workspace, never.
  if (postCreateCommand.trim() && vscode.workspace.isTrusted) {
    if (where === 'none') runInTerminal(plan, postCreateCommand);
    else await leavePendingSetup(engine.repo.commonDir, plan.id, postCreateCommand);
  }
  if (where === 'newWindow' || where === 'currentWindow') {
    await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(plan.path), {
      forceNewWindow: where === 'newWindow',
    });
  }
}

export function runInTerminal(plan: PlanRecord, command: string): vscode.Terminal {
  const terminal = vscode.window.createTerminal({ name: vscode.l10n.t('Plan {0} setup', plan.id), cwd: plan.path });
  terminal.show(true);
  terminal.sendText(command, true);
  return terminal;
}

// ---------------------------------------------------------------- open, reveal, terminal, copy, lock

/** The worktree folder a command is about: a tree node's, a plan's, or `{ path }`. */
async function worktreeOf(
  deps: CommandDeps,
  args: unknown,
  placeHolder: string,
): Promise<{ engine: PlanEngine; item: PlanWorktree; path: string } | undefined> {
  if (args && typeof args === 'object' && 'type' in args && (args as { type: string }).type === 'worktree') {
    const node = args as unknown as { engine: PlanEngine; item: PlanWorktree };
    if (node.item.worktree) return { engine: node.engine, item: node.item, path: node.item.worktree.path };
  }
  if (
    args &&
    typeof args === 'object' &&
    typeof (args as { path?: unknown }).path === 'string' &&
    planIdOf(args) === undefined
  ) {
    const wanted = (args as { path: string }).path;
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
  const terminal = vscode.window.createTerminal({ name, cwd: target.path });
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

// ---------------------------------------------------------------- diff and merge

async function showAllChanges(deps: CommandDeps, args: unknown): Promise<number | undefined> {
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Show the changes of which plan?'),
    filter: (item) => !!item.worktree,
  });
  if (!picked) return undefined;
  const diff = await picked.engine.diff(picked.plan.id);
  const worktree = picked.item.worktree?.path ?? picked.plan.path;
  // [file, original, modified]: no original for an added file, no modified for a deleted one, and
  // both at the file's path otherwise (the changes editor calls two different paths a rename).
  const resources = diff.files.map((file): [vscode.Uri, vscode.Uri | undefined, vscode.Uri | undefined] => {
    const uri = vscode.Uri.file(path.join(worktree, file.path));
    const added = file.status === 'A' || file.status === 'U';
    const original = added
      ? undefined
      : planBaseUri(
          picked.engine.repo.commonDir,
          picked.plan.id,
          diff.mergeBase,
          file.oldPath ?? file.path,
          false,
          worktree,
        );
    return [uri, original, file.status === 'D' ? undefined : uri];
  });
  if (resources.length === 0) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Plan {0} has no changes against {1}.', picked.plan.id, picked.plan.base),
    );
    return 0;
  }
  await vscode.commands.executeCommand(
    'vscode.changes',
    vscode.l10n.t('Plan {0}: {1} ↔ {2}', picked.plan.id, picked.plan.title, picked.plan.base),
    resources,
  );
  return resources.length;
}

// ---------------------------------------------------------------- cleanup, discard, restore

async function cleanupPlan(deps: CommandDeps, args: unknown, quiet: boolean): Promise<CleanupResult | undefined> {
  const picked = await pickPlan(deps.repositories, args, { placeHolder: vscode.l10n.t('Clean up which plan?') });
  if (!picked) return undefined;
  const force = !!(args && typeof args === 'object' && (args as { force?: boolean }).force);
  if (!quiet) {
    const details = picked.item.worktree ? await picked.engine.details(picked.item).catch(() => undefined) : undefined;
    const question = force
      ? forceQuestion(picked.plan, { locked: picked.item.worktree?.locked }, branchSentence(picked.plan, details))
      : cleanupQuestion(picked.plan, picked.item, details);
    if (!(await ask(question))) return undefined;
    if (question.force) return runCleanup(deps, picked, true);
  }
  try {
    return await runCleanup(deps, picked, force);
  } catch (e) {
    if (!quiet && (isError(e, ErrorCode.WorktreeDirty) || isError(e, ErrorCode.WorktreeLocked))) {
      const reason = isError(e, ErrorCode.WorktreeLocked)
        ? { locked: picked.item.worktree?.locked ?? '' }
        : { files: (e as PlanWorktreesError).files };
      if (await ask(forceQuestion(picked.plan, reason))) return runCleanup(deps, picked, true);
      return undefined;
    }
    throw e;
  }
}

async function runCleanup(deps: CommandDeps, picked: PickedPlan, force: boolean): Promise<CleanupResult> {
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Cleaning up plan {0}', picked.plan.id) },
    () => picked.engine.cleanup(picked.plan.id, { force }),
  );
  if (result.alreadyRemoved) {
    deps.log.info(`Plan ${picked.plan.id} was removed by another window meanwhile (now ${result.status}).`);
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Plan {0} was already cleaned up in another window.', picked.plan.id),
    );
    return result;
  }
  const kept = result.keptBranchReason ? ` Branch ${picked.plan.branch} kept: ${result.keptBranchReason}` : '';
  const snapshot = result.snapshot ? ` Snapshot: ${result.snapshot.ref}.` : '';
  deps.log.info(
    `Cleaned up plan ${picked.plan.id}: worktree ${result.removedWorktree ? 'removed' : 'kept'}, branch ${result.deletedBranch ? 'deleted' : 'kept'}.${kept}${snapshot}`,
  );
  const shownKept = result.keptBranchReason
    ? vscode.l10n.t(' Branch {0} kept: {1}', picked.plan.branch, result.keptBranchReason)
    : '';
  const shownSnapshot = result.snapshot ? vscode.l10n.t(' Snapshot: {0}.', result.snapshot.ref) : '';
  void vscode.window.showInformationMessage(
    vscode.l10n.t('Plan {0} cleaned up.{1}{2}', picked.plan.id, shownKept, shownSnapshot),
  );
  showLeftover(deps, result);
  return result;
}

async function discardPlan(deps: CommandDeps, args: unknown): Promise<CleanupResult | undefined> {
  const picked = await pickPlan(deps.repositories, args, { placeHolder: vscode.l10n.t('Discard which plan?') });
  if (!picked) return undefined;
  const force = !!(args && typeof args === 'object' && (args as { force?: boolean }).force);
  if (!force) {
    const ok = await confirm(
      vscode.l10n.t('Discard plan {0}: {1}?', picked.plan.id, picked.plan.title),
      vscode.l10n.t(
        'The worktree {0} and the branch {1} are removed, merged or not.\n\nKept: a snapshot under refs/plan-worktrees/snapshots/{2}/… of every commit, staged and unstaged change (also of files marked assume-unchanged or skip-worktree), untracked file, and ignored file except those in dependency and build folders (setting planWorktrees.disposableFolders) and unchanged copies of the main checkout\'s files. "Restore Plan from Snapshot" brings the plan back.',
        picked.item.worktree?.path ?? picked.plan.path,
        picked.plan.branch,
        picked.plan.id,
      ),
      vscode.l10n.t('Discard'),
    );
    if (!ok) return undefined;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Discarding plan {0}', picked.plan.id) },
    () => picked.engine.discard(picked.plan.id),
  );
  deps.log.info(
    result.alreadyRemoved
      ? `Plan ${picked.plan.id} was removed by another window meanwhile (now ${result.status}).`
      : `Discarded plan ${picked.plan.id}${result.snapshot ? `; snapshot ${result.snapshot.ref}` : ''}`,
  );
  showLeftover(deps, result);
  return result;
}

/** Says where a folder was left when something kept writing into the worktree while it was removed. */
function showLeftover(deps: CommandDeps, result: CleanupResult): void {
  if (!result.leftover) return;
  deps.log.warn(
    `Something kept writing into the worktree while it was removed; what it wrote after the snapshot is in ${result.leftover}.`,
  );
  void vscode.window.showWarningMessage(
    vscode.l10n.t(
      'Something kept writing into the worktree while it was removed. Everything removed is in the snapshot; what was written after it is in {0}.',
      result.leftover,
    ),
  );
}

async function restorePlan(deps: CommandDeps, args: unknown): Promise<{ path: string; branch: string } | undefined> {
  const engine = engineOrThrow(deps.repositories);
  const a = (args && typeof args === 'object' ? args : {}) as { snapshot?: string; plan?: string };
  const wanted = a.snapshot ?? (a.plan !== undefined ? String(a.plan) : typeof args === 'string' ? args : undefined);
  let target = wanted;
  if (target === undefined) {
    const snapshots: Snapshot[] = await engine.snapshots();
    if (snapshots.length === 0) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t(
          'There are no snapshots. A snapshot is saved whenever a plan is discarded or forcibly cleaned up, or cleaned up with ignored files to keep.',
        ),
      );
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      snapshots
        .sort((x, y) => y.time.localeCompare(x.time))
        .map((s) => ({
          label: escapeIcons(`${s.planId} · ${s.plan.title}`),
          description: new Date(s.time).toLocaleString(),
          detail: escapeIcons(
            vscode.l10n.t('{0} — {1} — restores to {2}', s.reason, s.ref, engine.restoreDestination(s)),
          ),
          snapshot: s,
        })),
      {
        placeHolder: vscode.l10n.t(
          'Restore which snapshot? The plan comes back as a worktree with every file the snapshot holds.',
        ),
      },
    );
    if (!picked) return undefined;
    target = picked.snapshot.ref;
  }
  const restored = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Restoring plan') },
    () => engine.restore(target as string),
  );
  // The engine logged "Restored … to …" already.
  if (!isQuiet(args)) {
    const open = await vscode.window.showInformationMessage(
      vscode.l10n.t('Restored to {0} (branch {1}).', restored.path, restored.branch),
      vscode.l10n.t('Open in New Window'),
    );
    if (open) {
      await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(restored.path), {
        forceNewWindow: true,
      });
    }
  }
  return restored;
}

// ---------------------------------------------------------------- doctor

async function doctor(deps: CommandDeps, args: unknown): Promise<Finding[]> {
  const findings = (await Promise.all(deps.repositories.engines.map((e) => e.doctor()))).flat();
  if (isQuiet(args)) return findings;
  if (findings.length === 0) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Doctor: everything is in order — no orphaned entries, missing folders, stray plan branches or locked worktrees.',
      ),
    );
    return findings;
  }
  const picked = await vscode.window.showQuickPick(
    findings.map((f) => ({
      label: escapeIcons(f.message),
      detail: f.fix
        ? vscode.l10n.t('Fix: {0} — {1}', escapeIcons(f.fix.label), escapeIcons(f.fix.description))
        : vscode.l10n.t('No automatic fix; see the message.'),
      finding: f,
    })),
    {
      title:
        findings.length === 1
          ? vscode.l10n.t('Doctor: 1 finding')
          : vscode.l10n.t('Doctor: {0} findings', findings.length),
      placeHolder: vscode.l10n.t('Pick a finding to fix it'),
    },
  );
  const fix = picked?.finding.fix;
  if (!fix) return findings;
  if (await confirm(fix.label, fix.description, fix.label)) {
    const outcome = await fix.run();
    if (outcome && !outcome.applied) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Doctor: {0} — not needed any more; nothing was changed. {1}', fix.label, picked.finding.message),
      );
    } else void vscode.window.showInformationMessage(vscode.l10n.t('Doctor: {0} — done.', fix.label));
  }
  return findings;
}

// ---------------------------------------------------------------- status-bar actions

async function showActions(deps: CommandDeps): Promise<void> {
  const engine = engineOrThrow(deps.repositories);
  const current = await engine.currentPlan();
  type Action = vscode.QuickPickItem & { command: string; args?: unknown };
  const actions: Action[] = current
    ? [
        {
          label: vscode.l10n.t('$(diff-multiple) Show All Changes'),
          command: 'planWorktrees.showDiff',
          args: { plan: current.id },
        },
        {
          label: vscode.l10n.t('$(git-merge) Merge into {0}…', escapeIcons(current.base)),
          command: 'planWorktrees.merge',
          args: current.id,
        },
        { label: vscode.l10n.t('$(trash) Clean Up…'), command: 'planWorktrees.cleanup', args: current.id },
        {
          label: vscode.l10n.t('$(home) Open the Main Checkout'),
          command: 'vscode.openFolder',
          args: vscode.Uri.file(engine.repo.mainPath),
        },
      ]
    : [
        { label: vscode.l10n.t('$(add) Create Plan Worktree…'), command: 'planWorktrees.create' },
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
      ];
  const picked = await vscode.window.showQuickPick(actions, {
    placeHolder: current ? vscode.l10n.t('Plan {0}: {1}', current.id, current.title) : vscode.l10n.t('Main checkout'),
  });
  if (picked) await vscode.commands.executeCommand(picked.command, picked.args);
}

async function ask(question: Question): Promise<boolean> {
  return confirm(question.message, question.detail, question.action);
}

async function confirm(message: string, detail: string, action: string): Promise<boolean> {
  return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
}
