/**
 * Writes to the main checkout from outside this window's editors (an agent
 * that left its worktree, a script): while plans exist, files created,
 * changed or deleted on disk in the main checkout are counted
 * (src/model/engine/outsideWrites.ts says which count) and the status bar
 * warns. It listens to the main worktree's watcher that PlanRepositories
 * already has (no watcher of its own, no polling). A file saved from this
 * window's editors is the guard's business, not counted here.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { isTrusted } from './trust';
import { pathKey, samePath } from '../model/engine/names';
import { OutsideWrites } from '../model/engine/outsideWrites';
import { PlanEngine } from '../model/engine/planEngine';
import { PlanRepositories } from './repositories';

/** How long file-system events are gathered before they are sorted. */
const GATHER_DELAY_MS = 300;
/** A file-system event this soon after an editor of this window saved the file is that save. */
const SAVE_ECHO_MS = 5000;

export class MainCheckoutWrites implements vscode.Disposable {
  private readonly byEngine = new Map<PlanEngine, OutsideWrites>();
  /** When this window's editors last saved each file (by path key). */
  private readonly saved = new Map<string, number>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly repositories: PlanRepositories,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const noteSave = (d: vscode.TextDocument): void => {
      if (d.uri.scheme === 'file') this.saved.set(pathKey(d.uri.fsPath), Date.now());
    };
    this.disposables.push(
      vscode.workspace.onWillSaveTextDocument((e) => noteSave(e.document)),
      vscode.workspace.onDidSaveTextDocument(noteSave),
      repositories.onDidTouchWorktree(({ engine, worktree, file }) => {
        // In Restricted Mode git status cannot run (it may start programs the repository names): nothing is sorted.
        if (isTrusted() && samePath(worktree, engine.repo.mainPath)) this.of(engine).note(file);
      }),
    );
  }

  /** The files written from outside in this repository's main checkout (absolute paths, sorted). */
  files(engine: PlanEngine): string[] {
    return this.byEngine.get(engine)?.files() ?? [];
  }

  /** Resolves once the events noted so far are sorted. */
  async settled(): Promise<void> {
    await Promise.all([...this.byEngine.values()].map((w) => w.settled()));
  }

  /** "Show Changes": a pick of the files written; the one picked opens (a deleted one cannot). */
  async showChanges(engine: PlanEngine): Promise<void> {
    const items = this.files(engine).map((f) => ({
      label: path.relative(engine.repo.mainPath, f),
      description: fs.existsSync(f) ? undefined : vscode.l10n.t('deleted'),
      file: f,
    }));
    const picked = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t('Main checkout changed from outside the editor'),
      placeHolder: vscode.l10n.t('The files written while plans exist; pick one to open it'),
    });
    if (picked && fs.existsSync(picked.file)) await vscode.window.showTextDocument(vscode.Uri.file(picked.file));
  }

  /**
   * "Move to a New Plan": the main checkout's changes move into a new plan
   * (Move Changes to a New Plan, with `args` as that command takes them);
   * once a plan is made the writes are forgotten.
   */
  async moveToPlan(engine: PlanEngine, args?: Record<string, unknown>): Promise<unknown> {
    // This repository's changes: a program's arguments name it, a person's call is its tree group's.
    const plan = await vscode.commands.executeCommand(
      'planWorktrees.moveChangesToPlan',
      args ? { repository: engine.repo.mainPath, ...args } : { type: 'repository', engine },
    );
    if (plan !== undefined) this.byEngine.get(engine)?.dismiss();
    return plan;
  }

  /** "It Was Me": forgets the writes until the next one. */
  dismiss(engine: PlanEngine): void {
    if (this.byEngine.get(engine)?.dismiss()) {
      this.log.info('Writes to the main checkout from outside the editor: dismissed');
    }
  }

  private of(engine: PlanEngine): OutsideWrites {
    let writes = this.byEngine.get(engine);
    if (!writes) {
      writes = new OutsideWrites(engine, this.repositories.git, {
        delayMs: GATHER_DELAY_MS,
        savedByEditor: (file) => this.savedRecently(file),
        onChange: () => {
          const files = writes?.files() ?? [];
          if (files.length > 0) this.log.info(`Main checkout changed from outside the editor: ${files.join(', ')}`);
          this.changed.fire();
        },
        onError: (e) => this.log.warn(`Writes to the main checkout: ${e instanceof Error ? e.message : String(e)}`),
      });
      this.byEngine.set(engine, writes);
    }
    return writes;
  }

  private savedRecently(file: string): boolean {
    const now = Date.now();
    for (const [f, at] of this.saved) if (now - at > SAVE_ECHO_MS) this.saved.delete(f);
    return this.saved.has(pathKey(file));
  }

  dispose(): void {
    for (const w of this.byEngine.values()) w.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
