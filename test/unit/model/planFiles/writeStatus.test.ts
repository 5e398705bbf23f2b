import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, isError } from '../../../../src/git/errors';
import { withStatus, writePlanFileStatus } from '../../../../src/model/planFiles/writeStatus';
import { withTempDir, writeFiles } from '../../helpers/repo';

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
  });
});
