/**
 * The API other extensions and agents get, through
 * `vscode.extensions.getExtension('planworktrees.plan-worktrees').exports`,
 * on the demo repository the host opened.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { PlanWorktreesApi } from '../../src/ui/api';
import { activateExtension, commitIn, EXTENSION_ID, gitIn, setSetting, waitFor, workspaceRoot } from './helpers';

/** The code a typed rejection carries. */
function codeOf(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

describe('The extension API (getExtension(...).exports)', function () {
  this.timeout(120_000);
  let api: PlanWorktreesApi;
  let main: string;
  let startHead: string;

  before(async () => {
    await activateExtension();
    const extension = vscode.extensions.getExtension<PlanWorktreesApi>(EXTENSION_ID);
    assert.ok(extension?.isActive);
    api = extension.exports;
    main = workspaceRoot();
    startHead = gitIn(main, 'rev-parse', 'HEAD');
    await setSetting('openAfterCreate', 'ask');
  });

  after(async () => {
    for (const item of await api.list()) {
      if (item.plan?.id.startsWith('api-') && item.plan.status === 'active') {
        await api.cleanup(item.plan.id, { force: true }).catch(() => undefined);
      }
    }
    // Later suites start from the demo repository as it was.
    gitIn(main, 'reset', '-q', '--hard', startHead);
    await setSetting('openAfterCreate', undefined);
  });

  it('is the documented, typed object: every method, the guard script, and the change event', async () => {
    assert.strictEqual(api.version, 1);
    for (const name of [
      'create',
      'startFromFile',
      'list',
      'diff',
      'merge',
      'cleanup',
      'history',
      'activity',
      'reportActivity',
    ] as const) {
      assert.strictEqual(typeof api[name], 'function', name);
    }
    assert.strictEqual(typeof api.onDidChange, 'function');
    assert.strictEqual(typeof api.onDidChangeActivity, 'function');
    assert.ok(
      path.isAbsolute(api.guardScript) && fs.existsSync(api.guardScript),
      `the guard script ships at ${api.guardScript}`,
    );
    const readme = fs.readFileSync(path.join(path.dirname(path.dirname(api.guardScript)), 'README.md'), 'utf8');
    for (const name of [
      'create',
      'startFromFile',
      'list',
      'diff',
      'merge',
      'cleanup',
      'history',
      'guardScript',
      'onDidChange',
      'activity',
      'reportActivity',
      'onDidChangeActivity',
    ]) {
      assert.ok(readme.includes(`${name}(`) || readme.includes(`\`${name}\``), `README documents ${name}`);
    }
  });

  it('creates, lists, diffs, merges and cleans up a plan without a prompt, and tells about it', async () => {
    let changes = 0;
    const subscription = api.onDidChange(() => changes++);
    try {
      // openAfterCreate is "ask": the API still asks nothing.
      const plan = await api.create({ id: 'api-1', title: 'Through the API' });
      assert.strictEqual(plan.branch, 'plan/api-1-through-the-api');
      assert.strictEqual(plan.baseCommit, startHead);
      const listed = (await api.list()).find((i) => i.plan?.id === 'api-1');
      assert.strictEqual(listed?.kind, 'plan');
      assert.strictEqual(listed.worktree?.path, plan.path);

      commitIn(plan.path, { 'src/feature.js': 'export const feature = 1;\n' }, 'Add the feature');
      fs.writeFileSync(path.join(plan.path, 'notes.txt'), 'not committed\n');
      const diff = await api.diff('api-1');
      assert.strictEqual(diff.mergeBase, startHead);
      assert.deepStrictEqual(diff.files.map((f) => [f.path, f.status, f.committed, f.uncommitted]).sort(), [
        ['notes.txt', 'U', false, true],
        ['src/feature.js', 'A', true, false],
      ]);
      fs.rmSync(path.join(plan.path, 'notes.txt'));

      const merged = await api.merge('api-1', { strategy: 'squash' });
      assert.strictEqual(merged.baseBefore, startHead);
      assert.strictEqual(gitIn(main, 'rev-parse', 'HEAD'), merged.baseAfter);
      assert.ok(fs.existsSync(path.join(main, 'src', 'feature.js')), "the main checkout has the plan's file");

      const cleaned = await api.cleanup('api-1');
      assert.strictEqual(cleaned.removedWorktree, true);
      assert.strictEqual(cleaned.deletedBranch, true, 'a squash-merged branch is deleted');
      assert.ok(!fs.existsSync(plan.path));
      assert.ok(!(await api.list()).some((i) => i.plan?.id === 'api-1' && i.worktree));
      await waitFor(() => changes > 0, 'onDidChange');

      const history = await api.history('api-1');
      assert.deepStrictEqual(
        history.map((e) => [e.kind, e.outcome]),
        [
          ['create', 'ok'],
          ['merge', 'ok'],
          ['remove', 'ok'],
        ],
      );
      assert.match(history[1].summary, /^Merged into main \(squash\)$/);
    } finally {
      subscription.dispose();
    }
  });

  it('rejects with typed errors and changes nothing', async () => {
    const refs = () => gitIn(main, 'for-each-ref', '--format=%(refname) %(objectname)');
    const before = refs();
    await assert.rejects(api.create({ id: '../escape', title: 'Bad id' }), (e) => codeOf(e) === 'InvalidName');
    await assert.rejects(api.diff('api-none'), (e) => codeOf(e) === 'PlanNotFound');
    await assert.rejects(api.startFromFile('plans/does-not-exist.md'), /does-not-exist\.md/);
    assert.strictEqual(refs(), before);

    const plan = await api.create({ id: 'api-2', title: 'Conflicting' });
    await assert.rejects(api.create({ id: 'api-2', title: 'Again' }), (e) => codeOf(e) === 'PlanExists');
    commitIn(main, { 'api-conflict.txt': 'main\n' }, 'Main side');
    commitIn(plan.path, { 'api-conflict.txt': 'plan\n' }, 'Plan side');
    const head = gitIn(main, 'rev-parse', 'HEAD');
    await assert.rejects(
      api.merge('api-2', { strategy: 'merge' }),
      (e) =>
        codeOf(e) === 'MergeConflict' && JSON.stringify((e as { files: string[] }).files) === '["api-conflict.txt"]',
    );
    assert.strictEqual(gitIn(main, 'rev-parse', 'HEAD'), head, 'the base did not move');
    assert.strictEqual(gitIn(main, 'status', '--porcelain'), '');

    fs.writeFileSync(path.join(plan.path, 'wip.txt'), 'uncommitted\n');
    await assert.rejects(api.cleanup('api-2'), (e) => codeOf(e) === 'WorktreeDirty');
    assert.ok(fs.existsSync(path.join(plan.path, 'wip.txt')), 'the refused clean-up kept the file');
    const forced = await api.cleanup('api-2', { force: true });
    assert.ok(forced.snapshot, 'a forced clean-up keeps a snapshot');
  });
  it("takes an agent's report of what its plan is doing, tells every listener, and refuses a report it would not show", async () => {
    const plan = await api.create({ id: 'api-activity', title: 'Reported' });
    const folder = path.join(main, '.git', 'plan-worktrees', 'activity');
    const seen: Array<{ plan: string; kind?: string }> = [];
    const subscription = api.onDidChangeActivity((e) => seen.push({ plan: e.plan, kind: e.state?.kind }));
    try {
      assert.deepStrictEqual(await api.activity(plan.id), { plan: plan.id, run: 1 }, 'nothing published yet');
      const before = fs.existsSync(folder) ? fs.readdirSync(folder).sort() : [];
      for (const bad of [{ state: 'sleeping' }, { state: 'working', message: 'two\nlines' }]) {
        await assert.rejects(
          api.reportActivity(plan.id, bad as never),
          (e: unknown) => codeOf(e) === 'InvalidName',
          JSON.stringify(bad),
        );
      }
      assert.deepStrictEqual(fs.existsSync(folder) ? fs.readdirSync(folder).sort() : [], before, 'nothing written');
      await api.reportActivity(plan.id, { state: 'working', message: 'Writing the tests' });
      await waitFor(() => seen.some((e) => e.plan === plan.id && e.kind === 'reported'), 'onDidChangeActivity');
      const info = await api.activity(plan.id);
      assert.deepStrictEqual(info.state && { ...info.state, since: undefined }, {
        kind: 'reported',
        state: 'working',
        message: 'Writing the tests',
        since: undefined,
      });
      assert.strictEqual(info.report?.reporter.pid, process.pid);
      await api.reportActivity(plan.id, undefined);
      await waitFor(
        () => seen.length > 0 && seen[seen.length - 1].plan === plan.id && seen[seen.length - 1].kind === undefined,
        'the report taken back',
      );
      assert.deepStrictEqual(await api.activity(plan.id), { plan: plan.id, run: 1 });
      await assert.rejects(
        api.reportActivity('api-no-such-plan', { state: 'done' }),
        (e: unknown) => codeOf(e) === 'PlanNotFound',
      );
    } finally {
      subscription.dispose();
      await api.cleanup(plan.id, { force: true });
    }
  });
});
