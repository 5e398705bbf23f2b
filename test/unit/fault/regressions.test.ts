/**
 * The bugs the random lifecycle test found, each as a plain test that fails
 * without its fix.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../src/model/engine/errors';
import { Git } from '../../../src/git/runner';
import { Logger, silentLogger } from '../../../src/git/log';
import { EventLog } from '../../../src/model/store/events';
import { PlanEngine } from '../../../src/model/engine/planEngine';
import { assertConsistent, assertNothingLost, doctorFixAll, EngineWorker, holdings } from '../helpers/fault';
import { isPlanError } from '../helpers/errors';
import { commitFiles, git, withRepo, writeFiles } from '../helpers/repo';

function isCode(code: ErrorCode): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof PlanWorktreesError, String(e));
    assert.strictEqual(e.code, code, e.message);
    return true;
  };
}

/** The processes started by `pid`, and theirs (read from /proc). */
function descendants(pid: number): number[] {
  const children: number[] = [];
  for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/** Whether `file` has `content` now (false while it is missing or being written). */
function hasContent(file: string, content: string): boolean {
  try {
    return fs.readFileSync(file, 'utf8') === content;
  } catch {
    return false;
  }
}

describe('fault suite: regressions found by the random test', () => {
  it('refuses to restore a snapshot of a plan whose worktree is still there (it made a second worktree, and the doctor a second active plan with the same id)', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Twice' });
      writeFiles(plan.path, { 'notes.txt': 'first\n' });
      await engine.cleanup(plan.id, { force: true });
      await engine.restore(plan.id);
      const before = git(repo.main, 'worktree', 'list', '--porcelain');
      await assert.rejects(engine.restore(plan.id), isCode(ErrorCode.PlanExists));
      assert.strictEqual(git(repo.main, 'worktree', 'list', '--porcelain'), before);
      await doctorFixAll(engine);
      await assertConsistent(engine, repo.main, 'after the doctor', { settled: true });

      // Its folder deleted by hand: restore says to run the doctor first; after it, the plan is back in one worktree.
      fs.rmSync(plan.path, { recursive: true, force: true });
      await assert.rejects(
        engine.restore(plan.id),
        isPlanError(ErrorCode.PlanExists, { reason: 'worktreeStillThere', path: plan.path, folderGone: true }),
      );
      await doctorFixAll(engine);
      await assertConsistent(engine, repo.main, 'after the folder was deleted', { settled: true });
      assert.strictEqual((await engine.list()).filter((r) => r.plan?.id === plan.id).length, 1);
    }));

  it('a create killed (SIGKILL) inside "stash apply" while it moves the main checkout\'s changes: the doctor finishes the move, and every change ends up in the plan', async function () {
    this.timeout(180_000);
    const count = 500;
    let partial = 0;
    for (let attempt = 1; attempt <= 4 && partial === 0; attempt++) {
      await withRepo(async (repo) => {
        const files: Record<string, string> = {};
        for (let i = 0; i < count; i++) files[`src/f ${String(i).padStart(4, '0')}.txt`] = `committed ${i}\n`;
        commitFiles(repo.main, files, 'many files');
        for (const file of Object.keys(files)) files[file] = `${files[file]}changed\n`;
        files['new/untracked.txt'] = 'untracked\n';
        writeFiles(repo.main, files);
        const moved = git(repo.main, 'status', '--porcelain', '--untracked-files=all');
        const before = holdings(repo.main);
        const folder = path.join(repo.root, 'repo.plans', '1-moving');
        const worker = new EngineWorker(repo.main, { dirtyBase: 'move' });
        try {
          await worker.whenReady();
          const reply = worker.call('create', { title: 'Moving' });
          // Killed as soon as the apply has written a tenth of the files.
          const tenth = path.join(folder, `src/f ${String(Math.floor(count / 10)).padStart(4, '0')}.txt`);
          const deadline = Date.now() + 60_000;
          while (
            !worker.exited &&
            !hasContent(tenth, files[`src/f ${String(Math.floor(count / 10)).padStart(4, '0')}.txt`]) &&
            Date.now() < deadline
          ) {
            await new Promise((resolve) => setImmediate(resolve));
          }
          // The window dies with the git it runs (a git left running would finish the apply by itself).
          for (const child of descendants(worker.pid)) process.kill(child, 'SIGKILL');
          await worker.kill();
          await reply;
        } finally {
          await worker.close();
        }
        const applied = Object.entries(files).filter(([file, content]) =>
          hasContent(path.join(folder, file), content),
        ).length;
        if (applied > 0 && applied < count + 1) partial++;
        const context = `attempt ${attempt}: killed with ${applied} of ${count + 1} changes in the plan`;
        for (const lock of [
          path.join(repo.main, '.git', 'index.lock'),
          path.join(repo.main, '.git', 'worktrees', '1-moving', 'index.lock'),
        ]) {
          if (fs.existsSync(lock)) fs.utimesSync(lock, new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
        }
        const engine = await PlanEngine.open(repo.main, { git: new Git(), settings: { dirtyBase: 'move' } });
        const fixed = await doctorFixAll(engine);
        const repaired = `${context}, after the doctor (${fixed.join(', ')})`;
        assertNothingLost(repo.main, before, repaired);
        assert.strictEqual(git(repo.main, 'stash', 'list'), '', `${repaired}: changes left in a stash`);
        const holder =
          fs.existsSync(folder) && git(folder, 'status', '--porcelain', '--untracked-files=all') !== ''
            ? folder
            : repo.main;
        assert.strictEqual(
          git(holder, 'status', '--porcelain', '--untracked-files=all'),
          moved,
          `${repaired}: the changes are not all in ${holder}`,
        );
        for (const [file, content] of Object.entries(files)) {
          assert.ok(hasContent(path.join(holder, file), content), `${repaired}: ${file}`);
        }
        await assertConsistent(engine, repo.main, repaired, { settled: true });
      });
    }
    assert.ok(partial > 0, 'no kill landed inside the apply');
  });

  it('a forced cleanup keeps staged content that differs from the file on disk (the snapshot held only the file)', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Staged' });
      writeFiles(plan.path, { 'src/app.txt': 'staged version\n' });
      git(plan.path, 'add', 'src/app.txt');
      writeFiles(plan.path, { 'src/app.txt': 'edited again after staging\n' });
      const before = holdings(repo.main);
      await engine.cleanup(plan.id, { force: true });
      assertNothingLost(repo.main, before, 'forced cleanup');
      const restored = await engine.restore(plan.id);
      assert.strictEqual(fs.readFileSync(`${restored.path}/src/app.txt`, 'utf8'), 'edited again after staging\n');
      assert.strictEqual(
        git(restored.path, 'show', ':src/app.txt'),
        'staged version',
        'the staged content is staged again',
      );
    }));

  it('the doctor does not add a worktree made by hand on a plan-like branch as a second active plan with a taken id', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Taken' });
      git(repo.main, 'worktree', 'add', '-q', '-b', `plan/${plan.id}-by-hand`, `${repo.root}/by-hand`);
      const findings = (await engine.doctor()).filter((f) => f.kind === 'unregisteredWorktree');
      assert.strictEqual(findings.length, 1);
      assert.strictEqual(findings[0].fix, undefined, 'no one-click fix that would duplicate the id');
      assert.match(findings[0].message, /already active/);
      await doctorFixAll(engine);
      await assertConsistent(engine, repo.main, 'after the doctor', { settled: true });
    }));

  it('reads worktrees while another process is adding one (git fails on its still-empty commondir for a moment)', () =>
    withRepo(async (repo) => {
      // The other process finishes writing the file when git has failed on it once: the engine must try again.
      let finishWriting: (() => void) | undefined;
      const failures: string[] = [];
      const log: Logger = {
        ...silentLogger,
        info: (message) => {
          if (!/failed .*commondir/.test(message)) return;
          failures.push(message);
          finishWriting?.();
          finishWriting = undefined;
        },
      };
      const engine = await PlanEngine.open(repo.main, { git: new Git({ log }) });
      const plan = await engine.create({ title: 'Being added' });
      const commondir = path.join(repo.main, '.git', 'worktrees', path.basename(plan.path), 'commondir');
      const content = fs.readFileSync(commondir);
      const emptyUntilGitFails = (): void => {
        fs.writeFileSync(commondir, ''); // as `git worktree add` in another window has it for a moment
        finishWriting = () => fs.writeFileSync(commondir, content);
      };
      emptyUntilGitFails();
      assert.strictEqual((await engine.list()).length, 2);
      assert.strictEqual(failures.length, 1, 'git failed once on the empty file, then the list was read again');
      // Left empty for good (a crash at that very moment), the list comes quickly with the other worktrees, and says what is wrong.
      fs.writeFileSync(commondir, '');
      const started = Date.now();
      const rows = await engine.list();
      assert.ok(Date.now() - started < 2000);
      assert.deepStrictEqual(
        rows.flatMap((r) => (r.worktree ? [r.worktree.path] : [])),
        [repo.main],
      );
      assert.strictEqual(engine.listProblem?.code, ErrorCode.WorktreeAdminBroken);
      assert.match(engine.listProblem?.message ?? '', /commondir/);
      fs.writeFileSync(commondir, content);

      // git worktree add makes the branch before it reads the other worktrees: a create tries again without it.
      failures.length = 0;
      emptyUntilGitFails();
      const second = await engine.create({ title: 'While another is added' });
      assert.ok(
        failures.some((m) => m.includes('worktree add')),
        `git worktree add never failed on the empty file: ${failures.join('; ')}`,
      );
      assert.strictEqual(git(second.path, 'rev-parse', '--abbrev-ref', 'HEAD'), second.branch);
      await assertConsistent(engine, repo.main, 'after the create', { settled: true });
    }));

  it('git in a folder that another window just removed is a clear PathMissing error (it was an unclassified simple-git message)', () =>
    withRepo(async (repo) => {
      const gone = path.join(repo.root, 'removed meanwhile');
      await assert.rejects(new Git().run(['status'], { cwd: gone }), (e: unknown) => {
        assert.ok(e instanceof PlanWorktreesError && e.code === ErrorCode.PathMissing, String(e));
        assert.ok(e.message.includes(gone));
        return true;
      });
    }));

  it('two doctor fixes found together (Add to Plans for a worktree, Recreate Worktree for a removed run of the same id) never make two active plans with one id', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Both fixes' });
      commitFiles(plan.path, { 'work.txt': 'unmerged\n' }, 'work');
      await engine.cleanup(plan.id); // unmerged: the branch is kept, the plan is removed
      // Its branch checked out again by hand, under a plan-like name the registry does not know.
      git(
        repo.main,
        'worktree',
        'add',
        '-q',
        '-b',
        `plan/${plan.id}-by-hand`,
        path.join(repo.root, 'by-hand'),
        plan.branch,
      );
      const kinds = (await engine.doctor()).map((f) => f.kind).sort();
      assert.deepStrictEqual(kinds, ['unmergedWork', 'unregisteredWorktree']);
      await doctorFixAll(engine);
      await assertConsistent(engine, repo.main, 'after both fixes', { settled: true });
    }));

  it('trying a restore again finishes one that stopped after making its worktree, but never over what was changed there since', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Half restored' });
      writeFiles(plan.path, { 'notes.txt': 'kept by the snapshot\n', 'src/app.txt': 'changed\n' });
      git(plan.path, 'add', 'notes.txt');
      await engine.discard(plan.id);
      const [snapshot] = await engine.snapshots();
      // What a restore whose window died right after `git worktree add` leaves: the worktree at the snapshot's parent, the plan still discarded.
      git(repo.main, 'worktree', 'add', '-q', '-b', plan.branch, plan.path, `${snapshot.commit}^1`);
      await new EventLog(engine.repo.commonDir).append({
        type: 'restore.before',
        planId: plan.id,
        run: plan.run,
        ref: snapshot.ref,
      });
      writeFiles(plan.path, { 'written since.txt': 'someone worked here\n' });
      await assert.rejects(engine.restore(plan.id), isCode(ErrorCode.PlanExists));
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'written since.txt'), 'utf8'), 'someone worked here\n');

      fs.rmSync(path.join(plan.path, 'written since.txt'));
      const restored = await engine.restore(plan.id);
      assert.deepStrictEqual(restored, { path: plan.path, branch: plan.branch });
      assert.strictEqual(fs.readFileSync(path.join(plan.path, 'src/app.txt'), 'utf8'), 'changed\n');
      assert.strictEqual(git(plan.path, 'status', '--porcelain'), 'A  notes.txt\n M src/app.txt');
      assert.strictEqual((await engine.plan(plan.id)).status, 'active');
      await assertConsistent(engine, repo.main, 'after the restore was finished', { settled: true });
    }));

  it('refuses to restore a snapshot of a merged plan whose worktree is still there (the entry moved to the restored folder, the worktree was left without its plan)', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Merged, not cleaned up' });
      writeFiles(plan.path, { 'notes.txt': 'first\n' });
      await engine.cleanup(plan.id, { force: true });
      await engine.restore(plan.id);
      commitFiles(plan.path, { 'notes.txt': 'done\n' }, 'done');
      await engine.merge(plan.id, { strategy: 'merge' });
      await assert.rejects(engine.restore(plan.id), isCode(ErrorCode.PlanExists));
      await assertConsistent(engine, repo.main, 'after the refused restore', { settled: true });
      assert.strictEqual((await engine.list()).find((r) => r.worktree?.path === plan.path)?.kind, 'plan');
    }));
});
