import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Git } from '../../../../src/git/runner';
import { clearIndexFlag, taggedIndexEntries, untrackedFiles } from '../../../../src/git/commands/gitIndex';
import { git, withRepo } from '../../helpers/repo';

describe('commands/gitIndex', () => {
  it('lists index flags and clears them, and lists untracked files with or without ignored ones', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      git(main, 'update-index', '--assume-unchanged', 'README.md');
      git(main, 'update-index', '--skip-worktree', 'src/app.txt');
      assert.deepStrictEqual(await taggedIndexEntries(at), [
        { tag: 'h', path: 'README.md' },
        { tag: 'S', path: 'src/app.txt' },
      ]);
      await clearIndexFlag(at, 'assumeUnchanged', ['README.md']);
      await clearIndexFlag(at, 'skipWorktree', ['src/app.txt']);
      assert.deepStrictEqual(
        (await taggedIndexEntries(at, ['README.md', 'src/app.txt'])).map((e) => e.tag),
        ['H', 'H'],
      );
      fs.writeFileSync(path.join(main, '.gitignore'), 'build/\n');
      fs.mkdirSync(path.join(main, 'build'));
      fs.writeFileSync(path.join(main, 'build', 'out.js'), 'x');
      fs.writeFileSync(path.join(main, 'new.txt'), 'x');
      assert.deepStrictEqual((await untrackedFiles(at)).sort(), ['.gitignore', 'build/out.js', 'new.txt']);
      assert.deepStrictEqual((await untrackedFiles(at, { excludeStandard: true })).sort(), ['.gitignore', 'new.txt']);
    }));
});
