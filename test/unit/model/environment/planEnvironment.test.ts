import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { cleanupPlan, discardPlan } from '../../../../src/model/lifecycle/cleanup';
import { listUntrackedFiles } from '../../../../src/model/lifecycle/copyFiles';
import { createPlan, CreateOptions } from '../../../../src/model/lifecycle/create';
import { EngineSettings, PlanRecord } from '../../../../src/model/engine/types';
import { expandSetupCommand, planEnvironment } from '../../../../src/model/environment/planEnvironment';
import { choosePort, preferredPort } from '../../../../src/model/environment/ports';
import { planRecordProblem } from '../../../../src/model/store/registry';
import { lifecycleFor, Lifecycle, samplePlan, statusOf, wholeState } from '../../helpers/b';
import { git, hashTree, makeTempDir, removeDir, TestRepo, withRepo, writeFiles } from '../../helpers/repo';

/** Expects `createPlan(options)` to fail with `code` and to change nothing at all. */
async function assertRefused(
  repo: TestRepo,
  life: Lifecycle,
  options: CreateOptions,
  code: ErrorCode,
  message: RegExp,
): Promise<void> {
  const before = wholeState(repo.root, repo.main, life.ctx);
  await assert.rejects(createPlan(life.ctx, life.registry, life.events, options), (e: unknown) => {
    assert.ok(e instanceof PlanWorktreesError, String(e));
    assert.strictEqual(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
  assert.strictEqual(
    wholeState(repo.root, repo.main, life.ctx),
    before,
    `${JSON.stringify(options)} changed something`,
  );
}

/** Files of `dir` that git does not track (untracked and ignored), sorted; folders git lists whole are walked. */
function untrackedFilesOf(dir: string): string[] {
  return git(dir, 'ls-files', '-z', '--others')
    .split('\0')
    .filter((f) => f !== '')
    .sort();
}

/** A node_modules with nested folders, a relative link inside the repository, and links that lead elsewhere. */
function makeNodeModules(main: string, outside: string): void {
  writeFiles(main, {
    'node_modules/pkg/index.js': 'module.exports = 1;\n',
    'node_modules/pkg/bin.js': '#!/usr/bin/env node\n',
    'node_modules/@scope/deep/lib/a.js': 'a\n',
    'node_modules/.package-lock.json': '{}\n',
  });
  fs.mkdirSync(path.join(main, 'node_modules/.bin'));
  fs.symlinkSync('../pkg/bin.js', path.join(main, 'node_modules/.bin/pkg'));
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'outside the repository\n');
  fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(main, 'node_modules/absolute-link'));
  fs.symlinkSync(path.relative(path.join(main, 'node_modules'), outside), path.join(main, 'node_modules/escape'));
}

function withIgnore(main: string, ignore: string): void {
  fs.writeFileSync(path.join(main, '.gitignore'), ignore);
  git(main, 'add', '.gitignore');
  git(main, 'commit', '-q', '-m', 'ignore');
}

async function create(life: Lifecycle, title = 'Env'): Promise<PlanRecord> {
  return createPlan(life.ctx, life.registry, life.events, { title });
}

describe('plan environments', () => {
  describe('.worktreeinclude', () => {
    it('copies the ignored files it names, with copyFiles; never an untracked file git does not ignore, never a tracked one', () =>
      withRepo(async (repo) => {
        withIgnore(repo.main, '.env\nconfig/\nsecrets/\n*.log\n');
        writeFiles(repo.main, {
          '.worktreeinclude':
            '# as in Claude Code\nconfig/*.json\n!config/public.json\nsecrets/\nnotes.txt\nREADME.md\n',
          '.env': 'KEY=1\n',
          'config/local.json': '{"db":"x"}\n',
          'config/public.json': '{}\n',
          'config/other.yaml': 'a: 1\n',
          'secrets/deep/key.pem': 'pem\n',
          'build.log': 'log\n',
          'notes.txt': 'untracked, not ignored: my own notes\n',
        });
        // notes.txt and .worktreeinclude are untracked changes of the main checkout: they stay where they are.
        const life = await lifecycleFor(repo.main, { dirtyBase: 'ignore' });
        const plan = await create(life);
        assert.deepStrictEqual(untrackedFilesOf(plan.path), ['.env', 'config/local.json', 'secrets/deep/key.pem']);
        assert.strictEqual(fs.readFileSync(path.join(plan.path, 'config/local.json'), 'utf8'), '{"db":"x"}\n');
        assert.strictEqual(statusOf(plan.path), '', 'the copied files are ignored in the plan: nothing to commit');
      }));

    it('is not read through a symbolic link, and a symlink it names that leads outside is not copied', () =>
      withRepo(async (repo) => {
        const outside = makeTempDir();
        try {
          withIgnore(repo.main, 'secrets/\n.include-elsewhere\n');
          fs.writeFileSync(path.join(outside, 'key'), 'outside\n');
          fs.mkdirSync(path.join(repo.main, 'secrets'));
          fs.writeFileSync(path.join(repo.main, 'secrets/own.txt'), 'own\n');
          fs.symlinkSync(path.join(outside, 'key'), path.join(repo.main, 'secrets/link'));
          fs.writeFileSync(path.join(repo.main, '.worktreeinclude'), 'secrets/\n');
          const life = await lifecycleFor(repo.main, { dirtyBase: 'ignore' });
          const plan = await create(life, 'One');
          assert.deepStrictEqual(untrackedFilesOf(plan.path), ['secrets/own.txt']);

          fs.renameSync(path.join(repo.main, '.worktreeinclude'), path.join(repo.main, '.include-elsewhere'));
          fs.symlinkSync('.include-elsewhere', path.join(repo.main, '.worktreeinclude'));
          const warnings: string[] = [];
          const watched = {
            ...life,
            ctx: { ...life.ctx, log: { ...life.ctx.log, warn: (m: string) => warnings.push(m) } },
          };
          const second = await create(watched, 'Two');
          assert.deepStrictEqual(untrackedFilesOf(second.path), []);
          assert.ok(
            warnings.some((w) => /\.worktreeinclude is a symbolic link; it is not read/.test(w)),
            warnings.join('\n'),
          );
        } finally {
          removeDir(outside);
        }
      }));
  });

  describe('dependency folders', () => {
    it('copy: the plan gets its own copy, links inside the repository kept, links leading out left out', () =>
      withRepo(async (repo) => {
        const outside = makeTempDir();
        try {
          withIgnore(repo.main, 'node_modules/\n');
          makeNodeModules(repo.main, outside);
          const before = hashTree(path.join(repo.main, 'node_modules'));
          const life = await lifecycleFor(repo.main);
          const plan = await create(life);
          const copied = path.join(plan.path, 'node_modules');
          assert.ok(fs.lstatSync(copied).isDirectory());
          assert.strictEqual(fs.readlinkSync(path.join(copied, '.bin/pkg')), '../pkg/bin.js');
          assert.ok(!fs.existsSync(path.join(copied, 'absolute-link')), 'an absolute link is left out');
          assert.ok(!fs.existsSync(path.join(copied, 'escape')), 'a link leading outside is left out');
          const withoutLeftOut = before
            .split('\n')
            .filter((l) => !/^(absolute-link|escape) /.test(l))
            .join('\n');
          assert.strictEqual(hashTree(copied), withoutLeftOut);
          // Its own files: a write in the plan never reaches the main checkout.
          fs.writeFileSync(path.join(copied, 'pkg/index.js'), 'changed in the plan\n');
          assert.strictEqual(hashTree(path.join(repo.main, 'node_modules')), before);
          const method = plan.dependencyFolders?.[0]?.method;
          assert.ok(method === 'copy' || method === 'clone', String(method));
          assert.deepStrictEqual(plan.dependencyFolders, [{ folder: 'node_modules', method }]);
          assert.deepStrictEqual((await life.registry.read()).plans[0].dependencyFolders, plan.dependencyFolders);
          assert.strictEqual(statusOf(plan.path), '');
        } finally {
          removeDir(outside);
        }
      }));

    it('hardlink: files share their inode with the main checkout (same file system); nested folders by path', () =>
      withRepo(async (repo) => {
        withIgnore(repo.main, 'node_modules/\n');
        writeFiles(repo.main, { 'web/node_modules/x/a.js': 'a\n', 'web/page.txt': 'tracked\n' });
        git(repo.main, 'add', 'web/page.txt');
        git(repo.main, 'commit', '-q', '-m', 'web');
        const life = await lifecycleFor(repo.main, { dependencyFolders: { 'web/node_modules': 'hardlink' } });
        const plan = await create(life);
        const mine = fs.statSync(path.join(plan.path, 'web/node_modules/x/a.js'));
        const theirs = fs.statSync(path.join(repo.main, 'web/node_modules/x/a.js'));
        assert.strictEqual(mine.ino, theirs.ino);
        assert.deepStrictEqual(plan.dependencyFolders, [{ folder: 'web/node_modules', method: 'hardlink' }]);
        // Discarding the plan unlinks its names only: the main checkout's file is as it was.
        await discardPlan(life.ctx, life.registry, life.events, plan);
        assert.ok(!fs.existsSync(plan.path));
        assert.strictEqual(fs.readFileSync(path.join(repo.main, 'web/node_modules/x/a.js'), 'utf8'), 'a\n');
      }));

    it('leaves out a folder git does not ignore, one git tracks files in, and one that is a symlink in the main checkout', () =>
      withRepo(async (repo) => {
        const outside = makeTempDir();
        try {
          withIgnore(repo.main, '.venv/\n');
          writeFiles(repo.main, { 'node_modules/a.js': 'not ignored\n', 'target/tracked.txt': 't\n' });
          git(repo.main, 'add', 'target/tracked.txt');
          git(repo.main, 'commit', '-q', '-m', 'tracked target');
          writeFiles(repo.main, { 'target/build.o': 'o\n' });
          fs.symlinkSync(outside, path.join(repo.main, '.venv'));
          const life = await lifecycleFor(repo.main, {
            dependencyFolders: { node_modules: 'copy', target: 'copy', '.venv': 'symlink' },
            dirtyBase: 'ignore',
          });
          const plan = await create(life);
          assert.ok(!fs.existsSync(path.join(plan.path, 'node_modules')));
          assert.ok(!fs.existsSync(path.join(plan.path, 'target/build.o')));
          assert.ok(!fs.existsSync(path.join(plan.path, '.venv')));
          assert.strictEqual(plan.dependencyFolders, undefined);
        } finally {
          removeDir(outside);
        }
      }));

    it('refuses a bad dependencyFolders entry, changing nothing', () =>
      withRepo(async (repo) => {
        const cases: Array<[Record<string, string>, RegExp]> = [
          [{ '../elsewhere': 'copy' }, /inside the repository/],
          [{ '/abs/node_modules': 'copy' }, /inside the repository/],
          [{ '.git/hooks': 'symlink' }, /\.git/],
          [{ node_modules: 'move' }, /known modes/],
        ];
        for (const [dependencyFolders, message] of cases) {
          const life = await lifecycleFor(repo.main, {
            dependencyFolders: dependencyFolders as EngineSettings['dependencyFolders'],
          });
          await assertRefused(repo, life, { title: 'T' }, ErrorCode.InvalidName, message);
        }
      }));

    for (const mode of ['copy', 'symlink'] as const) {
      it(`${mode}: a create stopped after the folder is made leaves nothing behind, and the main checkout's folder intact`, () =>
        withRepo(async (repo) => {
          withIgnore(repo.main, 'node_modules\n');
          writeFiles(repo.main, { 'node_modules/pkg/index.js': 'main checkout\n', 'node_modules/pkg/lib/a.js': 'a\n' });
          const life = await lifecycleFor(repo.main, { dependencyFolders: { node_modules: mode } });
          const before = wholeState(repo.root, repo.main, life.ctx);
          const stop = new AbortController();
          // Cancelled right after the folder is made: the create's next check of its signal undoes everything.
          life.ctx.log = {
            ...life.ctx.log,
            info: (m: string) => {
              if (/^Dependency folder of plan/.test(m)) stop.abort();
            },
          };
          await assert.rejects(
            createPlan(life.ctx, life.registry, life.events, { title: 'Stopped', signal: stop.signal }),
            (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.Cancelled,
          );
          assert.ok(stop.signal.aborted, 'the folder was made before the create stopped');
          assert.strictEqual(wholeState(repo.root, repo.main, life.ctx), before);
          assert.strictEqual(
            fs.readFileSync(path.join(repo.main, 'node_modules/pkg/index.js'), 'utf8'),
            'main checkout\n',
          );
        }));
    }

    describe('symlink', () => {
      it('links the folder when git ignores a link there; clean-up, forced clean-up and discard never delete through it', () =>
        withRepo(async (repo) => {
          withIgnore(repo.main, 'node_modules\n');
          writeFiles(repo.main, {
            'node_modules/pkg/index.js': 'main checkout\n',
            'node_modules/big.bin': 'x'.repeat(4096),
          });
          const before = hashTree(path.join(repo.main, 'node_modules'));
          const life = await lifecycleFor(repo.main, { dependencyFolders: { node_modules: 'symlink' } });

          const clean = await create(life, 'Clean');
          const link = path.join(clean.path, 'node_modules');
          assert.ok(fs.lstatSync(link).isSymbolicLink());
          assert.strictEqual(fs.readlinkSync(link), path.join(repo.main, 'node_modules'));
          assert.deepStrictEqual(clean.dependencyFolders, [{ folder: 'node_modules', method: 'symlink' }]);
          assert.strictEqual(statusOf(clean.path), '', 'the link is ignored: the plan has nothing to commit');
          await cleanupPlan(life.ctx, life.registry, life.events, clean);
          assert.ok(!fs.existsSync(clean.path));

          const forced = await create(life, 'Forced');
          fs.writeFileSync(path.join(forced.path, 'work.txt'), 'uncommitted\n');
          const result = await cleanupPlan(life.ctx, life.registry, life.events, forced, { force: true });
          assert.ok(result.snapshot, 'a forced clean-up of a dirty plan writes a snapshot');
          const tree = git(repo.main, 'ls-tree', '-r', result.snapshot.commit);
          assert.match(tree, /^120000 blob [0-9a-f]+\tnode_modules$/m, 'the snapshot holds the link itself');
          assert.doesNotMatch(tree, /node_modules\//, 'and nothing through it');

          const discarded = await create(life, 'Discarded');
          fs.writeFileSync(path.join(discarded.path, 'node_modules/through-link.txt'), 'written through the link\n');
          await discardPlan(life.ctx, life.registry, life.events, discarded);
          assert.ok(!fs.existsSync(discarded.path));
          const through = path.join(repo.main, 'node_modules/through-link.txt');
          assert.strictEqual(fs.readFileSync(through, 'utf8'), 'written through the link\n', 'kept');
          fs.rmSync(through);
          assert.strictEqual(
            hashTree(path.join(repo.main, 'node_modules')),
            before,
            "the main checkout's node_modules is intact",
          );
        }));

      it('takes the link out again when git would not ignore it (a pattern for folders only), and says why', () =>
        withRepo(async (repo) => {
          withIgnore(repo.main, 'node_modules/\n');
          writeFiles(repo.main, { 'node_modules/pkg/index.js': 'x\n' });
          const infos: string[] = [];
          const life = await lifecycleFor(repo.main, { dependencyFolders: { node_modules: 'symlink' } });
          life.ctx.log = { ...life.ctx.log, info: (m: string) => infos.push(m) };
          const plan = await create(life);
          assert.ok(!fs.existsSync(path.join(plan.path, 'node_modules')));
          assert.strictEqual(statusOf(plan.path), '');
          assert.ok(
            infos.some((m) => /git would not ignore a symbolic link at node_modules/.test(m)),
            infos.join('\n'),
          );
        }));
    });
  });

  it("create's copyFiles listing does not look into a dependency folder it copies whole", () =>
    withRepo(async (repo) => {
      withIgnore(repo.main, 'node_modules/\n.env\n');
      writeFiles(repo.main, { '.env': 'A=1\n', 'node_modules/.env': 'inside\n', 'node_modules/x.js': 'x\n' });
      const life = await lifecycleFor(repo.main, { copyFiles: ['**/.env'] });
      assert.deepStrictEqual(await listUntrackedFiles(life.ctx, repo.main, ['**/.env']), ['.env', 'node_modules/.env']);
      assert.deepStrictEqual(await listUntrackedFiles(life.ctx, repo.main, ['**/.env'], undefined, ['node_modules']), [
        '.env',
      ]);
      // The folder's own copy brings its .env along.
      const plan = await create(life);
      assert.deepStrictEqual(untrackedFilesOf(plan.path), ['.env', 'node_modules/.env', 'node_modules/x.js']);
    }));

  describe('ports', () => {
    it('gives each plan a stable block, unique among active plans, and refuses when none is left, changing nothing', () =>
      withRepo(async (repo) => {
        const ports = { from: 41000, to: 41019, blockSize: 10 };
        const life = await lifecycleFor(repo.main, { ports });
        const repoName = path.basename(repo.main);
        const first = await createPlan(life.ctx, life.registry, life.events, { id: '5', title: 'A' });
        assert.strictEqual(first.port, preferredPort(repoName, '5', ports));
        assert.strictEqual((await life.registry.read()).plans[0].port, first.port);
        const second = await createPlan(life.ctx, life.registry, life.events, { id: '6', title: 'B' });
        assert.notStrictEqual(second.port, first.port);
        assert.deepStrictEqual([first.port, second.port].sort(), [41000, 41010]);
        await assertRefused(
          repo,
          life,
          { id: '7', title: 'C' },
          ErrorCode.NoFreePort,
          /NoFreePort: from 41000, to 41019, blockSize 10/,
        );
        // The same id gets the same block again once it is free.
        await discardPlan(life.ctx, life.registry, life.events, first);
        const again = await createPlan(life.ctx, life.registry, life.events, { id: '5', title: 'A' });
        assert.strictEqual(again.port, first.port);
      }));

    it('skips a block with a port something listens on (127.0.0.1)', async () => {
      const ports = { from: 42000, to: 42099, blockSize: 10 };
      const preferred = preferredPort('repo', '12', ports);
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(preferred + 3, '127.0.0.1', resolve));
      try {
        const port = await choosePort({ version: 1, plans: [] }, 'repo', '12', ports);
        assert.notStrictEqual(port, preferred);
        assert.strictEqual((port - ports.from) % ports.blockSize, 0);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      assert.strictEqual(await choosePort({ version: 1, plans: [] }, 'repo', '12', ports), preferred);
    });

    it('is in the environment and the setup command; a bad port in the registry is refused', () => {
      const plan = samplePlan('3', { port: 20030 });
      assert.deepStrictEqual(planEnvironment(plan, '/repo'), {
        PLAN_WORKTREES_ID: '3',
        PLAN_WORKTREES_BRANCH: plan.branch,
        PLAN_WORKTREES_BASE: 'main',
        PLAN_WORKTREES_MAIN: '/repo',
        PLAN_WORKTREES_PORT: '20030',
      });
      assert.strictEqual(
        expandSetupCommand('PORT=${port} npm run dev -- --port ${port}', plan),
        'PORT=20030 npm run dev -- --port 20030',
      );
      assert.strictEqual(planEnvironment(samplePlan('4'), '/repo').PLAN_WORKTREES_PORT, undefined);
      assert.strictEqual(planRecordProblem(plan), undefined);
      for (const port of [0, 70000, 1.5, '20030']) {
        assert.match(planRecordProblem({ ...plan, port }) ?? '', /"port" is not a port number/, String(port));
      }
      assert.match(
        planRecordProblem({ ...plan, dependencyFolders: [{ folder: '../x', method: 'copy' }] }) ?? '',
        /inside the repository/,
      );
    });
  });

  describe('location', () => {
    it('~ and ${home} are the home folder; ~user and ${home}/.. are refused, changing nothing', () =>
      withRepo(async (repo) => {
        const home = path.join(repo.root, 'home');
        fs.mkdirSync(home);
        const saved = process.env.HOME;
        process.env.HOME = home;
        try {
          const tilde = await lifecycleFor(repo.main, { worktreeLocation: '~/.claude-plan-${id}' });
          const plan = await create(tilde);
          assert.strictEqual(plan.path, path.join(home, '.claude-plan-1'));
          assert.strictEqual(git(plan.path, 'rev-parse', '--show-toplevel'), plan.path);
          const named = await lifecycleFor(repo.main, { worktreeLocation: '${home}/plans/${id}-${slug}' });
          assert.strictEqual((await create(named, 'Named')).path, path.join(home, 'plans/2-named'));
          for (const [worktreeLocation, message] of [
            ['~user/plans/${id}', /only "~" alone/],
            ['${home}/../elsewhere/${id}', /must not contain "\.\."/],
            ['~/../${id}', /must not contain "\.\."/],
          ] as const) {
            const life = await lifecycleFor(repo.main, { worktreeLocation });
            await assertRefused(repo, life, { title: 'T' }, ErrorCode.InvalidName, message);
          }
          const life = await lifecycleFor(repo.main);
          await assertRefused(repo, life, { title: 'T', path: '~other/x' }, ErrorCode.InvalidName, /only "~" alone/);
        } finally {
          process.env.HOME = saved;
        }
      }));
  });
});
