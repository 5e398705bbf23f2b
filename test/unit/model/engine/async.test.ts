import * as assert from 'assert';
import { mock } from 'node:test';
import {
  allInOrder,
  debounce,
  mapInTurns,
  OperationQueue,
  sequentialize,
  throttle,
} from '../../../../src/model/engine/async';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise whose resolution the test controls. */
function gate(): { promise: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('async helpers', () => {
  describe('mapInTurns', () => {
    it('maps every item in order, a part of `size` items per turn of the event loop', async () => {
      const items = Array.from({ length: 7 }, (_, i) => i);
      // Each item notes how many immediates scheduled at the start have run by then.
      let turns = 0;
      const tick = (): void => {
        turns++;
        if (turns < 10) setImmediate(tick);
      };
      setImmediate(tick);
      const seen: number[] = [];
      const results = await mapInTurns(items, 3, (item, index) => {
        assert.strictEqual(item, index);
        seen.push(turns);
        return item * 10;
      });
      assert.deepStrictEqual(results, [0, 10, 20, 30, 40, 50, 60]);
      assert.deepStrictEqual(
        [seen.slice(0, 3), seen.slice(3, 6), seen.slice(6)].map((part) => new Set(part).size),
        [1, 1, 1],
        'a part runs in one turn',
      );
      assert.ok(seen[0] < seen[3] && seen[3] < seen[6], `the event loop turns between the parts: ${seen.join(' ')}`);
    });

    it('runs a list no longer than `size` in the turn it was called in', async () => {
      let turned = false;
      setImmediate(() => (turned = true));
      const seen = await mapInTurns([1, 2, 3], 3, () => turned);
      assert.deepStrictEqual(seen, [false, false, false]);
    });
  });

  it('debounce calls once, with the last arguments, after the calls stop', () => {
    // The clock is Node's mock: the test says when time passes, so a busy machine cannot make a pause look longer.
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const calls: number[] = [];
      const fn = debounce((n: number) => calls.push(n), 20);
      fn(1);
      fn(2);
      mock.timers.tick(5);
      fn(3);
      mock.timers.tick(19);
      assert.deepStrictEqual(calls, [], 'a call within 20 ms of the last one waits');
      mock.timers.tick(1);
      assert.deepStrictEqual(calls, [3]);
      mock.timers.tick(100);
      assert.deepStrictEqual(calls, [3], 'once');
      fn(4);
      fn.cancel();
      mock.timers.tick(100);
      assert.deepStrictEqual(calls, [3], 'a cancelled call never comes');
    } finally {
      mock.timers.reset();
    }
  });

  it('throttle runs one at a time and folds a burst into one more run', async () => {
    let runs = 0;
    let running = 0;
    const gates = [gate(), gate()];
    const refresh = throttle(async () => {
      const run = runs++;
      running++;
      assert.strictEqual(running, 1, 'two runs at once');
      await gates[run].promise;
      running--;
      return run;
    });
    const first = refresh();
    const second = refresh();
    const third = refresh();
    assert.strictEqual(second, third, 'calls during a run share the next run');
    gates[0].open();
    assert.strictEqual(await first, 0);
    gates[1].open();
    assert.deepStrictEqual(await Promise.all([second, third]), [1, 1]);
    assert.strictEqual(runs, 2);
  });

  it('throttle starts again after a failed run', async () => {
    let fail = true;
    const refresh = throttle(async () => {
      if (fail) throw new Error('first fails');
      return 'ok';
    });
    const first = refresh();
    const second = refresh();
    fail = false;
    await assert.rejects(first, /first fails/);
    assert.strictEqual(await second, 'ok');
  });

  it('sequentialize runs calls one after another in call order, past failures', async () => {
    const log: string[] = [];
    const slow = sequentialize(async (name: string, ms: number) => {
      log.push(`start ${name}`);
      await delay(ms);
      if (name === 'b') throw new Error('b failed');
      log.push(`end ${name}`);
      return name;
    });
    const results = await Promise.allSettled([slow('a', 20), slow('b', 1), slow('c', 1)]);
    assert.deepStrictEqual(log, ['start a', 'end a', 'start b', 'start c', 'end c']);
    assert.deepStrictEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
  });

  it('allInOrder runs everything at once, waits for all, and throws the first failure in the order given', async () => {
    const log: string[] = [];
    const step = async <T>(name: string, ms: number, value: T, fail = false): Promise<T> => {
      log.push(`start ${name}`);
      await delay(ms);
      log.push(`end ${name}`);
      if (fail) throw new Error(`${name} failed`);
      return value;
    };
    const [a, b, c] = await allInOrder([step('a', 15, 1), step('b', 1, 'two'), undefined]);
    assert.deepStrictEqual([a, b, c], [1, 'two', undefined]);
    assert.deepStrictEqual(log, ['start a', 'start b', 'end b', 'end a']);

    log.length = 0;
    // The later one fails first in time, the earlier one is reported; and the slowest is still awaited.
    await assert.rejects(allInOrder([step('x', 10, 0, true), step('y', 1, 0, true), step('z', 25, 0)]), /x failed/);
    assert.deepStrictEqual(log, ['start x', 'start y', 'start z', 'end y', 'end x', 'end z']);
  });

  it('OperationQueue runs operations in order, one at a time; a failure does not block the next', async () => {
    const queue = new OperationQueue();
    const log: string[] = [];
    const g = gate();
    const started = gate();
    const first = queue.run('create', async () => {
      log.push('create');
      started.open();
      await g.promise;
      throw new Error('create failed');
    });
    const second = queue.run('merge', async () => {
      log.push('merge');
      return 'merged';
    });
    await started.promise;
    assert.strictEqual(queue.current, 'create');
    assert.strictEqual(queue.size, 2);
    assert.deepStrictEqual(log, ['create']);
    g.open();
    await assert.rejects(first, /create failed/);
    assert.strictEqual(await second, 'merged');
    await queue.idle();
    assert.strictEqual(queue.size, 0);
    assert.strictEqual(queue.current, undefined);
    assert.deepStrictEqual(log, ['create', 'merge']);
  });
});
