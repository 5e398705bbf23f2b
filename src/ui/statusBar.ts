/**
 * The status-bar item of every window: "Plan 189: Feature xyz" in a plan
 * worktree, a warning-coloured "Main checkout" in the main checkout while
 * plans exist and the guard is on. Click: the actions that fit the window.
 */
import * as vscode from 'vscode';
import { PlanRecord } from '../model/types';
import { MainCheckoutGuard } from './guard';
import { escapeIcons } from './iconSyntax';
import { PlanRepositories } from './repositories';
import { readUiSettings } from './settings';

export class GuardStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('planWorktrees.status', vscode.StatusBarAlignment.Left, 100);
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(
    private readonly repositories: PlanRepositories,
    private readonly guard: MainCheckoutGuard,
  ) {
    this.item.name = vscode.l10n.t('Plan Worktrees');
    this.item.command = 'planWorktrees.showActions';
    this.disposables.push(
      repositories.onDidChange(() => void this.update()),
      guard.onDidChange(() => void this.update()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('planWorktrees.guard') && void this.update()),
    );
  }

  /** What the item shows now (the host tests read it). */
  get state(): { visible: boolean; text: string; tooltip: string; warning: boolean } {
    return {
      visible: this.visible,
      text: this.item.text,
      tooltip: typeof this.item.tooltip === 'string' ? this.item.tooltip : (this.item.tooltip?.value ?? ''),
      warning: this.item.backgroundColor !== undefined,
    };
  }

  private visible = false;
  private gone = false;

  /** This plan window's worktree was removed: say so, and a click opens the main checkout. */
  showGone(plan: PlanRecord, mainPath: string): void {
    this.gone = true;
    this.item.text = vscode.l10n.t('$(warning) Plan {0}: worktree removed', escapeIcons(plan.id));
    this.item.tooltip = vscode.l10n.t('The worktree of plan {0} ({1}) no longer exists.\nClick to open the main checkout in this window.', plan.id, plan.path);
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.command = { command: 'vscode.openFolder', title: vscode.l10n.t('Open the Main Checkout'), arguments: [vscode.Uri.file(mainPath), { forceNewWindow: false }] };
    this.show();
  }

  async update(): Promise<void> {
    if (this.gone) return;
    const engine = this.repositories.engines[0];
    if (!engine) return this.hide();
    const plan = await engine.currentPlan().catch(() => undefined);
    if (this.gone) return;
    if (plan) {
      this.item.text = vscode.l10n.t('$(git-branch) Plan {0}: {1}', escapeIcons(plan.id), escapeIcons(plan.title));
      this.item.tooltip = vscode.l10n.t("This window is plan {0}'s worktree (branch {1}, base {2}).\nClick for the plan's actions.", plan.id, plan.branch, plan.base);
      this.item.backgroundColor = undefined;
      return this.show();
    }
    const items = await engine.list().catch(() => []);
    const isMain = items.some((i) => i.kind === 'main' && i.worktree?.path === engine.repo.currentPath);
    const hasPlans = items.some((i) => i.kind === 'plan' && i.worktree);
    const mode = readUiSettings().guardMode;
    if (isMain && hasPlans && mode !== 'off') {
      const allowed = this.guard.editsAllowed;
      this.item.text = allowed ? vscode.l10n.t('$(unlock) Main checkout') : vscode.l10n.t('$(shield) Main checkout');
      this.item.tooltip = allowed
        ? vscode.l10n.t('This window is the main checkout; edits are allowed for this session.')
        : mode === 'readOnly'
          ? vscode.l10n.t('This window is the main checkout and plans exist: edits here are blocked.\nClick to create a plan, open one, or allow edits for this session.')
          : vscode.l10n.t('This window is the main checkout and plans exist: edits here are warned about.\nClick to create a plan, open one, or allow edits for this session.');
      this.item.backgroundColor = allowed ? undefined : new vscode.ThemeColor('statusBarItem.warningBackground');
      return this.show();
    }
    this.hide();
  }

  private show(): void {
    this.visible = true;
    this.item.show();
  }

  private hide(): void {
    this.visible = false;
    this.item.hide();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
