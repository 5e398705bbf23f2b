/**
 * The rooms hold: the lint rules that keep git in src/git fail on a
 * deliberate violation (a model file that imports simple-git or the runner,
 * builds a git argument list, calls the runner or reads git's stderr; a UI
 * file that imports simple-git), and the code as it is passes them.
 */
import * as assert from 'assert';
import * as path from 'path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '..', '..', '..');

async function ruleHits(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layering: git lives in src/git', function () {
  this.timeout(60_000);

  it('refuses, in a model file, simple-git, the runner, a git argument list, a runner call and stderr', async () => {
    const hits = await ruleHits(
      'src/model/lifecycle/violation.ts',
      [
        "import { simpleGit } from 'simple-git';",
        "import { Git } from '../../git/runner';",
        'export async function bad(ctx: { git: Git }, e: { stderr?: string }): Promise<unknown> {',
        "  await ctx.git.run(['status'], { cwd: '.' });",
        "  return [simpleGit, /lock/.test(e.stderr ?? '')];",
        '}',
        '',
      ].join('\n'),
    );
    const joined = hits.join('\n');
    assert.match(joined, /no-restricted-imports: .*simple-git/);
    assert.match(joined, /no-restricted-imports: .*git\/runner|no-restricted-imports: .*src\/git\/commands/);
    assert.match(joined, /no-restricted-syntax: Run git through a command function/);
    assert.match(joined, /no-restricted-syntax: Build git argument lists/);
    assert.match(joined, /no-restricted-syntax: Git's stderr/);
  });

  it('refuses simple-git outside the module that starts git processes, in the UI and in other git files', async () => {
    for (const file of ['src/ui/violation.ts', 'src/git/commands/violation.ts', 'src/git/runner.ts']) {
      const hits = await ruleHits(file, "import { simpleGit } from 'simple-git';\nexport const x = simpleGit;\n");
      assert.match(hits.join('\n'), /no-restricted-imports: .*simple-git/, file);
    }
  });

  it('refuses vscode in src/git and src/model', async () => {
    for (const file of ['src/model/state/violation.ts', 'src/git/commands/violation.ts']) {
      const hits = await ruleHits(file, "import * as vscode from 'vscode';\nexport const x = vscode;\n");
      assert.match(hits.join('\n'), /no-restricted-imports: .*never import vscode/, file);
    }
  });

  it('lets a model file run git through src/git/commands', async () => {
    const hits = await ruleHits(
      'src/model/lifecycle/fine.ts',
      [
        "import { status } from '../../git/commands/status';",
        "import { GitAt } from '../../git/commands/git';",
        'export const read = (at: GitAt) => status(at);',
        '',
      ].join('\n'),
    );
    assert.deepStrictEqual(
      hits.filter((h) => /restricted/.test(h)),
      [],
    );
  });
});
