/**
 * The repositories of this window's workspace, each with its PlanEngine.
 * Finds them, keeps the welcome-view context keys true, and refreshes them
 * on file-system events: one watcher per repository on the common git
 * directory plus one per worktree root, debounced; never on a timer.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, isError } from '../model/engine/errors';
import { Git } from '../git/runner';
import { debounce } from '../model/engine/async';
import { PlanEngine, PlanWorktree } from '../model/engine/planEngine';
import { isInside } from '../model/engine/paths';
import { setHasPlans, setIsPlanWindow, setViewState, ViewState } from './contextKeys';
import { readEngineSettings, repositoryConfigProblems } from './settings';

/** How long file-system events are gathered before a refresh. */
const REFRESH_DELAY_MS = 300;
/** About how long a new file-system watcher takes to see events. */
const WATCHER_START_MS = 1000;

export class PlanRepositories implements vscode.Disposable {
  private engineList: PlanEngine[] = [];
  /** Engines opened from what the last session kept, shown until the first discovery ends (see `paintFromMemory`). */
  private remembered: PlanEngine[] = [];
  private discovered = false;
  private startup: Promise<void> = Promise.resolve();
  private viewState: ViewState | undefined;
  private readonly changed = new vscode.EventEmitter<PlanEngine | undefined>();
  /** Fires after a repository's state may have changed (undefined: the set of repositories). */
  readonly onDidChange = this.changed.event;
  private readonly touched = new vscode.EventEmitter<{ engine: PlanEngine; worktree: string; file: string }>();
  /** Fires on every file-system event in a worktree (outside its `.git`), before any debouncing. */
  readonly onDidTouchWorktree = this.touched.event;
  private readonly disposables: vscode.Disposable[] = [this.changed, this.touched];
  private readonly repoWatchers = new Map<PlanEngine, vscode.Disposable[]>();
  private readonly worktreeWatchers = new Map<string, vscode.Disposable>();
  /** Whether the worktree watchers were made once (worktrees found later get a read when their watcher starts). */
  private watching = false;
  private readonly startTimers = new Set<NodeJS.Timeout>();
  /** Per engine, the worktrees with file events, and whether the common git directory had one. */
  private readonly pending = new Map<PlanEngine, { repository: boolean; worktrees: Set<string> }>();
  private readonly flush = debounce(() => this.flushPending(), REFRESH_DELAY_MS);

  constructor(
    readonly git: Git,
    readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.discover()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('planWorktrees')) return;
        for (const engine of this.engineList) {
          engine.settings = readEngineSettings(vscode.Uri.file(engine.repo.mainPath));
        }
        this.changed.fire(undefined);
      }),
    );
  }

  /** The repositories git found: what every command, the guard and the API work on. */
  get engines(): readonly PlanEngine[] {
    return this.engineList;
  }

  /**
   * What the tree shows: the repositories git found, or, until the first
   * discovery ended, those the last session kept (`paintFromMemory`; for
   * painting only, `PlanEngine.fromMemory`).
   */
  get shownEngines(): readonly PlanEngine[] {
    return this.discovered ? this.engineList : this.remembered;
  }

  /** Ends when the start-up's discovery (and what the window does at start) ended; anything that needs git's answer awaits it. */
  get ready(): Promise<void> {
    return this.startup;
  }

  /** Sets what `ready` waits for (activate's start-up, run in the background). */
  startUp(work: Promise<void>): void {
    this.startup = work.catch((e) => this.log.error(e instanceof Error ? e : String(e)));
  }

  /**
   * Before any git process: opens the workspace folders' repositories from
   * what the last session kept (PlanEngine.remembered: git's files and the
   * state cache, as data), for the tree to paint at once. The first
   * `discover()` replaces them with what git says (taking over an engine git
   * confirms, so the tree's items stay). True when it painted anything.
   */
  async paintFromMemory(): Promise<boolean> {
    const engines: PlanEngine[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      // No settings: painting needs none, and reading them is the window's work of several ms; the engine takes the
      // ones discover() reads when it adopts git's.
      const engine = await PlanEngine.remembered(folder.uri.fsPath, { git: this.git, log: this.log }).catch(
        () => undefined,
      );
      if (engine && !engines.some((e) => e.repo.commonDir === engine.repo.commonDir)) engines.push(engine);
    }
    if (this.discovered || engines.length === 0) return false;
    this.remembered = engines;
    this.changed.fire(undefined);
    return true;
  }

  get state(): ViewState | undefined {
    return this.viewState;
  }

  /** Finds the repositories of the workspace folders (one engine per common git directory). */
  async discover(): Promise<void> {
    let state: ViewState = 'noRepository';
    const engines: PlanEngine[] = [];
    try {
      await this.git.checkVersion();
      for (const folder of vscode.workspace.workspaceFolders ?? []) {
        if (folder.uri.scheme !== 'file') continue;
        const existing = this.engineList.find((e) => isInside(e.repo.currentPath, folder.uri.fsPath));
        try {
          let engine =
            existing ??
            (await PlanEngine.open(folder.uri.fsPath, {
              git: this.git,
              log: this.log,
              settings: readEngineSettings(folder.uri),
              // Each worktree's last state is kept in the state folder, painted at once at the next start.
              persistState: true,
              // The watcher on the common git directory below announces every change of the worktree list.
              watched: true,
            }));
          // The engine the tree painted from memory, once git found the same repository: its items stay.
          const painted = existing ? undefined : this.remembered.find((e) => e.adopt(engine, { persistState: true }));
          if (painted) engine = painted;
          if (!engines.some((e) => e.repo.commonDir === engine.repo.commonDir)) {
            engines.push(engine);
            for (const problem of repositoryConfigProblems(folder.uri.fsPath)) this.log.warn(problem);
          }
        } catch (e) {
          if (!isError(e, ErrorCode.NotAGitRepository)) {
            this.log.warn(`${folder.uri.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
      }
      if (engines.length > 0) state = 'ready';
    } catch (e) {
      this.log.error(e instanceof Error ? e : String(e));
      state = 'gitMissing';
    }
    for (const engine of this.engineList) {
      if (!engines.includes(engine)) this.unwatch(engine);
    }
    for (const engine of engines) {
      if (!this.repoWatchers.has(engine)) this.watch(engine);
    }
    this.engineList = engines;
    this.remembered = [];
    this.discovered = true;
    this.viewState = state;
    await setViewState(state);
    await this.updateContextKeys();
    this.changed.fire(undefined);
  }

  /** Re-reads everything now (the Refresh command). */
  async refresh(): Promise<void> {
    for (const engine of this.engineList) engine.forget();
    await this.discover();
  }

  /** Every plan or worktree of every repository, for pickers. */
  async allItems(): Promise<Array<{ engine: PlanEngine; item: PlanWorktree }>> {
    const lists = await Promise.all(
      this.engineList.map(async (engine) => (await engine.list()).map((item) => ({ engine, item }))),
    );
    return lists.flat();
  }

  private async updateContextKeys(): Promise<void> {
    const items = await this.allItems().catch(() => []);
    await setHasPlans(items.some(({ item }) => item.kind === 'plan'));
    const current = await Promise.all(this.engineList.map((e) => e.currentPlan().catch(() => undefined)));
    // A plan whose worktree was cleaned up or discarded no longer makes this a plan window.
    await setIsPlanWindow(current.some((p) => p?.status === 'active'));
    this.syncWorktreeWatchers(items.map(({ engine, item }) => ({ engine, path: item.worktree?.path })));
  }

  private watch(engine: PlanEngine): void {
    // Refs, HEAD, the worktree list, the index and our registry: anything git or another window changes.
    const pattern = new vscode.RelativePattern(
      vscode.Uri.file(engine.repo.commonDir),
      '{HEAD,packed-refs,index,refs/**,worktrees/**,plan-worktrees/*.json,plan-worktrees/*.jsonl}',
    );
    const watcher = vscode.workspace.createFileSystemWatcher(pattern);
    const onEvent = (uri: vscode.Uri) => this.schedule(engine, worktreeOfGitPath(engine, uri.fsPath));
    this.repoWatchers.set(engine, [
      watcher,
      watcher.onDidChange(onEvent),
      watcher.onDidCreate(onEvent),
      watcher.onDidDelete(onEvent),
    ]);
  }

  private unwatch(engine: PlanEngine): void {
    for (const d of this.repoWatchers.get(engine) ?? []) d.dispose();
    this.repoWatchers.delete(engine);
  }

  /** One watcher per worktree root, so edits, new and deleted files update that worktree's counts. */
  private syncWorktreeWatchers(worktrees: Array<{ engine: PlanEngine; path?: string }>): void {
    const wanted = new Map<string, PlanEngine>();
    for (const { engine, path: p } of worktrees) if (p) wanted.set(p, engine);
    for (const [p, d] of this.worktreeWatchers) {
      if (!wanted.has(p)) {
        d.dispose();
        this.worktreeWatchers.delete(p);
      }
    }
    const later = this.watching;
    this.watching = true;
    for (const [p, engine] of wanted) {
      if (this.worktreeWatchers.has(p)) continue;
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(p), '**'));
      // A worktree that appears later (a plan just made) may be written before its watcher starts:
      // read it once more when the watcher runs. (At start, the tree's verify reads every worktree.)
      if (later) {
        const timer = setTimeout(() => {
          this.startTimers.delete(timer);
          this.schedule(engine, p);
        }, WATCHER_START_MS);
        this.startTimers.add(timer);
      }
      const onEvent = (uri: vscode.Uri) => {
        // The worktree's own .git file and ignored build output still count: git status decides.
        if (uri.fsPath.split(path.sep).includes('.git') && !uri.fsPath.endsWith(`${path.sep}.git`)) return;
        this.touched.fire({ engine, worktree: p, file: uri.fsPath });
        this.schedule(engine, p);
      };
      this.worktreeWatchers.set(
        p,
        vscode.Disposable.from(
          watcher,
          watcher.onDidChange(onEvent),
          watcher.onDidCreate(onEvent),
          watcher.onDidDelete(onEvent),
        ),
      );
    }
  }

  /**
   * Gathers what changed: a worktree's files (its status is read again), or,
   * with `undefined`, the common git directory (refs, HEAD, worktree records,
   * the registry: each worktree's status is read again when its HEAD or index
   * changed). Both are kept: an event in `.git` does not stand for one in a worktree.
   */
  private schedule(engine: PlanEngine, worktreePath: string | undefined): void {
    const current = this.pending.get(engine) ?? { repository: false, worktrees: new Set<string>() };
    if (worktreePath === undefined) current.repository = true;
    else current.worktrees.add(worktreePath);
    this.pending.set(engine, current);
    this.flush();
  }

  private flushPending(): void {
    const batch = [...this.pending];
    this.pending.clear();
    for (const [engine, { repository, worktrees }] of batch) {
      if (repository) engine.invalidate();
      for (const p of worktrees) engine.invalidate(p);
      this.changed.fire(engine);
    }
    void this.updateContextKeys();
  }

  dispose(): void {
    this.flush.cancel();
    for (const timer of this.startTimers) clearTimeout(timer);
    this.startTimers.clear();
    for (const engine of this.engineList) {
      this.unwatch(engine);
      // The states read since the last write are kept for the next start.
      void engine.flushState();
    }
    for (const d of this.worktreeWatchers.values()) d.dispose();
    this.worktreeWatchers.clear();
    for (const d of this.disposables) d.dispose();
  }
}

/** `<common>/worktrees/<name>/index` belongs to one worktree; refs and the list to all. */
function worktreeOfGitPath(engine: PlanEngine, fsPath: string): string | undefined {
  const rel = path.relative(engine.repo.commonDir, fsPath).split(path.sep);
  if (rel[0] === 'index' && rel.length === 1) return engine.repo.mainPath;
  return undefined;
}
