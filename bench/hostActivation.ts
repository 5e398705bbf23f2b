/**
 * The activation measure: opens the real VS Code (code-server's VS Code 1.100
 * server, driven by headless Chromium, as `npm test`'s host tier does, reusing
 * scripts/host.js) on the synthetic repository, with bench/host/activation.ts
 * as the extension tests entry point. Each run is a fresh server and browser;
 * the result is the median over the runs. Each run of the extension follows a
 * run of the floor (bench/floor/extension.ts, bench/host/activationFloor.ts):
 * the same points timed, in the same host on the same folder, for an
 * extension that only shows a tree of 201 static items — what of the figure
 * is VS Code's own.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import { median, round } from './stats';

const MARK = '[plan-worktrees:bench] ';

/** What to stop if the benchmark is interrupted meanwhile (the server runs in its own process group). */
export const onInterrupt = new Set<() => Promise<unknown>>();
const RUN_TIMEOUT_MS = 180_000;

interface HostModule {
  startServer(options?: {
    quiet?: boolean;
  }): Promise<{ port: number; stateDir: string; remoteUri(p: string): string; stop(): Promise<void> }>;
}

interface RunResult {
  vscode: string;
  activeBefore: boolean;
  activateMs: number;
  firstItemsMs: number;
  allDetailsMs: number;
  paintedFromCache?: number;
  verifiedMs?: number;
  items: number;
  worktrees: number;
  phases?: Phases;
}

/** Where `activate()`'s time went (bench/host/activation.ts, `phases`). */
interface Phases {
  waitMs: number;
  loadMs: number;
  contextMs: number;
  activateCallMs: number;
}

/** The median of each phase over the runs that have them. */
function medianPhases(runs: RunResult[]): Phases | undefined {
  const all = runs.map((r) => r.phases).filter((p): p is Phases => p !== undefined);
  if (all.length === 0) return undefined;
  const of = (k: keyof Phases) => round(median(all.map((p) => p[k])));
  return {
    waitMs: of('waitMs'),
    loadMs: of('loadMs'),
    contextMs: of('contextMs'),
    activateCallMs: of('activateCallMs'),
  };
}

export async function measureActivation(options: {
  projectRoot: string;
  outDir: string;
  bundle?: string;
  bundleError?: string;
  folder: string;
  n: number;
  runs: number;
}): Promise<Record<string, unknown>> {
  if (!options.bundle)
    return { measured: false, n: options.n, reason: `the extension does not build: ${options.bundleError}` };
  const runs: RunResult[] = [];
  const floorRuns: RunResult[] = [];
  let floorError: string | undefined;
  for (let i = 0; i < options.runs; i++) {
    // The floor first, then the extension, in turn: both see the same minutes of a shared machine.
    if (floorError === undefined) {
      try {
        const floor = (await runOnce(options, 'activationFloor.js', 'floor')) as RunResult;
        floorRuns.push(floor);
        console.log(
          `[bench] activation floor run ${i + 1}: activate ${round(floor.activateMs)} ms ${JSON.stringify(floor.phases)}, first items after ${round(floor.firstItemsMs)} ms, all state after ${round(floor.allDetailsMs)} ms`,
        );
      } catch (e) {
        floorError = String((e as Error)?.message ?? e);
      }
    }
    const result = (await runOnce(options, 'activation.js', 'extension')) as RunResult;
    if (result.activeBefore) throw new Error('the extension was already active before the measure started');
    runs.push(result);
    console.log(
      `[bench] activation run ${i + 1}: activate ${round(result.activateMs)} ms ${JSON.stringify(result.phases)}, first items after ${round(result.firstItemsMs)} ms, all state after ${round(result.allDetailsMs)} ms`,
    );
  }
  const floor =
    floorRuns.length > 0
      ? {
          measured: true,
          runs: floorRuns.length,
          items: floorRuns[0].items,
          activateMs: round(median(floorRuns.map((r) => r.activateMs))),
          firstItemsMs: round(median(floorRuns.map((r) => r.firstItemsMs))),
          allDetailsMs: round(median(floorRuns.map((r) => r.allDetailsMs))),
          phases: medianPhases(floorRuns),
          samples: floorRuns.map((r) => ({
            activateMs: round(r.activateMs),
            firstItemsMs: round(r.firstItemsMs),
            allDetailsMs: round(r.allDetailsMs),
            phases: r.phases,
          })),
          method:
            'bench/floor/extension.ts in the same host on the same folder, one run before each of the extension: activate registers a tree view of 201 static items with descriptions and returns; the same two points timed',
        }
      : { measured: false, reason: floorError ?? 'not run' };
  return {
    measured: true,
    n: options.n,
    runs: runs.length,
    vscode: runs[0].vscode,
    items: runs[0].items,
    activateMs: round(median(runs.map((r) => r.activateMs))),
    firstItemsMs: round(median(runs.map((r) => r.firstItemsMs))),
    allDetailsMs: round(median(runs.map((r) => r.allDetailsMs))),
    verifiedMs: round(median(runs.map((r) => r.verifiedMs ?? Number.NaN))),
    paintedFromCache: runs.map((r) => r.paintedFromCache ?? 0),
    phases: medianPhases(runs),
    samples: runs.map((r) => ({
      activateMs: round(r.activateMs),
      firstItemsMs: round(r.firstItemsMs),
      allDetailsMs: round(r.allDetailsMs),
      verifiedMs: round(r.verifiedMs ?? Number.NaN),
      paintedFromCache: r.paintedFromCache,
      phases: r.phases,
    })),
    method:
      'extension copy without start-up activation events (bench/build.js); inside the extension host, from getExtension().activate() to the first non-empty planWorktrees.plans getChildren(), and to every worktree item having its state',
    floor,
  };
}

/** The longest synchronous slices of the extension host at N = `n` (bench/host/slices.ts), over `runs` fresh hosts. */
export async function measureSlices(options: {
  projectRoot: string;
  outDir: string;
  bundle?: string;
  bundleError?: string;
  folder: string;
  n: number;
  runs: number;
}): Promise<Record<string, unknown>> {
  if (!options.bundle)
    return { measured: false, n: options.n, reason: `the extension does not build: ${options.bundleError}` };
  const runs: SlicesResult[] = [];
  for (let i = 0; i < options.runs; i++) {
    const result = (await runOnce(options, 'slices.js', 'extension')) as SlicesResult;
    runs.push(result);
    console.log(`[bench] slices run ${i + 1}: ${JSON.stringify(result)}`);
  }
  const phase = (name: SlicePhase) => ({
    longestSliceMs: round(Math.max(...runs.map((r) => r[name].longestSliceMs))),
    longestSliceMedianMs: round(median(runs.map((r) => r[name].longestSliceMs))),
    loopDelayMaxMs: round(Math.max(...runs.map((r) => r[name].loopDelayMaxMs))),
    ms: name === 'idle' ? undefined : round(median(runs.map((r) => r[name].ms ?? r[name].wallMs ?? 0))),
  });
  const writes = runs.map((r) => r.worktreeWrites);
  return {
    measured: true,
    n: options.n,
    runs: runs.length,
    vscode: runs[0].vscode,
    worktrees: runs[0].worktrees,
    targetMs: SLICE_TARGET_MS,
    firstRead: phase('firstRead'),
    idle: phase('idle'),
    refresh: phase('refresh'),
    worktreeWrites: {
      ...phase('worktreeWrites'),
      files: writes[0].files,
      cpuMs: round(median(writes.map((w) => w.cpuMs))),
      idleCpuMs: round(median(writes.map((w) => w.idleCpuMs))),
    },
    met: runs.every(
      (r) => r.refresh.longestSliceMs <= SLICE_TARGET_MS && r.worktreeWrites.longestSliceMs <= SLICE_TARGET_MS,
    ),
    samples: runs,
  };
}

/** The status bar and the tree never block the extension host for longer than this. */
export const SLICE_TARGET_MS = 50;

type SlicePhase = 'firstRead' | 'idle' | 'refresh' | 'worktreeWrites';

interface Slices {
  longestSliceMs: number;
  loopDelayMaxMs: number;
  loopDelayP99Ms: number;
  ms?: number;
  wallMs?: number;
}

interface SlicesResult {
  vscode: string;
  worktrees: number;
  firstRead: Slices & { activateMs: number };
  idle: Slices;
  refresh: Slices;
  worktreeWrites: Slices & { files: number; cpuMs: number; idleCpuMs: number };
}

/** One fresh server and browser, with `entry` (in bench/host) as the tests entry point and `extension` (a folder of bench/build.js's output) as the extension under development. */
async function runOnce(
  options: { projectRoot: string; outDir: string; folder: string },
  entry: string,
  extension: 'extension' | 'floor',
): Promise<unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startServer } = require(path.join(options.projectRoot, 'scripts', 'host.js')) as HostModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  const server = await startServer();
  const stopServer = async () => {
    await server.stop();
    fs.rmSync(server.stateDir, { recursive: true, force: true });
  };
  onInterrupt.add(stopServer);
  let timer: NodeJS.Timeout | undefined;
  let browser: import('playwright-core').Browser | undefined;
  const closeBrowser = async () => browser?.close().catch(() => undefined);
  onInterrupt.add(closeBrowser);
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      // Playwright would exit the process on Ctrl-C before run.ts has stopped the server and removed the repository.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
      ],
    });
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    const consoleLines: string[] = [];
    let result: unknown;
    const exitCode = new Promise<number>((resolve) => {
      timer = setTimeout(() => resolve(-1), RUN_TIMEOUT_MS);
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(Number(code)));
    });
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown) => {
      const text = util.format(...(Array.isArray(args) ? args : [args]));
      consoleLines.push(text);
      const at = text.indexOf(MARK);
      if (at >= 0) result = JSON.parse(text.slice(at + MARK.length).split('\n')[0]);
    });
    const payload = [
      ['extensionDevelopmentPath', server.remoteUri(path.join(options.outDir, extension))],
      ['extensionTestsPath', server.remoteUri(path.join(options.outDir, 'bench', 'host', entry))],
      ['extensionDevelopmentKind', 'workspace'],
      ['skipWelcome', 'true'],
    ];
    await page.goto(
      `http://localhost:${server.port}/?folder=${encodeURIComponent(options.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
    );
    const code = await exitCode;
    if (code !== 0 || !result) {
      const tail = consoleLines.slice(-15).join('\n');
      throw new Error(
        code === -1
          ? `timed out after ${RUN_TIMEOUT_MS / 1000}s:\n${tail}`
          : `the extension host exited with ${code}:\n${tail}`,
      );
    }
    return result;
  } finally {
    clearTimeout(timer);
    await closeBrowser();
    await stopServer();
    onInterrupt.delete(closeBrowser);
    onInterrupt.delete(stopServer);
  }
}
