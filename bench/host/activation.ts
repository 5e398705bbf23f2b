/**
 * Loaded by the extension host as `extensionTestsPath` (see bench/hostActivation.ts):
 * measures, inside the real VS Code, the time from `activate()` of Plan
 * Worktrees to the first items of the `planWorktrees.plans` tree, and to the
 * moment every item's state (dirty counts, ahead/behind, merged) has loaded.
 * The extension copy it runs has no start-up activation events, so nothing
 * has run before the clock starts. Prints one line `[plan-worktrees:bench] {json}`.
 */
import * as vscode from 'vscode';

const EXTENSION_ID = 'planworktrees.plan-worktrees';
const TIMEOUT_MS = 120_000;

interface Node {
  type: string;
  item?: { worktree?: unknown };
  details?: unknown;
}

interface TestingApi {
  testing: {
    tree: { getChildren(node?: unknown): Promise<Node[]> };
    repositories: { engines: ReadonlyArray<{ flushState(): Promise<void> }> };
  };
}

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension<TestingApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not loaded in this host.`);
  const activeBefore = extension.isActive;
  const started = performance.now();
  const api = await extension.activate();
  const activated = performance.now();
  const deadline = Date.now() + TIMEOUT_MS;
  let nodes = await api.testing.tree.getChildren();
  while (nodes.length === 0) {
    if (Date.now() > deadline) throw new Error('The tree showed no items.');
    await sleep(2);
    nodes = await api.testing.tree.getChildren();
  }
  const firstItems = performance.now();
  // The tree's current nodes, each time: items painted from memory are replaced by git's once it has listed the
  // worktrees (a worktree the last session did not know has no state until then).
  const worktreeNodes = (all: Node[]) => all.filter((n) => n.type === 'worktree' && n.item?.worktree);
  let worktrees = worktreeNodes(nodes);
  while (!worktrees.every((n) => n.details !== undefined)) {
    if (Date.now() > deadline) throw new Error('The state of the items did not load.');
    await sleep(2);
    nodes = await api.testing.tree.getChildren();
    worktrees = worktreeNodes(nodes);
  }
  // Every item has a state: from the state cache (marked last known) or read.
  const allDetails = performance.now();
  const painted = worktrees.filter((n) => (n.details as { lastKnown?: unknown }).lastKnown).length;
  // Then git has confirmed each (the background verify): the tree's current nodes have no last-known state left.
  for (;;) {
    const now = (await api.testing.tree.getChildren()).filter((n) => n.type === 'worktree' && n.item?.worktree);
    if (now.every((n) => n.details !== undefined && !(n.details as { lastKnown?: unknown }).lastKnown)) break;
    if (Date.now() > deadline) throw new Error('The state of the items was not verified.');
    await sleep(5);
  }
  const verified = performance.now();
  // A window open for longer keeps what it read for the next session (PERSIST_DELAY_MS after a read): the next run's.
  await Promise.all(api.testing.repositories.engines.map((e) => e.flushState()));
  const result = {
    vscode: vscode.version,
    activeBefore,
    activateMs: activated - started,
    firstItemsMs: firstItems - started,
    allDetailsMs: allDetails - started,
    /** Items whose first state came from the state cache. */
    paintedFromCache: painted,
    verifiedMs: verified - started,
    items: nodes.length,
    worktrees: worktrees.length,
  };
  console.log(`[plan-worktrees:bench] ${JSON.stringify(result)}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
