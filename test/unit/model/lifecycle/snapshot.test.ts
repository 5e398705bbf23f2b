import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import {
  listSnapshots,
  parseSnapshotMessage,
  restoreSnapshot,
  writeSnapshot,
} from '../../../../src/model/lifecycle/snapshot';
import { PlanRecord, RepoContext } from '../../../../src/model/engine/types';
import { addPlan, openContext } from '../../helpers/a';
import { isPlanError } from '../../helpers/errors';
import { commitFiles, git, gitMayFail, hashTree, TestRepo, withRepo, writeFiles } from '../../helpers/repo';

function isCode(code: ErrorCode) {
  return (e: unknown): boolean => e instanceof PlanWorktreesError && e.code === code;
}

/** A plan with two commits, a staged file, a staged-then-edited file, an unstaged edit, a deletion, untracked files and an ignored file. */
function busyPlan(repo: TestRepo): { plan: PlanRecord; commits: string } {
  const plan = addPlan(repo, '42', { folder: 'plan \u00fcber 42', title: 'Busy plan' });
  commitFiles(plan.path, { 'feature.txt': 'v1\n', '.gitignore': '*.log\n' }, 'first');
  commitFiles(plan.path, { 'feature.txt': 'v2\n', 'docs/n\u00f6tes.md': 'notes\n' }, 'second');
  writeFiles(plan.path, { 'staged.txt': 'staged\n', 'both.txt': 'staged version\n' });
  git(plan.path, 'add', 'staged.txt', 'both.txt');
  writeFiles(plan.path, {
    'both.txt': 'edited after staging\n',
    'src/app.txt': 'unstaged edit\n',
    'new dir/untracked file.txt': 'untracked\n',
    'debug.log': 'ignored\n',
  });
  fs.rmSync(path.join(plan.path, 'README.md'));
  return { plan, commits: git(plan.path, 'log', '--format=%H %T %an %s', 'main..HEAD') };
}

/** The worktree's files, the ignored one too (a snapshot keeps ignored files outside disposable folders). */
function filesOf(folder: string): string {
  return hashTree(folder);
}

/** A context whose location template is where addPlan puts plans (`<root>/plan <id>`): restore may bring them back there. */
async function restoringContext(repo: TestRepo): Promise<RepoContext> {
  const ctx = await openContext(repo.main);
  return { ...ctx, settings: { ...ctx.settings, worktreeLocation: '${repoParent}/plan ${id}' } };
}

describe('snapshots', () => {
  it('snapshot, delete worktree and branch with plain git, restore: every committed, uncommitted and untracked file is back', () =>
    withRepo(async (repo) => {
      const { plan, commits } = busyPlan(repo);
      const files = filesOf(plan.path);
      const head = git(plan.path, 'rev-parse', 'HEAD');
      const indexBefore = git(plan.path, 'ls-files', '-s');
      const ctx = await restoringContext(repo);

      const snapshot = await writeSnapshot(ctx, plan, 'forced cleanup');
      assert.match(snapshot.ref, /^refs\/plan-worktrees\/snapshots\/42\/\d{8}T\d{9}Z$/);
      assert.strictEqual(git(repo.main, 'rev-parse', snapshot.ref), snapshot.commit);
      assert.strictEqual(git(repo.main, 'rev-parse', `${snapshot.commit}^1`), head);
      assert.strictEqual(git(plan.path, 'ls-files', '-s'), indexBefore, "the worktree's own index is untouched");
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), head);
      assert.strictEqual(filesOf(plan.path), files);

      git(repo.main, 'worktree', 'remove', '--force', plan.path);
      git(repo.main, 'branch', '-D', plan.branch);
      assert.strictEqual(fs.existsSync(plan.path), false);

      const [listed] = await listSnapshots(ctx);
      assert.deepStrictEqual(listed, snapshot);
      const restored = await restoreSnapshot(ctx, listed);
      assert.deepStrictEqual(restored, { path: plan.path, branch: plan.branch });
      assert.strictEqual(filesOf(plan.path), files, 'every file is back, byte for byte');
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), head, 'the branch is at the same commit');
      assert.strictEqual(git(plan.path, 'symbolic-ref', 'HEAD'), `refs/heads/${plan.branch}`);
      assert.strictEqual(git(plan.path, 'log', '--format=%H %T %an %s', 'main..HEAD'), commits);
      // The uncommitted changes are uncommitted again, and what was staged is staged again (both.txt's staged version too).
      const status = git(plan.path, 'status', '--porcelain', '-uall').split('\n').sort();
      assert.deepStrictEqual(status, [
        ' D README.md',
        ' M src/app.txt',
        '?? "new dir/untracked file.txt"',
        'A  staged.txt',
        'AM both.txt',
      ]);
      assert.strictEqual(git(plan.path, 'show', ':both.txt'), 'staged version');
    }));

  it('keeps the plan record, the reason and the time in the snapshot, and lists snapshots newest first', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '7', { title: 'Line one — line two' });
      const ctx = await openContext(repo.main);
      const first = await writeSnapshot(ctx, plan, 'first\nreason');
      const second = await writeSnapshot(ctx, { ...plan, title: 'Renamed' }, 'second');
      const list = await listSnapshots(ctx);
      assert.deepStrictEqual(
        list.map((s) => [s.ref, s.reason, s.plan.title]),
        [
          [second.ref, 'second', 'Renamed'],
          [first.ref, 'first reason', 'Line one — line two'],
        ],
      );
      assert.notStrictEqual(first.ref, second.ref);
      assert.deepStrictEqual(list[1].plan, plan);
      assert.strictEqual(parseSnapshotMessage('an ordinary commit'), undefined);
    }));

  it('snapshots a plan whose folder was deleted by hand from its branch', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '3');
      const tip = commitFiles(plan.path, { 'kept.txt': 'kept\n' }, 'committed work');
      fs.rmSync(plan.path, { recursive: true, force: true });
      git(repo.main, 'worktree', 'prune');
      const ctx = await restoringContext(repo);
      const snapshot = await writeSnapshot(ctx, plan, 'folder gone');
      git(repo.main, 'branch', '-D', plan.branch);
      const restored = await restoreSnapshot(ctx, snapshot);
      assert.strictEqual(git(restored.path, 'rev-parse', 'HEAD'), tip);
      assert.strictEqual(fs.readFileSync(path.join(restored.path, 'kept.txt'), 'utf8'), 'kept\n');
      assert.strictEqual(git(restored.path, 'status', '--porcelain'), '');
    }));

  it('writes a snapshot with a fallback identity when the user has none', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '5');
      writeFiles(plan.path, { 'wip.txt': 'wip\n' });
      git(repo.main, 'config', '--unset', 'user.name');
      git(repo.main, 'config', '--unset', 'user.email');
      const home = path.join(repo.root, 'home');
      fs.mkdirSync(home);
      const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME, EMAIL: process.env.EMAIL };
      process.env.HOME = home;
      process.env.XDG_CONFIG_HOME = home;
      delete process.env.EMAIL;
      try {
        git(repo.main, 'config', 'user.useConfigOnly', 'true');
        const snapshot = await writeSnapshot(await openContext(repo.main), plan, 'no identity');
        assert.strictEqual(
          git(repo.main, 'log', '-1', '--format=%an <%ae>', snapshot.commit),
          'Plan Worktrees <plan-worktrees@localhost>',
        );
        assert.strictEqual(git(repo.main, 'show', `${snapshot.commit}:wip.txt`), 'wip');
      } finally {
        for (const [key, value] of Object.entries(saved)) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
    }));

  it('restores onto the kept branch when it is still at the snapshot HEAD (a forced cleanup that kept an unmerged branch)', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '8');
      const tip = commitFiles(plan.path, { 'unmerged.txt': 'unmerged\n' }, 'unmerged work');
      writeFiles(plan.path, { 'wip.txt': 'wip\n' });
      const ctx = await restoringContext(repo);
      const snapshot = await writeSnapshot(ctx, plan, 'forced cleanup');
      git(repo.main, 'worktree', 'remove', '--force', plan.path);
      const restored = await restoreSnapshot(ctx, snapshot);
      assert.deepStrictEqual(restored, { path: plan.path, branch: plan.branch });
      assert.strictEqual(git(repo.main, 'branch', '--list', `${plan.branch}*`), `+ ${plan.branch}`, 'no second branch');
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), tip);
      assert.strictEqual(git(plan.path, 'status', '--porcelain'), '?? wip.txt');
    }));

  it('restores beside a branch and folder that are taken by other work, under new names', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '9');
      const tip = commitFiles(plan.path, { 'mine.txt': 'mine\n' }, 'plan work');
      writeFiles(plan.path, { 'wip.txt': 'wip\n' });
      const ctx = await restoringContext(repo);
      const snapshot = await writeSnapshot(ctx, plan, 'before the branch moved on');
      commitFiles(plan.path, { 'later.txt': 'later\n' }, 'more work');
      const restored = await restoreSnapshot(ctx, snapshot);
      assert.deepStrictEqual(restored, { path: `${plan.path}-restored-1`, branch: `${plan.branch}-restored-1` });
      assert.strictEqual(git(restored.path, 'rev-parse', 'HEAD'), tip);
      assert.strictEqual(fs.readFileSync(path.join(restored.path, 'wip.txt'), 'utf8'), 'wip\n');
      assert.strictEqual(fs.existsSync(path.join(restored.path, 'later.txt')), false);
      assert.notStrictEqual(git(plan.path, 'rev-parse', 'HEAD'), tip, 'the original branch is left alone');
    }));

  it('refuses an explicit branch or folder that is taken, and a snapshot that is gone, changing nothing', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '11');
      writeFiles(plan.path, { 'wip.txt': 'wip\n' });
      const ctx = await openContext(repo.main);
      const snapshot = await writeSnapshot(ctx, plan, 'test');
      const before = git(repo.main, 'for-each-ref') + git(repo.main, 'worktree', 'list', '--porcelain');
      await assert.rejects(
        restoreSnapshot(ctx, snapshot, { branch: 'main', path: path.join(repo.root, 'new') }),
        isCode(ErrorCode.BranchExists),
      );
      await assert.rejects(
        restoreSnapshot(ctx, snapshot, { branch: 'fresh', path: repo.main }),
        isCode(ErrorCode.PathExists),
      );
      await assert.rejects(
        restoreSnapshot(ctx, snapshot, { branch: '-x', path: path.join(repo.root, 'new') }),
        isCode(ErrorCode.InvalidName),
      );
      await assert.rejects(
        restoreSnapshot(ctx, { ...snapshot, commit: '0'.repeat(40) }, { path: path.join(repo.root, 'new') }),
        isCode(ErrorCode.SnapshotNotFound),
      );
      assert.strictEqual(git(repo.main, 'for-each-ref') + git(repo.main, 'worktree', 'list', '--porcelain'), before);
      assert.strictEqual(fs.existsSync(path.join(repo.root, 'new')), false);
      assert.ok(!gitMayFail(repo.main, 'rev-parse', '--verify', 'fresh').ok);
    }));

  it("holds ignored files outside disposable folders (an edited .env, a log, a data folder) and restores them byte for byte; leaves out node_modules and unchanged copies of the main checkout's files", () =>
    withRepo(
      async (repo) => {
        writeFiles(repo.main, { '.env': 'SECRET=old\n', '.env.local': 'LOCAL=1\n' });
        const plan = addPlan(repo, '21');
        const bytes = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
        writeFiles(plan.path, {
          '.env': 'SECRET=rotated\n',
          '.env.local': 'LOCAL=1\n',
          'debug.log': 'log\n',
          'node_modules/pkg/index.js': 'patched\n',
          'sub/node_modules/x.js': 'x\n',
        });
        fs.mkdirSync(path.join(plan.path, 'data/deep'), { recursive: true });
        fs.writeFileSync(path.join(plan.path, 'data/deep/db.bin'), bytes);
        const ctx = await openContext(repo.main);
        const snapshot = await writeSnapshot(ctx, plan, 'test');
        git(repo.main, 'worktree', 'remove', '--force', plan.path);
        git(repo.main, 'branch', '-D', plan.branch);
        const restored = await restoreSnapshot(ctx, snapshot);
        const read = (f: string): string | undefined =>
          fs.existsSync(path.join(restored.path, f))
            ? fs.readFileSync(path.join(restored.path, f), 'latin1')
            : undefined;
        assert.deepStrictEqual(
          [
            '.env',
            'debug.log',
            'data/deep/db.bin',
            '.env.local',
            'node_modules/pkg/index.js',
            'sub/node_modules/x.js',
          ].map(read),
          ['SECRET=rotated\n', 'log\n', bytes.toString('latin1'), undefined, undefined, undefined],
        );
        assert.strictEqual(
          git(restored.path, 'status', '--porcelain'),
          '',
          'the ignored files are ignored again, not untracked',
        );
      },
      { '.gitignore': '.env*\n*.log\n/data/\nnode_modules/\n', 'README.md': '# demo\n' },
    ));

  it('holds edits of files marked assume-unchanged or skip-worktree, staged content as staged', () =>
    withRepo(
      async (repo) => {
        const plan = addPlan(repo, '22');
        git(plan.path, 'update-index', '--assume-unchanged', 'a.txt');
        git(plan.path, 'update-index', '--skip-worktree', 'b.txt');
        writeFiles(plan.path, { 'c.txt': 'c staged\n' });
        git(plan.path, 'add', 'c.txt');
        git(plan.path, 'update-index', '--assume-unchanged', 'c.txt');
        writeFiles(plan.path, { 'a.txt': 'a edited\n', 'b.txt': 'b edited\n', 'c.txt': 'c edited after staging\n' });
        assert.strictEqual(git(plan.path, 'status', '--porcelain'), 'A  c.txt', 'git status does not see the edits');
        const ctx = await openContext(repo.main);
        const snapshot = await writeSnapshot(ctx, plan, 'test');
        git(repo.main, 'worktree', 'remove', '--force', plan.path);
        git(repo.main, 'branch', '-D', plan.branch);
        const restored = await restoreSnapshot(ctx, snapshot);
        const read = (f: string): string => fs.readFileSync(path.join(restored.path, f), 'utf8');
        assert.deepStrictEqual(['a.txt', 'b.txt', 'c.txt'].map(read), [
          'a edited\n',
          'b edited\n',
          'c edited after staging\n',
        ]);
        assert.strictEqual(git(restored.path, 'show', ':c.txt'), 'c staged');
      },
      { 'a.txt': 'a\n', 'b.txt': 'b\n', 'README.md': '# demo\n' },
    ));

  it('holds a file staged and rewritten in the same second at the same size, while git may not refresh the index (GIT_OPTIONAL_LOCKS=0)', () =>
    withRepo(async (repo) => {
      const plan = addPlan(repo, '23');
      const saved = process.env.GIT_OPTIONAL_LOCKS;
      process.env.GIT_OPTIONAL_LOCKS = '0';
      try {
        const ctx = await openContext(repo.main);
        // Early in a second, so that staging and rewriting share it on the file system's coarse clock.
        await waitUntil(() => Date.now() % 1000 >= 100 && Date.now() % 1000 < 300);
        writeFiles(plan.path, { 'racy.txt': 'staged!\n' });
        git(plan.path, 'add', 'racy.txt');
        writeFiles(plan.path, { 'racy.txt': 'edited!\n' });
        const second = Math.floor(Date.now() / 1000);
        await waitUntil(() => Math.floor(Date.now() / 1000) > second);
        const snapshot = await writeSnapshot(ctx, plan, 'test');
        assert.strictEqual(git(repo.main, 'show', `${snapshot.commit}:racy.txt`), 'edited!');
        assert.strictEqual(git(repo.main, 'show', `${snapshot.commit}^2:racy.txt`), 'staged!');
      } finally {
        if (saved === undefined) delete process.env.GIT_OPTIONAL_LOCKS;
        else process.env.GIT_OPTIONAL_LOCKS = saved;
      }
    }));

  it('refuses a snapshot whose ignored files are over the limit, naming the biggest, and writes nothing', () =>
    withRepo(
      async (repo) => {
        const plan = addPlan(repo, '24');
        writeFiles(plan.path, {
          'big.dat': 'x'.repeat(1536 * 1024),
          'small.dat': 'y'.repeat(600 * 1024),
          'node_modules/huge.js': 'z'.repeat(3 * 1024 * 1024),
        });
        const ctx = await openContext(repo.main);
        ctx.settings = { ...ctx.settings, snapshotLimitMB: 2 };
        await assert.rejects(writeSnapshot(ctx, plan, 'test'), (e: unknown) => {
          assert.ok(isCode(ErrorCode.SnapshotTooLarge)(e), String(e));
          assert.deepStrictEqual((e as PlanWorktreesError).files, ['big.dat', 'small.dat']);
          return isPlanError(ErrorCode.SnapshotTooLarge, {
            path: plan.path,
            limitMB: 2,
            biggest: [
              { path: 'big.dat', bytes: 1536 * 1024 },
              { path: 'small.dat', bytes: 600 * 1024 },
            ],
          })(e);
        });
        assert.deepStrictEqual(await listSnapshots(ctx), []);
      },
      { '.gitignore': '*.dat\nnode_modules/\n' },
    ));
});

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
