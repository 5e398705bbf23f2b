/**
 * A plan's lifecycle, from `events.jsonl`, as the tree's tooltip summarizes
 * it (the "Show History" command is in commands/history.ts).
 */
import * as vscode from 'vscode';
import { HistoryEntry, HistoryKind, historySummary } from '../model/state/history';
import { PlanEngine } from '../model/engine/planEngine';
import { PlanRecord } from '../model/engine/types';
import { escapeMarkdown } from './iconSyntax';

const icons: Record<HistoryKind, string> = {
  create: 'add',
  merge: 'git-merge',
  rebase: 'git-pull-request',
  remove: 'trash',
  discard: 'discard',
  snapshot: 'archive',
  restore: 'history',
  keep: 'git-branch',
  other: 'circle-small',
};

/** The codicon of a history entry (the Show History pick and the tooltip use the same). */
export function historyIcon(entry: HistoryEntry): string {
  if (entry.outcome === 'failed') return 'error';
  if (entry.outcome === 'interrupted') return 'warning';
  return icons[entry.kind];
}

/** Adds the plan's recent history to its tooltip (the tree calls this when the tooltip is about to show). */
export async function appendHistorySummary(
  md: vscode.MarkdownString,
  engine: PlanEngine,
  plan: PlanRecord,
): Promise<void> {
  const { lines, omitted } = historySummary(await engine.history(plan.id));
  if (lines.length === 0) return;
  md.appendMarkdown(`\n\n---\n\n**${vscode.l10n.t('History')}**`);
  if (omitted > 0) {
    md.appendMarkdown(
      vscode.l10n.t(' (last {0} of {1}; "Show History" has all)', lines.length, lines.length + omitted),
    );
  }
  md.appendMarkdown('  \n');
  for (const entry of lines) {
    md.appendMarkdown(
      `$(${historyIcon(entry)}) ${escapeMarkdown(new Date(entry.time).toLocaleString())} — ${escapeMarkdown(entry.summary)}  \n`,
    );
  }
}
