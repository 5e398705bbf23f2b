import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { isClean, status } from '../../../../src/git/commands/status';
import { Git } from '../../../../src/git/runner';
import { git, withRepo, writeFiles } from '../../helpers/repo';

describe('commands/status', () => {
  it('lists changes and untracked files one by one; ignored ones only when asked', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      writeFiles(main, { '.gitignore': '*.log\n', 'README.md': 'changed\n', 'new/a b.txt': 'x', 'debug.log': 'y' });
      const plain = await status(at);
      assert.deepStrictEqual(
        plain.entries.map((e) => [e.kind, e.path]),
        [
          ['changed', 'README.md'],
          ['untracked', '.gitignore'],
          ['untracked', 'new/a b.txt'],
        ],
      );
      assert.strictEqual(plain.branch.head, undefined, 'no branch header unless asked');
      const withIgnored = await status(at, { ignored: 'matching', branch: true });
      assert.ok(withIgnored.entries.some((e) => e.kind === 'ignored' && e.path === 'debug.log'));
      assert.strictEqual(withIgnored.branch.head, 'main');
      const noUntracked = await status(at, { untracked: 'no' });
      assert.deepStrictEqual(
        noUntracked.entries.map((e) => e.path),
        ['README.md'],
      );
    }));

  it('finds a rename unless renames are off', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      git(main, 'mv', 'README.md', 'READ.md');
      assert.deepStrictEqual(
        (await status(at)).entries.map((e) => [e.kind, e.path, e.origPath]),
        [['renamed', 'READ.md', 'README.md']],
      );
      assert.deepStrictEqual((await status(at, { renames: false })).entries.map((e) => [e.x, e.path]).sort(), [
        ['A', 'READ.md'],
        ['D', 'README.md'],
      ]);
    }));

  it('reads another index when `env` names one, and leaves the index as it is with optionalLocks false', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      // A stale index (a file's stamps changed, not its content): a plain status writes the index anew.
      const index = path.join(main, '.git', 'index');
      const later = new Date(Date.now() + 5000);
      fs.utimesSync(path.join(main, 'README.md'), later, later);
      const before = fs.readFileSync(index);
      assert.deepStrictEqual((await status(at, { optionalLocks: false })).entries, []);
      assert.ok(fs.readFileSync(index).equals(before), 'the index was not written');
      assert.deepStrictEqual((await status(at)).entries, []);
      assert.ok(
        !fs.readFileSync(index).equals(before),
        'a plain status refreshes the index (the check above can fail)',
      );
      const empty = path.join(main, '..', 'empty-index');
      git(main, 'read-tree', '--empty', `--index-output=${empty}`);
      const fromEmpty = await status({ ...at, env: { GIT_INDEX_FILE: empty } }, { untracked: 'no' });
      assert.deepStrictEqual(fromEmpty.entries.map((e) => [e.x, e.path]).sort(), [
        ['D', 'README.md'],
        ['D', 'src/app.txt'],
      ]);
    }));

  it('looks into submodules or not as asked', () =>
    withRepo(async ({ main, root }) => {
      const at = { git: new Git(), cwd: main };
      const sub = path.join(root, 'sub');
      fs.mkdirSync(sub);
      git(sub, 'init', '-q', '-b', 'main');
      writeFiles(sub, { 'f.txt': 'one' });
      git(sub, 'add', '-A');
      git(sub, '-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'sub');
      git(main, '-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub, 'lib');
      git(main, 'commit', '-q', '-m', 'submodule');
      writeFiles(path.join(main, 'lib'), { 'f.txt': 'changed' });
      assert.deepStrictEqual(
        (await status(at, { ignoreSubmodules: 'none' })).entries.map((e) => e.path),
        ['lib'],
      );
      assert.deepStrictEqual((await status(at, { ignoreSubmodules: 'all' })).entries, []);
    }));

  it('isClean: true only when status lists nothing (an ignored file does not count)', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      writeFiles(main, { '.gitignore': '*.log\n' });
      git(main, 'add', '.gitignore');
      git(main, 'commit', '-q', '-m', 'ignore');
      writeFiles(main, { 'x.log': 'ignored' });
      assert.strictEqual(await isClean(at), true);
      writeFiles(main, { 'x.txt': 'untracked' });
      assert.strictEqual(await isClean(at), false);
      assert.strictEqual(await isClean(at, { untracked: 'no' }), true);
    }));
});
