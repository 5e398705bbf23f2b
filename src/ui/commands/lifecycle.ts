/**
 * The end of a plan and its way back: Clean Up (the worktree, and the branch
 * when its work is in the base; forced past uncommitted files after a
 * snapshot), Discard (worktree and branch, merged or not, after a snapshot),
 * and Restore Plan from Snapshot.
 */
import * as vscode from 'vscode';
import { ErrorCode, isError, PlanWorktreesError } from '../../model/engine/errors';
import { CleanupResult } from '../../model/lifecycle/cleanup';
import { Snapshot } from '../../model/lifecycle/snapshot';
import { branchSentence, cleanupQuestion, forceQuestion, Question } from '../cleanupQuestions';
import { escapeIcons } from '../iconSyntax';
import { pickPlan, PickedPlan } from '../pickPlan';
import { isForced, isProgram, optionsOf } from './args';
import { whichRepository } from '../whichRepository';
import { CommandDeps, CommandRunner, confirm } from './run';

export function lifecycleCommands(deps: CommandDeps, run: CommandRunner): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(
      'planWorktrees.cleanup',
      run(vscode.l10n.t('Clean Up Plan'), (args?: unknown) => cleanupPlan(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.discard',
      run(vscode.l10n.t('Discard Plan'), (args?: unknown) => discardPlan(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.restore',
      run(vscode.l10n.t('Restore Plan'), (args?: unknown) => restorePlan(deps, args)),
    ),
  );
}

/**
 * The clean-up command's flow: a person gets one question saying what is
 * known (cleanupQuestions.ts), and the forced clean-up's question when git
 * refuses a worktree that is locked or has changes; a program (merge's
 * `afterMerge` too) is asked nothing.
 */
export async function cleanupPlan(deps: CommandDeps, args: unknown): Promise<CleanupResult | undefined> {
  const quiet = isProgram(args);
  const picked = await pickPlan(deps.repositories, args, { placeHolder: vscode.l10n.t('Clean up which plan?') });
  if (!picked) return undefined;
  const force = isForced(args);
  if (!quiet) {
    // The question says what the worktree holds now: read again, not from the tree's cache.
    const details = picked.item.worktree
      ? await picked.engine.details(picked.item, { fresh: true }).catch(() => undefined)
      : undefined;
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
    () => picked.engine.cleanup(picked.plan, { force }),
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
  if (result.preRemove === 'skipped') {
    deps.log.info(`The pre-remove command of plan ${picked.plan.id} was skipped (forced).`);
  }
  const shownSkipped =
    result.preRemove === 'skipped' ? vscode.l10n.t(' The pre-remove command was not run (forced clean-up).') : '';
  void vscode.window.showInformationMessage(
    vscode.l10n.t('Plan {0} cleaned up.{1}{2}', picked.plan.id, shownKept, shownSnapshot) + shownSkipped,
  );
  showLeftover(deps, result);
  return result;
}

async function discardPlan(deps: CommandDeps, args: unknown): Promise<CleanupResult | undefined> {
  const picked = await pickPlan(deps.repositories, args, { placeHolder: vscode.l10n.t('Discard which plan?') });
  if (!picked) return undefined;
  if (!isForced(args)) {
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
    () => picked.engine.discard(picked.plan),
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
  const engine = await whichRepository(deps.repositories, args, {
    // A snapshot or plan named by a program (an object, or a plain string) is not asked about.
    ask: !isProgram(args) && typeof args !== 'string',
    placeHolder: vscode.l10n.t('Restore a snapshot of which repository?'),
  });
  if (!engine) return undefined;
  const a = optionsOf<{ snapshot: string; plan: string }>(args);
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
  if (!isProgram(args)) {
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

/** A clean-up question as a modal warning; true when the user chose its action. */
function ask(question: Question): Promise<boolean> {
  return confirm(question.message, question.detail, question.action);
}
