import * as assert from 'assert';
import { mergeTreeArgs, parseMergeTree } from '../../../src/git/commands/mergeTree';
import { ExecResult, Git } from '../../../src/git/runner';
import { commitFiles, git, withRepo } from '../helpers/repo';

// Captured from git 2.39.5: `git merge-tree --write-tree -z --name-only --no-messages main plan` where
// main and plan both changed c.txt (content), main deleted md.txt that plan modified (modify/delete)
// and both added "add both.txt" (add/add). Exit code 1.
const conflicted = 'e33e383bae1948791ac84004adb1518a2ca9ea5f\0add both.txt\0c.txt\0md.txt\0';
// The same merge without --no-messages: messages follow an empty field.
const withMessages =
  'e33e383bae1948791ac84004adb1518a2ca9ea5f\0add both.txt\0c.txt\0md.txt\0\0' +
  '1\0add both.txt\0Auto-merging\0Auto-merging add both.txt\n\0' +
  '1\0c.txt\0CONFLICT (contents)\0CONFLICT (content): Merge conflict in c.txt\n\0';
// A clean merge: the tree only. Exit code 0.
const clean = '5c820738787155fd102e79529b91c6be2ec52140\0';

describe('parseMergeTree', () => {
  it('reads a clean merge as its tree and no conflicts', () => {
    assert.deepStrictEqual(parseMergeTree(clean, 0), {
      clean: true,
      tree: '5c820738787155fd102e79529b91c6be2ec52140',
      conflicts: [],
    });
  });

  it('lists content, modify/delete and add/add conflicts', () => {
    assert.deepStrictEqual(parseMergeTree(conflicted, 1), {
      clean: false,
      tree: 'e33e383bae1948791ac84004adb1518a2ca9ea5f',
      conflicts: ['add both.txt', 'c.txt', 'md.txt'],
    });
  });

  it('stops at the messages, and lists each path once, sorted', () => {
    assert.deepStrictEqual(parseMergeTree(withMessages, 1).conflicts, ['add both.txt', 'c.txt', 'md.txt']);
    assert.deepStrictEqual(parseMergeTree('t\0b.txt\0a.txt\0b.txt\0', 1).conflicts, ['a.txt', 'b.txt']);
  });

  it('agrees with the real git on the three kinds of conflict, with a path with a space', () =>
    withRepo(async ({ main }) => {
      commitFiles(main, { 'c.txt': '1\n', 'md.txt': 'keep\n' });
      git(main, 'checkout', '-q', '-b', 'plan');
      commitFiles(main, { 'c.txt': 'plan\n', 'md.txt': 'changed\n', 'add both.txt': 'plan\n', 'only plan.txt': 'p\n' });
      git(main, 'checkout', '-q', 'main');
      git(main, 'rm', '-q', 'md.txt');
      commitFiles(main, { 'c.txt': 'main\n', 'add both.txt': 'main\n' });
      const run = (a: string, b: string): Promise<ExecResult> =>
        new Git().exec(mergeTreeArgs(a, b), { cwd: main, okExitCodes: [1] });
      const conflict = await run('main', 'plan');
      assert.strictEqual(conflict.exitCode, 1);
      assert.deepStrictEqual(parseMergeTree(conflict.stdout, conflict.exitCode), {
        clean: false,
        tree: parseMergeTree(conflict.stdout, 1).tree,
        conflicts: ['add both.txt', 'c.txt', 'md.txt'],
      });
      const ok = await run('main', 'main~1');
      const result = parseMergeTree(ok.stdout, ok.exitCode);
      assert.strictEqual(result.clean, true);
      assert.strictEqual(result.tree, git(main, 'rev-parse', 'main^{tree}'));
    }));
});
