import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Git } from '../../../../src/git/runner';
import { OutsideWrites } from '../../../../src/model/engine/outsideWrites';
import { PlanEngine } from '../../../../src/model/engine/planEngine';
import { commitFiles, git, withRepo, writeFiles } from '../../helpers/repo';

async function setUp(main: string, saved: string[] = []) {
  const runner = new Git();
  const engine = await PlanEngine.open(main, { git: runner });
  let changes = 0;
  const errors: unknown[] = [];
  const writes = new OutsideWrites(engine, runner, {
    delayMs: 20,
    savedByEditor: (f) => saved.includes(f),
    onChange: () => changes++,
    onError: (e) => errors.push(e),
  });
  return { engine, runner, writes, changes: () => changes, errors };
}

describe('OutsideWrites: files of the main checkout written from outside the editor', () => {
  it('counts changed files while plans exist, not ignored files, .git, nested worktrees or editor saves; one list and status per batch', () =>
    withRepo(async ({ main }) => {
      commitFiles(main, { '.gitignore': '*.log\n' });
      const saved = path.join(main, 'saved.txt');
      const { engine, runner, writes, changes, errors } = await setUp(main, [saved]);
      await engine.create({ id: 'p1', title: 'Exists' });
      const nested = path.join(main, 'nested');
      git(main, 'worktree', 'add', '-q', '-b', 'nested', nested);
      engine.invalidate();
      await engine.list();
      writeFiles(main, {
        'a.txt': 'a',
        'dir/b.txt': 'b',
        'debug.log': 'ignored',
        'saved.txt': 'from an editor',
        'nested/inside.txt': 'a nested worktree',
        'README.md': 'changed',
      });
      const before = runner.processCount;
      for (const f of ['a.txt', 'dir', 'debug.log', 'saved.txt', 'nested/inside.txt', 'README.md']) {
        writes.note(path.join(main, f));
      }
      writes.note(path.join(main, '.git', 'index'));
      // 'dir' alone stands for dir/b.txt: an event may name only the folder made and filled at once.
      await writes.settled();
      assert.deepStrictEqual(errors, []);
      assert.deepStrictEqual(
        writes.files(),
        ['README.md', 'a.txt', 'dir/b.txt'].map((f) => path.join(main, f)),
      );
      assert.strictEqual(changes(), 1);
      assert.ok(runner.processCount - before <= 2, 'for the whole batch, at most a worktree list and a status');

      // A file changed back drops out when the next event comes; dismiss forgets the rest until the next write.
      git(main, 'checkout', '--', 'README.md');
      writes.note(path.join(main, 'README.md'));
      await writes.settled();
      assert.deepStrictEqual(
        writes.files(),
        ['a.txt', 'dir/b.txt'].map((f) => path.join(main, f)),
      );
      assert.strictEqual(writes.dismiss(), true);
      assert.deepStrictEqual(writes.files(), []);
      assert.strictEqual(writes.dismiss(), false);
      fs.appendFileSync(path.join(main, 'a.txt'), 'more');
      writes.note(path.join(main, 'a.txt'));
      await writes.settled();
      assert.deepStrictEqual(writes.files(), [path.join(main, 'a.txt')]);
    }));

  it('counts nothing while no plan exists', () =>
    withRepo(async ({ main }) => {
      const { writes, changes } = await setUp(main);
      writeFiles(main, { 'a.txt': 'a' });
      writes.note(path.join(main, 'a.txt'));
      await writes.settled();
      assert.deepStrictEqual(writes.files(), []);
      assert.strictEqual(changes(), 0);
    }));
});
