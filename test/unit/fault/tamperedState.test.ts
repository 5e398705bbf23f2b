/**
 * State files written by someone else: `plans.json`, `events.jsonl` and the
 * plan record in a snapshot commit are data that anyone who can write to the
 * repository's folder controls. An entry naming another worktree's branch, a
 * tag or a remote ref; a snapshot record whose folder is outside the worktree
 * location; a registry folder under `.git`; a symlinked state folder or log;
 * a registry `planFile` of `.git/config`; huge files; one bad record among
 * good ones. Each gets a clear typed error or is skipped and reported, and
 * nothing outside the record's own worktree and `refs/heads/` branch changes
 * (checked byte for byte with the repository's fingerprint).
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../src/model/engine/errors';
import { Git } from '../../../src/git/runner';
import { EventLog } from '../../../src/model/store/events';
import { PlanEngine } from '../../../src/model/engine/planEngine';
import { boundSteps, writePlanFileStatus } from '../../../src/model/planFiles/writeStatus';
import { Registry } from '../../../src/model/store/registry';
import { writeSnapshot } from '../../../src/model/lifecycle/snapshot';
import { LifecycleEvent, PlanRecord } from '../../../src/model/engine/types';
import { openContext } from '../helpers/a';
import { registryText } from '../helpers/b';
import { commitFiles, fingerprint, git, hashTree, withRepo, writeFiles } from '../helpers/repo';

function isCode(code: ErrorCode): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof PlanWorktreesError, `not a PlanWorktreesError: ${String(e)}`);
    assert.strictEqual(e.code, code, e.message);
    return true;
  };
}

async function open(main: string): Promise<{ engine: PlanEngine; registry: Registry }> {
  const engine = await PlanEngine.open(main, { git: new Git() });
  return { engine, registry: new Registry(engine.repo.commonDir) };
}

/** A valid record for a plan that never went through create: what someone could write into plans.json. */
function written(engine: PlanEngine, id: string, fields: Partial<PlanRecord>): PlanRecord {
  return {
    id,
    title: `Written by hand ${id}`,
    slug: 'by-hand',
    branch: `plan/${id}-by-hand`,
    path: path.join(
      path.dirname(engine.repo.mainPath),
      `${path.basename(engine.repo.mainPath)}.plans`,
      `${id}-by-hand`,
    ),
    base: 'main',
    baseCommit: git(engine.repo.mainPath, 'rev-parse', 'main'),
    created: new Date().toISOString(),
    status: 'active',
    run: 1,
    ...fields,
  };
}

/** Writes plans.json as given, bypassing the registry (as a person or a program with write access could). */
function writeRegistry(registry: Registry, plans: unknown[]): void {
  fs.mkdirSync(path.dirname(registry.file), { recursive: true });
  fs.writeFileSync(registry.file, JSON.stringify({ version: 1, plans }, null, 2) + '\n');
}

describe('fault suite: tampered state files are data, never orders', function () {
  this.timeout(120_000);

  it("discard refuses an entry naming another plan's branch, the main checkout's, or a branch its worktree is not on; the doctor reports them", () =>
    withRepo(async (repo) => {
      const { engine, registry } = await open(repo.main);
      const victim = await engine.create({ title: 'Victim' });
      commitFiles(victim.path, { 'work.txt': 'committed work\n' });
      writeFiles(victim.path, { 'wip.txt': 'uncommitted\n' });
      git(repo.main, 'branch', 'feature');
      await registry.update((data) => {
        data.plans.push(
          written(engine, '50', { branch: victim.branch }), // another plan's branch, a folder that does not exist
          written(engine, '51', { branch: 'main' }), // the main checkout's branch
          written(engine, '52', { branch: 'feature', path: victim.path }), // another plan's folder, on another branch
        );
      });
      const before = fingerprint(repo.main);
      const snapshotsBefore = git(repo.main, 'for-each-ref', 'refs/plan-worktrees');
      for (const id of ['50', '51', '52']) {
        await assert.rejects(engine.discard(id), isCode(ErrorCode.ForeignBranch), `discard ${id}`);
        await assert.rejects(engine.cleanup(id, { force: true }), isCode(ErrorCode.ForeignBranch), `cleanup ${id}`);
      }
      assert.strictEqual(
        fingerprint(repo.main),
        before,
        "the victim's worktree, files and branch, main and feature are as they were",
      );
      assert.strictEqual(
        git(repo.main, 'for-each-ref', 'refs/plan-worktrees'),
        snapshotsBefore,
        'not even a snapshot was written',
      );
      const foreign = (await engine.doctor()).filter((f) => f.kind === 'foreignBranch');
      assert.deepStrictEqual(
        foreign.map((f) => [f.planId, f.fix]),
        [
          ['50', undefined],
          ['51', undefined],
          ['52', undefined],
        ],
      );
      assert.match(foreign[0].message, new RegExp(`checked out in .*, the worktree of plan ${victim.id}`));
      // The victim itself is still its own: its discard works.
      assert.strictEqual((await engine.discard(victim.id)).status, 'abandoned');
    }));

  it('an entry naming a tag or a remote ref as its branch is skipped and reported; no operation can reach the ref', () =>
    withRepo(async (repo) => {
      const { engine, registry } = await open(repo.main);
      git(repo.main, 'tag', 'v1');
      git(repo.main, 'update-ref', 'refs/remotes/origin/main', 'main');
      writeRegistry(registry, [
        written(engine, '60', { branch: 'refs/tags/v1' }),
        written(engine, '61', { branch: 'refs/remotes/origin/main' }),
      ]);
      const before = fingerprint(repo.main);
      const text = registryText(engine.repo.commonDir);
      for (const id of ['60', '61']) {
        await assert.rejects(engine.discard(id), isCode(ErrorCode.PlanNotFound));
        await assert.rejects(engine.cleanup(id, { force: true }), isCode(ErrorCode.PlanNotFound));
      }
      assert.strictEqual(fingerprint(repo.main), before, 'the tag and the remote ref are where they were');
      const findings = await engine.doctor();
      assert.deepStrictEqual(
        findings.map((f) => [f.kind, f.planId]),
        [
          ['invalidEntry', '60'],
          ['invalidEntry', '61'],
        ],
      );
      assert.match(findings[0].message, /must be a short name, without "refs\/"/);
      assert.strictEqual(registryText(engine.repo.commonDir), text, 'finding changes nothing');
    }));

  it('restore brings a snapshot whose record names a folder outside the worktree location to the location, and says where first', () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main);
      const plan = await engine.create({ title: 'Home run' });
      commitFiles(plan.path, { 'work.txt': 'committed\n' });
      const files = hashTree(plan.path);
      const home = path.join(repo.root, 'home', 'victim');
      fs.mkdirSync(path.dirname(home));
      const ctx = await openContext(repo.main);
      // A snapshot commit whose record says the plan lived in the home folder.
      const snapshot = await writeSnapshot(ctx, { ...plan, path: home }, 'written elsewhere');
      await engine.cleanup(plan.id, { force: true, deleteBranch: false });
      assert.ok(!fs.existsSync(plan.path));
      const listed = (await engine.snapshots()).find((s) => s.ref === snapshot.ref);
      assert.ok(listed);
      const restored = await engine.restore(snapshot.ref);
      assert.strictEqual(restored.path, plan.path);
      assert.ok(!fs.existsSync(home), 'nothing was written in the home folder');
      assert.strictEqual(engine.restoreDestination(listed), plan.path, 'the pick shows the folder the template gives');
      assert.deepStrictEqual(fs.readdirSync(path.dirname(home)), []);
      assert.strictEqual(hashTree(plan.path), files);
    }));

  it("the doctor's Recreate Worktree never adds a worktree under .git: a recorded folder there goes to the worktree location", () =>
    withRepo(async (repo) => {
      const { engine, registry } = await open(repo.main);
      git(repo.main, 'branch', 'plan/70-by-hand');
      const inGit = path.join(repo.main, '.git', 'hooks-worktree');
      await registry.update((data) => void data.plans.push(written(engine, '70', { path: inGit })));
      const finding = (await engine.doctor()).find((f) => f.kind === 'branchWithoutWorktree');
      assert.ok(finding?.fix, 'a branch without a worktree is found');
      const location = path.join(repo.root, 'repo.plans', '70-by-hand');
      assert.match(
        finding.fix.description,
        new RegExp(`Adds a worktree at ${location.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `),
      );
      await finding.fix.run();
      assert.ok(!fs.existsSync(inGit), 'nothing was made under .git');
      assert.strictEqual(git(location, 'symbolic-ref', '--short', 'HEAD'), 'plan/70-by-hand');
      assert.strictEqual((await engine.plan('70')).path, fs.realpathSync(location));
    }));

  it('a symlinked state folder, registry or event log: a clear error, and nothing is written where the link points', () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main);
      const elsewhere = path.join(repo.root, 'elsewhere');
      fs.mkdirSync(elsewhere);
      const stateFolder = path.join(engine.repo.commonDir, 'plan-worktrees');
      fs.symlinkSync(elsewhere, stateFolder);
      const before = fingerprint(repo.main);
      await assert.rejects(engine.create({ title: 'Through the link' }), isCode(ErrorCode.StateFileUnsafe));
      await assert.rejects(engine.list(), isCode(ErrorCode.StateFileUnsafe));
      await assert.rejects(engine.history(), isCode(ErrorCode.StateFileUnsafe));
      assert.deepStrictEqual(fs.readdirSync(elsewhere), [], 'nothing was written where the folder link points');
      assert.strictEqual(fingerprint(repo.main), before);

      // A real folder, but the log and the registry are links to files elsewhere.
      fs.rmSync(stateFolder);
      fs.mkdirSync(stateFolder);
      const target = path.join(elsewhere, 'target.txt');
      fs.writeFileSync(target, 'not yours\n');
      fs.symlinkSync(target, path.join(stateFolder, 'events.jsonl'));
      await assert.rejects(
        new EventLog(engine.repo.commonDir).append({ type: 'keep', planId: '1' }),
        isCode(ErrorCode.StateFileUnsafe),
      );
      await assert.rejects(engine.create({ title: 'Through the log' }), isCode(ErrorCode.StateFileUnsafe));
      await assert.rejects(engine.history(), isCode(ErrorCode.StateFileUnsafe));
      fs.rmSync(path.join(stateFolder, 'events.jsonl'));
      fs.symlinkSync(target, path.join(stateFolder, 'plans.json'));
      await assert.rejects(engine.list(), isCode(ErrorCode.StateFileUnsafe));
      assert.strictEqual(fs.readFileSync(target, 'utf8'), 'not yours\n', 'the file the links point to is unchanged');
      assert.strictEqual(fingerprint(repo.main), before);
    }));

  it('a FIFO as plans.json or events.jsonl is refused at once instead of hanging', () =>
    withRepo(async (repo) => {
      const { engine } = await open(repo.main);
      const stateFolder = path.join(engine.repo.commonDir, 'plan-worktrees');
      fs.mkdirSync(stateFolder);
      execFileSync('mkfifo', [path.join(stateFolder, 'plans.json'), path.join(stateFolder, 'events.jsonl')]);
      const started = Date.now();
      await assert.rejects(engine.list(), isCode(ErrorCode.StateFileUnsafe));
      await assert.rejects(engine.history(), isCode(ErrorCode.StateFileUnsafe));
      assert.ok(Date.now() - started < 5_000);
    }));

  it('the status binding writes only plan files the planFiles globs name, never .git/config, and compares times as times', () =>
    withRepo(async (repo) => {
      const config = fs.readFileSync(path.join(repo.main, '.git', 'config'));
      await assert.rejects(writePlanFileStatus(repo.main, '.git/config', 'done'), isCode(ErrorCode.InvalidName));
      await assert.rejects(
        writePlanFileStatus(repo.main, '.git/plans/x.md', 'done', ['**/*.md']),
        isCode(ErrorCode.InvalidName),
      );
      await assert.rejects(writePlanFileStatus(repo.main, 'README.md', 'done'), isCode(ErrorCode.InvalidName));
      assert.deepStrictEqual(
        fs.readFileSync(path.join(repo.main, '.git', 'config')),
        config,
        '.git/config is byte for byte as it was',
      );
      assert.strictEqual(fs.readFileSync(path.join(repo.main, 'README.md'), 'utf8'), '# demo\n');
      writeFiles(repo.main, { 'plans/p.md': '# P\n' });
      assert.strictEqual(await writePlanFileStatus(repo.main, 'plans/p.md', 'done'), 'changed');

      const since = Date.parse('2026-01-01T10:00:00.000Z');
      const now = Date.parse('2026-01-01T11:00:00.000Z');
      const event = (time: unknown, type = 'create.after', more: object = {}): LifecycleEvent => ({
        type,
        planId: '1',
        run: 1,
        time: time as string,
        ...more,
      });
      const changes = boundSteps(
        [
          event('2026-01-01T09:59:59.999Z'), // before activation
          event('9999-12-31T00:00:00.000Z'), // the future: written by hand
          event('zzz'), // not a time (a string compare put it after any time)
          event(42),
          event('2026-01-01T10:30:00+05:00'), // 05:30Z, before activation (a string compare put it after)
          event('2026-01-01T10:30:00.000Z'),
          event('2026-01-01T10:45:00.000Z', 'merge.after'),
          event('2026-01-01T10:50:00.000Z', 'remove.after'), // the worktree was kept
          event('2026-01-01T10:55:00.000Z', 'remove.after', { removedWorktree: true }),
        ],
        since,
        now,
      );
      assert.deepStrictEqual(
        changes.map((c) => [c.event.time, c.step]),
        [
          ['2026-01-01T10:30:00.000Z', 'started'],
          ['2026-01-01T10:45:00.000Z', 'finished'],
          ['2026-01-01T10:55:00.000Z', 'removed'],
        ],
      );
    }));

  it('one bad record among good ones: the others stay listed and usable, the bad one is reported, kept in place by every write, and set aside only on request', () =>
    withRepo(async (repo) => {
      const { engine, registry } = await open(repo.main);
      const first = await engine.create({ title: 'First' });
      const second = await engine.create({ title: 'Second' });
      const data = JSON.parse(fs.readFileSync(registry.file, 'utf8')) as {
        version: 1;
        plans: Array<Record<string, unknown>>;
      };
      const bad = { ...data.plans[0], id: '9', run: 1 } as Record<string, unknown>;
      delete bad.title;
      data.plans.splice(1, 0, bad);
      fs.writeFileSync(registry.file, JSON.stringify(data, null, 2) + '\n');
      const rows = await engine.list();
      assert.deepStrictEqual(
        rows.map((r) => [r.kind, r.plan?.id]),
        [
          ['main', undefined],
          ['plan', first.id],
          ['plan', second.id],
        ],
      );
      assert.deepStrictEqual(
        fs.readdirSync(path.dirname(registry.file)).filter((f) => f.includes('corrupt')),
        [],
        'nothing set aside',
      );
      // A write (the third plan, a merge) keeps the bad record as it was, where it was.
      const third = await engine.create({ title: 'Third' });
      await engine.merge(first.id, { strategy: 'merge' });
      const after = JSON.parse(fs.readFileSync(registry.file, 'utf8')) as { plans: Array<Record<string, unknown>> };
      assert.deepStrictEqual(after.plans[1], bad);
      assert.deepStrictEqual(
        after.plans.map((p) => p.id),
        [first.id, '9', second.id, third.id],
      );
      const findings = await engine.doctor();
      const invalid = findings.filter((f) => f.kind === 'invalidEntry');
      assert.strictEqual(invalid.length, 1);
      assert.match(invalid[0].message, /Record 2 \(plan "9"\) .* "title" is not a string\. It is skipped and kept/);
      await invalid[0].fix?.run();
      const asides = fs.readdirSync(path.dirname(registry.file)).filter((f) => /^plans\.invalid-.*\.json$/.test(f));
      assert.strictEqual(asides.length, 1);
      const aside = JSON.parse(fs.readFileSync(path.join(path.dirname(registry.file), asides[0]), 'utf8')) as {
        records: Array<{ record: unknown }>;
      };
      assert.deepStrictEqual(aside.records[0].record, bad, 'the record is kept in the side file');
      assert.deepStrictEqual(
        (await registry.read()).plans.map((p) => p.id),
        [first.id, second.id, third.id],
      );
      assert.deepStrictEqual(
        (await engine.doctor()).filter((f) => f.kind === 'invalidEntry'),
        [],
      );
    }));
});
