import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { leavePendingSetup, takePendingSetup } from '../../../../src/model/store/pendingSetup';
import { makeTempDir, removeDir } from '../../helpers/repo';

describe('pending setup command', () => {
  it('is taken exactly once by the plan window', async () => {
    const dir = makeTempDir();
    try {
      await leavePendingSetup(dir, '189', 'npm install');
      const takes = await Promise.all([
        takePendingSetup(dir, '189'),
        takePendingSetup(dir, '189'),
        takePendingSetup(dir, '189'),
      ]);
      assert.deepStrictEqual(takes.filter(Boolean), ['npm install']);
      assert.strictEqual(await takePendingSetup(dir, '189'), undefined);
      assert.deepStrictEqual(fs.readdirSync(path.join(dir, 'plan-worktrees', 'setup')), []);
    } finally {
      removeDir(dir);
    }
  });

  it('keeps an id with odd characters inside the setup folder', async () => {
    const dir = makeTempDir();
    try {
      await leavePendingSetup(dir, '../../escape', 'echo hi');
      assert.deepStrictEqual(fs.readdirSync(path.join(dir, 'plan-worktrees', 'setup')), ['..%2F..%2Fescape.json']);
      assert.strictEqual(await takePendingSetup(dir, '../../escape'), 'echo hi');
    } finally {
      removeDir(dir);
    }
  });
});
