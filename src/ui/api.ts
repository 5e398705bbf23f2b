/**
 * The API object `activate` returns, for other extensions and agents:
 * `vscode.extensions.getExtension<PlanWorktreesApi>('planworktrees.plan-worktrees').exports`.
 * Each method runs the same code as the command of the same name, with
 * arguments and without prompts; a refusal rejects with a
 * `PlanWorktreesError` whose `code` says why (`PlanExists`, `MergeConflict`,
 * `WorktreeDirty`, `InvalidName`, ...). README.md, "API", documents it.
 */
import * as vscode from 'vscode';
import { ErrorCode, PlanError, PlanWorktreesError } from '../model/engine/errors';
import { shownName } from '../model/engine/names';
import { CleanupResult } from '../model/lifecycle/cleanup';
import { DiffFile, PlanDiff } from '../model/state/diff';
import { HistoryEntry, historyEntries } from '../model/state/history';
import { MergeResult, MergeStrategy } from '../model/lifecycle/merge';
import { PlanWorktree } from '../model/engine/planEngine';
import { LifecycleEvent, PlanRecord, PlanStatus } from '../model/engine/types';
import { CreateArgs } from './commands/create';
import { MergeArgs } from './commands/merge';
import { StartFromFileArgs } from './commands/planFiles';
import {
  ActivityReport,
  ActivityState,
  makeActivityReport,
  readPlanActivity,
  ReportedState,
  WindowActivity,
  writeActivityReport,
} from '../model/store/activity';
import { activityInfo, PlanActivityInfo, PlanActivityWatch, thisProcess } from './activity';
import { pickPlan } from './pickPlan';
import { PlanRepositories } from './repositories';
import { whichRepository } from './whichRepository';

export type {
  ActivityReport,
  ActivityState,
  PlanActivityInfo,
  ReportedState,
  WindowActivity,
  CleanupResult,
  CreateArgs,
  DiffFile,
  HistoryEntry,
  LifecycleEvent,
  MergeArgs,
  MergeResult,
  MergeStrategy,
  PlanDiff,
  PlanRecord,
  PlanStatus,
  PlanWorktree,
  StartFromFileArgs,
};

/**
 * Which repository a call is about, when the window has several: a path in
 * it (its folder, one of its worktrees, a file). Without it, a call that
 * could mean several rejects with `RepositoryAmbiguous`; a path outside them
 * with `RepositoryNotOpen`.
 */
export interface RepositoryOption {
  repository?: string;
}

export interface PlanWorktreesApi {
  /** Bumped only when something here changes incompatibly. */
  readonly version: 1;
  /**
   * Creates a plan worktree and branch (`planWorktrees.create`); `open`
   * defaults to `none` here, and the main checkout's uncommitted changes to
   * `dirtyBase: 'refuse'`. Rejects with `PlanExists` (an id with an active
   * run, unless `newRun: true` starts another run of it), `BaseDirty`, `InvalidName`...
   */
  create(args: CreateArgs & { title: string }): Promise<PlanRecord>;
  /**
   * Starts the plan a plan file describes (`planWorktrees.startPlanFromFile`):
   * id and title from the file, validated; the plan records the file.
   * `file` is absolute or relative to the main worktree. Rejects with
   * `InvalidName` (naming the file) or `PlanExists` when it is already started.
   */
  startFromFile(file: string, options?: Omit<StartFromFileArgs, 'file'>): Promise<PlanRecord>;
  /** Every worktree of every repository of the workspace, with its plan, and active plans whose worktree is gone. */
  list(): Promise<PlanWorktree[]>;
  /**
   * The plan's changes against the merge-base with its base: committed,
   * uncommitted and untracked files. Every method that takes a plan id takes
   * its default run (the newest that is active or has its worktree) unless
   * `run` names one: `diff('7', { run: 1 })`, `cleanup('7', { run: 1 })`.
   */
  diff(plan: string, options?: { run?: number } & RepositoryOption): Promise<PlanDiff>;
  /**
   * Merges the plan into its base (`planWorktrees.merge`). Conflicts are found
   * before anything moves: then it rejects with `MergeConflict` (its `files`
   * name them) and nothing changed. `cleanup: true` removes the worktree and
   * branch afterwards; the default keeps them.
   */
  merge(plan: string, options?: Omit<MergeArgs, 'plan'> & RepositoryOption): Promise<MergeResult>;
  /**
   * Removes the plan's worktree, and its branch when its work is in the base
   * (`planWorktrees.cleanup`). A worktree with uncommitted or untracked files
   * rejects with `WorktreeDirty` unless `force: true`, which saves a snapshot first.
   */
  cleanup(plan: string, options?: { force?: boolean; run?: number } & RepositoryOption): Promise<CleanupResult>;
  /** The plan's lifecycle from `events.jsonl`, oldest first: created, merges, clean-ups, snapshots, restores. */
  history(plan: string, options?: RepositoryOption): Promise<HistoryEntry[]>;
  /** The absolute path of the agent-side guard script (`node <guardScript>`; README.md, "Agent guard script"). */
  readonly guardScript: string;
  /** Fires when plans or their state change, in this window or another. */
  readonly onDidChange: vscode.Event<void>;
  /**
   * What the plan's window is doing (README.md, "Activity of each plan"): its
   * running command, the exit code of the last one, the last file change,
   * whether the window is open, and what an extension reported. `state` is
   * what the tree shows.
   */
  activity(plan: string, options?: RepositoryOption): Promise<PlanActivityInfo>;
  /**
   * Says what the plan is doing, for every window to see (the tree shows it
   * before anything the plan's window published): `waitingForInput` (an agent
   * asks its person something), `working` (with a one-line `message`) or
   * `done`; `undefined` takes the report back. It lasts while this extension
   * host runs. Rejects with `InvalidName` for another state or a message that
   * is not one printable line of at most 200 characters.
   */
  reportActivity(
    plan: string,
    report: { state: ReportedState; message?: string } | undefined,
    options?: RepositoryOption,
  ): Promise<void>;
  /** Fires when the activity of a plan changes, in this window or another (also after `reportActivity`). */
  readonly onDidChangeActivity: vscode.Event<PlanActivityInfo>;
}

export function createApi(
  repositories: PlanRepositories,
  options: { guardScript: string; activity: PlanActivityWatch },
): PlanWorktreesApi {
  const changed = new vscode.EventEmitter<void>();
  repositories.onDidChange(() => changed.fire());
  const activityChanged = new vscode.EventEmitter<PlanActivityInfo>();
  options.activity.onDidChange(({ engine: _engine, ...info }) => activityChanged.fire(info));
  const command = async <T>(id: string, args: unknown): Promise<T> => {
    const result = await vscode.commands.executeCommand<T | undefined>(id, args);
    if (result === undefined) throw new PlanWorktreesError(ErrorCode.Cancelled, `${id} ended without a result.`);
    return result;
  };
  // Until the start-up's discovery ended, no call answers from what the tree painted from memory.
  const find = async (plan: string, where: { run?: number } & RepositoryOption = {}) => {
    await repositories.ready;
    const named = {
      plan,
      ...(where.run !== undefined ? { run: where.run } : {}),
      ...(where.repository !== undefined ? { repository: where.repository } : {}),
    };
    const picked = await pickPlan(repositories, named, { placeHolder: '' });
    if (!picked) throw new PlanError(ErrorCode.PlanNotFound, { reason: 'noPlan', plan: shownName(plan) });
    return picked;
  };
  return {
    version: 1,
    create: (args) => command<PlanRecord>('planWorktrees.create', { open: 'none', ...args }),
    startFromFile: (file, startOptions = {}) =>
      command<PlanRecord>('planWorktrees.startPlanFromFile', { open: 'none', ...startOptions, file }),
    list: async () => {
      await repositories.ready;
      return (await repositories.allItems()).map(({ item }) => item);
    },
    diff: async (plan, diffOptions = {}) => {
      const { engine, plan: record } = await find(plan, diffOptions);
      return engine.diff(record);
    },
    merge: (plan, mergeOptions = {}) => command<MergeResult>('planWorktrees.merge', { ...mergeOptions, plan }),
    cleanup: (plan, cleanupOptions = {}) =>
      command<CleanupResult>('planWorktrees.cleanup', { ...cleanupOptions, plan }),
    history: async (plan, where = {}) => {
      await repositories.ready;
      const engines =
        where.repository !== undefined ? [await whichRepository(repositories, where)] : repositories.engines;
      const found: HistoryEntry[][] = [];
      for (const engine of engines) {
        const events = engine ? await engine.history(plan) : [];
        if (events.length > 0) found.push(historyEntries(events));
      }
      if (found.length > 1) {
        throw new PlanError(ErrorCode.RepositoryAmbiguous, {
          plan: shownName(plan),
          repositories: repositories.engines.map((e) => e.repo.mainPath),
        });
      }
      if (found.length === 1) return found[0];
      await find(plan, where);
      return [];
    },
    guardScript: options.guardScript,
    onDidChange: changed.event,
    activity: async (plan, where) => {
      const { engine, plan: record } = await find(plan, where);
      return activityInfo(await readPlanActivity(engine.repo.commonDir, record.id, record.run));
    },
    reportActivity: async (plan, report, where) => {
      const { engine, plan: record } = await find(plan, where);
      const written = report ? makeActivityReport(record, report, thisProcess) : undefined;
      await writeActivityReport(engine.repo.commonDir, record.id, record.run, written);
    },
    onDidChangeActivity: activityChanged.event,
  };
}
