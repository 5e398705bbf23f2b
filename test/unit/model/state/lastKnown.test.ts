import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { silentLogger } from '../../../../src/git/log';
import { Git } from '../../../../src/git/runner';
import { PlanEngine, PlanWorktree } from '../../../../src/model/engine/planEngine';
import { MAX_STATE_CACHE_BYTES, stateCacheFile } from '../../../../src/model/store/stateCache';
import { commitFiles, git, withRepo, writeFiles } from '../../helpers/repo';

async function open(folder: string, persistState = true): Promise<{ engine: PlanEngine; git: Git }> {
  const runner = new Git();
  return { engine: await PlanEngine.open(folder, { git: runner, persistState }), git: runner };
}

/** Every row's state, as the tree asks for it. */
async function readAll(engine: PlanEngine): Promise<PlanWorktree[]> {
  const items = await engine.list();
  await Promise.all(items.map((i) => engine.details(i)));
  return items;
}

function planRow(items: PlanWorktree[], id: string): PlanWorktree {
  const row = items.find((i) => i.plan?.id === id);
  assert.ok(row, `plan ${id} is listed`);
  return row;
}

function readCache(commonDir: string): { version: number; worktrees: Record<string, { details: unknown }> } {
  return JSON.parse(fs.readFileSync(stateCacheFile(commonDir), 'utf8'));
}

function isCode(code: ErrorCode): (e: unknown) => boolean {
  return (e) => e instanceof PlanWorktreesError && e.code === code;
}

describe('The last known state, kept across sessions', () => {
  it('paints every row from the cache file of an earlier session with the worktree list alone, marked as last known', () =>
    withRepo(async (repo) => {
      const first = await open(repo.main);
      const a = await first.engine.create({ id: 'a', title: 'A' });
      await first.engine.create({ id: 'b', title: 'B' });
      commitFiles(a.path, { 'a.txt': 'a\n' }, 'work of a');
      writeFiles(a.path, { 'wip.txt': 'not committed\n' });
      first.engine.forget();
      const before = await readAll(first.engine);
      const read = await first.engine.details(planRow(before, 'a'));
      await first.engine.flushState();
      assert.strictEqual(readCache(first.engine.repo.commonDir).version, 1);

      const next = await open(repo.main);
      const items = await next.engine.list();
      const painted = items.map((i) => next.engine.lastKnown(i));
      // Finding the repository: rev-parse, the worktree list (which is the list's too), rev-parse. No status.
      assert.strictEqual(next.git.processCount, 3, 'the open and nothing else');
      assert.ok(
        painted.every((d) => d !== undefined),
        'every row has a state at once',
      );
      const shown = next.engine.lastKnown(planRow(items, 'a'));
      assert.ok(shown?.lastKnown && !Number.isNaN(Date.parse(shown.lastKnown.readAt)), 'marked as last known');
      assert.deepStrictEqual({ ...shown, lastKnown: undefined }, { ...read, lastKnown: undefined });
      assert.deepStrictEqual([shown.dirty.untracked, shown.ahead], [1, 1]);

      // The verify reads them all again, 2 at a time, and gives states that are no longer marked.
      const verified = new Map<string, unknown>();
      await next.engine.verify(items, (item, d) => verified.set(item.worktree?.path as string, d), { first: 1 });
      assert.strictEqual(verified.size, 3);
      assert.ok([...verified.values()].every((d) => !(d as { lastKnown?: unknown }).lastKnown));
    }));

  it('does not paint a worktree whose HEAD, index or folder changed since it was read; the others still are', () =>
    withRepo(async (repo) => {
      const first = await open(repo.main);
      const ids = ['moved', 'added', 'gone', 'same'];
      for (const id of ids) await first.engine.create({ id, title: id });
      await readAll(first.engine);
      await first.engine.flushState();
      const paths = Object.fromEntries(
        (await first.engine.list()).map((i) => [i.plan?.id ?? 'main', i.worktree?.path]),
      );

      commitFiles(paths.moved as string, { 'm.txt': 'm\n' }, 'HEAD moves');
      writeFiles(paths.added as string, { 'staged.txt': 's\n' });
      git(paths.added as string, 'add', 'staged.txt');
      fs.rmSync(paths.gone as string, { recursive: true, force: true });

      const next = await open(repo.main);
      const items = await next.engine.list();
      const known = (id: string) => next.engine.lastKnown(planRow(items, id));
      assert.deepStrictEqual(
        ids.map((id) => known(id) !== undefined),
        [false, false, false, true],
      );
    }));

  it('ignores a cache file that is not a cache (garbage, wrong types, too large, a link) and writes a good one over it', () =>
    withRepo(async (repo) => {
      const first = await open(repo.main);
      await first.engine.create({ id: 'p', title: 'P' });
      await readAll(first.engine);
      await first.engine.flushState();
      const file = stateCacheFile(first.engine.repo.commonDir);
      const good = readCache(first.engine.repo.commonDir);
      const planPath = Object.keys(good.worktrees).find((p) => p !== repo.main) as string;
      const wrongTypes = structuredClone(good);
      (wrongTypes.worktrees[planPath].details as { dirty: { modified: unknown } }).dirty.modified = '3; rm -rf /';
      const outside = path.join(repo.root, 'outside.json');
      fs.writeFileSync(outside, JSON.stringify(good));

      const bad: Array<[string, () => void]> = [
        ['garbage', () => fs.writeFileSync(file, '{ not json')],
        ['another version', () => fs.writeFileSync(file, JSON.stringify({ ...good, version: 99 }))],
        ['too large', () => fs.writeFileSync(file, ' '.repeat(MAX_STATE_CACHE_BYTES + 1))],
        ['a symbolic link', () => (fs.rmSync(file), fs.symlinkSync(outside, file))],
      ];
      for (const [what, spoil] of bad) {
        spoil();
        const next = await open(repo.main);
        const items = await next.engine.list();
        assert.ok(
          items.every((i) => next.engine.lastKnown(i) === undefined),
          `${what}: nothing painted from it`,
        );
        await readAll(next.engine);
        await next.engine.flushState();
        assert.ok(!fs.lstatSync(file).isSymbolicLink(), `${what}: replaced by a file`);
        assert.deepStrictEqual(
          Object.keys(readCache(next.engine.repo.commonDir).worktrees).sort(),
          [repo.main, planPath].sort(),
          `${what}: rewritten`,
        );
      }
      assert.deepStrictEqual(JSON.parse(fs.readFileSync(outside, 'utf8')), good, 'the link target was not written');

      // One entry with a wrong type is dropped; the others are painted.
      fs.writeFileSync(file, JSON.stringify(wrongTypes));
      const next = await open(repo.main);
      const items = await next.engine.list();
      assert.strictEqual(next.engine.lastKnown(planRow(items, 'p')), undefined);
      assert.ok(next.engine.lastKnown(items.find((i) => i.kind === 'main') as PlanWorktree));
    }));

  it('writes nothing in the state folder without persistState', () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main, false);
      await engine.create({ id: 'p', title: 'P' });
      await readAll(engine);
      await engine.flushState();
      assert.strictEqual(fs.existsSync(stateCacheFile(engine.repo.commonDir)), false);
    }));

  it('never lets a stale state make a clean-up think a dirty worktree is clean: a file written with no event, a cache file edited to say clean', () =>
    withRepo(async (repo) => {
      const first = await open(repo.main);
      const plan = await first.engine.create({ id: 'p', title: 'P' });
      const work = path.join(plan.path, 'work.txt');
      // Merged (nothing of its own), and clean when read: a plain clean-up would remove it.
      await readAll(first.engine);
      await first.engine.flushState();

      // Written with no file-system event (no invalidate): the display state still says clean...
      fs.writeFileSync(work, 'unsaved work\n');
      const items = await first.engine.list();
      const shown = await first.engine.details(planRow(items, 'p'));
      assert.strictEqual(shown.dirty.untracked, 0, 'the display state is stale, as it may be between events');
      // ...and the cache file says clean too (edited by hand, to be sure).
      const cache = readCache(first.engine.repo.commonDir);
      for (const entry of Object.values(cache.worktrees)) {
        Object.assign((entry as { details: { dirty: object } }).details.dirty, {
          staged: 0,
          modified: 0,
          untracked: 0,
          conflicted: 0,
        });
      }
      fs.writeFileSync(stateCacheFile(first.engine.repo.commonDir), JSON.stringify(cache));
      const next = await open(repo.main);
      const painted = next.engine.lastKnown(planRow(await next.engine.list(), 'p'));
      assert.strictEqual(painted?.dirty.untracked, 0, 'the painted state says clean');

      // The clean-up asks git itself, in either engine: refused, the file is still there.
      for (const engine of [first.engine, next.engine]) {
        await assert.rejects(engine.cleanup('p'), isCode(ErrorCode.WorktreeDirty));
        assert.strictEqual(fs.readFileSync(work, 'utf8'), 'unsaved work\n');
      }
      // A question about to be asked reads again.
      const fresh = await first.engine.details(planRow(items, 'p'), { fresh: true });
      assert.strictEqual(fresh.dirty.untracked, 1);

      // A forced one keeps it in a snapshot first.
      const result = await next.engine.cleanup('p', { force: true });
      assert.ok(result.snapshot, 'a snapshot was written');
      assert.strictEqual(git(repo.main, 'show', `${result.snapshot.commit}:work.txt`), 'unsaved work');
    }));

  it('is read by no code that deletes or moves anything: the lifecycle, recovery and environment code never import it', () => {
    const root = path.resolve(__dirname, '..', '..', '..', '..', '..');
    const readers: string[] = [];
    for (const folder of ['lifecycle', 'recovery', 'environment', 'planFiles', 'store']) {
      const dir = path.join(root, 'src', 'model', folder);
      for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.ts') && n !== 'stateCache.ts')) {
        const text = fs.readFileSync(path.join(dir, name), 'utf8');
        if (/from '[./]*(?:state\/state|store\/stateCache|\.\/stateCache)'/.test(text)) {
          readers.push(`${folder}/${name}`);
        }
      }
    }
    assert.ok(readers.length === 0, `display state read by ${readers.join(', ')}`);
    assert.ok(fs.existsSync(path.join(root, 'src', 'model', 'lifecycle', 'cleanup.ts')), 'the sources were found');
  });
});

describe('The worktree list for display', () => {
  it("is git's last list while nothing git reads for it changed, and a new one after any change git makes by hand", () =>
    withRepo(async (repo) => {
      const { engine, git: runner } = await open(repo.main, false);
      const plan = await engine.create({ id: 'p', title: 'P' });
      await engine.create({ id: 'q', title: 'Q' });
      const processes = async () => {
        const before = runner.processCount;
        const items = await engine.list();
        return { count: runner.processCount - before, items };
      };
      assert.strictEqual((await processes()).count, 1);
      assert.strictEqual((await processes()).count, 0, 'nothing changed: no git process');

      const changes: Array<[string, () => void, (items: PlanWorktree[]) => boolean]> = [
        [
          'a commit in a plan',
          () => commitFiles(plan.path, { 'c.txt': 'c\n' }, 'commit'),
          (items) => planRow(items, 'p').worktree?.head === git(plan.path, 'rev-parse', 'HEAD'),
        ],
        [
          'a worktree added',
          () => git(repo.main, 'worktree', 'add', '-q', '-b', 'other', path.join(repo.root, 'other')),
          (items) => items.some((i) => i.kind === 'other'),
        ],
        [
          'a lock',
          () => git(repo.main, 'worktree', 'lock', '--reason', 'agent', plan.path),
          (items) => planRow(items, 'p').worktree?.locked === 'agent',
        ],
        [
          'a branch switched in the main checkout',
          () => git(repo.main, 'checkout', '-q', '-b', 'elsewhere'),
          (items) => items.find((i) => i.kind === 'main')?.worktree?.branch === 'refs/heads/elsewhere',
        ],
        [
          'refs packed',
          () => {
            git(repo.main, 'pack-refs', '--all');
            commitFiles(repo.main, { 'm.txt': 'm\n' }, 'main moves');
          },
          (items) => items.find((i) => i.kind === 'main')?.worktree?.head === git(repo.main, 'rev-parse', 'HEAD'),
        ],
        [
          'a folder deleted by hand',
          () => fs.rmSync(path.join(repo.root, 'other'), { recursive: true, force: true }),
          (items) => items.find((i) => i.kind === 'other')?.worktree?.prunable !== undefined,
        ],
      ];
      for (const [what, change, seen] of changes) {
        change();
        const { count, items } = await processes();
        assert.strictEqual(count, 1, `${what}: listed again`);
        assert.ok(seen(items), `${what}: the new list says so`);
        assert.strictEqual((await processes()).count, 0, `${what}: then nothing again`);
      }
      // An event in the common git directory lists again whatever the stamp says.
      engine.invalidate();
      assert.strictEqual((await processes()).count, 1);
    }));

  it('is not kept when git changed what it reads while the list was read (a commit made at that moment), nor when an admin file was emptied', () =>
    withRepo(async (repo) => {
      // A commit lands in the plan right after git wrote its list, before the engine stamps the files.
      let commitNow: (() => void) | undefined;
      const runner = new Git({
        log: {
          ...silentLogger,
          trace: (message) => {
            if (!/^> git worktree list/.test(message) || !commitNow) return;
            commitNow();
            commitNow = undefined;
          },
        },
      });
      const engine = await PlanEngine.open(repo.main, { git: runner });
      const plan = await engine.create({ id: 'p', title: 'P' });
      await engine.list();
      git(plan.path, 'commit', '-q', '--allow-empty', '-m', 'before');
      commitNow = () => commitFiles(plan.path, { 'during.txt': 'during\n' }, 'during the list');
      const during = await engine.list();
      assert.strictEqual(commitNow, undefined, 'the commit was made while the list was read');
      assert.notStrictEqual(planRow(during, 'p').worktree?.head, git(plan.path, 'rev-parse', 'HEAD'));
      const next = await engine.list();
      assert.strictEqual(
        planRow(next, 'p').worktree?.head,
        git(plan.path, 'rev-parse', 'HEAD'),
        'the list read during the commit was not kept',
      );
      // The admin folder's commondir emptied (another process adding a worktree, or a crash): git is asked again.
      const before = runner.processCount;
      fs.writeFileSync(path.join(repo.main, '.git', 'worktrees', path.basename(plan.path), 'commondir'), '');
      await engine.list();
      assert.ok(runner.processCount > before, 'listed again');
      assert.strictEqual(engine.listProblem?.code, ErrorCode.WorktreeAdminBroken);
    }));

  it('with watched (every change in .git announced by invalidate()), is reused until invalidate() without looking at its files', () =>
    withRepo(async (repo) => {
      const runner = new Git();
      const engine = await PlanEngine.open(repo.main, { git: runner, watched: true });
      const processes = async () => {
        const before = runner.processCount;
        const items = await engine.list();
        return { count: runner.processCount - before, items };
      };
      assert.strictEqual((await processes()).count, 0, 'the list the opening read');
      git(repo.main, 'worktree', 'add', '-q', '-b', 'other', path.join(repo.root, 'other'));
      const unannounced = await processes();
      assert.deepStrictEqual([unannounced.count, unannounced.items.length], [0, 1], 'no event yet: the last list');
      engine.invalidate(path.join(repo.root, 'other'));
      assert.strictEqual((await processes()).count, 0, 'an event in a worktree is no event in .git');
      engine.invalidate();
      const announced = await processes();
      assert.deepStrictEqual([announced.count, announced.items.length], [1, 2]);
    }));
});
