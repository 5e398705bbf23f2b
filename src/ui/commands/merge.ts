/**
 * Merging a plan into its base: the strategy (in words), the conflict
 * pre-check before anything moves and the way out of a conflict (each file's
 * diff, or a rebase of the plan in its own worktree), progress, and the
 * `afterMerge` clean-up.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, PlanWorktreesError } from '../../model/engine/errors';
import { errorMessage } from '../messages';
import { PlanEngine, PlanWorktree } from '../../model/engine/planEngine';
import { MergeResult, MergeStrategy, squashSubject } from '../../model/lifecycle/merge';
import { cleanupQuestion } from '../cleanupQuestions';
import { escapeIcons } from '../iconSyntax';
import { pickPlan, PickedPlan } from '../pickPlan';
import { planBaseUri } from '../planBaseContent';
import { readUiSettings } from '../settings';
import { isProgram, optionsOf } from './args';
import { refreshBuiltInGit } from './builtInGit';
import { cleanupPlan } from './lifecycle';
import { rebaseOntoBase } from './rebase';
import { CommandDeps, CommandRunner, confirm } from './run';

export type { MergeStrategy } from '../../model/lifecycle/merge';

export interface MergeArgs {
  plan?: string;
  /** Which run of the plan (default: the newest that is active or has its worktree). */
  run?: number;
  strategy?: MergeStrategy;
  commitUncommitted?: boolean;
  /** The squash commit's first line (default: `Plan <id>: <title>`, which a person may edit). */
  subject?: string;
  /** true: clean up after the merge; false: keep; default: the `afterMerge` setting (keep when called by a program). */
  cleanup?: boolean;
}

export function mergeCommands(deps: CommandDeps, run: CommandRunner): vscode.Disposable {
  return vscode.commands.registerCommand(
    'planWorktrees.merge',
    run(vscode.l10n.t('Merge Plan'), (args?: unknown) => mergeCommand(deps, args)),
  );
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

/** The merge command. A program's call (its arguments) gets no prompt, and its errors thrown back. */
async function mergeCommand(deps: CommandDeps, args: unknown): Promise<MergeResult | undefined> {
  const quiet = isProgram(args);
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Merge which plan?'),
    filter: hasSomethingToMerge,
    none: vscode.l10n.t("No plan has anything to merge: every plan's work is in its base already."),
  });
  if (!picked) return undefined;
  const a = optionsOf<MergeArgs>(args);
  const settings = readUiSettings(vscode.Uri.file(picked.engine.repo.mainPath));
  const { plan, engine } = picked;

  // The pre-check first: on conflict nothing moves, and the user sees why before choosing anything.
  const check = await engine.checkMerge(plan, { attempt: true });
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
        return engine.merge(plan, {
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
    const current = await engine.currentPlan();
    const inPlanWindow = current?.id === plan.id && current.run === plan.run;
    await cleanupPlan(deps, { plan: plan.id, run: plan.run, force: cleanUp.force });
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
  const item = (await engine.list()).find((i) => i.plan?.id === plan.id && i.plan.run === plan.run) ?? picked.item;
  // The question says what the worktree holds now: read again, not from the tree's cache.
  const details = item.worktree ? await engine.details(item, { fresh: true }).catch(() => undefined) : undefined;
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
  if (question.force && !(await confirm(question.message, question.detail, question.action))) return undefined;
  return { force: question.force };
}

/** The strategy to use instead of a rebase that would change the plan's content; undefined when the user keeps neither. */
async function askInsteadOfRebase(error: PlanWorktreesError): Promise<MergeStrategy | undefined> {
  const merge = vscode.l10n.t('Merge Instead');
  const squash = vscode.l10n.t('Squash Instead');
  const answer = await vscode.window.showWarningMessage(errorMessage(error), { modal: true }, merge, squash);
  return answer === merge ? 'merge' : answer === squash ? 'squash' : undefined;
}

/** A conflict: the files, each file's diff, or rebasing the plan in its own worktree to resolve them there. */
async function offerConflictActions(
  deps: CommandDeps,
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
