/**
 * Writes to the main checkout from outside this window's editors (an agent
 * that left its worktree, a script): while plans exist, files created,
 * changed or deleted on disk in the main checkout are gathered and the status
 * bar warns. It listens to the main worktree's watcher that PlanRepositories
 * already has (no watcher of its own, no polling), debounced. Not counted:
 * files this window's editors saved (the guard sees those), anything under
 * `.git`, files inside a plan worktree nested in the main checkout, and files
 * git ignores (one `git check-ignore` per batch).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { ignoredAmong } from '../git/commands/untracked';
import { debounce } from '../model/engine/async';
import { PlanEngine } from '../model/engine/planEngine';
import { samePath } from '../model/engine/names';
import { isInside } from '../model/engine/paths';
import { PlanRepositories } from './repositories';

/** How long file-system events are gathered before they are sorted. */
const GATHER_DELAY_MS = 300;
/** A file-system event this soon after an editor of this window saved the file is that save. */
const SAVE_ECHO_MS = 5000;

export class MainCheckoutWrites implements vscode.Disposable {
  /** Main-checkout files written from outside, per repository, since the last "It was me". */
  private readonly written = new Map<PlanEngine, Set<string>>();
  private readonly pending = new Map<PlanEngine, Set<string>>();
  private readonly saved = new Map<string, number>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly sort = debounce(() => void this.sortPending(), GATHER_DELAY_MS);
  /** Resolves once the events gathered so far are sorted (the tests and the bench wait on it). */
  private sorting: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    private readonly repositories: PlanRepositories,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const noteSave = (d: vscode.TextDocument): void => {
      if (d.uri.scheme === 'file') this.saved.set(d.uri.fsPath, Date.now());
    };
    this.disposables.push(
      vscode.workspace.onWillSaveTextDocument((e) => noteSave(e.document)),
      vscode.workspace.onDidSaveTextDocument(noteSave),
      repositories.onDidTouchWorktree(({ engine, worktree, file }) => {
        if (samePath(worktree, engine.repo.mainPath)) this.note(engine, file);
      }),
    );
  }

  /** The files written from outside in this repository's main checkout (absolute paths, sorted). */
  files(engine: PlanEngine): string[] {
    return [...(this.written.get(engine) ?? [])].sort();
  }

  /** A file-system event in the main checkout of `engine`. */
  note(engine: PlanEngine, file: string): void {
    if (file.split(path.sep).includes('.git')) return;
    const pending = this.pending.get(engine) ?? new Set<string>();
    pending.add(file);
    this.pending.set(engine, pending);
    this.sort();
  }

  /** Waits until the events noted so far are sorted. */
  async settled(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, GATHER_DELAY_MS + 50));
    await this.sorting;
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
    const plan = await vscode.commands.executeCommand('planWorktrees.moveChangesToPlan', args);
    if (plan !== undefined && this.written.delete(engine)) this.changed.fire();
    return plan;
  }

  /** "It was me": forgets the writes until the next one. */
  dismiss(engine: PlanEngine): void {
    if (!this.written.delete(engine)) return;
    this.log.info('Writes to the main checkout from outside the editor: dismissed');
    this.changed.fire();
  }

  private sortPending(): void {
    const batch = [...this.pending];
    this.pending.clear();
    this.sorting = this.sorting.then(async () => {
      for (const [engine, files] of batch) {
        await this.sortBatch(engine, files).catch((e: unknown) =>
          this.log.warn(`Writes to the main checkout: ${e instanceof Error ? e.message : String(e)}`),
        );
      }
    });
  }

  private async sortBatch(engine: PlanEngine, files: Set<string>): Promise<void> {
    const now = Date.now();
    for (const [file, at] of this.saved) if (now - at > SAVE_ECHO_MS) this.saved.delete(file);
    const items = await engine.list();
    if (!items.some((i) => i.kind === 'plan' && i.worktree)) return;
    const nested = items.filter((i) => i.kind !== 'main' && i.worktree).map((i) => i.worktree!.path);
    const candidates = [...files].filter(
      (f) =>
        !this.saved.has(f) && isInside(engine.repo.mainPath, f) && !nested.some((p) => isInside(p, f)) && !isFolder(f),
    );
    if (candidates.length === 0) return;
    const relative = candidates.map((f) => path.relative(engine.repo.mainPath, f).split(path.sep).join('/'));
    const ignored = await ignoredAmong({ git: this.repositories.git, cwd: engine.repo.mainPath }, relative);
    const counted = candidates.filter((_, i) => !ignored.has(relative[i]));
    if (counted.length === 0) return;
    const written = this.written.get(engine) ?? new Set<string>();
    const before = written.size;
    for (const f of counted) written.add(f);
    this.written.set(engine, written);
    if (written.size === before) return;
    this.log.info(`Written in the main checkout from outside the editor: ${counted.join(', ')}`);
    this.changed.fire();
  }

  dispose(): void {
    this.sort.cancel();
    for (const d of this.disposables) d.dispose();
  }
}

/** A folder's own event (a new folder) is not a file written; a deleted path is. */
function isFolder(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}
