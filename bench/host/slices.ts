/**
 * Loaded by the extension host as `extensionTestsPath` (see bench/hostActivation.ts,
 * `measureSlices`): how long Plan Worktrees keeps the extension host busy
 * without a break while the Plans view and the status bar do their work at
 * N = 200. A probe in this process (the extension host) notes the longest
 * gap between two 1 ms timers — the longest synchronous slice, anything in
 * the host included (VS Code's git extension too; an idle phase shows the
 * floor) — and `monitorEventLoopDelay`'s maximum. Phases, with the Plans view
 * open: activation until every item has its state; idle (2 s, nothing asked);
 * the Refresh command until every item's state and the merge pre-check are
 * read again; 1,000 files written in one plan worktree by another process
 * until that worktree's item counts them, with the host's CPU time
 * (`process.cpuUsage`) against as long doing nothing. Last, outside the
 * measures, the Refresh once more under V8's CPU profiler: the longest run
 * of busy samples, and the functions (and script positions: the bundle is
 * minified) it spent its time in. Prints one line
 * `[plan-worktrees:bench] {json}`.
 */
import { execFile } from 'child_process';
import * as inspector from 'inspector';
import * as path from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import * as vscode from 'vscode';

const EXTENSION_ID = 'planworktrees.plan-worktrees';
// Below the runner's own limit for the whole host (180 s), so that a phase that does not end says which it is.
const TIMEOUT_MS = 150_000;
const WRITES = 1000;

interface WorktreeNode {
  type: string;
  item?: { worktree?: { path: string }; kind?: string };
  details?: { dirty: { modified: number; untracked: number } };
  engine?: { details(item: unknown): Promise<unknown>; mergeability(): Promise<unknown> };
}

interface TestingApi {
  testing: {
    tree: {
      getChildren(node?: unknown): Promise<WorktreeNode[]>;
      nodeForPath(p: string): WorktreeNode | undefined;
      onDidChangeTreeData(listener: (node: unknown) => void): vscode.Disposable;
    };
    repositories: { refresh(): Promise<void>; ready: Promise<void> };
    statusBar: { state: { text: string } };
  };
}

/** The longest gap between 1 ms timers, and the event-loop delay histogram, from `start` to `stop`. */
class SliceProbe {
  private readonly histogram = monitorEventLoopDelay({ resolution: 5 });
  private longest = 0;
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.longest = 0;
    this.histogram.reset();
    this.histogram.enable();
    this.last = performance.now();
    const tick = () => {
      const now = performance.now();
      this.longest = Math.max(this.longest, now - this.last);
      this.last = now;
      this.timer = setTimeout(tick, 1);
    };
    this.timer = setTimeout(tick, 1);
  }

  stop(): { longestSliceMs: number; loopDelayMaxMs: number; loopDelayP99Ms: number } {
    clearTimeout(this.timer);
    this.histogram.disable();
    const now = performance.now();
    return {
      longestSliceMs: round(Math.max(this.longest, now - this.last)),
      loopDelayMaxMs: round(this.histogram.max / 1e6),
      loopDelayP99Ms: round(this.histogram.percentile(99) / 1e6),
    };
  }
}

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension<TestingApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not loaded in this host.`);
  const probe = new SliceProbe();
  const deadline = Date.now() + TIMEOUT_MS;

  probe.start();
  const started = performance.now();
  const api = await extension.activate();
  const activateMs = performance.now() - started;
  await vscode.commands.executeCommand('workbench.view.extension.planWorktrees');
  // As the view does on a change of the whole tree (should the headless workbench not draw it).
  const asView = api.testing.tree.onDidChangeTreeData((changed) => {
    if (changed === undefined) void api.testing.tree.getChildren();
  });
  const nodes = await settle(api, deadline);
  const firstRead = { ms: round(performance.now() - started), activateMs: round(activateMs), ...probe.stop() };

  probe.start();
  await sleep(2000);
  const idle = probe.stop();

  probe.start();
  const refreshStarted = performance.now();
  await api.testing.repositories.refresh();
  await settle(api, deadline);
  const refresh = { ms: round(performance.now() - refreshStarted), ...probe.stop() };

  // 1,000 writes in the plan worktree in the middle of the list, by another process.
  const plans = nodes.filter((n) => n.type === 'worktree' && n.item?.kind === 'plan' && n.item.worktree);
  const folder = plans[Math.floor(plans.length / 2)].item?.worktree?.path as string;
  const untrackedBefore = api.testing.tree.nodeForPath(folder)?.details?.dirty.untracked ?? 0;
  probe.start();
  const cpu = process.cpuUsage();
  const writesStarted = performance.now();
  await writeAndWait(api, folder, untrackedBefore + WRITES, deadline);
  const writesWall = performance.now() - writesStarted;
  const used = process.cpuUsage(cpu);
  const writes = {
    files: WRITES,
    wallMs: round(writesWall),
    cpuMs: round((used.user + used.system) / 1000),
    ...probe.stop(),
  };
  const idleCpu = process.cpuUsage();
  await sleep(writesWall);
  const rest = process.cpuUsage(idleCpu);
  const worktreeWrites = { ...writes, idleCpuMs: round((rest.user + rest.system) / 1000) };
  await removeAndWait(api, folder, untrackedBefore, deadline);
  // Outside the measures (the profiler slows everything down): what the longest busy stretches of a Refresh run,
  // and of the writes.
  const refreshProfile = await profiled(async () => {
    await api.testing.repositories.refresh();
    await settle(api, deadline);
  });
  const writesProfile = await profiled(() => writeAndWait(api, folder, untrackedBefore + WRITES, deadline));
  await removeAndWait(api, folder, untrackedBefore, deadline);
  asView.dispose();

  const result = {
    vscode: vscode.version,
    worktrees: nodes.filter((n) => n.type === 'worktree').length,
    statusBar: api.testing.statusBar.state.text,
    firstRead,
    idle,
    refresh,
    worktreeWrites,
    refreshProfile,
    writesProfile,
  };
  console.log(`[plan-worktrees:bench] ${JSON.stringify(result)}`);
}

/** WRITES files written in `folder/agent-output` by another process, until the folder's item counts `untracked`. */
async function writeAndWait(api: TestingApi, folder: string, untracked: number, deadline: number): Promise<void> {
  await node(`const fs = require('fs'), path = require('path');
    const dir = path.join(${JSON.stringify(folder)}, 'agent-output');
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < ${WRITES}; i++) fs.writeFileSync(path.join(dir, 'file-' + i + '.txt'), 'written ' + i + '\\n');`);
  await untrackedShown(api, folder, (shown) => shown >= untracked, deadline);
}

/** The written files removed again, until the folder's item counts `untracked`. */
async function removeAndWait(api: TestingApi, folder: string, untracked: number, deadline: number): Promise<void> {
  await node(
    `require('fs').rmSync(${JSON.stringify(path.join(folder, 'agent-output'))}, { recursive: true, force: true })`,
  );
  await untrackedShown(api, folder, (shown) => shown <= untracked, deadline);
}

async function untrackedShown(
  api: TestingApi,
  folder: string,
  done: (shown: number) => boolean,
  deadline: number,
): Promise<void> {
  for (;;) {
    const shown = api.testing.tree.nodeForPath(folder)?.details?.dirty.untracked ?? 0;
    if (done(shown)) return;
    if (Date.now() > deadline) throw new Error(`The worktree's item did not count the writes (${shown}).`);
    await sleep(5);
  }
}

/** Every item of the tree with its state, then the merge pre-check, as the view asks them. */
async function settle(api: TestingApi, deadline: number): Promise<WorktreeNode[]> {
  // Git's own list first: the items painted from memory before it are replaced by git's.
  await api.testing.repositories.ready;
  let nodes = await api.testing.tree.getChildren();
  while (nodes.length === 0) {
    if (Date.now() > deadline) throw new Error('The tree showed no items.');
    await sleep(5);
    nodes = await api.testing.tree.getChildren();
  }
  const worktrees = nodes.filter((n) => n.type === 'worktree' && n.item?.worktree && n.engine);
  await Promise.all(worktrees.map((n) => n.engine?.details(n.item)));
  await worktrees[0]?.engine?.mergeability();
  while (!worktrees.every((n) => n.details !== undefined)) {
    if (Date.now() > deadline) throw new Error('The state of the items did not load.');
    await sleep(5);
  }
  return nodes;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** Slices described by `profiled`, the longest first. */
const SLICES_DESCRIBED = 3;

/**
 * The synchronous slices of a stretch of time, on the monotonic clock the CPU
 * profiler stamps its samples with (µs): each gap between two 1 ms timers,
 * from the end of the one to the start of the next.
 */
class SliceRecorder {
  private readonly gaps: Array<{ start: number; end: number }> = [];
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  start(): void {
    this.last = nowUs();
    const tick = () => {
      const now = nowUs();
      this.gaps.push({ start: this.last, end: now });
      this.last = now;
      this.timer = setTimeout(tick, 1);
    };
    this.timer = setTimeout(tick, 1);
  }

  stop(): Array<{ start: number; end: number }> {
    if (this.timer === undefined) return this.gaps;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.gaps.push({ start: this.last, end: nowUs() });
    return this.gaps;
  }
}

function nowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Runs `body` under the CPU profiler (0.5 ms samples) while a recorder notes
 * the event loop's slices; returns the longest slices, each with what ran
 * inside it: the functions it spent its own time in (self), the functions
 * on the stack for most of it (total: each function once per sample), and
 * the stack of its hottest sample. Also the longest run of busy samples (no
 * idle sample between them), which may span many slices.
 */
async function profiled(body: () => Promise<void>): Promise<Record<string, unknown>> {
  const session = new inspector.Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r as T))));
  const recorder = new SliceRecorder();
  try {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
    recorder.start();
    await body();
    const gaps = recorder.stop();
    const { profile } = await post<{
      profile: { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };
    }>('Profiler.stop');
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const idle = (id: number) => byId.get(id)?.callFrame.functionName === '(idle)';
    // Each sample's time (µs, the clock of nowUs) and how long it stands for (until the next sample).
    const at: number[] = [];
    let t = profile.startTime;
    profile.samples.forEach((_, i) => {
      t += profile.timeDeltas[i] ?? 0;
      at.push(t);
    });
    const lasts = (i: number) => profile.timeDeltas[i + 1] ?? 0;
    let busy = 0;
    let longestBusy = 0;
    profile.samples.forEach((id, i) => {
      busy = idle(id) ? 0 : busy + lasts(i);
      longestBusy = Math.max(longestBusy, busy);
    });
    const frame = (id: number) => {
      const f = byId.get(id)?.callFrame;
      return f
        ? `${f.functionName || '(anonymous)'} ${path.basename(f.url)}:${f.lineNumber + 1}:${f.columnNumber + 1}`
        : '?';
    };
    const top = (times: Map<string, number>, count: number) =>
      [...times]
        .sort((x, y) => y[1] - x[1])
        .slice(0, count)
        .map(([f, ms]) => ({ frame: f, ms: round(ms / 1000) }));
    const describe = ({ start, end }: { start: number; end: number }) => {
      const self = new Map<string, number>();
      const total = new Map<string, number>();
      const bySample = new Map<number, number>();
      let sampled = 0;
      profile.samples.forEach((id, i) => {
        if (at[i] < start || at[i] > end || idle(id)) return;
        const d = lasts(i);
        sampled += d;
        bySample.set(id, (bySample.get(id) ?? 0) + d);
        self.set(frame(id), (self.get(frame(id)) ?? 0) + d);
        const seen = new Set<string>();
        for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) {
          const f = frame(up);
          if (seen.has(f)) continue;
          seen.add(f);
          total.set(f, (total.get(f) ?? 0) + d);
        }
      });
      const hottest = [...bySample].sort((x, y) => y[1] - x[1])[0]?.[0];
      const stack: string[] = [];
      for (let id: number | undefined = hottest; id !== undefined && stack.length < 40; id = parent.get(id)) {
        stack.push(frame(id));
      }
      return {
        sliceMs: round((end - start) / 1000),
        sampledMs: round(sampled / 1000),
        selfMs: top(self, 12),
        totalMs: top(total, 40),
        hottestStack: stack,
      };
    };
    const longest = [...gaps].sort((x, y) => y.end - y.start - (x.end - x.start)).slice(0, SLICES_DESCRIBED);
    return {
      longestSliceMs: round((longest[0] ? longest[0].end - longest[0].start : 0) / 1000),
      longestBusyMs: round(longestBusy / 1000),
      // The profile's first sample against the recorder's start: near 0 when both use the same clock.
      clockCheckMs: round((profile.startTime - (gaps[0]?.start ?? 0)) / 1000),
      slices: longest.map(describe),
    };
  } finally {
    recorder.stop();
    session.disconnect();
  }
}

function node(script: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } }, (e) =>
      e ? reject(e) : resolve(),
    ),
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
