/**
 * Loaded by the extension host as `extensionTestsPath` (see bench/hostActivation.ts):
 * measures, inside the real VS Code, the time from `activate()` of Plan
 * Worktrees to the first items of the `planWorktrees.plans` tree, and to the
 * moment every item's state (dirty counts, ahead/behind, merged) has loaded.
 * The extension copy it runs has no start-up activation events, so nothing
 * has run before the clock starts. Prints one line `[plan-worktrees:bench] {json}`.
 * bench/host/activationFloor.ts times the same points for the floor extension
 * (bench/floor/extension.ts). `BENCH_PROFILE_DIR=<dir>` (the environment
 * reaches the extension host through the server) writes a CPU profile of the
 * host from `activate()` to every item's state into that folder.
 */
import * as fs from 'fs';
import * as inspector from 'inspector';
import * as path from 'path';
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

export function run(): Promise<void> {
  return measure(EXTENSION_ID);
}

/** Times `extensionId`'s activation to its tree's first items and to every item's state; prints the result. */
export async function measure(extensionId: string): Promise<void> {
  const extension = vscode.extensions.getExtension<TestingApi>(extensionId);
  if (!extension) throw new Error(`${extensionId} is not loaded in this host.`);
  const activeBefore = extension.isActive;
  const profiler = process.env.BENCH_PROFILE_DIR ? await startProfiler() : undefined;
  const startedAt = Date.now();
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
  if (profiler)
    await profiler.stop(path.join(process.env.BENCH_PROFILE_DIR ?? '', `${extensionId}-${process.pid}.cpuprofile`));
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
    phases: phases(extensionId, startedAt),
  };
  console.log(`[plan-worktrees:bench] ${JSON.stringify(result)}`);
}

/**
 * Where `activate()`'s time went, from the marks the extension host sets
 * (vs/base/common/performance; in Node they are kept in
 * `globalThis.MonacoPerformanceMarks`, by `Date.now()`, so whole
 * milliseconds): before the code loads (`waitMs`), loading it (`loadMs`:
 * reading, compiling and running the module), after it loaded until VS Code
 * calls `activate` (`contextMs`: the extension's context, which asks the
 * window for its storage), and the extension's own `activate` until it
 * resolved (`activateCallMs`). Undefined when the host sets no such marks.
 */
function phases(extensionId: string, startedAt: number): Record<string, number> | undefined {
  const marks = (
    globalThis as { MonacoPerformanceMarks?: { getMarks(): Array<{ name: string; startTime: number }> } }
  ).MonacoPerformanceMarks?.getMarks();
  const at = (name: string) => marks?.filter((m) => m.name === `code/extHost/${name}/${extensionId}`).pop()?.startTime;
  const [willLoad, didLoad, willActivate, didActivate] = [
    'willLoadExtensionCode',
    'didLoadExtensionCode',
    'willActivateExtension',
    'didActivateExtension',
  ].map(at);
  if (willLoad === undefined || didLoad === undefined || willActivate === undefined || didActivate === undefined) {
    return undefined;
  }
  return {
    waitMs: willLoad - startedAt,
    loadMs: didLoad - willLoad,
    contextMs: willActivate - didLoad,
    activateCallMs: didActivate - willActivate,
  };
}

/** V8's CPU profiler on this process (the extension host), 100 µs samples; `stop` writes the profile to a file. */
async function startProfiler(): Promise<{ stop(file: string): Promise<void> }> {
  const session = new inspector.Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await post<{ profile: unknown }>('Profiler.stop');
      session.disconnect();
      fs.writeFileSync(file, JSON.stringify(profile));
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
