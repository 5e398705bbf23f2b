import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Git } from '../../../../src/git/runner';
import { dropStash, listStashes, pushStash } from '../../../../src/git/commands/stash';
import { rebase } from '../../../../src/git/commands/rebase';
import { conflictedFiles } from '../../../../src/git/commands/diff';
import { commitFiles, git, withRepo } from '../../helpers/repo';

describe('commands/stash and rebase', () => {
  it('drop says which commit it dropped', () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      fs.writeFileSync(path.join(main, 'new.txt'), 'x');
      await pushStash(at, 'mine');
      const [entry] = await listStashes(at);
      assert.match(entry.subject, /mine$/);
      assert.strictEqual((await dropStash(at, entry.name)).dropped, entry.oid);
      assert.deepStrictEqual(await listStashes(at), []);
    }));

  it("a rebase that stops on a conflict is an answer, with git's reason", () =>
    withRepo(async ({ main }) => {
      const at = { git: new Git(), cwd: main };
      git(main, 'checkout', '-q', '-b', 'plan');
      commitFiles(main, { 'src/app.txt': 'plan\n' });
      git(main, 'checkout', '-q', 'main');
      commitFiles(main, { 'src/app.txt': 'main\n' });
      git(main, 'checkout', '-q', 'plan');
      const outcome = await rebase(at, 'refs/heads/main');
      assert.strictEqual(outcome.done, false);
      assert.ok(!outcome.done && outcome.reason.length > 0);
      assert.deepStrictEqual(await conflictedFiles(at), ['src/app.txt']);
    }));
});
