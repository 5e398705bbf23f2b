/**
 * Helpers for tests that run inside the real VS Code extension host.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'planworktrees.plan-worktrees';

/** The repository root of this project (the development extension's folder). */
export const projectRoot = path.resolve(__dirname, '..', '..', '..');

/** Activates the extension under test and returns its API. */
export async function activateExtension<T = unknown>(): Promise<T> {
  const extension = vscode.extensions.getExtension<T>(EXTENSION_ID);
  if (!extension) throw new Error(`Extension ${EXTENSION_ID} is not loaded in this host.`);
  const api = await extension.activate();
  // activate returns before git has answered (the tree paints from memory meanwhile): the tests start from what git says.
  await (api as { testing?: { repositories?: { ready?: Promise<void> } } }).testing?.repositories?.ready;
  return api;
}

/** Waits until `check` returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * Screenshots are taken by the browser-driven runner of `npm test`
 * (scripts/run-host-tests.js); desktop VS Code (`npm run test:desktop`) has no one to take them.
 */
export const canScreenshot = process.env.PLAN_WORKTREES_HOST === 'web';

/**
 * Asks the test runner (which drives the browser) for a screenshot of the
 * whole workbench, saved as artifacts/<name>.png, and waits until it exists.
 * Returns the file's path.
 */
export async function screenshot(name: string, options: { clearNotifications?: boolean } = {}): Promise<string> {
  if (options.clearNotifications) await vscode.commands.executeCommand('notifications.clearAll');
  const dir = path.join(projectRoot, 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.failed`, { force: true });
  console.log(`[plan-worktrees:screenshot] ${file}`);
  await waitFor(
    () => {
      if (fs.existsSync(`${file}.failed`)) throw new Error(fs.readFileSync(`${file}.failed`, 'utf8'));
      return fs.existsSync(file);
    },
    `screenshot ${name}`,
    30_000,
  );
  return file;
}

/** The extension's API in test mode, with its UI objects for inspection. */
export interface TestingApi {
  create(
    args: Record<string, unknown>,
  ): Promise<{ id: string; title: string; path: string; branch: string; base: string }>;
  list(): Promise<Array<{ kind: string; plan?: { id: string; title: string }; worktree?: { path: string } }>>;
  testing: {
    /** The extension's log folder; the "Plan Worktrees" output channel's file is in a sibling folder. */
    logUri: vscode.Uri;
    repositories: { engines: Array<{ repo: { mainPath: string; commonDir: string } }> };
    guard: { events: Array<{ kind: string; file?: string; message: string }>; editsAllowed: boolean };
    writes: {
      files(engine: unknown): string[];
      moveToPlan(engine: unknown, args?: Record<string, unknown>): Promise<unknown>;
      dismiss(engine: unknown): void;
      settled(): Promise<void>;
    };
    statusBar: {
      state: { visible: boolean; text: string; tooltip: string; warning: boolean };
      update(): Promise<void>;
    };
    tree: {
      getChildren(node?: unknown): Promise<unknown[]>;
      getTreeItem(node: unknown): vscode.TreeItem;
      resolveTreeItem(item: vscode.TreeItem, node: unknown): Promise<vscode.TreeItem>;
    };
    /** The Plans view as the workbench shows it. */
    treeView: vscode.TreeView<unknown>;
    scm: {
      forPlan(
        planId: string,
        run?: number,
      ):
        | {
            sourceControl: vscode.SourceControl;
            committed: vscode.SourceControlResourceGroup;
            uncommitted: vscode.SourceControlResourceGroup;
            update(): Promise<void>;
            provideOriginalResource(uri: vscode.Uri): vscode.Uri | undefined;
          }
        | undefined;
      sync(): Promise<void>;
    };
  };
}

export interface ShownItem {
  label: string;
  description: string;
  contextValue: string;
  node: unknown;
}

/** The tree's top-level items as a user sees them (after their state has loaded). */
export async function treeItems(api: TestingApi): Promise<ShownItem[]> {
  const nodes = await api.testing.tree.getChildren();
  return nodes.map((node) => {
    const item = api.testing.tree.getTreeItem(node);
    const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
    return { label, description: String(item.description ?? ''), contextValue: item.contextValue ?? '', node };
  });
}

/**
 * An item's tooltip as a person hovering it sees it: VS Code asks the view to
 * resolve an item that has none (worktree items make theirs then).
 */
export async function hoverTooltip(
  tree: Pick<TestingApi['testing']['tree'], 'getTreeItem' | 'resolveTreeItem'>,
  node: unknown,
): Promise<vscode.TreeItem['tooltip']> {
  const item = tree.getTreeItem(node);
  return item.tooltip ?? (await tree.resolveTreeItem(item, node)).tooltip;
}

/** The main checkout this host was opened on. */
export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('The host was opened without a folder.');
  return folder.uri.fsPath;
}

/** Runs git in a folder, as a user would in a terminal. */
export function gitIn(cwd: string, ...args: string[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { execFileSync } = require('child_process') as typeof import('child_process');
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Creates a plan through the command with arguments (no prompt, not opened). */
export async function createPlan(
  id: string,
  title: string,
): Promise<{ id: string; path: string; branch: string; base: string }> {
  const plan = await vscode.commands.executeCommand<{ id: string; path: string; branch: string; base: string }>(
    'planWorktrees.create',
    { id, title, open: 'none' },
  );
  if (!plan) throw new Error(`create ${id} returned nothing`);
  return plan;
}

/** Writes files in a folder and commits them there with plain git. */
export function commitIn(cwd: string, files: Record<string, string>, message: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('fs') as typeof import('fs');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(cwd, name)), { recursive: true });
    fs.writeFileSync(path.join(cwd, name), content);
  }
  gitIn(cwd, 'add', '-A');
  gitIn(cwd, 'commit', '-q', '-m', message);
  return gitIn(cwd, 'rev-parse', 'HEAD');
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('planWorktrees').update(key, value, vscode.ConfigurationTarget.Global);
}

/**
 * The commands a tree item's context menu offers (`group` "inline" for the
 * buttons on the item): the manifest's `view/item/context` entries whose
 * `viewItem =~ /…/` conditions all hold for `contextValue`. Context keys of
 * the window (isWeb, remoteName) are left out.
 */
export function menuCommands(contextValue: string, group: 'inline' | 'menu'): string[] {
  const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
    contributes: { menus: Record<string, Array<{ command: string; when: string; group?: string }>> };
  };
  return manifest.contributes.menus['view/item/context']
    .filter((entry) => (group === 'inline') === (entry.group ?? '').startsWith('inline'))
    .filter((entry) =>
      [...entry.when.matchAll(/(!\()?viewItem =~ \/(.*?)\/(?=\)?( |$))/g)].every(
        ([, negated, pattern]) => new RegExp(pattern).test(contextValue) === !negated,
      ),
    )
    .map((entry) => entry.command);
}

/**
 * Lets the Plans view draw what the tests read: `treeItems` reads the
 * provider with nodes of its own, so the view shows their state after it
 * asks again (a refresh), which takes a moment to draw.
 */
export async function settleTree(): Promise<void> {
  await vscode.commands.executeCommand('planWorktrees.refresh');
  await new Promise((r) => setTimeout(r, 1500));
}

/** Makes the side bar wide enough that tree descriptions are not cut off. */
export async function widenSideBar(steps = 6): Promise<void> {
  // Narrowing the editor area widens the side bar beside it.
  await vscode.commands.executeCommand('workbench.action.focusFirstEditorGroup');
  for (let i = 0; i < steps; i++) await vscode.commands.executeCommand('workbench.action.decreaseViewWidth');
}

/** The browser-driven runner also clicks and types for a test (`act`); desktop VS Code has no one to. */
export const canAct = canScreenshot;

/** One thing a person does with mouse or keyboard (see the `act` mark in scripts/run-host-tests.js). */
export type PersonStep =
  | { click: string; in: 'notification' | 'notificationCenter' | 'dialog' | 'quickInput' }
  | { see: string; in: 'notification' | 'notificationCenter' | 'dialog' | 'quickInput' }
  | { absent: string; in: 'notification' | 'notificationCenter' | 'dialog' | 'quickInput' }
  | { value: string }
  | { type: string }
  | { press: string };

/**
 * Has the test runner do, in this window, what a person does: read a
 * notification, a dialog or the quick input, click a button, type, press a key. Resolves when it is
 * done; fails with the reason when a step could not be done.
 */
export async function act(...steps: PersonStep[]): Promise<void> {
  const dir = path.join(projectRoot, 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  const done = path.join(dir, `act-${process.pid}-${Date.now()}-${Math.random().toString(16).slice(2)}.txt`);
  console.log(`[plan-worktrees:act] ${JSON.stringify({ steps, done })}`);
  const answer = await waitFor(
    () => fs.existsSync(done) && fs.readFileSync(done, 'utf8'),
    `the runner to ${JSON.stringify(steps)}`,
    60_000,
  );
  fs.rmSync(done, { force: true });
  if (answer !== 'ok') throw new Error(`Could not ${JSON.stringify(steps)}: ${answer}`);
}
