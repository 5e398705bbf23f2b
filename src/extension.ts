/**
 * Wires the three layers together and nothing else: the git runner, the
 * engines of the workspace's repositories, and the views and commands.
 */
import * as vscode from 'vscode';
import { Git } from './git/runner';
import { ActivityPublisher, PlanActivityWatch } from './ui/activity';
import { PlanRecord } from './model/engine/types';
import { registerCommands } from './ui/commands/index';
import { MainCheckoutGuard } from './ui/guard';
import { MainCheckoutWrites } from './ui/mainWrites';
import { PlanBaseContentProvider } from './ui/planBaseContent';
import { PlanFileIndex } from './ui/planFiles/fileIndex';
import { registerPlanFiles } from './ui/planFiles/index';
import { PlanTreeProvider } from './ui/planTree';
import { PlanWindowWatch } from './ui/planWindowGone';
import { preparePlanWindow } from './ui/planWindow';
import { PlanRepositories } from './ui/repositories';
import { PlanSourceControls } from './ui/scm';
import { GuardStatusBar } from './ui/statusBar';
import { isTrusted, onDidGrantTrust, restrictedModeNote } from './ui/trust';
import { createApi, PlanWorktreesApi } from './ui/api';
import { withTesting } from './ui/testing';

export async function activate(context: vscode.ExtensionContext): Promise<PlanWorktreesApi> {
  const log = vscode.window.createOutputChannel('Plan Worktrees', { log: true });
  // Restricted Mode lives in the runner: while untrusted, it runs only git that cannot start a program the repository names.
  // Git processes start in a small helper process, never by forking this large one (see GitOptions.processHost).
  const git = new Git({ log, trusted: isTrusted, processHost: context.asAbsolutePath('dist/gitProcessHost.js') });
  const repositories = new PlanRepositories(git, log);
  const guard = new MainCheckoutGuard(repositories, log);
  const writes = new MainCheckoutWrites(repositories, log);
  const statusBar = new GuardStatusBar(repositories, guard, writes);
  const planWindowWatch = new PlanWindowWatch(repositories, statusBar);
  const planFiles = new PlanFileIndex(repositories, log);
  const activity = new PlanActivityWatch(repositories);
  publisher = new ActivityPublisher(repositories);
  const tree = new PlanTreeProvider(repositories, planFiles, activity);
  const scm = new PlanSourceControls(repositories);
  const treeView = vscode.window.createTreeView('planWorktrees.plans', {
    treeDataProvider: tree,
    showCollapseAll: true,
  });
  treeView.message = isTrusted() ? undefined : restrictedModeNote();
  context.subscriptions.push(
    log,
    git,
    repositories,
    guard,
    writes,
    statusBar,
    planWindowWatch,
    activity,
    publisher,
    tree,
    treeView,
    PlanBaseContentProvider.register(repositories),
    scm,
    registerCommands({ repositories, scm, guard, writes, planFiles, log }),
    planFiles,
    registerPlanFiles({ repositories, index: planFiles, log }),
    onDidGrantTrust(async () => {
      treeView.message = undefined;
      log.info('The folder is trusted now: reading every plan');
      await repositories.ready;
      await repositories.refresh();
      await publisher?.start();
      await preparePlanWindow(context, repositories);
    }),
  );
  log.info(`Plan Worktrees ${context.extension.packageJSON.version} activated`);
  // The tree paints what the last session kept before any git process; git's answers follow in the background.
  // In Restricted Mode the tree waits for git's list, as before.
  const painted = isTrusted() && (await repositories.paintFromMemory());
  const started = publisher;
  repositories.startUp(
    (async () => {
      // The first paint from memory goes first (the view asks for it as soon as it shows; a few ms): git's processes
      // and their replies, on the same thread, would hold it back by hundreds of ms. A hidden view asks for nothing.
      if (painted) await tree.waitForFirstPaint(treeView, FIRST_PAINT_WAIT_MS);
      await repositories.discover();
      // Before the setup task starts: it is a command of the plan's window too.
      await started.start();
      await preparePlanWindow(context, repositories);
      await planWindowWatch.start();
      await activity.start();
    })(),
  );
  const api = createApi(repositories, {
    guardScript: context.asAbsolutePath('bin/plan-worktrees-guard.js'),
    activity,
  });
  return withTesting(api, context, {
    repositories,
    guard,
    writes,
    statusBar,
    planWindowWatch,
    activity,
    publisher,
    tree,
    treeView,
    scm,
    planFiles,
  });
}

/** How long the start-up's git work waits for the tree's first paint from memory, at most. */
const FIRST_PAINT_WAIT_MS = 200;

/** This window's plan activity publisher: deactivate writes that the window closed. */
let publisher: ActivityPublisher | undefined;

export async function deactivate(): Promise<void> {
  // Everything else is disposed through context.subscriptions.
  await publisher?.close();
}

export type { PlanRecord, PlanWorktreesApi };
