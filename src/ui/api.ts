/**
 * The API object `activate` returns, for other extensions and agents:
 * `vscode.extensions.getExtension('planworktrees.plan-worktrees').exports`.
 * Each method runs the same code as the command of the same name, with
 * arguments and without prompts.
 */
import * as vscode from 'vscode';
import { CleanupResult } from '../model/cleanup';
import { MergeResult } from '../model/merge';
import { PlanWorktree } from '../model/planEngine';
import { PlanRecord } from '../model/types';
import { CreateArgs, MergeStrategy } from './commands';
import { PlanRepositories } from './repositories';

export interface PlanWorktreesApi {
  readonly version: 1;
  /** Creates a plan worktree; `open` defaults to `none` here. */
  create(args: CreateArgs & { title: string }): Promise<PlanRecord>;
  /** Every worktree of every repository of the workspace, with its plan. */
  list(): Promise<PlanWorktree[]>;
  merge(plan: string, options?: { strategy?: MergeStrategy; commitUncommitted?: boolean; cleanup?: boolean }): Promise<MergeResult>;
  cleanup(plan: string, options?: { force?: boolean }): Promise<CleanupResult>;
  /** Fires when plans or their state change. */
  readonly onDidChange: vscode.Event<void>;
}

export function createApi(repositories: PlanRepositories): PlanWorktreesApi {
  const changed = new vscode.EventEmitter<void>();
  repositories.onDidChange(() => changed.fire());
  const command = <T>(id: string, args: unknown): Promise<T> => Promise.resolve(vscode.commands.executeCommand<T>(id, args));
  return {
    version: 1,
    create: (args) => command<PlanRecord>('planWorktrees.create', { open: 'none', ...args }),
    list: async () => (await repositories.allItems()).map(({ item }) => item),
    merge: (plan, options = {}) => command<MergeResult>('planWorktrees.merge', { plan, ...options }),
    cleanup: (plan, options = {}) => command<CleanupResult>('planWorktrees.cleanup', { plan, ...options }),
    onDidChange: changed.event,
  };
}
