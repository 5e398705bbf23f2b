/**
 * The tree view `planWorktrees.plans`: per repository the main checkout, then
 * the plan worktrees, then plan files not started yet, then other worktrees.
 * A computed view of model state:
 * it reads the engines and never changes anything.
 *
 * First paint is cheap (one `git worktree list` and the registry); the state
 * of each worktree (dirty counts, ahead/behind, merged) arrives after, and
 * only the items it changes are redrawn. At the first paint, an item whose
 * state an earlier session kept (and whose HEAD and index are as they were
 * then) shows that state at once, marked "last known", until a background
 * verify — at most 2 git processes at once, the items at the top of the
 * tree first — has read it again. The same verify runs when the window gets
 * the focus back after a while, for changes no file-system event announced.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { windowRoundTrip } from './contextKeys';
import { errorMessage } from './messages';
import { shortBranchName } from '../git/worktreeList';
import { DiffFile } from '../model/state/diff';
import { Mergeability, runKey } from '../model/state/mergeability';
import { PlanEngine, PlanWorktree } from '../model/engine/planEngine';
import { WorktreeDetails } from '../model/state/state';
import { ActivityState } from '../model/store/activity';
import { activityText, PlanActivityWatch, showsDuration } from './activity';
import { appendHistorySummary } from './history';
import { escapeMarkdown } from './iconSyntax';
import { planBaseUri } from './planBaseContent';
import { statusWord } from './scm';
import { PlanFileIndex, PlanFileNode } from './planFiles/fileIndex';
import { planFileItem } from './planFiles/treeItem';
import { PlanRepositories } from './repositories';
import { isTrusted, restrictedModeNote } from './trust';
import { sortItems } from './treeOrder';

export type PlanNode = RepositoryNode | PlanRunsNode | WorktreeNode | FileNode | MessageNode | PlanFileNode;

/** A plan with several runs in the tree: its runs under it, the newest first. */
export interface PlanRunsNode {
  type: 'planRuns';
  engine: PlanEngine;
  id: string;
  /** Newest first. */
  runs: WorktreeNode[];
}

export interface RepositoryNode {
  type: 'repository';
  engine: PlanEngine;
}

export interface WorktreeNode {
  type: 'worktree';
  engine: PlanEngine;
  item: PlanWorktree;
  details?: WorktreeDetails;
  /** Whether the plan merges cleanly into its base now, and which plans change the same files. */
  mergeability?: Mergeability;
  /** This window's own worktree. */
  current: boolean;
  /** What the plan's window (or an extension) says it is doing, as last read. */
  activity?: ActivityState;
  /** The plan's runs this one is shown under, when it has several. */
  group?: PlanRunsNode;
}

export interface FileNode {
  type: 'file';
  engine: PlanEngine;
  parent: WorktreeNode;
  file: DiffFile;
  mergeBase: string;
}

export interface MessageNode {
  type: 'message';
  text: string;
  icon?: string;
  command?: vscode.Command;
}

/** Git processes at once of a background verify, so the window (and the machine) stays responsive. */
const VERIFY_CONCURRENCY = 2;
/** Items a side bar shows without scrolling, about: verified first, together. */
const VISIBLE_ROWS = 30;
/** Focus regained after this long since the last verify: every state is verified again. */
const VERIFY_ON_FOCUS_AFTER_MS = 60_000;

export class PlanTreeProvider implements vscode.TreeDataProvider<PlanNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PlanNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The nodes last shown, by worktree path, so details can redraw just them. */
  private readonly shown = new Map<string, WorktreeNode>();
  private readonly disposables: vscode.Disposable[] = [this.changed];

  /** Tooltips that already have their history (resolveTreeItem may be asked twice). */
  private readonly withHistory = new WeakSet<vscode.TreeItem>();
  /** Doctor prompts already shown (by message). */
  private readonly prompted = new Set<string>();
  /** Engines whose next load verifies every state with git (focus regained). */
  private readonly toVerify = new Set<PlanEngine>();
  /** Engines with a verify running, and the worktrees it reads. */
  private readonly verifying = new Map<PlanEngine, Set<string>>();
  private lastVerify = Date.now();
  /** Resolves the first time the tree gave its top items. */
  private paintedOnce!: () => void;
  /** The first time the tree gave its top items (the start-up's git work waits for it a moment; see `waitForFirstPaint`). */
  readonly firstPaint = new Promise<void>((resolve) => (this.paintedOnce = resolve));

  /**
   * Waits for the first paint (`firstPaint`), at most `maxMs`, and not at all
   * when `view` is hidden: then nothing asks for the items, and the start-up's
   * git work (the guard's first state among it) would wait `maxMs` for
   * nothing. A view learns whether it shows from the window after it was
   * registered; any reply from the window comes after that, so one round trip
   * tells. Says what ended the wait.
   */
  async waitForFirstPaint(view: vscode.TreeView<unknown>, maxMs: number): Promise<'painted' | 'hidden' | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const painted = this.firstPaint.then(() => 'painted' as const);
    // A round trip that fails tells nothing: then the wait is as long as it would be without it.
    const hidden = Promise.resolve(windowRoundTrip()).then(
      () => (view.visible ? painted : ('hidden' as const)),
      () => painted,
    );
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), maxMs)));
    try {
      return await Promise.race([painted, hidden, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  constructor(
    private readonly repositories: PlanRepositories,
    private readonly planFiles?: PlanFileIndex,
    private readonly activity?: PlanActivityWatch,
  ) {
    this.disposables.push(repositories.onDidChange(() => this.changed.fire(undefined)));
    if (planFiles) this.disposables.push(planFiles.onDidChange(() => this.changed.fire(undefined)));
    if (activity) {
      // A plan's activity redraws its item only; its "3m" once a minute (nothing is read for that).
      this.disposables.push(
        activity.onDidChange(({ engine, plan, run }) => {
          for (const node of this.shown.values()) {
            if (node.engine === engine && node.item.plan?.id === plan && node.item.plan.run === run) {
              this.changed.fire(node);
            }
          }
        }),
      );
      const timer = setInterval(() => {
        for (const node of this.shown.values()) if (showsDuration(node.activity)) this.changed.fire(node);
      }, 60_000);
      this.disposables.push({ dispose: () => clearInterval(timer) });
    }
    // What no file-system event announced (a folder the watchers leave out, a lost event) is caught here.
    this.disposables.push(vscode.window.onDidChangeWindowState((state) => state.focused && this.verifyOnFocus()));
  }

  /** Asks for a verify of every state when the window is focused again, at most once a minute. */
  private verifyOnFocus(): void {
    if (Date.now() - this.lastVerify < VERIFY_ON_FOCUS_AFTER_MS) return;
    this.lastVerify = Date.now();
    for (const engine of this.repositories.engines) {
      // The worktree list too, whatever the watchers said.
      engine.invalidate();
      this.toVerify.add(engine);
    }
    this.changed.fire(undefined);
  }

  getTreeItem(node: PlanNode): vscode.TreeItem {
    switch (node.type) {
      case 'repository':
        return repositoryItem(node);
      case 'planRuns':
        return planRunsItem(node);
      case 'worktree':
        if (node.item.plan && this.activity) node.activity = this.activity.state(node.engine, node.item.plan);
        return worktreeItem(node);
      case 'file':
        return fileItem(node);
      case 'planFile':
        return planFileItem(node);
      case 'message': {
        const item = new vscode.TreeItem(node.text);
        item.iconPath = new vscode.ThemeIcon(node.icon ?? 'info');
        item.command = node.command;
        return item;
      }
    }
  }

  async getChildren(node?: PlanNode): Promise<PlanNode[]> {
    if (!node) {
      const engines = this.repositories.shownEngines;
      const top: PlanNode[] =
        engines.length > 1
          ? engines.map((engine) => ({ type: 'repository', engine }))
          : engines.length === 1
            ? await this.worktreeNodes(engines[0])
            : [];
      // Only the main checkout (no plans, plan files or other worktrees): an empty tree, so the view's welcome (No plans yet… Create Plan Worktree) shows.
      if (top.length === 1 && top[0].type === 'worktree' && top[0].item.kind === 'main') top.pop();
      // Restricted Mode: the plans from the worktree list, and the way to trust the folder (the view's message says why).
      if (!isTrusted() && engines.length > 0) top.unshift(trustNode());
      if (top.length > 0) this.paintedOnce();
      return top;
    }
    if (node.type === 'repository') return this.worktreeNodes(node.engine);
    if (node.type === 'planRuns') return node.runs;
    if (node.type === 'worktree') return this.fileNodes(node);
    return [];
  }

  getParent(node: PlanNode): PlanNode | undefined {
    if (node.type === 'file') return node.parent;
    if (node.type === 'worktree' && node.group) return node.group;
    if (
      (node.type === 'worktree' || node.type === 'planFile' || node.type === 'planRuns') &&
      this.repositories.shownEngines.length > 1
    ) {
      return { type: 'repository', engine: node.engine };
    }
    return undefined;
  }

  /**
   * A worktree's tooltip is made when it is about to show (VS Code asks for
   * it on hover, as its item has none): 200 items' Markdown tooltips, made
   * and converted (VS Code parses each one's Markdown) with every redraw, held
   * the extension host for tens of milliseconds at a time. A plan's tooltip
   * gets its history then too.
   */
  async resolveTreeItem(item: vscode.TreeItem, node: PlanNode): Promise<vscode.TreeItem> {
    if (node.type !== 'worktree') return item;
    item.tooltip ??= tooltip(node, branchName(node));
    if (node.item.plan && item.tooltip instanceof vscode.MarkdownString && !this.withHistory.has(item)) {
      this.withHistory.add(item);
      await appendHistorySummary(item.tooltip, node.engine, node.item.plan).catch((e) =>
        this.repositories.log.warn(`History of plan ${node.item.plan?.id}: ${String(e)}`),
      );
    }
    return item;
  }

  /** The worktree node shown for a path, if any (for tests and reveal). */
  nodeForPath(worktreePath: string): WorktreeNode | undefined {
    return this.shown.get(worktreePath);
  }

  private async worktreeNodes(engine: PlanEngine): Promise<PlanNode[]> {
    // A plan that was cleaned up, merged away or discarded lives on in its history, not in the tree.
    const all = await engine.list();
    this.promptDoctor(engine);
    const items = sortItems(all.filter((i) => i.worktree || i.plan?.status === 'active'));
    const currentPath = engine.repo.currentPath;
    const nodes: WorktreeNode[] = items.map((item) => {
      const node: WorktreeNode = { type: 'worktree', engine, item, current: item.worktree?.path === currentPath };
      const previous = item.worktree && this.shown.get(item.worktree.path);
      if (previous?.details) node.details = previous.details;
      // Painted at once from memory (an earlier session's last read), marked as such until verified.
      else if (isTrusted()) node.details = engine.lastKnown(item);
      if (previous?.mergeability) node.mergeability = previous.mergeability;
      if (item.worktree) this.shown.set(item.worktree.path, node);
      return node;
    });
    // Details and the merge pre-check run git status and merge-tree: not in Restricted Mode, and not before git
    // confirmed the repository the last session kept (then the tree is drawn again, and the verify starts).
    if (isTrusted() && !engine.fromMemory) {
      const verify = this.toVerify.delete(engine) || nodes.some((n) => n.details?.lastKnown);
      const underWay = this.verifying.get(engine);
      const loading = underWay
        ? // A verify is under way: it brings the states of its worktrees it has not read yet.
          this.loadDetails(
            nodes.filter((n) => !underWay.has(n.item.worktree?.path ?? '') || (n.details && !n.details.lastKnown)),
          )
        : verify
          ? this.verifyDetails(engine, nodes)
          : this.loadDetails(nodes);
      void loading.then(() => this.loadMergeability(engine, nodes));
    }
    const planFiles = this.planFiles && !engine.fromMemory ? await this.planFiles.nodes(engine, all) : [];
    return [
      ...groupRuns(
        engine,
        nodes.filter((n) => n.item.kind !== 'other'),
      ),
      ...planFiles,
      ...nodes.filter((n) => n.item.kind === 'other'),
    ];
  }

  /** When git could not list the worktrees (a half-written record), the tree shows the healthy ones and this asks once to run the doctor. */
  private promptDoctor(engine: PlanEngine): void {
    const problem = engine.listProblem;
    if (!problem || this.prompted.has(problem.message)) return;
    this.prompted.add(problem.message);
    const run = vscode.l10n.t('Run Doctor');
    void vscode.window
      .showWarningMessage(problem.message, run)
      .then((picked) => (picked === run ? vscode.commands.executeCommand('planWorktrees.doctor') : undefined));
  }

  /** The merge pre-check and overlaps of every active plan (cached per pair of commits by the engine). */
  private async loadMergeability(engine: PlanEngine, nodes: WorktreeNode[]): Promise<void> {
    try {
      const all = await engine.mergeability();
      for (const node of nodes) {
        const found = node.item.plan && all.get(runKey(node.item.plan));
        if (JSON.stringify(found) === JSON.stringify(node.mergeability)) continue;
        node.mergeability = found || undefined;
        this.changed.fire(node);
      }
    } catch (e) {
      this.repositories.log.warn(`Merge pre-check: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Reads every node's state again with git in the background, at most
   * VERIFY_CONCURRENCY processes at once, this window's own worktree and the
   * items at the top of the tree first; each part is drawn as it arrives.
   */
  private async verifyDetails(engine: PlanEngine, nodes: WorktreeNode[]): Promise<void> {
    const shown = nodes.filter((n) => n.item.kind !== 'other');
    const order = [
      ...nodes.filter((n) => n.current),
      ...shown.filter((n) => !n.current),
      ...nodes.filter((n) => !n.current && n.item.kind === 'other'),
    ];
    this.verifying.set(engine, new Set(order.flatMap((n) => (n.item.worktree ? [n.item.worktree.path] : []))));
    this.lastVerify = Date.now();
    try {
      await engine.verify(
        order.map((n) => n.item),
        (item, details) => {
          // The node shown now for this worktree (a reload meanwhile makes new nodes).
          const node = item.worktree && this.shown.get(item.worktree.path);
          if (node) this.show(node, details);
        },
        { concurrency: VERIFY_CONCURRENCY, first: VISIBLE_ROWS },
      );
    } catch (e) {
      this.repositories.log.warn(`Verifying the state of the plans: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.verifying.delete(engine);
    }
  }

  /** Redraws a node when its details changed. */
  private show(node: WorktreeNode, details: WorktreeDetails): void {
    if (JSON.stringify(details) === JSON.stringify(node.details)) return;
    node.details = details;
    this.changed.fire(node);
  }

  /** Reads the details of every node together, then redraws the nodes whose details changed. */
  private async loadDetails(nodes: WorktreeNode[]): Promise<void> {
    await Promise.all(
      nodes.map(async (node) => {
        if (!node.item.worktree) return;
        try {
          this.show(node, await node.engine.details(node.item));
        } catch (e) {
          this.repositories.log.warn(
            `State of ${node.item.worktree.path}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
      }),
    );
  }

  private async fileNodes(parent: WorktreeNode): Promise<PlanNode[]> {
    const plan = parent.item.plan;
    if (!plan || !parent.item.worktree) return [];
    if (!isTrusted()) return [trustNode()];
    try {
      const diff = await parent.engine.diff(plan);
      if (diff.files.length === 0) {
        return [{ type: 'message', text: vscode.l10n.t('No changes against {0}', plan.base) }];
      }
      return diff.files.map((file) => ({
        type: 'file',
        engine: parent.engine,
        parent,
        file,
        mergeBase: diff.mergeBase,
      }));
    } catch (e) {
      return [
        {
          type: 'message',
          text: vscode.l10n.t('Could not read the changes: {0}', errorMessage(e)),
        },
      ];
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function trustNode(): MessageNode {
  return {
    type: 'message',
    text: vscode.l10n.t('Trust This Folder…'),
    icon: 'shield',
    command: {
      command: 'workbench.trust.manage',
      title: vscode.l10n.t('Manage Workspace Trust'),
      tooltip: restrictedModeNote(),
    },
  };
}

/**
 * The runs of one plan id under one node, newest first, where the first of
 * them was; a plan with one run in the tree stays as it is.
 */
function groupRuns(engine: PlanEngine, nodes: WorktreeNode[]): Array<WorktreeNode | PlanRunsNode> {
  const byId = new Map<string, WorktreeNode[]>();
  for (const node of nodes) {
    const id = node.item.kind === 'plan' ? node.item.plan?.id : undefined;
    if (id === undefined) continue;
    byId.set(id, [...(byId.get(id) ?? []), node]);
  }
  const result: Array<WorktreeNode | PlanRunsNode> = [];
  const placed = new Set<string>();
  for (const node of nodes) {
    const id = node.item.kind === 'plan' ? node.item.plan?.id : undefined;
    const runs = id === undefined ? undefined : byId.get(id);
    if (id === undefined || !runs || runs.length < 2) {
      delete node.group;
      result.push(node);
      continue;
    }
    if (placed.has(id)) continue;
    placed.add(id);
    const group: PlanRunsNode = {
      type: 'planRuns',
      engine,
      id,
      runs: [...runs].sort((a, b) => (b.item.plan?.run ?? 0) - (a.item.plan?.run ?? 0)),
    };
    for (const run of group.runs) run.group = group;
    result.push(group);
  }
  return result;
}

/** A plan with several runs: its id and newest title, how many runs; expanded, so every run shows. */
function planRunsItem(node: PlanRunsNode): vscode.TreeItem {
  const newest = node.runs[0]?.item.plan;
  const item = new vscode.TreeItem(`${node.id} · ${newest?.title ?? ''}`, vscode.TreeItemCollapsibleState.Expanded);
  item.id = `runs:${node.engine.repo.commonDir}:${node.id}`;
  item.iconPath = new vscode.ThemeIcon('versions');
  item.description = vscode.l10n.t('{0} runs', node.runs.length);
  item.tooltip = vscode.l10n.t('Plan {0}: {1} runs, the newest first', node.id, node.runs.length);
  item.contextValue = 'planRuns';
  return item;
}

function repositoryItem(node: RepositoryNode): vscode.TreeItem {
  const item = new vscode.TreeItem(path.basename(node.engine.repo.mainPath), vscode.TreeItemCollapsibleState.Expanded);
  item.id = `repo:${node.engine.repo.commonDir}`;
  item.iconPath = new vscode.ThemeIcon('repo');
  item.description = node.engine.repo.mainPath;
  item.contextValue = 'repository';
  return item;
}

/**
 * Whether a plan's work has landed in its base. A plan with no commits of its
 * own yet is "merged" to git (nothing would be lost), but not to a person; a
 * plan in the middle of a rebase or merge is not judged at all.
 */
export function isLanded(node: WorktreeNode): boolean {
  const { item, details } = node;
  if (item.plan?.status === 'merged') return true;
  if (details?.operation) return false;
  const tip = details?.tip ?? details?.head;
  return !!details?.merged?.merged && tip !== undefined && tip !== item.plan?.baseCommit;
}

/** The state word of a worktree in the middle of an operation: `rebasing`, `merging`... */
function operationState(details: WorktreeDetails | undefined): 'rebasing' | 'merging' | undefined {
  if (!details?.operation) return undefined;
  return details.operation === 'rebase' ? 'rebasing' : 'merging';
}

/**
 * The parts of a worktree's state, as words, most telling first (the tree's
 * description shows them before anything else, where a narrow side bar cuts
 * nothing off): the plan's activity (`● running: npm test 3m`), rebasing, missing, merged, ⚠ conflicts / ✓ merges cleanly,
 * ●3 changed, ↑2 ↓1, ⇄ overlapping plans, locked, setup failed.
 */
export function describeState(node: WorktreeNode): string[] {
  const parts: string[] = [];
  const { item, details } = node;
  // What the plan's window is doing comes first: the question of a person with several plans running.
  if (node.activity) parts.push(activityText(node.activity));
  const operation = details && !details.missing ? details.operation : undefined;
  if (operation === 'rebase') parts.push(vscode.l10n.t('rebasing'));
  else if (operation === 'merge') parts.push(vscode.l10n.t('merging'));
  else if (operation === 'cherryPick') parts.push(vscode.l10n.t('cherry-picking'));
  else if (operation === 'revert') parts.push(vscode.l10n.t('reverting'));
  if (!item.worktree) parts.push(vscode.l10n.t('no worktree'));
  if (details?.missing) parts.push(vscode.l10n.t('missing'));
  const landed = item.kind === 'plan' && isLanded(node);
  if (landed) parts.push(vscode.l10n.t('merged'));
  const m = node.mergeability;
  if (m && !landed && !operation && m.files.length > 0) {
    parts.push(
      m.clean ? vscode.l10n.t('✓ merges cleanly') : vscode.l10n.t('⚠ conflicts with {0}', item.plan?.base ?? ''),
    );
  }
  if (details && !details.missing) {
    const changed = details.dirty.staged + details.dirty.modified + details.dirty.untracked + details.dirty.conflicted;
    if (changed > 0) parts.push(vscode.l10n.t('●{0} changed', changed));
    if (details.dirty.conflicted > 0) parts.push(vscode.l10n.t('{0} conflicted', details.dirty.conflicted));
    if (details.ahead) parts.push(`↑${details.ahead}`);
    if (details.behind) parts.push(`↓${details.behind}`);
  }
  if (m && !landed && !operation && m.files.length > 0 && m.overlaps.length > 0) {
    parts.push(`⇄ ${m.overlaps.map((o) => o.planId).join(', ')}`);
  }
  if (item.worktree?.locked !== undefined) parts.push(vscode.l10n.t('locked'));
  if (item.plan?.setup?.status === 'failed') parts.push(vscode.l10n.t('setup failed'));
  else if (item.plan?.setup?.status === 'running') parts.push(vscode.l10n.t('setting up…'));
  // A state from memory that git has not confirmed yet says so.
  if (details?.lastKnown) parts.push(vscode.l10n.t('(last known)'));
  return parts;
}

/** The composite context value menus match: `plan:active:dirty:locked:current:setupFailed`, `plan:rebasing:dirty`, `worktree:main`, ... */
export function contextValue(node: WorktreeNode): string {
  const { item, details } = node;
  const flags: string[] = [];
  const dirty =
    details &&
    !details.missing &&
    details.dirty.staged + details.dirty.modified + details.dirty.untracked + details.dirty.conflicted > 0;
  if (item.kind === 'plan') {
    flags.push(
      'plan',
      !item.worktree || details?.missing
        ? 'missing'
        : (operationState(details) ?? (isLanded(node) ? 'merged' : 'active')),
    );
  } else {
    flags.push('worktree', item.kind);
  }
  if (item.worktree) flags.push(dirty ? 'dirty' : 'clean');
  // Its base has commits it has not: "Update from <base>" is offered.
  if (item.kind === 'plan' && item.worktree && details && !details.missing && (details.behind ?? 0) > 0) {
    flags.push('behind');
  }
  if (item.worktree?.locked !== undefined) flags.push('locked');
  else if (item.worktree && item.kind !== 'main') flags.push('unlocked');
  if (node.current) flags.push('current');
  if (item.plan?.setup?.status === 'failed') flags.push('setupFailed');
  return flags.join(':');
}

/** The branch a worktree item names: its worktree's, `detached`, or (no worktree) its plan's. */
function branchName(node: WorktreeNode): string | undefined {
  const { item } = node;
  return item.worktree?.branch
    ? shortBranchName(item.worktree.branch)
    : item.worktree?.detached
      ? vscode.l10n.t('detached')
      : item.plan?.branch;
}

/** A worktree's item; its tooltip comes when it is about to show (`resolveTreeItem`). */
function worktreeItem(node: WorktreeNode): vscode.TreeItem {
  const { item, details } = node;
  const plan = item.plan;
  const branch = branchName(node);
  const label =
    item.kind === 'plan' && plan
      ? node.group
        ? `${vscode.l10n.t('Run {0}', plan.run)} · ${plan.title}`
        : `${plan.id} · ${plan.title}`
      : item.kind === 'main'
        ? vscode.l10n.t('Main checkout')
        : path.basename(item.worktree?.path ?? '?');
  const collapsible =
    item.kind === 'plan' && item.worktree && !details?.missing
      ? vscode.TreeItemCollapsibleState.Collapsed
      : vscode.TreeItemCollapsibleState.None;
  const treeItem = new vscode.TreeItem(label, collapsible);
  treeItem.id = `wt:${item.worktree?.path ?? `plan:${plan?.id}:${plan?.run}`}`;
  // State first: a narrow side bar cuts the end off. A plan's branch is in its tooltip (its label names it already);
  // the main checkout and other worktrees are known by their branch, after their state.
  const named = item.kind === 'plan' ? undefined : branch;
  treeItem.description = [...describeState(node), named, node.current ? vscode.l10n.t('(this window)') : undefined]
    .filter(Boolean)
    .join(' ');
  treeItem.iconPath = icon(node);
  treeItem.contextValue = contextValue(node);
  return treeItem;
}

/** The icon carries the state, in the colours of the built-in Source Control: missing, mid-rebase, merged, conflicts, changes. */
function icon(node: WorktreeNode): vscode.ThemeIcon {
  const { item, details } = node;
  const color = (id: string) => new vscode.ThemeColor(id);
  if (!item.worktree || details?.missing) return new vscode.ThemeIcon('warning', color('list.warningForeground'));
  if (details?.operation) {
    return new vscode.ThemeIcon(
      'debug-pause',
      color(details.dirty.conflicted > 0 ? 'gitDecoration.conflictingResourceForeground' : 'list.warningForeground'),
    );
  }
  if (item.worktree.locked !== undefined) return new vscode.ThemeIcon('lock');
  if (item.kind === 'main') return new vscode.ThemeIcon('home', node.current ? color('charts.blue') : undefined);
  if (item.kind === 'other') return new vscode.ThemeIcon('folder');
  if (isLanded(node)) return new vscode.ThemeIcon('git-merge', color('gitDecoration.ignoredResourceForeground'));
  if (details && details.dirty.conflicted > 0) {
    return new vscode.ThemeIcon('git-branch', color('gitDecoration.conflictingResourceForeground'));
  }
  if (node.mergeability && !node.mergeability.clean) {
    return new vscode.ThemeIcon('git-branch', color('list.errorForeground'));
  }
  if (details && details.dirty.staged + details.dirty.modified + details.dirty.untracked > 0) {
    return new vscode.ThemeIcon('git-branch', color('gitDecoration.modifiedResourceForeground'));
  }
  return new vscode.ThemeIcon('git-branch', node.current ? color('charts.blue') : undefined);
}

function tooltip(node: WorktreeNode, branch: string | undefined): vscode.MarkdownString {
  const { item, details } = node;
  const plan = item.plan;
  const md = new vscode.MarkdownString(undefined, true);
  md.supportThemeIcons = true;
  const title = plan
    ? vscode.l10n.t('Plan {0}: {1}', plan.id, plan.title)
    : item.kind === 'main'
      ? vscode.l10n.t('Main checkout')
      : vscode.l10n.t('Worktree');
  md.appendMarkdown(`**${escapeMarkdown(title)}**${node.current ? vscode.l10n.t(' — this window') : ''}\n\n`);
  const rows: Array<[string, string | undefined]> = [
    [vscode.l10n.t('Path'), item.worktree?.path ?? plan?.path],
    [vscode.l10n.t('Branch'), branch],
    [vscode.l10n.t('Run'), plan && plan.run > 1 ? String(plan.run) : undefined],
    [vscode.l10n.t('Base'), plan ? `${plan.base} (${plan.baseCommit.slice(0, 8)})` : undefined],
    [vscode.l10n.t('Created'), plan ? new Date(plan.created).toLocaleString() : undefined],
    [vscode.l10n.t('State'), describeState(node).join(', ') || (details ? vscode.l10n.t('clean') : undefined)],
    [
      vscode.l10n.t('Locked'),
      item.worktree?.locked !== undefined ? item.worktree.locked || vscode.l10n.t('yes') : undefined,
    ],
    [vscode.l10n.t('Merge'), mergeabilityText(node)],
    [
      vscode.l10n.t('Read'),
      details?.lastKnown
        ? vscode.l10n.t('{0}, being checked with git', new Date(details.lastKnown.readAt).toLocaleString())
        : undefined,
    ],
    [
      vscode.l10n.t('Last commit'),
      details?.lastCommit
        ? `${details.lastCommit.sha.slice(0, 8)} ${details.lastCommit.subject} (${new Date(details.lastCommit.date).toLocaleString()})`
        : undefined,
    ],
  ];
  for (const [key, value] of rows) if (value) md.appendMarkdown(`${key}: ${escapeMarkdown(value)}  \n`);
  return md;
}

function mergeabilityText(node: WorktreeNode): string | undefined {
  const m = node.mergeability;
  if (!m || m.files.length === 0) return undefined;
  const base = node.item.plan?.base ?? '';
  const clean = m.clean
    ? vscode.l10n.t('merges cleanly into {0}', base)
    : vscode.l10n.t('conflicts with {0} in {1}', base, m.conflicts.join(', '));
  const overlaps = m.overlaps.map((o) => vscode.l10n.t('plan {0} also changes {1}', o.planId, o.files.join(', ')));
  return [clean, ...overlaps].join('; ');
}

function fileItem(node: FileNode): vscode.TreeItem {
  const worktree = node.parent.item.worktree?.path ?? '';
  const uri = vscode.Uri.file(path.join(worktree, node.file.path));
  const item = new vscode.TreeItem(uri, vscode.TreeItemCollapsibleState.None);
  item.id = `file:${worktree}:${node.file.path}`;
  item.label = path.basename(node.file.path);
  const dir = path.dirname(node.file.path);
  item.description = `${node.file.status}${dir === '.' ? '' : ` ${dir}`}`;
  const word = statusWord(node.file.status).toLocaleLowerCase();
  const what = node.file.oldPath ? vscode.l10n.t('{0} from {1}', word, node.file.oldPath) : word;
  item.tooltip = `${node.file.path} — ${what}${node.file.committed ? vscode.l10n.t(', committed') : ''}${node.file.uncommitted ? vscode.l10n.t(', uncommitted') : ''}`;
  item.contextValue = `file:${node.file.status}`;
  item.command = { command: 'vscode.diff', title: vscode.l10n.t('Open Diff'), arguments: diffArguments(node) };
  return item;
}

/** `vscode.diff` arguments: the base version on the left, the worktree file on the right. */
export function diffArguments(node: FileNode): [vscode.Uri, vscode.Uri, string] {
  const plan = node.parent.item.plan;
  const worktree = node.parent.item.worktree?.path ?? '';
  const basePath = node.file.oldPath ?? node.file.path;
  const commonDir = node.engine.repo.commonDir;
  const planId = plan?.id ?? '';
  const left = planBaseUri(
    commonDir,
    planId,
    node.mergeBase,
    basePath,
    node.file.status === 'A' || node.file.status === 'U',
    worktree,
  );
  const right =
    node.file.status === 'D'
      ? planBaseUri(commonDir, planId, node.mergeBase, node.file.path, true, worktree)
      : vscode.Uri.file(path.join(worktree, node.file.path));
  return [
    left,
    right,
    vscode.l10n.t('{0} (Plan {1}: {2} ↔ plan)', path.basename(node.file.path), planId, plan?.base ?? ''),
  ];
}
