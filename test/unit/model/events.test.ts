import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { EventLog } from '../../../src/model/events';
import { makeTempDir, removeDir } from '../helpers/repo';

async function withLog(body: (log: EventLog) => Promise<void>): Promise<void> {
  const dir = makeTempDir('pw-events-');
  try {
    await body(new EventLog(dir));
  } finally {
    removeDir(dir);
  }
}

describe('EventLog', () => {
  it('appends one stamped JSON line per event to plan-worktrees/events.jsonl', () =>
    withLog(async (log) => {
      assert.deepStrictEqual(await log.read(), []);
      await log.append({ type: 'create.before', planId: '1', branch: 'plan/1-x' });
      await log.append({ type: 'create.after', planId: '1', path: '/p' });
      assert.strictEqual(path.relative(path.dirname(path.dirname(log.file)), log.file), path.join('plan-worktrees', 'events.jsonl'));
      const lines = fs.readFileSync(log.file, 'utf8').split('\n');
      assert.strictEqual(lines.length, 3);
      assert.strictEqual(lines[2], '');
      const events = await log.read();
      assert.deepStrictEqual(
        events.map((e) => [e.type, e.planId]),
        [
          ['create.before', '1'],
          ['create.after', '1'],
        ],
      );
      assert.ok(!Number.isNaN(Date.parse(events[0].time)));
      assert.strictEqual(events[1].path, '/p');
    }));

  it('filters by plan', () =>
    withLog(async (log) => {
      await log.append({ type: 'create.after', planId: '1' });
      await log.append({ type: 'create.after', planId: '2' });
      await log.append({ type: 'remove.after', planId: '1' });
      assert.deepStrictEqual(
        (await log.read('1')).map((e) => e.type),
        ['create.after', 'remove.after'],
      );
    }));

  it('skips a torn line and keeps the events written after it', () =>
    withLog(async (log) => {
      await log.append({ type: 'create.before', planId: '1' });
      fs.appendFileSync(log.file, '{"type":"create.after","pla');
      await log.append({ type: 'create.failed', planId: '1' });
      assert.deepStrictEqual(
        (await log.read()).map((e) => e.type),
        ['create.before', 'create.failed'],
      );
    }));

  it('keeps every line when many appends race', () =>
    withLog(async (log) => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => new EventLog(path.dirname(path.dirname(log.file))).append({ type: 'keep', planId: String(i) })));
      const ids = (await log.read()).map((e) => Number(e.planId)).sort((a, b) => a - b);
      assert.deepStrictEqual(ids, Array.from({ length: 50 }, (_, i) => i));
    }));
});
