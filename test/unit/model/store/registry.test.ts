import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DomainCode, ErrorCode, PlanError, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { Logger } from '../../../../src/git/log';
import { MAX_REGISTRY_BYTES, parseRegistry, planRecordProblem, Registry } from '../../../../src/model/store/registry';
import { samplePlan } from '../../helpers/b';
import { isPlanError } from '../../helpers/errors';
import { makeTempDir, removeDir } from '../../helpers/repo';

async function withCommonDir(body: (commonDir: string) => Promise<void>): Promise<void> {
  const dir = makeTempDir('pw-registry-');
  try {
    await body(dir);
  } finally {
    removeDir(dir);
  }
}

describe('Registry', () => {
  it('reads a missing file as an empty registry without creating anything', () =>
    withCommonDir(async (commonDir) => {
      const registry = new Registry(commonDir);
      assert.deepStrictEqual(await registry.read(), { version: 1, plans: [] });
      assert.deepStrictEqual(fs.readdirSync(commonDir), []);
    }));

  it('writes updates to plan-worktrees/plans.json and reads them back', () =>
    withCommonDir(async (commonDir) => {
      const registry = new Registry(commonDir);
      const result = await registry.update((data) => {
        data.plans.push(samplePlan('1'));
        return 'done';
      });
      assert.strictEqual(result, 'done');
      const file = path.join(commonDir, 'plan-worktrees', 'plans.json');
      assert.deepStrictEqual(JSON.parse(fs.readFileSync(file, 'utf8')).plans[0], samplePlan('1'));
      assert.deepStrictEqual((await new Registry(commonDir).read()).plans, [samplePlan('1')]);
      // Only the registry is left: no temporary file and no lock.
      assert.deepStrictEqual(fs.readdirSync(path.dirname(file)), ['plans.json']);
    }));

  it('writes nothing when the update throws or changes nothing', () =>
    withCommonDir(async (commonDir) => {
      const registry = new Registry(commonDir);
      await registry.update((data) => void data.plans.push(samplePlan('1')));
      const file = registry.file;
      // Hand-formatted text must stay byte-for-byte as it is.
      fs.writeFileSync(file, JSON.stringify(await registry.read()));
      const before = fs.readFileSync(file);
      const mtime = fs.statSync(file).mtimeMs;
      await assert.rejects(
        registry.update((data) => {
          data.plans.push(samplePlan('2'));
          throw new Error('refused');
        }),
        /refused/,
      );
      await registry.update((data) => data.plans.length);
      assert.deepStrictEqual(fs.readFileSync(file), before);
      assert.strictEqual(fs.statSync(file).mtimeMs, mtime);
      assert.ok(!fs.existsSync(registry.lockFile));
    }));

  it('can remove every plan and still read a valid registry', () =>
    withCommonDir(async (commonDir) => {
      const registry = new Registry(commonDir);
      await registry.update((data) => void data.plans.push(samplePlan('1')));
      await registry.update((data) => void data.plans.splice(0));
      assert.deepStrictEqual(await registry.read(), { version: 1, plans: [] });
    }));

  it('sets a corrupted file aside, reports it once, and starts empty', () =>
    withCommonDir(async (commonDir) => {
      const logged: string[] = [];
      const log: Logger = {
        trace: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: (m) => logged.push(String(m)),
      };
      const registry = new Registry(commonDir, log);
      fs.mkdirSync(path.dirname(registry.file), { recursive: true });
      const garbage = '{"version":1,"plans":[{"id":';
      fs.writeFileSync(registry.file, garbage);
      let saved = '';
      await assert.rejects(registry.read(), (e: unknown) => {
        assert.ok(e instanceof PlanWorktreesError);
        assert.strictEqual(e.code, ErrorCode.RegistryCorrupt);
        saved = e.files[0];
        return isPlanError(ErrorCode.RegistryCorrupt, { reason: 'setAside', path: registry.file, aside: saved })(e);
      });
      assert.match(path.basename(saved), /^plans\.json\.corrupt-/);
      assert.strictEqual(fs.readFileSync(saved, 'utf8'), garbage, 'the corrupted content is kept');
      assert.strictEqual(logged.length, 1);
      assert.deepStrictEqual(await registry.read(), { version: 1, plans: [] });
    }));

  it('skips and reports a record that is not a plan, keeps the others, and writes it back as it was, also inside update', () =>
    withCommonDir(async (commonDir) => {
      const warned: string[] = [];
      const log: Logger = {
        trace: () => undefined,
        info: () => undefined,
        warn: (m) => warned.push(String(m)),
        error: () => undefined,
      };
      const registry = new Registry(commonDir, log);
      fs.mkdirSync(path.dirname(registry.file), { recursive: true });
      const bad = { ...samplePlan('2'), status: 'exploded' };
      fs.writeFileSync(registry.file, JSON.stringify({ version: 1, plans: [samplePlan('1'), bad, samplePlan('3')] }));
      assert.deepStrictEqual((await registry.read()).plans, [samplePlan('1'), samplePlan('3')]);
      await registry.read();
      assert.strictEqual(warned.length, 1, 'reported once');
      assert.match(warned[0], /record 2 is not a valid plan \(unknown status "exploded"\)/);
      const { invalid } = await registry.contents();
      assert.deepStrictEqual(invalid, [{ index: 1, problem: 'unknown status "exploded"', record: bad }]);
      await registry.update((data) => {
        data.plans[0].status = 'merged';
        data.plans.push(samplePlan('4'));
      });
      const written = JSON.parse(fs.readFileSync(registry.file, 'utf8')) as { plans: unknown[] };
      assert.deepStrictEqual(written.plans, [
        { ...samplePlan('1'), status: 'merged' },
        bad,
        samplePlan('3'),
        samplePlan('4'),
      ]);
      // Removing every valid plan still keeps the file with the bad record.
      await registry.update((data) => void data.plans.splice(0));
      assert.deepStrictEqual((JSON.parse(fs.readFileSync(registry.file, 'utf8')) as { plans: unknown[] }).plans, [bad]);
      assert.deepStrictEqual(
        fs.readdirSync(path.dirname(registry.file)).filter((f) => f.includes('corrupt')),
        [],
      );
    }));

  it('checks every record with the validators of typed input', () => {
    const problem = (fields: Record<string, unknown>): string | undefined =>
      planRecordProblem({ ...samplePlan('1'), ...fields });
    assert.strictEqual(problem({}), undefined);
    assert.match(problem({ branch: 'refs/tags/v1' }) ?? '', /without "refs\/"/);
    assert.match(problem({ branch: 'refs/remotes/origin/main' }) ?? '', /without "refs\/"/);
    assert.match(problem({ base: '-c core.sshCommand=x' }) ?? '', /must not start with "-"/);
    assert.match(problem({ id: '../x' }) ?? '', /plan id/);
    assert.match(problem({ title: 'two\nlines' }) ?? '', /one line/);
    assert.match(problem({ slug: 'Not A Slug' }) ?? '', /slug/);
    assert.match(problem({ path: 'relative/folder' }) ?? '', /absolute/);
    assert.match(problem({ path: '/tmp/a/../b' }) ?? '', /\.\./);
    assert.match(problem({ planFile: '.git/config' }) ?? '', /\.git/);
    assert.match(problem({ planFile: '../x.md' }) ?? '', /inside the repository/);
    assert.match(problem({ baseCommit: '--output=x' }) ?? '', /commit id/);
    assert.match(problem({ created: 'yesterday' }) ?? '', /"created" is not a time/);
    assert.match(problem({ updated: 'zzz' }) ?? '', /"updated" is not a time/);
    assert.match(problem({ creator: 'me' }) ?? '', /"creator"/);
    const noTitle = { ...samplePlan('1') } as Record<string, unknown>;
    delete noTitle.title;
    assert.match(planRecordProblem(noTitle) ?? '', /"title" is not a string/);
  });

  it('refuses a registry far larger than any real one, reading and changing nothing', () =>
    withCommonDir(async (commonDir) => {
      const registry = new Registry(commonDir);
      fs.mkdirSync(path.dirname(registry.file), { recursive: true });
      const huge = JSON.stringify({ version: 1, plans: [samplePlan('1')], padding: 'x'.repeat(MAX_REGISTRY_BYTES) });
      fs.writeFileSync(registry.file, huge);
      const started = Date.now();
      for (const attempt of [() => registry.read(), () => registry.update(() => undefined)]) {
        await assert.rejects(
          attempt(),
          isPlanError(ErrorCode.StateFileTooLarge, { path: registry.file, files: [registry.file] }),
        );
      }
      assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
      assert.strictEqual(fs.readFileSync(registry.file, 'utf8'), huge);
      assert.deepStrictEqual(fs.readdirSync(path.dirname(registry.file)), ['plans.json']);
    }));

  it('leaves a registry of a newer version alone', () =>
    withCommonDir(async (commonDir) => {
      const registry = new Registry(commonDir);
      fs.mkdirSync(path.dirname(registry.file), { recursive: true });
      fs.writeFileSync(registry.file, JSON.stringify({ version: 2, plans: [] }));
      const newer = (e: unknown) =>
        isPlanError(ErrorCode.RegistryCorrupt, { reason: 'unreadable', path: registry.file })(e) &&
        /newer version/.test((e as PlanError<DomainCode.RegistryCorrupt>).data.problem);
      await assert.rejects(registry.read(), newer);
      await assert.rejects(
        registry.update(() => undefined),
        newer,
      );
      assert.strictEqual(fs.readFileSync(registry.file, 'utf8'), JSON.stringify({ version: 2, plans: [] }));
    }));

  it('keeps every update of many concurrent callers', () =>
    withCommonDir(async (commonDir) => {
      const registries = [new Registry(commonDir), new Registry(commonDir)];
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          registries[i % 2].update((data) => void data.plans.push(samplePlan(String(i + 1)))),
        ),
      );
      const ids = (await registries[0].read()).plans.map((p) => Number(p.id)).sort((a, b) => a - b);
      assert.deepStrictEqual(
        ids,
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    }));

  it('parseRegistry says what is wrong', () => {
    assert.match(String(parseRegistry('[]')), /not a JSON object/);
    assert.match(String(parseRegistry('{"version":1}')), /"plans" is not a list/);
    const parsed = parseRegistry(
      JSON.stringify({
        version: 1,
        plans: [{ ...samplePlan('1'), run: 0 }, { ...samplePlan('2'), branch: 3 }, samplePlan('3')],
      }),
    );
    assert.ok(typeof parsed !== 'string');
    assert.deepStrictEqual(
      parsed.invalid.map((i) => [i.index, i.problem]),
      [
        [0, '"run" is not a positive whole number'],
        [1, '"branch" is not a string'],
      ],
    );
    assert.deepStrictEqual(parsed.data.plans, [samplePlan('3')]);
  });
});
