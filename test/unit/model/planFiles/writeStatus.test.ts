import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, isError, PlanError } from '../../../../src/model/engine/errors';
import { MAX_FRONT_MATTER_BYTES, MAX_FRONT_MATTER_DEPTH } from '../../../../src/model/planFiles/parse';
import { PlanEngine } from '../../../../src/model/engine/planEngine';
import { Git } from '../../../../src/git/runner';
import {
  boundSteps,
  MAX_JSON_DEPTH,
  withStatus,
  withStep,
  writePlanFileStatus,
  writePlanFileStep,
} from '../../../../src/model/planFiles/writeStatus';
import { parse as parseYaml } from 'yaml';
import { commitFiles, withRepo, withTempDir, writeFiles } from '../../helpers/repo';

/** A front matter as people write it: comments, both quotes, folded, literal and multi-line plain values, nested and unknown fields. */
const FRONT_MATTER = [
  '---',
  '# Plan 42, written by hand',
  'id: 42 # the tracker number',
  "title: 'It''s the \"login\" fix'",
  'summary: >',
  '  folded text',
  '  over two lines',
  'notes: |',
  '  keep',
  '    this indentation',
  'owner:',
  '  name: ana   # who',
  '  team: [web, "api"]',
  'status: todo',
  'long: a plain value',
  '  that goes on',
  '"quoted key": x',
  'reviewers:',
  '- bo',
  '- cy # later',
  '---',
  '',
  '# Body',
  '',
].join('\n');

/** A task JSON as people write it: comments, trailing commas, odd indentation and spacing. */
const TASK_JSON = [
  '{',
  '    // Task 7, by hand',
  '  "id": 7,   /* the tracker number */',
  '      "title" :"Ship it",',
  '  "steps": [',
  '    "a",',
  '    "b",',
  '  ],',
  '  "owner": "ana", // who',
  '}',
  '',
].join('\n');

/** The front matter's fields, read by the yaml library. */
function frontMatterFields(text: string): unknown {
  return parseYaml(text.split(/^---$/m)[1]);
}

/** Whether `e` is the typed error for a plan file whose status is not written, and what is wrong with the file. */
function notWritten(e: unknown, problem: RegExp = /./): boolean {
  if (!(e instanceof PlanError) || !isError(e, ErrorCode.InvalidName)) return false;
  const data = e.data as { reason: string; problem?: string };
  return data.reason === 'planFileNotEditable' && problem.test(data.problem ?? '');
}

describe('plan files: write status', () => {
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
    it('keeps comments, quoting, multi-line values and unknown fields of the front matter byte for byte', () => {
      const replaced = withStatus(FRONT_MATTER, 'markdown', 'done');
      assert.strictEqual(replaced, FRONT_MATTER.replace('\nstatus: todo\n', '\nstatus: done\n'));
      assert.deepStrictEqual(frontMatterFields(replaced), {
        ...(frontMatterFields(FRONT_MATTER) as object),
        status: 'done',
      });
      const crlf = FRONT_MATTER.replace(/\n/g, '\r\n');
      assert.strictEqual(withStatus(crlf, 'markdown', 'done'), crlf.replace('status: todo', 'status: done'));
      const without = FRONT_MATTER.replace('status: todo\n', '');
      assert.strictEqual(
        withStatus(without, 'markdown', 'in_progress'),
        without.replace('- cy # later\n---\n', '- cy # later\nstatus: in_progress\n---\n'),
      );
    });

    it('writes an empty status before its comment, indents it like the mapping, and quotes a status YAML would read as another type', () => {
      assert.strictEqual(
        withStatus('---\nstatus: # set later\ntitle: x\n---\n', 'markdown', 'done'),
        '---\nstatus: done # set later\ntitle: x\n---\n',
      );
      assert.strictEqual(
        withStatus('---\n  id: 1\n  title: x\n---\n', 'markdown', 'done'),
        '---\n  id: 1\n  title: x\n  status: done\n---\n',
      );
      assert.strictEqual(withStatus('---\nstatus: todo\n---\n', 'markdown', 'null'), '---\nstatus: "null"\n---\n');
      assert.strictEqual(withStatus('---\nid: 1\n---\n', 'markdown', '1'), '---\nid: 1\nstatus: "1"\n---\n');
      assert.strictEqual(
        withStatus('---\r# c\rid: 1\rstatus: todo\r---\r# T\r', 'markdown', 'done'),
        '---\r# c\rid: 1\rstatus: done\r---\r# T\r',
        'a front matter with lone CR line endings',
      );
    });

    it('keeps the comments, trailing commas and odd indentation of a task JSON', () => {
      assert.strictEqual(
        withStatus(TASK_JSON, 'json', 'done'),
        TASK_JSON.replace('"owner": "ana", // who\n', '"owner": "ana", // who\n  "status": "done",\n'),
        'the new member after the comment of the last, with a trailing comma as the last had',
      );
      const noTrailingComma = TASK_JSON.replace('"owner": "ana", // who', '"owner": "ana" // who');
      assert.strictEqual(
        withStatus(noTrailingComma, 'json', 'done'),
        noTrailingComma.replace('"owner": "ana" // who\n', '"owner": "ana", // who\n  "status": "done"\n'),
        'the comma after the last member, before its comment',
      );
      const withStatusFirst = TASK_JSON.replace('  "id": 7,', '  "status": "todo",\n  "id": 7,');
      assert.strictEqual(
        withStatus(withStatusFirst, 'json', 'in_progress'),
        withStatusFirst.replace('"status": "todo"', '"status": "in_progress"'),
      );
      assert.strictEqual(
        withStatus('\uFEFF{\r\n\t"title": "x"\r\n}\r\n', 'json', 'done'),
        '\uFEFF{\r\n\t"title": "x",\r\n\t"status": "done"\r\n}\r\n',
      );
    });

    it('refuses with InvalidName what it cannot read or would read differently afterwards', () => {
      const cases: Array<[string, 'markdown' | 'json', RegExp]> = [
        ['---\ntitle: Fix: the login\nstatus: todo\n---\n', 'markdown', /not valid YAML \(line 2: /],
        ['---\ntitle: "\\q"\n---\n', 'markdown', /not valid YAML \(line 2: Invalid escape/],
        ['---\nstatus: todo\nstatus: doing\n---\n', 'markdown', /"status" appears 2 times/],
        ['---\nstatus: |\n  todo\n---\n', 'markdown', /not one line of text/],
        ['---\nstatus:\n  state: todo\n  by: ana\n---\n', 'markdown', /not one line of text/],
        ['---\nJust a paragraph\n---\n# T\n', 'markdown', /not a list of "key: value" fields/],
        ['---\n{id: 1, title: x}\n---\n', 'markdown', /would change how the rest/],
        ['{"title": "x"', 'json', /not valid JSON \(CloseBraceExpected at line 1\)/],
        ['{\n"title": "x",, }', 'json', /not valid JSON \(PropertyNameExpected at line 2\)/],
        ['["title"]', 'json', /not a JSON object/],
        ['{"title": "x", "status": {"state": "todo", "by": "ana"}}', 'json', /not a string or a number/],
        ['{"title": "x", "status": "a", "status": "b"}', 'json', /"status" appears 2 times/],
        [`---\nstatus: todo\nnotes: ${'x'.repeat(MAX_FRONT_MATTER_BYTES)}\n---\n`, 'markdown', /bytes long/],
        [`---\nstatus: todo\nt: ${'['.repeat(MAX_FRONT_MATTER_DEPTH + 1)}\n---\n`, 'markdown', /nests deeper/],
        [`{"status": "todo", "t": ${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}}`, 'json', /nests deeper/],
        [`{"status": "todo", "t": ${'['.repeat(100_000)}`, 'json', /nests deeper/],
      ];
      const deepest = `{"status": "todo", "t": ${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`;
      assert.strictEqual(withStatus(deepest, 'json', 'done'), deepest.replace('todo', 'done'));
      for (const [text, format, expected] of cases) {
        assert.throws(
          () => withStatus(text, format, 'done'),
          (e: unknown) => notWritten(e, expected),
          text,
        );
      }
    });
  });

  describe("withStep: the status in the file's words, and a task JSON's worktree", () => {
    const TASK = TASK_JSON.replace('  "id": 7,', '  "id": 7,\n  "status": "pending",');
    const WT = '/home/ana/repo.plans/7-ship-it';

    it('starts a task JSON: its own word for started, and a worktree member after the last, the rest byte for byte', () => {
      const started = withStep(TASK, 'json', { step: 'started', worktree: WT });
      assert.strictEqual(
        started,
        TASK.replace('"status": "pending"', '"status": "in_progress"').replace(
          '"owner": "ana", // who\n',
          `"owner": "ana", // who\n  "worktree": "${WT}",\n`,
        ),
      );
      // Started again (a later run): the member's value changes, nothing else.
      const again = withStep(started, 'json', { step: 'started', worktree: '/elsewhere/7-run-2' });
      assert.strictEqual(again, started.replace(WT, '/elsewhere/7-run-2'));
    });

    it('finishes a task JSON with "completed", or with the word a subtask of the same file uses', () => {
      const started = withStep(TASK, 'json', { step: 'started', worktree: WT });
      assert.strictEqual(
        withStep(started, 'json', { step: 'finished' }),
        started.replace('"status": "in_progress"', '"status": "completed"'),
      );
      const withDoneStep = '{\n  "title": "x",\n  "status": "pending",\n  "steps": [{ "status": "done" }]\n}\n';
      assert.strictEqual(
        withStep(withDoneStep, 'json', { step: 'finished' }),
        withDoneStep.replace('"status": "pending"', '"status": "done"'),
      );
      assert.strictEqual(
        withStep('{"title": "x", "status": "Todo"}', 'json', { step: 'started', worktree: 'C:\\w\\7' }),
        '{"title": "x", "status": "In Progress", "worktree": "C:\\\\w\\\\7"}',
        "a board's words; a Windows path escaped",
      );
    });

    it("removes the worktree member when that worktree is removed, giving back the file's bytes, and keeps one that names another", () => {
      const started = withStep(TASK, 'json', { step: 'started', worktree: WT });
      const finished = withStep(started, 'json', { step: 'finished' });
      assert.strictEqual(
        withStep(finished, 'json', { step: 'removed', worktree: WT }),
        TASK.replace('"status": "pending"', '"status": "completed"'),
      );
      assert.strictEqual(withStep(finished, 'json', { step: 'removed', worktree: '/other' }), finished);
      const noTrailingComma = '{\n  "title": "x",\n  "status": "pending" // s\n}\n';
      const on = withStep(noTrailingComma, 'json', { step: 'started', worktree: WT });
      assert.strictEqual(on, `{\n  "title": "x",\n  "status": "in_progress", // s\n  "worktree": "${WT}"\n}\n`);
      assert.strictEqual(
        withStep(on, 'json', { step: 'removed', worktree: WT }),
        noTrailingComma.replace('pending', 'in_progress'),
        'the comma written before the member goes with it',
      );
      const inline = `{"title": "x", "worktree": "${WT}", "id": 1}`;
      assert.strictEqual(withStep(inline, 'json', { step: 'removed', worktree: WT }), '{"title": "x", "id": 1}');
      assert.strictEqual(withStep('{"title": "x"}', 'json', { step: 'removed', worktree: WT }), '{"title": "x"}');
    });

    it('writes a Markdown plan\'s status only, in its words: "done" where it says done', () => {
      const md = '---\nid: 3\nstatus: todo\nsubtasks:\n  - status: done\n---\n# T\n';
      const started = withStep(md, 'markdown', { step: 'started', worktree: WT });
      assert.strictEqual(started, md.replace('status: todo', 'status: in_progress'));
      assert.strictEqual(
        withStep(started, 'markdown', { step: 'finished' }),
        md.replace('status: todo', 'status: done'),
      );
      assert.strictEqual(withStep(started, 'markdown', { step: 'removed', worktree: WT }), started);
      assert.strictEqual(
        withStep('---\nstatus: Pending\n---\n', 'markdown', { step: 'finished' }),
        '---\nstatus: Completed\n---\n',
      );
    });

    it('refuses with InvalidName a worktree member that is not a string, or given twice; the text is not changed', () => {
      for (const [text, expected] of [
        ['{"title": "x", "worktree": {"path": "/w"}}', /"worktree" in the plan file is not a string/],
        ['{"title": "x", "worktree": "/a", "worktree": "/b"}', /"worktree" appears 2 times/],
      ] as const) {
        assert.throws(
          () => withStep(text, 'json', { step: 'started', worktree: WT }),
          (e: unknown) => notWritten(e, expected),
          text,
        );
      }
    });
  });

  describe('on disk', () => {
    it('writes the status in place: the other bytes and the file mode unchanged, no temporary file left', () =>
      withTempDir(async (dir) => {
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
      withTempDir(async (dir) => {
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
    it('leaves a plan file it cannot read exactly as it was, with a typed InvalidName', () =>
      withTempDir(async (dir) => {
        const files: Record<string, string> = {
          'plans/yaml.md': '---\ntitle: Fix: the login\nstatus: todo\n---\n# T\n',
          'plans/twice.md': '---\nstatus: todo\nstatus: doing\n---\n',
          'plans/open.json': '{"title": "x", "status": "todo"',
          'plans/object.json': '{"title": "x", "status": {"state": "todo", "by": "ana"}}',
        };
        writeFiles(dir, files);
        for (const [file, text] of Object.entries(files)) {
          await assert.rejects(writePlanFileStatus(dir, file, 'done'), (e: unknown) => notWritten(e), file);
          assert.strictEqual(fs.readFileSync(path.join(dir, file), 'utf8'), text, file);
        }
        assert.deepStrictEqual(
          fs.readdirSync(path.join(dir, 'plans')).sort(),
          Object.keys(files)
            .map((f) => f.slice(6))
            .sort(),
        );
      }));

    it('binds a task JSON to a real plan: started with its worktree, the member gone when the plan is discarded', () =>
      withRepo(async (repo) => {
        const task = '{\n  // from the board\n  "id": "t7",\n  "title": "Ship it",\n  "status": "pending",\n}\n';
        commitFiles(repo.main, { '.gitignore': '.tasks/\n' }, 'Task files are not tracked');
        writeFiles(repo.main, { '.tasks/t7.json': task });
        const engine = await PlanEngine.open(repo.main, { git: new Git() });
        const since = Date.now() - 1000;
        const plan = await engine.create({ id: 't7', title: 'Ship it', planFile: '.tasks/t7.json' });
        const apply = async (): Promise<void> => {
          for (const { event, step } of boundSteps(await engine.historySince(since), since)) {
            if (step === 'removed') {
              await writePlanFileStep(repo.main, event.planFile as string, { step, worktree: event.path as string });
            } else if (step === 'started') {
              await writePlanFileStep(repo.main, '.tasks/t7.json', { step, worktree: plan.path });
            } else await writePlanFileStep(repo.main, '.tasks/t7.json', { step });
          }
        };
        await apply();
        const file = path.join(repo.main, '.tasks', 't7.json');
        assert.strictEqual(
          fs.readFileSync(file, 'utf8'),
          task.replace('"pending",\n', `"in_progress",\n  "worktree": ${JSON.stringify(plan.path)},\n`),
        );
        await engine.discard('t7');
        await apply();
        assert.ok(!fs.existsSync(plan.path));
        assert.strictEqual(
          fs.readFileSync(file, 'utf8'),
          task.replace('"pending"', '"in_progress"'),
          'the worktree member removed with the worktree; the status left as it was',
        );
      }));

    it('writes a task JSON with comments once, keeping them', () =>
      withTempDir(async (dir) => {
        writeFiles(dir, { 'tasks/7.json': TASK_JSON });
        assert.strictEqual(await writePlanFileStatus(dir, 'tasks/7.json', 'done'), 'changed');
        const written = fs.readFileSync(path.join(dir, 'tasks', '7.json'), 'utf8');
        assert.strictEqual(written, withStatus(TASK_JSON, 'json', 'done'));
        assert.strictEqual(await writePlanFileStatus(dir, 'tasks/7.json', 'done'), 'unchanged');
        assert.strictEqual(fs.readFileSync(path.join(dir, 'tasks', '7.json'), 'utf8'), written);
      }));
  });
});
