/**
 * Helpers for the tests of worktree state, diff, merge and snapshots: a
 * RepoContext on a real repository, and plan worktrees made with plain git
 * (so these tests do not depend on the create operation).
 */
import * as path from 'path';
import { Git } from '../../../src/git/runner';
import { discoverRepository } from '../../../src/model/engine/repository';
import { defaultSettings, PlanRecord, RepoContext } from '../../../src/model/engine/types';
import { git, TestRepo } from './repo';
import { silentLogger } from '../../../src/git/log';

/** A context for the repository that `folder` is in, with a fresh Git runner. */
export async function openContext(folder: string, runner = new Git()): Promise<RepoContext> {
  const repo = await discoverRepository(runner, folder);
  return { git: runner, log: silentLogger, repo, settings: defaultSettings };
}

/** Counts the git processes `runner` starts from now on: the returned function says how many so far. */
export function processCounter(runner: Git): () => number {
  const start = runner.processCount;
  return () => runner.processCount - start;
}

/**
 * Adds a worktree on a new branch `plan/<id>` from `base` in `<root>/<folder>`
 * (default `plan <id>`, with a space) and returns its plan record.
 */
export function addPlan(
  repo: TestRepo,
  id: string,
  options: { base?: string; folder?: string; title?: string } = {},
): PlanRecord {
  const base = options.base ?? 'main';
  const branch = `plan/${id}`;
  const folder = path.join(repo.root, options.folder ?? `plan ${id}`);
  git(repo.main, 'worktree', 'add', '-q', '-b', branch, folder, base);
  return {
    id,
    title: options.title ?? `Plan ${id}`,
    slug: id,
    branch,
    path: folder,
    base,
    baseCommit: git(repo.main, 'rev-parse', base),
    created: new Date(0).toISOString(),
    status: 'active',
    run: 1,
  };
}
