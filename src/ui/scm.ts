/**
 * Each plan in the Source Control view: a SourceControl "Plan 189 → main"
 * with the groups "Committed on plan" and "Uncommitted", both against the
 * merge-base with the plan's base. A click opens the diff (base ↔ working
 * file); the gutter shows changes against the base (quickDiffProvider); the
 * input box commits every change of the plan. In a plan window the plan of
 * the window is shown; with `planWorktrees.scm.showAllPlans`, every plan.
 *
 * Its one job is the one the built-in Git provider beside it cannot do: the
 * plan against its base, ready to merge. So its label is short and is the
 * header (no root folder, whose name VS Code would show instead), its
 * actions are the title's icons with tooltips, and its badge
 * counts only what is committed on the plan (what a merge takes): the
 * uncommitted files are counted by the built-in provider already.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { throttle } from '../model/engine/async';
import { DiffFile } from '../model/state/diff';
import { PlanEngine } from '../model/engine/planEngine';
import { PlanRecord } from '../model/engine/types';
import { planBaseUri } from './planBaseContent';
import { isInside } from '../model/engine/paths';
import { PlanRepositories } from './repositories';
import { isTrusted } from './trust';

const statusInfo: Record<DiffFile['status'], { icon: string; color: string }> = {
  A: { icon: 'diff-added', color: 'gitDecoration.addedResourceForeground' },
  M: { icon: 'diff-modified', color: 'gitDecoration.modifiedResourceForeground' },
  D: { icon: 'diff-removed', color: 'gitDecoration.deletedResourceForeground' },
  R: { icon: 'diff-renamed', color: 'gitDecoration.renamedResourceForeground' },
  T: { icon: 'diff-modified', color: 'gitDecoration.modifiedResourceForeground' },
  U: { icon: 'diff-added', color: 'gitDecoration.untrackedResourceForeground' },
};

/** A file's status as a word ("Modified"), for tooltips. */
export function statusWord(status: DiffFile['status']): string {
  switch (status) {
    case 'A':
      return vscode.l10n.t('Added');
    case 'M':
      return vscode.l10n.t('Modified');
    case 'D':
      return vscode.l10n.t('Deleted');
    case 'R':
      return vscode.l10n.t('Renamed');
    case 'T':
      return vscode.l10n.t('Type changed');
    case 'U':
      return vscode.l10n.t('Untracked');
  }
}

const ID_PREFIX = 'planWorktrees.';

/** The id of a plan's source control (what the view's title actions are given, with the source control); `#<run>` after a later run's id. */
export function planSourceControlId(plan: { id: string; run: number }): string {
  return `${ID_PREFIX}${encodeURIComponent(plan.id)}${plan.run > 1 ? `#${plan.run}` : ''}`;
}

/** The plan id and run of a plan's source control, when `value` is one (VS Code passes it to the Source Control view's title actions). */
function planOfSourceControl(value: unknown): { id: string; run: number } | undefined {
  if (!value || typeof value !== 'object' || !('inputBox' in value)) return undefined;
  const id = (value as { id?: unknown }).id;
  if (typeof id !== 'string' || !id.startsWith(ID_PREFIX)) return undefined;
  const [encoded, run] = id.slice(ID_PREFIX.length).split('#');
  return { id: decodeURIComponent(encoded), run: run === undefined ? 1 : Number(run) };
}

/** The plan id of a plan's source control, when `value` is one. */
export function planIdOfSourceControl(value: unknown): string | undefined {
  return planOfSourceControl(value)?.id;
}

/** The run of the plan of a plan's source control, when `value` is one. */
export function planRunOfSourceControl(value: unknown): number | undefined {
  return planOfSourceControl(value)?.run;
}

export class PlanSourceControl implements vscode.Disposable, vscode.QuickDiffProvider {
  readonly sourceControl: vscode.SourceControl;
  readonly committed: vscode.SourceControlResourceGroup;
  readonly uncommitted: vscode.SourceControlResourceGroup;
  private mergeBase: string | undefined;

  constructor(
    readonly engine: PlanEngine,
    public plan: PlanRecord,
    readonly worktree: string,
  ) {
    // One id per plan: VS Code registers a command per source control's quick diff, named after its id.
    // No root folder: VS Code would head the provider with the folder's name (the same as the built-in
    // Git provider's, cut to "2-ad…") and push this label aside; without one, the label is the header.
    this.sourceControl = vscode.scm.createSourceControl(
      planSourceControlId(plan),
      plan.run > 1
        ? vscode.l10n.t('Plan {0} (run {1}) → {2}', plan.id, plan.run, plan.base)
        : vscode.l10n.t('Plan {0} → {1}', plan.id, plan.base),
    );
    this.committed = this.sourceControl.createResourceGroup('committed', vscode.l10n.t('Committed on plan'));
    this.uncommitted = this.sourceControl.createResourceGroup('uncommitted', vscode.l10n.t('Uncommitted'));
    this.committed.hideWhenEmpty = true;
    this.uncommitted.hideWhenEmpty = true;
    this.sourceControl.quickDiffProvider = this;
    this.sourceControl.inputBox.placeholder = vscode.l10n.t(
      'Message (commits every change of plan {0}: {1})',
      plan.id,
      plan.title,
    );
    // A node naming this run of the plan, as `runArgument` makes it (not a program's argument object: the
    // command then speaks to the person), so the commit goes to this run even after a newer run starts.
    this.sourceControl.acceptInputCommand = {
      command: 'planWorktrees.commit',
      title: vscode.l10n.t('Commit'),
      arguments: [{ type: 'planRun', plan: plan.id, run: plan.run }],
    };
    // No status-bar commands: VS Code shows them as a row of buttons whose words are cut off ("Clean U"),
    // and beside the header as icons that repeat the title actions (package.json, scm/title: commit,
    // merge, show all changes as icons; clean up and publish in "…"), pushing the short label aside.
  }

  /** Re-reads the plan's diff: one read at a time, and every caller gets a read that started after its call. */
  readonly update = throttle(() => this.read());

  private async read(): Promise<void> {
    const diff = await this.engine.diff(this.plan);
    this.mergeBase = diff.mergeBase;
    const states = (files: DiffFile[]) => files.map((file) => this.resourceState(file, diff.mergeBase));
    const committed = diff.files.filter((f) => f.committed);
    this.committed.resourceStates = states(committed);
    this.uncommitted.resourceStates = states(diff.files.filter((f) => f.uncommitted));
    // What a merge takes now; uncommitted files are the built-in Git provider's count.
    this.sourceControl.count = committed.length;
  }

  private resourceState(file: DiffFile, mergeBase: string): vscode.SourceControlResourceState {
    const uri = vscode.Uri.file(path.join(this.worktree, file.path));
    const info = statusInfo[file.status];
    const commonDir = this.engine.repo.commonDir;
    const empty = file.status === 'A' || file.status === 'U';
    const left = planBaseUri(commonDir, this.plan.id, mergeBase, file.oldPath ?? file.path, empty, this.worktree);
    const right =
      file.status === 'D' ? planBaseUri(commonDir, this.plan.id, mergeBase, file.path, true, this.worktree) : uri;
    return {
      resourceUri: uri,
      contextValue: file.status,
      decorations: {
        tooltip: file.oldPath
          ? vscode.l10n.t('{0} from {1}', statusWord(file.status), file.oldPath)
          : statusWord(file.status),
        strikeThrough: file.status === 'D',
        faded: false,
        iconPath: new vscode.ThemeIcon(info.icon, new vscode.ThemeColor(info.color)),
      },
      command: {
        command: 'vscode.diff',
        title: vscode.l10n.t('Open Diff'),
        arguments: [
          left,
          right,
          vscode.l10n.t('{0} (Plan {1}: {2} ↔ plan)', path.basename(file.path), this.plan.id, this.plan.base),
        ],
      },
    };
  }

  /** The gutter's original: the file as it is in the merge-base with the base. */
  provideOriginalResource(uri: vscode.Uri): vscode.Uri | undefined {
    if (uri.scheme !== 'file' || !this.mergeBase || !isInside(this.worktree, uri.fsPath)) return undefined;
    const rel = path.relative(this.worktree, uri.fsPath).split(path.sep).join('/');
    if (rel.startsWith('.git/')) return undefined;
    return planBaseUri(this.engine.repo.commonDir, this.plan.id, this.mergeBase, rel, false, this.worktree);
  }

  dispose(): void {
    this.sourceControl.dispose();
  }
}

export class PlanSourceControls implements vscode.Disposable {
  /** By worktree path. */
  readonly controls = new Map<string, PlanSourceControl>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly repositories: PlanRepositories) {
    this.disposables.push(
      repositories.onDidChange(() => void this.sync()),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('planWorktrees.scm') && void this.sync()),
    );
  }

  /** Brings the set of source controls and their contents up to date (every caller gets a sync that started after its call). */
  readonly sync = throttle(() =>
    this.doSync().catch((e) =>
      this.repositories.log.warn(`Source Control: ${e instanceof Error ? e.message : String(e)}`),
    ),
  );

  /** The source control of a plan, if shown. */
  forPlan(planId: string, run?: number): PlanSourceControl | undefined {
    return [...this.controls.values()].find((c) => c.plan.id === planId && (run === undefined || c.plan.run === run));
  }

  private async doSync(): Promise<void> {
    // Source Control reads diffs (git status, diff): nothing of it in Restricted Mode.
    const wanted = isTrusted()
      ? await this.wantedControls()
      : new Map<string, { engine: PlanEngine; plan: PlanRecord }>();
    for (const [worktree, control] of this.controls) {
      if (!wanted.has(worktree)) {
        control.dispose();
        this.controls.delete(worktree);
      }
    }
    for (const [worktree, { engine, plan }] of wanted) {
      let control = this.controls.get(worktree);
      if (!control) {
        control = new PlanSourceControl(engine, plan, worktree);
        this.controls.set(worktree, control);
      }
      control.plan = plan;
    }
    await Promise.all([...this.controls.values()].map((c) => c.update()));
  }

  /** The plans that get a source control: this window's plan, or every active plan with `scm.showAllPlans`. */
  private async wantedControls(): Promise<Map<string, { engine: PlanEngine; plan: PlanRecord }>> {
    const showAll = vscode.workspace.getConfiguration('planWorktrees').get<boolean>('scm.showAllPlans', false);
    const wanted = new Map<string, { engine: PlanEngine; plan: PlanRecord }>();
    for (const engine of this.repositories.engines) {
      const current = await engine.currentPlan().catch(() => undefined);
      for (const item of await engine.list()) {
        if (item.kind !== 'plan' || !item.plan || !item.worktree || item.plan.status !== 'active') continue;
        const here = item.plan.id === current?.id && item.plan.run === current.run;
        if (showAll || here) wanted.set(item.worktree.path, { engine, plan: item.plan });
      }
    }
    return wanted;
  }

  dispose(): void {
    for (const control of this.controls.values()) control.dispose();
    this.controls.clear();
    for (const d of this.disposables) d.dispose();
  }
}
