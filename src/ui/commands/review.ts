/**
 * Reviewing a plan's work: all its changes in one multi-diff editor,
 * committing them from the Source Control input box, and publishing the plan
 * branch for a pull request.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, isError } from '../../model/engine/errors';
import { PublishResult } from '../../model/lifecycle/publish';
import { showError } from '../errors';
import { pickPlan } from '../pickPlan';
import { planBaseUri } from '../planBaseContent';
import { isProgram, optionsOf } from './args';
import { refreshBuiltInGit } from './builtInGit';
import { rebaseActions } from './rebase';
import { CommandDeps, CommandRunner } from './run';

export function reviewCommands(deps: CommandDeps, run: CommandRunner): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand(
      'planWorktrees.showDiff',
      run(vscode.l10n.t('Show All Changes'), (args?: unknown) => showAllChanges(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.commit',
      run(vscode.l10n.t('Commit'), (args?: unknown) => commitCommand(deps, args)),
    ),
    vscode.commands.registerCommand(
      'planWorktrees.publish',
      run(vscode.l10n.t('Publish Plan'), (args?: unknown) => publishCommand(deps, args)),
    ),
  );
}

async function showAllChanges(deps: CommandDeps, args: unknown): Promise<number | undefined> {
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Show the changes of which plan?'),
    filter: (item) => !!item.worktree,
  });
  if (!picked) return undefined;
  const diff = await picked.engine.diff(picked.plan);
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

/**
 * Commits every change of the plan with the Source Control input box's
 * message (or `message`). A program's call gets its errors thrown back; for
 * a person, nothing to commit is one information message, and a
 * plan mid-rebase says so with the ways through it.
 */
async function commitCommand(deps: CommandDeps, args: unknown): Promise<string | undefined> {
  const picked = await pickPlan(deps.repositories, args, {
    placeHolder: vscode.l10n.t('Commit the changes of which plan?'),
    filter: (item) => !!item.worktree,
  });
  if (!picked) return undefined;
  const control = deps.scm.forPlan(picked.plan.id, picked.plan.run);
  const given = optionsOf<{ message: string }>(args).message;
  const message = given ?? control?.sourceControl.inputBox.value ?? '';
  let commit: string;
  try {
    commit = await picked.engine.commit(picked.plan, message);
  } catch (e) {
    if (isProgram(args)) throw e;
    if (isError(e, ErrorCode.NothingToCommit)) {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Plan {0} has nothing to commit: every change is committed already.', picked.plan.id),
      );
    } else {
      void showError(
        deps.log,
        vscode.l10n.t('Commit'),
        e,
        isError(e, ErrorCode.RebaseInProgress) ? rebaseActions(picked.plan) : [],
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
async function publishCommand(deps: CommandDeps, args: unknown): Promise<PublishResult | undefined> {
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
      return picked.engine.publish(picked.plan, controller.signal);
    },
  );
  deps.log.info(`Published plan ${picked.plan.id} to ${result.remote}:\n${result.answer}`);
  if (!isProgram(args)) {
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
