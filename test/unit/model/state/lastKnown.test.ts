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

/** What `run` returns, and the file-system calls (`fs`'s stat, exists, open and read) made while it ran. */
function countFileReads<T>(run: () => T): { result: T; calls: string[] } {
  // The module itself (what the code under test calls through), not this file's import of it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fsModule = require('fs') as Record<string, unknown>;
  const names = ['statSync', 'lstatSync', 'existsSync', 'openSync', 'readFileSync', 'fstatSync'];
  const saved = names.map((n) => fsModule[n]);
  const calls: string[] = [];
  names.forEach((name, i) => {
    const original = saved[i] as (...args: unknown[]) => unknown;
    fsModule[name] = function (this: unknown, ...args: unknown[]) {
      calls.push(`${name} ${String(args[0])}`);
      return original.apply(this, args);
    };
  });
  try {
    return { result: run(), calls };
  } finally {
    names.forEach((name, i) => (fsModule[name] = saved[i]));
  }
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

describe('A new session painted from memory, before any git process', () => {
  /** A first session that read every state and kept it (as the extension does), and the plans it made. */
  async function keptSession(folder: string, ids: string[]): Promise<{ engine: PlanEngine; plans: string[] }> {
    const first = await open(folder);
    const plans: string[] = [];
    for (const id of ids) plans.push((await first.engine.create({ id, title: id.toUpperCase() })).path);
    await readAll(first.engine);
    await first.engine.flushState();
    return { engine: first.engine, plans };
  }

  it("opens the repository from git's files and the cache file with no git process: the last session's list and every state, marked as last known", () =>
    withRepo(async (repo) => {
      const { engine: first, plans } = await keptSession(repo.main, ['a', 'b']);
      writeFiles(plans[0], { 'wip.txt': 'not committed\n' });
      first.forget();
      const read = await readAll(first);
      const aRead = await first.details(planRow(read, 'a'));
      await first.flushState();

      for (const folder of [repo.main, path.join(plans[1], 'sub')]) {
        fs.mkdirSync(path.join(plans[1], 'sub'), { recursive: true });
        const runner = new Git();
        const engine = await PlanEngine.remembered(folder, { git: runner });
        assert.ok(engine, `opened from memory from ${folder}`);
        assert.strictEqual(engine.fromMemory, true);
        const items = await engine.list();
        assert.strictEqual(runner.processCount, 0, 'no git process');
        assert.deepStrictEqual(
          items.map((i) => [i.kind, i.plan?.id, i.worktree?.path, i.worktree?.head, i.worktree?.branch]),
          read.map((i) => [i.kind, i.plan?.id, i.worktree?.path, i.worktree?.head, i.worktree?.branch]),
          "the last session's list",
        );
        const painted = items.map((i) => engine.lastKnown(i));
        assert.ok(
          painted.every((d) => d?.lastKnown !== undefined),
          'every row has its last known state',
        );
        assert.deepStrictEqual(
          { ...engine.lastKnown(planRow(items, 'a')), lastKnown: undefined },
          {
            ...aRead,
            lastKnown: undefined,
          },
        );
        assert.strictEqual(engine.repo.commonDir, first.repo.commonDir);
        assert.strictEqual(engine.repo.mainPath, first.repo.mainPath);
        assert.strictEqual(engine.repo.currentPath, folder === repo.main ? first.repo.mainPath : plans[1]);
        assert.strictEqual(runner.processCount, 0, 'still no git process');
      }
    }));

  it("paints every row without reading a worktree's files a second time; once git confirmed the engine, its keys are read again", () =>
    withRepo(async (repo) => {
      const { plans } = await keptSession(repo.main, ['a', 'b', 'c']);
      const engine = await PlanEngine.remembered(repo.main, { git: new Git() });
      assert.ok(engine, 'opened from memory');
      const items = await engine.list();
      const read = countFileReads(() => items.map((i) => engine.lastKnown(i)));
      assert.ok(
        read.result.every((d) => d?.lastKnown !== undefined),
        'every row has its last known state',
      );
      assert.deepStrictEqual(read.calls, [], 'no file looked at for the paint: the open had read them');

      // A plan whose index changed once the engine is git's: its state is not painted any more.
      writeFiles(plans[0], { 'staged.txt': 'staged\n' });
      git(plans[0], 'add', 'staged.txt');
      assert.strictEqual(engine.adopt(await PlanEngine.open(repo.main, { git: new Git() })), true);
      const now = await engine.list();
      assert.deepStrictEqual(
        ['a', 'b', 'c'].map((id) => engine.lastKnown(planRow(now, id)) !== undefined),
        [false, true, true],
      );
    }));

  it('gives its first list without yielding to the event loop, the registry included: a busy start-up does not hold the first paint back', () =>
    withRepo(async (repo) => {
      await keptSession(repo.main, ['a', 'b']);
      const engine = await PlanEngine.remembered(repo.main, { git: new Git() });
      assert.ok(engine, 'opened from memory');
      let turned = false;
      setImmediate(() => (turned = true));
      const items = await engine.list();
      assert.strictEqual(turned, false, 'the list came before the event loop turned');
      assert.deepStrictEqual(items.map((i) => i.plan?.title).filter(Boolean), ['A', 'B'], "the registry's plans");
    }));

  it('paints no state of a worktree whose HEAD moved without its index changing (a ref set by a script); packed refs are read too', () =>
    withRepo(async (repo) => {
      const { plans } = await keptSession(repo.main, ['moved', 'same']);
      git(repo.main, 'pack-refs', '--all');
      const packed = await PlanEngine.remembered(repo.main, { git: new Git() });
      assert.ok(packed);
      const packedItems = await packed.list();
      assert.ok(
        packedItems.every((i) => packed.lastKnown(i) !== undefined),
        'every HEAD told from packed-refs',
      );

      const other = git(repo.main, 'commit-tree', '-m', 'elsewhere', 'HEAD^{tree}');
      git(repo.main, 'update-ref', 'refs/heads/plan/moved-moved', other);
      const engine = await PlanEngine.remembered(plans[1], { git: new Git() });
      assert.ok(engine);
      const items = await engine.list();
      assert.strictEqual(planRow(items, 'moved').worktree?.head, other, "the HEAD git's files have now");
      assert.deepStrictEqual(
        ['moved', 'same'].map((id) => engine.lastKnown(planRow(items, id)) !== undefined),
        [false, true],
      );
    }));

  it('opens nothing from a cache file with no layout or a bad one, or from a folder outside the layout', () =>
    withRepo(async (repo) => {
      const { engine: first } = await keptSession(repo.main, ['p']);
      const file = stateCacheFile(first.repo.commonDir);
      const kept = JSON.parse(fs.readFileSync(file, 'utf8'));
      const bad = [
        { ...kept, layout: undefined },
        { ...kept, layout: { ...kept.layout, mainPath: 'relative' } },
        { ...kept, layout: { ...kept.layout, worktrees: [{ ...kept.layout.worktrees[0], head: 'HEAD' }] } },
        { ...kept, layout: { ...kept.layout, worktrees: kept.layout.worktrees.slice(1) } },
        { ...kept, layout: { ...kept.layout, worktrees: 'all' } },
      ];
      for (const cache of bad) {
        fs.writeFileSync(file, JSON.stringify(cache));
        assert.strictEqual(
          await PlanEngine.remembered(repo.main, { git: new Git() }),
          undefined,
          JSON.stringify(cache.layout),
        );
      }
      // A link to a good copy is not read, nor a file larger than a cache.
      const copy = path.join(repo.root, 'copy.json');
      fs.writeFileSync(copy, JSON.stringify(kept));
      fs.rmSync(file);
      fs.symlinkSync(copy, file);
      assert.strictEqual(await PlanEngine.remembered(repo.main, { git: new Git() }), undefined, 'a link');
      fs.rmSync(file);
      fs.writeFileSync(file, JSON.stringify(kept) + ' '.repeat(MAX_STATE_CACHE_BYTES));
      assert.strictEqual(await PlanEngine.remembered(repo.main, { git: new Git() }), undefined, 'too large');
      fs.writeFileSync(file, JSON.stringify(kept));
      assert.ok(await PlanEngine.remembered(repo.main, { git: new Git() }), 'the good file opens');
      const elsewhere = path.join(repo.root, 'elsewhere');
      git(repo.main, 'worktree', 'add', '-q', '-b', 'elsewhere', elsewhere);
      assert.strictEqual(await PlanEngine.remembered(elsewhere, { git: new Git() }), undefined, 'not in the kept list');
      assert.strictEqual(await PlanEngine.remembered(repo.root, { git: new Git() }), undefined, 'not in a repository');
    }));

  it("is taken over by git's discovery of the same repository only, and writes nothing before", () =>
    withRepo(async (repo) => {
      const { plans } = await keptSession(repo.main, ['p']);
      // A plan moved by hand: git's list says where; the engine from memory does not record it.
      const moved = path.join(repo.root, 'moved-p');
      git(repo.main, 'worktree', 'move', plans[0], moved);
      // As a last session that listed it there would have kept it (without recording the move: a registry from before).
      const file = stateCacheFile(path.join(repo.main, '.git'));
      const kept = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const w of kept.layout.worktrees) if (w.path === plans[0]) w.path = moved;
      fs.writeFileSync(file, JSON.stringify(kept));
      const registry = path.join(repo.main, '.git', 'plan-worktrees', 'plans.json');
      const before = fs.readFileSync(registry, 'utf8');
      const engine = await PlanEngine.remembered(repo.main, { git: new Git() });
      assert.ok(engine);
      assert.strictEqual(planRow(await engine.list(), 'p').worktree?.path, moved, 'listed where the kept list says');
      assert.strictEqual(fs.readFileSync(registry, 'utf8'), before, 'the registry is not written from memory');

      const other = await withRepo(async (second) => {
        const opened = await PlanEngine.open(second.main, { git: new Git() });
        return engine.adopt(opened);
      });
      assert.strictEqual(other, false, 'another repository is not taken over');
      assert.strictEqual(engine.fromMemory, true);
      const opened = await PlanEngine.open(repo.main, {
        git: new Git(),
        watched: true,
        settings: { branchTemplate: 'work/{id}' },
      });
      assert.strictEqual(engine.adopt(opened), true);
      assert.strictEqual(engine.fromMemory, false);
      assert.strictEqual(engine.settings.branchTemplate, 'work/{id}', 'the settings of the engine git opened');
      const items = await engine.list();
      assert.strictEqual(planRow(items, 'p').worktree?.path, moved, "git's list now");
      assert.strictEqual(planRow(items, 'p').plan?.path, moved, 'the move is recorded once git confirmed it');
      assert.strictEqual(engine.adopt(opened), false, 'taken over once');
    }));
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
