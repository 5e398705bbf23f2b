/**
 * "Show History": a plan's lifecycle from `events.jsonl` in a quick pick —
 * of the plan it is given, this window's plan, or the user's pick among every
 * plan that has events, merged and cleaned-up ones too.
 */
import * as vscode from 'vscode';
import { ErrorCode, PlanError, PlanErrorCode } from '../../model/engine/errors';
import { shownName } from '../../model/engine/names';
import { planErrorMessage } from '../messages';
import { PlanEngine } from '../../model/engine/planEngine';
import { HistoryEntry, historyEntries } from '../../model/state/history';
import { historyIcon } from '../history';
import { escapeIcons } from '../iconSyntax';
import { planIdOf } from './args';
import { CommandDeps, CommandRunner } from './run';

/** What `planWorktrees.showHistory` returns: the plan and its history, oldest first. */
export interface ShownHistory {
  plan: string;
  entries: HistoryEntry[];
}

export function historyCommands(deps: CommandDeps, run: CommandRunner): vscode.Disposable {
  // Reads only the event log: it works in Restricted Mode too.
  return vscode.commands.registerCommand(
    'planWorktrees.showHistory',
    run(vscode.l10n.t('Show History'), (args?: unknown) => showHistory(deps, args), { untrusted: true }),
  );
}

/**
 * Shows a plan's history in a quick pick and returns it at once (the pick
 * stays open for the user). The plan is `args` (an id, `{ plan }`, a tree
 * node), this window's plan, or the user's pick among every plan that has
 * events — merged and cleaned-up ones too.
 */
async function showHistory(deps: CommandDeps, args: unknown): Promise<ShownHistory | undefined> {
  const target = await resolvePlan(deps, args);
  if (!target) return undefined;
  const { engine, planId } = target;
  const entries = historyEntries(await engine.history(planId));
  const title = await engine.plan(planId).then(
    (p) => `${p.id}: ${p.title}`,
    () => planId,
  );
  if (entries.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Plan {0} has no recorded history.', title));
    return { plan: planId, entries };
  }
  const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { entry: HistoryEntry }>();
  pick.title = vscode.l10n.t('History of plan {0}', title);
  pick.placeholder =
    entries.length === 1
      ? vscode.l10n.t('1 event, newest first')
      : vscode.l10n.t('{0} events, newest first', entries.length);
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  const runs = new Set(entries.map((e) => e.run)).size;
  pick.items = [...entries].reverse().map((entry) => ({
    label: `$(${historyIcon(entry)}) ${escapeIcons(entry.summary)}`,
    description: `${runs > 1 && entry.run !== undefined ? vscode.l10n.t('run {0} · ', entry.run) : ''}${new Date(entry.time).toLocaleString()}`,
    detail: entry.detail === undefined ? undefined : escapeIcons(shownDetail(entry, entry.detail)),
    entry,
  }));
  pick.onDidAccept(() => pick.hide());
  pick.onDidHide(() => pick.dispose());
  pick.show();
  return { plan: planId, entries };
}

async function resolvePlan(
  { repositories }: CommandDeps,
  args: unknown,
): Promise<{ engine: PlanEngine; planId: string } | undefined> {
  const node =
    args && typeof args === 'object' && 'engine' in args ? (args as { engine: PlanEngine }).engine : undefined;
  const id = planIdOf(args);
  if (id !== undefined) {
    if (node) return { engine: node, planId: id };
    for (const engine of repositories.engines) {
      if ((await engine.history(id)).length > 0 || (await engine.plan(id).catch(() => undefined))) {
        return { engine, planId: id };
      }
    }
    throw new PlanError(ErrorCode.PlanNotFound, { reason: 'noPlan', plan: shownName(id) });
  }
  for (const engine of repositories.engines) {
    const current = await engine.currentPlan().catch(() => undefined);
    if (current) return { engine, planId: current.id };
  }
  // Every plan that ever had an event, the most recent first.
  const candidates: Array<{ engine: PlanEngine; planId: string; last: string }> = [];
  for (const engine of repositories.engines) {
    const latest = new Map<string, string>();
    for (const event of await engine.history()) if (event.planId) latest.set(event.planId, event.time);
    for (const [planId, last] of latest) candidates.push({ engine, planId, last });
  }
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No plan has a history yet.'));
    return undefined;
  }
  candidates.sort((a, b) => b.last.localeCompare(a.last));
  const items = await Promise.all(
    candidates.map(async (c) => {
      const plan = await c.engine.plan(c.planId).catch(() => undefined);
      return {
        label: escapeIcons(plan ? `${c.planId} · ${plan.title}` : c.planId),
        description: plan?.status,
        detail: vscode.l10n.t('last event {0}', new Date(c.last).toLocaleString()),
        candidate: c,
      };
    }),
  );
  const picked = await vscode.window.showQuickPick(items, {
    placeHolder: vscode.l10n.t('Show the history of which plan?'),
    matchOnDescription: true,
  });
  return picked && { engine: picked.candidate.engine, planId: picked.candidate.planId };
}

/**
 * An entry's detail with the error its event recorded said in words: the
 * model records its short English, a code and the data (src/ui/messages.ts
 * makes the words). The log is data: an event whose code or data make no
 * message keeps the detail as it is.
 */
function shownDetail(entry: HistoryEntry, detail: string): string {
  const failed = [...entry.events]
    .reverse()
    .find((e) => typeof e.error === 'string' && typeof e.code === 'string' && e.data !== undefined);
  if (!failed) return detail;
  try {
    const words = planErrorMessage(failed.code as PlanErrorCode, failed.data);
    return typeof words === 'string' ? detail.replace(failed.error as string, () => words) : detail;
  } catch {
    return detail;
  }
}
