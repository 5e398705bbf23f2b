/**
 * `npm run bench`: Plan Worktrees against plain git, side by side in one run,
 * on a synthetic repository of 2,000 files with N = 10, 50, 100 and 200 plan
 * worktrees. Prints a table and writes bench/results.json. See bench/README.md.
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
import { measureActivation, onInterrupt } from './hostActivation';
import { describeMainWritesRow, formatMainWritesTable, measureMainWrites, MainWritesRow } from './mainWrites';
import { PlainGit } from './plainGit';
import { median, round, timed } from './stats';
import { openSubject, Subject, SubjectItem } from './subject';
import {
  createSyntheticRepo,
  FILE_COUNT,
  growPlans,
  isolateGitEnvironment,
  SyntheticRepo,
  trackedFile,
} from './syntheticRepo';

export interface RunOptions {
  /** The project's root folder. */
  projectRoot: string;
  /** Where bench/build.js put its output (the activation measure loads from there). */
  outDir: string;
  /** The production bundle, or why it could not be built. */
  bundle?: string;
  bundleError?: string;
}

type Measure = 'list' | 'stateFirst' | 'stateRefresh' | 'incremental' | 'create' | 'merge' | 'cleanup';

interface Row {
  measure: Measure;
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
  target?: number;
  met?: boolean;
  /** Git processes of one run of the extension, by subcommand. */
  extensionProcesses: Record<string, number>;
  plainProcesses: number;
  /** A second yardstick run in the same loop, where the obvious plain command does less than the extension must (merge). */
  reference?: { label: string; ms: number; ratio: number; processes: number; samples: number[] };
  samples: { extension: number[]; plain: number[] };
}

const SIZES = (process.env.BENCH_N ?? '10,50,100,200').split(',').map(Number);
const ACTIVATION_N = 100;
/** `BENCH_ONLY=lifecycle`: only create, merge and cleanup (a partial run). */
const LIFECYCLE_ONLY = process.env.BENCH_ONLY === 'lifecycle';
/** `BENCH_ONLY=dependencies`: only create with a large node_modules, per dependencyFolders mode (a partial run). */
const DEPENDENCIES_ONLY = process.env.BENCH_ONLY === 'dependencies';
/** `BENCH_ONLY=mainWrites`: only the 1,000 file writes in the main checkout (a partial run). */
const MAIN_WRITES_ONLY = process.env.BENCH_ONLY === 'mainWrites';
/** `BENCH_RUNS=15`: this many runs of every measure (a partial run). */
const RUNS = process.env.BENCH_RUNS ? Number(process.env.BENCH_RUNS) : undefined;
/** Runs per measure; fewer at N = 200, where one run of the state measures takes seconds. */
function runsFor(measure: Measure, n: number): number {
  if (RUNS) return RUNS;
  if (measure === 'list') return 15;
  if (measure === 'create' || measure === 'merge' || measure === 'cleanup') return n >= 200 ? 5 : 7;
  return n >= 200 ? 3 : 7;
}

const targets: Partial<Record<Measure, number>> = {
  list: 1.5,
  stateFirst: 1.2,
  stateRefresh: 1.2,
  create: 1.2,
  merge: 1.3,
  cleanup: 1.3,
};
const titles: Record<Measure, string> = {
  list: 'list, first paint',
  stateFirst: 'full state, first read',
  stateRefresh: 'full state, refresh',
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
  let mainWrites: MainWritesRow | undefined;
  let activation: Record<string, unknown> = {
    measured: false,
    reason: `N = ${ACTIVATION_N} is not among the sizes run`,
  };
  try {
    if (!LIFECYCLE_ONLY && !DEPENDENCIES_ONLY) {
      mainWrites = await measureMainWrites(root, RUNS ?? 5);
      say(describeMainWritesRow(mainWrites));
    }
    if (!LIFECYCLE_ONLY && !MAIN_WRITES_ONLY) {
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
    const sizes = DEPENDENCIES_ONLY || MAIN_WRITES_ONLY ? [] : SIZES;
    if (sizes.length > 0) say(`synthetic repository of ${FILE_COUNT} files in ${root}`);
    const repo = sizes.length > 0 ? await createSyntheticRepo(root) : undefined;
    for (const n of sizes) {
      if (!repo) break;
      const setup = Date.now();
      await growPlans(repo, n);
      say(`N = ${n}: ${n} plan worktrees ready (setup ${((Date.now() - setup) / 1000).toFixed(1)}s, not measured)`);
      rows.push(...(await measureSize(repo, n)));
      if (n === ACTIVATION_N && process.env.BENCH_HOST !== '0' && !LIFECYCLE_ONLY) {
        activation = await measureActivation({ ...options, folder: repo.main, n, runs: 3 }).catch((e) => ({
          measured: false,
          reason: String(e?.message ?? e),
        }));
        say(`activation: ${JSON.stringify(activation)}`);
      }
    }
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
    durationSeconds: Math.round((Date.now() - started) / 1000),
    rows,
    dependencyFolders: dependencyRows,
    mainWrites,
    activation,
    bundle,
  };
  // Only a complete run replaces bench/results.json (the file the README's table comes from).
  const complete =
    process.env.BENCH_N === undefined &&
    process.env.BENCH_HOST !== '0' &&
    process.env.BENCH_ONLY === undefined &&
    process.env.BENCH_DEP_FILES === undefined &&
    RUNS === undefined;
  const resultsFile = complete
    ? path.join(options.projectRoot, 'bench', 'results.json')
    : path.join(os.tmpdir(), 'plan-worktrees-bench-results.json');
  fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');
  console.log('\n' + formatTable(rows, activation, bundle));
  if (dependencyRows.length > 0) console.log('\n' + formatDependencyTable(dependencyRows));
  if (mainWrites) console.log('\n' + formatMainWritesTable(mainWrites));
  console.log(`\n${complete ? 'bench/results.json' : resultsFile} written (${results.durationSeconds}s in all).`);
  return 0;
}

function say(message: string): void {
  console.log(`[bench] ${message}`);
}

async function measureSize(repo: SyntheticRepo, n: number): Promise<Row[]> {
  const log = new CountingLog();
  const subject = await openSubject(repo.main, log);
  const plain = new PlainGit(subject.maxConcurrent);
  const rows: Row[] = [];
  const items = await subject.list();
  const plans = items.filter((i) => i.kind === 'plan' && i.worktree);
  if (plans.length !== n) throw new Error(`expected ${n} plans in the list, found ${plans.length}`);
  if (LIFECYCLE_ONLY) {
    rows.push(...(await lifecycle(repo, n, subject, log, plain)));
    for (const row of rows) say(describeRow(row));
    return rows;
  }

  // List, first paint: the worktrees and their plans, without any state.
  rows.push(
    await compare('list', n, log, plain, {
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
    await compare('stateFirst', n, log, plain, {
      prepare: () => subject.fresh(),
      extension: () => subject.stateFirstRead(items),
      plain: () => plainState(plain, repo, items, squashCandidates),
      plainLabel: `git status per worktree + log --no-walk + merge-base --octopus + rev-list --parents, then merge-tree per squash candidate (${squashCandidates.length})`,
    }),
  );
  rows.push(
    await compare('stateRefresh', n, log, plain, {
      extension: () => subject.refresh(items),
      plain: () => plainState(plain, repo, items, []),
      plainLabel: 'git status per worktree + log --no-walk + merge-base --octopus + rev-list --parents',
    }),
  );

  // One file changes in one worktree: only that worktree is read again.
  const target = plans[Math.floor(plans.length / 2)];
  const targetPath = target.worktree?.path as string;
  const file = path.join(targetPath, trackedFile(5));
  const original = fs.readFileSync(file);
  let edit = 0;
  await subject.refresh(items);
  rows.push(
    await compare('incremental', n, log, plain, {
      before: () => fs.appendFileSync(file, `// edit ${++edit}\n`),
      extension: () => subject.incremental(targetPath),
      plain: () =>
        plain.run(targetPath, ['status', '--porcelain=v2', '-z', '--branch', '--untracked-files=all'], {
          env: { GIT_OPTIONAL_LOCKS: '0' },
        }),
      plainLabel: 'git status of that worktree',
      extensionOnlyBefore: true,
    }),
  );
  fs.writeFileSync(file, original);

  rows.push(...(await lifecycle(repo, n, subject, log, plain)));
  for (const row of rows) say(describeRow(row));
  return rows;
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
  log: CountingLog,
  plain: PlainGit,
): Promise<Row[]> {
  const runs = runsFor('create', n);
  const setupGit = new PlainGit(2);
  const made: Array<{ ext?: Awaited<ReturnType<Subject['create']>>; plain?: { branch: string; path: string } }> = [];
  let k = 0;
  const nextName = () => `life-${n}-${++k}`;
  const create = await compare('create', n, log, plain, {
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
  const merge = await compare('merge', n, log, plain, {
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
  const cleanup = await compare('cleanup', n, log, plain, {
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
async function compare(measure: Measure, n: number, log: CountingLog, plain: PlainGit, c: Comparison): Promise<Row> {
  const runs = c.runs ?? runsFor(measure, n);
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
  return {
    measure,
    title: titles[measure],
    n,
    runs,
    extensionMs: round(extensionMs),
    plainMs: round(plainMs),
    plain: c.plainLabel,
    ratio: round(ratio, 2),
    target,
    met: target === undefined ? undefined : ratio <= target,
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

function describeRow(r: Row): string {
  const verdict =
    r.target === undefined ? '' : r.met ? ` (target ≤ ${r.target}: met)` : ` (target ≤ ${r.target}: MISSED)`;
  const reference = r.reference ? `; ${r.reference.ms} ms by plumbing (ratio ${r.reference.ratio})` : '';
  return `N = ${r.n} ${r.title}: ${r.extensionMs} ms vs ${r.plainMs} ms plain, ratio ${r.ratio}${verdict}; git processes ${total(r.extensionProcesses)} ${JSON.stringify(r.extensionProcesses)} vs ${r.plainProcesses}${reference}`;
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

function processesCell(r: Row): string {
  const count = total(r.extensionProcesses);
  if (r.measure === 'stateFirst' || r.measure === 'stateRefresh' || r.measure === 'incremental') {
    const statuses = r.extensionProcesses.status ?? 0;
    return `${count} (${statuses} status + ${count - statuses})`;
  }
  return String(count);
}

/** The Markdown table printed at the end and pasted into README.md. */
export function formatTable(rows: Row[], activation: Record<string, unknown>, bundle: Record<string, unknown>): string {
  const lines = [
    '| measure | N | extension (ms) | plain git (ms) | ratio | target | git processes (extension / plain) |',
    '| --- | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  const order: Measure[] = ['list', 'stateFirst', 'stateRefresh', 'incremental', 'create', 'merge', 'cleanup'];
  for (const measure of order) {
    for (const r of rows.filter((x) => x.measure === measure)) {
      const target = r.target === undefined ? '—' : `≤ ${r.target} ${r.met ? '✓' : '✗ missed'}`;
      lines.push(
        `| ${r.title} | ${r.n} | ${r.extensionMs.toFixed(1)} | ${r.plainMs.toFixed(1)} | ${r.ratio.toFixed(2)} | ${target} | ${processesCell(r)} / ${r.plainProcesses} |`,
      );
    }
  }
  lines.push('');
  for (const r of rows.filter((x) => x.reference)) {
    const ref = r.reference as NonNullable<Row['reference']>;
    lines.push(
      `- ${r.title}, N = ${r.n}, against ${ref.label}: ${ref.ms.toFixed(1)} ms, ratio ${ref.ratio.toFixed(2)} (${ref.processes} processes).`,
    );
  }
  if (rows.some((x) => x.reference)) lines.push('');
  if (activation.measured) {
    lines.push(
      `Activation to the tree's first items, N = ${activation.n}, real VS Code host (code-server ${activation.vscode ?? ''}): ` +
        `**${activation.firstItemsMs} ms** (median of ${activation.runs}; all ${activation.items} items' state loaded after ${activation.allDetailsMs} ms).`,
    );
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
