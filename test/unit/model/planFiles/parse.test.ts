import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, isError } from '../../../../src/model/engine/errors';
import { Git } from '../../../../src/git/runner';
import { PlanEngine } from '../../../../src/model/engine/planEngine';
import { DEFAULT_PLAN_FILE_PATTERNS } from '../../../../src/model/planFiles/find';
import {
  isFinishedStatus,
  MAX_FRONT_MATTER_BYTES,
  MAX_FRONT_MATTER_DEPTH,
  loadPlanFiles,
  parsePlanFile,
  planFromFile,
  readPlanFile,
} from '../../../../src/model/planFiles/parse';
import { fingerprint, git, withRepo, withTempDir, writeFiles } from '../../helpers/repo';
import { isPlanError } from '../../helpers/errors';

describe('plan files: parse', () => {
  describe('parsePlanFile', () => {
    it('reads id, title and status from Markdown front matter', () => {
      const text =
        '---\nid: 189\ntitle: "Feature: xyz"\nstatus: todo # not started\nowner: ana\n---\n\n# Something else\n';
      assert.deepStrictEqual(parsePlanFile('plans/189.md', text), {
        file: 'plans/189.md',
        format: 'markdown',
        id: '189',
        title: 'Feature: xyz',
        status: 'todo',
      });
    });

    it('takes the first heading as the title when the front matter has none, skipping code fences', () => {
      const text = '```\n# not this\n```\n\nIntro\n\n## Fix the login   ##\n\n# Later\n';
      assert.deepStrictEqual(parsePlanFile('tasks/login.md', text), {
        file: 'tasks/login.md',
        format: 'markdown',
        title: 'Fix the login',
      });
      const withFront = "---\r\nid: 'login-fix'\r\n---\r\n# Fix the login\r\n";
      assert.deepStrictEqual(parsePlanFile('tasks/login.md', withFront), {
        file: 'tasks/login.md',
        format: 'markdown',
        id: 'login-fix',
        title: 'Fix the login',
      });
    });

    it('reads a JSON object, with a numeric id', () => {
      assert.deepStrictEqual(
        parsePlanFile('.tasks/7.json', '{ "id": 7, "title": "Ship it", "status": "in_progress", "steps": [] }'),
        {
          file: '.tasks/7.json',
          format: 'json',
          id: '7',
          title: 'Ship it',
          status: 'in_progress',
        },
      );
    });

    it('leaves the id out when the file has none (the plan gets the next free number)', () => {
      const parsed = parsePlanFile('plans/a.md', '# Only a title\n');
      assert.strictEqual(parsed.id, undefined);
      assert.strictEqual(parsed.problem, undefined);
      assert.deepStrictEqual(planFromFile(parsed), { id: undefined, title: 'Only a title', planFile: 'plans/a.md' });
    });

    it('validates the id and title like typed names, and says which file is wrong', () => {
      const cases: Array<[string, string, RegExp]> = [
        [
          'plans/a.md',
          '---\nid: ../../etc\ntitle: x\n---\n',
          /plans\/a\.md: The plan id "\.\.\/\.\.\/etc" must not start with "\."/,
        ],
        ['plans/b.md', '---\nid: --upload-pack=evil\ntitle: x\n---\n', /must not start with "-"/],
        [
          'plans/c.md',
          '---\nid: 1\ntitle: "bad\\nline"\n---\n',
          /one line of printable text; it contains a line break/,
        ],
        ['plans/d.md', '---\nid: 1\ntitle: "\\e[31mred"\n---\n', /control character \(U\+001B\)/],
        ['plans/e.json', '{"id": "1", "title": "bell\\u0007"}', /control character \(U\+0007\)/],
        ['plans/f.json', '{"id": "a b", "title": "x"}', /a space is not allowed/],
        ['plans/g.json', '{"id": 1, "title": 5}', /"title" must be a string/],
        ['plans/h.json', '[{"id": 1}]', /not a JSON object/],
        ['plans/i.json', '{"id": 1, "title": "x",}', /not valid JSON/],
        ['plans/j.json', '{"id": 1}', /has no "title"/],
        ['plans/k.md', 'no heading at all\n', /has no title/],
        ['plans/l.md', '---\nid: 1\nid: 2\ntitle: x\n---\n', /"id" appears 2 times/],
        ['plans/m.md', '---\ntitle: |\n  many\n  lines\n---\n', /one line of text \(a value starting with "\|"\)/],
        ['plans/n.md', `---\ntitle: ${'x'.repeat(201)}\n---\n`, /at most 200 are allowed/],
      ];
      for (const [file, text, expected] of cases) {
        const parsed = parsePlanFile(file, text);
        assert.ok(parsed.problem, `${file} should have a problem`);
        assert.match(parsed.problem, expected, file);
        assert.ok(parsed.problem.startsWith(`${file}: `), parsed.problem);
        assert.throws(
          () => planFromFile(parsed),
          isPlanError(ErrorCode.InvalidName, { reason: 'notStartable', file, problem: parsed.problem }),
        );
      }
    });

    it('reads the front matter as YAML: multi-line and quoted values, quoted keys, numbers as written, null as no value', () => {
      const text = [
        '---',
        '# written by hand',
        'id: 007',
        '"title": Fix the login',
        '  on every page # a folded plain value',
        'status: ~',
        'owner:',
        '  id: 9',
        '  title: not this one',
        'tags: [a, b]',
        '---',
        '# Heading',
        '',
      ].join('\n');
      assert.deepStrictEqual(parsePlanFile('plans/7.md', text), {
        file: 'plans/7.md',
        format: 'markdown',
        id: '007',
        title: 'Fix the login on every page',
        // `status: ~` is YAML's null: the file has no status.
      });
      assert.deepStrictEqual(parsePlanFile('plans/7.md', '---\rid: 1\rtitle: x\r---\r'), {
        file: 'plans/7.md',
        format: 'markdown',
        id: '1',
        title: 'x',
      });
      assert.deepStrictEqual(
        parsePlanFile('plans/7.md', '---\nJust a paragraph\n---\n# T\n'),
        { file: 'plans/7.md', format: 'markdown', title: 'T' },
        'a front matter that is not a list of fields has none of them',
      );
    });

    it('says which line of the front matter is not valid YAML', () => {
      const parsed = parsePlanFile('plans/a.md', '---\nid: 1\ntitle: Fix: the login\n---\n# Fix the login\n');
      assert.deepStrictEqual(parsed, {
        file: 'plans/a.md',
        format: 'markdown',
        problem:
          'plans/a.md: the front matter is not valid YAML (line 3: Nested mappings are not allowed in compact mappings).',
      });
      assert.throws(
        () => planFromFile(parsed),
        (e: unknown) => isError(e, ErrorCode.InvalidName),
      );
    });

    it('does not parse a front matter that is too large or nests too deep, nor one holding a second document', () => {
      const nested = (levels: number): string =>
        `---\ntags: ${'['.repeat(levels)}${']'.repeat(levels)}\ntitle: T\n---\n`;
      assert.deepStrictEqual(parsePlanFile('plans/a.md', nested(MAX_FRONT_MATTER_DEPTH)), {
        file: 'plans/a.md',
        format: 'markdown',
        title: 'T',
      });
      for (const levels of [MAX_FRONT_MATTER_DEPTH + 1, 5000]) {
        assert.strictEqual(
          parsePlanFile('plans/a.md', nested(levels)).problem,
          `plans/a.md: the front matter nests deeper than ${MAX_FRONT_MATTER_DEPTH} levels.`,
          String(levels),
        );
      }
      const long = `---\ntitle: T\nnotes: ${'x'.repeat(MAX_FRONT_MATTER_BYTES)}\n---\n`;
      assert.strictEqual(
        parsePlanFile('plans/a.md', long).problem,
        `plans/a.md: the front matter is ${MAX_FRONT_MATTER_BYTES + 17} bytes long; at most ${MAX_FRONT_MATTER_BYTES} are read.`,
      );
      assert.strictEqual(
        parsePlanFile('plans/a.md', `---\ntitle: T\n---\n${'A long body.\n'.repeat(20_000)}`).title,
        'T',
        'only the front matter is bounded',
      );
      assert.strictEqual(
        parsePlanFile('plans/a.md', '---\nid: 1\n--- x\ntitle: y\n---\n').problem,
        'plans/a.md: the front matter is not valid YAML (line 3: a second document starts here).',
      );
    });

    it('reads a deeply nested front matter again and again in one process without bringing it down', function () {
      this.timeout(120_000);
      // Without the nesting limit the YAML composer recursed to the end of the stack, and V8 aborted
      // the whole process (the extension host) on the second or third read of such a file.
      const script = `
        const { parsePlanFile } = require(${JSON.stringify(require.resolve('../../../../src/model/planFiles/parse'))});
        for (const open of ['[', '{', '? ']) {
          const text = '---\\ntitle: ' + open.repeat(8000 / open.length) + '\\n---\\n# T\\n';
          for (let i = 0; i < 5; i++) process.stdout.write(parsePlanFile('plans/a.md', text).problem + '\\n');
        }`;
      const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      assert.strictEqual(run.status, 0, run.stderr.slice(0, 500));
      const lines = run.stdout.trim().split('\n');
      assert.strictEqual(lines.length, 15);
      for (const line of lines) assert.match(line, /nests deeper than 32 levels|not valid YAML/);
    });

    it('knows finished statuses', () => {
      for (const s of ['done', 'Done', 'completed', 'closed', 'cancelled', 'merged', 'wontfix']) {
        assert.ok(isFinishedStatus(s), s);
      }
      for (const s of [undefined, 'todo', 'in_progress', 'in progress', 'blocked']) {
        assert.ok(!isFinishedStatus(s), String(s));
      }
    });
  });

  describe('on disk', () => {
    it('reads files with their problems, refusing symlinks and huge files', () =>
      withTempDir(async (dir) => {
        writeFiles(dir, { 'plans/ok.md': '---\nid: 3\n---\n# Three\n', 'plans/bad.json': '{', 'real/x.md': '# X\n' });
        fs.writeFileSync(path.join(dir, 'plans', 'huge.md'), `# H\n${'x'.repeat(1024 * 1024)}`);
        fs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'plans', 'dirlink'));
        const all = await loadPlanFiles(dir, DEFAULT_PLAN_FILE_PATTERNS);
        assert.deepStrictEqual(
          all.map((f) => [f.file, f.id, f.title, !!f.problem]),
          [
            ['plans/bad.json', undefined, undefined, true],
            ['plans/huge.md', undefined, undefined, true],
            ['plans/ok.md', '3', 'Three', false],
          ],
        );
        assert.match((await readPlanFile(dir, 'plans/huge.md')).problem ?? '', /at most 1048576 bytes/);
        assert.match((await readPlanFile(dir, 'plans/dirlink/x.md')).problem ?? '', /symlink/);
        assert.match((await readPlanFile(dir, '../x.md')).problem ?? '', /inside the repository/);
      }));
  });

  describe('starting a plan from a file', () => {
    it('creates the plan with the id and title of the file and records the file', () =>
      withRepo(async (repo) => {
        writeFiles(repo.main, { 'plans/42-login.md': '---\nid: 42\ntitle: Fix the login\nstatus: todo\n---\n' });
        git(repo.main, 'add', '-A');
        git(repo.main, 'commit', '-qm', 'plan');
        const engine = await PlanEngine.open(repo.main, { git: new Git() });
        const [file] = await loadPlanFiles(repo.main, DEFAULT_PLAN_FILE_PATTERNS);
        const plan = await engine.create(planFromFile(file));
        assert.strictEqual(plan.id, '42');
        assert.strictEqual(plan.title, 'Fix the login');
        assert.strictEqual(plan.planFile, 'plans/42-login.md');
        assert.strictEqual(plan.branch, 'plan/42-fix-the-login');
      }));

    it('creates nothing for a file with a hostile id or title', () =>
      withRepo(async (repo) => {
        writeFiles(repo.main, {
          'plans/evil.md': '---\nid: "../../../tmp/x"\ntitle: "ok"\n---\n',
          'plans/evil2.json': '{"id": "-b", "title": "x\\u001b]0;pwned\\u0007"}',
        });
        git(repo.main, 'add', '-A');
        git(repo.main, 'commit', '-qm', 'plans');
        const engine = await PlanEngine.open(repo.main, { git: new Git() });
        const before = fingerprint(repo.main);
        const files = await loadPlanFiles(repo.main, DEFAULT_PLAN_FILE_PATTERNS);
        assert.deepStrictEqual(
          files.map((f) => f.file).sort(),
          ['plans/evil.md', 'plans/evil2.json'],
          'both hostile files are found (each must be refused, not skipped)',
        );
        for (const file of files) {
          assert.ok(file.problem, `${file.file} is not shown as one that cannot be started`);
          assert.throws(
            () => planFromFile(file),
            (e: unknown) => isError(e, ErrorCode.InvalidName),
            `${file.file} starts a plan`,
          );
        }
        assert.strictEqual(fingerprint(repo.main), before);
        assert.deepStrictEqual(await engine.history(), []);
        assert.ok(!fs.existsSync(path.join(repo.root, 'repo.plans')));
      }));
  });
});
