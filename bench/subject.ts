/**
 * The extension's side of each benchmark: the PlanEngine facade, called the
 * way the tree view and the commands call it, with the extension's git runner
 * (simple-git, the default limit of 8 processes at once, git started by the
 * helper process src/git/gitProcessHost.ts as in the extension).
 */
import * as path from 'path';
import { Git } from '../src/git/runner';
import { PlanEngine, PlanWorktree } from '../src/model/engine/planEngine';
import { WorktreeDetails } from '../src/model/state/state';
import { EngineSettings, PlanRecord } from '../src/model/engine/types';
import { CountingLog } from './countingLog';

export type SubjectItem = PlanWorktree;

export interface Subject {
  maxConcurrent: number;
  /** First paint: the worktrees and their plans, no state. */
  list(): Promise<SubjectItem[]>;
  /** Opens a new engine (not measured), so that the next `stateFirstRead` starts with nothing cached. */
  fresh(): Promise<void>;
  /** The state of every item, as the tree asks for it (one `details` per item, in one tick), with nothing cached. */
  stateFirstRead(items: SubjectItem[]): Promise<Map<string, WorktreeDetails>>;
  /** Everything forgotten, then every item's state again (the Refresh command). */
  refresh(items: SubjectItem[]): Promise<Map<string, WorktreeDetails>>;
  /** What a file-system event in one worktree leads to: that worktree invalidated, then the list and every item's state again. */
  incremental(worktreePath: string): Promise<Map<string, WorktreeDetails>>;
  /** What an event in the common git directory that changed no worktree leads to (a registry write, a ref of no plan's base): `invalidate()`, the list and every item's state. */
  refreshUnchanged(): Promise<Map<string, WorktreeDetails>>;
  /** Reads every state with an engine that keeps them (persistState) and writes its cache file (not measured). */
  writeStateCache(): Promise<void>;
  /** A new session: the engine opened, the list, and every item's last known state from the cache file; throws unless every worktree has one. */
  paintFromCache(): Promise<number>;
  create(options: { id: string; title: string }): Promise<PlanRecord>;
  merge(plan: PlanRecord): Promise<unknown>;
  cleanup(plan: PlanRecord): Promise<unknown>;
}

const MAX_CONCURRENT = 8;

/** `settings`: the engine's settings where they differ from the defaults. */
export async function openSubject(
  folder: string,
  log: CountingLog,
  settings: Partial<EngineSettings> = {},
): Promise<Subject> {
  const git = new Git({
    log,
    maxConcurrent: MAX_CONCURRENT,
    // Transpiled beside this file's folder: <out>/src/git/gitProcessHost.js.
    processHost: path.join(__dirname, '..', 'src', 'git', 'gitProcessHost.js'),
  });
  // As the extension opens it: its watchers call invalidate() for every change in the common git directory.
  const open = () => PlanEngine.open(folder, { git, log, settings, watched: true });
  const engine = await open();
  let firstReader = await open();

  return {
    maxConcurrent: MAX_CONCURRENT,
    // First paint: nothing remembered (the engine keeps git's last list while nothing it reads changed).
    list: () => {
      engine.invalidate();
      return engine.list();
    },
    fresh: async () => {
      firstReader = await open();
    },
    stateFirstRead: (items) => detailsOf(firstReader, items),
    refresh: (items) => {
      engine.forget();
      return detailsOf(engine, items);
    },
    incremental: async (worktreePath) => {
      engine.invalidate(worktreePath);
      return detailsOf(engine, await engine.list());
    },
    refreshUnchanged: async () => {
      engine.invalidate();
      return detailsOf(engine, await engine.list());
    },
    writeStateCache: async () => {
      const keeper = await PlanEngine.open(folder, { git, log, settings, persistState: true, watched: true });
      await detailsOf(keeper, await keeper.list());
      await keeper.flushState();
    },
    paintFromCache: async () => {
      const next = await PlanEngine.open(folder, { git, log, settings, persistState: true, watched: true });
      const rows = (await next.list()).filter((i) => i.worktree);
      const painted = rows.filter((i) => next.lastKnown(i) !== undefined).length;
      if (painted !== rows.length)
        throw new Error(`only ${painted} of ${rows.length} worktrees had a last known state`);
      return painted;
    },
    create: (options) => engine.create(options),
    merge: (plan) => engine.merge(plan.id, { strategy: 'merge' }),
    cleanup: (plan) => engine.cleanup(plan.id),
  };
}

async function detailsOf(engine: PlanEngine, items: SubjectItem[]): Promise<Map<string, WorktreeDetails>> {
  const withWorktree = items.filter((i) => i.worktree);
  const details = await Promise.all(withWorktree.map((i) => engine.details(i)));
  return new Map(withWorktree.map((i, k) => [i.worktree?.path as string, details[k]]));
}
