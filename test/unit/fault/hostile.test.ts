/**
 * Hostile input: plan ids, titles, branch names, bases, folders, branch and
 * folder templates, plan files, copyFiles patterns and hand-edited registry
 * entries with `..`, a leading `-`, option-like text (`--upload-pack=...`,
 * `-c core.sshCommand=...`), shell metacharacters (`$(...)`, backticks, `;`,
 * `|`, `&&`), newlines, 10,000-character strings, unicode and text direction
 * controls (U+202E). Each gets a clear error (a PlanWorktreesError with a
 * short message free of control characters) or a safe name; no command runs
 * (the marker files the inputs try to create never appear); nothing is
 * written outside the repository's folder and the plan's chosen folder.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../src/model/engine/errors';
import { Git } from '../../../src/git/runner';
import { PlanEngine } from '../../../src/model/engine/planEngine';
import { DEFAULT_PLAN_FILE_PATTERNS } from '../../../src/model/planFiles/find';
import { loadPlanFiles, planFromFile } from '../../../src/model/planFiles/parse';
import { Registry } from '../../../src/model/store/registry';
import { PlanRecord } from '../../../src/model/engine/types';
import { counts, listTree } from '../helpers/fault';
import { createRepo, removeDir, TestRepo, writeFiles } from '../helpers/repo';

/** Strings that try to become options, commands, other folders or other text. */
function hostileStrings(marker: string): string[] {
  return [
    '..',
    '../escape',
    'a/../../escape',
    '-rf',
    '--upload-pack=touch ' + marker,
    '-c core.sshCommand=touch ' + marker,
    '--output=' + marker,
    '$(touch ' + marker + ')',
    '`touch ' + marker + '`',
    'a; touch ' + marker,
    'a | touch ' + marker,
    'a && touch ' + marker,
    '$(touch /tmp/pwned)',
    'line one\nline two',
    'carriage\rreturn',
    'tab\there',
    'nul\u0000byte',
    'x'.repeat(10_000),
    'right\u202Eto-left',
    '\u202Egnp.exe',
    'left\u200Fmark',
    'über größe 日本',
    '😀 emoji',
    'HEAD',
    '@{-1}',
    'refs/heads/main',
    'name.lock',
    'trailing.',
    'trailing/',
    ' ',
    '',
  ];
}

interface World {
  repo: TestRepo;
  engine: PlanEngine;
  marker: string;
}

async function withWorld(body: (world: World) => Promise<void>): Promise<void> {
  const repo = createRepo({ 'README.md': '# demo\n', 'src/app.txt': 'one\n', 'plans/feature.md': '# A plan file\n' });
  const marker = path.join(repo.root, 'PWNED');
  try {
    fs.appendFileSync(path.join(repo.main, '.git', 'info', 'exclude'), '.env*\n');
    writeFiles(repo.main, { '.env': 'SECRET=1\n' });
    const engine = await PlanEngine.open(repo.main, { git: new Git() });
    await body({ repo, engine, marker });
  } finally {
    removeDir(repo.root);
  }
}

const pwnedBefore = fs.existsSync('/tmp/pwned');

/**
 * Runs `attempt` with a hostile input: it must fail with a clear error, or
 * succeed and pass `check`; either way no marker appears and nothing is
 * written under the test's root outside `allowed` (the plan's folder, when
 * one is made). Returns the created plan, if any.
 */
async function tryInput<T>(
  world: World,
  label: string,
  attempt: () => Promise<T>,
  check?: (value: T) => string[],
  options: { gitMayAnswer?: boolean } = {},
): Promise<T | undefined> {
  counts.hostileInputs++;
  counts.operations++;
  const before = listTree(world.repo.root, true);
  let value: T | undefined;
  let allowed: string[] = [];
  try {
    value = await attempt();
    allowed = check ? check(value) : [];
  } catch (e) {
    if (!(e instanceof PlanWorktreesError)) {
      throw new Error(`${label}: not a PlanWorktreesError: ${String(e)}`, { cause: e });
    }
    counts.refusals++;
    assert.ok(e.message.length < 1_000, `${label}: a ${e.message.length}-character message`);
    if (!options.gitMayAnswer) {
      assert.ok(
        !/[\p{Cc}\u202A-\u202E\u2066-\u2069]/u.test(e.message),
        `${label}: control characters in the message ${JSON.stringify(e.message)}`,
      );
    }
    // Names from a registry edited by hand reach git, whose own answer ("Not a valid object name ...") is the error then.
    if (!options.gitMayAnswer) assert.ok(e.code !== ErrorCode.Unknown, `${label}: an unclassified error: ${e.message}`);
  }
  assert.ok(!fs.existsSync(world.marker), `${label}: a command ran (the marker exists)`);
  if (!pwnedBefore) assert.ok(!fs.existsSync('/tmp/pwned'), `${label}: a command ran (/tmp/pwned exists)`);
  const gitInternals = /(^|\/)\.git(\/|$)/;
  const added = listTree(world.repo.root, true).filter((f) => !before.includes(f) && !gitInternals.test(f));
  const outside = added.filter((f) => !allowed.some((a) => f === a || f.startsWith(`${a}/`) || a.startsWith(`${f}/`)));
  assert.deepStrictEqual(outside, [], `${label}: files written outside the chosen folders`);
  return value;
}

/** A created plan's names are safe: a valid branch, a folder under the root, nothing option-like. */
function safePlan(world: World, plan: PlanRecord): string[] {
  execFileSync('git', ['check-ref-format', '--branch', plan.branch], { cwd: world.repo.main, stdio: 'ignore' });
  assert.ok(plan.path.startsWith(`${world.repo.root}/`), `${plan.path} is outside ${world.repo.root}`);
  assert.ok(!plan.path.split('/').includes('..'));
  assert.ok(/^[a-z0-9-]+$/.test(plan.slug), `slug ${plan.slug}`);
  return [path.relative(world.repo.root, plan.path)];
}

/** Removes a plan that an input created, so the next input starts clean. */
async function discard(world: World, plan: PlanRecord | undefined): Promise<void> {
  if (plan) await world.engine.discard(plan.id);
}

describe('fault suite: hostile input gets a clear error or a safe name, and runs nothing', function () {
  this.timeout(300_000);

  it('plan ids, titles, branches, bases, folders and plan files given to create', () =>
    withWorld(async (world) => {
      for (const text of hostileStrings(world.marker)) {
        const show = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
        await discard(
          world,
          await tryInput(
            world,
            `id ${show}`,
            () => world.engine.create({ id: text, title: 'Hostile id' }),
            (p) => safePlan(world, p),
          ),
        );
        await discard(
          world,
          await tryInput(
            world,
            `title ${show}`,
            () => world.engine.create({ title: text }),
            (p) => safePlan(world, p),
          ),
        );
        await discard(
          world,
          await tryInput(
            world,
            `branch ${show}`,
            () => world.engine.create({ title: 'Hostile branch', branch: text }),
            (p) => safePlan(world, p),
          ),
        );
        await tryInput(world, `base ${show}`, () => world.engine.create({ title: 'Hostile base', base: text }));
        await discard(
          world,
          await tryInput(
            world,
            `plan file ${show}`,
            () => world.engine.create({ title: 'Hostile plan file', planFile: text }),
            (p) => safePlan(world, p),
          ),
        );
        await discard(
          world,
          await tryInput(
            world,
            `folder ${show}`,
            () => world.engine.create({ title: 'Hostile folder', path: text }),
            // A relative folder is taken from the main checkout: the chosen location is inside it.
            (p) => {
              assert.ok(p.path.startsWith(`${world.repo.main}/`), `${p.path} is not under the main checkout`);
              return [path.relative(world.repo.root, p.path)];
            },
          ),
        );
      }
    }));

  it('branch and folder templates', () =>
    withWorld(async (world) => {
      const templates = [
        ...hostileStrings(world.marker).map((t) => `${t}\${id}`),
        '${id}/../../escape',
        '--upload-pack=touch ' + world.marker + ' ${id}',
        '-c core.sshCommand=touch ' + world.marker,
        '${HOME}/${id}',
        '${id}${unknown}',
        '$(touch ' + world.marker + ')/${id}',
      ];
      for (const template of templates) {
        const show = JSON.stringify(template.length > 50 ? `${template.slice(0, 50)}…` : template);
        world.engine.settings = { ...world.engine.settings, branchTemplate: template };
        await discard(
          world,
          await tryInput(
            world,
            `branchTemplate ${show}`,
            () => world.engine.create({ title: 'Template' }),
            (p) => safePlan(world, p),
          ),
        );
        world.engine.settings = {
          ...world.engine.settings,
          branchTemplate: 'plan/${id}-${slug}',
          worktreeLocation: `\${repoParent}/${template}`,
        };
        await discard(
          world,
          await tryInput(
            world,
            `worktreeLocation ${show}`,
            () => world.engine.create({ title: 'Template' }),
            (p) => [path.relative(world.repo.root, p.path)],
          ),
        );
        world.engine.settings = { ...world.engine.settings, worktreeLocation: template };
        await discard(
          world,
          await tryInput(
            world,
            `relative worktreeLocation ${show}`,
            () => world.engine.create({ title: 'Template' }),
            (p) => [path.relative(world.repo.root, p.path)],
          ),
        );
        world.engine.settings = {
          ...world.engine.settings,
          worktreeLocation: '${repoParent}/${repoName}.plans/${id}-${slug}',
        };
      }
    }));

  it('copyFiles patterns copy only into the new worktree, never through a symlink or from outside the repository', () =>
    withWorld(async (world) => {
      const outside = path.join(world.repo.root, 'outside');
      fs.mkdirSync(outside);
      fs.writeFileSync(path.join(outside, 'secret'), 'outside secret\n');
      fs.symlinkSync(outside, path.join(world.repo.main, '.env.dir'));
      fs.symlinkSync(path.join(outside, 'secret'), path.join(world.repo.main, '.env.link'));
      const patterns = [
        ...hostileStrings(world.marker),
        '../*',
        '../../**',
        '/etc/passwd',
        '**',
        '.env.dir/**',
        '.env.link',
        '**/../*',
        '[',
        '{',
        '***',
      ];
      for (const pattern of patterns) {
        const show = JSON.stringify(pattern.length > 40 ? `${pattern.slice(0, 40)}…` : pattern);
        world.engine.settings = { ...world.engine.settings, copyFiles: [pattern] };
        const plan = await tryInput(
          world,
          `copyFiles ${show}`,
          () => world.engine.create({ title: 'Copy' }),
          (p) => [path.relative(world.repo.root, p.path)],
        );
        if (plan) {
          assert.ok(
            !fs.existsSync(path.join(plan.path, '.env.dir', 'secret')),
            `${show}: copied through a symlinked folder`,
          );
          const link = path.join(plan.path, '.env.link');
          assert.ok(
            !fs.existsSync(link) || !fs.lstatSync(link).isFile(),
            `${show}: copied the file a symlink leads to outside the repository`,
          );
        }
        assert.deepStrictEqual(fs.readdirSync(outside), ['secret'], `${show}: wrote into the folder outside`);
        await discard(world, plan);
      }
    }));

  it('hostile ids given to merge, cleanup, discard, restore, lock and diff', () =>
    withWorld(async (world) => {
      const plan = await world.engine.create({ title: 'Target' });
      for (const text of hostileStrings(world.marker)) {
        const show = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
        await tryInput(world, `merge ${show}`, () => world.engine.merge(text, { strategy: 'merge' }));
        await tryInput(world, `cleanup ${show}`, () => world.engine.cleanup(text, { force: true }));
        await tryInput(world, `discard ${show}`, () => world.engine.discard(text));
        await tryInput(world, `restore ${show}`, () => world.engine.restore(text));
        await tryInput(world, `restore ref ${show}`, () =>
          world.engine.restore(`refs/plan-worktrees/snapshots/${text}`),
        );
        await tryInput(world, `diff ${show}`, () => world.engine.diff(text));
        await tryInput(world, `lock ${show}`, () => world.engine.lock(text, text));
        await tryInput(world, `merge message ${show}`, async () => {
          // A hostile commit message is only a message.
          const result = await world.engine.merge(plan.id, { strategy: 'merge', message: text || 'empty' });
          return result;
        });
      }
      assert.strictEqual((await world.engine.plan(plan.id)).status, 'merged');
    }));

  it('commit messages of a plan and lock reasons are only text: a rebase keeps each message as it was', () =>
    withWorld(async (world) => {
      const plan = await world.engine.create({ title: 'Messages' });
      const messages = hostileStrings(world.marker).filter((m) => m.trim() !== '' && !m.includes('\u0000'));
      messages.forEach((message, i) => {
        writeFiles(plan.path, { [`file${i}.txt`]: `${i}\n` });
        execFileSync('git', ['add', '-A'], { cwd: plan.path });
        execFileSync('git', ['commit', '-q', '--cleanup=verbatim', '-F', '-'], { cwd: plan.path, input: message });
      });
      writeFiles(world.repo.main, { 'moved.txt': 'the base moves on\n' });
      execFileSync('git', ['add', '-A'], { cwd: world.repo.main });
      execFileSync('git', ['commit', '-q', '-m', 'main moves on'], { cwd: world.repo.main });
      // The merge brings the main checkout and the plan's worktree to the result: those are its chosen folders.
      const result = await tryInput(
        world,
        'rebase merge of hostile commit messages',
        () => world.engine.merge(plan.id, { strategy: 'rebase' }),
        () => ['repo', path.relative(world.repo.root, plan.path)],
      );
      assert.ok(result, 'the rebase merge went through');
      const log = execFileSync(
        'git',
        ['log', '--format=%B%x00', '--reverse', `${result.baseBefore}..${result.baseAfter}`],
        { cwd: world.repo.main, encoding: 'utf8' },
      );
      assert.deepStrictEqual(
        log
          .split('\0\n')
          .map((m) => m.replace(/\n$/, ''))
          .filter((m) => m !== ''),
        messages.map((m) => m.replace(/\n+$/, '')),
      );
      for (const reason of hostileStrings(world.marker).filter((r) => r !== '')) {
        await tryInput(world, `lock reason ${JSON.stringify(reason.slice(0, 40))}`, async () => {
          await world.engine.lock(plan.path, reason);
          await world.engine.unlock(plan.path);
        });
      }
    }));

  it('plan files with hostile names and contents, and hostile planFiles patterns', () =>
    withWorld(async (world) => {
      const plans = path.join(world.repo.main, 'plans');
      const strings = hostileStrings(world.marker).filter((t) => t !== '' && !t.includes('\u0000'));
      strings.forEach((text, i) => {
        const yaml = (value: string): string => JSON.stringify(value); // a quoted front-matter value
        fs.writeFileSync(
          path.join(plans, `front-${i}.md`),
          `---\nid: ${yaml(text.slice(0, 300))}\ntitle: ${yaml(text)}\nstatus: todo\n---\n# ${text}\n`,
        );
        fs.writeFileSync(path.join(plans, `json-${i}.json`), JSON.stringify({ id: text, title: text, status: 'todo' }));
        fs.writeFileSync(path.join(plans, `heading-${i}.md`), `# ${text}\n`);
        // The text as a file name, where the file system takes it.
        const name = text.replace(/\//g, '_').slice(0, 200);
        try {
          fs.writeFileSync(path.join(plans, `${name}.md`), '# Named hostilely\n');
        } catch {
          // not a possible file name here
        }
      });
      const outside = path.join(world.repo.root, 'outside-plans');
      fs.mkdirSync(outside);
      fs.writeFileSync(path.join(outside, 'secret.md'), '---\nstatus: todo\n---\n# Outside\n');
      fs.symlinkSync(outside, path.join(world.repo.main, 'tasks'));
      const patterns = [
        ...DEFAULT_PLAN_FILE_PATTERNS,
        '../**',
        '/etc/**',
        '../outside-plans/*.md',
        'tasks/*.md',
        '**/*.md',
      ];
      const files = await loadPlanFiles(world.repo.main, patterns);
      assert.ok(files.length > strings.length * 2, `only ${files.length} plan files found`);
      const escaped = files.filter(
        (f) => f.file.startsWith('tasks/') || f.file.split('/').includes('..') || path.isAbsolute(f.file),
      );
      assert.deepStrictEqual(escaped, [], 'a plan file outside the repository was read');
      for (const file of files) {
        await discard(
          world,
          await tryInput(
            world,
            `plan file ${JSON.stringify(file.file.slice(0, 60))}`,
            () => world.engine.create(planFromFile(file)),
            (p) => safePlan(world, p),
          ),
        );
      }
      assert.strictEqual(
        fs.readFileSync(path.join(outside, 'secret.md'), 'utf8'),
        '---\nstatus: todo\n---\n# Outside\n',
        'the file outside was not touched',
      );
    }));

  it('a registry edited by hand with hostile entries: listing, details, the doctor and every operation on them run nothing', () =>
    withWorld(async (world) => {
      const registry = new Registry(world.engine.repo.commonDir);
      const marker = world.marker;
      const hostile = (id: string, fields: Partial<PlanRecord>): PlanRecord => ({
        id,
        title: `$(touch ${marker})`,
        slug: 'x',
        branch: `--upload-pack=touch ${marker}`,
        path: `-c core.sshCommand=touch ${marker}`,
        base: `-c core.sshCommand=touch ${marker}`,
        baseCommit: `--output=${marker}`,
        created: new Date().toISOString(),
        status: 'active',
        run: 1,
        ...fields,
      });
      const entries = [
        hostile(`$(touch ${marker})`, {}),
        hostile('2', { path: path.join(world.repo.root, '..', 'escape') }),
        hostile('3', { branch: '../../etc', path: world.repo.main }),
        hostile('4', { branch: 'main', base: 'main', path: '/' }),
        hostile('5', { id: '-rf', status: 'removed' }),
        hostile('6', { branch: `plan/6\u202Eexe`, path: `${world.repo.root}/six\nlines` }),
        hostile('7', {
          creating: true,
          created: '2000-01-01T00:00:00.000Z',
          creator: { pid: 4194303, hostname: 'elsewhere' },
        }),
      ];
      await registry.update((data) => void data.plans.push(...entries));
      await tryInput(world, 'list', async () => {
        const rows = await world.engine.list();
        for (const row of rows) await world.engine.details(row);
        return rows;
      });
      const findings = (await tryInput(world, 'doctor', () => world.engine.doctor())) ?? [];
      for (const finding of findings) {
        if (finding.fix) {
          await tryInput(
            world,
            `doctor fix ${finding.kind} ${finding.planId}`,
            () => finding.fix?.run() ?? Promise.resolve(),
            undefined,
            { gitMayAnswer: true },
          );
        }
      }
      for (const entry of entries) {
        const show = JSON.stringify(entry.id);
        const gitMayAnswer = { gitMayAnswer: true };
        await tryInput(
          world,
          `merge ${show}`,
          () => world.engine.merge(entry.id, { strategy: 'merge' }),
          undefined,
          gitMayAnswer,
        );
        await tryInput(world, `diff ${show}`, () => world.engine.diff(entry.id), undefined, gitMayAnswer);
        await tryInput(
          world,
          `cleanup ${show}`,
          () => world.engine.cleanup(entry.id, { force: true }),
          undefined,
          gitMayAnswer,
        );
        await tryInput(world, `discard ${show}`, () => world.engine.discard(entry.id), undefined, gitMayAnswer);
      }
      assert.ok(fs.existsSync(path.join(world.repo.main, 'README.md')), 'the main checkout is still there');
      assert.ok(fs.existsSync('/'), 'the root folder is still there');
    }));
});
