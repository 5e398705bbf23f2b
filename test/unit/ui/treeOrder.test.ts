/**
 * src/ui/treeOrder.ts: the Plans view's order — main checkout, plans, other
 * worktrees, each in natural order — made with one collator for every
 * comparison (a collator per comparison held the extension host for some
 * 60 ms per read of 200 items).
 */
import * as assert from 'assert';
import type { PlanWorktree } from '../../../src/model/engine/planEngine';
import type { PlanRecord } from '../../../src/model/engine/types';
import { sortItems } from '../../../src/ui/treeOrder';

function entry(p: string, isMain = false): NonNullable<PlanWorktree['worktree']> {
  return { path: p, bare: false, detached: false, isMain };
}

function plan(id: string): PlanWorktree {
  const record = { id, run: 1, path: `/plans/${id}` } as PlanRecord;
  return { kind: 'plan', plan: record, worktree: entry(`/plans/${id}`) };
}

describe('the Plans view order (treeOrder)', () => {
  it('puts the main checkout first, then plans by id in natural order, then other worktrees by folder', () => {
    const items: PlanWorktree[] = [
      { kind: 'other', worktree: entry('/elsewhere/b') },
      plan('10'),
      plan('feature-b'),
      { kind: 'main', worktree: entry('/repo', true) },
      plan('2'),
      { kind: 'other', worktree: entry('/elsewhere/a') },
      plan('feature-a'),
      plan('1'),
    ];
    const order = sortItems(items).map((i) => i.plan?.id ?? i.worktree?.path);
    assert.deepStrictEqual(order, ['/repo', '1', '2', '10', 'feature-a', 'feature-b', '/elsewhere/a', '/elsewhere/b']);
    assert.strictEqual(items[0].kind, 'other', 'the given list is not reordered');
  });

  it('orders plan ids as a numeric localeCompare does', () => {
    const ids = ['a10', 'a2', 'A1', 'b', 'ä', 'z-3', 'z-20', '100', '99', 'Plan 7', 'plan 7', 'é1'];
    const expected = [...ids].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    assert.deepStrictEqual(
      sortItems(ids.map(plan)).map((i) => i.plan?.id),
      expected,
    );
  });

  it('sorts 200 plans without a collator per comparison (no localeCompare call)', () => {
    const items = Array.from({ length: 200 }, (_, i) => plan(String((i * 7919) % 200)));
    const original = String.prototype.localeCompare;
    let calls = 0;
    String.prototype.localeCompare = function (this: string, ...args: Parameters<typeof original>) {
      calls++;
      return original.apply(this, args);
    };
    let sorted: PlanWorktree[];
    try {
      sorted = sortItems(items);
    } finally {
      String.prototype.localeCompare = original;
    }
    assert.strictEqual(calls, 0, `localeCompare was called ${calls} times`);
    assert.deepStrictEqual(
      sorted.map((i) => i.plan?.id),
      Array.from({ length: 200 }, (_, i) => String(i)),
    );
  });
});
