import * as assert from 'assert';
import {
  changedPaths,
  cherry,
  commitGraph,
  commitParents,
  commitSummaries,
  mergeBase,
  octopusMergeBase,
  sameTrees,
  treeChanges,
} from '../../../../src/git/commands/log';
import { Git } from '../../../../src/git/runner';
import { commitFiles, git, withRepo } from '../../helpers/repo';

describe('commands/log', () => {
  it('commitSummaries: sha, tree, date and subject of each commit, in the order asked, one process', () =>
    withRepo(async ({ main }) => {
      const runner = new Git();
      const first = git(main, 'rev-parse', 'HEAD');
      const second = commitFiles(main, { 'a.txt': 'a' }, 'second: with a colon');
      const before = runner.processCount;
      const commits = await commitSummaries({ git: runner, cwd: main }, [second, first]);
      assert.strictEqual(runner.processCount - before, 1);
      assert.deepStrictEqual(
        commits.map((c) => [c.sha, c.tree, c.subject]),
        [
          [second, git(main, 'rev-parse', `${second}^{tree}`), 'second: with a colon'],
          [first, git(main, 'rev-parse', `${first}^{tree}`), 'initial'],
        ],
      );
      assert.ok(!Number.isNaN(Date.parse(commits[0].date)));
      assert.deepStrictEqual(await commitSummaries({ git: runner, cwd: main }, []), []);
    }));

  it('mergeBase and octopusMergeBase: the common commit, undefined for unrelated histories', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const fork = git(main, 'rev-parse', 'HEAD');
      git(main, 'switch', '-q', '-c', 'a');
      const a = commitFiles(main, { 'a.txt': 'a' });
      git(main, 'switch', '-q', '-c', 'b', fork);
      const b = commitFiles(main, { 'b.txt': 'b' });
      assert.strictEqual(await mergeBase(at, a, b), fork);
      assert.strictEqual(await octopusMergeBase(at, [a, b, fork]), fork);
      git(main, 'switch', '-q', '--orphan', 'other');
      const lone = commitFiles(main, { 'c.txt': 'c' });
      assert.strictEqual(await mergeBase(at, a, lone), undefined);
      assert.strictEqual(await octopusMergeBase(at, [a, lone]), undefined);
    }));

  it('commitGraph and commitParents: each commit with its parents, first parent first', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const fork = git(main, 'rev-parse', 'HEAD');
      git(main, 'switch', '-q', '-c', 'side');
      const side = commitFiles(main, { 'side.txt': 's' });
      git(main, 'switch', '-q', 'main');
      const ours = commitFiles(main, { 'main.txt': 'm' });
      git(main, '-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'merge', '-q', '--no-edit', 'side');
      const merge = git(main, 'rev-parse', 'HEAD');
      const graph = await commitGraph(at, [merge], [fork]);
      assert.deepStrictEqual(
        new Map([...graph].sort()),
        new Map(
          [
            [merge, [ours, side]],
            [ours, [fork]],
            [side, [fork]],
          ].sort() as Array<[string, string[]]>,
        ),
      );
      assert.deepStrictEqual(await commitParents(at, 'HEAD'), { commit: merge, parents: [ours, side] });
    }));

  it('cherry: which commits the upstream has the same change of', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      git(main, 'switch', '-q', '-c', 'plan');
      const picked = commitFiles(main, { 'a.txt': 'a' }, 'picked');
      const own = commitFiles(main, { 'b.txt': 'b' }, 'own');
      git(main, 'switch', '-q', 'main');
      commitFiles(main, { 'other.txt': 'o' }, 'main moves on');
      git(main, '-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'cherry-pick', picked);
      assert.deepStrictEqual(await cherry(at, 'main', 'plan'), [
        { oid: picked, equivalent: true },
        { oid: own, equivalent: false },
      ]);
    }));

  it('treeChanges, changedPaths and sameTrees: what differs between two commits', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      const before = git(main, 'rev-parse', 'HEAD');
      git(main, 'rm', '-q', 'README.md');
      const after = commitFiles(main, { 'src/app.txt': 'new\n', 'a b.txt': 'x' });
      const changes = await treeChanges(at, before, after);
      assert.deepStrictEqual(changes, [
        { path: 'README.md', status: 'D' },
        { path: 'a b.txt', status: 'A', mode: '100644', blob: git(main, 'rev-parse', `${after}:a b.txt`) },
        { path: 'src/app.txt', status: 'M', mode: '100644', blob: git(main, 'rev-parse', `${after}:src/app.txt`) },
      ]);
      assert.deepStrictEqual(
        (await changedPaths(at, before, after)).map((c) => [c.status, c.path]),
        [
          ['D', 'README.md'],
          ['A', 'a b.txt'],
          ['M', 'src/app.txt'],
        ],
      );
      assert.strictEqual(await sameTrees(at, before, after), false);
      git(main, 'commit', '-q', '--allow-empty', '-m', 'empty');
      assert.strictEqual(await sameTrees(at, after, 'HEAD'), true);
    }));
});
