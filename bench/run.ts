/**
 * `npm run bench`: Plan Worktrees against plain git, side by side in one run,
 * on a synthetic repository of 2,000 files with N = 10, 50, 100 and 200 plan
 * worktrees, and on a real-size one of 50,000 files with N = 20 and 50.
 * Prints a table and writes bench/results.json. See bench/README.md.
 *
 * Every measure alternates the extension and plain git run by run (so a busy
 * moment hurts both) and reports medians; the ratio is extension / plain git.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { CountingLog, total } from './countingLog';
import {
  DependencyRow,
  describeDependencyRow,
  formatDependencyTable,
  measureDependencyFolders,
} from './dependencyFolders';
import { measureActivation, measureSlices, onInterrupt } from './hostActivation';
import { describeMainWritesRow, formatMainWritesTable, measureMainWrites, MainWritesRow } from './mainWrites';
import { PlainGit } from './plainGit';
import { createRealSizeRepo, REAL_FILE_COUNT, REAL_NODE_MODULES_FILES } from './realSizeRepo';
import { median, round, timed } from './stats';
import { openSubject, Subject, SubjectItem } from './subject';
import { createSyntheticRepo, FILE_COUNT, growPlans, isolateGitEnvironment, SyntheticRepo } from './syntheticRepo';

export interface RunOptions {
  /** The project's root folder. */
  projectRoot: string;
  /** Where bench/build.js put its output (the activation measure loads from there). */
  outDir: string;
  /** The production bundle, or why it could not be built. */
  bundle?: string;
  bundleError?: string;
}

type Measure =
  | 'list'
  | 'paintFromCache'
  | 'stateFirst'
  | 'stateRefresh'
  | 'refreshUnchanged'
  | 'incremental'
  | 'create'
  | 'merge'
  | 'cleanup';

/** `small`: the 2,000-file repository; `realSize`: the 50,000-file one. */
type Repository = 'small' | 'realSize';

interface Row {
  measure: Measure;
  repository: Repository;
  /** Tracked files of that repository. */
  files: number;
  title: string;
  n: number;
  runs: number;
  /** Median milliseconds of the extension (the ratio is the median of each run's pair, not the ratio of these). */
  extensionMs: number;
  /** Median milliseconds of plain git doing the same. */
  plainMs: number;
  /** What the plain side ran. */
  plain: string;
  ratio: number;
  /** The ratio's target, and whether it was met. */
  target?: number;
  /** Real-size create: also under this many milliseconds, unless plain git is not. */
  targetMs?: number;
  met?: boolean;
  /** Targets on the extension's own figures: its git processes in one run, its median time. */
  processTarget?: number;
  processesMet?: boolean;
  msTarget?: number;
  msMet?: boolean;
  /** Git processes of one run of the extension, by subcommand. */
  extensionProcesses: Record<string, number>;
  plainProcesses: number;
  /** A second yardstick run in the same loop, where the obvious plain command does less than the extension must (merge). */
  reference?: { label: string; ms: number; ratio: number; processes: number; samples: number[] };
  samples: { extension: number[]; plain: number[] };
}

const SIZES = (process.env.BENCH_N ?? '10,50,100,200').split(',').map(Number);
/** Activation in the real VS Code host is measured at this size, the issue's (`BENCH_ACTIVATION_N=100`: another). */
const ACTIVATION_N = process.env.BENCH_ACTIVATION_N ? Number(process.env.BENCH_ACTIVATION_N) : 200;
/** The longest synchronous slices of the extension host are measured at this size. */
const SLICES_N = 200;
/** `BENCH_ONLY=lifecycle`: only create, merge and cleanup (a partial run). */
const LIFECYCLE_ONLY = process.env.BENCH_ONLY === 'lifecycle';
/** `BENCH_ONLY=dependencies`: only create with a large node_modules, per dependencyFolders mode (a partial run). */
const DEPENDENCIES_ONLY = process.env.BENCH_ONLY === 'dependencies';
/** `BENCH_ONLY=mainWrites`: only the 1,000 file writes, in the main checkout and in one plan worktree (a partial run). */
const MAIN_WRITES_ONLY = process.env.BENCH_ONLY === 'mainWrites';
/** `BENCH_ONLY=host`: only the measures in the real VS Code host (activation at N = 100, slices at N = 200; a partial run). */
const HOST_ONLY = process.env.BENCH_ONLY === 'host' || process.env.BENCH_ONLY === 'activation';
/** `BENCH_ONLY=activation`: only the activation measure in the real VS Code host (a partial run; `BENCH_N` up to its size). */
const ACTIVATION_ONLY = process.env.BENCH_ONLY === 'activation';
/** `BENCH_ONLY=realSize`: only the 50,000-file repository (a partial run). */
const REAL_SIZE_ONLY = process.env.BENCH_ONLY === 'realSize';
/** The real-size repository's plan counts (`BENCH_REAL_N=20`: only these, a partial run). */
const REAL_SIZES = (process.env.BENCH_REAL_N ?? '20,50').split(',').map(Number);
/** The real-size rows run in a complete run, alone (`BENCH_ONLY=realSize`), or when `BENCH_REAL_N` asks. */
const REAL_SIZE =
  REAL_SIZE_ONLY ||
  (process.env.BENCH_ONLY === undefined &&
    (process.env.BENCH_N === undefined || process.env.BENCH_REAL_N !== undefined));
/** `BENCH_ONLY=state`: only the list and the state measures (a partial run). */
const STATE_ONLY = process.env.BENCH_ONLY === 'state';
/** `BENCH_RUNS=15`: this many runs of every measure (a partial run). */
const RUNS = process.env.BENCH_RUNS ? Number(process.env.BENCH_RUNS) : undefined;
/** Real-size create must also take under 3 seconds on this machine, unless plain `git worktree add` does not. */
const REAL_SIZE_CREATE_MS = 3000;
/**
 * Runs per measure; fewer at N = 200, where one run of the state measures
 * takes seconds, and on the real-size repository, where one create checks
 * out 50,000 files and one state read runs N statuses of hundreds of ms.
 */
function runsFor(measure: Measure, n: number, repository: Repository = 'small'): number {
  if (RUNS) return RUNS;
  if (repository === 'realSize') return measure === 'list' ? 7 : 3;
  if (measure === 'list' || measure === 'paintFromCache' || measure === 'refreshUnchanged') return 15;
  if (measure === 'create' || measure === 'merge' || measure === 'cleanup') return n >= 200 ? 5 : 7;
  return n >= 200 ? 3 : 7;
}

const targets: Partial<Record<Measure, number>> = {
  list: 1.5,
  stateFirst: 1.2,
  stateRefresh: 1.2,
  incremental: 1.3,
  create: 1.2,
  merge: 1.3,
  cleanup: 1.3,
};
/** At most this many git processes in one run of the extension. */
const processTargets: Partial<Record<Measure, number>> = {
  refreshUnchanged: 3,
  incremental: 2,
};
/** At most this many milliseconds (median) for the extension. */
const msTargets: Partial<Record<Measure, number>> = { paintFromCache: 100 };
const titles: Record<Measure, string> = {
  list: 'list, first paint',
  paintFromCache: "every item's state from the cache file (new session)",
  stateFirst: 'full state, first read',
  stateRefresh: 'full state, refresh',
  refreshUnchanged: 'refresh, nothing changed',
  incremental: 'one file changed, refresh',
  create: 'create',
  merge: 'merge (no conflict)',
  cleanup: 'cleanup',
};

export async function main(options: RunOptions): Promise<number> {
  isolateGitEnvironment();
  const started = Date.now();
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-bench-')));
  const interrupted = () => {
    void Promise.allSettled([...onInterrupt].map((stop) => stop())).finally(() => {
      fs.rmSync(root, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const rows: Row[] = [];
  let dependencyRows: DependencyRow[] = [];
  let mainWrites: MainWritesRow[] | undefined;
  let activation: Record<string, unknown> = {
    measured: false,
    reason: `N = ${ACTIVATION_N} is not among the sizes run`,
  };
  let slices: Record<string, unknown> = { measured: false, reason: `N = ${SLICES_N} is not among the sizes run` };
  try {
    if (!LIFECYCLE_ONLY && !DEPENDENCIES_ONLY && !REAL_SIZE_ONLY && !HOST_ONLY && !STATE_ONLY) {
      mainWrites = await measureMainWrites(root, RUNS ?? 5);
      for (const row of mainWrites) say(describeMainWritesRow(row));
    }
    if (!LIFECYCLE_ONLY && !MAIN_WRITES_ONLY && !REAL_SIZE_ONLY && !HOST_ONLY && !STATE_ONLY) {
      dependencyRows = await measureDependencyFolders(root, RUNS ?? 5);
      if (process.env.BENCH_COW_DIR) {
        const cow = fs.mkdtempSync(path.join(path.resolve(process.env.BENCH_COW_DIR), 'plan-worktrees-bench-'));
        try {
          dependencyRows.push(...(await measureDependencyFolders(cow, RUNS ?? 5)));
        } finally {
          fs.rmSync(cow, { recursive: true, force: true });
        }
      }
      for (const row of dependencyRows) say(describeDependencyRow(row));
    }
    const sizes = DEPENDENCIES_ONLY || MAIN_WRITES_ONLY || REAL_SIZE_ONLY ? [] : SIZES;
    if (sizes.length > 0) say(`synthetic repository of ${FILE_COUNT} files in ${root}`);
    const repo = sizes.length > 0 ? await createSyntheticRepo(root) : undefined;
    for (const n of sizes) {
      if (!repo) break;
      const setup = Date.now();
      await growPlans(repo, n);
      say(`N = ${n}: ${n} plan worktrees ready (setup ${((Date.now() - setup) / 1000).toFixed(1)}s, not measured)`);
      if (!HOST_ONLY) rows.push(...(await measureSize(repo, n, 'small')));
      if (n === ACTIVATION_N && process.env.BENCH_HOST !== '0' && !LIFECYCLE_ONLY) {
        // What the last session kept (a complete run's size measures above wrote it too): not measured.
        if (HOST_ONLY) await (await openSubject(repo.main, new CountingLog())).writeStateCache();
        activation = await measureActivation({ ...options, folder: repo.main, n, runs: RUNS ?? 3 }).catch((e) => ({
          measured: false,
          reason: String(e?.message ?? e),
        }));
        say(`activation: ${JSON.stringify(activation)}`);
      }
      if (n === SLICES_N && process.env.BENCH_HOST !== '0' && !LIFECYCLE_ONLY && !ACTIVATION_ONLY) {
        slices = await measureSlices({ ...options, folder: repo.main, n, runs: RUNS ?? 3 }).catch((e) => ({
          measured: false,
          reason: String(e?.message ?? e),
        }));
        say(`slices: ${JSON.stringify({ ...slices, samples: undefined })}`);
      }
    }
    if (repo) {
      // The real-size repository needs the disk more: the small one goes first.
      fs.rmSync(repo.main, { recursive: true, force: true });
      fs.rmSync(repo.plansDir, { recursive: true, force: true });
    }
    if (REAL_SIZE) rows.push(...(await measureRealSize(root)));
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    fs.rmSync(root, { recursive: true, force: true });
  }
  const bundle = bundleSize(options);
  const results = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      node: process.version,
      git: execFileSync('git', ['version'], { encoding: 'utf8' }).trim(),
      platform: `${os.platform()} ${os.release()}`,
    },
    repository: { files: FILE_COUNT, sizes: SIZES },
    realSizeRepository: REAL_SIZE
      ? { files: REAL_FILE_COUNT, nodeModulesFiles: REAL_NODE_MODULES_FILES, sizes: REAL_SIZES }
      : undefined,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    rows,
    dependencyFolders: dependencyRows,
    mainWrites,
    activation,
    slices,
    bundle,
  };
  // Only a complete run replaces bench/results.json (the file the README's table comes from).
  const complete =
    process.env.BENCH_N === undefined &&
    process.env.BENCH_HOST !== '0' &&
    process.env.BENCH_ONLY === undefined &&
    process.env.BENCH_DEP_FILES === undefined &&
    process.env.BENCH_REAL_N === undefined &&
    RUNS === undefined;
  const resultsFile = complete
    ? path.join(options.projectRoot, 'bench', 'results.json')
    : path.join(os.tmpdir(), 'plan-worktrees-bench-results.json');
  fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');
  console.log('\n' + formatTable(rows, activation, bundle));
  console.log('\n' + formatSlices(slices));
  if (dependencyRows.length > 0) console.log('\n' + formatDependencyTable(dependencyRows));
  if (mainWrites) console.log('\n' + formatMainWritesTable(mainWrites));
  console.log(`\n${complete ? 'bench/results.json' : resultsFile} written (${results.durationSeconds}s in all).`);
  return 0;
}

function say(message: string): void {
  console.log(`[bench] ${message}`);
}

/**
 * The 50,000-file repository (realSizeRepo.ts) with N = 20 and 50 plans: the
 * same measures as the small one but the one-file refresh, fewer runs.
 */
async function measureRealSize(root: string): Promise<Row[]> {
  const setup = Date.now();
  const repo = await createRealSizeRepo(path.join(root, 'real-size'));
  say(
    `real-size repository of ${REAL_FILE_COUNT} files (node_modules: ${REAL_NODE_MODULES_FILES} ignored files) in ${repo.main} (setup ${((Date.now() - setup) / 1000).toFixed(1)}s, not measured)`,
  );
  const rows: Row[] = [];
  try {
    for (const n of REAL_SIZES) {
      const grown = Date.now();
      await growPlans(repo, n);
      say(
        `real size, N = ${n}: ${n} plan worktrees ready (setup ${((Date.now() - grown) / 1000).toFixed(1)}s, not measured)`,
      );
      rows.push(...(await measureSize(repo, n, 'realSize')));
    }
  } finally {
    fs.rmSync(repo.root, { recursive: true, force: true });
  }
  return rows;
}

async function measureSize(repo: SyntheticRepo, n: number, repository: Repository): Promise<Row[]> {
  const log = new CountingLog();
  // Real size: create does not make node_modules ready (the dependencies rows measure that), so it
  // does what `git worktree add` does plus its own checks and records.
  const subject = await openSubject(repo.main, log, repository === 'realSize' ? { dependencyFolders: {} } : {});
  const plain = new PlainGit(subject.maxConcurrent);
  const rows: Row[] = [];
  const items = await subject.list();
  const plans = items.filter((i) => i.kind === 'plan' && i.worktree);
  if (plans.length !== n) throw new Error(`expected ${n} plans in the list, found ${plans.length}`);
  const compare = (measure: Measure, c: Comparison) => compareSides(measure, repository, repo.files, n, log, plain, c);
  if (LIFECYCLE_ONLY) {
    rows.push(...(await lifecycle(repo, n, subject, compare, plain, repository)));
    for (const row of rows) say(describeRow(row));
    return rows;
  }

  // List, first paint: the worktrees and their plans, without any state.
  rows.push(
    await compare('list', {
      extension: () => subject.list(),
      plain: () => plain.run(repo.main, ['worktree', 'list', '--porcelain']),
      plainLabel: 'git worktree list --porcelain',
    }),
  );

  // Full state of every worktree. The facts are the same every run, so the
  // plain side learns once which plans need a squash check (merge-tree).
  const facts = await subject.stateFirstRead(items);
  const squashCandidates = items.filter(({ worktree }) => {
    const d = worktree && facts.get(worktree.path);
    return (
      d &&
      d.ahead !== undefined &&
      d.ahead > 0 &&
      (d.behind ?? 0) > 0 &&
      d.dirty.staged + d.dirty.modified + d.dirty.untracked + d.dirty.conflicted === 0
    );
  });
  rows.push(
    await compare('stateFirst', {
      prepare: () => subject.fresh(),
      extension: () => subject.stateFirstRead(items),
      plain: () => plainState(plain, repo, items, squashCandidates),
      plainLabel: `git status per worktree + log --no-walk + merge-base --octopus + rev-list --parents, then merge-tree per squash candidate (${squashCandidates.length})`,
    }),
  );
  rows.push(
    await compare('stateRefresh', {
      extension: () => subject.refresh(items),
      plain: () => plainState(plain, repo, items, []),
      plainLabel: 'git status per worktree + log --no-walk + merge-base --octopus + rev-list --parents',
    }),
  );

  // An event in the common git directory that changed no worktree (a registry write, another branch's ref):
  // nothing is read again but the list and the base refs. Plain git's floor: the worktree list.
  if (repository === 'small') {
    rows.push(
      await compare('refreshUnchanged', {
        extension: () => subject.refreshUnchanged(),
        plain: () => plain.run(repo.main, ['worktree', 'list', '--porcelain']),
        plainLabel: 'git worktree list --porcelain (what any refresh reads)',
      }),
    );
    // A new session paints every item's last known state from the cache file, before verifying it
    // (the model's part of activation: the engine opened, the list, the cache file; no VS Code).
    await subject.writeStateCache();
    rows.push(
      await compare('paintFromCache', {
        extension: () => subject.paintFromCache(),
        plain: () => plain.run(repo.main, ['worktree', 'list', '--porcelain']),
        plainLabel: 'git worktree list --porcelain',
      }),
    );
  }

  // One file changes in one worktree: only that worktree is read again.
  if (repository === 'small') rows.push(await incremental(repo, items, plans, subject, plain, compare));

  if (!STATE_ONLY) rows.push(...(await lifecycle(repo, n, subject, compare, plain, repository)));
  for (const row of rows) say(describeRow(row));
  return rows;
}

async function incremental(
  repo: SyntheticRepo,
  items: SubjectItem[],
  plans: SubjectItem[],
  subject: Subject,
  plain: PlainGit,
  compare: (measure: Measure, c: Comparison) => Promise<Row>,
): Promise<Row> {
  const target = plans[Math.floor(plans.length / 2)];
  const targetPath = target.worktree?.path as string;
  const file = path.join(targetPath, repo.trackedFile(5));
  const original = fs.readFileSync(file);
  let edit = 0;
  await subject.refresh(items);
  const row = await compare('incremental', {
    before: () => fs.appendFileSync(file, `// edit ${++edit}\n`),
    extension: () => subject.incremental(targetPath),
    plain: () =>
      plain.run(targetPath, ['status', '--porcelain=v2', '-z', '--branch', '--untracked-files=all'], {
        env: { GIT_OPTIONAL_LOCKS: '0' },
      }),
    plainLabel: 'git status of that worktree',
    extensionOnlyBefore: true,
  });
  fs.writeFileSync(file, original);
  return row;
}

/**
 * Plain git giving the same facts as the extension's state read, in one pool:
 * a status per worktree, the last commits, and the history walk for
 * ahead/behind (heads from the worktree list); then, as only those facts say
 * which plans could be squash-merged, one merge-tree per such plan.
 */
async function plainState(
  plain: PlainGit,
  repo: SyntheticRepo,
  items: SubjectItem[],
  squashCandidates: SubjectItem[],
): Promise<void> {
  const worktrees = items.flatMap(({ worktree }) => (worktree ? [worktree] : []));
  const heads = [...new Set(worktrees.flatMap((w) => (w.head ? [w.head] : [])))];
  const jobs: Array<Promise<unknown>> = worktrees.map((w) =>
    plain.run(w.path, ['status', '--porcelain=v2', '-z', '--branch', '--untracked-files=all'], {
      env: { GIT_OPTIONAL_LOCKS: '0' },
    }),
  );
  jobs.push(plain.run(repo.commonDir, ['log', '--no-walk=unsorted', '--format=%H%x00%T%x00%cI%x00%s', ...heads]));
  jobs.push(
    (async () => {
      const bottom = (await plain.out(repo.commonDir, 'merge-base', '--octopus', 'main', ...heads)).trim();
      await plain.run(repo.commonDir, ['rev-list', '--parents', 'main', ...heads, `^${bottom}`]);
    })(),
  );
  await Promise.all(jobs);
  await Promise.all(
    squashCandidates.map(({ worktree }) =>
      plain.run(
        repo.commonDir,
        ['merge-tree', '--write-tree', '-z', '--name-only', '--no-messages', 'main', worktree?.head as string],
        { okExitCodes: [1] },
      ),
    ),
  );
}

/**
 * Create, merge and cleanup, each against the plain git commands a user would
 * type for the same result. Every run makes one plan with the extension and
 * one with plain git; each gets a commit of its own (not measured) before the
 * merges, so no merge conflicts and none is a fast-forward.
 */
async function lifecycle(
  repo: SyntheticRepo,
  n: number,
  subject: Subject,
  compare: (measure: Measure, c: Comparison) => Promise<Row>,
  plain: PlainGit,
  repository: Repository,
): Promise<Row[]> {
  const runs = runsFor('create', n, repository);
  const setupGit = new PlainGit(2);
  const made: Array<{ ext?: Awaited<ReturnType<Subject['create']>>; plain?: { branch: string; path: string } }> = [];
  let k = 0;
  const nextName = () => `life-${n}-${++k}`;
  const create = await compare('create', {
    runs,
    extension: async () => {
      const name = nextName();
      made.push({ ext: await subject.create({ id: name, title: `Lifecycle ${name}` }) });
    },
    plain: async () => {
      const name = nextName();
      const branch = `plan/${name}`;
      const folder = path.join(repo.plansDir, name);
      await plain.run(repo.main, ['worktree', 'add', '-b', branch, folder]);
      made.push({ plain: { branch, path: folder } });
    },
    plainLabel: 'git worktree add -b <branch> <path>',
  });
  // Plans for the plumbing reference of the merge, made with plain git (not measured).
  const plumbingPlans: Array<{ branch: string; path: string }> = [];
  for (let i = 0; i < runs; i++) {
    const name = nextName();
    const entry = { branch: `plan/${name}`, path: path.join(repo.plansDir, name) };
    await setupGit.out(repo.main, 'worktree', 'add', '-q', '-b', entry.branch, entry.path);
    plumbingPlans.push(entry);
    made.push({ plain: entry });
  }
  // A commit in each new plan, each to a file of its own.
  for (const m of made) {
    const folder = m.ext?.path ?? (m.plain?.path as string);
    fs.writeFileSync(path.join(folder, `${path.basename(folder)}.md`), `work of ${path.basename(folder)}\n`);
    await setupGit.out(folder, 'add', '-A');
    await setupGit.out(folder, 'commit', '-q', '-m', `Work in ${path.basename(folder)}`);
  }
  const extPlans = made.flatMap((m) => (m.ext ? [m.ext] : []));
  const plainPlans = made.flatMap((m) => (m.plain && !plumbingPlans.includes(m.plain) ? [m.plain] : []));
  let e = 0;
  let p = 0;
  let q = 0;
  const merge = await compare('merge', {
    runs,
    extension: () => subject.merge(extPlans[e++]),
    plain: () => plain.run(repo.main, ['merge', '--no-ff', '--no-edit', plainPlans[p++].branch]),
    plainLabel: 'git merge --no-ff --no-edit <branch> (in the main checkout)',
    reference: {
      label:
        'the same merge without a checkout: rev-parse, merge-tree, commit-tree, update-ref <new> <old>, read-tree -m -u',
      run: () => plumbingMerge(plain, repo, plumbingPlans[q++].branch),
    },
  });
  for (const entry of plumbingPlans) {
    await setupGit.out(repo.main, 'worktree', 'remove', entry.path);
    await setupGit.out(repo.main, 'branch', '-d', entry.branch);
  }
  e = 0;
  p = 0;
  const cleanup = await compare('cleanup', {
    runs,
    extension: () => subject.cleanup(extPlans[e++]),
    plain: async () => {
      const { branch, path: folder } = plainPlans[p++];
      await plain.run(repo.main, ['worktree', 'remove', folder]);
      await plain.run(repo.main, ['branch', '-d', branch]);
    },
    plainLabel: 'git worktree remove <path> && git branch -d <branch>',
  });
  return [create, merge, cleanup];
}

/** The fewest plain git commands that merge the way the extension does: no checkout of the plan, the base moved by compare-and-swap, its checkout brought along. */
async function plumbingMerge(plain: PlainGit, repo: SyntheticRepo, branch: string): Promise<void> {
  const old = (await plain.out(repo.commonDir, 'rev-parse', 'refs/heads/main')).trim();
  const tree = (
    await plain.out(repo.commonDir, 'merge-tree', '--write-tree', '-z', '--name-only', '--no-messages', old, branch)
  ).split('\0')[0];
  const commit = (
    await plain.out(repo.commonDir, 'commit-tree', tree, '-p', old, '-p', branch, '-m', `Merge ${branch}`)
  ).trim();
  await plain.run(repo.commonDir, ['update-ref', 'refs/heads/main', commit, old]);
  await plain.run(repo.main, ['read-tree', '-m', '-u', old, commit]);
}

interface Comparison {
  /** Runs before each of the extension's runs, outside the clock and the process count. */
  prepare?: () => Promise<unknown>;
  extension: () => Promise<unknown>;
  plain: () => Promise<unknown>;
  plainLabel: string;
  reference?: { run: () => Promise<unknown>; label: string };
  /** Runs before each side's run, outside the clock. */
  before?: () => void;
  /** `before` only before the extension's runs. */
  extensionOnlyBefore?: boolean;
  runs?: number;
}

/** Runs both sides `runs` times, alternating which goes first, after one untimed warm-up of each (except for measures that change the repository). */
async function compareSides(
  measure: Measure,
  repository: Repository,
  files: number,
  n: number,
  log: CountingLog,
  plain: PlainGit,
  c: Comparison,
): Promise<Row> {
  const runs = c.runs ?? runsFor(measure, n, repository);
  const changesRepository = measure === 'create' || measure === 'merge' || measure === 'cleanup';
  if (!changesRepository) {
    c.before?.();
    await c.prepare?.();
    await c.extension();
    if (!c.extensionOnlyBefore) c.before?.();
    await c.plain();
  }
  const ext: number[] = [];
  const base: number[] = [];
  const ref: number[] = [];
  let extensionProcesses: Record<string, number> = {};
  let plainProcesses = 0;
  let referenceProcesses = 0;
  for (let i = 0; i < runs; i++) {
    const runExtension = async () => {
      c.before?.();
      await c.prepare?.();
      log.take();
      ext.push((await timed(c.extension)).ms);
      extensionProcesses = log.take();
    };
    const runPlain = async () => {
      if (!c.extensionOnlyBefore) c.before?.();
      const before = plain.processCount;
      base.push((await timed(c.plain)).ms);
      plainProcesses = plain.processCount - before;
    };
    const runReference = async () => {
      if (!c.reference) return;
      const before = plain.processCount;
      ref.push((await timed(c.reference.run)).ms);
      referenceProcesses = plain.processCount - before;
    };
    const order = [runExtension, runPlain, runReference];
    for (let k = 0; k < order.length; k++) await order[(k + i) % order.length]();
  }
  const extensionMs = median(ext);
  const plainMs = median(base);
  // Each run's pair ran back to back, so the median of the pairs' ratios shrugs off
  // a machine that is busier for a while better than the ratio of the medians.
  const ratio = median(ext.map((x, i) => x / base[i]));
  const target = targets[measure];
  const targetMs = repository === 'realSize' && measure === 'create' ? REAL_SIZE_CREATE_MS : undefined;
  const inTime = targetMs === undefined || extensionMs < targetMs || plainMs >= targetMs;
  const processTarget = processTargets[measure];
  const msTarget = msTargets[measure];
  return {
    measure,
    repository,
    files,
    title: targetMs === undefined ? titles[measure] : `${titles[measure]} (node_modules not made ready)`,
    n,
    runs,
    extensionMs: round(extensionMs),
    plainMs: round(plainMs),
    plain: c.plainLabel,
    ratio: round(ratio, 2),
    target,
    targetMs,
    met: target === undefined ? undefined : ratio <= target && inTime,
    processTarget,
    processesMet: processTarget === undefined ? undefined : total(extensionProcesses) <= processTarget,
    msTarget,
    msMet: msTarget === undefined ? undefined : extensionMs <= msTarget,
    extensionProcesses,
    plainProcesses,
    reference: c.reference
      ? {
          label: c.reference.label,
          ms: round(median(ref)),
          ratio: round(median(ext.map((x, i) => x / ref[i])), 2),
          processes: referenceProcesses,
          samples: ref.map((x) => round(x)),
        }
      : undefined,
    samples: { extension: ext.map((x) => round(x)), plain: base.map((x) => round(x)) },
  };
}

function targetText(r: Row): string {
  return `≤ ${r.target}${r.targetMs === undefined ? '' : ` and < ${r.targetMs / 1000} s unless plain git is not`}`;
}

function describeRow(r: Row): string {
  const verdict = targetsOf(r)
    .map((t) => ` (target ${t.label}: ${t.met ? 'met' : 'MISSED'})`)
    .join('');
  const reference = r.reference ? `; ${r.reference.ms} ms by plumbing (ratio ${r.reference.ratio})` : '';
  const where = r.repository === 'realSize' ? `${r.files} files, ` : '';
  return `${where}N = ${r.n} ${r.title}: ${r.extensionMs} ms vs ${r.plainMs} ms plain, ratio ${r.ratio}${verdict}; git processes ${total(r.extensionProcesses)} ${JSON.stringify(r.extensionProcesses)} vs ${r.plainProcesses}${reference}`;
}

function bundleSize(options: RunOptions): Record<string, unknown> {
  if (!options.bundle) return { measured: false, reason: `the extension does not build: ${options.bundleError}` };
  const data = fs.readFileSync(options.bundle);
  return {
    measured: true,
    file: 'dist/extension.js (node esbuild.js --production)',
    bytes: data.length,
    kb: round(data.length / 1024),
    gzipKb: round(zlib.gzipSync(data).length / 1024),
  };
}

/** Each target of a row: the ratio's, the processes', the time's. */
function targetsOf(r: Row): Array<{ label: string; met: boolean }> {
  const all: Array<{ label: string; met: boolean }> = [];
  if (r.target !== undefined) all.push({ label: targetText(r), met: !!r.met });
  if (r.processTarget !== undefined) {
    all.push({ label: `≤ ${r.processTarget} process${r.processTarget === 1 ? '' : 'es'}`, met: !!r.processesMet });
  }
  if (r.msTarget !== undefined) all.push({ label: `≤ ${r.msTarget} ms`, met: !!r.msMet });
  return all;
}

function processesCell(r: Row): string {
  const count = total(r.extensionProcesses);
  if (['stateFirst', 'stateRefresh', 'refreshUnchanged', 'incremental'].includes(r.measure)) {
    const statuses = r.extensionProcesses.status ?? 0;
    return `${count} (${statuses} status + ${count - statuses})`;
  }
  return String(count);
}

/** The extension host's longest synchronous slices (bench/host/slices.ts), and its CPU for 1,000 writes in a plan worktree. */
function formatSlices(s: Record<string, unknown>): string {
  if (!s.measured)
    return `Longest synchronous slice of the extension host, N = ${SLICES_N}: not measured (${s.reason}).`;
  type Phase = { longestSliceMs: number; longestSliceMedianMs: number; loopDelayMaxMs: number; ms?: number };
  const target = s.targetMs as number;
  const line = (label: string, p: Phase, judged: boolean) =>
    `| ${label} | ${p.ms === undefined ? '—' : p.ms} | ${p.longestSliceMs} (median ${p.longestSliceMedianMs}) | ${p.loopDelayMaxMs} | ${judged ? `≤ ${target} ms ${p.longestSliceMs <= target ? '✓' : '✗ missed'}` : '—'} |`;
  const w = s.worktreeWrites as Phase & { cpuMs: number; idleCpuMs: number; files: number };
  return [
    `Extension host at N = ${s.n} (real VS Code host, ${s.runs} runs; longest of the runs):`,
    '',
    '| phase | time (ms) | longest synchronous slice (ms) | event-loop delay max (ms) | target |',
    '| --- | ---: | ---: | ---: | --- |',
    line('activation until every item has its state', s.firstRead as Phase, false),
    line('idle, nothing asked (2 s)', s.idle as Phase, false),
    line('Refresh: every state and the merge pre-check again', s.refresh as Phase, true),
    line(`${w.files.toLocaleString('en')} files written in one plan worktree, until its item counts them`, w, true),
    '',
    `Extension host CPU for those ${w.files.toLocaleString('en')} writes: **${w.cpuMs} ms** (doing nothing for as long: ${w.idleCpuMs} ms).`,
  ].join('\n');
}

function rowsTable(rows: Row[]): string[] {
  const lines = [
    '| measure | N | extension (ms) | plain git (ms) | ratio | target | git processes (extension / plain) |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  const order: Measure[] = [
    'list',
    'paintFromCache',
    'stateFirst',
    'stateRefresh',
    'refreshUnchanged',
    'incremental',
    'create',
    'merge',
    'cleanup',
  ];
  for (const measure of order) {
    for (const r of rows.filter((x) => x.measure === measure)) {
      const targets = targetsOf(r);
      const target =
        targets.length === 0 ? '—' : targets.map((t) => `${t.label} ${t.met ? '✓' : '✗ missed'}`).join('; ');
      lines.push(
        `| ${r.title} | ${r.n} | ${r.extensionMs.toFixed(1)} | ${r.plainMs.toFixed(1)} | ${r.ratio.toFixed(2)} | ${target} | ${processesCell(r)} / ${r.plainProcesses} |`,
      );
    }
  }
  return lines;
}

/** The activation measure's floor (bench/floor/extension.ts) beside the extension's figures. */
function formatFloor(activation: Record<string, unknown>): string {
  const floor = activation.floor as
    | {
        measured: boolean;
        reason?: string;
        runs?: number;
        activateMs?: number;
        firstItemsMs?: number;
        allDetailsMs?: number;
      }
    | undefined;
  if (!floor?.measured)
    return `Floor (an extension that only shows 201 static items): not measured (${floor?.reason ?? 'not run'}).`;
  const phases = (p: unknown) => {
    const x = p as { waitMs: number; loadMs: number; contextMs: number; activateCallMs: number } | undefined;
    return x ? ` (wait ${x.waitMs}, load ${x.loadMs}, context ${x.contextMs}, activate() ${x.activateCallMs} ms)` : '';
  };
  return (
    `Floor, the same host and folder, an extension that only shows 201 static items (median of ${floor.runs}): ` +
    `activate ${floor.activateMs} ms${phases((floor as { phases?: unknown }).phases)}, first items ${floor.firstItemsMs} ms, every item's state ${floor.allDetailsMs} ms; ` +
    `Plan Worktrees: activate ${activation.activateMs} ms${phases(activation.phases)}, first items ${activation.firstItemsMs} ms, every item's state ${activation.allDetailsMs} ms.`
  );
}

/** The Markdown table printed at the end and pasted into README.md. */
export function formatTable(rows: Row[], activation: Record<string, unknown>, bundle: Record<string, unknown>): string {
  const lines = rowsTable(rows.filter((r) => r.repository === 'small'));
  const realSize = rows.filter((r) => r.repository === 'realSize');
  if (realSize.length > 0) {
    lines.push(
      '',
      `Real-size repository (${realSize[0].files.toLocaleString('en')} files):`,
      '',
      ...rowsTable(realSize),
    );
  }
  lines.push('');
  for (const r of rows.filter((x) => x.reference)) {
    const ref = r.reference as NonNullable<Row['reference']>;
    lines.push(
      `- ${r.title}, ${r.files.toLocaleString('en')} files, N = ${r.n}, against ${ref.label}: ${ref.ms.toFixed(1)} ms, ratio ${ref.ratio.toFixed(2)} (${ref.processes} processes).`,
    );
  }
  if (rows.some((x) => x.reference)) lines.push('');
  if (activation.measured) {
    lines.push(
      `Activation to the tree's first items, N = ${activation.n}, real VS Code host (code-server ${activation.vscode ?? ''}): ` +
        `**${activation.firstItemsMs} ms** (median of ${activation.runs}; all ${activation.items} items' state shown after ${activation.allDetailsMs} ms, ` +
        `items painted from the state cache per run: ${JSON.stringify(activation.paintedFromCache)}; all verified by git after ${activation.verifiedMs} ms).`,
    );
    lines.push(formatFloor(activation));
  } else {
    lines.push(`Activation to the tree's first items, N = ${ACTIVATION_N}: not measured (${activation.reason}).`);
  }
  if (bundle.measured)
    lines.push(
      `Bundle size of dist/extension.js (production build): **${bundle.kb} KB** (${bundle.gzipKb} KB gzipped).`,
    );
  else lines.push(`Bundle size of dist/extension.js: not measured (${bundle.reason}).`);
  return lines.join('\n');
}
