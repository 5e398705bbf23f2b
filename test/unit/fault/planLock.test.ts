/**
 * One operation per plan at a time, across windows: two real processes (this
 * one and a forked "window", test/unit/fixtures/planLockWorker.ts), each with
 * its own engine, act on the same plan at the same moment. The worker can be
 * held right after a chosen git command (a merge that has just moved the
 * base), so the dangerous moment is hit every time, not by luck.
 */
import * as assert from 'assert';
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Git } from '../../../src/git/runner';
import { PlanEngine } from '../../../src/model/engine/planEngine';
import { stateDir } from '../../../src/model/store/stateFiles';
import { PlanRecord } from '../../../src/model/engine/types';
import { commitFiles, git, gitMayFail, TestRepo, withRepo } from '../helpers/repo';
import { PlanBusyError } from '../../../src/model/store/planLock';

interface Reply {
  ok: boolean;
  result?: unknown;
  code?: string;
  message?: string;
}

/** A forked process with its own engine on the repository: another window. */
class Window {
  private readonly child: ChildProcess;
  private seq = 0;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private readonly ready: Promise<void>;
  private pausedWaiters: Array<(command: string) => void> = [];
  exited = false;

  constructor(folder: string, options: object = {}) {
    this.child = fork(path.join(__dirname, '..', 'fixtures', 'planLockWorker.js'), [folder, JSON.stringify(options)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('message', (m) =>
        m === 'ready' ? resolve() : reject(new Error(`worker said ${JSON.stringify(m)}`)),
      );
      this.child.once('exit', (code, signal) =>
        reject(new Error(`worker exited before it was ready (${code ?? signal})`)),
      );
    });
    this.child.on('message', (m: { seq?: number; paused?: string } & Reply) => {
      if (typeof m !== 'object') return;
      if (m.paused !== undefined) {
        for (const waiter of this.pausedWaiters) waiter(m.paused);
        this.pausedWaiters = [];
        return;
      }
      if (m.seq === undefined) return;
      this.pending.get(m.seq)?.(m);
      this.pending.delete(m.seq);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      for (const resolve of this.pending.values()) {
        resolve({ ok: false, code: 'Exited', message: `worker exited (${code ?? signal})` });
      }
      this.pending.clear();
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  async call(op: string, ...args: unknown[]): Promise<Reply> {
    await this.ready;
    const seq = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(seq, resolve);
      this.child.send({ seq, op, args });
    });
  }

  /** Resolves with the git command the worker stopped after. */
  paused(): Promise<string> {
    return new Promise((resolve) => this.pausedWaiters.push(resolve));
  }

  resume(): void {
    this.child.send('resume');
  }

  async kill(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    await this.kill();
  }
}

async function withWindows<T>(
  repo: TestRepo,
  count: number,
  body: (windows: Window[]) => Promise<T>,
  options: object = {},
): Promise<T> {
  const windows = Array.from({ length: count }, () => new Window(repo.main, options));
  try {
    return await body(windows);
  } finally {
    await Promise.all(windows.map((w) => w.close()));
  }
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function contains(main: string, ref: string, commit: string): boolean {
  return gitMayFail(main, 'merge-base', '--is-ancestor', commit, ref).ok;
}

/**
 * The plan's commit is in its base, on its branch, or in a snapshot the
 * engine lists (the way back "Restore Plan from Snapshot" offers); a plan
 * recorded as merged has it in its base.
 */
async function assertWorkKept(
  engine: PlanEngine,
  repo: TestRepo,
  plan: PlanRecord,
  commit: string,
  context: string,
): Promise<void> {
  const inBase = contains(repo.main, 'refs/heads/main', commit);
  const onBranch =
    gitMayFail(repo.main, 'rev-parse', '--verify', '-q', `refs/heads/${plan.branch}`).ok &&
    contains(repo.main, `refs/heads/${plan.branch}`, commit);
  const snapshots = (await engine.snapshots()).filter(
    (s) => s.planId === plan.id && contains(repo.main, s.commit, commit),
  );
  // A rebase merge puts a copy of the commit in the base: its change is there when the base's tree has the plan's file.
  const copied = gitMayFail(repo.main, 'cat-file', '-e', `refs/heads/main:work-${plan.id}.txt`).ok;
  assert.ok(
    inBase || copied || onBranch || snapshots.length > 0,
    `${context}: the plan's commit ${commit.slice(0, 8)} is in neither the base, nor its branch, nor a listed snapshot`,
  );
  const status = (await engine.plan(plan.id)).status;
  if (status === 'merged') {
    assert.ok(inBase || copied, `${context}: the plan is recorded as merged, but its work is not in main`);
  }
}

describe('fault suite: one operation per plan at a time, across windows', function () {
  this.timeout(120_000);

  for (const [strategy, how] of [
    ['rebase', 'fails because the plan branch moved'],
    ['merge', 'fails on the main checkout'],
  ] as const) {
    it(`a merge (${strategy}) that has moved the base and then ${how}, racing a forced cleanup of the same plan: the work stays in the base, its branch or a listed snapshot`, () =>
      withRepo(async (repo) => {
        const engine = await PlanEngine.open(repo.main, { git: new Git() });
        const plan = await engine.create({ title: 'Raced' });
        commitFiles(repo.main, { 'base.txt': 'the base moves on\n' }, 'base moves'); // so a rebase has to replay
        const commit = commitFiles(plan.path, { [`work-${plan.id}.txt`]: 'the plan work\n' }, 'plan work');
        await withWindows(repo, 1, async ([other]) => {
          await other.call(
            'pauseAfter',
            `^update-ref -m plan-worktrees: merge plan ${plan.id} refs/heads/main `,
            strategy === 'merge',
          );
          const paused = other.paused();
          const merging = other.call('merge', plan.id, { strategy });
          await paused; // the other window's merge has moved main, and holds there
          const cleanup = settle(engine.cleanup(plan.id, { force: true }));
          await Promise.race([cleanup, delay(1500)]);
          other.resume();
          const [merged, cleaned] = await Promise.all([merging, cleanup]);
          const context = `merge: ${JSON.stringify(merged)}, cleanup: ${cleaned.ok ? JSON.stringify(cleaned.value) : String(cleaned.error)}`;
          await assertWorkKept(engine, repo, plan, commit, context);
          assert.strictEqual(
            git(repo.main, 'status', '--porcelain', '--untracked-files=no'),
            '',
            `${context}: the main checkout is at its branch`,
          );
        });
      }));
  }

  it('the window that asks second gets PlanBusy, naming the operation and its holder, and changes nothing', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git(), lockWaitMs: 300 } as never);
      const plan = await engine.create({ title: 'Busy' });
      commitFiles(plan.path, { [`work-${plan.id}.txt`]: 'the plan work\n' }, 'plan work');
      await withWindows(repo, 1, async ([other]) => {
        await other.call('pauseAfter', `^update-ref -m plan-worktrees: merge plan ${plan.id} refs/heads/main `, false);
        const paused = other.paused();
        const merging = other.call('merge', plan.id, { strategy: 'merge' });
        await paused;
        const branchBefore = git(repo.main, 'rev-parse', `refs/heads/${plan.branch}`);
        const started = Date.now();
        const cleaned = await settle(engine.cleanup(plan.id, { force: true }));
        const waited = Date.now() - started;
        other.resume();
        const merged = await merging;
        assert.ok(
          !cleaned.ok,
          `the cleanup ran while the other window was merging: ${cleaned.ok ? JSON.stringify(cleaned.value) : ''}`,
        );
        const error = cleaned.error as PlanBusyError;
        assert.strictEqual(error.code, 'PlanBusy', String(error.message));
        assert.deepStrictEqual(
          [error.subject, error.holder?.operation, error.holder?.pid],
          [{ kind: 'plan', name: plan.id }, 'merge', other.pid],
        );
        assert.ok(waited >= 250 && waited < 5000, `waited ${waited} ms`);
        assert.ok(fs.existsSync(plan.path), 'the worktree is still there');
        assert.strictEqual(
          git(repo.main, 'rev-parse', `refs/heads/${plan.branch}`),
          branchBefore,
          'the branch is still there',
        );
        assert.ok(merged.ok, `the merge holding the plan went through: ${JSON.stringify(merged)}`);
        assert.ok(contains(repo.main, 'refs/heads/main', branchBefore));
      });
    }));

  it('the lock of a window killed in the middle of a merge is recovered at once, and the doctor finishes that merge', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Killed' });
      const commit = commitFiles(plan.path, { [`work-${plan.id}.txt`]: 'the plan work\n' }, 'plan work');
      const locks = path.join(
        stateDir(git(repo.main, 'rev-parse', '--path-format=absolute', '--git-common-dir')),
        'locks',
      );
      await withWindows(repo, 1, async ([other]) => {
        await other.call('pauseAfter', `^update-ref -m plan-worktrees: merge plan ${plan.id} refs/heads/main `, false);
        const paused = other.paused();
        void other.call('merge', plan.id, { strategy: 'merge' });
        await paused;
        const held = fs.existsSync(locks)
          ? fs.readdirSync(locks).map((f) => fs.readFileSync(path.join(locks, f), 'utf8'))
          : [];
        assert.ok(
          held.some((text) => JSON.parse(text).pid === other.pid && /merge/.test(JSON.parse(text).operation ?? '')),
          `a lock in ${locks} names the merging window (process ${other.pid}): ${JSON.stringify(held)}`,
        );
        await other.kill();
        const started = Date.now();
        const finding = (await engine.doctor()).find((f) => f.kind === 'interruptedMerge' && f.planId === plan.id);
        assert.ok(finding?.fix, 'the doctor finds the merge the killed window left half-way');
        await finding.fix.run();
        assert.ok(
          Date.now() - started < 4000,
          `the dead window's lock was taken over at once (${Date.now() - started} ms)`,
        );
        assert.ok(contains(repo.main, 'refs/heads/main', commit));
        assert.strictEqual(
          git(repo.main, 'status', '--porcelain', '--untracked-files=no'),
          '',
          'the main checkout is at its branch',
        );
        assert.deepStrictEqual(fs.readdirSync(locks), [], 'no lock is left behind');
      });
    }));

  it('two windows running Recreate Worktree on the same plan at the same moment: one worktree, one admin folder, a clean repository', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Recreated' });
      commitFiles(plan.path, { [`work-${plan.id}.txt`]: 'the plan work\n' }, 'plan work');
      const admin = path.join(repo.main, '.git', 'worktrees');
      await withWindows(repo, 2, async (windows) => {
        for (let round = 1; round <= 4; round++) {
          const context = `round ${round}`;
          const where = (await engine.plan(plan.id)).path;
          git(repo.main, 'worktree', 'remove', '--force', where); // gone by hand: the doctor offers Recreate Worktree
          const startAt = Date.now() + 3000; // both have run their doctor by then
          const outcomes = await Promise.all(windows.map((w) => w.call('fixAt', startAt, 'branchWithoutWorktree')));
          for (const outcome of outcomes) assert.ok(outcome.ok, `${context}: ${JSON.stringify(outcome)}`);
          const results = outcomes.flatMap(
            (o) => o.result as Array<{ applied?: boolean; reason?: string; code?: string; message?: string }>,
          );
          assert.strictEqual(
            results.length,
            2,
            `${context}: each window found the plan without a worktree: ${JSON.stringify(results)}`,
          );
          assert.strictEqual(
            results.filter((r) => r.applied === true).length,
            1,
            `${context}: one fix was applied: ${JSON.stringify(results)}`,
          );
          const skipped = results.find((r) => r.applied === false);
          assert.ok(
            skipped?.reason && /no longer/.test(skipped.reason),
            `${context}: the other says the finding no longer holds: ${JSON.stringify(results)}`,
          );

          const listed = git(repo.main, 'worktree', 'list', '--porcelain')
            .split('\n\n')
            .filter((b) => b.includes(`branch refs/heads/${plan.branch}`));
          assert.strictEqual(
            listed.length,
            1,
            `${context}: one worktree on the plan branch: ${JSON.stringify(listed)}`,
          );
          const folders = fs.readdirSync(admin);
          assert.strictEqual(folders.length, 1, `${context}: one admin folder: ${folders.join(', ')}`);
          for (const folder of folders) {
            assert.doesNotMatch(
              fs.readFileSync(path.join(admin, folder, 'HEAD'), 'utf8'),
              /^0{40}/,
              `${context}: ${folder}/HEAD is a placeholder`,
            );
          }
          git(repo.main, 'rev-list', '--all');
          git(repo.main, 'fsck', '--no-dangling', '--no-progress');
          const after = await engine.plan(plan.id);
          assert.strictEqual(after.status, 'active');
          assert.ok(
            fs.existsSync(after.path) && git(after.path, 'rev-parse', '--abbrev-ref', 'HEAD') === plan.branch,
            `${context}: the plan's folder is its worktree`,
          );
        }
      });
    }));
});
