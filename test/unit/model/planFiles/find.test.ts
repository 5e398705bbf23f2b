import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  DEFAULT_PLAN_FILE_PATTERNS,
  findPlanFiles,
  matchesPlanFilePatterns,
} from '../../../../src/model/planFiles/find';
import { withTempDir, writeFiles } from '../../helpers/repo';

describe('plan files: find', () => {
  it('finds plan files under the default globs, ignored ones too, never README, symlinks, node_modules or outside patterns', () =>
    withTempDir(async (dir) => {
      writeFiles(dir, {
        'plans/189-feature.md': '# F\n',
        'plans/sub/deep.json': '{"title": "D"}',
        'plans/README.md': '# About plans\n',
        'plans/notes.txt': 'x',
        '.plans/secret.md': '# S\n',
        'work-orders/wo-1.md': '# W\n',
        'docs/plan.md': '# not a plan folder\n',
        'tasks/node_modules/x.md': '# no\n',
        'outside/escape.md': '# E\n',
      });
      fs.symlinkSync(path.join(dir, 'outside'), path.join(dir, 'tasks', 'linked'));
      fs.symlinkSync(path.join(dir, 'outside', 'escape.md'), path.join(dir, 'plans', 'link.md'));
      const found = await findPlanFiles(dir, DEFAULT_PLAN_FILE_PATTERNS);
      assert.deepStrictEqual(found, [
        '.plans/secret.md',
        'plans/189-feature.md',
        'plans/sub/deep.json',
        'work-orders/wo-1.md',
      ]);
      assert.deepStrictEqual(
        await findPlanFiles(dir, ['../**/*.md', '/etc/**', 'C:/x/*.md']),
        [],
        'patterns leaving the root are left out',
      );
      assert.deepStrictEqual(await findPlanFiles(dir, ['**/plan.md']), ['docs/plan.md']);
      assert.ok(matchesPlanFilePatterns('plans/a/b.md', DEFAULT_PLAN_FILE_PATTERNS));
      assert.ok(!matchesPlanFilePatterns('src/a.md', DEFAULT_PLAN_FILE_PATTERNS));
    }));

  it('stops after a bounded number of entries', () =>
    withTempDir(async (dir) => {
      writeFiles(
        dir,
        Object.fromEntries(
          Array.from({ length: 50 }, (_, i) => [`plans/p${String(i).padStart(2, '0')}.md`, `# P${i}\n`]),
        ),
      );
      assert.strictEqual((await findPlanFiles(dir, DEFAULT_PLAN_FILE_PATTERNS, 10)).length, 10);
    }));
});
