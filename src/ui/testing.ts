/**
 * The UI objects the host tests inspect (test/host/helpers.ts, `TestingApi`),
 * added to the API only when VS Code runs the extension for its tests
 * (`ExtensionMode.Test`); an installed extension's API never has them.
 */
import * as vscode from 'vscode';
import { ActivityPublisher, PlanActivityWatch } from './activity';
import { MainCheckoutGuard } from './guard';
import { MainCheckoutWrites } from './mainWrites';
import { PlanFileIndex } from './planFiles/fileIndex';
import { PlanTreeProvider } from './planTree';
import { PlanWindowWatch } from './planWindowGone';
import { PlanRepositories } from './repositories';
import { PlanSourceControls } from './scm';
import { GuardStatusBar } from './statusBar';

export interface TestingParts {
  repositories: PlanRepositories;
  guard: MainCheckoutGuard;
  writes: MainCheckoutWrites;
  statusBar: GuardStatusBar;
  planWindowWatch: PlanWindowWatch;
  activity: PlanActivityWatch;
  publisher: ActivityPublisher;
  tree: PlanTreeProvider;
  treeView: vscode.TreeView<unknown>;
  scm: PlanSourceControls;
  planFiles: PlanFileIndex;
}

/** `api`, with `testing` (the parts and the extension's log folder) in test mode only. */
export function withTesting<T extends object>(
  api: T,
  context: vscode.ExtensionContext,
  parts: TestingParts,
): T | (T & { testing: TestingParts & { logUri: vscode.Uri } }) {
  if (context.extensionMode !== vscode.ExtensionMode.Test) return api;
  return Object.assign(api, { testing: { ...parts, logUri: context.logUri } });
}
