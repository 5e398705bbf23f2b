/**
 * A plan's own window whose worktree goes away (cleaned up, discarded or
 * deleted from another window or a terminal): it says so at once — the
 * status bar turns to "worktree removed" and a notification offers to open
 * the main checkout or close the window — and offers nothing that cannot
 * work any more (its Source Control and plan-window commands go with the plan).
 */
import * as fs from 'fs';
import * as vscode from 'vscode';
import { PlanRecord } from '../model/engine/types';
import { setIsPlanWindow } from './contextKeys';
import { PlanRepositories } from './repositories';
import { GuardStatusBar } from './statusBar';

export class PlanWindowWatch implements vscode.Disposable {
  private plan: { record: PlanRecord; mainPath: string } | undefined;
  private gone = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly repositories: PlanRepositories,
    private readonly statusBar: GuardStatusBar,
  ) {
    this.disposables.push(repositories.onDidChange(() => void this.check()));
  }

  /** Remembers this window's plan (call once the repositories are discovered). */
  async start(): Promise<void> {
    for (const engine of this.repositories.engines) {
      const record = await engine.currentPlan().catch(() => undefined);
      if (record?.status === 'active') this.plan = { record, mainPath: engine.repo.mainPath };
    }
    await this.check();
  }

  /** Whether this window's plan worktree was removed (the host tests read it). */
  get isGone(): boolean {
    return this.gone;
  }

  private async check(): Promise<void> {
    if (!this.plan || this.gone) return;
    const { record, mainPath } = this.plan;
    if (fs.existsSync(record.path)) {
      const engine = this.repositories.engines.find((e) => e.repo.mainPath === mainPath);
      const now = await engine?.plan(record.id).catch(() => undefined);
      if (!now || (now.status === 'active' && now.path === record.path)) return;
    }
    this.gone = true;
    this.repositories.log.info(
      `The worktree of plan ${record.id} (${record.path}) was removed while this window was open on it`,
    );
    this.statusBar.showGone(record, mainPath);
    await setIsPlanWindow(false);
    const openMain = vscode.l10n.t('Open the Main Checkout');
    const close = vscode.l10n.t('Close Window');
    const picked = await vscode.window.showWarningMessage(
      vscode.l10n.t(
        'The worktree of plan {0} was removed (cleaned up, discarded or deleted elsewhere): this window shows a folder that no longer exists.',
        record.id,
      ),
      openMain,
      close,
    );
    if (picked === openMain) {
      await vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(mainPath), { forceNewWindow: false });
    } else if (picked === close) await vscode.commands.executeCommand('workbench.action.closeWindow');
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
