import * as assert from 'assert';
import * as os from 'os';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { allowedPlanFolder, isAllowedFolder, locationRoot, templateFolder } from '../../../../src/model/store/location';
import { defaultSettings, RepoContext } from '../../../../src/model/engine/types';
import { silentLogger } from '../../../../src/git/log';
import { Git } from '../../../../src/git/runner';

function context(worktreeLocation: string): RepoContext {
  return {
    git: new Git(),
    log: silentLogger,
    repo: { mainPath: '/work/repo', commonDir: '/work/repo/.git', currentPath: '/work/repo', bare: false },
    settings: { ...defaultSettings, worktreeLocation },
  };
}

const plan = { id: '7', slug: 'fix-it', run: 1 };

describe('worktree location', () => {
  it('the root is the template up to its first plan variable', () => {
    assert.strictEqual(locationRoot(context(defaultSettings.worktreeLocation)), '/work/repo.plans/');
    assert.strictEqual(locationRoot(context('${repoParent}/plan ${id}')), '/work');
    assert.strictEqual(locationRoot(context('${repoParent}/runs/${slug}/${run}')), '/work/runs/');
    assert.strictEqual(locationRoot(context('${repoParent}/runs-${runNumber}/${id}')), '/work');
    assert.strictEqual(locationRoot(context('wt/${id}')), '/work/repo/wt/');
    assert.strictEqual(locationRoot(context('/fixed/folder')), '/fixed');
    assert.strictEqual(templateFolder(context(defaultSettings.worktreeLocation), plan), '/work/repo.plans/7-fix-it');
    // A later run of a template that does not name the run: a folder of its own beside run 1's.
    assert.strictEqual(
      templateFolder(context(defaultSettings.worktreeLocation), { ...plan, run: 2 }),
      '/work/repo.plans/7-fix-it-run-002',
    );
    assert.strictEqual(templateFolder(context('${repoParent}/r/${id}-${run}'), { ...plan, run: 2 }), '/work/r/7-002');
  });

  it('allows a recorded folder inside the root, never the root itself, outside it, or under .git', () => {
    const ctx = context(defaultSettings.worktreeLocation);
    assert.ok(isAllowedFolder(ctx, '/work/repo.plans/7-fix-it'));
    assert.ok(isAllowedFolder(ctx, '/work/repo.plans/renamed/deeper'));
    for (const folder of [
      '/work/repo.plans',
      '/home/user',
      '/work/repo',
      '/work/repo/.git/x',
      '/work/repo.plans/x/.git/y',
      '/work/repo.plans/../elsewhere',
      'relative',
      '/work/repo.plans/a\nb',
    ]) {
      assert.ok(!isAllowedFolder(ctx, folder), folder);
    }
    // A relative template puts plans inside the main checkout; its git directory is still refused.
    const inside = context('${id}');
    assert.ok(isAllowedFolder(inside, '/work/repo/7'));
    assert.ok(!isAllowedFolder(inside, '/work/repo/.git/worktrees'));
    assert.strictEqual(allowedPlanFolder(ctx, { ...plan, path: '/home/user' }), '/work/repo.plans/7-fix-it');
    assert.strictEqual(allowedPlanFolder(ctx, { ...plan, path: '/work/repo.plans/moved' }), '/work/repo.plans/moved');
  });

  it('knows ~ and ${home} as the home folder, and refuses ~user', () => {
    const home = os.homedir();
    assert.strictEqual(templateFolder(context('~/.claude-plan-${id}'), plan), path.join(home, '.claude-plan-7'));
    assert.strictEqual(templateFolder(context('${home}/plans/${id}-${slug}'), plan), path.join(home, 'plans/7-fix-it'));
    assert.strictEqual(templateFolder(context('~'), plan), home);
    assert.strictEqual(locationRoot(context('~/plans/${id}')), path.join(home, 'plans') + path.sep);
    assert.ok(isAllowedFolder(context('~/.claude-plan-${id}'), path.join(home, '.claude-plan-7')));
    // A ~ that is not the first character is a plain character of the folder's name.
    assert.strictEqual(templateFolder(context('/x/a~b/${id}'), plan), '/x/a~b/7');
    for (const template of ['~user/plans/${id}', '~root', '~${id}']) {
      assert.throws(
        () => templateFolder(context(template), plan),
        (e: unknown) =>
          e instanceof PlanWorktreesError && e.code === ErrorCode.InvalidName && /only "~" alone/.test(e.message),
        template,
      );
    }
  });
});
