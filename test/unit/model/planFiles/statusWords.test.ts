import * as assert from 'assert';
import { statusWordFor } from '../../../../src/model/planFiles/statusWords';
import { statusWords } from '../../../../src/model/planFiles/writeStatus';

describe('plan files: status words', () => {
  it('uses the task JSON convention for a JSON file: pending → in_progress → completed', () => {
    for (const words of [['pending'], [], ['pending', 'completed'], ['blocked']]) {
      assert.strictEqual(statusWordFor('started', words, 'json'), 'in_progress', words.join());
      assert.strictEqual(statusWordFor('finished', words, 'json'), 'completed', words.join());
    }
  });

  it('uses the Markdown convention for a Markdown plan: todo → in_progress → done', () => {
    for (const words of [['todo'], [], ['draft'], ['blocked']]) {
      assert.strictEqual(statusWordFor('started', words, 'markdown'), 'in_progress', words.join());
      assert.strictEqual(statusWordFor('finished', words, 'markdown'), 'done', words.join());
    }
  });

  it("takes a word the file already uses for the step, as written, the file's own status first", () => {
    assert.strictEqual(statusWordFor('finished', ['pending', 'done'], 'json'), 'done', 'a subtask that says done');
    assert.strictEqual(statusWordFor('finished', ['todo', 'completed'], 'markdown'), 'completed');
    assert.strictEqual(statusWordFor('started', ['todo', 'doing', 'done'], 'markdown'), 'doing');
    assert.strictEqual(statusWordFor('started', ['Todo', 'In Progress'], 'json'), 'In Progress');
    assert.strictEqual(statusWordFor('finished', ['open', 'resolved', 'closed'], 'json'), 'resolved');
  });

  it("otherwise takes the word of the convention the file's words belong to, in the file's case", () => {
    assert.strictEqual(statusWordFor('finished', ['todo'], 'json'), 'done', 'todo is the Markdown convention');
    assert.strictEqual(statusWordFor('finished', ['pending'], 'markdown'), 'completed', 'pending is task JSON');
    assert.strictEqual(statusWordFor('finished', ['pending', 'in-progress'], 'json'), 'done', 'Task Master');
    assert.strictEqual(statusWordFor('started', ['Todo', 'Done'], 'json'), 'In Progress', 'a board');
    assert.strictEqual(statusWordFor('started', ['Todo'], 'markdown'), 'In Progress');
    assert.strictEqual(statusWordFor('finished', ['Pending'], 'json'), 'Completed');
    assert.strictEqual(statusWordFor('started', ['TODO'], 'markdown'), 'IN_PROGRESS');
    assert.strictEqual(statusWordFor('started', ['todo', 'doing'], 'markdown'), 'doing');
    assert.strictEqual(statusWordFor('finished', ['todo', 'doing'], 'markdown'), 'done', 'kanban');
    assert.strictEqual(statusWordFor('finished', ['open'], 'json'), 'done', 'open: the Markdown convention first');
    assert.strictEqual(statusWordFor('finished', ['in_progress'], 'json'), 'completed');
    assert.strictEqual(statusWordFor('started', ['Blocked'], 'json'), 'in_progress', 'an unknown word tells no case');
  });

  it("reads the file's status words: its own first, then nested ones; none from a file it cannot read", () => {
    assert.deepStrictEqual(
      statusWords('{"steps": [{"status": "completed"}], "status": "pending", "n": {"status": 3}}', 'json'),
      ['pending', 'completed'],
    );
    assert.deepStrictEqual(statusWords('---\nsubtasks:\n  - status: done\nstatus: todo\n---\n# T\n', 'markdown'), [
      'todo',
      'done',
    ]);
    assert.deepStrictEqual(statusWords('{"status": ', 'json'), []);
    assert.deepStrictEqual(statusWords('---\nstatus: [\n---\n', 'markdown'), []);
    assert.deepStrictEqual(statusWords('# No front matter\n', 'markdown'), []);
  });
});
