/**
 * "1,000 file writes in the main checkout": what the extension's handling of
 * the file-system events costs the extension host while plans exist. A script
 * writes 1,000 files in the main checkout (800 new, 100 tracked files
 * changed, 100 ignored; not measured); the events, one per file as the main
 * worktree's watcher delivers them, go to the same debounced handler the
 * window uses (`OutsideWrites.note`, src/model/engine/outsideWrites.ts), which
 * then sorts the batch (the worktree list and one `git status`). Measured:
 * the CPU time of this process (user + system, `process.cpuUsage`) from the
 * first event until the batch is sorted, against the same wall time doing
 * nothing; and the wall time and git processes. The git processes' own CPU is
 * theirs, not the extension host's.
 *
 * The same 1,000 writes in one plan worktree go where the window sends a plan
 * worktree's events (src/ui/repositories.ts, which needs `vscode`, so its few
 * lines are repeated here): gathered 300 ms (`debounce`), then that worktree
 * invalidated (`engine.invalidate`) and the tree's re-read, the list and
 * every item's state (`details`), as `getChildren` asks after the change.
 * `BENCH_ONLY=mainWrites npm run bench` runs only these two rows.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Git } from '../src/git/runner';
import { debounce } from '../src/model/engine/async';
import { OutsideWrites } from '../src/model/engine/outsideWrites';
import { PlanEngine } from '../src/model/engine/planEngine';
import { CountingLog } from './countingLog';
import { createSyntheticRepo, growPlans, trackedFile } from './syntheticRepo';
import { median, round } from './stats';

export const MAIN_WRITES = 1000;
const PLANS = 10;

export interface MainWritesRow {
  title: string;
  runs: number;
  /** CPU time of this process handling the events, median, ms. */
  cpuMs: number;
  /** CPU time of this process over the same wall time with no handler, median, ms. */
  idleCpuMs: number;
  /** From the first event until the batch is sorted, median, ms (includes the 300 ms gathering delay). */
  wallMs: number;
  gitProcesses: number;
  /** Files the handler counted (the 100 ignored ones are not); in a plan worktree, its changed and untracked files after the re-read. */
  counted: number;
  samples: { cpu: number[]; idle: number[]; wall: number[] };
}

/** The main checkout's row, then the plan worktree's, on one repository with PLANS plans. */
export async function measureMainWrites(root: string, runs: number): Promise<MainWritesRow[]> {
  const repo = await createSyntheticRepo(path.join(root, 'main-writes'));
  await growPlans(repo, PLANS);
  const log = new CountingLog();
  const git = new Git({ log });
  const engine = await PlanEngine.open(repo.main, { git, log });
  await engine.list();
  const main = await measureMain(repo.main, engine, git, runs);
  const worktree = await measureWorktree(repo.plans[0].path, engine, git, runs);
  return [main, worktree];
}

async function measureMain(main: string, engine: PlanEngine, git: Git, runs: number): Promise<MainWritesRow> {
  const errors: unknown[] = [];
  const writes = new OutsideWrites(engine, git, {
    delayMs: 300,
    savedByEditor: () => false,
    onChange: () => undefined,
    onError: (e) => errors.push(e),
  });
  const samples = { cpu: [] as number[], idle: [] as number[], wall: [] as number[] };
  let processes = 0;
  let counted = 0;
  for (let r = 0; r < runs; r++) {
    const files = writeFiles(main, r);
    const before = git.processCount;
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (const f of files.all) writes.note(f);
    await writes.settled();
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    samples.cpu.push((used.user + used.system) / 1000);
    samples.wall.push(wall);
    processes = git.processCount - before;
    if (errors.length > 0) throw errors[0];
    counted = writes.files().length;
    if (counted !== files.all.length - files.ignored) {
      throw new Error(`counted ${counted} of ${files.all.length} writes, ${files.ignored} of them ignored`);
    }
    samples.idle.push(await idleCpu(wall));
    writes.dismiss();
    undo(main, files.tracked);
  }
  writes.dispose();
  return {
    title: `${MAIN_WRITES.toLocaleString('en')} file writes in the main checkout`,
    runs,
    cpuMs: round(median(samples.cpu)),
    idleCpuMs: round(median(samples.idle)),
    wallMs: round(median(samples.wall)),
    gitProcesses: processes,
    counted,
    samples,
  };
}

async function measureWorktree(folder: string, engine: PlanEngine, git: Git, runs: number): Promise<MainWritesRow> {
  const samples = { cpu: [] as number[], idle: [] as number[], wall: [] as number[] };
  let processes = 0;
  let counted = 0;
  const detailsOfAll = async () => {
    const items = (await engine.list()).filter((i) => i.worktree);
    const details = await Promise.all(items.map((i) => engine.details(i)));
    return new Map(items.map((i, k) => [i.worktree?.path, details[k]]));
  };
  await detailsOfAll();
  for (let r = 0; r < runs; r++) {
    const files = writeFiles(folder, r);
    const before = git.processCount;
    const cpu = process.cpuUsage();
    const started = performance.now();
    const reread = await new Promise<Awaited<ReturnType<typeof detailsOfAll>>>((resolve, reject) => {
      // src/ui/repositories.ts: each event adds its worktree to the pending set and restarts the 300 ms timer.
      const pending = new Set<string>();
      const flush = debounce(() => {
        for (const p of pending) engine.invalidate(p);
        pending.clear();
        detailsOfAll().then(resolve, reject);
      }, 300);
      for (const f of files.all) {
        if (f.split(path.sep).includes('.git')) continue;
        pending.add(folder);
        flush();
      }
    });
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    samples.cpu.push((used.user + used.system) / 1000);
    samples.wall.push(wall);
    processes = git.processCount - before;
    const dirty = reread.get(folder)?.dirty;
    counted = (dirty?.modified ?? 0) + (dirty?.untracked ?? 0);
    if (!dirty || dirty.modified < MAIN_WRITES * 0.1 || dirty.untracked < MAIN_WRITES * 0.8) {
      throw new Error(`the re-read after the writes found ${JSON.stringify(dirty)}`);
    }
    samples.idle.push(await idleCpu(wall));
    undo(folder, files.tracked);
    engine.invalidate(folder);
    await detailsOfAll();
  }
  return {
    title: `${MAIN_WRITES.toLocaleString('en')} file writes in one plan worktree`,
    runs,
    cpuMs: round(median(samples.cpu)),
    idleCpuMs: round(median(samples.idle)),
    wallMs: round(median(samples.wall)),
    gitProcesses: processes,
    counted,
    samples,
  };
}

/** This process's CPU time over `ms` of doing nothing. */
async function idleCpu(ms: number): Promise<number> {
  const idle = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const rest = process.cpuUsage(idle);
  return (rest.user + rest.system) / 1000;
}

function writeFiles(main: string, run: number): { all: string[]; tracked: string[]; ignored: number } {
  const all: string[] = [];
  const tracked: string[] = [];
  const outside = path.join(main, 'agent-output', `run-${run}`);
  const ignored = path.join(main, 'node_modules', `run-${run}`);
  fs.mkdirSync(outside, { recursive: true });
  fs.mkdirSync(ignored, { recursive: true });
  for (let i = 0; i < MAIN_WRITES * 0.8; i++) {
    const f = path.join(outside, `file-${i}.txt`);
    fs.writeFileSync(f, `written from outside ${i}\n`);
    all.push(f);
  }
  for (let i = 0; i < MAIN_WRITES * 0.1; i++) {
    const f = path.join(main, trackedFile(i * 7));
    fs.appendFileSync(f, `// changed from outside\n`);
    all.push(f);
    tracked.push(f);
  }
  for (let i = 0; i < MAIN_WRITES * 0.1; i++) {
    const f = path.join(ignored, `dep-${i}.js`);
    fs.writeFileSync(f, `module.exports = ${i};\n`);
    all.push(f);
  }
  return { all, tracked, ignored: MAIN_WRITES * 0.1 };
}

function undo(main: string, tracked: string[]): void {
  fs.rmSync(path.join(main, 'agent-output'), { recursive: true, force: true });
  fs.rmSync(path.join(main, 'node_modules'), { recursive: true, force: true });
  for (const f of tracked) {
    const text = fs.readFileSync(f, 'utf8');
    fs.writeFileSync(f, text.replace(/\/\/ changed from outside\n$/, ''));
  }
}

export function describeMainWritesRow(r: MainWritesRow): string {
  return `${r.title}: extension host CPU ${r.cpuMs} ms (doing nothing for as long: ${r.idleCpuMs} ms), ${r.wallMs} ms until sorted or re-read (300 ms of it gathering), ${r.gitProcesses} git processes, ${r.counted} files counted`;
}

export function formatMainWritesTable(rows: MainWritesRow[]): string {
  return [
    '| measure | extension host CPU | doing nothing, same time | until sorted or re-read | git processes |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.title} | ${r.cpuMs} ms | ${r.idleCpuMs} ms | ${r.wallMs} ms | ${r.gitProcesses} |`),
  ].join('\n');
}
