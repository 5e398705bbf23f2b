/**
 * A model-based random test of the whole lifecycle on a real repository:
 * random sequences of create, edit, commit, merge (every strategy, conflicting
 * ones included), cleanup, forced discard, restore, doctor, folders deleted by
 * hand, commits on the base, and operations from two processes at once (a
 * forked process runs its own engine on the same repository); ignored files
 * edited in a plan (a rotated secret in the copied .env, a local cache file,
 * a patched dependency that is disposable), worktrees moved by hand with
 * `git worktree move`, merge commits on a plan (the base merged in, a
 * conflict resolved, an edit made while merging), and a process still
 * writing into a worktree while it is cleaned up or discarded. After every
 * step: nothing reachable or uncommitted was lost (unless its work is in the
 * base, or a snapshot or stash holds it), the registry agrees with git, and
 * the main checkout changed only through a merge into its branch.
 *
 * Seeded and reproducible: every run replays the known seed below (a
 * regression case) and one fresh seed, CI included; each is printed with its
 * replay line. Replay one with PLAN_WORKTREES_FUZZ_SEED=<seed> (then it runs
 * alone), run longer with PLAN_WORKTREES_FUZZ_STEPS=<n> (and
 * PLAN_WORKTREES_FUZZ_RUNS=<n> for more fresh seeds in a row).
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Git } from '../../../src/git/runner';
import { MergeStrategy } from '../../../src/model/lifecycle/merge';
import { PlanEngine, PlanWorktree } from '../../../src/model/engine/planEngine';
import {
  assertCheckoutAt,
  assertConsistent,
  assertNothingLost,
  attempt,
  blobId,
  counts,
  doctorFixAll,
  EngineWorker,
  envNumber,
  fuzzSeeds,
  holdings,
  inBase,
  mainCheckout,
  Outcome,
  Random,
  WorkerReply,
  worktreeCommit,
} from '../helpers/fault';
import { createRepo, git, gitMayFail, removeDir, TestRepo, writeFiles } from '../helpers/repo';

const strategies: MergeStrategy[] = ['merge', 'squash', 'fastForward', 'rebase'];
const titles = [
  'Login page',
  'Fix the parser',
  'Über größe',
  'Add tests',
  'Refactor the queue',
  '日本 test',
  'Spaces  and — dashes',
];
const files = ['src/app.txt', 'shared.txt', 'README.md'];

/** Engine operations that run in either process. */
type EngineOp =
  | { op: 'create'; args: [object] }
  | { op: 'merge'; args: [string, object] }
  | { op: 'cleanup'; args: [string, object] }
  | { op: 'discard'; args: [string] }
  | { op: 'restore'; args: [string] }
  | { op: 'doctorFix'; args: [] };

interface Fuzz {
  repo: TestRepo;
  engine: PlanEngine;
  worker: EngineWorker;
  rng: Random;
  trail: string[];
  /** Folders deleted by hand or overwritten by the user in this step: their uncommitted files were lost by the user, not the engine. */
  forgiven: string[];
  /**
   * Plans merged with `commitUncommitted` in this step: their files are
   * committed as they are on disk (as `git commit -a` would), so a staged
   * version that was edited again afterwards is superseded, not lost.
   */
  stagedForgiven: string[];
  /**
   * Plans rebased with `commitUncommitted`: their files are committed, then
   * replayed onto the base (merged with its changes), so a file's content may
   * change. Each worktree's work as a commit, taken before the step: it must be in the base after.
   */
  rebasedWork: Array<{ worktree: string; commit: string }>;
  /** Refusals seen, by code. */
  refusals: Map<string, number>;
}

describe('fault suite: model-based random lifecycle', function () {
  const steps = envNumber('PLAN_WORKTREES_FUZZ_STEPS', 200);
  const runs = envNumber('PLAN_WORKTREES_FUZZ_RUNS', 1);
  this.timeout(Math.max(120_000, steps * 3_000));

  // The known seed, then the fresh one (or the replayed one) and, with PLAN_WORKTREES_FUZZ_RUNS, the seeds after it.
  const seeds = fuzzSeeds([4077422029]);
  const last = seeds[seeds.length - 1];
  for (let run = 1; run < runs; run++) seeds.push({ seed: (last.seed + run) >>> 0, kind: last.kind });
  for (const { seed, kind } of seeds) {
    it(`keeps every commit and file and a consistent registry over ${steps} random steps (${kind} seed ${seed})`, async () => {
      console.log(
        `      fuzz seed ${seed}, ${kind} (replay: PLAN_WORKTREES_FUZZ_SEED=${seed} PLAN_WORKTREES_FUZZ_STEPS=${steps})`,
      );
      const repo = createRepo({
        'README.md': '# demo\n',
        'src/app.txt': 'one\ntwo\nthree\nfour\nfive\n',
        'shared.txt': 'a\nb\nc\n',
      });
      fs.appendFileSync(path.join(repo.main, '.git', 'info', 'exclude'), '.env\n*.local\nnode_modules/\n');
      writeFiles(repo.main, { '.env': 'SECRET=1\n' });
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const worker = new EngineWorker(repo.main);
      const fuzz: Fuzz = {
        repo,
        engine,
        worker,
        rng: new Random(seed),
        trail: [],
        forgiven: [],
        stagedForgiven: [],
        rebasedWork: [],
        refusals: new Map(),
      };
      try {
        await worker.whenReady();
        for (let step = 1; step <= steps; step++) await runStep(fuzz, step);
        if (process.env.PLAN_WORKTREES_FUZZ_VERBOSE) console.log(fuzz.trail.join('\n'));
        console.log(`      refusals seen: ${[...fuzz.refusals].map(([code, n]) => `${code} ${n}`).join(', ')}`);
      } catch (e) {
        const trail = fuzz.trail.slice(process.env.PLAN_WORKTREES_FUZZ_VERBOSE ? 0 : -25).join('\n        ');
        console.log(`      seed ${seed} failed; the last steps:\n        ${trail}`);
        throw e;
      } finally {
        await worker.close();
        removeDir(repo.root);
      }
    });
  }
});

async function runStep(fuzz: Fuzz, step: number): Promise<void> {
  const { repo, rng } = fuzz;
  const rows = await fuzz.engine.list();
  const plans = rows.filter((r) => r.plan?.status === 'active');
  const withFolder = plans.filter((r) => r.worktree && fs.existsSync(r.worktree.path));
  const crowded = plans.length >= 5;
  const action = rng.weighted({
    create: crowded ? 1 : 8,
    edit: withFolder.length ? 14 : 0,
    commit: withFolder.length ? 8 : 0,
    mainCommit: 3,
    mainDirty: 2,
    mainClean: 2,
    merge: plans.length ? 10 : 0,
    cleanup: plans.length ? (crowded ? 8 : 4) : 0,
    discard: plans.length ? (crowded ? 5 : 2) : 0,
    restore: 3,
    removeFolder: withFolder.length ? 1 : 0,
    ignoredEdit: withFolder.length ? 4 : 0,
    moveByHand: withFolder.length ? 1 : 0,
    planMerge: withFolder.length ? 3 : 0,
    writer: withFolder.length ? 2 : 0,
    doctor: 2,
    concurrent: 6,
  });
  fuzz.forgiven = [];
  fuzz.stagedForgiven = [];
  fuzz.rebasedWork = [];
  const before = holdings(repo.main);
  const mainBefore = mainCheckout(repo.main);
  const mainWasClean = git(repo.main, 'status', '--porcelain', '--untracked-files=no') === '';
  const tipBefore = git(repo.main, 'rev-parse', 'refs/heads/main');
  const label = (text: string): void => void fuzz.trail.push(`${step}. ${text}`);
  let mainMayChange = false;
  /** The main checkout's branch moved to this commit through a merge. */
  let mergedInto: string | undefined;

  const onEngineAnswer = (what: string, outcome: Outcome<unknown> | WorkerReply): void => {
    if (outcome.ok) label(`${what} -> ok`);
    else {
      const failed = (outcome as { command?: string }).command;
      label(`${what} -> ${outcome.code}: ${outcome.message?.split('\n')[0]}${failed ? ` (${failed})` : ''}`);
      fuzz.refusals.set(outcome.code ?? '?', (fuzz.refusals.get(outcome.code ?? '?') ?? 0) + 1);
      assert.ok(
        !(outcome as WorkerReply).unexpected,
        `${what} failed with an error that is not a PlanWorktreesError: ${outcome.message}`,
      );
      // Two windows moving the main checkout's changes at once: the second finds them gone (nothing is lost; the first has them).
      const command = (outcome as { command?: string }).command ?? '';
      const secondMove =
        (outcome as { data?: { reason?: string } }).data?.reason === 'stashNotRecorded' ||
        /^git stash push/.test(command);
      assert.ok(
        outcome.code !== 'Unknown' || secondMove,
        `${what} failed with an unclassified error: ${outcome.message}`,
      );
    }
  };

  switch (action) {
    case 'edit': {
      const row = rng.pick(withFolder);
      fuzz.forgiven.push(row.worktree?.path as string); // the user overwrites their own work
      label(`edit ${editFiles(rng, row.worktree?.path as string, step)} in plan ${row.plan?.id}`);
      break;
    }
    case 'commit': {
      const folder = rng.pick(withFolder).worktree?.path as string;
      fuzz.forgiven.push(folder); // `git add -A` replaces what was staged
      git(folder, 'add', '-A');
      const done = gitMayFail(folder, 'commit', '-q', '-m', `work ${step}`);
      label(
        `commit in ${path.basename(folder)}: ${done.ok ? git(folder, 'rev-parse', '--short', 'HEAD') : 'nothing to commit'}`,
      );
      break;
    }
    case 'mainCommit': {
      const file = rng.pick(files.slice(0, 2));
      fuzz.forgiven.push(repo.main);
      editLine(rng, path.join(repo.main, file), `main ${step}`);
      git(repo.main, 'add', '--', file);
      git(repo.main, 'commit', '-q', '-m', `main work ${step}`, '--', file);
      label(`commit ${file} on main`);
      break;
    }
    case 'mainDirty':
      fuzz.forgiven.push(repo.main);
      label(`leave main dirty: ${editFiles(rng, repo.main, step)}`);
      break;
    case 'mainClean':
      fuzz.forgiven.push(repo.main);
      git(repo.main, 'add', '-A');
      label(
        `commit everything in main: ${gitMayFail(repo.main, 'commit', '-q', '-m', `main cleanup ${step}`).ok ? 'committed' : 'was clean'}`,
      );
      break;
    case 'removeFolder': {
      const folder = rng.pick(withFolder).worktree?.path as string;
      fs.rmSync(folder, { recursive: true, force: true });
      fuzz.forgiven.push(folder);
      label(`rm -rf ${path.basename(folder)} by hand`);
      break;
    }
    case 'ignoredEdit': {
      const folder = rng.pick(withFolder).worktree?.path as string;
      const kind = rng.weighted({ secret: 2, local: 2, dependency: 1 });
      const file =
        kind === 'secret' ? '.env' : kind === 'local' ? `cache/c${rng.int(3)}.local` : `node_modules/dep/index.js`;
      writeFiles(folder, { [file]: `${kind} ${step} ${rng.int(1000)}\n` });
      fuzz.forgiven.push(folder); // the user overwrites their own file
      label(`edit ignored ${file} in ${path.basename(folder)}`);
      break;
    }
    case 'moveByHand': {
      const folder = rng.pick(withFolder).worktree?.path as string;
      const moved = gitMayFail(repo.main, 'worktree', 'move', folder, `${folder}-moved${step}`);
      label(
        `git worktree move ${path.basename(folder)} -> ${path.basename(folder)}-moved${step}: ${moved.ok ? 'moved' : moved.stderr.split('\n')[0]}`,
      );
      break;
    }
    case 'planMerge':
      label(mergeBaseIntoPlan(fuzz, rng.pick(withFolder).worktree?.path as string, step));
      break;
    case 'writer': {
      const row = rng.pick(withFolder);
      const op: EngineOp = rng.chance(0.5)
        ? { op: 'cleanup', args: [row.plan?.id as string, { force: true }] }
        : { op: 'discard', args: [row.plan?.id as string] };
      counts.operations++;
      const writer = await startWriter(row.worktree?.path as string);
      const outcome = await runHere(fuzz, op);
      const written = await writer.stop();
      onEngineAnswer(
        `${show(op)} while a process writes into ${path.basename(row.worktree?.path as string)} (${written.length} files written)`,
        outcome,
      );
      assertWrittenKept(repo.main, written, `seed ${fuzz.rng.seed} step ${step} (writer)`);
      break;
    }
    case 'concurrent': {
      const mine = await chooseOp(fuzz, rows, step);
      const theirs = await chooseOp(fuzz, rows, step);
      counts.operations++;
      const [a, b] = await Promise.all([runHere(fuzz, mine), fuzz.worker.call(theirs.op, ...theirs.args)]);
      onEngineAnswer(`here ${show(mine)} || there ${show(theirs)}: here`, a);
      onEngineAnswer(`  there`, b);
      // The main checkout's branch after both: where the merges that succeeded say they left it, never read from the branch itself.
      const merges: MoveOfBase[] = [];
      for (const [op, outcome] of [
        [mine, a],
        [theirs, b],
      ] as const) {
        if (!outcome.ok) continue;
        if (op.op === 'create') mainMayChange ||= (op.args[0] as { dirtyBase?: string }).dirtyBase === 'move';
        if (op.op === 'merge') {
          mainMayChange = true;
          if (baseOf(rows, op.args[0]) === 'main') {
            merges.push(('value' in outcome ? outcome.value : outcome.result) as MoveOfBase);
          }
        }
      }
      if (mainMayChange && mainWasClean && (a.ok || b.ok)) {
        mergedInto = merges.length ? lastOfChain(merges, `seed ${fuzz.rng.seed} step ${step}`) : tipBefore;
      }
      break;
    }
    default: {
      const op =
        action === 'doctor' ? ({ op: 'doctorFix', args: [] } as EngineOp) : await chooseOp(fuzz, rows, step, action);
      const outcome = await runHere(fuzz, op);
      onEngineAnswer(show(op), outcome);
      if (outcome.ok && op.op === 'merge') {
        mainMayChange = true;
        const result = outcome.value as { baseAfter: string; baseBefore: string };
        if (mainWasClean && baseOf(rows, op.args[0]) === 'main') mergedInto = result.baseAfter;
      }
      if (outcome.ok && op.op === 'create') mainMayChange = (op.args[0] as { dirtyBase?: string }).dirtyBase === 'move';
    }
  }

  const context = `seed ${fuzz.rng.seed} step ${step} (${action})`;
  // Rebased work whose changes are in the base now: its files changed with the rebase, by design.
  for (const { worktree, commit } of fuzz.rebasedWork) {
    if (inBase(repo.main, 'main', commit)) fuzz.forgiven.push(worktree);
  }
  assertNothingLost(repo.main, before, context, { forgiven: fuzz.forgiven, stagedForgiven: fuzz.stagedForgiven });
  await assertConsistent(fuzz.engine, repo.main, context, { settled: true });
  if (['create', 'merge', 'cleanup', 'discard', 'restore', 'doctor', 'concurrent'].includes(action)) {
    if (mergedInto) assertCheckoutAt(repo.main, mergedInto, context);
    else if (!mainMayChange) {
      assert.strictEqual(mainCheckout(repo.main), mainBefore, `${context}: the main checkout changed without a merge`);
    }
  }
}

/** How a merge moved its base. */
interface MoveOfBase {
  baseBefore: string;
  baseAfter: string;
}

/** The base branch of a plan (by id) as listed before the step. */
function baseOf(rows: PlanWorktree[], planId: string): string {
  return rows.find((r) => r.plan?.id === planId)?.plan?.base ?? 'main';
}

/**
 * Where two windows' merges into one branch left it: each moved the branch
 * from the tip it read (a compare-and-swap), so the second started where the
 * first ended; the tip is where the second ended. Merges that do not follow
 * each other mean one overwrote the other.
 */
function lastOfChain(merges: MoveOfBase[], context: string): string {
  if (merges.length === 1) return merges[0].baseAfter;
  const [first, second] = merges;
  if (second.baseBefore === first.baseAfter) return second.baseAfter;
  if (first.baseBefore === second.baseAfter) return first.baseAfter;
  assert.fail(
    `${context}: both merges into main succeeded, but neither started where the other ended (${first.baseBefore.slice(0, 8)}→${first.baseAfter.slice(0, 8)}, ${second.baseBefore.slice(0, 8)}→${second.baseAfter.slice(0, 8)})`,
  );
}

/**
 * Merges the base into a clean plan worktree, as a person keeping a plan
 * current does: a conflict is resolved by hand, and sometimes an edit is made
 * while merging (an "evil merge"). Its content must survive every strategy.
 */
function mergeBaseIntoPlan(fuzz: Fuzz, folder: string, step: number): string {
  if (git(folder, 'status', '--porcelain') !== '') {
    return `merge main into ${path.basename(folder)}: skipped, not clean`;
  }
  const merged = gitMayFail(folder, 'merge', '--no-ff', '--no-edit', '-m', `merge main ${step}`, 'main');
  const conflicted = git(folder, 'diff', '--name-only', '--diff-filter=U').split('\n').filter(Boolean);
  if (!merged.ok && conflicted.length === 0) {
    gitMayFail(folder, 'merge', '--abort');
    return `merge main into ${path.basename(folder)}: refused (${merged.stderr.split('\n')[0]})`;
  }
  for (const file of conflicted) fs.writeFileSync(path.join(folder, file), `resolved ${step}\n`);
  // An edit made while merging amends the merge commit; "already up to date" made none, so there is nothing to amend.
  const madeMerge =
    conflicted.length === 0 &&
    git(folder, 'rev-list', '--parents', '-n', '1', 'HEAD').split(' ').length === 3 &&
    git(folder, 'log', '-1', '--format=%s') === `merge main ${step}`;
  const evil = madeMerge && fuzz.rng.chance(0.5);
  if (evil) editLine(fuzz.rng, path.join(folder, 'shared.txt'), `made while merging ${step}`);
  if (conflicted.length > 0 || evil) {
    git(folder, 'add', '-A');
    git(folder, 'commit', '-q', ...(evil ? ['--amend'] : []), '--no-edit');
  }
  return `merge main into ${path.basename(folder)}: ${conflicted.length ? `resolved ${conflicted.join(', ')}` : evil ? 'edited while merging' : 'clean'} -> ${git(folder, 'rev-parse', '--short', 'HEAD')}`;
}

/** A process that writes a new file into `folder` every few milliseconds, as an agent or a build still running would. */
async function startWriter(folder: string): Promise<{ stop(): Promise<Array<{ file: string; blob: string }>> }> {
  const log = path.join(os.tmpdir(), `pw-writer-${process.pid}-${Date.now()}.log`);
  const script = `const fs = require('fs'), path = require('path'), crypto = require('crypto');
const [dir, log] = process.argv.slice(1);
let i = 0;
const blob = (b) => crypto.createHash('sha1').update('blob ' + b.length + '\\0').update(b).digest('hex');
setInterval(() => {
  const file = 'written-' + process.pid + '-' + i++ + '.txt';
  const content = Buffer.from('written ' + i + ' ' + Date.now() + '\\n');
  try { fs.writeFileSync(path.join(dir, file), content, { flag: 'wx' }); fs.appendFileSync(log, file + ' ' + blob(content) + '\\n'); } catch {}
}, 2);
setTimeout(() => process.exit(0), 20000);`;
  const child = spawn(process.execPath, ['-e', script, folder, log], { stdio: 'ignore' });
  // Let it write a few files before the operation starts.
  await new Promise((r) => setTimeout(r, 40));
  return {
    async stop() {
      child.kill('SIGKILL');
      await new Promise((r) =>
        child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r),
      );
      const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
      fs.rmSync(log, { force: true });
      return lines.map((l) => ({ file: path.join(folder, l.split(' ')[0]), blob: l.split(' ')[1] }));
    },
  };
}

/** Every file the writer wrote is still where it wrote it, or in a commit a ref reaches (a snapshot). */
function assertWrittenKept(main: string, written: Array<{ file: string; blob: string }>, context: string): void {
  counts.invariantChecks++;
  const reachable = new Set(
    git(main, 'rev-list', '--all', '--objects')
      .split('\n')
      .map((l) => l.slice(0, 40)),
  );
  const lost = written.filter(
    ({ file, blob }) => !(fs.existsSync(file) && blobId(fs.readFileSync(file)) === blob) && !reachable.has(blob),
  );
  counts.lost += lost.length;
  assert.deepStrictEqual(
    lost.map((w) => path.basename(w.file)),
    [],
    `${context}: files written during the operation were lost`,
  );
}

/** Writes random changes into a worktree: a changed line, a new file, a deleted file, something staged. */
function editFiles(rng: Random, folder: string, step: number): string {
  const done: string[] = [];
  for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
    const kind = rng.weighted({ line: 5, add: 3, remove: 1, stage: 2 });
    if (kind === 'line') {
      const file = rng.pick(files);
      editLine(rng, path.join(folder, file), `edit ${step}.${i}`);
      done.push(`~${file}`);
    } else if (kind === 'add') {
      const file = `notes/n${rng.int(6)}.txt`;
      writeFiles(folder, { [file]: `note ${step}.${i} ${rng.int(1000)}\n` });
      done.push(`+${file}`);
    } else if (kind === 'remove') {
      const file = rng.pick(files);
      fs.rmSync(path.join(folder, file), { force: true });
      done.push(`-${file}`);
    } else {
      gitMayFail(folder, 'add', '-A');
      done.push('staged');
    }
  }
  return done.join(' ');
}

/** Replaces one of the first lines of a file (creating it if needed): plans touching the same line conflict. */
function editLine(rng: Random, file: string, text: string): void {
  const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : [];
  lines[rng.int(Math.max(1, Math.min(lines.length, 5)))] = text;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n'));
}

async function chooseOp(fuzz: Fuzz, rows: PlanWorktree[], step: number, wanted?: string): Promise<EngineOp> {
  const op = await chooseOpKind(fuzz, rows, step, wanted);
  if (op.op === 'merge' && (op.args[1] as { commitUncommitted?: boolean }).commitUncommitted) {
    const folder = rows.find((r) => r.plan?.id === op.args[0] && r.plan.status === 'active')?.worktree?.path;
    if (folder) fuzz.stagedForgiven.push(folder);
    if (folder && fs.existsSync(folder) && (op.args[1] as { strategy: string }).strategy === 'rebase') {
      fuzz.rebasedWork.push({ worktree: folder, commit: worktreeCommit(folder) });
    }
  }
  return op;
}

async function chooseOpKind(fuzz: Fuzz, rows: PlanWorktree[], step: number, wanted?: string): Promise<EngineOp> {
  const { rng } = fuzz;
  const plans = rows.filter((r) => r.plan).map((r) => r.plan?.id as string);
  const active = rows.filter((r) => r.plan?.status === 'active').map((r) => r.plan?.id as string);
  const kind = wanted ?? rng.weighted({ create: 3, merge: 3, cleanup: 2, discard: 1, restore: 1, doctorFix: 1 });
  const dirtyMain = git(fuzz.repo.main, 'status', '--porcelain') !== '';
  switch (kind) {
    case 'create': {
      const reuse = plans.length > 0 && rng.chance(0.15) ? rng.pick(plans) : undefined;
      const options: Record<string, unknown> = { title: `${rng.pick(titles)} ${step}` };
      if (reuse) options.id = reuse;
      if (dirtyMain) options.dirtyBase = rng.pick(['refuse', 'move']);
      return { op: 'create', args: [options] };
    }
    case 'merge':
      if (active.length === 0) return chooseOpKind(fuzz, rows, step, 'create');
      return {
        op: 'merge',
        args: [rng.pick(active), { strategy: rng.pick(strategies), commitUncommitted: rng.chance(0.5) }],
      };
    case 'cleanup':
      if (plans.length === 0) return chooseOpKind(fuzz, rows, step, 'create');
      return {
        op: 'cleanup',
        args: [rng.pick(rng.chance(0.8) && active.length ? active : plans), { force: rng.chance(0.4) }],
      };
    case 'discard':
      if (plans.length === 0) return chooseOpKind(fuzz, rows, step, 'create');
      return { op: 'discard', args: [rng.pick(active.length ? active : plans)] };
    case 'restore': {
      const snapshots = await fuzz.engine.snapshots();
      if (snapshots.length === 0) return { op: 'doctorFix', args: [] };
      const snapshot = rng.pick(snapshots);
      return { op: 'restore', args: [rng.chance(0.5) ? snapshot.ref : snapshot.planId] };
    }
    default:
      return { op: 'doctorFix', args: [] };
  }
}

function runHere(fuzz: Fuzz, op: EngineOp): Promise<Outcome<unknown>> {
  const engine = fuzz.engine;
  switch (op.op) {
    case 'create':
      return attempt(() => engine.create(op.args[0] as never));
    case 'merge':
      return attempt(() => engine.merge(op.args[0], op.args[1] as never));
    case 'cleanup':
      return attempt(() => engine.cleanup(op.args[0], op.args[1]));
    case 'discard':
      return attempt(() => engine.discard(op.args[0]));
    case 'restore':
      return attempt(() => engine.restore(op.args[0]));
    case 'doctorFix':
      return attempt(() => doctorFixAll(engine));
  }
}

function show(op: EngineOp): string {
  return `${op.op}(${op.args.map((a) => JSON.stringify(a)).join(', ')})`;
}

after(() => {
  console.log(
    `\n  fault suite counts: ${counts.operations} engine operations (${counts.refusals} refused), ${counts.faultsInjected} faults injected, ${counts.kills} processes killed, ` +
      `${counts.hostileInputs} hostile inputs, ${counts.invariantChecks} invariant checks, ${counts.lost} things lost; ` +
      `doctor repairs: ${
        Object.entries(counts.repairs)
          .map(([kind, n]) => `${kind} ${n}`)
          .join(', ') || 'none'
      }`,
  );
});
