/**
 * Reads the `planWorktrees.*` settings. The engine's part becomes an
 * EngineSettings; the rest is for the UI only.
 */
import * as vscode from 'vscode';
import { defaultSettings, EngineSettings } from '../model/engine/types';
import type { DependencyMode } from '../model/environment/dependencyFolders';

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
  return {
    worktreeLocation: c.get<string>('worktreeLocation') || defaultSettings.worktreeLocation,
    branchTemplate: c.get<string>('branchTemplate') || defaultSettings.branchTemplate,
    copyFiles: c.get<string[]>('copyFiles') ?? defaultSettings.copyFiles,
    dirtyBase: c.get<DirtyBaseSetting>('dirtyBase') === 'move' ? 'move' : 'refuse',
    disposableFolders: stringList(c.get<unknown>('disposableFolders')) ?? defaultSettings.disposableFolders,
    snapshotLimitMB: positiveNumber(c.get<number>('snapshotLimitMB')) ?? defaultSettings.snapshotLimitMB,
    dependencyFolders: modeMap(c.get<unknown>('dependencyFolders')) ?? defaultSettings.dependencyFolders,
    ports: { ...defaultSettings.ports, ...numberMap(c.get<unknown>('ports')) },
    fetchBase: c.get<boolean>('fetchBase') ?? defaultSettings.fetchBase,
    updateSubmodules: c.get<boolean>('updateSubmodules') ?? defaultSettings.updateSubmodules,
    preRemoveCommand: c.get<string>('preRemoveCommand') ?? '',
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
    postCreateCommand: c.get<string>('postCreateCommand', ''),
  };
}
