import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { ExecOptions, ExecResult, Git } from '../../../../src/git/runner';
import { withFileLock } from '../../../../src/model/store/lock';
import { parseWorktreeList } from '../../../../src/git/worktreeList';
import { PlanEngine, reconcile } from '../../../../src/model/engine/planEngine';
import { EngineSettings } from '../../../../src/model/engine/types';
import { registryText, samplePlan } from '../../helpers/b';
import { commitFiles, fingerprint, git, hashTree, withRepo, writeFiles } from '../../helpers/repo';

async function open(
  folder: string,
  settings: Partial<EngineSettings> = {},
): Promise<{ engine: PlanEngine; git: Git; changes: () => number }> {
  const runner = new Git();
  const engine = await PlanEngine.open(folder, { git: runner, settings });
  let count = 0;
  engine.onDidChange(() => count++);
  return { engine, git: runner, changes: () => count };
}

function isCode(code: ErrorCode): (e: unknown) => boolean {
  return (e) => e instanceof PlanWorktreesError && e.code === code;
}

describe('PlanEngine', () => {
  it('lists main, plans, other worktrees and plans whose worktree is gone, with one git process', () =>
    withRepo(async (repo) => {
      const { engine, git: runner } = await open(repo.main);
      const kept = await engine.create({ title: 'Kept' });
      const gone = await engine.create({ title: 'Gone' });
      const deleted = await engine.create({ title: 'Deleted by hand' });
      git(repo.main, 'worktree', 'remove', gone.path);
      fs.rmSync(deleted.path, { recursive: true, force: true });
      const other = path.join(repo.root, 'other');
      git(repo.main, 'worktree', 'add', '-q', '-b', 'feature/x', other);
      const before = runner.processCount;
      const items = await engine.list();
      assert.strictEqual(runner.processCount - before, 1);
      const row = (kind: string, id?: string, folder?: string) =>
        items.find((i) => i.kind === kind && i.plan?.id === id && i.worktree?.path === folder);
      assert.strictEqual(items.length, 5);
      assert.strictEqual(items[0], row('main', undefined, repo.main));
      assert.ok(row('plan', kept.id, kept.path));
      assert.ok(row('other', undefined, other));
      assert.strictEqual(
        (await engine.details(row('plan', deleted.id, deleted.path) ?? assert.fail('deleted'))).missing,
        true,
      );
      assert.strictEqual((await engine.details(row('plan', gone.id, undefined) ?? assert.fail('gone'))).missing, true);
      writeFiles(kept.path, { 'new.txt': 'n' });
      const details = await engine.details(row('plan', kept.id, kept.path) ?? assert.fail('kept'));
      assert.deepStrictEqual([details.missing, details.dirty.untracked], [false, 1]);
    }));

  it('a half-written worktree record (a killed worktree add): windows still open, the list shows the other plans and asks for the doctor; create refuses with a typed error', () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main);
      const kept = await engine.create({ title: 'Kept' });
      await engine.create({ title: 'Detached', base: 'main' });
      const second = (await engine.list()).find((r) => r.plan?.id === '2')?.worktree?.path as string;
      git(second, 'checkout', '-q', '--detach');
      const head = git(repo.main, 'rev-parse', 'HEAD');
      git(repo.main, 'worktree', 'add', '-q', '--no-checkout', '-b', 'killed', path.join(repo.root, 'killed'));
      const admin = path.join(repo.main, '.git', 'worktrees', 'killed');
      fs.writeFileSync(path.join(admin, 'HEAD'), '0'.repeat(40) + '\n');
      fs.writeFileSync(path.join(admin, 'commondir'), '');
      fs.writeFileSync(path.join(admin, 'locked'), 'initializing');

      for (const folder of [repo.main, path.join(kept.path, 'src')]) {
        const { engine: window } = await open(folder);
        assert.strictEqual(window.repo.mainPath, repo.main, `a window opened in ${folder} finds the repository`);
        const rows = await window.list();
        assert.deepStrictEqual(
          rows.map((r) => [r.kind, r.plan?.id, r.worktree?.path, r.worktree?.head, r.worktree?.branch]),
          [
            ['main', undefined, repo.main, head, 'refs/heads/main'],
            ['plan', '1', kept.path, head, `refs/heads/${kept.branch}`],
            ['plan', '2', second, head, undefined],
          ],
        );
        assert.strictEqual(window.listProblem?.code, ErrorCode.WorktreeAdminBroken);
        assert.match(window.listProblem?.message ?? '', /half-written.*Run the doctor/);
      }
      const before = fingerprintWithoutList(repo.main);
      await assert.rejects(engine.create({ title: 'Blocked' }), isCode(ErrorCode.WorktreeAdminBroken));
      assert.strictEqual(fingerprintWithoutList(repo.main), before, 'the refused create left nothing');

      const fixes = (await engine.doctor()).filter((f) => f.kind === 'brokenWorktreeRecord');
      assert.strictEqual(fixes.length, 1);
      // (Written just now: the doctor waits before it offers the fix; the files are aged as a minute passing would.)
      const old = new Date(Date.now() - 120_000);
      for (const file of fs.readdirSync(admin)) fs.utimesSync(path.join(admin, file), old, old);
      fs.utimesSync(admin, old, old);
      const [fix] = (await engine.doctor()).filter((f) => f.kind === 'brokenWorktreeRecord' && f.fix);
      await fix.fix?.run();
      assert.strictEqual((await engine.list()).length, 3);
      assert.strictEqual(engine.listProblem, undefined);
      assert.strictEqual((await engine.create({ title: 'Now it works' })).id, '3');
    }));

  it('reconcile: a plan worktree moved by hand is still the plan; an unknown plan branch is other', () => {
    const text = [
      'worktree /r',
      'HEAD ' + 'a'.repeat(40),
      'branch refs/heads/main',
      '',
      'worktree /moved',
      'HEAD ' + 'b'.repeat(40),
      'branch refs/heads/plan/1-plan-1',
      '',
      'worktree /x',
      'HEAD ' + 'c'.repeat(40),
      'branch refs/heads/plan/9-x',
      '',
    ].join('\0');
    const items = reconcile(parseWorktreeList(text), [
      samplePlan('1', { path: '/old/place' }),
      samplePlan('2', { status: 'removed' }),
    ]);
    assert.deepStrictEqual(
      items.map((i) => [i.kind, i.plan?.id, i.worktree?.path]),
      [
        ['main', undefined, '/r'],
        ['plan', '1', '/moved'],
        ['other', undefined, '/x'],
      ],
    );
  });

  it('knows whether it was opened in a plan worktree (from a subfolder too)', () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main);
      const plan = await engine.create({ title: 'Here' });
      assert.strictEqual(await engine.currentPlan(), undefined);
      const inside = await PlanEngine.open(path.join(plan.path, 'src'), { git: new Git() });
      assert.strictEqual(inside.repo.mainPath, repo.main);
      assert.strictEqual((await inside.currentPlan())?.id, plan.id);
    }));

  it('runs the lifecycle: create, diff, merge (recorded as merged), cleanup, history; fires onDidChange each time', () =>
    withRepo(async (repo) => {
      const { engine, changes } = await open(repo.main);
      const plan = await engine.create({ title: 'Lifecycle' });
      commitFiles(plan.path, { 'feature.txt': 'feature\n' });
      const diff = await engine.diff(plan.id);
      assert.deepStrictEqual(
        diff.files.map((f) => [f.path, f.status]),
        [['feature.txt', 'A']],
      );
      assert.strictEqual(await engine.readBaseContent(plan.id, diff.mergeBase, 'feature.txt'), undefined);
      assert.strictEqual((await engine.readBaseContent(plan.id, diff.mergeBase, 'README.md'))?.toString(), '# demo\n');
      const merged = await engine.merge(plan.id, { strategy: 'merge' });
      assert.strictEqual(git(repo.main, 'rev-parse', 'main'), merged.commit);
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'feature.txt'), 'utf8'), 'feature\n');
      assert.strictEqual((await engine.plan(plan.id)).status, 'merged');
      const cleaned = await engine.cleanup(plan.id);
      assert.deepStrictEqual([cleaned.removedWorktree, cleaned.deletedBranch, cleaned.status], [true, true, 'merged']);
      assert.deepStrictEqual(
        (await engine.history(plan.id)).map((e) => e.type),
        ['create.before', 'create.after', 'merge.before', 'merge.after', 'remove.before', 'remove.after'],
      );
      assert.strictEqual(changes(), 3);
      assert.deepStrictEqual(
        (await engine.list()).map((i) => i.kind),
        ['main'],
      );
    }));

  it('a refused merge records merge.failed and changes nothing, status included', () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main);
      const plan = await engine.create({ title: 'Conflict' });
      commitFiles(plan.path, { 'src/app.txt': 'plan\n' });
      commitFiles(repo.main, { 'src/app.txt': 'main\n' });
      const before = fingerprint(repo.main);
      const registry = registryText(engine.repo.commonDir);
      await assert.rejects(engine.merge(plan.id, { strategy: 'merge' }), isCode(ErrorCode.MergeConflict));
      assert.strictEqual(fingerprint(repo.main), before);
      assert.strictEqual(registryText(engine.repo.commonDir), registry);
      const failed = (await engine.history(plan.id)).at(-1);
      assert.strictEqual(failed?.type, 'merge.failed');
      assert.deepStrictEqual(failed?.files, ['src/app.txt']);
    }));

  it('discards and restores a plan by id: files, commits and the registry entry come back', () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main);
      const plan = await engine.create({ title: 'Round trip' });
      const tip = commitFiles(plan.path, { 'committed.txt': 'c\n' });
      writeFiles(plan.path, { 'src/app.txt': 'uncommitted\n', 'untracked.txt': 'u\n' });
      const files = hashTree(plan.path);
      const discarded = await engine.discard(plan.id);
      assert.strictEqual(discarded.status, 'abandoned');
      assert.ok(!fs.existsSync(plan.path));
      assert.deepStrictEqual(
        (await engine.snapshots()).map((s) => s.ref),
        [discarded.snapshot?.ref],
      );
      const restored = await engine.restore(plan.id);
      assert.deepStrictEqual(restored, { path: plan.path, branch: plan.branch });
      assert.strictEqual(hashTree(plan.path), files);
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), tip);
      const record = await engine.plan(plan.id);
      assert.deepStrictEqual([record.status, record.path, record.run], ['active', plan.path, 1]);
      assert.deepStrictEqual(
        (await engine.list()).map((i) => [i.kind, i.plan?.id]),
        [
          ['main', undefined],
          ['plan', plan.id],
        ],
      );
      assert.deepStrictEqual(
        (await engine.history(plan.id)).slice(-2).map((e) => e.type),
        ['restore.before', 'restore.after'],
      );
    }));

  it('refuses to restore over an active later run of the same plan, and unknown plans and snapshots', () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main, {
        branchTemplate: 'plan/${id}-run-${run}',
        worktreeLocation: '${repoParent}/runs/${id}-${run}',
      });
      const first = await engine.create({ id: '5', title: 'First run' });
      writeFiles(first.path, { 'draft.txt': 'd' });
      await engine.discard('5');
      await engine.create({ id: '5', title: 'Second run' });
      await assert.rejects(engine.restore('5'), isCode(ErrorCode.PlanExists));
      await assert.rejects(engine.restore('nope'), isCode(ErrorCode.SnapshotNotFound));
      await assert.rejects(engine.cleanup('nope'), isCode(ErrorCode.PlanNotFound));
      await assert.rejects(engine.diff('nope'), isCode(ErrorCode.PlanNotFound));
    }));

  it('queues operations of one repository: two creates at once run one after the other', () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main);
      const { engine: second } = await open(repo.main);
      const [a, b] = await Promise.all([engine.create({ title: 'A' }), second.create({ title: 'B' })]);
      assert.deepStrictEqual([a.id, b.id], ['1', '2']);
      assert.deepStrictEqual(
        (await engine.history()).map((e) => `${e.type}:${e.planId}`),
        ['create.before:1', 'create.after:1', 'create.before:2', 'create.after:2'],
      );
    }));

  it('runs doctor fixes through the queue and refreshes', () =>
    withRepo(async (repo) => {
      const { engine, changes } = await open(repo.main);
      const plan = await engine.create({ title: 'Locked' });
      await engine.lock(plan.path, 'testing');
      const [finding] = await engine.doctor();
      assert.strictEqual(finding.kind, 'lockedWorktree');
      const before = changes();
      await finding.fix?.run();
      assert.strictEqual(changes(), before + 1);
      assert.deepStrictEqual(await engine.doctor(), []);
    }));

  it("reports the main checkout's uncommitted files and the local branches", () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main);
      writeFiles(repo.main, { 'src/app.txt': 'changed\n', 'new file.txt': 'n' });
      git(repo.main, 'branch', 'develop');
      assert.deepStrictEqual((await engine.uncommittedChanges()).sort(), ['new file.txt', 'src/app.txt']);
      assert.deepStrictEqual(await engine.localBranches(), ['develop', 'main']);
    }));

  it('uses the settings it is given at the time of each operation', () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main);
      engine.settings = { ...engine.settings, branchTemplate: 'work/${id}' };
      const plan = await engine.create({ title: 'Settings' });
      assert.strictEqual(plan.branch, 'work/1');
    }));
});

describe('what a merge writes beside git', () => {
  /** The types of the events in the log now, read at once (no turn of the event loop). */
  function eventTypes(main: string): string[] {
    const file = path.join(main, '.git', 'plan-worktrees', 'events.jsonl');
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { type: string }).type);
  }

  /** A runner that calls `asked` with each subcommand as it is asked for, before the process starts. */
  class WatchedGit extends Git {
    asked: (subcommand: string) => void | Promise<void> = () => undefined;
    override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
      await this.asked(args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c') ?? args[0]);
      return super.exec(args, options);
    }
  }

  it('merge.before is written while the first git processes run, and is on disk before the base moves', () =>
    withRepo(async (repo) => {
      const runner = new WatchedGit();
      const engine = await PlanEngine.open(repo.main, { git: runner });
      const plan = await engine.create({ title: 'Beside' });
      commitFiles(plan.path, { 'feature.txt': 'feature\n' });
      const seen: Array<[string, string[]]> = [];
      runner.asked = (subcommand) => void seen.push([subcommand, eventTypes(repo.main)]);
      const merged = await engine.merge(plan.id, { strategy: 'merge' });
      assert.strictEqual(git(repo.main, 'rev-parse', 'main'), merged.commit);
      // The first process is asked for before the event is written (its write has not had a turn yet)...
      assert.deepStrictEqual(seen[0], ['merge-tree', ['create.before', 'create.after']]);
      // ...and nothing moves before it is on disk.
      const moved = seen.find(([subcommand]) => subcommand === 'update-ref');
      assert.deepStrictEqual(moved, ['update-ref', ['create.before', 'create.after', 'merge.before']]);
      assert.deepStrictEqual(eventTypes(repo.main), ['create.before', 'create.after', 'merge.before', 'merge.after']);
    }));

  it('a merge refused while merge.before is being written records merge.failed after it, and moves nothing', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Conflict' });
      commitFiles(plan.path, { 'README.md': 'plan\n' });
      commitFiles(repo.main, { 'README.md': 'main\n' });
      const before = git(repo.main, 'rev-parse', 'main');
      await assert.rejects(engine.merge(plan.id, { strategy: 'merge' }), isCode(ErrorCode.MergeConflict));
      assert.strictEqual(git(repo.main, 'rev-parse', 'main'), before);
      assert.deepStrictEqual(eventTypes(repo.main), ['create.before', 'create.after', 'merge.before', 'merge.failed']);
      assert.strictEqual((await engine.plan(plan.id)).status, 'active');
    }));

  it('merge.after is written beside the registry: it does not wait for the registry lock', () =>
    withRepo(async (repo) => {
      const runner = new WatchedGit();
      const engine = await PlanEngine.open(repo.main, { git: runner });
      const plan = await engine.create({ title: 'Registry busy' });
      commitFiles(plan.path, { 'feature.txt': 'feature\n' });
      // Another window holds the registry from the merge's last git process on, until the test lets it go.
      let letGo = (): void => undefined;
      let holding: Promise<void> | undefined;
      runner.asked = async (subcommand) => {
        if (subcommand !== 'read-tree') return;
        await new Promise<void>((held) => {
          holding = withFileLock(
            path.join(repo.main, '.git', 'plan-worktrees', 'plans.lock'),
            () => new Promise<void>((go) => ((letGo = go), held())),
          );
        });
      };
      const merging = engine.merge(plan.id, { strategy: 'merge' });
      try {
        const deadline = Date.now() + 5_000;
        while (!eventTypes(repo.main).includes('merge.after') && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.deepStrictEqual(eventTypes(repo.main), ['create.before', 'create.after', 'merge.before', 'merge.after']);
        const registry = JSON.parse(
          fs.readFileSync(path.join(repo.main, '.git', 'plan-worktrees', 'plans.json'), 'utf8'),
        ) as { plans: Array<{ status: string }> };
        assert.strictEqual(registry.plans[0].status, 'active');
      } finally {
        letGo();
        await holding;
      }
      const merged = await merging;
      assert.strictEqual(git(repo.main, 'rev-parse', 'main'), merged.commit);
      assert.strictEqual((await engine.plan(plan.id)).status, 'merged');
    }));
});

/** Refs, files of the main checkout and the folders around it; `git worktree list` cannot run while a record is broken. */
function fingerprintWithoutList(main: string): string {
  return [
    git(main, 'for-each-ref', '--format=%(refname) %(objectname)'),
    hashTree(main),
    fs.readdirSync(path.dirname(main)).sort().join(','),
  ].join('\n');
}
