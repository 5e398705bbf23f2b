/**
 * Reads the `planWorktrees.*` settings. The engine's part becomes an
 * EngineSettings; the rest is for the UI only.
 */
import * as vscode from 'vscode';
import { defaultSettings, EngineSettings } from '../model/engine/types';
import type { DependencyMode } from '../model/environment/dependencyFolders';
import {
  ConfigurableSettings,
  readRepositoryConfig,
  withRepositoryConfig,
} from '../model/environment/repositoryConfig';

export type OpenAfterCreate = 'newWindow' | 'currentWindow' | 'ask' | 'none';
export type GuardMode = 'off' | 'warn' | 'readOnly';
export type MergeStrategySetting = 'merge' | 'squash' | 'fastForward' | 'rebase' | 'ask';
export type AfterMerge = 'cleanup' | 'ask' | 'keep';
export type DirtyBaseSetting = 'refuse' | 'ask' | 'move';

export interface UiSettings {
  openAfterCreate: OpenAfterCreate;
  guardMode: GuardMode;
  mergeStrategy: MergeStrategySetting;
  afterMerge: AfterMerge;
  dirtyBase: DirtyBaseSetting;
  postCreateCommand: string;
}

function config(scope?: vscode.Uri): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('planWorktrees', scope);
}

/**
 * The settings the engine uses. `dirtyBase: ask` is decided by the UI before
 * a create, so the engine gets `refuse` here and the caller overrides it.
 */
export function readEngineSettings(scope?: vscode.Uri): EngineSettings {
  const c = config(scope);
  const repository = configurable(c, scope);
  return {
    worktreeLocation: c.get<string>('worktreeLocation') || defaultSettings.worktreeLocation,
    branchTemplate: c.get<string>('branchTemplate') || defaultSettings.branchTemplate,
    copyFiles: repository.copyFiles,
    dirtyBase: c.get<DirtyBaseSetting>('dirtyBase') === 'move' ? 'move' : 'refuse',
    disposableFolders: stringList(c.get<unknown>('disposableFolders')) ?? defaultSettings.disposableFolders,
    snapshotLimitMB: positiveNumber(c.get<number>('snapshotLimitMB')) ?? defaultSettings.snapshotLimitMB,
    dependencyFolders: modeMap(c.get<unknown>('dependencyFolders')) ?? defaultSettings.dependencyFolders,
    ports: { ...defaultSettings.ports, ...numberMap(c.get<unknown>('ports')) },
    fetchBase: c.get<boolean>('fetchBase') ?? defaultSettings.fetchBase,
    pullRequests: {
      remote: c.get<string>('pullRequests.remote') || defaultSettings.pullRequests.remote,
      ref: c.get<string>('pullRequests.ref') || defaultSettings.pullRequests.ref,
    },
    updateSubmodules: repository.updateSubmodules,
    preRemoveCommand: repository.preRemoveCommand,
    preRemoveTimeoutMs: defaultSettings.preRemoveTimeoutMs,
  };
}

/** An object setting of folder → mode, as VS Code merges it from every scope (the engine checks the entries). */
function modeMap(value: unknown): Record<string, DependencyMode> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, DependencyMode>;
}

function numberMap(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'number'));
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

function positiveNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** How "Update from <base>" brings the base in: `updateFromBase.strategy`. */
export function readUpdateStrategy(scope?: vscode.Uri): 'rebase' | 'merge' | 'ask' {
  const value = config(scope).get<string>('updateFromBase.strategy');
  return value === 'rebase' || value === 'merge' ? value : 'ask';
}

export function readUiSettings(scope?: vscode.Uri): UiSettings {
  const c = config(scope);
  return {
    openAfterCreate: c.get<OpenAfterCreate>('openAfterCreate', 'newWindow'),
    guardMode: c.get<GuardMode>('guard.mode', 'warn'),
    mergeStrategy: c.get<MergeStrategySetting>('merge.strategy', 'ask'),
    afterMerge: c.get<AfterMerge>('afterMerge', 'ask'),
    dirtyBase: c.get<DirtyBaseSetting>('dirtyBase', 'ask'),
    postCreateCommand: configurable(c, scope).postCreateCommand,
  };
}

/**
 * The settings a repository can also give in its checked-in
 * `.vscode/plan-worktrees.json` (read from `scope`, the repository's folder):
 * the user's where they set one, else the file's — read only in a trusted
 * folder — else the defaults.
 */
function configurable(c: vscode.WorkspaceConfiguration, scope?: vscode.Uri): ConfigurableSettings {
  const trusted = vscode.workspace.isTrusted;
  // In Restricted Mode VS Code ignores the workspace's values of these settings (restrictedConfigurations).
  const userValue = <T>(key: string): T | undefined => {
    const i = c.inspect<T>(key);
    return trusted ? (i?.workspaceFolderValue ?? i?.workspaceValue ?? i?.globalValue) : i?.globalValue;
  };
  const userSet: Partial<ConfigurableSettings> = {
    postCreateCommand: stringValue(userValue('postCreateCommand')),
    preRemoveCommand: stringValue(userValue('preRemoveCommand')),
    copyFiles: stringList(userValue('copyFiles')),
    updateSubmodules: booleanValue(userValue('updateSubmodules')),
  };
  const file = trusted && scope?.scheme === 'file' ? readRepositoryConfig(scope.fsPath).config : {};
  return withRepositoryConfig(repositoryDefaults, userSet, file, trusted);
}

const repositoryDefaults: ConfigurableSettings = {
  postCreateCommand: '',
  preRemoveCommand: defaultSettings.preRemoveCommand,
  copyFiles: defaultSettings.copyFiles,
  updateSubmodules: defaultSettings.updateSubmodules,
};

function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function booleanValue(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

/** What is wrong with the repository's `.vscode/plan-worktrees.json` (for the log); nothing in an untrusted folder, where it is not read. */
export function repositoryConfigProblems(mainPath: string): string[] {
  return vscode.workspace.isTrusted ? readRepositoryConfig(mainPath).problems : [];
}
