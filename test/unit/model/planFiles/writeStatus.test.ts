import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, isError, PlanError } from '../../../../src/model/engine/errors';
import { MAX_FRONT_MATTER_BYTES, MAX_FRONT_MATTER_DEPTH } from '../../../../src/model/planFiles/parse';
import { MAX_JSON_DEPTH, withStatus, writePlanFileStatus } from '../../../../src/model/planFiles/writeStatus';
import { parse as parseYaml } from 'yaml';
import { withTempDir, writeFiles } from '../../helpers/repo';

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
