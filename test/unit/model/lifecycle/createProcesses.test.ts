import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { headFileBranch, readRefs } from '../../../../src/git/commands/refs';
import { createPlan } from '../../../../src/model/lifecycle/create';
import { discardPlan } from '../../../../src/model/lifecycle/cleanup';
import { SNAPSHOT_REFS } from '../../../../src/model/lifecycle/snapshot';
import { lifecycleFor } from '../../helpers/b';
import { commitFiles, git, withRepo, writeFiles } from '../../helpers/repo';
import { RoundGit } from '../../helpers/roundGit';
import { ExecOptions, ExecResult, Git } from '../../../../src/git/runner';
import { ErrorCode } from '../../../../src/model/engine/errors';
import { Registry } from '../../../../src/model/store/registry';
import { isPlanError } from '../../helpers/errors';

/** Starts `ls-files` only once `worktree add` has ended, and records the order they ended in. */
class ListingAfterWorktree extends Git {
  readonly order: string[] = [];
  private added: Promise<unknown> = Promise.resolve();

  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    if (args[0] === 'worktree' && args[1] === 'add') {
      const run = super.exec(args, options);
      this.added = run.catch(() => undefined);
      const result = await run;
      this.order.push('worktree');
      return result;
    }
    if (args[0] === 'ls-files') {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await this.added;
      const result = await super.exec(args, options);
      this.order.push('ls-files');
      return result;
    }
    return super.exec(args, options);
  }
}

/** Holds each `git status` until the registry has an entry being created (at most 3 s), and says whether it had one by then. */
class StatusWaitsForReservation extends Git {
  readonly seen: boolean[] = [];

  constructor(private readonly registry: Registry) {
    super();
  }

  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    if (args[0] === 'status') {
      const deadline = Date.now() + 3000;
      let reserved = false;
      while (!reserved && Date.now() < deadline) {
        reserved = (await this.registry.read()).plans.some((p) => p.creating);
        if (!reserved) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      this.seen.push(reserved);
    }
    return super.exec(args, options);
  }
}

describe('the git processes of a create', () => {
  it("reads the base, its upstream, the snapshots' runs and the main checkout's changes in one round of 2 processes, then `worktree add` beside the listing of the files to copy", () =>
    withRepo(async (repo) => {
      commitFiles(repo.main, { '.gitignore': '.env\n' }, 'ignore .env');
      writeFiles(repo.main, { '.env': 'SECRET=1\n' });
      const life = await lifecycleFor(repo.main);
      // Run 1 of plan 7 is discarded with work in it (a snapshot keeps it), and the registry forgets it.
      const first = await createPlan(life.ctx, life.registry, life.events, { id: '7', title: 'Seven' });
      writeFiles(first.path, { 'work.txt': 'w\n' });
      await discardPlan(life.ctx, life.registry, life.events, first);
      await life.registry.update((data) => void data.plans.splice(0));
      const runner = new RoundGit();
      const ctx = { ...life.ctx, git: runner };
      const plan = await createPlan(ctx, life.registry, life.events, { id: '7', title: 'Seven' });
      assert.deepStrictEqual(runner.rounds, [
        ['for-each-ref', 'status'],
        ['ls-files', 'worktree'],
      ]);
      assert.deepStrictEqual([plan.run, plan.branch, plan.base], [2, 'plan/7-seven-run-002', 'main']);
      assert.strictEqual(plan.baseCommit, git(repo.main, 'rev-parse', 'main'));
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), plan.baseCommit);
      assert.strictEqual(fs.readFileSync(path.join(plan.path, '.env'), 'utf8'), 'SECRET=1\n');
    }));

  it("fetches the given base's upstream, found by that same read, before anything else runs", () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      // `release` tracks the main branch of a clone, which then moves on.
      const remote = path.join(repo.root, 'remote');
      git(repo.root, 'clone', '-q', repo.main, remote);
      git(repo.main, 'remote', 'add', 'origin', remote);
      git(repo.main, 'fetch', '-q', 'origin');
      git(repo.main, 'branch', '-q', '--track', 'release', 'origin/main');
      const ahead = commitFiles(remote, { 'ahead.txt': 'a\n' }, 'the remote moves on');
      const runner = new RoundGit();
      const plan = await createPlan({ ...life.ctx, git: runner }, life.registry, life.events, {
        title: 'Release',
        base: 'release',
      });
      assert.deepStrictEqual(runner.rounds[0], ['for-each-ref', 'status']);
      assert.deepStrictEqual(runner.rounds[1], ['fetch']);
      assert.deepStrictEqual(runner.rounds[runner.rounds.length - 1], ['ls-files', 'worktree']);
      assert.strictEqual(plan.baseFetch?.startedFrom, 'upstream');
      assert.strictEqual(plan.baseCommit, ahead);
    }));

  it('falls back to asking each question on its own when a message holds the separator, and still starts from the right base', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const head = git(repo.main, 'rev-parse', 'HEAD');
      const forged = git(repo.main, 'commit-tree', '-p', head, '-m', 'x\x01refs/heads/zz', `${head}^{tree}`);
      git(repo.main, 'update-ref', `${SNAPSHOT_REFS}7/forged`, forged);
      const at = { git: life.ctx.git, cwd: repo.main };
      assert.strictEqual(await readRefs(at, ['refs/heads/', `${SNAPSHOT_REFS}7/`]), undefined);
      const refs = await readRefs(at, ['refs/heads/']);
      assert.deepStrictEqual(
        refs?.map((r) => [r.ref, r.object, r.type, r.head]),
        [['refs/heads/main', head, 'commit', true]],
      );
      const runner = new RoundGit();
      const plan = await createPlan({ ...life.ctx, git: runner }, life.registry, life.events, {
        id: '7',
        title: 'Seven',
      });
      assert.deepStrictEqual([plan.base, plan.baseCommit, plan.run], ['main', head, 1]);
      // The read of every ref at once, then the upstream and the snapshots each on its own.
      assert.strictEqual(runner.rounds.flat().filter((c) => c === 'for-each-ref').length, 3);
    }));

  it("guesses the main checkout's branch from its HEAD file only as git confirms it, and needs no guess when the base is given (a detached main checkout)", () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const commonDir = life.ctx.repo.commonDir;
      assert.strictEqual(headFileBranch(commonDir), 'main');
      git(repo.main, 'checkout', '-q', '-b', 'topic');
      assert.strictEqual(headFileBranch(commonDir), 'topic');
      const onTopic = new RoundGit();
      const plan = await createPlan({ ...life.ctx, git: onTopic }, life.registry, life.events, { title: 'Topic' });
      assert.strictEqual(plan.base, 'topic');
      assert.deepStrictEqual(onTopic.rounds, [
        ['for-each-ref', 'status'],
        ['ls-files', 'worktree'],
      ]);
      git(repo.main, 'checkout', '-q', '--detach');
      assert.strictEqual(headFileBranch(commonDir), undefined);
      const detached = new RoundGit();
      const next = await createPlan({ ...life.ctx, git: detached }, life.registry, life.events, {
        title: 'From main',
        base: 'main',
      });
      assert.deepStrictEqual([next.base, next.baseCommit], ['main', git(repo.main, 'rev-parse', 'main')]);
      assert.deepStrictEqual(detached.rounds, [
        ['for-each-ref', 'status'],
        ['ls-files', 'worktree'],
      ]);
    }));

  it("reserves the registry entry while the main checkout's status is still read, not after it", () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const runner = new StatusWaitsForReservation(life.registry);
      const plan = await createPlan({ ...life.ctx, git: runner }, life.registry, life.events, { id: '3', title: 'T' });
      assert.deepStrictEqual(runner.seen, [true]);
      assert.strictEqual((await life.registry.read()).plans.find((p) => p.id === '3')?.creating, undefined);
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), git(repo.main, 'rev-parse', 'main'));
    }));

  it('a dirty main checkout refuses first and takes the early reservation out again; an id taken is said after it', () =>
    withRepo(async (repo) => {
      const life = await lifecycleFor(repo.main);
      const first = await createPlan(life.ctx, life.registry, life.events, { id: '4', title: 'Four' });
      writeFiles(repo.main, { 'dirty.txt': 'd\n' });
      const registryBefore = fs.readFileSync(life.registry.file, 'utf8');
      // Reserved early, then refused by the status: the registry is as it was.
      const runner = new StatusWaitsForReservation(life.registry);
      await assert.rejects(
        createPlan({ ...life.ctx, git: runner }, life.registry, life.events, { id: '5', title: 'Five' }),
        isPlanError(ErrorCode.BaseDirty, { reason: 'uncommitted' }),
      );
      assert.deepStrictEqual(runner.seen, [true]);
      assert.strictEqual(fs.readFileSync(life.registry.file, 'utf8'), registryBefore);
      assert.ok(!fs.existsSync(path.join(path.dirname(first.path), '5-five')));
      // An active id and a dirty main checkout: the dirty main checkout is the error, as when the reads came first.
      await assert.rejects(
        createPlan(life.ctx, life.registry, life.events, { id: '4', title: 'Four again' }),
        isPlanError(ErrorCode.BaseDirty, { reason: 'uncommitted' }),
      );
      fs.rmSync(path.join(repo.main, 'dirty.txt'));
      await assert.rejects(
        createPlan(life.ctx, life.registry, life.events, { id: '4', title: 'Four again' }),
        isPlanError(ErrorCode.PlanExists, { reason: 'exists' }),
      );
      assert.strictEqual(fs.readFileSync(life.registry.file, 'utf8'), registryBefore);
    }));

  it('lists the files to copy beside `worktree add`, leaving out a plan folder inside the main checkout', () =>
    withRepo(async (repo) => {
      commitFiles(repo.main, { '.gitignore': '.env\n.plans/\n' }, 'ignore .env and .plans');
      writeFiles(repo.main, { '.env': 'SECRET=1\n', 'notes/.env': 'NOTES=1\n' });
      const life = await lifecycleFor(repo.main, {
        worktreeLocation: '${repoParent}/${repoName}/.plans/${id}-${slug}',
        copyFiles: ['**'],
      });
      const skipped: string[] = [];
      const log = { ...life.ctx.log, warn: (m: string) => void skipped.push(m) };
      // The listing waits until git has made the worktree: what it sees then is what it copies.
      const runner = new ListingAfterWorktree();
      const plan = await createPlan({ ...life.ctx, git: runner, log }, life.registry, life.events, {
        id: '3',
        title: 'Inside',
      });
      assert.strictEqual(plan.path, path.join(repo.main, '.plans', '3-inside'));
      assert.deepStrictEqual(runner.order, ['worktree', 'ls-files']);
      assert.strictEqual(fs.readFileSync(path.join(plan.path, '.env'), 'utf8'), 'SECRET=1\n');
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'notes', '.env'), 'utf8'), 'NOTES=1\n');
      assert.deepStrictEqual(skipped, []);
      assert.ok(!fs.existsSync(path.join(plan.path, '.plans')));
    }));
});
