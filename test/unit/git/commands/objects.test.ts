import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Git } from '../../../../src/git/runner';
import {
  blobIdLike,
  commitTree,
  hashObject,
  lsTree,
  parseLsTree,
  readBlob,
  readTreeUpdate,
} from '../../../../src/git/commands/objects';
import { commitFiles, git, makeTempDir, removeDir, withRepo } from '../../helpers/repo';

describe('commands/objects', () => {
  it('commit-tree takes any message on stdin, even one that looks like an option, and writes no file', () =>
    withRepo(async ({ main }) => {
      const runner = new Git();
      const at = { git: runner, cwd: main };
      const tree = git(main, 'rev-parse', 'HEAD^{tree}');
      const head = git(main, 'rev-parse', 'HEAD');
      const message = '--upload-pack=touch /tmp/pwned\n\n-c core.sshCommand=evil';
      const tempsBefore = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('plan-worktrees-message-'));
      const commit = await commitTree(at, tree, [head], message);
      assert.strictEqual(git(main, 'cat-file', '-p', commit).split('\n\n').slice(1).join('\n\n'), `${message}`);
      assert.strictEqual(git(main, 'rev-parse', `${commit}^`), head);
      assert.strictEqual(runner.processCount, 1);
      const tempsAfter = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('plan-worktrees-message-'));
      assert.deepStrictEqual(tempsAfter, tempsBefore);
    }));

  // Why the merge itself looks for what is in the way (refuseFilesInTheWay) before `read-tree -m -u` moves a checkout:
  // git refuses to overwrite an untracked file there, but overwrites an ignored one without a word.
  it('read-tree -m -u refuses an untracked file in the way and overwrites an ignored one', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const from = commitFiles(main, { '.gitignore': '*.local\n' });
      git(main, 'checkout', '-q', '-b', 'side');
      const to = commitFiles(main, { 'untracked.txt': 'theirs\n' });
      fs.writeFileSync(path.join(main, 'ignored.local'), 'theirs\n');
      git(main, 'add', '-f', 'ignored.local');
      git(main, 'commit', '-q', '-m', 'an ignored file, tracked on this branch');
      const withIgnored = git(main, 'rev-parse', 'HEAD');
      git(main, 'checkout', '-q', 'main');
      fs.writeFileSync(path.join(main, 'untracked.txt'), 'mine\n');
      await assert.rejects(readTreeUpdate(at, from, to), /untracked\.txt/);
      assert.strictEqual(fs.readFileSync(path.join(main, 'untracked.txt'), 'utf8'), 'mine\n');
      fs.rmSync(path.join(main, 'untracked.txt'));
      fs.writeFileSync(path.join(main, 'ignored.local'), 'mine\n');
      assert.strictEqual(git(main, 'status', '--porcelain', '--ignored'), '!! ignored.local');
      await readTreeUpdate(at, from, withIgnored);
      assert.strictEqual(fs.readFileSync(path.join(main, 'ignored.local'), 'utf8'), 'theirs\n');
    }));

  it('commit-tree uses the fallback identity only when git has none', () =>
    withRepo(async ({ main }) => {
      git(main, 'config', 'user.useConfigOnly', 'true');
      git(main, 'config', '--unset', 'user.name');
      git(main, 'config', '--unset', 'user.email');
      const env = { ...process.env };
      for (const key of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'EMAIL']) {
        delete process.env[key];
      }
      const home = makeTempDir();
      process.env.HOME = home;
      process.env.GIT_CONFIG_NOSYSTEM = '1';
      try {
        const at = { git: new Git(), cwd: main };
        const tree = git(main, 'rev-parse', 'HEAD^{tree}');
        await assert.rejects(commitTree(at, tree, [], 'x'));
        const fallback = {
          GIT_AUTHOR_NAME: 'Fallback',
          GIT_AUTHOR_EMAIL: 'fallback@localhost',
          GIT_COMMITTER_NAME: 'Fallback',
          GIT_COMMITTER_EMAIL: 'fallback@localhost',
        };
        const commit = await commitTree(at, tree, [], 'x', { fallbackIdentity: fallback });
        assert.match(git(main, 'cat-file', '-p', commit), /^author Fallback <fallback@localhost>/m);
      } finally {
        // Put each variable back (assigning a new object to process.env would cut it off from the
        // real environment, which os.homedir() and child processes read).
        for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
        for (const [key, value] of Object.entries(env)) process.env[key] = value;
        removeDir(home);
      }
    }));

  it('computes blob ids as git does, for SHA-1 and SHA-256 repositories', async () => {
    const root = makeTempDir();
    try {
      for (const format of ['sha1', 'sha256']) {
        const repo = path.join(root, format);
        fs.mkdirSync(repo);
        git(repo, 'init', '-q', `--object-format=${format}`);
        const content = Buffer.from('hello\0world\n');
        fs.writeFileSync(path.join(repo, 'f'), content);
        const expected = git(repo, 'hash-object', 'f');
        assert.strictEqual(blobIdLike(expected, content), expected);
        assert.strictEqual(await hashObject({ git: new Git(), cwd: repo }, content), expected);
      }
    } finally {
      removeDir(root);
    }
  });

  it('lists a tree (or says there is none) and reads a blob as bytes', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const entries = await lsTree(at, 'HEAD', ['src/app.txt', 'missing']);
      assert.deepStrictEqual(
        entries?.map((e) => [e.mode, e.type, e.path]),
        [['100644', 'blob', 'src/app.txt']],
      );
      assert.strictEqual(await lsTree(at, 'HEAD^3', undefined, { missingOk: true }), undefined);
      const blob = await readBlob(at, entries?.[0].oid ?? '');
      assert.strictEqual(blob.toString(), 'one\ntwo\nthree\n');
    }));

  it('parses ls-tree output with tabs and spaces in paths', () => {
    const oid = 'a'.repeat(40);
    assert.deepStrictEqual(parseLsTree(`100644 blob ${oid}\ta b\tc\x00160000 commit ${oid}\tsub\0`), [
      { mode: '100644', type: 'blob', oid, path: 'a b\tc' },
      { mode: '160000', type: 'commit', oid, path: 'sub' },
    ]);
  });
});
