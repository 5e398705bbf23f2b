import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { status } from '../../../../src/git/commands/status';
import { ignoredPaths } from '../../../../src/git/commands/untracked';
import { Git } from '../../../../src/git/runner';
import { commitFiles, withRepo, writeFiles } from '../../helpers/repo';

describe('commands/untracked', () => {
  it('ignoredPaths lists exactly the ignored paths `git status --ignored=matching --untracked-files=all` lists, an ignored folder as `dir/`', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      commitFiles(
        main,
        { '.gitignore': '*.log\nnode_modules/\nbuild\n.env\ncache/\nvend*/\n', 'src/t.txt': 'x' },
        'ignores',
      );
      writeFiles(main, {
        'a.log': '1',
        '.env': '1',
        'node_modules/x/y.js': '1',
        'build/out.js': '1',
        // Untracked folders whose files are all ignored: git lists the folder too, before them.
        'logs/a.log': '1',
        'logs/b.log': '1',
        'only/inner/q.log': '1',
        'mixed/c.log': '1',
        'mixed/keep.txt': '1',
        'src/d.log': '1',
        'src/deep/er/z.log': '1',
        'vendorz/f': '1',
        'untracked/f.txt': '1',
      });
      for (const dir of ['cache', 'g/cache', 'e/f']) fs.mkdirSync(path.join(main, dir), { recursive: true });
      const expected = (await status(at, { untracked: 'all', ignored: 'matching' })).entries
        .filter((e) => e.kind === 'ignored')
        .map((e) => e.path)
        .sort();
      assert.deepStrictEqual(expected, [
        '.env',
        'a.log',
        'build/',
        'cache/',
        'g/cache/',
        'logs/a.log',
        'logs/b.log',
        'mixed/c.log',
        'node_modules/',
        'only/inner/q.log',
        'src/d.log',
        'src/deep/er/z.log',
        'vendorz/',
      ]);
      assert.deepStrictEqual((await ignoredPaths(at)).sort(), expected);
    }));
});
