import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..', '..', '..');

describe('l10n bundle', () => {
  it('holds exactly the strings src/ passes to vscode.l10n.t (run "npm run l10n" after changing them)', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'plan-worktrees-l10n-'));
    try {
      execFileSync(
        process.execPath,
        [
          require.resolve('@vscode/l10n-dev/dist/cli.js', { paths: [root] }),
          'export',
          '--outDir',
          out,
          path.join(root, 'src'),
        ],
        { stdio: 'ignore' },
      );
      const fresh = JSON.parse(fs.readFileSync(path.join(out, 'bundle.l10n.json'), 'utf8')) as Record<string, string>;
      const committed = JSON.parse(fs.readFileSync(path.join(root, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<
        string,
        string
      >;
      assert.deepStrictEqual(Object.keys(committed).sort(), Object.keys(fresh).sort());
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
