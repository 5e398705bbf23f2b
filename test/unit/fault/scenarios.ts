/**
 * The operations the fault and kill tests interrupt, each with the state it
 * starts from: a create that moves the main checkout's changes and copies
 * `.env`, a merge with each strategy (committing the plan's uncommitted work,
 * into the checked-out base), cleanups, a discard and a restore. A template
 * copy of the prepared repository (at the same paths, so its worktrees stay
 * valid) makes each run start from the same state quickly.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode } from '../../../src/model/engine/errors';
import { Git } from '../../../src/git/runner';
import { MergeStrategy } from '../../../src/model/lifecycle/merge';
import { PlanEngine } from '../../../src/model/engine/planEngine';
import { attempt } from '../helpers/fault';
import { commitFiles, createRepo, git, removeDir, TestRepo, writeFiles } from '../helpers/repo';

export interface Scenario {
  name: string;
  /** Builds the state the operation starts from (with a plain engine). */
  prepare(engine: PlanEngine, repo: TestRepo): Promise<void>;
  /** The engine method and its arguments (the same in this process and in a forked one). */
  op: 'create' | 'merge' | 'cleanup' | 'discard' | 'restore';
  args: unknown[];
  /** A run that fails before its point of no return leaves the repository byte-for-byte as it was. */
  changesNothingOnFailure: boolean;
  settings?: object;
}

/** The folder of the plan `busyPlan` makes: a merge may commit its files as they are on disk (its staged versions are superseded). */
export function busyFolder(repo: TestRepo): string {
  return path.join(repo.root, 'repo.plans', '1-busy');
}

/** Plan 1 with two commits, an uncommitted change, an untracked file and a staged new file. */
async function busyPlan(engine: PlanEngine): Promise<string> {
  const plan = await engine.create({ title: 'Busy' });
  commitFiles(plan.path, { 'feature.txt': 'feature v1\n' }, 'feature');
  commitFiles(plan.path, { 'feature.txt': 'feature v2\n', 'src/app.txt': 'one\ntwo (plan)\nthree\n' }, 'more feature');
  writeFiles(plan.path, {
    'feature.txt': 'feature v3 uncommitted\n',
    'untracked.txt': 'untracked\n',
    'staged.txt': 'staged\n',
  });
  git(plan.path, 'add', 'staged.txt');
  return plan.id;
}

export const scenarios: Scenario[] = [
  {
    name: "create (moving the main checkout's changes, copying .env)",
    settings: { dirtyBase: 'move' },
    changesNothingOnFailure: true,
    async prepare(engine, repo) {
      await engine.create({ title: 'Earlier' });
      fs.appendFileSync(path.join(repo.main, '.git', 'info', 'exclude'), '.env\n');
      writeFiles(repo.main, {
        '.env': 'SECRET=1\n',
        'src/app.txt': 'main uncommitted\n',
        'scratch.txt': 'untracked in main\n',
      });
      git(repo.main, 'add', 'src/app.txt');
    },
    op: 'create',
    args: [{ title: 'Interrupted create', dirtyBase: 'move' }],
  },
  ...(['merge', 'squash', 'fastForward', 'rebase'] as MergeStrategy[]).map((strategy): Scenario => ({
    name: `merge (${strategy}, committing the plan's uncommitted changes, into the checked-out base)`,
    changesNothingOnFailure: true,
    async prepare(engine, repo) {
      await busyPlan(engine);
      if (strategy !== 'fastForward') commitFiles(repo.main, { 'README.md': '# demo, moved on\n' }, 'main moved on');
      writeFiles(repo.main, { 'main-untracked.txt': 'stays\n' });
    },
    op: 'merge',
    args: ['1', { strategy, commitUncommitted: true }],
  })),
  {
    name: 'cleanup (merged plan: worktree and branch removed)',
    changesNothingOnFailure: false,
    async prepare(engine) {
      const id = await busyPlan(engine);
      await engine.merge(id, { strategy: 'merge', commitUncommitted: true });
    },
    op: 'cleanup',
    args: ['1'],
  },
  {
    name: 'cleanup, forced (dirty unmerged plan: snapshot, worktree removed, branch kept)',
    changesNothingOnFailure: false,
    prepare: async (engine) => void (await busyPlan(engine)),
    op: 'cleanup',
    args: ['1', { force: true }],
  },
  {
    name: 'discard (snapshot, worktree and unmerged branch removed)',
    changesNothingOnFailure: false,
    prepare: async (engine) => void (await busyPlan(engine)),
    op: 'discard',
    args: ['1'],
  },
  {
    name: 'restore (a discarded plan from its snapshot)',
    changesNothingOnFailure: false,
    async prepare(engine) {
      const id = await busyPlan(engine);
      await engine.discard(id);
    },
    op: 'restore',
    args: ['1'],
  },
];

/** Runs the scenario's operation on an engine of this process. */
export function runScenario(engine: PlanEngine, scenario: Scenario): Promise<unknown> {
  const method = engine[scenario.op] as (...args: unknown[]) => Promise<unknown>;
  return method.apply(engine, scenario.args);
}

/**
 * After an interrupted run and the doctor, trying the operation again works:
 * it succeeds, whether the interrupted run had finished or not (a create
 * makes another plan; a merge of work already in the base, a cleanup or a
 * discard of a plan already gone, end without error) — with one exception:
 * a restore that had finished (its plan is active again) is refused with
 * PlanExists, because a second restore would make a second worktree for the
 * plan. Nothing else is accepted.
 */
export async function assertTriedAgain(engine: PlanEngine, scenario: Scenario, context: string): Promise<void> {
  const again = await attempt(() => runScenario(engine, scenario));
  if (again.ok) return;
  if (scenario.op === 'restore' && again.code === ErrorCode.PlanExists) {
    const plan = await engine.plan(scenario.args[0] as string);
    if (plan.status === 'active') return;
    assert.fail(
      `${context}: trying the restore again is refused although plan ${plan.id} is ${plan.status} (the interrupted restore neither finished nor was undone): ${again.message}`,
    );
  }
  assert.fail(`${context}: trying again fails (${again.code}): ${again.message}`);
}

/** A prepared repository and a copy of it to start each run from. */
export class Prepared {
  readonly repo: TestRepo;
  private readonly template: string;

  private constructor(repo: TestRepo) {
    this.repo = repo;
    this.template = `${repo.root}.template`;
  }

  static async create(scenario: Scenario): Promise<Prepared> {
    const prepared = new Prepared(createRepo({ 'README.md': '# demo\n', 'src/app.txt': 'one\ntwo\nthree\n' }));
    await scenario.prepare(
      await PlanEngine.open(prepared.repo.main, { git: new Git(), settings: scenario.settings }),
      prepared.repo,
    );
    fs.cpSync(prepared.repo.root, prepared.template, { recursive: true, verbatimSymlinks: true });
    return prepared;
  }

  /** Puts the repository back as it was prepared. */
  reset(): void {
    fs.rmSync(this.repo.root, { recursive: true, force: true });
    fs.cpSync(this.template, this.repo.root, { recursive: true, verbatimSymlinks: true });
  }

  dispose(): void {
    removeDir(this.repo.root);
    removeDir(this.template);
  }
}
