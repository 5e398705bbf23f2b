import * as assert from 'assert';
import * as path from 'path';
import { isInside } from '../../../../src/model/engine/paths';

describe('isInside', () => {
  const root = path.resolve('/repo/main');

  it('holds for the root itself and for what lies under it', () => {
    assert.strictEqual(isInside(root, root), true);
    assert.strictEqual(isInside(root, path.join(root, 'src', 'a.ts')), true);
    assert.strictEqual(isInside(root, path.join(root, '..file')), true);
  });

  it('does not hold for the parent, a sibling with the same prefix, or another tree', () => {
    assert.strictEqual(isInside(root, path.dirname(root)), false);
    assert.strictEqual(isInside(root, root + '-plan'), false);
    assert.strictEqual(isInside(root, path.join(root, '..', 'other', 'a.ts')), false);
    assert.strictEqual(isInside(root, path.resolve('/elsewhere')), false);
  });
});
