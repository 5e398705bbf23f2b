import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { EventLog, MAX_READ_BYTES, ROTATE_BYTES } from '../../../../src/model/store/events';
import { makeTempDir, removeDir } from '../../helpers/repo';

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
      assert.strictEqual(
        path.relative(path.dirname(path.dirname(log.file)), log.file),
        path.join('plan-worktrees', 'events.jsonl'),
      );
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
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          new EventLog(path.dirname(path.dirname(log.file))).append({ type: 'keep', planId: String(i) }),
        ),
      );
      const ids = (await log.read()).map((e) => Number(e.planId)).sort((a, b) => a - b);
      assert.deepStrictEqual(
        ids,
        Array.from({ length: 50 }, (_, i) => i),
      );
    }));

  it('reads a huge log only from its end, in bounded pieces: the newest events, fast', () =>
    withLog(async (log) => {
      fs.mkdirSync(path.dirname(log.file), { recursive: true });
      const line =
        JSON.stringify({ type: 'keep', planId: 'old', time: '2020-01-01T00:00:00.000Z', padding: 'x'.repeat(200) }) +
        '\n';
      const size = 100 * 1024 * 1024;
      const block = Buffer.from(line.repeat(Math.ceil((4 * 1024 * 1024) / line.length)));
      const fd = fs.openSync(log.file, 'w');
      for (let written = 0; written < size; written += block.length) fs.writeSync(fd, block);
      fs.closeSync(fd);
      await log.append({ type: 'create.after', planId: 'new' });
      const started = Date.now();
      const events = await log.read();
      const elapsed = Date.now() - started;
      assert.strictEqual(events.at(-1)?.planId, 'new', 'the newest event is read');
      assert.ok(
        events.length <= Math.ceil(MAX_READ_BYTES / line.length) + 1,
        `${events.length} events read: more than ${MAX_READ_BYTES} bytes`,
      );
      assert.ok(events.length > 1000, 'older events are read too, up to the bound');
      // Since a time: only the piece at the end is read.
      assert.deepStrictEqual(
        (await log.read({ since: Date.now() - 60_000 })).map((e) => e.planId),
        ['new'],
      );
      assert.ok(elapsed < 2_000, `reading took ${elapsed} ms`);
    }));

  it('rotates the log past ROTATE_BYTES: the old part goes to events.1.jsonl, nothing is lost, history reads across both', () =>
    withLog(async (log) => {
      fs.mkdirSync(path.dirname(log.file), { recursive: true });
      const line =
        JSON.stringify({ type: 'keep', planId: 'before', time: new Date().toISOString(), padding: 'x'.repeat(200) }) +
        '\n';
      fs.writeFileSync(log.file, line.repeat(Math.ceil(ROTATE_BYTES / line.length)));
      const before = fs.readFileSync(log.file);
      await log.append({ type: 'create.after', planId: 'last of the old' });
      assert.ok(!fs.existsSync(log.file) || fs.statSync(log.file).size === 0, 'a new events.jsonl starts');
      assert.deepStrictEqual(
        fs.readFileSync(log.olderFile).subarray(0, before.length),
        before,
        'the old part is in events.1.jsonl, byte for byte',
      );
      await log.append({ type: 'create.after', planId: 'first of the new' });
      assert.ok(fs.statSync(log.file).size < 1000);
      const events = await log.read();
      assert.deepStrictEqual(
        events.slice(-3).map((e) => e.planId),
        ['before', 'last of the old', 'first of the new'],
      );
      assert.strictEqual((await log.read('before')).length, Math.ceil(ROTATE_BYTES / line.length));
      // Racing appends across a rotation: every line is in one of the two files.
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          new EventLog(path.dirname(path.dirname(log.file))).append({ type: 'keep', planId: `race-${i}` }),
        ),
      );
      const ids = new Set((await log.read()).map((e) => e.planId));
      for (let i = 0; i < 30; i++) assert.ok(ids.has(`race-${i}`), `race-${i}`);
    }));
});
