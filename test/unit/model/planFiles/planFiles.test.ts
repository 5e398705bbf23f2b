import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, isError } from '../../../../src/git/errors';
import { Git } from '../../../../src/git/runner';
import { PlanEngine } from '../../../../src/model/engine/planEngine';
import {
  DEFAULT_PLAN_FILE_PATTERNS,
  findPlanFiles,
  isFinishedStatus,
  loadPlanFiles,
  matchesPlanFilePatterns,
  parsePlanFile,
  planFromFile,
  readPlanFile,
  withStatus,
  writePlanFileStatus,
} from '../../../../src/model/planFiles/planFiles';
import { fingerprint, git, makeTempDir, removeDir, withRepo, writeFiles } from '../../helpers/repo';

async function withDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = makeTempDir('pw-planfiles-');
  try {
    return await body(dir);
  } finally {
    removeDir(dir);
  }
}

describe('plan files', () => {
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
          (e: unknown) => isError(e, ErrorCode.InvalidName) && (e as Error).message.includes(file),
        );
      }
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

  describe('withStatus', () => {
    it('replaces only the value of the front-matter status, keeping quotes, comments and line endings', () => {
      assert.strictEqual(
        withStatus('---\nid: 1\nstatus: todo\n---\n# T\n', 'markdown', 'in_progress'),
        '---\nid: 1\nstatus: in_progress\n---\n# T\n',
      );
      assert.strictEqual(
        withStatus('---\r\nstatus:  "todo"   # set by hand\r\n---\r\nbody', 'markdown', 'done'),
        '---\r\nstatus:  "done"   # set by hand\r\n---\r\nbody',
      );
      assert.strictEqual(withStatus("---\nstatus: 'to do'\n---\n", 'markdown', 'done'), "---\nstatus: 'done'\n---\n");
      assert.strictEqual(
        withStatus('---\nstatus:\ntitle: x\n---\n', 'markdown', 'done'),
        '---\nstatus: done\ntitle: x\n---\n',
      );
    });

    it('adds a status line before the closing fence, or a front matter when there is none', () => {
      assert.strictEqual(
        withStatus('---\nid: 1\n---\n# T\n', 'markdown', 'in_progress'),
        '---\nid: 1\nstatus: in_progress\n---\n# T\n',
      );
      assert.strictEqual(
        withStatus('\uFEFF# T\r\n\r\nText\r\n', 'markdown', 'in_progress'),
        '\uFEFF---\r\nstatus: in_progress\r\n---\r\n# T\r\n\r\nText\r\n',
      );
    });

    it('replaces only the value of a JSON status member, nested "status" members untouched', () => {
      const text =
        '{\n    "id": 7,\n    "steps": [{ "status": "todo" }],\n    "status" :"todo",\n    "meta": { "status": "x" }\n}\n';
      assert.strictEqual(withStatus(text, 'json', 'done'), text.replace('"status" :"todo"', '"status" :"done"'));
    });

    it('adds a JSON status member after the last one, indented like the first', () => {
      assert.strictEqual(
        withStatus('{\n  "id": 7,\n  "title": "x"\n}\n', 'json', 'in_progress'),
        '{\n  "id": 7,\n  "title": "x",\n  "status": "in_progress"\n}\n',
      );
      assert.strictEqual(withStatus('{"id":7,"title":"x"}', 'json', 'done'), '{"id":7,"title":"x", "status":"done"}');
      assert.strictEqual(withStatus('{}', 'json', 'done'), '{"status": "done"}');
      assert.strictEqual(
        withStatus('{ "title": "a \\" } b", "n": [1, {"x": "}"}] }', 'json', 'done'),
        '{ "title": "a \\" } b", "n": [1, {"x": "}"}], "status": "done" }',
      );
    });

    it('keeps the parse of everything else the same', () => {
      const text = '{"id": "9", "title": "T", "status": "todo", "deps": [1, 2], "notes": {"status": "n"}}';
      const before = JSON.parse(text);
      const after = JSON.parse(withStatus(text, 'json', 'done'));
      assert.deepStrictEqual(after, { ...before, status: 'done' });
    });
  });

  describe('on disk', () => {
    it('finds plan files under the default globs, ignored ones too, never README, symlinks, node_modules or outside patterns', () =>
      withDir(async (dir) => {
        writeFiles(dir, {
          'plans/189-feature.md': '# F\n',
          'plans/sub/deep.json': '{"title": "D"}',
          'plans/README.md': '# About plans\n',
          'plans/notes.txt': 'x',
          '.plans/secret.md': '# S\n',
          'work-orders/wo-1.md': '# W\n',
          'docs/plan.md': '# not a plan folder\n',
          'tasks/node_modules/x.md': '# no\n',
          'outside/escape.md': '# E\n',
        });
        fs.symlinkSync(path.join(dir, 'outside'), path.join(dir, 'tasks', 'linked'));
        fs.symlinkSync(path.join(dir, 'outside', 'escape.md'), path.join(dir, 'plans', 'link.md'));
        const found = await findPlanFiles(dir, DEFAULT_PLAN_FILE_PATTERNS);
        assert.deepStrictEqual(found, [
          '.plans/secret.md',
          'plans/189-feature.md',
          'plans/sub/deep.json',
          'work-orders/wo-1.md',
        ]);
        assert.deepStrictEqual(
          await findPlanFiles(dir, ['../**/*.md', '/etc/**', 'C:/x/*.md']),
          [],
          'patterns leaving the root are left out',
        );
        assert.deepStrictEqual(await findPlanFiles(dir, ['**/plan.md']), ['docs/plan.md']);
        assert.ok(matchesPlanFilePatterns('plans/a/b.md', DEFAULT_PLAN_FILE_PATTERNS));
        assert.ok(!matchesPlanFilePatterns('src/a.md', DEFAULT_PLAN_FILE_PATTERNS));
      }));

    it('stops after a bounded number of entries', () =>
      withDir(async (dir) => {
        writeFiles(
          dir,
          Object.fromEntries(
            Array.from({ length: 50 }, (_, i) => [`plans/p${String(i).padStart(2, '0')}.md`, `# P${i}\n`]),
          ),
        );
        assert.strictEqual((await findPlanFiles(dir, DEFAULT_PLAN_FILE_PATTERNS, 10)).length, 10);
      }));

    it('reads files with their problems, refusing symlinks and huge files', () =>
      withDir(async (dir) => {
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

    it('writes the status in place: the other bytes and the file mode unchanged, no temporary file left', () =>
      withDir(async (dir) => {
        const original = '---\ntitle: Ünïcode — plan\nstatus: todo\n---\n\n# Body\n\nText with trailing spaces   \n';
        writeFiles(dir, { 'plans/p.md': original, 'plans/q.json': '{\n\t"title": "Q"\n}' });
        fs.chmodSync(path.join(dir, 'plans', 'p.md'), 0o640);
        assert.strictEqual(await writePlanFileStatus(dir, 'plans/p.md', 'in_progress'), 'changed');
        assert.strictEqual(
          fs.readFileSync(path.join(dir, 'plans', 'p.md'), 'utf8'),
          original.replace('status: todo', 'status: in_progress'),
        );
        assert.strictEqual(fs.statSync(path.join(dir, 'plans', 'p.md')).mode & 0o777, 0o640);
        assert.strictEqual(await writePlanFileStatus(dir, 'plans/p.md', 'in_progress'), 'unchanged');
        await writePlanFileStatus(dir, 'plans/q.json', 'done');
        assert.strictEqual(
          fs.readFileSync(path.join(dir, 'plans', 'q.json'), 'utf8'),
          '{\n\t"title": "Q",\n\t"status": "done"\n}',
        );
        assert.deepStrictEqual(fs.readdirSync(path.join(dir, 'plans')).sort(), ['p.md', 'q.json']);
      }));

    it('refuses to write through a symlink, outside the root, or into a file that is not UTF-8', () =>
      withDir(async (dir) => {
        writeFiles(dir, { 'outside.md': '---\nstatus: todo\n---\n', 'plans/latin1.md': '' });
        fs.writeFileSync(path.join(dir, 'plans', 'latin1.md'), Buffer.from([0x23, 0x20, 0xe9, 0x0a]));
        fs.symlinkSync(path.join(dir, 'outside.md'), path.join(dir, 'plans', 'link.md'));
        await assert.rejects(writePlanFileStatus(dir, 'plans/link.md', 'done'), /symlink/);
        await assert.rejects(writePlanFileStatus(dir, '../outside.md', 'done'), (e: unknown) =>
          isError(e, ErrorCode.InvalidName),
        );
        await assert.rejects(writePlanFileStatus(dir, 'plans/latin1.md', 'done'), /not UTF-8/);
        assert.strictEqual(fs.readFileSync(path.join(dir, 'outside.md'), 'utf8'), '---\nstatus: todo\n---\n');
        assert.deepStrictEqual(
          fs.readFileSync(path.join(dir, 'plans', 'latin1.md')),
          Buffer.from([0x23, 0x20, 0xe9, 0x0a]),
        );
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
