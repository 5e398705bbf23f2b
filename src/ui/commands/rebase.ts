/**
 * Rebasing a plan onto its base in its own worktree (the way out of a merge
 * conflict), and the way through a plan whose rebase stopped on conflicts
 * (the tree shows it as "rebasing"): Show Conflicts lists the files still to
 * resolve and opens one; Continue Rebase goes on once no file has conflict
 * markers left (else it names them); Abort Rebase puts branch and worktree
 * back, after a snapshot of what was resolved so far. All of it in the plan's
 * worktree only.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, isError } from '../../model/engine/errors';
import { operationInProgress } from '../../git/operation';
import { Snapshot } from '../../model/lifecycle/snapshot';
import { ErrorAction, showError } from '../errors';
import { escapeIcons } from '../iconSyntax';
import { pickPlan, PickedPlan } from '../pickPlan';
import { isForced, isProgram, optionsOf } from './args';
import { readUpdateStrategy } from '../settings';
import type { UpdateHow, UpdateResult } from '../../model/lifecycle/rebase';
import { refreshBuiltInGit } from './builtInGit';
import { CommandDeps, CommandRunner } from './run';

export function rebaseCommands(deps: CommandDeps, run: CommandRunner): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(
      'planWorktrees.continueRebase',
      run(vscode.l10n.t('Continue Rebase'), (args?: unknown) => continueRebase(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.abortRebase',
      run(vscode.l10n.t('Abort Rebase'), (args?: unknown) => abortRebase(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.updateFromBase',
      run(vscode.l10n.t('Update from Base'), (args?: unknown) => updateFromBase(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.showConflicts',
      run(vscode.l10n.t('Show Conflicts'), (args?: unknown) => showConflicts(deps, args)),
    ),
  );
}

/** Rebases the plan onto its base in its own worktree, after a confirmation (merge's way out of a conflict). */
export async function rebaseOntoBase(deps: CommandDeps, picked: PickedPlan): Promise<void> {
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
    const conflicts = await engine.rebaseOntoBase(plan);
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
      isError(e, ErrorCode.RebaseInProgress) ? rebaseActions(plan) : [],
    );
  }
}

/**
 * "Update from <base>": brings the base's new commits into the plan, by a
 * rebase or a merge in the plan's worktree (`how` in the arguments, else the
 * `updateFromBase.strategy` setting, else a pick). The merge pre-check names
 * conflicts before anything moves; a rebase that stops offers Show
 * Conflicts, Open Plan and Abort Rebase, as the rebase onto the base does.
 */
async function updateFromBase(deps: CommandDeps, args: unknown): Promise<UpdateResult | undefined> {
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Update which plan from its base?'),
    filter: (item) => !!item.worktree,
  });
  if (!picked) return undefined;
  const { plan, engine } = picked;
  const given = optionsOf<{ how: UpdateHow }>(args).how;
  let how: UpdateHow | undefined = given === 'merge' || given === 'rebase' ? given : undefined;
  const setting = readUpdateStrategy(vscode.Uri.file(engine.repo.mainPath));
  how ??= setting !== 'ask' ? setting : isProgram(args) ? 'rebase' : await askHow(plan.id, plan.base);
  if (!how) return undefined;
  const chosen = how;
  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Updating plan {0} from {1}', plan.id, plan.base),
    },
    () => engine.updateFromBase(plan, chosen),
  );
  await refreshBuiltInGit([picked.item.worktree?.path]);
  deps.log.info(
    !result.updated
      ? `Plan ${plan.id} has every commit of ${plan.base} already`
      : result.conflicts.length === 0
        ? `Plan ${plan.id} is updated from ${plan.base} (${result.how})`
        : `The rebase of plan ${plan.id} onto ${plan.base} stopped on conflicts in ${result.conflicts.join(', ')}`,
  );
  if (isProgram(args)) return result;
  if (result.conflicts.length > 0) {
    void offerConflicts(
      picked,
      vscode.l10n.t(
        "The rebase of plan {0} stopped on conflicts in {1}. Resolve them in the plan's window, then continue the rebase.",
        plan.id,
        result.conflicts.join(', '),
      ),
    );
  } else {
    void vscode.window.showInformationMessage(
      !result.updated
        ? vscode.l10n.t('Plan {0} has every commit of {1} already.', plan.id, plan.base)
        : result.how === 'rebase'
          ? vscode.l10n.t('Plan {0} is rebased onto {1}.', plan.id, plan.base)
          : vscode.l10n.t('{1} is merged into plan {0}.', plan.id, plan.base),
    );
  }
  return result;
}

async function askHow(planId: string, base: string): Promise<UpdateHow | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      {
        label: vscode.l10n.t('Rebase onto {0}', base),
        detail: vscode.l10n.t("The plan's commits are replayed on top of {0}: a straight history.", base),
        how: 'rebase' as const,
      },
      {
        label: vscode.l10n.t('Merge {0} into the plan', base),
        detail: vscode.l10n.t("A merge commit on the plan's branch; its commits stay as they are.", base),
        how: 'merge' as const,
      },
    ],
    { title: vscode.l10n.t('Update plan {0} from {1}', planId, base) },
  );
  return picked?.how;
}

/** What a plan stopped mid-rebase offers next to an error (for that run of it). */
export function rebaseActions(plan: { id: string; run: number }): ErrorAction[] {
  const planId = { plan: plan.id, run: plan.run };
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

function pickRebasing(deps: CommandDeps, args: unknown, placeHolder: string): Promise<PickedPlan | undefined> {
  return pickPlan(deps.repositories, args, {
    placeHolder,
    filter: (item) => !!item.worktree && operationInProgress(item.worktree.path) === 'rebase',
  });
}

/** Continues the rebase; returns the files it stopped on again ([] when it is finished). */
async function continueRebase(deps: CommandDeps, args: unknown): Promise<string[] | undefined> {
  const picked = await pickRebasing(deps, args, vscode.l10n.t('Continue the rebase of which plan?'));
  if (!picked) return undefined;
  const { plan, engine } = picked;
  const conflicts = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('Continuing the rebase of plan {0}', plan.id),
    },
    () => engine.continueRebase(plan),
  );
  await refreshBuiltInGit([picked.item.worktree?.path]);
  deps.log.info(
    conflicts.length === 0
      ? `Rebase of plan ${plan.id} onto ${plan.base} finished`
      : `Rebase of plan ${plan.id} stopped again on conflicts in ${conflicts.join(', ')}`,
  );
  if (!isProgram(args)) {
    if (conflicts.length === 0) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('The rebase of plan {0} onto {1} is finished.', plan.id, plan.base),
      );
    } else {
      void offerConflicts(
        picked,
        vscode.l10n.t('The rebase of plan {0} stopped again, on conflicts in {1}.', plan.id, conflicts.join(', ')),
      );
    }
  }
  return conflicts;
}

/** Aborts the rebase (after a confirmation, unless `force` or a program asks); returns the snapshot taken, if any. */
async function abortRebase(
  deps: CommandDeps,
  args: unknown,
): Promise<{ aborted: true; snapshot?: Snapshot } | undefined> {
  const picked = await pickRebasing(deps, args, vscode.l10n.t('Abort the rebase of which plan?'));
  if (!picked) return undefined;
  const { plan, engine } = picked;
  if (!isForced(args) && !isProgram(args)) {
    const abort = vscode.l10n.t('Abort Rebase');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('Abort the rebase of plan {0}?', plan.id),
      {
        modal: true,
        detail: vscode.l10n.t(
          "The branch {0} and the plan's worktree go back to where they were before the rebase. What was resolved so far is saved first in a snapshot (Restore Plan from Snapshot brings it back).",
          plan.branch,
        ),
      },
      abort,
    );
    if (answer !== abort) return undefined;
  }
  const snapshot = await engine.abortRebase(plan);
  await refreshBuiltInGit([picked.item.worktree?.path]);
  deps.log.info(`Rebase of plan ${plan.id} aborted${snapshot ? `; snapshot ${snapshot.ref}` : ''}`);
  if (!isProgram(args)) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('The rebase of plan {0} is aborted: {1} is back where it was.', plan.id, plan.branch),
    );
  }
  return { aborted: true, snapshot };
}

/** The files with conflicts left, in a pick that opens the chosen one; returns them. */
async function showConflicts(deps: CommandDeps, args: unknown): Promise<string[] | undefined> {
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Show the conflicts of which plan?'),
    filter: (item) => !!item.worktree,
  });
  if (!picked) return undefined;
  const files = await picked.engine.conflicts(picked.plan);
  if (isProgram(args)) return files;
  if (files.length === 0) {
    const rebasing = picked.item.worktree && operationInProgress(picked.item.worktree.path) === 'rebase';
    void vscode.window.showInformationMessage(
      rebasing
        ? vscode.l10n.t('Plan {0} has no conflicts left: continue the rebase.', picked.plan.id)
        : vscode.l10n.t('Plan {0} has no conflicts.', picked.plan.id),
    );
    return files;
  }
  void pickConflict(picked, files);
  return files;
}

async function pickConflict(picked: PickedPlan, files: string[]): Promise<void> {
  const worktree = picked.item.worktree?.path ?? picked.plan.path;
  const choice = await vscode.window.showQuickPick(
    files.map((file) => ({
      label: escapeIcons(path.basename(file)),
      description: path.dirname(file) === '.' ? '' : escapeIcons(path.dirname(file)),
      file,
    })),
    {
      title: vscode.l10n.t('Conflicts of plan {0} ({1})', picked.plan.id, files.length),
      placeHolder: vscode.l10n.t('Open a file to resolve its conflicts'),
    },
  );
  if (choice) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(path.join(worktree, choice.file)));
}

/** A message about conflicts with Show Conflicts, Continue and Abort. */
export async function offerConflicts(picked: PickedPlan, message: string): Promise<void> {
  const show = vscode.l10n.t('Show Conflicts');
  const open = vscode.l10n.t('Open Plan in New Window');
  const abort = vscode.l10n.t('Abort Rebase');
  const answer = await vscode.window.showWarningMessage(message, show, open, abort);
  // The plan's id as a string: the commands then ask and explain as they do for a person.
  if (answer === show) await vscode.commands.executeCommand('planWorktrees.showConflicts', picked.plan.id);
  else if (answer === open) {
    await vscode.commands.executeCommand(
      'vscode.openFolder',
      vscode.Uri.file(picked.item.worktree?.path ?? picked.plan.path),
      { forceNewWindow: true },
    );
  } else if (answer === abort) await vscode.commands.executeCommand('planWorktrees.abortRebase', picked.plan.id);
}
