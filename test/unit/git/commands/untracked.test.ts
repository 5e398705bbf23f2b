import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ignoredAmong } from '../../../../src/git/commands/untracked';
import { Git } from '../../../../src/git/runner';
import { commitFiles, withRepo } from '../../helpers/repo';

describe('commands: which files git ignores', () => {
  it('ignoredAmong: the ignored ones of many paths in one process; tracked files, odd names and deleted paths are not', () =>
    withRepo(async ({ main }) => {
      commitFiles(main, { 'tracked.log': 'committed before the pattern' });
      commitFiles(main, { '.gitignore': '*.log\nbuild/\n!keep.log\n' });
      fs.mkdirSync(path.join(main, 'build'));
      const names = ['a.log', 'build/out.js', 'keep.log', 'src.ts', 'tracked.log', 'line\nbreak.log', 'gone.log'];
      for (const n of names.slice(0, -1)) fs.writeFileSync(path.join(main, n), 'x');
      const runner = new Git();
      const before = runner.processCount;
      const ignored = await ignoredAmong({ git: runner, cwd: main }, names);
      assert.strictEqual(runner.processCount - before, 1);
      assert.deepStrictEqual([...ignored].sort(), ['a.log', 'build/out.js', 'gone.log', 'line\nbreak.log']);
      assert.deepStrictEqual([...(await ignoredAmong({ git: runner, cwd: main }, []))], []);
      assert.strictEqual(runner.processCount - before, 1, 'no paths: no process');
    }));
});
