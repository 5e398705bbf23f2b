/**
 * The questions Clean Up asks, said with what is known of the plan when it is
 * asked: whether its branch is merged (then it is deleted, and the question
 * says so), whether its worktree is locked or has changes (then the one
 * question is the forced clean-up's, with its snapshot), and each file once.
 */
import * as vscode from 'vscode';
import { PlanWorktree } from '../model/engine/planEngine';
import { PlanRecord } from '../model/engine/types';
import { WorktreeDetails } from '../model/state/state';

export interface Question {
  message: string;
  detail: string;
  action: string;
  /** The question's facts on one line (for a quick pick's item). */
  summary: string;
  /** The answer runs a forced clean-up (a snapshot first). */
  force: boolean;
}

/** Why a clean-up has to be forced: the worktree's lock, or what in it a plain clean-up would lose. */
export interface ForceReason {
  locked?: string;
  files?: string[];
  dirty?: WorktreeDetails['dirty'];
}

/** The first (and, when the plan is known to be locked or changed, only) question of Clean Up. */
export function cleanupQuestion(plan: PlanRecord, item: PlanWorktree, details?: WorktreeDetails): Question {
  const locked = item.worktree?.locked;
  const dirty = details && !details.missing ? details.dirty : undefined;
  const changed = dirty ? dirty.staged + dirty.modified + dirty.untracked + dirty.conflicted : 0;
  if (locked !== undefined || changed > 0) {
    return forceQuestion(plan, { locked, dirty: changed > 0 ? dirty : undefined }, branchSentence(plan, details));
  }
  const facts = [
    item.worktree
      ? vscode.l10n.t('The worktree folder {0} is removed.', item.worktree.path)
      : vscode.l10n.t('The plan has no worktree folder.'),
    branchSentence(plan, details),
  ];
  return {
    message: vscode.l10n.t('Clean up plan {0}: {1}?', plan.id, plan.title),
    summary: facts.join(' '),
    detail: [
      ...facts,
      vscode.l10n.t(
        'A worktree with uncommitted or untracked files is not removed (you will be asked about forcing it).',
      ),
      vscode.l10n.t(
        "Ignored files are kept in a snapshot first, except those in dependency and build folders (setting planWorktrees.disposableFolders) and unchanged copies of the main checkout's files.",
      ),
    ].join('\n'),
    action: vscode.l10n.t('Clean Up'),
    force: false,
  };
}

/** The forced clean-up's question: why it must be forced (each file named once), and the snapshot that keeps everything. */
export function forceQuestion(plan: PlanRecord, reason: ForceReason, branch?: string): Question {
  const why: string[] = [];
  if (reason.locked !== undefined) {
    why.push(
      reason.locked
        ? vscode.l10n.t('Its worktree is locked: {0}', reason.locked)
        : vscode.l10n.t('Its worktree is locked.'),
    );
  }
  if (reason.files && reason.files.length > 0) {
    why.push(
      vscode.l10n.t('These files in its worktree are not committed:'),
      reason.files.slice(0, 10).join('\n') + (reason.files.length > 10 ? '\n…' : ''),
    );
  } else if (reason.dirty) {
    why.push(dirtySentence(reason.dirty));
  }
  return {
    message: vscode.l10n.t('Force the clean-up of plan {0}?', plan.id),
    summary: [...why.slice(0, 1), ...(branch ? [branch] : [])].join(' '),
    detail: [
      ...why,
      ...(branch ? [branch] : []),
      vscode.l10n.t(
        'A snapshot is saved first under refs/plan-worktrees/snapshots/{0}/…: every commit, staged and unstaged change (also of files marked assume-unchanged or skip-worktree), untracked file, and ignored file except those in dependency and build folders (setting planWorktrees.disposableFolders) and unchanged copies of the main checkout\'s files. "Restore Plan from Snapshot" brings it back.',
        plan.id,
      ),
    ].join('\n\n'),
    action: vscode.l10n.t('Force Clean Up…'),
    force: true,
  };
}

/** What happens to the branch: deleted when its work is known to be in the base, kept when known not to be. */
export function branchSentence(plan: PlanRecord, details?: WorktreeDetails): string {
  if (details?.merged?.merged) {
    return vscode.l10n.t('The branch {0} is deleted: its work is in {1}.', plan.branch, plan.base);
  }
  if (details?.merged && !details.operation) {
    return vscode.l10n.t('The branch {0} is kept: its work is not in {1}.', plan.branch, plan.base);
  }
  return vscode.l10n.t(
    'The branch {0} is deleted only if its work is in {1}; otherwise it is kept.',
    plan.branch,
    plan.base,
  );
}

function dirtySentence(dirty: WorktreeDetails['dirty']): string {
  const parts: string[] = [];
  if (dirty.conflicted > 0) parts.push(vscode.l10n.t('{0} conflicted', dirty.conflicted));
  if (dirty.staged > 0) parts.push(vscode.l10n.t('{0} staged', dirty.staged));
  if (dirty.modified > 0) parts.push(vscode.l10n.t('{0} changed', dirty.modified));
  if (dirty.untracked > 0) parts.push(vscode.l10n.t('{0} untracked', dirty.untracked));
  return vscode.l10n.t('Its worktree has uncommitted files: {0}.', parts.join(', '));
}
