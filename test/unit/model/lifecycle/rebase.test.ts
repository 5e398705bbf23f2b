import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { classifyGitError } from '../../../../src/git/errors';
import { ErrorCode, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { Git } from '../../../../src/git/runner';
import { historyEntries } from '../../../../src/model/state/history';
import { PlanEngine } from '../../../../src/model/engine/planEngine';
import { PlanRecord } from '../../../../src/model/engine/types';
import { commitFiles, fingerprint, git, TestRepo, withRepo } from '../../helpers/repo';
import { isPlanError } from '../../helpers/errors';

const hasCode = (code: ErrorCode) => (e: unknown) => e instanceof PlanWorktreesError && e.code === code;

/** A plan whose change to README.md conflicts with main's; rebased until it stops on the conflict. */
async function stoppedRebase(repo: TestRepo): Promise<{ engine: PlanEngine; plan: PlanRecord; tip: string }> {
  const engine = await PlanEngine.open(repo.main, { git: new Git() });
  const plan = await engine.create({ id: '7', title: 'Seven' });
  const tip = commitFiles(plan.path, { 'README.md': '# plan\n', 'seven.txt': '7\n' }, 'plan rewrites the readme');
  commitFiles(repo.main, { 'README.md': '# main\n' }, 'main rewrites the readme');
  assert.deepStrictEqual(await engine.rebaseOntoBase('7'), ['README.md']);
  return { engine, plan, tip };
}

describe('rebase of a plan in its worktree', () => {
  it('refuses a second rebase while one is stopped, with RebaseInProgress and a whole sentence, changing nothing', () =>
    withRepo(async (repo) => {
      const { engine } = await stoppedRebase(repo);
      const before = fingerprint(repo.main);
      await assert.rejects(engine.rebaseOntoBase('7'), (e: unknown) => {
        return isPlanError(ErrorCode.RebaseInProgress, {
          reason: 'planInOperation',
          plan: '7',
          base: 'main',
          operation: 'rebase',
          action: 'rebase',
        })(e);
      });
      assert.strictEqual(fingerprint(repo.main), before);
      // Git's own words for it are classified the same way.
      assert.strictEqual(
        classifyGitError(
          'error: It seems that there is already a rebase-merge directory, and\nI wonder if you are in the middle of another rebase.',
        ),
        ErrorCode.RebaseInProgress,
      );
    }));

  it('refuses to commit mid-rebase: no detached commit, the message of the replayed commit kept', () =>
    withRepo(async (repo) => {
      const { engine, plan } = await stoppedRebase(repo);
      fs.writeFileSync(path.join(plan.path, 'README.md'), '# resolved\n');
      const head = git(plan.path, 'rev-parse', 'HEAD');
      const before = fingerprint(repo.main);
      await assert.rejects(engine.commit('7', 'my message'), hasCode(ErrorCode.RebaseInProgress));
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), head, 'no commit was made');
      assert.strictEqual(fingerprint(repo.main), before, 'nothing was staged or changed');
    }));

  it('continues only when no conflict is left (naming the files), then finishes on the plan branch', () =>
    withRepo(async (repo) => {
      const { engine, plan } = await stoppedRebase(repo);
      const before = fingerprint(repo.main);
      await assert.rejects(engine.continueRebase('7'), (e: unknown) => {
        assert.ok(hasCode(ErrorCode.ConflictsUnresolved)(e), String(e));
        assert.deepStrictEqual((e as PlanWorktreesError).files, ['README.md']);
        return isPlanError(ErrorCode.ConflictsUnresolved, { plan: '7', files: ['README.md'] })(e);
      });
      assert.strictEqual(fingerprint(repo.main), before, 'a refused continue changes nothing');
      fs.writeFileSync(path.join(plan.path, 'README.md'), '# main and plan\n');
      assert.deepStrictEqual(await engine.continueRebase('7'), []);
      assert.strictEqual(git(plan.path, 'rev-parse', '--abbrev-ref', 'HEAD'), plan.branch, 'back on the plan branch');
      assert.strictEqual(
        git(plan.path, 'merge-base', 'HEAD', 'main'),
        git(repo.main, 'rev-parse', 'main'),
        'rebased onto main',
      );
      assert.strictEqual(
        git(plan.path, 'log', '-1', '--format=%s'),
        'plan rewrites the readme',
        'the replayed commit keeps its message',
      );
      await assert.rejects(engine.continueRebase('7'), hasCode(ErrorCode.NoRebaseInProgress));
    }));

  it('aborts after a snapshot of the resolutions so far: the branch is back at its tip', () =>
    withRepo(async (repo) => {
      const { engine, plan, tip } = await stoppedRebase(repo);
      fs.writeFileSync(path.join(plan.path, 'README.md'), '# half resolved\n');
      const snapshot = await engine.abortRebase('7');
      assert.ok(snapshot, 'a snapshot of the worktree was taken');
      assert.strictEqual(git(repo.main, 'show', `${snapshot.commit}:README.md`), '# half resolved');
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), tip);
      assert.strictEqual(git(plan.path, 'rev-parse', '--abbrev-ref', 'HEAD'), plan.branch);
      assert.strictEqual(git(plan.path, 'status', '--porcelain'), '');
    }));

  it('aborts a rebase stopped on a conflict nobody touched, after a snapshot of the conflicted files', () =>
    withRepo(async (repo) => {
      const { engine, plan } = await stoppedRebase(repo);
      fs.writeFileSync(path.join(plan.path, 'README.md'), '# both\n');
      assert.deepStrictEqual(await engine.continueRebase('7'), []);
      commitFiles(repo.main, { 'README.md': '# main again\n' }, 'main moves on');
      assert.deepStrictEqual(await engine.rebaseOntoBase('7'), ['README.md']);
      const tip = git(plan.path, 'rev-parse', plan.branch);
      const snapshot = await engine.abortRebase('7');
      assert.ok(snapshot);
      assert.strictEqual(git(plan.path, 'rev-parse', 'HEAD'), tip);
    }));

  it('records rebases and refused merges in the history', () =>
    withRepo(async (repo) => {
      const { engine } = await stoppedRebase(repo);
      await assert.rejects(engine.rebaseOntoBase('7'));
      await engine.abortRebase('7');
      await engine.checkMerge('7', { attempt: true });
      const entries = historyEntries(await engine.history('7')).slice(1);
      assert.deepStrictEqual(
        entries.map((e) => [e.kind, e.outcome, e.summary]),
        [
          ['rebase', 'ok', 'Rebase onto main stopped on conflicts'],
          ['rebase', 'failed', 'Rebase onto main refused'],
          ['snapshot', 'ok', 'Snapshot saved (rebase aborted)'],
          ['rebase', 'ok', 'Rebase aborted: the plan is back where it was'],
          ['merge', 'failed', 'Merge into main refused'],
        ],
      );
      assert.strictEqual(entries[0].detail, 'Files: README.md.');
      assert.match(entries[1].detail ?? '', /^RebaseInProgress: /);
      const refused = entries[1].events[entries[1].events.length - 1];
      assert.deepStrictEqual(
        [refused.code, (refused.data as { reason?: string }).reason],
        ['RebaseInProgress', 'planInOperation'],
      );
      assert.strictEqual(
        entries[4].detail,
        'MergeConflict: Conflicts with main; nothing was changed. Files: README.md.',
      );
    }));
});
