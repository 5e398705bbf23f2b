/**
 * Review and merge: the merge command (strategy, conflict pre-check, progress,
 * afterMerge), committing from the Source Control input box, publishing a plan
 * for a pull request, and the way out of a conflict (each file's diff, or a
 * rebase of the plan onto its base in its own worktree).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { cleanupQuestion, Question } from './cleanupQuestions';
import { ErrorCode, isError, PlanWorktreesError } from '../git/errors';
import { MergeResult, MergeStrategy, squashSubject } from '../model/lifecycle/merge';
import { PlanEngine, PlanWorktree } from '../model/engine/planEngine';
import { PublishResult } from '../model/lifecycle/publish';
import { ErrorAction, showError } from './errors';
import { escapeIcons } from './iconSyntax';
import { pickPlan, PickedPlan } from './pickPlan';
import { planBaseUri } from './planBaseContent';
import { PlanRepositories } from './repositories';
import { offerConflicts } from './rebaseCommands';
import { PlanSourceControls } from './scm';
import { readUiSettings } from './settings';

export interface ReviewDeps {
  repositories: PlanRepositories;
  scm: PlanSourceControls;
  log: vscode.LogOutputChannel;
  /** Runs the clean-up command's flow (confirmations included unless `force`). */
  cleanup(args: { plan: string; force?: boolean }, quiet: boolean): Promise<unknown>;
}

export interface MergeArgs {
  plan?: string;
  strategy?: MergeStrategy;
  commitUncommitted?: boolean;
  /** The squash commit's first line (default: `Plan <id>: <title>`, which a person may edit). */
  subject?: string;
  /** true: clean up after the merge; false: keep; default: the `afterMerge` setting (keep when called by a program). */
  cleanup?: boolean;
}

/** Each strategy in words, as the pick and the progress show it (never its id). */
export function strategyLabel(strategy: MergeStrategy): string {
  return {
    merge: vscode.l10n.t('Merge commit'),
    squash: vscode.l10n.t('Squash into one commit'),
    fastForward: vscode.l10n.t('Fast-forward only'),
    rebase: vscode.l10n.t('Rebase, then fast-forward'),
  }[strategy];
}

/** What each strategy does, in the user's language (read when the pick shows, not at load). */
function strategyDescriptions(): Record<MergeStrategy, string> {
  return {
    merge: vscode.l10n.t("A merge commit on the base joins the plan's history."),
    squash: vscode.l10n.t("One new commit on the base with all of the plan's changes."),
    fastForward: vscode.l10n.t("Move the base to the plan's last commit; refused if the base has moved on."),
    rebase: vscode.l10n.t("Replay the plan's commits on top of the base, then fast-forward the base."),
  };
}

/** A plan the merge pick offers: its worktree has commits the base lacks, or uncommitted changes. */
async function hasSomethingToMerge(item: PlanWorktree, engine: PlanEngine): Promise<boolean> {
  if (!item.worktree) return false;
  const details = await engine.details(item).catch(() => undefined);
  if (!details) return true; // unknown: offered, and the merge itself says what it finds
  const { staged, modified, untracked, conflicted } = details.dirty;
  return (details.ahead ?? 0) > 0 || staged + modified + untracked + conflicted > 0;
}

/** "Plan 189 conflicts with main in 2 files. Nothing was changed." */
function conflictMessage(planId: string, base: string, count: number): string {
  return count === 1
    ? vscode.l10n.t('Plan {0} conflicts with {1} in 1 file. Nothing was changed.', planId, base)
    : vscode.l10n.t('Plan {0} conflicts with {1} in {2} files. Nothing was changed.', planId, base, count);
}

/** The merge command. `quiet`: called by a program with its arguments — no prompt, errors thrown. */
export async function mergeCommand(deps: ReviewDeps, args: unknown, quiet: boolean): Promise<MergeResult | undefined> {
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Merge which plan?'),
    filter: hasSomethingToMerge,
    none: vscode.l10n.t("No plan has anything to merge: every plan's work is in its base already."),
  });
  if (!picked) return undefined;
  const a = (args && typeof args === 'object' ? args : {}) as MergeArgs;
  const settings = readUiSettings(vscode.Uri.file(picked.engine.repo.mainPath));
  const { plan, engine } = picked;

  // The pre-check first: on conflict nothing moves, and the user sees why before choosing anything.
  const check = await engine.checkMerge(plan.id, { attempt: true });
  if (!check.clean) {
    const error = new PlanWorktreesError(
      ErrorCode.MergeConflict,
      conflictMessage(plan.id, plan.base, check.conflicts.length),
      {
        files: check.conflicts,
      },
    );
    if (quiet) throw error;
    await offerConflictActions(deps, picked, check.conflicts, check.baseCommit);
    return undefined;
  }

  let strategy = a.strategy ?? (settings.mergeStrategy === 'ask' ? undefined : settings.mergeStrategy);
  if (!strategy && quiet) strategy = 'merge';
  if (!strategy) {
    const descriptions = strategyDescriptions();
    const choice = await vscode.window.showQuickPick(
      (Object.keys(descriptions) as MergeStrategy[]).map((s) => ({
        label: strategyLabel(s),
        detail: descriptions[s],
        strategy: s,
      })),
      {
        title: vscode.l10n.t('Merge plan {0} into {1} (no conflicts)', plan.id, plan.base),
        placeHolder: vscode.l10n.t('How should the plan be merged?'),
      },
    );
    if (!choice) return undefined;
    strategy = choice.strategy;
  }
  let subject = a.subject;
  /** A person squashing writes the commit's first line (prefilled); the list of squashed commits goes below it. False: cancelled. */
  const askSubject = async (chosen: MergeStrategy): Promise<boolean> => {
    if (chosen !== 'squash' || subject !== undefined || quiet) return true;
    subject = await vscode.window.showInputBox({
      title: vscode.l10n.t('Squash plan {0} into {1}', plan.id, plan.base),
      prompt: vscode.l10n.t('The message of the squash commit. The list of squashed commits goes below it.'),
      value: squashSubject(plan),
      validateInput: (value) => (value.trim() === '' ? vscode.l10n.t('Type a message for the commit.') : undefined),
    });
    return subject !== undefined;
  };
  const merge = (chosen: MergeStrategy): Thenable<MergeResult> =>
    vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: vscode.l10n.t('Merging plan {0} into {1} ({2})', plan.id, plan.base, strategyLabel(chosen)),
        cancellable: true,
      },
      async (_progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        return engine.merge(plan.id, {
          strategy: chosen,
          commitUncommitted: a.commitUncommitted,
          subject,
          signal: controller.signal,
        });
      },
    );
  let chosen = strategy;
  if (!(await askSubject(chosen))) return undefined;
  let result: MergeResult;
  try {
    result = await merge(chosen);
  } catch (e) {
    if (quiet || !(e instanceof PlanWorktreesError) || e.code !== ErrorCode.RebaseChangesContent) throw e;
    // A rebase would lose what the plan's merge commits changed: a merge or a squash keeps it.
    const instead = await askInsteadOfRebase(e);
    if (!instead) return undefined;
    chosen = instead;
    if (!(await askSubject(chosen))) return undefined;
    result = await merge(chosen);
  }
  // The engine logged "Merged plan … into …" already.
  await refreshBuiltInGit([engine.repo.mainPath, picked.item.worktree?.path]);

  const afterMerge = a.cleanup === true ? 'cleanup' : a.cleanup === false || quiet ? 'keep' : settings.afterMerge;
  const cleanUp =
    afterMerge === 'ask' ? await askToCleanUp(picked) : afterMerge === 'cleanup' ? { force: false } : undefined;
  if (cleanUp) {
    const inPlanWindow = (await engine.currentPlan())?.id === plan.id;
    await deps.cleanup({ plan: plan.id, force: cleanUp.force }, true);
    await refreshBuiltInGit([engine.repo.mainPath]);
    // The window stood in the worktree that is gone: it moves to the main checkout.
    if (inPlanWindow) {
      await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(engine.repo.mainPath), {
        forceNewWindow: false,
      });
    }
  }
  return result;
}

/**
 * "Clean up now?" after a merge, asked where the answer cannot be lost: a
 * quick pick that stays open when focus moves (a notification would sink into
 * the notification centre unanswered). It says what is known: the branch is
 * deleted when its work is in the base, and what the worktree still holds.
 */
async function askToCleanUp(picked: PickedPlan): Promise<{ force: boolean } | undefined> {
  const { plan, engine } = picked;
  const item = (await engine.list()).find((i) => i.plan?.id === plan.id) ?? picked.item;
  const details = item.worktree ? await engine.details(item).catch(() => undefined) : undefined;
  const question = cleanupQuestion(plan, item, details);
  const cleanUp: vscode.QuickPickItem = {
    label: question.force ? `$(warning) ${question.action}` : `$(trash) ${question.action}`,
    detail: question.summary,
  };
  const keep: vscode.QuickPickItem = {
    label: `$(check) ${vscode.l10n.t('Keep the Plan')}`,
    detail: vscode.l10n.t('Its worktree and branch stay; clean it up later from the Plans view.'),
  };
  const answer = await vscode.window.showQuickPick([cleanUp, keep], {
    title: vscode.l10n.t('Plan {0} is merged into {1}. Clean it up now?', plan.id, plan.base),
    ignoreFocusOut: true,
  });
  if (answer !== cleanUp) return undefined;
  if (question.force && !(await confirmForce(question))) return undefined;
  return { force: question.force };
}

async function confirmForce(question: Question): Promise<boolean> {
  return (
    (await vscode.window.showWarningMessage(
      question.message,
      { modal: true, detail: question.detail },
      question.action,
    )) === question.action
  );
}

/** The strategy to use instead of a rebase that would change the plan's content; undefined when the user keeps neither. */
async function askInsteadOfRebase(error: PlanWorktreesError): Promise<MergeStrategy | undefined> {
  const merge = vscode.l10n.t('Merge Instead');
  const squash = vscode.l10n.t('Squash Instead');
  const answer = await vscode.window.showWarningMessage(error.message, { modal: true }, merge, squash);
  return answer === merge ? 'merge' : answer === squash ? 'squash' : undefined;
}

/** A conflict: the files, each file's diff, or rebasing the plan in its own worktree to resolve them there. */
async function offerConflictActions(
  deps: ReviewDeps,
  picked: PickedPlan,
  files: string[],
  baseCommit: string,
): Promise<void> {
  const { plan } = picked;
  deps.log.warn(
    `Merge of plan ${plan.id} refused before anything moved: conflicts with ${plan.base} in ${files.join(', ')}`,
  );
  const show = vscode.l10n.t('Show Conflicting Files');
  const rebase = vscode.l10n.t('Rebase Plan onto {0}…', plan.base);
  const showLog = vscode.l10n.t('Show Log');
  const answer = await vscode.window.showErrorMessage(
    conflictMessage(plan.id, plan.base, files.length),
    show,
    rebase,
    showLog,
  );
  if (answer === show) await showConflictingFiles(picked, files, baseCommit);
  else if (answer === rebase) await rebaseOntoBase(deps, picked);
  else if (answer === showLog) deps.log.show();
}

async function showConflictingFiles(picked: PickedPlan, files: string[], baseCommit: string): Promise<void> {
  const { plan, engine } = picked;
  const worktree = picked.item.worktree?.path ?? plan.path;
  const choice = await vscode.window.showQuickPick(
    files.map((file) => ({
      label: escapeIcons(path.basename(file)),
      description: path.dirname(file) === '.' ? '' : escapeIcons(path.dirname(file)),
      file,
    })),
    {
      title: vscode.l10n.t('Conflicts of plan {0} with {1}', plan.id, plan.base),
      placeHolder: vscode.l10n.t("Open a file's diff: {0} now ↔ the plan", plan.base),
    },
  );
  if (!choice) return;
  // Left: the file as the base has it now (what the plan collides with); right: the plan's file.
  const left = planBaseUri(engine.repo.commonDir, plan.id, baseCommit, choice.file);
  await vscode.commands.executeCommand(
    'vscode.diff',
    left,
    vscode.Uri.file(path.join(worktree, choice.file)),
    vscode.l10n.t('{0} ({1} ↔ plan {2})', choice.file, plan.base, plan.id),
  );
}

async function rebaseOntoBase(deps: ReviewDeps, picked: PickedPlan): Promise<void> {
  const { plan, engine } = picked;
  const rebase = vscode.l10n.t('Rebase');
  const ok = await vscode.window.showWarningMessage(
    vscode.l10n.t('Rebase plan {0} onto {1} in its own worktree?', plan.id, plan.base),
    {
      modal: true,
      detail: vscode.l10n.t(
        'Runs "git rebase {0}" in {1}. Where it stops on a conflict, resolve the files in the plan\'s window and continue the rebase there. {0} and the main checkout do not change.',
        plan.base,
        picked.item.worktree?.path ?? plan.path,
      ),
    },
    rebase,
  );
  if (ok !== rebase) return;
  try {
    const conflicts = await engine.rebaseOntoBase(plan.id);
    if (conflicts.length === 0) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Plan {0} is rebased onto {1}; it now merges without conflicts.', plan.id, plan.base),
      );
      return;
    }
    await offerConflicts(
      picked,
      vscode.l10n.t(
        "The rebase of plan {0} stopped on conflicts in {1}. Resolve them in the plan's window, then continue the rebase.",
        plan.id,
        conflicts.join(', '),
      ),
    );
  } catch (e) {
    void showError(
      deps.log,
      vscode.l10n.t('Rebase'),
      e,
      isError(e, ErrorCode.RebaseInProgress) ? rebaseActions(plan.id) : [],
    );
  }
}

/** What a plan stopped mid-rebase offers next to an error. */
function rebaseActions(planId: string): ErrorAction[] {
  return [
    {
      title: vscode.l10n.t('Show Conflicts'),
      run: () => vscode.commands.executeCommand('planWorktrees.showConflicts', planId),
    },
    {
      title: vscode.l10n.t('Continue Rebase'),
      run: () => vscode.commands.executeCommand('planWorktrees.continueRebase', planId),
    },
    {
      title: vscode.l10n.t('Abort Rebase'),
      run: () => vscode.commands.executeCommand('planWorktrees.abortRebase', planId),
    },
  ];
}

/**
 * Commits every change of the plan with the Source Control input box's
 * message (or `message`). `quiet`: a program's call, whose errors are thrown
 * back; for a person, nothing to commit is one information message, and a
 * plan mid-rebase says so with the ways through it.
 */
export async function commitCommand(deps: ReviewDeps, args: unknown, quiet: boolean): Promise<string | undefined> {
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Commit the changes of which plan?'),
    filter: (item) => !!item.worktree,
  });
  if (!picked) return undefined;
  const control = deps.scm.forPlan(picked.plan.id);
  const given = (args as { message?: string } | undefined)?.message;
  const message = given ?? control?.sourceControl.inputBox.value ?? '';
  let commit: string;
  try {
    commit = await picked.engine.commit(picked.plan.id, message);
  } catch (e) {
    if (quiet) throw e;
    if (isError(e, ErrorCode.NothingToCommit)) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Plan {0} has nothing to commit: every change is committed already.', picked.plan.id),
      );
    } else {
      void showError(
        deps.log,
        vscode.l10n.t('Commit'),
        e,
        isError(e, ErrorCode.RebaseInProgress) ? rebaseActions(picked.plan.id) : [],
      );
    }
    return undefined;
  }
  if (control && given === undefined) control.sourceControl.inputBox.value = '';
  deps.log.info(`Committed the changes of plan ${picked.plan.id}: ${commit.slice(0, 8)}`);
  await refreshBuiltInGit([picked.item.worktree?.path]);
  return commit;
}

/** Pushes the plan branch to its base's remote, showing what the remote answered. */
export async function publishCommand(
  deps: ReviewDeps,
  args: unknown,
  quiet: boolean,
): Promise<PublishResult | undefined> {
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Publish which plan?'),
    filter: (item) => !!item.worktree,
  });
  if (!picked) return undefined;
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Publishing plan {0} ({1})', picked.plan.id, picked.plan.branch),
      cancellable: true,
    },
    (_progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      return picked.engine.publish(picked.plan.id, controller.signal);
    },
  );
  deps.log.info(`Published plan ${picked.plan.id} to ${result.remote}:\n${result.answer}`);
  if (!quiet) {
    const link = /https?:\/\/\S+/.exec(result.answer)?.[0];
    const openLink = vscode.l10n.t('Open Link');
    const showAnswer = vscode.l10n.t('Show Remote Answer');
    const answer = await vscode.window.showInformationMessage(
      vscode.l10n.t(
        'Plan {0} is published to {1} as {2}. Once its pull request is merged and fetched, the plan shows as merged.',
        picked.plan.id,
        result.remote,
        picked.plan.branch,
      ),
      ...(link ? [openLink] : []),
      showAnswer,
    );
    if (answer === openLink && link) await vscode.env.openExternal(vscode.Uri.parse(link));
    else if (answer === showAnswer) deps.log.show();
  }
  return result;
}

/** Asks the built-in git extension to re-read the repositories at these folders, so its view is never stale. */
export async function refreshBuiltInGit(folders: Array<string | undefined>): Promise<void> {
  try {
    const extension = vscode.extensions.getExtension<{
      getAPI(version: 1): { repositories: Array<{ rootUri: vscode.Uri; status(): Promise<void> }> };
    }>('vscode.git');
    if (!extension) return;
    const api = (extension.isActive ? extension.exports : await extension.activate()).getAPI(1);
    const wanted = new Set(folders.filter((f): f is string => !!f));
    await Promise.all(api.repositories.filter((r) => wanted.has(r.rootUri.fsPath)).map((r) => r.status()));
  } catch {
    // The built-in git extension is optional; its view refreshes on its own watchers too.
  }
}
