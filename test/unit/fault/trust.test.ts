/**
 * Workspace trust on plain Node (the behaviour in a real untrusted window is
 * proven by the host tier's Restricted Mode suite, test/host-restricted):
 * - package.json declares limited support for untrusted workspaces, and every
 *   setting is either restricted (VS Code then ignores its workspace value in
 *   an untrusted workspace) or listed here with the reason it is harmless; a
 *   new setting fails this test until someone decides;
 * - the git runner, told the folder is untrusted, refuses every command that
 *   could start a program the repository names (before any process starts)
 *   and still answers the worktree list and ref reads;
 * - listing a repository's plans (what an untrusted window shows first) runs
 *   no command its own git config names, trusted or not.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, isError } from '../../../src/model/engine/errors';
import { Git, runsNothingTheRepositoryNames } from '../../../src/git/runner';
import { PlanEngine } from '../../../src/model/engine/planEngine';
import { counts } from '../helpers/fault';
import { git, withRepo } from '../helpers/repo';

const root = path.join(__dirname, '..', '..', '..', '..');

/** Settings whose workspace value cannot make the extension run a command, write outside the repository or copy files. */
const harmless: Record<string, string> = {
  'planWorktrees.openAfterCreate': 'only where the new plan opens (a window of the worktree the user just created)',
  'planWorktrees.guard.mode': "how the main checkout's guard warns; it protects, it never runs or writes anything",
  'planWorktrees.planFiles':
    'which files of the repository itself are read as plan files (searched inside the main worktree only)',
  'planWorktrees.ports':
    'which port numbers plans are given (a range and block size; checking a port binds and closes a socket on 127.0.0.1, nothing runs)',
  'planWorktrees.activity.notifyWhenCommandEnds':
    "whether a notification says that a plan window's command ended; it shows what the plan windows published, nothing runs or is written",
};

/** Settings that must be restricted: they name a command, a location, a branch name or files to copy. */
const mustBeRestricted = [
  'planWorktrees.postCreateCommand',
  'planWorktrees.copyFiles',
  'planWorktrees.worktreeLocation',
  'planWorktrees.branchTemplate',
  // It writes into plan files of the repository.
  'planWorktrees.planFileStatus',
  // It makes Source Control read every plan's diff at activation.
  'planWorktrees.scm.showAllPlans',
  // What a merge writes, whether a merged worktree is removed, whether the main checkout's changes move.
  'planWorktrees.merge.strategy',
  'planWorktrees.afterMerge',
  'planWorktrees.dirtyBase',
  // Whether create reaches the network first; what "Update from Base" writes into the plan's branch.
  'planWorktrees.fetchBase',
  'planWorktrees.updateFromBase.strategy',
  // Which remote a pull request's head is fetched from, and which of its refs.
  'planWorktrees.pullRequests.remote',
  'planWorktrees.pullRequests.ref',
];

interface Manifest {
  capabilities?: {
    untrustedWorkspaces?: { supported?: boolean | string; restrictedConfigurations?: string[]; description?: string };
  };
  contributes?: {
    configuration?: { properties?: Record<string, unknown> } | Array<{ properties?: Record<string, unknown> }>;
  };
}

function manifest(): Manifest {
  return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
}

function settings(m: Manifest): string[] {
  const configuration = m.contributes?.configuration;
  const sections = Array.isArray(configuration) ? configuration : configuration ? [configuration] : [];
  return sections.flatMap((s) => Object.keys(s.properties ?? {}));
}

describe('fault suite: workspace trust', () => {
  it('package.json: limited support in untrusted workspaces; every setting that names a command, a location, a branch or files to copy is restricted', () => {
    const m = manifest();
    const untrusted = m.capabilities?.untrustedWorkspaces;
    assert.strictEqual(untrusted?.supported, 'limited');
    const restricted = untrusted?.restrictedConfigurations ?? [];
    const all = settings(m);
    for (const name of mustBeRestricted) assert.ok(restricted.includes(name), `${name} is not restricted`);
    for (const name of restricted) assert.ok(all.includes(name), `restricted ${name} is not a setting`);
    const undecided = all.filter((name) => !restricted.includes(name) && !(name in harmless));
    assert.deepStrictEqual(
      undecided,
      [],
      'settings nobody decided about: restrict them, or add them with a reason to `harmless`',
    );
  });

  it('listing the plans of a repository whose own config names commands (fsmonitor, a clean filter, hooks) runs none of them', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      await engine.create({ title: 'Listed' });
      const marker = path.join(repo.root, 'RAN');
      const hooks = path.join(repo.root, 'hooks');
      fs.mkdirSync(hooks);
      for (const hook of ['post-checkout', 'reference-transaction', 'post-index-change']) {
        fs.writeFileSync(path.join(hooks, hook), `#!/bin/sh\ntouch '${marker}.${hook}'\n`, { mode: 0o755 });
      }
      git(repo.main, 'config', 'core.hooksPath', hooks);
      git(repo.main, 'config', 'core.fsmonitor', `touch '${marker}.fsmonitor'; echo`);
      git(repo.main, 'config', 'filter.evil.clean', `touch '${marker}.filter'; cat`);
      fs.appendFileSync(path.join(repo.main, '.git', 'info', 'attributes'), '* filter=evil\n');
      const rows = await engine.list();
      assert.strictEqual(rows.length, 2);
      assert.deepStrictEqual(
        fs.readdirSync(repo.root).filter((f) => f.startsWith('RAN')),
        [],
        'a command named by the repository ran',
      );
      counts.hostileInputs += 3;
    }));

  it('an untrusted runner refuses, before starting git, every command that could run a program the repository names', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ title: 'Untrusted' });
      fs.writeFileSync(path.join(plan.path, 'changed.txt'), 'changed\n');
      const marker = armRepository(repo);
      let trusted = false;
      const ran: string[] = [];
      const record = (m: string | Error) =>
        void (
          typeof m === 'string' &&
          m.startsWith('> git ') &&
          !m.includes('not run: Restricted Mode') &&
          ran.push(m.slice(6))
        );
      const untrusted = new Git({
        trusted: () => trusted,
        log: { trace: record, info: record, warn: record, error: record },
      });
      const restricted = await PlanEngine.open(repo.main, { git: untrusted });
      // What the tree shows first still works: the worktree list, the registry, refs.
      assert.strictEqual((await restricted.list()).length, 2);
      assert.strictEqual(
        await untrusted
          .run(['rev-parse', '--verify', 'HEAD^{commit}'], { cwd: repo.main })
          .then((s) => s.trim().length),
        40,
      );
      const refused: Array<[string, () => Promise<unknown>]> = [
        ['status', () => untrusted.run(['status', '--porcelain=v2'], { cwd: plan.path })],
        ['diff', () => untrusted.run(['diff', 'HEAD'], { cwd: plan.path })],
        [
          '-c … worktree remove',
          () => untrusted.run(['-c', 'core.fsmonitor=false', 'worktree', 'remove', plan.path], { cwd: repo.main }),
        ],
        ['cat-file --textconv', () => untrusted.run(['cat-file', '--textconv', 'HEAD:README.md'], { cwd: repo.main })],
        ['details', async () => restricted.details((await restricted.list()).find((r) => r.kind === 'plan')!)],
        ['diff of the plan', () => restricted.diff(plan.id)],
        ['merge', () => restricted.merge(plan.id, { strategy: 'merge', commitUncommitted: true })],
        ['cleanup', () => restricted.cleanup(plan.id, { force: true })],
        ['create', () => restricted.create({ title: 'Refused' })],
        ['doctor', () => restricted.doctor()],
      ];
      for (const [what, call] of refused) await assert.rejects(call(), (e) => isError(e, ErrorCode.Untrusted), what);
      // The operations read the list and refs first; nothing else started.
      const others = ran.filter((line) => !runsNothingTheRepositoryNames(line.split(' ')));
      assert.deepStrictEqual(others, [], 'git commands that ran while untrusted');
      assert.ok(ran.length > 0, 'the reads that are allowed did run');
      assert.deepStrictEqual(ranPrograms(marker), []);
      assert.ok(fs.existsSync(path.join(plan.path, 'changed.txt')));
      // The same runner, once trusted, runs them (and git runs the repository's programs: the repository is armed for real).
      trusted = true;
      await restricted.details((await restricted.list()).find((r) => r.kind === 'plan')!);
      assert.ok(ranPrograms(marker).includes('fsmonitor'), ranPrograms(marker).join(','));
      counts.hostileInputs += refused.length;
    }));

  it('every command an untrusted runner allows reads refs, objects or the worktree list only', () => {
    for (const args of [
      ['worktree', 'list', '--porcelain', '-z'],
      ['rev-parse', '--git-common-dir'],
      ['for-each-ref', 'refs/heads/'],
      ['cat-file', '-p', 'HEAD'],
      ['merge-base', 'a', 'b'],
      ['version'],
    ]) {
      assert.ok(runsNothingTheRepositoryNames(args), args.join(' '));
    }
    for (const args of [
      ['status'],
      ['worktree', 'add', 'x'],
      ['merge-tree', '--write-tree', 'a', 'b'],
      ['cat-file', '--filters', 'HEAD:a'],
      ['show', 'HEAD'],
      ['-c', 'x=y', 'rev-parse', 'HEAD'],
      ['fetch'],
      ['commit-tree', 'x'],
      ['update-ref', 'a', 'b'],
      ['read-tree', 'x'],
      ['stash', 'list'],
    ]) {
      assert.ok(!runsNothingTheRepositoryNames(args), args.join(' '));
    }
  });
});

/** Makes git in `repo` start a program for fsmonitor, a clean filter and hooks; returns the log they append to. */
function armRepository(repo: { root: string; main: string }): string {
  const log = path.join(repo.root, 'programs.log');
  const program = (name: string, then: string) => {
    const file = path.join(repo.root, `program-${name}`);
    fs.writeFileSync(file, `#!/bin/sh\necho ${name} >> '${log}'\n${then}\n`, { mode: 0o755 });
    return file;
  };
  const hooks = path.join(repo.root, 'armed-hooks');
  fs.mkdirSync(hooks);
  for (const hook of ['post-checkout', 'pre-commit', 'reference-transaction', 'post-index-change']) {
    fs.renameSync(program(hook, 'exit 0'), path.join(hooks, hook));
  }
  git(repo.main, 'config', 'core.hooksPath', hooks);
  git(repo.main, 'config', 'core.fsmonitor', program('fsmonitor', 'exit 1'));
  git(repo.main, 'config', 'filter.armed.clean', program('filter', 'cat'));
  fs.appendFileSync(path.join(repo.main, '.git', 'info', 'attributes'), '* filter=armed merge=armed\n');
  git(repo.main, 'config', 'merge.armed.driver', program('merge-driver', 'exit 1'));
  return log;
}

function ranPrograms(log: string): string[] {
  return fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}
