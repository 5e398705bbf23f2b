import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Git } from '../../../../src/git/runner';
import { historyEntries, historySummary } from '../../../../src/model/state/history';
import { PlanEngine } from '../../../../src/model/engine/planEngine';
import { LifecycleEvent } from '../../../../src/model/engine/types';
import { commitFiles, git, withRepo } from '../../helpers/repo';

describe('history', () => {
  it("tells a plan's real lifecycle: created, merge refused, merged, cleaned up", () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const baseCommit = git(repo.main, 'rev-parse', 'HEAD');
      const plan = await engine.create({ id: '5', title: 'Five' });
      commitFiles(plan.path, { 'src/app.txt': 'one\nTWO\nthree\n' }, 'plan change');
      commitFiles(repo.main, { 'src/app.txt': 'one\n2\nthree\n' }, 'conflicting change on main');
      await assert.rejects(engine.merge('5', { strategy: 'merge' }));
      git(repo.main, 'reset', '-q', '--hard', baseCommit);
      const result = await engine.merge('5', { strategy: 'squash' });
      await engine.cleanup('5');
      const entries = historyEntries(await engine.history('5'));
      assert.deepStrictEqual(
        entries.map((e) => [e.kind, e.outcome, e.summary]),
        [
          ['create', 'ok', `Created from main at ${baseCommit.slice(0, 8)} as plan/5-five`],
          ['merge', 'failed', 'Merge into main (merge) refused'],
          ['merge', 'ok', 'Merged into main (squash)'],
          ['remove', 'ok', 'Cleaned up: worktree removed, branch plan/5-five deleted'],
        ],
      );
      assert.strictEqual(entries[0].detail, plan.path);
      assert.match(entries[1].detail ?? '', /src\/app\.txt/, 'the refusal names the conflicting file');
      assert.strictEqual(entries[2].detail, `main: ${result.baseBefore.slice(0, 8)} → ${result.baseAfter.slice(0, 8)}`);
      assert.ok(entries.every((e) => e.planId === '5' && e.run === 1));
      assert.deepStrictEqual(
        entries[0].events.map((e) => e.type),
        ['create.before', 'create.after'],
      );
    }));

  it('tells a discard with its snapshot and the restore', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ id: '6', title: 'Six' });
      fs.writeFileSync(path.join(plan.path, 'wip.txt'), 'unsaved work\n');
      const discarded = await engine.discard('6');
      await engine.restore('6');
      const summaries = historyEntries(await engine.history('6')).map((e) => `${e.kind}: ${e.summary}`);
      assert.deepStrictEqual(summaries, [
        'create: Created from main at ' + plan.baseCommit.slice(0, 8) + ' as plan/6-six',
        'snapshot: Snapshot saved (discard)',
        'discard: Discarded: worktree removed, branch plan/6-six deleted',
        'restore: Restored from a snapshot as plan/6-six',
      ]);
      const entries = historyEntries(await engine.history('6'));
      assert.strictEqual(entries[2].detail, `Snapshot ${discarded.snapshot?.ref}`);
    }));

  it('shows an operation that never ended as interrupted, and unknown events by their type', () => {
    const events: LifecycleEvent[] = [
      {
        type: 'create.before',
        time: '2025-01-01T00:00:00Z',
        planId: '1',
        run: 1,
        base: 'main',
        baseCommit: 'abcdef1234567890',
        path: '/p',
      },
      {
        type: 'create.after',
        time: '2025-01-01T00:00:01Z',
        planId: '1',
        run: 1,
        branch: 'plan/1-x',
        path: '/p',
        copied: ['.env'],
        moved: [],
      },
      { type: 'merge.before', time: '2025-01-02T00:00:00Z', planId: '1', run: 1, base: 'main', strategy: 'merge' },
      { type: 'custom.thing', time: '2025-01-03T00:00:00Z', planId: '1' },
    ];
    const entries = historyEntries(events);
    assert.deepStrictEqual(
      entries.map((e) => [e.summary, e.outcome, e.detail]),
      [
        ['Created from main at abcdef12 as plan/1-x', 'ok', '/p; copied .env'],
        ['Merge into main (merge) was interrupted', 'interrupted', undefined],
        ['custom.thing', 'ok', undefined],
      ],
    );
    const { lines, omitted } = historySummary(events, 2);
    assert.strictEqual(omitted, 1);
    assert.deepStrictEqual(
      lines.map((l) => l.summary),
      ['Merge into main (merge) was interrupted', 'custom.thing'],
    );
  });
});
