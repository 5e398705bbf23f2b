import * as assert from 'assert';
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { ExecOptions, ExecResult, Git } from '../../../../src/git/runner';
import { LockOptions, readLockOwner } from '../../../../src/model/store/lock';
import { PlanEngine } from '../../../../src/model/engine/planEngine';
import { PlanBusyError, PlanLocks } from '../../../../src/model/store/planLock';
import { Registry } from '../../../../src/model/store/registry';
import { pathKey } from '../../../../src/model/engine/names';
import { commitFiles, git, makeTempDir, removeDir, withRepo } from '../../helpers/repo';

const worker = path.join(__dirname, '..', '..', 'fixtures', 'lockWorker.js');

/** Another process that takes the lock file and keeps it until killed. */
async function holder(lockFile: string, options: LockOptions): Promise<ChildProcess> {
  const child = fork(worker, ['hold', lockFile, JSON.stringify(options)], { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

function commonDir(main: string): string {
  return git(main, 'rev-parse', '--path-format=absolute', '--git-common-dir');
}

describe('PlanLocks', () => {
  it('names one lock file per plan, branch or folder inside the locks folder, whatever the name holds', () => {
    const dir = makeTempDir('pw-planlock-');
    try {
      const locks = new PlanLocks(dir);
      const names = ['189', '../../../escape', 'a/b', 'a_b', '-rf', 'x'.repeat(300), 'ünï\ncode'];
      const files = names.map((name) => locks.file({ kind: 'plan', name }));
      for (const file of files) assert.strictEqual(path.dirname(file), locks.folder, file);
      assert.strictEqual(new Set(files).size, names.length, 'different names, different files');
      assert.notStrictEqual(locks.file({ kind: 'plan', name: 'main' }), locks.file({ kind: 'branch', name: 'main' }));
      assert.match(path.basename(locks.file({ kind: 'plan', name: '189' })), /^plan-189-[0-9a-f]{12}\.lock$/);
      assert.match(
        path.basename(locks.file({ kind: 'branch', name: 'refs/heads/main' })),
        /^branch-main-[0-9a-f]{12}\.lock$/,
      );
      assert.strictEqual(locks.folder, path.join(dir, 'plan-worktrees', 'locks'));
    } finally {
      removeDir(dir);
    }
  });

  it('runs the function holding every lock, in order, and leaves none behind', async () => {
    const dir = makeTempDir('pw-planlock-');
    try {
      const locks = new PlanLocks(dir);
      const subjects = [
        { kind: 'plan' as const, name: '7' },
        { kind: 'branch' as const, name: 'refs/heads/main' },
      ];
      const held = await locks.hold(subjects, 'merge', '7', async () =>
        Promise.all(subjects.map((s) => readLockOwner(locks.file(s)))),
      );
      assert.deepStrictEqual(
        held.map((o) => [o?.pid, o?.operation, o?.plan]),
        [
          [process.pid, 'merge', '7'],
          [process.pid, 'merge', '7'],
        ],
      );
      assert.deepStrictEqual(fs.readdirSync(locks.folder), []);
      await assert.rejects(
        locks.hold(subjects, 'merge', '7', () => Promise.reject(new Error('boom'))),
        /boom/,
      );
      assert.deepStrictEqual(fs.readdirSync(locks.folder), []);
    } finally {
      removeDir(dir);
    }
  });

  it("a second process waits the bounded time, then gets PlanBusy naming the operation and its holder; a branch held by another plan's merge says that plan", async () => {
    const dir = makeTempDir('pw-planlock-');
    const locks = new PlanLocks(dir, { waitMs: 300 });
    const plan = { kind: 'plan' as const, name: '7' };
    const branch = { kind: 'branch' as const, name: 'refs/heads/main' };
    const children = [
      await holder(locks.file(plan), { operation: 'merge', plan: '7' }),
      await holder(locks.file(branch), { operation: 'merge', plan: '8' }),
    ];
    try {
      let ran = false;
      const started = Date.now();
      const error = await locks.hold([plan], 'cleanup', '7', async () => (ran = true)).catch((e: unknown) => e);
      assert.ok(Date.now() - started >= 280, 'it waited');
      assert.strictEqual(ran, false);
      assert.ok(error instanceof PlanBusyError && error.code === ErrorCode.PlanBusy, String(error));
      assert.deepStrictEqual(
        [error.subject, error.holder?.pid, error.holder?.operation],
        [plan, children[0].pid, 'merge'],
      );
      assert.deepStrictEqual(error.data, {
        subject: plan,
        holder: {
          pid: children[0].pid,
          hostname: error.holder?.hostname,
          time: error.holder?.time,
          operation: 'merge',
          plan: '7',
        },
      });
      assert.ok(error.holder?.hostname && error.holder.time, 'the holder says where and since when');
      const onBranch = await locks
        .hold([{ kind: 'plan', name: '9' }, branch], 'cleanup', '9', async () => (ran = true))
        .catch((e: unknown) => e);
      assert.ok(onBranch instanceof PlanBusyError, String(onBranch));
      assert.deepStrictEqual(
        [onBranch.subject, onBranch.holder?.operation, onBranch.holder?.plan],
        [branch, 'merge', '8'],
      );
      assert.ok(!fs.existsSync(locks.file({ kind: 'plan', name: '9' })), 'the plan lock taken first is let go');
    } finally {
      await Promise.all(children.map(kill));
      removeDir(dir);
    }
  });
});

describe('PlanEngine: the per-plan lock', () => {
  it('every mutating operation on a plan holds its lock; the one asking second gets PlanBusy and changes nothing', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git(), lockWaitMs: 200 });
      const plan = await engine.create({ title: 'Held' });
      commitFiles(plan.path, { 'work.txt': 'work\n' }, 'work');
      const locks = new PlanLocks(commonDir(repo.main));
      const child = await holder(locks.file({ kind: 'plan', name: plan.id }), { operation: 'merge', plan: plan.id });
      try {
        const before = git(repo.main, 'for-each-ref', '--format=%(refname) %(objectname)');
        const busy = (e: unknown): boolean =>
          e instanceof PlanBusyError &&
          e.code === ErrorCode.PlanBusy &&
          e.subject.kind === 'plan' &&
          e.subject.name === plan.id &&
          e.holder?.operation === 'merge';
        await assert.rejects(engine.merge(plan.id, { strategy: 'merge' }), busy, 'merge');
        await assert.rejects(engine.cleanup(plan.id, { force: true }), busy, 'cleanup');
        await assert.rejects(engine.discard(plan.id), busy, 'discard');
        await assert.rejects(engine.commit(plan.id, 'message'), busy, 'commit');
        await assert.rejects(engine.publish(plan.id), busy, 'publish');
        await assert.rejects(engine.rebaseOntoBase(plan.id), busy, 'rebase');
        await assert.rejects(engine.continueRebase(plan.id), busy, 'continue a rebase');
        await assert.rejects(engine.abortRebase(plan.id), busy, 'abort a rebase');
        await assert.rejects(engine.lock(plan.path), busy, 'lock');
        await assert.rejects(engine.unlock(plan.path), busy, 'unlock');
        await assert.rejects(
          engine.restore(plan.id),
          (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.SnapshotNotFound,
          'no snapshot yet',
        );
        await assert.rejects(engine.create({ id: plan.id, title: 'Same id' }), busy, 'create of the same id');
        assert.strictEqual(git(repo.main, 'for-each-ref', '--format=%(refname) %(objectname)'), before);
        assert.ok(fs.existsSync(plan.path));
        assert.strictEqual((await engine.plan(plan.id)).status, 'active');
        // Other plans are not held up.
        const other = await engine.create({ title: 'Other' });
        await engine.cleanup(other.id);
      } finally {
        await kill(child);
      }
      // Its holder died: the lock is taken over at once.
      const result = await engine.merge(plan.id, { strategy: 'merge' });
      assert.notStrictEqual(result.baseAfter, result.baseBefore);
    }));

  it('a merge into the base holds the base: a cleanup of a plan of that base waits for it, then gets PlanBusy naming the merge', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git(), lockWaitMs: 200 });
      const plan = await engine.create({ title: 'Merged already' });
      commitFiles(plan.path, { 'work.txt': 'work\n' }, 'work');
      await engine.merge(plan.id, { strategy: 'merge' });
      const locks = new PlanLocks(commonDir(repo.main));
      const child = await holder(locks.file({ kind: 'branch', name: 'refs/heads/main' }), {
        operation: 'merge',
        plan: '99',
      });
      try {
        await assert.rejects(
          engine.cleanup(plan.id),
          (e: unknown) =>
            e instanceof PlanBusyError &&
            e.subject.kind === 'branch' &&
            e.subject.name === 'refs/heads/main' &&
            e.holder?.operation === 'merge' &&
            e.holder.plan === '99',
        );
        assert.ok(fs.existsSync(plan.path));
      } finally {
        await kill(child);
      }
      const cleaned = await engine.cleanup(plan.id);
      assert.deepStrictEqual([cleaned.removedWorktree, cleaned.deletedBranch], [true, true]);
    }));

  it("a doctor fix waits for the plan's lock, finds its finding again, and does nothing (saying so) when it no longer holds: the other window's worktree add is not unlocked", () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git(), lockWaitMs: 200 });
      const plan = await engine.create({ title: 'Being added' });
      // Another window in the middle of adding this plan's worktree: git keeps it locked ("initializing") meanwhile.
      git(repo.main, 'worktree', 'lock', '--reason', 'initializing', plan.path);
      const finding = (await engine.doctor()).find((f) => f.kind === 'lockedWorktree' && f.path === plan.path);
      assert.ok(finding?.fix, 'the doctor sees a locked worktree');
      // The other window takes the plan's lock after this one's doctor looked.
      const locks = new PlanLocks(commonDir(repo.main));
      const child = await holder(locks.file({ kind: 'plan', name: plan.id }), {
        operation: 'doctor: Recreate Worktree',
        plan: plan.id,
      });
      try {
        await assert.rejects(
          finding.fix.run(),
          (e: unknown) => e instanceof PlanBusyError && e.holder?.operation === 'doctor: Recreate Worktree',
        );
        assert.match(git(repo.main, 'worktree', 'list', '--porcelain'), /locked initializing/, 'still locked');
      } finally {
        await kill(child);
      }
      git(repo.main, 'worktree', 'unlock', plan.path); // the other window's add finished
      git(repo.main, 'worktree', 'lock', '--reason', 'mine now', plan.path); // and someone locked it on purpose
      const outcome = await finding.fix.run();
      assert.strictEqual(outcome?.applied, false);
      assert.match(outcome?.reason ?? '', /no longer so .* nothing was changed/);
      assert.match(
        git(repo.main, 'worktree', 'list', '--porcelain'),
        /locked mine now/,
        'a lock that is not the one found is left alone',
      );
      const fresh = (await engine.doctor()).find((f) => f.kind === 'lockedWorktree');
      assert.deepStrictEqual(await fresh?.fix?.run(), { applied: true });
      assert.doesNotMatch(git(repo.main, 'worktree', 'list', '--porcelain'), /locked/);
    }));

  it('the doctor offers no fix for what an operation running right now on the plan leaves half-way for a moment, and says so', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Being added' });
      git(repo.main, 'worktree', 'lock', '--reason', 'initializing', plan.path);
      const locks = new PlanLocks(commonDir(repo.main));
      const child = await holder(locks.file({ kind: 'plan', name: plan.id }), {
        operation: 'doctor: Recreate Worktree',
        plan: plan.id,
      });
      try {
        const finding = (await engine.doctor()).find((f) => f.kind === 'lockedWorktree' && f.path === plan.path);
        assert.ok(finding, 'still reported');
        assert.strictEqual(finding.fix, undefined, 'no fix while the plan is busy');
        assert.match(
          finding.message,
          new RegExp(
            `Plan ${plan.id} is busy right now \\(doctor: Recreate Worktree in another window \\(process ${child.pid} on .*\\)\\): run the doctor again when it has finished\\.$`,
          ),
        );
      } finally {
        await kill(child);
      }
      // Its holder is gone: the fix is offered again.
      assert.ok((await engine.doctor()).find((f) => f.kind === 'lockedWorktree' && f.path === plan.path)?.fix);
    }));

  it("Recreate Worktree into a folder that is no plan's yet holds that folder too: the other window's doctor offers no Unlock of the worktree being added", () =>
    withRepo(async (repo) => {
      const locks = new PlanLocks(commonDir(repo.main));
      const seen: string[] = [];
      /** Notes, while git adds the worktree, which locks are held. */
      class Watching extends Git {
        override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
          if (args[0] === 'worktree' && args[1] === 'add') {
            const folder = args[args.length - 2];
            seen.push(
              `plan ${fs.existsSync(locks.file({ kind: 'plan', name: '1' }))}`,
              `folder ${fs.existsSync(locks.file({ kind: 'worktree', name: pathKey(folder) }))}`,
            );
          }
          return super.exec(args, options);
        }
      }
      const engine = await PlanEngine.open(repo.main, { git: new Watching() });
      const plan = await engine.create({ title: 'Elsewhere' });
      commitFiles(plan.path, { 'work.txt': 'work\n' }, 'work');
      git(repo.main, 'worktree', 'remove', plan.path);
      fs.mkdirSync(plan.path); // something else took its folder: the worktree comes back beside it
      const recreate = (await engine.doctor()).find((f) => f.kind === 'branchWithoutWorktree');
      const folder = `${plan.path}-restored-1`;
      assert.strictEqual(recreate?.fix?.folder, folder);
      seen.length = 0; // the create's own worktree add
      assert.deepStrictEqual(await recreate.fix.run(), { applied: true });
      assert.deepStrictEqual(seen, ['plan true', 'folder true']);

      // While another window adds it (git keeps it locked meanwhile) and holds its folder, this window's doctor leaves it alone.
      git(repo.main, 'worktree', 'lock', '--reason', 'initializing', folder);
      const child = await holder(locks.file({ kind: 'worktree', name: pathKey(folder) }), {
        operation: 'doctor: Recreate Worktree',
        plan: plan.id,
      });
      try {
        const other = new Registry(commonDir(repo.main));
        await other.update((data) => {
          data.plans[0].path = plan.path; // as the registry says until the add has finished
        });
        const locked = (await engine.doctor()).find((f) => f.kind === 'lockedWorktree');
        assert.ok(locked && !locked.fix, `no fix offered: ${JSON.stringify(locked)}`);
        assert.match(locked.message, /is busy right now \(doctor: Recreate Worktree in another window/);
      } finally {
        await kill(child);
      }
    }));
});
