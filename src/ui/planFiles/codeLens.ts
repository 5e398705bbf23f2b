/** The CodeLens at the top of a plan file: "Start in Worktree", or what became of it once started. */
import * as vscode from 'vscode';
import { PlanRecord } from '../../model/engine/types';
import { matchesPlanFilePatterns } from '../../model/planFiles/find';
import { parsePlanFile } from '../../model/planFiles/parse';
import { escapeIcons } from '../iconSyntax';
import { PlanRepositories } from '../repositories';
import { entryFor, mainWorktreeFile, PlanFileIndex, planFilePatterns } from './fileIndex';

/** "Start in Worktree" at the top of a plan file of a main worktree; what became of it once started. */
export class PlanFileCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly repositories: PlanRepositories,
    index: PlanFileIndex,
  ) {
    this.disposables.push(index.onDidChange(() => this.changed.fire()));
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const found = mainWorktreeFile(this.repositories, document.uri);
    if (!found || !matchesPlanFilePatterns(found.file, planFilePatterns(found.engine))) return [];
    const planFile = parsePlanFile(found.file, document.getText());
    const active = (await found.engine.list()).flatMap((i) =>
      i.plan?.status === 'active' && !i.plan.creating ? [i.plan] : [],
    );
    const entry = await entryFor(found.engine, planFile, active);
    const top = new vscode.Range(0, 0, 0, 0);
    const lens = (title: string, command: string, args: unknown[] = [], tooltip?: string) =>
      new vscode.CodeLens(top, { title, command, arguments: args, tooltip });
    switch (entry.state) {
      case 'invalid':
        // A click shows the same clear error a start would.
        return [
          lens(
            vscode.l10n.t(
              '$(warning) Not a plan that can be started: {0}',
              escapeIcons(planFile.problem?.replace(`${planFile.file}: `, '') ?? ''),
            ),
            'planWorktrees.startPlanFromFile',
            [document.uri],
            planFile.problem,
          ),
        ];
      case 'started': {
        const plan = entry.plan as PlanRecord;
        return [
          lens(
            vscode.l10n.t('$(git-branch) Plan {0} is in its worktree: Open', plan.id),
            'planWorktrees.openInNewWindow',
            [{ plan: plan.id }],
            plan.path,
          ),
          lens(vscode.l10n.t('$(diff-multiple) Show All Changes'), 'planWorktrees.showDiff', [{ plan: plan.id }]),
          lens(vscode.l10n.t('$(history) Show History'), 'planWorktrees.showHistory', [{ plan: plan.id }]),
        ];
      }
      case 'finished':
        return planFile.id === undefined
          ? []
          : [
              lens(
                vscode.l10n.t('$(check) Plan {0} is done: Show History', escapeIcons(planFile.id)),
                'planWorktrees.showHistory',
                [{ plan: planFile.id }],
              ),
            ];
      case 'new': {
        const tooltip = vscode.l10n.t(
          'Creates plan {0} "{1}" in its own worktree and branch',
          planFile.id ?? vscode.l10n.t('(next free number)'),
          planFile.title ?? '',
        );
        return [
          lens(vscode.l10n.t('$(play) Start in Worktree'), 'planWorktrees.startPlanFromFile', [document.uri], tooltip),
        ];
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
