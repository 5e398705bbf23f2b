/**
 * The workspace the multi-root suite opens: the runner's demo repository and
 * a second repository beside it (real git repositories), as the two folders
 * of a .code-workspace file. The runner (scripts/run-host-tests.js) calls
 * `prepare` on plain Node before the window opens.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** The second repository's folder name. */
export const SECOND = 'second-repo';

export function prepare(workspace: string): { workspaceFile: string } {
  const work = path.dirname(workspace);
  const second = path.join(work, SECOND);
  fs.mkdirSync(path.join(second, 'lib'), { recursive: true });
  fs.writeFileSync(path.join(second, 'README.md'), '# Second project\n');
  fs.writeFileSync(path.join(second, 'lib', 'index.js'), 'module.exports = 1;\n');
  fs.mkdirSync(path.join(second, 'plans'));
  fs.writeFileSync(
    path.join(second, 'plans', 'ship.md'),
    '---\nid: ship\ntitle: Ship it\n---\n\nShip the second project.\n',
  );
  const git = (...args: string[]) => execFileSync('git', args, { cwd: second, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Plan Worktrees Demo');
  git('config', 'user.email', 'demo@example.invalid');
  git('config', 'commit.gpgsign', 'false');
  git('add', '-A');
  git('commit', '-q', '-m', 'Initial commit');
  const workspaceFile = path.join(work, 'two.code-workspace');
  fs.writeFileSync(
    workspaceFile,
    JSON.stringify(
      {
        folders: [{ path: path.basename(workspace) }, { path: SECOND }],
        // A new plan stays where it is: the tests open it themselves.
        settings: { 'planWorktrees.openAfterCreate': 'none' },
      },
      null,
      2,
    ),
  );
  return { workspaceFile };
}
