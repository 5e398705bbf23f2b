/**
 * The plan files of every repository of the workspace (the `planFiles`
 * globs), read from the main worktree and kept fresh by file-system
 * watchers, each with what became of it (new, started, finished, invalid).
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { debounce, throttle } from '../../model/engine/async';
import { isInside } from '../../model/engine/paths';
import { PlanEngine, PlanWorktree } from '../../model/engine/planEngine';
import { PlanRecord } from '../../model/engine/types';
import { DEFAULT_PLAN_FILE_PATTERNS } from '../../model/planFiles/find';
import { isFinishedStatus, loadPlanFiles, PlanFile } from '../../model/planFiles/parse';
import { PlanRepositories } from '../repositories';

/** How long file-system events on plan files are gathered before the index reloads. */
const RELOAD_DELAY_MS = 200;

/**
 * `new`: can be started; `started`: a plan from it is active; `finished`:
 * its status says done, or its plan was merged; `invalid`: it cannot be
 * started (its problem says why).
 */
export type PlanFileState = 'new' | 'started' | 'finished' | 'invalid';

/** A plan file of one repository, with what became of it. */
export interface PlanFileEntry {
  engine: PlanEngine;
  planFile: PlanFile;
  /** Absolute path (in the main worktree). */
  path: string;
  state: PlanFileState;
  /** The active plan started from it (`started`), or its merged plan (`finished`). */
  plan?: PlanRecord;
}

/** A plan file in the tree: one that has no worktree yet. */
export interface PlanFileNode extends PlanFileEntry {
  type: 'planFile';
}

export function planFilePatterns(engine: PlanEngine): string[] {
  return (
    vscode.workspace
      .getConfiguration('planWorktrees', vscode.Uri.file(engine.repo.mainPath))
      .get<string[]>('planFiles') ?? [...DEFAULT_PLAN_FILE_PATTERNS]
  );
}

/**
 * The plan files of every repository of the workspace, read from the main
 * worktree and kept fresh by file-system watchers on the `planFiles` globs.
 * Fires `onDidChange` when files change or plans start, merge or go.
 */
export class PlanFileIndex implements vscode.Disposable {
  private readonly files = new Map<PlanEngine, Promise<PlanFile[]>>();
  private readonly watchers = new Map<PlanEngine, { patterns: string; disposable: vscode.Disposable }>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when plan files or their plans changed. */
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private readonly reload = debounce(() => {
    this.files.clear();
    this.changed.fire();
  }, RELOAD_DELAY_MS);
  /** What the explorer's context menu offers "Start in Worktree" on (`resourcePath in planWorktrees.planFilePaths`). */
  startablePaths: string[] = [];
  private readonly updateContextKey = throttle(async () => {
    const entries = (await Promise.all(this.repositories.engines.map((e) => this.entries(e).catch(() => [])))).flat();
    const paths = entries
      .filter((e) => e.state === 'new' || e.state === 'invalid')
      .flatMap((e) => [e.path, vscode.Uri.file(e.path).path]);
    this.startablePaths = [...new Set(paths)];
    await vscode.commands.executeCommand('setContext', 'planWorktrees.planFilePaths', this.startablePaths);
  });

  constructor(
    private readonly repositories: PlanRepositories,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.disposables.push(
      repositories.onDidChange((engine) => {
        // A new set of repositories, or new settings: the files are read again.
        if (engine === undefined) {
          this.files.clear();
          this.syncWatchers();
        }
        this.changed.fire();
      }),
      this.onDidChange(() => void this.updateContextKey().catch((e) => this.log.warn(`Plan files: ${String(e)}`))),
    );
    this.syncWatchers();
  }

  /** The plan files of a repository's main worktree (cached until they change). */
  planFiles(engine: PlanEngine): Promise<PlanFile[]> {
    let files = this.files.get(engine);
    if (!files) {
      files = engine.repo.bare ? Promise.resolve([]) : loadPlanFiles(engine.repo.mainPath, planFilePatterns(engine));
      files.catch(() => this.files.delete(engine));
      this.files.set(engine, files);
    }
    return files;
  }

  /** Every plan file of a repository with its state; `items` saves a `git worktree list` when the caller has one. */
  async entries(engine: PlanEngine, items?: PlanWorktree[]): Promise<PlanFileEntry[]> {
    const files = await this.planFiles(engine);
    if (files.length === 0) return [];
    const active = (items ?? (await engine.list())).flatMap((i) =>
      i.plan?.status === 'active' && !i.plan.creating ? [i.plan] : [],
    );
    return Promise.all(files.map((planFile) => entryFor(engine, planFile, active)));
  }

  /** The tree's items: plan files that can be started, or that are broken (so the user sees why). */
  async nodes(engine: PlanEngine, items?: PlanWorktree[]): Promise<PlanFileNode[]> {
    const entries = await this.entries(engine, items).catch((e) => {
      this.log.warn(`Plan files of ${engine.repo.mainPath}: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    });
    return entries
      .filter((e) => e.state === 'new' || e.state === 'invalid')
      .map((e) => ({ type: 'planFile' as const, ...e }));
  }

  /** One watcher per glob per repository, on the main worktree. */
  private syncWatchers(): void {
    const engines = new Set(this.repositories.engines);
    for (const [engine, watcher] of this.watchers) {
      if (engines.has(engine) && watcher.patterns === JSON.stringify(planFilePatterns(engine))) continue;
      watcher.disposable.dispose();
      this.watchers.delete(engine);
    }
    for (const engine of engines) {
      if (this.watchers.has(engine) || engine.repo.bare) continue;
      const patterns = planFilePatterns(engine);
      const disposables = patterns.map((pattern) => {
        const watcher = vscode.workspace.createFileSystemWatcher(
          new vscode.RelativePattern(vscode.Uri.file(engine.repo.mainPath), pattern),
        );
        const onEvent = () => this.reload();
        return vscode.Disposable.from(
          watcher,
          watcher.onDidCreate(onEvent),
          watcher.onDidChange(onEvent),
          watcher.onDidDelete(onEvent),
        );
      });
      this.watchers.set(engine, {
        patterns: JSON.stringify(patterns),
        disposable: vscode.Disposable.from(...disposables),
      });
    }
  }

  dispose(): void {
    this.reload.cancel();
    for (const w of this.watchers.values()) w.disposable.dispose();
    this.watchers.clear();
    for (const d of this.disposables) d.dispose();
  }
}

/** What became of one plan file, given the active plans. */
export async function entryFor(engine: PlanEngine, planFile: PlanFile, active: PlanRecord[]): Promise<PlanFileEntry> {
  const entry = { engine, planFile, path: path.join(engine.repo.mainPath, ...planFile.file.split('/')) };
  if (planFile.problem !== undefined) return { ...entry, state: 'invalid' };
  const running =
    active.find((p) => p.planFile === planFile.file) ??
    (planFile.id !== undefined ? active.find((p) => p.id === planFile.id) : undefined);
  if (running) return { ...entry, state: 'started', plan: running };
  if (isFinishedStatus(planFile.status)) return { ...entry, state: 'finished' };
  if (planFile.id !== undefined) {
    const latest = await engine.plan(planFile.id).catch(() => undefined);
    if (latest?.status === 'merged' && latest.planFile === planFile.file) {
      return { ...entry, state: 'finished', plan: latest };
    }
  }
  return { ...entry, state: 'new' };
}

/** The repository whose main worktree holds this file, and the file relative to it (`/`-separated). */
export function mainWorktreeFile(
  repositories: PlanRepositories,
  uri: vscode.Uri,
): { engine: PlanEngine; file: string } | undefined {
  if (uri.scheme !== 'file') return undefined;
  for (const engine of repositories.engines) {
    if (engine.repo.bare || !isInside(engine.repo.mainPath, uri.fsPath)) continue;
    return { engine, file: path.relative(engine.repo.mainPath, uri.fsPath).split(path.sep).join('/') };
  }
  return undefined;
}
