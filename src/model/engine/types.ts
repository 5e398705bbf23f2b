/**
 * The shapes shared across the model. No vscode import here or anywhere in
 * src/model: the model is tested on plain Node against real repositories.
 */
import type { Git } from '../../git/commands/git';
import type { Logger } from '../../git/log';
import type { DependencyMethod, DependencyMode } from '../environment/dependencyFolders';
import { defaultPorts, PortSettings } from '../environment/ports';

/** Where a repository lives, found from any folder inside any of its worktrees. */
export interface RepositoryInfo {
  /** The main worktree's folder (for a bare repository: the repository folder). */
  mainPath: string;
  /** `git rev-parse --git-common-dir`, absolute: shared by every worktree. Our state lives here. */
  commonDir: string;
  /** The top folder of the worktree that the discovery started from. */
  currentPath: string;
  /** True when the repository is bare (no main checkout). */
  bare: boolean;
}

export type PlanStatus = 'active' | 'merged' | 'removed' | 'abandoned';

/** What a plan *means*: one entry of `plan-worktrees/plans.json`. Git says what exists. */
export interface PlanRecord {
  id: string;
  title: string;
  slug: string;
  /** Short branch name, e.g. `plan/189-feature-xyz`. */
  branch: string;
  /** Absolute worktree folder. */
  path: string;
  /** Short name of the base branch, e.g. `main`. */
  base: string;
  /** The base commit at creation. */
  baseCommit: string;
  /** ISO time of creation. */
  created: string;
  status: PlanStatus;
  /** Which run of this plan id this is (1 for the first). */
  run: number;
  /** The plan file it came from, relative to the main worktree, if any. */
  planFile?: string;
  /** ISO time of the last status change. */
  updated?: string;
  /** Set while `createPlan` is still building the worktree (the entry is reserved first, under the registry lock). */
  creating?: boolean;
  /** While `creating`: the process that reserved the entry, so the doctor can tell a running create from one whose process died. */
  creator?: { pid: number; hostname: string };
  /** The first port of the plan's port block (`PLAN_WORKTREES_PORT`); plans created before ports were given have none. */
  port?: number;
  /**
   * True when the plan adopted a branch that existed before it (a local one,
   * or one of a remote that create made a local tracking branch of): clean-up
   * deletes such a branch only when its work is merged.
   */
  adopted?: boolean;
  /** The dependency folders made in the plan at create, and how. */
  dependencyFolders?: Array<{ folder: string; method: DependencyMethod }>;
  /** The last run of the setup command (`postCreateCommand`): running, or how it ended (its exit code). */
  setup?: SetupResult;
}

/** How the setup command of a plan last ran. */
export interface SetupResult {
  status: 'running' | 'ok' | 'failed';
  /** The exit code, once it ended (none when the terminal was closed before it did). */
  exitCode?: number;
  /** ISO time of the change. */
  time: string;
}

export interface RegistryData {
  version: 1;
  plans: PlanRecord[];
}

/** Settings the engine needs; the UI reads them from VS Code, tests pass them. */
export interface EngineSettings {
  /** Default `${repoParent}/${repoName}.plans/${id}-${slug}`. */
  worktreeLocation: string;
  /** Default `plan/${id}-${slug}`. */
  branchTemplate: string;
  /** Default ['.env', '.env.*']. */
  copyFiles: string[];
  /** What create does when the main checkout has uncommitted changes. `ask` is decided by the UI before calling. */
  dirtyBase: 'refuse' | 'move' | 'ignore';
  /** Folders (a name at any depth, or a path from the root) whose ignored files a removal deletes without a snapshot. */
  disposableFolders: string[];
  /** The most ignored files, all together, a snapshot holds (MB); above it a removal is refused. */
  snapshotLimitMB: number;
  /** Dependency folders (relative to the root) made ready in a new plan, and how: copied, hard-linked or symlinked. */
  dependencyFolders: Record<string, DependencyMode>;
  /** The range of ports plans get their blocks from. */
  ports: PortSettings;
  /** Whether create fetches the base's upstream first (when it has one), so that a plan does not start from a stale base. */
  fetchBase: boolean;
  /** Where a plan started from a pull request's head fetches it: the remote, and the remote's ref (`${number}` is the pull request's number). */
  pullRequests: { remote: string; ref: string };
  /** Check out the submodules of a new plan (`git submodule update --init --recursive`) when its worktree has a `.gitmodules`. */
  updateSubmodules: boolean;
  /** A shell command run in a plan's worktree before a clean-up or discard removes it (not a forced clean-up); empty for none. */
  preRemoveCommand: string;
  /** How long the pre-remove command may run before it is stopped and the clean-up refused (ms). */
  preRemoveTimeoutMs: number;
}

export const defaultSettings: EngineSettings = {
  worktreeLocation: '${repoParent}/${repoName}.plans/${id}-${slug}',
  branchTemplate: 'plan/${id}-${slug}',
  copyFiles: ['.env', '.env.*'],
  dirtyBase: 'refuse',
  disposableFolders: [
    'node_modules',
    'bower_components',
    '.venv',
    'venv',
    '__pycache__',
    '.pytest_cache',
    '.mypy_cache',
    '.tox',
    'target',
    'dist',
    'build',
    'out',
    '.next',
    '.nuxt',
    '.turbo',
    '.parcel-cache',
    '.cache',
    '.gradle',
  ],
  snapshotLimitMB: 100,
  dependencyFolders: { node_modules: 'copy' },
  ports: defaultPorts,
  fetchBase: true,
  pullRequests: { remote: 'origin', ref: 'refs/pull/${number}/head' },
  updateSubmodules: true,
  preRemoveCommand: '',
  preRemoveTimeoutMs: 120_000,
};

/** One line of `plan-worktrees/events.jsonl`. */
export interface LifecycleEvent {
  /** e.g. `create.before`, `create.after`, `create.failed`, `merge.after`, `remove.after`, `snapshot`, `restore.after`, `keep`. */
  type: string;
  /** ISO time. */
  time: string;
  planId?: string;
  branch?: string;
  [key: string]: unknown;
}

/** Everything an operation needs to act on one repository. */
export interface RepoContext {
  git: Git;
  log: Logger;
  repo: RepositoryInfo;
  settings: EngineSettings;
}
