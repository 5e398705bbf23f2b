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

  it("is each run's own: the window of run 1 does not take the command left for run 2 of the same plan", async () => {
    const dir = makeTempDir();
    try {
      await leavePendingSetup(dir, { id: '7', run: 2 }, 'npm ci');
      assert.strictEqual(await takePendingSetup(dir, { id: '7', run: 1 }), undefined);
      assert.strictEqual(await takePendingSetup(dir, '7'), undefined);
      assert.strictEqual(await takePendingSetup(dir, { id: '7', run: 2 }), 'npm ci');
      await leavePendingSetup(dir, { id: '7', run: 1 }, 'npm install');
      assert.deepStrictEqual(
        fs.readdirSync(path.join(dir, 'plan-worktrees', 'setup')),
        ['7.json'],
        'run 1 keeps its name',
      );
    } finally {
      removeDir(dir);
    }
  });
});
