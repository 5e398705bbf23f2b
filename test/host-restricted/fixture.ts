/**
 * The repository the Restricted Mode suite opens: a plan made while trusted,
 * then every program a repository can name for git to start, each a script
 * that appends its own name to a log. The runner (scripts/run-host-tests.js)
 * calls `prepare` on plain Node before the window opens; the suite then
 * checks that the log stays empty until the folder is trusted.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Git } from '../../src/git/runner';
import { leavePendingSetup } from '../../src/model/store/pendingSetup';
import { PlanEngine } from '../../src/model/engine/planEngine';

/** Hooks git runs for the commands Plan Worktrees uses (create, commit, merge, publish, rebase). */
const HOOKS = [
  'post-checkout',
  'pre-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'pre-merge-commit',
  'post-merge',
  'pre-push',
  'pre-rebase',
  'post-rewrite',
  'reference-transaction',
  'pre-auto-gc',
  'post-index-change',
];

export const PLAN_ID = '1';
export const PLAN_TITLE = 'Hostile repository';

export async function prepare(workspace: string): Promise<{ folder: string; env: Record<string, string> }> {
  const work = path.dirname(workspace);
  const log = path.join(work, 'programs-that-ran.log');
  const setupLog = path.join(work, 'setup-ran.log');
  const engine = await PlanEngine.open(workspace, { git: new Git() });
  const plan = await engine.create({ id: PLAN_ID, title: PLAN_TITLE });
  fs.writeFileSync(path.join(plan.path, 'src', 'app.js'), 'export const changed = true;\n');
  // The window that created the plan left its setup command for the plan's window, which is this one.
  await leavePendingSetup(engine.repo.commonDir, plan.id, `printf '%s\\n' "$PLAN_WORKTREES_ID" >> '${setupLog}'`);

  const bin = path.join(work, 'bin');
  fs.mkdirSync(path.join(bin, 'hooks'), { recursive: true });
  const program = (name: string, then = 'exit 0') => {
    const file = path.join(bin, name);
    fs.writeFileSync(file, `#!/bin/sh\necho ${name} >> '${log}'\n${then}\n`, { mode: 0o755 });
    return file;
  };
  for (const hook of HOOKS) fs.renameSync(program(hook), path.join(bin, 'hooks', hook));
  const remote = path.join(work, 'remote.git');
  execFileSync('git', ['clone', '-q', '--bare', workspace, remote]);
  const config: Array<[string, string]> = [
    ['core.fsmonitor', program('fsmonitor', 'exit 1')],
    ['core.hooksPath', path.join(bin, 'hooks')],
    ['filter.x.clean', program('filter-clean', 'cat')],
    ['filter.x.smudge', program('filter-smudge', 'cat')],
    ['filter.x.required', 'false'],
    ['diff.x.textconv', program('textconv', 'cat "$1"')],
    ['merge.x.driver', `${program('merge-driver', 'exit 1')} %O %A %B`],
    ['diff.external', program('diff-external')],
    ['core.sshCommand', program('ssh', 'exit 1')],
    ['core.editor', program('editor')],
    ['core.pager', program('pager', 'cat')],
    ['sequence.editor', program('sequence-editor')],
    ['gpg.program', program('gpg', 'exit 1')],
    ['commit.gpgSign', 'true'],
    ['credential.helper', program('credential')],
    ['remote.origin.url', remote],
    ['remote.origin.fetch', '+refs/heads/*:refs/remotes/origin/*'],
    ['remote.origin.uploadpack', program('upload-pack', 'exit 1')],
    ['remote.origin.receivepack', program('receive-pack', 'exit 1')],
    ['branch.main.remote', 'origin'],
    ['branch.main.merge', 'refs/heads/main'],
  ];
  for (const [key, value] of config) execFileSync('git', ['config', key, value], { cwd: workspace });
  fs.mkdirSync(path.join(engine.repo.commonDir, 'info'), { recursive: true });
  fs.writeFileSync(path.join(engine.repo.commonDir, 'info', 'attributes'), '* filter=x diff=x merge=x\n');
  return { folder: plan.path, env: { PLAN_WORKTREES_PROGRAM_LOG: log, PLAN_WORKTREES_SETUP_LOG: setupLog } };
}
