/**
 * The main-checkout guard: while plans exist, edits to the main checkout are
 * caught. `warn` shows a warning on the first edit of each main-checkout file
 * in a session (whose "Move Changes to a New Plan" takes unsaved edits along); `readOnly`
 * opens main-checkout files read-only for the session. Either way
 * `planWorktrees.allowMainEdits` lifts it for the session, or until no plan
 * is left (a plan made later guards again). A branch switch in
 * the main checkout while plans exist is reported.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { shortBranchName } from '../git/worktreeList';
import { PlanEngine } from '../model/engine/planEngine';
import { isInside } from '../model/engine/paths';
import { PlanRepositories } from './repositories';
import { readUiSettings } from './settings';

export interface GuardEvent {
  kind: 'warned' | 'readOnly' | 'branchSwitch';
  file?: string;
  message: string;
}

export class MainCheckoutGuard implements vscode.Disposable {
  private allowed = false;
  /** The main-checkout files whose first edit was warned about in this session. */
  private readonly warned = new Set<string>();
  private readonly mainBranches = new Map<PlanEngine, string | undefined>();
  /** What the guard did, newest last (the host tests read it; the log has it too). */
  readonly events: GuardEvent[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly repositories: PlanRepositories,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) void this.onEdit(e.document);
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor) void this.onOpen(editor);
      }),
      repositories.onDidChange(() => void this.checkBranchSwitch().then(() => this.rearmWithoutPlans())),
    );
  }

  /** True once edits to the main checkout are allowed for this session. */
  get editsAllowed(): boolean {
    return this.allowed;
  }

  /** Lifts the guard for this session; read-only editors become editable again. */
  async allowEdits(): Promise<void> {
    this.allowed = true;
    this.log.info('Edits to the main checkout are allowed for this session.');
    const active = vscode.window.activeTextEditor;
    for (const editor of vscode.window.visibleTextEditors) {
      if (!(await this.isGuardedFile(editor.document.uri))) continue;
      await vscode.window.showTextDocument(editor.document, editor.viewColumn);
      await vscode.commands.executeCommand('workbench.action.files.resetActiveEditorReadonlyInSession');
    }
    if (active) await vscode.window.showTextDocument(active.document, active.viewColumn);
    this.changed.fire();
  }

  /**
   * The engine whose main checkout holds this file while that repository has
   * plans — undefined when the guard does not apply.
   */
  async guardedBy(uri: vscode.Uri): Promise<PlanEngine | undefined> {
    if (uri.scheme !== 'file') return undefined;
    const file = uri.fsPath;
    for (const engine of this.repositories.engines) {
      if (!isInside(engine.repo.mainPath, file) || engine.repo.bare) continue;
      if (file.split(path.sep).includes('.git')) continue;
      const items = await engine.list();
      if (!items.some((i) => i.kind === 'plan' && i.worktree)) continue;
      // A worktree nested inside the main checkout's folder is not the main checkout.
      const nested = items.some((i) => i.kind !== 'main' && i.worktree && isInside(i.worktree.path, file));
      if (!nested) return engine;
    }
    return undefined;
  }

  private async isGuardedFile(uri: vscode.Uri): Promise<boolean> {
    return (await this.guardedBy(uri)) !== undefined;
  }

  private async onEdit(document: vscode.TextDocument): Promise<void> {
    const mode = readUiSettings(document.uri).guardMode;
    const file = document.uri.fsPath;
    if (mode === 'off' || this.allowed || this.warned.has(file)) return;
    const engine = await this.guardedBy(document.uri);
    if (!engine) return;
    // A change that left the document clean (a revert, a reload from disk) is nobody's edit. (Its dirty state arrives just after the change.)
    if (this.warned.has(file) || !document.isDirty) return;
    this.warned.add(file);
    const name = vscode.workspace.asRelativePath(document.uri);
    const message = vscode.l10n.t(
      'You are editing {0} in the main checkout while plans exist. Changes here are not part of any plan.',
      name,
    );
    this.record({ kind: 'warned', file: document.uri.fsPath, message });
    const moveChanges = vscode.l10n.t('Move Changes to a New Plan');
    const openPlan = vscode.l10n.t('Open a Plan');
    const allowEdits = vscode.l10n.t('Allow Edits');
    const picked = await vscode.window.showWarningMessage(message, moveChanges, openPlan, allowEdits);
    // Into a plan of the edited file's repository, whichever editor is in front by then (a person's call, as from its tree group).
    if (picked === moveChanges) {
      await vscode.commands.executeCommand('planWorktrees.moveChangesToPlan', { type: 'repository', engine });
    } else if (picked === openPlan) await vscode.commands.executeCommand('planWorktrees.openInNewWindow');
    else if (picked === allowEdits) await this.allowEdits();
  }

  private async onOpen(editor: vscode.TextEditor): Promise<void> {
    const uri = editor.document.uri;
    if (readUiSettings(uri).guardMode !== 'readOnly' || this.allowed) return;
    if (!(await this.isGuardedFile(uri))) return;
    if (vscode.window.activeTextEditor?.document.uri.toString() !== uri.toString()) return;
    await vscode.commands.executeCommand('workbench.action.files.setActiveEditorReadonlyInSession');
    this.record({
      kind: 'readOnly',
      file: uri.fsPath,
      message: vscode.l10n.t(
        '{0} is read-only: it is in the main checkout and plans exist.',
        vscode.workspace.asRelativePath(uri),
      ),
    });
  }

  /**
   * Allowing edits, and having been warned, hold while plans exist: once no
   * plan is left, a plan made later guards the main checkout again.
   */
  private async rearmWithoutPlans(): Promise<void> {
    if (!this.allowed && this.warned.size === 0) return;
    const lists = await Promise.all(this.repositories.engines.map((engine) => engine.list())).catch(() => undefined);
    if (!lists || lists.flat().some((i) => i.kind === 'plan' && i.worktree)) return;
    this.allowed = false;
    this.warned.clear();
    this.log.info('No plan is left: the main checkout is guarded again when the next plan is made.');
    this.changed.fire();
  }

  private async checkBranchSwitch(): Promise<void> {
    for (const engine of this.repositories.engines) {
      // A read that failed (another window changing the worktrees at that moment) says nothing about the branch.
      const items = await engine.list().catch(() => undefined);
      if (!items) continue;
      const main = items.find((i) => i.kind === 'main')?.worktree;
      const branch = main?.branch
        ? shortBranchName(main.branch)
        : main?.detached
          ? vscode.l10n.t('detached at {0}', main.head?.slice(0, 8) ?? '')
          : undefined;
      const known = this.mainBranches.has(engine);
      const before = this.mainBranches.get(engine);
      this.mainBranches.set(engine, branch);
      if (!known || before === branch || !items.some((i) => i.kind === 'plan' && i.worktree)) continue;
      const noBranch = vscode.l10n.t('no branch');
      const message = vscode.l10n.t(
        'The main checkout switched from {0} to {1} while plans exist. Plans keep their own base branches.',
        before ?? noBranch,
        branch ?? noBranch,
      );
      this.record({ kind: 'branchSwitch', message });
      void vscode.window.showWarningMessage(message);
    }
  }

  private record(event: GuardEvent): void {
    this.events.push(event);
    this.log.info(`Guard: ${event.message}`);
    this.changed.fire();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
