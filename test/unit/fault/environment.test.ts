/**
 * Faults that come from the surroundings rather than from an operation: a
 * stale `index.lock`, a worktree location that cannot be written, and the
 * registry corrupted or deleted by hand. Each is refused with a clear error
 * that changes nothing, or repaired by the next refresh or the doctor, with
 * nothing lost.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../src/model/engine/errors';
import { Git } from '../../../src/git/runner';
import { PlanEngine } from '../../../src/model/engine/planEngine';
import { Registry } from '../../../src/model/store/registry';
import { openContext } from '../helpers/a';
import { wholeState } from '../helpers/b';
import { isPlanError } from '../helpers/errors';
import {
  assertConsistent,
  assertNothingLost,
  counts,
  doctorFixAll,
  EngineWorker,
  holdings,
  listTree,
} from '../helpers/fault';
import { commitFiles, git, withRepo, writeFiles } from '../helpers/repo';

function isCode(code: ErrorCode): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof PlanWorktreesError, `not a PlanWorktreesError: ${String(e)}`);
    assert.strictEqual(e.code, code, e.message);
    return true;
  };
}

/** The unprivileged user nobody, with a home folder of its own (made here). */
function nobody(home: string): { uid: number; gid: number; home: string } {
  const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }));
  fs.mkdirSync(home, { recursive: true });
  return { uid, gid, home };
}

/** Gives every file and folder under `root` (itself included, `except` and what is under them left out) to this user. */
function chownTree(root: string, uid: number, gid: number, except: string[]): void {
  if (except.includes(root)) return;
  fs.lchownSync(root, uid, gid);
  if (!fs.lstatSync(root).isDirectory()) return;
  for (const entry of fs.readdirSync(root)) chownTree(path.join(root, entry), uid, gid, except);
}

/** Makes a file look as if it was written two minutes ago. */
function age(file: string): void {
  const then = new Date(Date.now() - 120_000);
  fs.utimesSync(file, then, then);
}

describe('fault suite: stale locks, unwritable folders and a registry damaged by hand', () => {
  it('a stale index.lock in the main checkout: the merge is refused with nothing changed; the doctor deletes the lock once it is stale; then the merge works', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Locked out' });
      commitFiles(plan.path, { 'feature.txt': 'feature\n' }, 'feature');
      const lock = path.join(repo.main, '.git', 'index.lock');
      fs.writeFileSync(lock, '');
      const ctx = await openContext(repo.main);
      const before = wholeState(repo.root, repo.main, ctx);
      counts.faultsInjected++;
      await assert.rejects(engine.merge(plan.id, { strategy: 'merge' }), isCode(ErrorCode.IndexLocked));
      assert.strictEqual(wholeState(repo.root, repo.main, ctx), before, 'the refused merge changed something');

      assert.deepStrictEqual(
        (await engine.doctor()).filter((f) => f.kind === 'staleLock'),
        [],
        'a fresh lock may belong to a running git command',
      );
      age(lock);
      const [finding] = (await engine.doctor()).filter((f) => f.kind === 'staleLock');
      assert.strictEqual(finding?.path, lock);
      assert.match(finding.fix?.description ?? '', /Deletes .*index\.lock/);
      await finding.fix?.run();
      assert.ok(!fs.existsSync(lock));
      const merged = await engine.merge(plan.id, { strategy: 'merge' });
      assert.strictEqual(git(repo.main, 'rev-parse', 'HEAD'), merged.baseAfter);
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'feature.txt'), 'utf8'), 'feature\n');
      await assertConsistent(engine, repo.main, 'after the merge', { settled: true });
    }));

  it('a stale lock of a plan branch: cleanup of the merged plan keeps the branch and says why; the doctor deletes the lock; cleanup deletes the branch', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Ref lock' });
      commitFiles(plan.path, { 'feature.txt': 'feature\n' }, 'feature');
      await engine.merge(plan.id, { strategy: 'merge' });
      const lock = path.join(repo.main, '.git', 'refs', 'heads', `${plan.branch}.lock`);
      fs.writeFileSync(lock, '');
      age(lock);
      counts.faultsInjected++;
      const before = holdings(repo.main);
      const tip = git(repo.main, 'rev-parse', plan.branch);
      // The worktree goes (its work is merged); the branch stays, and the error names the lock that keeps it.
      await assert.rejects(engine.cleanup(plan.id), (e: unknown) => {
        isCode(ErrorCode.RefLocked)(e);
        assert.ok(
          (e as Error).message.includes(`refs/heads/${plan.branch}.lock': File exists`),
          `the error does not name the lock file: ${(e as Error).message}`,
        );
        return true;
      });
      assert.strictEqual(git(repo.main, 'rev-parse', plan.branch), tip, 'the branch is kept at its tip');
      assertNothingLost(repo.main, before, 'cleanup with a locked ref');
      const found = await doctorFixAll(engine);
      assert.ok(found.includes('staleLock'), found.join(', '));
      assert.ok(!fs.existsSync(lock));
      await engine.cleanup(plan.id);
      assert.strictEqual(git(repo.main, 'branch', '--list', plan.branch), '');
      await assertConsistent(engine, repo.main, 'after the cleanup', { settled: true });
    }));

  it('a worktree location that cannot be written: create fails with a clear error and leaves nothing behind', () =>
    withRepo(async (repo) => {
      // Tests may run as root, where chmod does not stop a write: a folder under a regular file cannot be made by anyone.
      const blocker = path.join(repo.root, 'not-a-folder');
      fs.writeFileSync(blocker, 'a file where the plans folder would go\n');
      const engine = await PlanEngine.open(repo.main, {
        git: new Git(),
        settings: { worktreeLocation: `${blocker}/\${id}-\${slug}` },
      });
      const ctx = await openContext(repo.main);
      const before = wholeState(repo.root, repo.main, ctx);
      counts.faultsInjected++;
      await assert.rejects(engine.create({ title: 'Nowhere to go' }), (e: unknown) => {
        return isPlanError(ErrorCode.PathExists, {
          reason: 'cannotMakeFolder',
          why: 'fileInTheWay',
          path: /not-a-folder/,
        })(e);
      });
      assert.strictEqual(wholeState(repo.root, repo.main, ctx), before);
      await assertConsistent(engine, repo.main, 'after the refused create', { settled: true });

      // A folder that cannot be written. Root writes into any folder, whatever its mode, and CI runs as root:
      // there the create runs in a process of the unprivileged user nobody, on a repository it owns.
      const readOnly = path.join(repo.root, 'read-only');
      fs.mkdirSync(readOnly);
      fs.chmodSync(readOnly, 0o555);
      const user = process.getuid?.() === 0 ? nobody(path.join(repo.root, 'home')) : undefined;
      const state = wholeState(repo.root, repo.main, ctx);
      if (user) chownTree(repo.root, user.uid, user.gid, [readOnly]);
      const worker = new EngineWorker(repo.main, { worktreeLocation: `${readOnly}/\${id}-\${slug}` }, user);
      try {
        await worker.whenReady();
        counts.faultsInjected++;
        const reply = await worker.call('create', { title: 'Read only' });
        assert.strictEqual(reply.ok, false, `the create in a read-only folder succeeded: ${JSON.stringify(reply)}`);
        assert.ok(!reply.unexpected, `not a PlanWorktreesError: ${reply.message}`);
        const firstLine = reply.message?.split('\n')[0] ?? '';
        assert.ok(
          firstLine.includes(readOnly) && /Permission denied/.test(firstLine),
          `the error does not name the folder and say it cannot be written: ${firstLine}`,
        );
      } finally {
        await worker.close();
        if (user) chownTree(repo.root, 0, 0, [readOnly]);
        fs.chmodSync(readOnly, 0o755);
      }
      assert.strictEqual(wholeState(repo.root, repo.main, ctx), state, 'the refused create changed something');
      await assertConsistent(engine, repo.main, 'after the refused create in a read-only folder', { settled: true });
    }));

  for (const damage of ['corrupted', 'deleted'] as const) {
    it(`the registry ${damage} by hand: the next refresh says so (a corrupted file is set aside, never emptied); the doctor adds the worktrees back as plans`, () =>
      withRepo(async (repo) => {
        const engine = await PlanEngine.open(repo.main, { git: new Git() });
        const first = await engine.create({ title: 'First plan' });
        const second = await engine.create({ title: 'Second plan' });
        writeFiles(second.path, { 'work.txt': 'uncommitted\n' });
        const registry = new Registry(engine.repo.commonDir);
        const original = fs.readFileSync(registry.file, 'utf8');
        const before = holdings(repo.main);
        counts.faultsInjected++;
        if (damage === 'corrupted') fs.writeFileSync(registry.file, original.slice(0, original.length / 2));
        else fs.rmSync(registry.file);

        if (damage === 'corrupted') {
          await assert.rejects(engine.list(), isCode(ErrorCode.RegistryCorrupt));
          const aside = fs.readdirSync(path.dirname(registry.file)).filter((f) => f.startsWith('plans.json.corrupt-'));
          assert.strictEqual(aside.length, 1);
          assert.strictEqual(
            fs.readFileSync(path.join(path.dirname(registry.file), aside[0]), 'utf8'),
            original.slice(0, original.length / 2),
            'set aside as it was',
          );
        }
        const rows = await engine.list();
        assert.deepStrictEqual(
          rows.map((r) => r.kind),
          ['main', 'other', 'other'],
        );
        const found = await doctorFixAll(engine);
        assert.deepStrictEqual(found, ['unregisteredWorktree', 'unregisteredWorktree']);
        const plans = (await engine.list())
          .filter((r) => r.kind === 'plan')
          .map((r) => [r.plan?.id, r.plan?.branch, r.worktree?.path]);
        assert.deepStrictEqual(plans, [
          [first.id, first.branch, first.path],
          [second.id, second.branch, second.path],
        ]);
        await assertConsistent(engine, repo.main, 'after the doctor', { settled: true });
        assertNothingLost(repo.main, before, 'after the doctor');
        const next = await engine.create({ title: 'Third plan' });
        assert.strictEqual(next.id, '3', 'ids go on after the adopted plans');
      }));
  }

  it('a stale registry lock left by a killed process is taken over', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      await engine.create({ title: 'Before' });
      const registry = new Registry(engine.repo.commonDir);
      // The lock of a process that is gone (pid 2^22 - 1 is above Linux's default pid_max).
      fs.writeFileSync(
        registry.lockFile,
        JSON.stringify({ pid: 4194303, hostname: os.hostname(), time: new Date().toISOString(), token: 'dead' }),
      );
      counts.faultsInjected++;
      const started = Date.now();
      await engine.create({ title: 'After' });
      assert.ok(Date.now() - started < 5000, 'the dead owner was noticed at once');
      assert.ok(!fs.existsSync(registry.lockFile));
      assert.deepStrictEqual(
        listTree(path.dirname(registry.file)).filter((f) => f.includes('lock')),
        [],
      );
    }));
});
