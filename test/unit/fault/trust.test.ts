/**
 * Workspace trust, as far as it can be checked outside an untrusted VS Code
 * window (the host tests run with --disable-workspace-trust, so no host test
 * can make a workspace untrusted):
 * - package.json declares limited support for untrusted workspaces, and every
 *   setting is either restricted (VS Code then ignores its workspace value in
 *   an untrusted workspace) or listed here with the reason it is harmless; a
 *   new setting fails this test until someone decides;
 * - every setting that names a command, a location, a branch name or files to
 *   copy is restricted;
 * - in the source, the only code that types a command into a terminal is
 *   reached only behind `vscode.workspace.isTrusted`;
 * - listing a repository's plans (what an untrusted window shows first) runs
 *   no command its own git config names. (Worktree details, diffs and every
 *   operation run `git status`, `worktree add`...: git then runs what the
 *   repository configures, such as core.fsmonitor, filters and hooks.)
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { Git } from '../../../src/git/git';
import { PlanEngine } from '../../../src/model/planEngine';
import { counts } from '../helpers/fault';
import { git, withRepo } from '../helpers/repo';

const root = path.join(__dirname, '..', '..', '..', '..');

/** Settings whose workspace value cannot make the extension run a command, write outside the repository or copy files. */
const harmless: Record<string, string> = {
  'planWorktrees.openAfterCreate': 'only where the new plan opens (a window of the worktree the user just created)',
  'planWorktrees.guard.mode': "how the main checkout's guard warns; it protects, it never runs or writes anything",
  'planWorktrees.merge.strategy': 'which of the four merges a merge uses; every one refuses to lose work',
  'planWorktrees.afterMerge': 'whether a merged plan is cleaned up; cleanup never removes unmerged work or a dirty worktree',
  'planWorktrees.dirtyBase': "whether create asks, refuses, or moves the main checkout's own changes into the plan",
  'planWorktrees.planFiles': 'which files of the repository itself are read as plan files (searched inside the main worktree only)',
  'planWorktrees.planFileStatus': "whether a plan file's own status field is updated (a file of the repository itself)",
  'planWorktrees.scm.showAllPlans': 'which plans the Source Control view lists',
};

/** Settings that must be restricted: they name a command, a location, a branch name or files to copy. */
const mustBeRestricted = ['planWorktrees.postCreateCommand', 'planWorktrees.copyFiles', 'planWorktrees.worktreeLocation', 'planWorktrees.branchTemplate'];

interface Manifest {
  capabilities?: { untrustedWorkspaces?: { supported?: boolean | string; restrictedConfigurations?: string[]; description?: string } };
  contributes?: { configuration?: { properties?: Record<string, unknown> } | Array<{ properties?: Record<string, unknown> }> };
}

function manifest(): Manifest {
  return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
}

function settings(m: Manifest): string[] {
  const configuration = m.contributes?.configuration;
  const sections = Array.isArray(configuration) ? configuration : configuration ? [configuration] : [];
  return sections.flatMap((s) => Object.keys(s.properties ?? {}));
}

/** The source files of a folder, recursively. */
function sources(folder: string): string[] {
  return fs.readdirSync(folder, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(folder, e.name)) : e.name.endsWith('.ts') ? [path.join(folder, e.name)] : []));
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
    assert.deepStrictEqual(undecided, [], 'settings nobody decided about: restrict them, or add them with a reason to `harmless`');
  });

  it("listing the plans of a repository whose own config names commands (fsmonitor, a clean filter, hooks) runs none of them", () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      await engine.create({ title: 'Listed' });
      const marker = path.join(repo.root, 'RAN');
      const hooks = path.join(repo.root, 'hooks');
      fs.mkdirSync(hooks);
      for (const hook of ['post-checkout', 'reference-transaction', 'post-index-change']) fs.writeFileSync(path.join(hooks, hook), `#!/bin/sh\ntouch '${marker}.${hook}'\n`, { mode: 0o755 });
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

  it('the only code that types a command into a terminal runs behind vscode.workspace.isTrusted', () => {
    const files = sources(path.join(root, 'src'));
    // Outside src/ui nothing can reach a terminal: the model and git layers never import vscode.
    for (const file of files.filter((f) => !f.includes(`${path.sep}ui${path.sep}`) && !f.endsWith('extension.ts'))) {
      assert.ok(!/from 'vscode'/.test(fs.readFileSync(file, 'utf8')), `${file} imports vscode`);
    }
    const typing = files.filter((f) => /\.sendText\(/.test(fs.readFileSync(f, 'utf8')));
    assert.deepStrictEqual(
      typing.map((f) => path.relative(root, f)),
      [path.join('src', 'ui', 'commands.ts')],
      'sendText is used outside runInTerminal',
    );
    const commands = fs.readFileSync(path.join(root, 'src', 'ui', 'commands.ts'), 'utf8');
    const sendTexts = commands.split('\n').filter((l) => /\.sendText\(/.test(l));
    assert.strictEqual(sendTexts.length, 1, 'one sendText, in runInTerminal');
    const lines = commands.split('\n');
    const start = lines.findIndex((l) => /^export function runInTerminal\(/.test(l));
    const send = lines.findIndex((l) => /\.sendText\(/.test(l));
    assert.ok(start >= 0 && send > start && send - start < 8 && !lines.slice(start + 1, send).some((l) => /^}/.test(l)), 'the sendText is in runInTerminal');

    // Every call that runs or hands on a setup command sits behind isTrusted in the lines just before it.
    const gated = /runInTerminal\(|leavePendingSetup\(|takePendingSetup\(/;
    let calls = 0;
    for (const file of files.filter((f) => f.includes(`${path.sep}ui${path.sep}`))) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (!gated.test(line) || /^\s*(export )?(async )?function |^import /.test(line)) return;
        calls++;
        const before = lines.slice(Math.max(0, i - 4), i + 1).join('\n');
        const fromTakenCommand = /runInTerminal\(plan, command\)/.test(line) && /isTrusted \? await takePendingSetup/.test(lines.slice(Math.max(0, i - 6), i).join('\n'));
        assert.ok(/vscode\.workspace\.isTrusted/.test(before) || fromTakenCommand, `${path.relative(root, file)}:${i + 1} runs a setup command without checking workspace trust:\n${before}`);
      });
    }
    assert.ok(calls >= 3, `only ${calls} calls found: the check no longer sees the code it is about`);
  });
});
