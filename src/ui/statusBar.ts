/**
 * The status-bar item of every window of a repository's main checkout or of
 * a plan: "Plan 189: Feature xyz" in a plan worktree; "Main checkout" in the
 * main checkout, warning-coloured while plans exist and the guard is on.
 * Click: the actions that fit the window.
 *
 * With several repositories or folders in the window it follows the active
 * editor: the worktree (main checkout or plan) of the file in front, else the
 * window's first folder; the repository's name is then in the text.
 *
 * It follows the repository whatever window changes it: every change event
 * reads the state again; the newest read wins, and a read that fails (another
 * window is adding or removing a worktree at that moment) leaves the item as
 * it is and is tried again shortly.
 */
import * as vscode from 'vscode';
import * as path from 'path';
import { PlanRecord } from '../model/engine/types';
import { MainCheckoutGuard } from './guard';
import { escapeIcons } from './iconSyntax';
import { MainCheckoutWrites } from './mainWrites';
import { PlanRepositories } from './repositories';
import { readUiSettings } from './settings';
import { activeLocation, Location } from './whichRepository';

/** What the item shows; undefined: hidden. */
interface Shown {
  text: string;
  tooltip: string;
  warning: boolean;
}

/** Waits before reading again after a failed read, in milliseconds: then it stops until the next change. */
const RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000];

export class GuardStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'planWorktrees.status',
    vscode.StatusBarAlignment.Left,
    100,
  );
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(
    private readonly repositories: PlanRepositories,
    private readonly guard: MainCheckoutGuard,
    private readonly writes: MainCheckoutWrites,
  ) {
    this.item.name = vscode.l10n.t('Plan Worktrees');
    this.item.command = 'planWorktrees.showActions';
    this.disposables.push(
      repositories.onDidChange(() => void this.update()),
      guard.onDidChange(() => void this.update()),
      writes.onDidChange(() => void this.update()),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        // An output or a settings editor says nothing about where the person works.
        if (!editor || editor.document.uri.scheme === 'file') void this.update();
      }),
      vscode.workspace.onDidChangeConfiguration(
        (e) => e.affectsConfiguration('planWorktrees.guard') && void this.update(),
      ),
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
  /** Counts reads: only the newest one may change the item. */
  private reads = 0;
  private retry: NodeJS.Timeout | undefined;
  private gone = false;

  /** This plan window's worktree was removed: say so, and a click opens the main checkout. */
  showGone(plan: PlanRecord, mainPath: string): void {
    this.gone = true;
    clearTimeout(this.retry);
    this.item.text = vscode.l10n.t('$(warning) Plan {0}: worktree removed', escapeIcons(plan.id));
    this.item.tooltip = vscode.l10n.t(
      'The worktree of plan {0} ({1}) no longer exists.\nClick to open the main checkout in this window.',
      plan.id,
      plan.path,
    );
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
    this.item.command = {
      command: 'vscode.openFolder',
      title: vscode.l10n.t('Open the Main Checkout'),
      arguments: [vscode.Uri.file(mainPath), { forceNewWindow: false }],
    };
    this.show();
  }

  /** Reads the state again and shows it (unless a newer read overtakes it). */
  update(): Promise<void> {
    return this.refresh(0);
  }

  private async refresh(failures: number): Promise<void> {
    if (this.gone) return;
    const read = ++this.reads;
    clearTimeout(this.retry);
    let shown: Shown | undefined;
    try {
      shown = await this.read();
    } catch {
      // Keep what the item says: a read that failed knows nothing new.
      if (read === this.reads && failures < RETRY_DELAYS_MS.length) {
        this.retry = setTimeout(() => void this.refresh(failures + 1), RETRY_DELAYS_MS[failures]);
      }
      return;
    }
    // A newer read started meanwhile: its answer is the newer one (and a removed worktree says the rest).
    if (read !== this.reads || this.gone) return;
    if (!shown) return this.hide();
    this.item.text = shown.text;
    this.item.tooltip = shown.tooltip;
    this.item.backgroundColor = shown.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.show();
  }

  /** What the item should show now; throws when the repository cannot be read. */
  private async read(): Promise<Shown | undefined> {
    const here = await activeLocation(this.repositories);
    if (!here) return undefined;
    const { engine } = here;
    // Several repositories: the text says which one the item speaks of.
    const named = (text: string) =>
      this.repositories.engines.length > 1
        ? vscode.l10n.t('{0} · {1}', text, escapeIcons(path.basename(engine.repo.mainPath)))
        : text;
    const shown = await this.shown(here);
    return shown && { ...shown, text: named(shown.text) };
  }

  private async shown({ engine, item }: Location): Promise<Shown | undefined> {
    const plan = item.kind === 'plan' ? item.plan : undefined;
    if (plan) {
      return {
        text: vscode.l10n.t('$(git-branch) Plan {0}: {1}', escapeIcons(plan.id), escapeIcons(plan.title)),
        tooltip: vscode.l10n.t(
          "This window is plan {0}'s worktree (branch {1}, base {2}).\nClick for the plan's actions.",
          plan.id,
          plan.branch,
          plan.base,
        ),
        warning: false,
      };
    }
    if (item.kind !== 'main') return undefined;
    const items = await engine.list();
    const hasPlans = items.some((i) => i.kind === 'plan' && i.worktree);
    const mode = readUiSettings().guardMode;
    if (!hasPlans) {
      return {
        text: vscode.l10n.t('$(home) Main checkout'),
        tooltip: vscode.l10n.t('This window is the main checkout. There are no plans yet.\nClick to create one.'),
        warning: false,
      };
    }
    if (mode === 'off') {
      return {
        text: vscode.l10n.t('$(home) Main checkout'),
        tooltip: vscode.l10n.t(
          'This window is the main checkout; plans exist, and the guard is off (setting planWorktrees.guard.mode).\nClick to create a plan or open one.',
        ),
        warning: false,
      };
    }
    const written = this.writes.files(engine).length;
    if (written > 0) {
      return {
        text:
          written === 1
            ? vscode.l10n.t('$(warning) Main checkout changed: 1 file')
            : vscode.l10n.t('$(warning) Main checkout changed: {0} files', written),
        tooltip: vscode.l10n.t(
          'Files in the main checkout were written on disk from outside this window while plans exist (an agent outside its worktree, a script).\nClick to show the changes, move them to a new plan, or dismiss.',
        ),
        warning: true,
      };
    }
    const allowed = this.guard.editsAllowed;
    return {
      text: allowed ? vscode.l10n.t('$(unlock) Main checkout') : vscode.l10n.t('$(shield) Main checkout'),
      tooltip: allowed
        ? vscode.l10n.t('This window is the main checkout; edits are allowed for this session.')
        : mode === 'readOnly'
          ? vscode.l10n.t(
              'This window is the main checkout and plans exist: edits here are blocked.\nClick to create a plan, open one, or allow edits for this session.',
            )
          : vscode.l10n.t(
              'This window is the main checkout and plans exist: edits here are warned about.\nClick to create a plan, open one, or allow edits for this session.',
            ),
      warning: !allowed,
    };
  }

  private show(): void {
    this.visible = true;
    this.item.show();
  }

  private hide(): void {
    this.visible = false;
    this.item.backgroundColor = undefined;
    this.item.hide();
  }

  dispose(): void {
    clearTimeout(this.retry);
    for (const d of this.disposables) d.dispose();
  }
}
