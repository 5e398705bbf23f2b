/**
 * bin/plan-worktrees-guard.js, run as a real process (plain `node`, as an
 * agent's hook runs it) in real repositories made by the real engine.
 */
import * as assert from 'assert';
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Git } from '../../src/git/runner';
import { PlanEngine } from '../../src/model/engine/planEngine';
import { PlanRecord } from '../../src/model/engine/types';
import { createRepo, git, makeTempDir, removeDir, testGitEnv, TestRepo, withRepo } from './helpers/repo';

/** The script in the project (this file runs from <out>/test/unit). */
const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'bin', 'plan-worktrees-guard.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the guard in `cwd`; a run that does not end within 15 s is killed (code null), so a hang fails the test. */
function guard(cwd: string, args: string[] = [], env: NodeJS.ProcessEnv = {}, input?: string): Run {
  const start = Date.now();
  const result = spawnSync(process.execPath, [SCRIPT, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...testGitEnv(), PLAN_WORKTREES_ALLOW_MAIN: '', ...env },
    timeout: 15000,
    killSignal: 'SIGKILL',
    // Without `input` standard input is /dev/null, as for a script run from a terminal-less shell.
    ...(input === undefined ? { stdio: ['ignore', 'pipe', 'pipe'] } : { input }),
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, ms: Date.now() - start };
}

/** The guard as a pre-tool hook: the hook's JSON on standard input, run from a folder outside any repository. */
function hook(repo: TestRepo, payload: unknown, args: string[] = [], env: NodeJS.ProcessEnv = {}): Run {
  return guard(repo.root, args, env, JSON.stringify(payload));
}

/** Claude Code's PreToolUse input for a tool call. */
function preToolUse(cwd: string, toolName: string, toolInput: Record<string, unknown>): Record<string, unknown> {
  return {
    session_id: 'abc123',
    transcript_path: '/tmp/t.jsonl',
    cwd,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: toolName,
    tool_input: toolInput,
  };
}

/** A repository with two plan worktrees, 7 and 12. */
async function withPlans<T>(body: (repo: TestRepo, plans: { a: PlanRecord; b: PlanRecord }) => Promise<T>): Promise<T> {
  return withRepo(async (repo) => {
    const engine = await PlanEngine.open(repo.main, { git: new Git() });
    const a = await engine.create({ id: '12', title: 'Add search' });
    const b = await engine.create({ id: '7', title: 'Fix the login', planFile: 'plans/7-login.md' });
    return body(repo, { a, b });
  });
}

function registryFile(repo: TestRepo): string {
  return path.join(repo.main, '.git', 'plan-worktrees', 'plans.json');
}

function editRegistry(
  repo: TestRepo,
  edit: (data: { version: number; plans: Array<Record<string, unknown>> }) => void,
): void {
  const data = JSON.parse(fs.readFileSync(registryFile(repo), 'utf8')) as {
    version: number;
    plans: Array<Record<string, unknown>>;
  };
  edit(data);
  fs.writeFileSync(registryFile(repo), JSON.stringify(data));
}

/** The refusal of the main checkout names every plan worktree: folder, title and branch. */
function assertNamesPlans(run: Run, plans: PlanRecord[]): void {
  for (const plan of plans) {
    assert.ok(run.stderr.includes(plan.path), `names ${plan.path}: ${run.stderr}`);
    assert.ok(run.stderr.includes(plan.title), `names ${plan.title}`);
    assert.ok(run.stderr.includes(plan.branch), `names ${plan.branch}`);
  }
}

describe('plan-worktrees-guard (the agent-side guard script)', () => {
  it('is plain Node that ships with the extension', () => {
    const source = fs.readFileSync(SCRIPT, 'utf8');
    assert.ok(source.startsWith('#!/usr/bin/env node\n'));
    const required = [...source.matchAll(/require\('([^']+)'\)/g)].map((m) => m[1]).sort();
    assert.deepStrictEqual(required, ['child_process', 'fs', 'path'], 'only Node built-ins');
    const ignore = fs.readFileSync(path.join(path.dirname(path.dirname(SCRIPT)), '.vscodeignore'), 'utf8').split('\n');
    assert.ok(ignore.includes('!bin/plan-worktrees-guard.js'), '.vscodeignore keeps the script in the package');
  });

  it('exits 0 in a repository without plans', () =>
    withRepo(async (repo) => {
      const run = guard(repo.main);
      assert.strictEqual(run.code, 0, run.stderr);
      assert.match(run.stdout, /is the main checkout; the repository has no plan worktrees/);
      assert.strictEqual(run.stderr, '');
    }));

  it('exits 0 outside any git repository', () => {
    const dir = makeTempDir('pw-guard-');
    try {
      const run = guard(dir);
      assert.strictEqual(run.code, 0, run.stderr);
      assert.match(run.stdout, /not inside a git repository; nothing to guard/);
    } finally {
      removeDir(dir);
    }
  });

  it('refuses the main checkout of a repository with plans, naming the plan worktrees, and prints the plan inside one', () =>
    withPlans(async (repo, { a, b }) => {
      for (const cwd of [repo.main, path.join(repo.main, 'src')]) {
        const run = guard(cwd);
        assert.strictEqual(run.code, 2, `in ${cwd}: ${run.stdout}${run.stderr}`);
        assert.strictEqual(run.stdout, '');
        assert.match(
          run.stderr,
          new RegExp(`${escape(repo.main)} is the main checkout, and this repository has 2 plan worktrees`),
        );
        assertNamesPlans(run, [a, b]);
        assert.ok(run.stderr.indexOf(' 7 ') < run.stderr.indexOf('12 '), 'sorted by id, numerically');
      }

      const inside = guard(path.join(b.path, 'src'));
      assert.strictEqual(inside.code, 0, inside.stderr);
      assert.strictEqual(
        inside.stdout,
        [
          'Plan 7: Fix the login',
          `  branch:    ${b.branch}`,
          '  base:      main',
          `  worktree:  ${b.path}`,
          `  main:      ${repo.main}`,
          `  plan file: ${path.join(repo.main, 'plans', '7-login.md')}`,
          '',
        ].join('\n'),
      );
      assert.strictEqual(guard(b.path, ['--quiet']).stdout, '', '--quiet prints nothing on success');

      const json = guard(repo.main, ['--json']);
      assert.strictEqual(json.code, 2);
      const parsed = JSON.parse(json.stdout) as {
        ok: boolean;
        where: string;
        refused: string;
        plans: Array<{ id: string; path: string }>;
        targets: Array<{ path: string; ok: boolean }>;
      };
      assert.strictEqual(parsed.ok, false);
      assert.strictEqual(parsed.where, 'main');
      assert.strictEqual(parsed.refused, 'main-checkout');
      assert.deepStrictEqual(
        parsed.plans.map((p) => [p.id, p.path]),
        [
          ['7', b.path],
          ['12', a.path],
        ],
      );
      assert.deepStrictEqual(parsed.targets, [{ path: repo.main, ok: false, where: 'main', refused: 'main-checkout' }]);
      const planJson = JSON.parse(guard(a.path, ['--json']).stdout) as {
        ok: boolean;
        where: string;
        plan: { id: string; branch: string; main: string };
      };
      assert.deepStrictEqual(
        [planJson.ok, planJson.where, planJson.plan.id, planJson.plan.branch, planJson.plan.main],
        [true, 'plan', '12', a.branch, repo.main],
      );

      const allowed = guard(repo.main, [], { PLAN_WORKTREES_ALLOW_MAIN: '1' });
      assert.strictEqual(allowed.code, 0);
      assert.match(allowed.stderr, /PLAN_WORKTREES_ALLOW_MAIN=1/);

      // Once the plans are gone, the main checkout is free again.
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      await engine.cleanup('12');
      await engine.cleanup('7');
      const after = guard(repo.main);
      assert.strictEqual(after.code, 0, after.stderr);
    }));

  it('lets another worktree through, and does not count a plan whose folder is gone', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const plan = await engine.create({ id: '3', title: 'Gone' });
      const other = path.join(repo.root, 'by-hand');
      git(repo.main, 'worktree', 'add', '-q', '-b', 'by-hand', other);
      const run = guard(other);
      assert.strictEqual(run.code, 0, run.stderr);
      assert.match(run.stdout, /not a plan's/);
      fs.rmSync(plan.path, { recursive: true, force: true });
      git(repo.main, 'worktree', 'prune');
      assert.strictEqual(guard(repo.main).code, 0, 'no plan worktree exists any more');
    }));

  describe('judges a path by the folder it is in', () => {
    it('refuses a file of the main checkout given as argument, and lets a file of a plan through', () =>
      withPlans(async (repo, { a, b }) => {
        const run = guard(repo.root, [path.join(repo.main, 'src', 'app.txt')]);
        assert.strictEqual(run.code, 2, run.stdout + run.stderr);
        assert.match(run.stderr, /is the main checkout, and this repository has 2 plan worktrees/);
        assertNamesPlans(run, [a, b]);
        const inPlan = guard(repo.root, [path.join(a.path, 'src', 'app.txt')]);
        assert.strictEqual(inPlan.code, 0, inPlan.stderr);
        assert.match(inPlan.stdout, /^Plan 12: Add search\n/);
      }));

    it('judges a file that does not exist yet by the nearest folder that does (git is there all along)', () =>
      withPlans(async (repo, { a, b }) => {
        const run = guard(repo.root, [path.join(repo.main, 'new', 'deeper', 'file.txt')]);
        assert.strictEqual(run.code, 2, run.stdout + run.stderr);
        assert.doesNotMatch(run.stderr, /git was not found/);
        assert.match(run.stderr, /is the main checkout/);
        assertNamesPlans(run, [a, b]);
        const inPlan = guard(repo.root, [path.join(b.path, 'new', 'file.txt')]);
        assert.strictEqual(inPlan.code, 0, inPlan.stderr);
        assert.match(inPlan.stdout, /^Plan 7: Fix the login\n/);
        assert.ok(!fs.existsSync(path.join(repo.main, 'new')), 'the guard creates nothing');
      }));

    it('follows a symbolic link to where a write would land, even when its target does not exist yet', () =>
      withPlans(async (repo, { a }) => {
        fs.symlinkSync(path.join(repo.main, 'src', 'later.txt'), path.join(a.path, 'sneaky.txt'));
        const run = guard(a.path, [path.join(a.path, 'sneaky.txt')]);
        assert.strictEqual(run.code, 2, run.stdout + run.stderr);
        assert.match(run.stderr, /is the main checkout/);
      }));

    it('treats a path inside .git as the repository it belongs to, never as a free pass', () =>
      withPlans(async (repo, { a, b }) => {
        const hooks = path.join(repo.main, '.git', 'hooks');
        const run = guard(hooks);
        assert.strictEqual(run.code, 2, run.stdout + run.stderr);
        assert.match(
          run.stderr,
          /is inside the git folder of the repository .*, and this repository has 2 plan worktrees/,
        );
        assertNamesPlans(run, [a, b]);
        const newHook = guard(a.path, [path.join(hooks, 'pre-commit')]);
        assert.strictEqual(newHook.code, 2, newHook.stdout + newHook.stderr);
        const json = JSON.parse(guard(hooks, ['--json']).stdout) as { ok: boolean; where: string };
        assert.deepStrictEqual([json.ok, json.where], [false, 'git-dir']);
      }));

    it('lets the .git folder of a repository without plans through', () =>
      withRepo(async (repo) => {
        const run = guard(path.join(repo.main, '.git', 'hooks'));
        assert.strictEqual(run.code, 0, run.stderr);
        assert.match(run.stdout, /inside the git folder of the repository .*; the repository has no plan worktrees/);
      }));

    it('ignores GIT_DIR, GIT_WORK_TREE and the other git variables of its environment', () =>
      withPlans(async (repo, { a, b }) => {
        const other = createRepo({ 'x.txt': 'x\n' }, 'other');
        try {
          const env = {
            GIT_DIR: path.join(other.main, '.git'),
            GIT_WORK_TREE: other.main,
            GIT_INDEX_FILE: path.join(other.main, '.git', 'index'),
            GIT_COMMON_DIR: path.join(other.main, '.git'),
            GIT_CEILING_DIRECTORIES: repo.root,
          };
          const run = guard(repo.main, [], env);
          assert.strictEqual(run.code, 2, run.stdout + run.stderr);
          assertNamesPlans(run, [a, b]);
          const inPlan = guard(a.path, [], env);
          assert.strictEqual(inPlan.code, 0, inPlan.stderr);
          assert.match(inPlan.stdout, /^Plan 12: Add search\n/);
        } finally {
          removeDir(other.root);
        }
      }));
  });

  describe('fails closed: exit 2 with the reason whenever it cannot decide', () => {
    it('on a registry that is not one, and never prints control characters from it', () =>
      withPlans(async (repo, { a }) => {
        editRegistry(repo, (data) => (data.plans[0].title = 'One\u001b]0;pwned\u0007'));
        const run = guard(repo.main);
        assert.strictEqual(run.code, 2);
        assert.ok(run.stderr.includes('One?]0;pwned?'), run.stderr);
        assert.ok(
          ![...run.stderr].some((c) => c.charCodeAt(0) < 0x20 && c !== '\n'),
          'no control characters but line breaks',
        );

        fs.writeFileSync(registryFile(repo), '{ not json');
        for (const cwd of [repo.main, a.path]) {
          const broken = guard(cwd);
          assert.strictEqual(broken.code, 2, `${cwd}: ${broken.stdout}`);
          assert.match(broken.stderr, /cannot read the plan registry/);
          assert.strictEqual(broken.stdout, '');
        }
        const json = JSON.parse(guard(repo.main, ['--json']).stdout) as { ok: boolean; where: string; error: string };
        assert.deepStrictEqual([json.ok, json.where], [false, 'unknown']);
        assert.match(json.error, /cannot read the plan registry/);
      }));

    it('on a record whose title is not a string (instead of crashing), naming the record', () =>
      withPlans(async (repo, { a }) => {
        for (const title of [42, { toString: 'not a function' }]) {
          editRegistry(repo, (data) => (data.plans.find((p) => p.id === '12')!.title = title));
          for (const cwd of [repo.main, a.path]) {
            const run = guard(cwd);
            assert.strictEqual(run.code, 2, `${JSON.stringify(title)} in ${cwd}: ${run.stdout}${run.stderr}`);
            assert.match(
              run.stderr,
              /plan-worktrees-guard: cannot decide, so it refuses: cannot read the plan registry: plan \d in .*plans\.json is not valid \("title" is not a string\)/,
            );
            assert.doesNotMatch(run.stderr, /at .*plan-worktrees-guard\.js/, 'no stack trace');
          }
        }
      }));

    it('skips a bad record of a folder that is no worktree any more', () =>
      withPlans(async (repo, { a, b }) => {
        editRegistry(repo, (data) =>
          data.plans.push({ ...data.plans[0], id: '99', title: 99, path: path.join(repo.root, 'long-gone') }),
        );
        const run = guard(repo.main);
        assert.strictEqual(run.code, 2);
        assert.match(run.stderr, /this repository has 2 plan worktrees/);
        assertNamesPlans(run, [a, b]);
        assert.strictEqual(guard(b.path).code, 0);
      }));

    it('on a registry that is a FIFO, a symbolic link, a folder or absurdly large, without hanging', () =>
      withPlans(async (repo, { a }) => {
        const file = registryFile(repo);
        const saved = fs.readFileSync(file);
        fs.rmSync(file);
        execFileSync('mkfifo', [file]);
        const fifo = guard(repo.main);
        assert.notStrictEqual(fifo.code, null, 'the guard hung on a FIFO');
        assert.strictEqual(fifo.code, 2, fifo.stdout + fifo.stderr);
        assert.match(fifo.stderr, /cannot read the plan registry: .*plans\.json is not a regular file/);
        assert.ok(fifo.ms < 5000, `answered in ${fifo.ms} ms`);
        assert.strictEqual(guard(a.path).code, 2, 'inside a plan too');
        fs.rmSync(file);

        const elsewhere = path.join(repo.root, 'plans-elsewhere.json');
        fs.writeFileSync(elsewhere, saved);
        fs.symlinkSync(elsewhere, file);
        const link = guard(a.path);
        assert.strictEqual(link.code, 2, link.stdout + link.stderr);
        assert.match(link.stderr, /plans\.json is a symbolic link/);
        fs.rmSync(file);

        fs.mkdirSync(file);
        assert.strictEqual(guard(a.path).code, 2);
        fs.rmdirSync(file);

        fs.writeFileSync(file, saved);
        fs.truncateSync(file, 64 * 1024 * 1024);
        const large = guard(a.path);
        assert.strictEqual(large.code, 2, large.stdout + large.stderr);
        assert.match(large.stderr, /plans\.json is larger than 16 MB/);
      }));

    it('on a symbolic link as the state folder', () =>
      withPlans(async (repo, { a }) => {
        const state = path.dirname(registryFile(repo));
        const moved = path.join(repo.root, 'state-elsewhere');
        fs.renameSync(state, moved);
        fs.symlinkSync(moved, state);
        const run = guard(a.path);
        assert.strictEqual(run.code, 2, run.stdout + run.stderr);
        assert.match(run.stderr, /plan-worktrees is a symbolic link/);
      }));

    it('when git does not answer: every git call has a time limit', function () {
      this.timeout(40000);
      return withPlans(async (repo, { a }) => {
        // git blocks reading a worktree's HEAD when it is a FIFO: the real git, hanging on a hostile repository.
        const head = path.join(repo.main, '.git', 'worktrees', path.basename(a.path), 'HEAD');
        fs.rmSync(head);
        execFileSync('mkfifo', [head]);
        const run = guard(repo.main);
        assert.notStrictEqual(run.code, null, 'the guard hung with git');
        assert.strictEqual(run.code, 2, run.stdout + run.stderr);
        assert.match(run.stderr, /git worktree did not answer within 5 s/);
        assert.ok(run.ms < 10000, `answered in ${run.ms} ms`);
      });
    });

    it('when git is not there, or the arguments are not ones it knows', () =>
      withRepo(async (repo) => {
        const empty = makeTempDir('pw-guard-path-');
        try {
          const run = guard(repo.main, [], { PATH: empty });
          assert.strictEqual(run.code, 2, run.stdout + run.stderr);
          assert.match(run.stderr, /git was not found on the PATH/);
        } finally {
          removeDir(empty);
        }
        const bogus = guard(repo.main, ['--bogus']);
        assert.strictEqual(bogus.code, 2);
        assert.match(bogus.stderr, /unknown option --bogus/);
        assert.strictEqual(guard(repo.main, ['--help']).code, 0);
      }));
  });

  describe('as a pre-tool hook: the JSON on standard input', () => {
    it("refuses a Claude Code edit of a main-checkout file, naming the plans; lets an edit inside the agent's plan through silently", () =>
      withPlans(async (repo, { a, b }) => {
        const edit = hook(
          repo,
          preToolUse(repo.main, 'Edit', {
            file_path: path.join(repo.main, 'src', 'app.txt'),
            old_string: 'one',
            new_string: 'uno',
          }),
        );
        assert.strictEqual(edit.code, 2, edit.stdout + edit.stderr);
        assert.strictEqual(edit.stdout, '');
        assert.match(edit.stderr, /is the main checkout, and this repository has 2 plan worktrees/);
        assertNamesPlans(edit, [a, b]);

        const inPlan = hook(
          repo,
          preToolUse(a.path, 'Write', { file_path: path.join(a.path, 'src', 'new.ts'), content: 'x' }),
        );
        assert.strictEqual(inPlan.code, 0, inPlan.stderr);
        assert.strictEqual(inPlan.stdout, '', 'a hook prints nothing on success (Gemini CLI reads stdout as JSON)');
        assert.strictEqual(inPlan.stderr, '');
      }));

    it("refuses a write outside the agent's plan worktree, naming the plan and its folder", () =>
      withPlans(async (repo, { a, b }) => {
        const run = hook(
          repo,
          preToolUse(a.path, 'Write', { file_path: path.join(b.path, 'README.md'), content: 'x' }),
        );
        assert.strictEqual(run.code, 2, run.stdout + run.stderr);
        assert.match(
          run.stderr,
          new RegExp(
            `${escape(path.join(b.path, 'README.md'))} is outside the worktree of plan 12 \\(Add search\\), where this agent works`,
          ),
        );
        assert.ok(run.stderr.includes(a.path) && run.stderr.includes(a.branch), run.stderr);

        const outside = makeTempDir('pw-guard-out-');
        try {
          const tmp = hook(
            repo,
            preToolUse(a.path, 'Write', { file_path: path.join(outside, 'scratch.txt'), content: 'x' }),
          );
          assert.strictEqual(tmp.code, 2, 'outside any repository is outside the plan too');
          assert.match(tmp.stderr, /is outside the worktree of plan 12/);
        } finally {
          removeDir(outside);
        }
      }));

    it("resolves relative paths against the hook's cwd", () =>
      withPlans(async (repo, { a }) => {
        const inside = hook(
          repo,
          preToolUse(path.join(a.path, 'src'), 'Write', { file_path: 'new/thing.txt', content: 'x' }),
        );
        assert.strictEqual(inside.code, 0, inside.stderr);
        const escapes = hook(
          repo,
          preToolUse(a.path, 'Edit', {
            file_path: path.relative(a.path, path.join(repo.main, 'README.md')),
            old_string: 'a',
            new_string: 'b',
          }),
        );
        assert.strictEqual(escapes.code, 2, escapes.stdout + escapes.stderr);
        assert.match(escapes.stderr, /is the main checkout/);
      }));

    it('reads notebook_path, path, and every path of a multi-file edit', () =>
      withPlans(async (repo, { a }) => {
        const notebook = hook(
          repo,
          preToolUse(a.path, 'NotebookEdit', { notebook_path: path.join(repo.main, 'n.ipynb'), new_source: 'x' }),
        );
        assert.strictEqual(notebook.code, 2, notebook.stdout + notebook.stderr);
        const gemini = hook(repo, {
          cwd: repo.root,
          hook_event_name: 'BeforeTool',
          tool_name: 'write_file',
          tool_input: { file_path: path.join(repo.main, 'x.txt'), content: 'x' },
        });
        assert.strictEqual(gemini.code, 2, gemini.stdout + gemini.stderr);
        const edits = [{ file_path: path.join(a.path, 'one.txt') }, { file_path: path.join(repo.main, 'two.txt') }];
        const multi = hook(repo, preToolUse(a.path, 'MultiEdit', { edits }));
        assert.strictEqual(multi.code, 2, multi.stdout + multi.stderr);
        assert.ok(multi.stderr.includes(path.join(repo.main, 'two.txt')), multi.stderr);
        const allInside = hook(
          repo,
          preToolUse(a.path, 'MultiEdit', {
            file_path: path.join(a.path, 'one.txt'),
            edits: [{ old_string: 'a', new_string: 'b' }],
          }),
        );
        assert.strictEqual(allInside.code, 0, allInside.stderr);
      }));

    it("judges a shell command by the hook's cwd (and Gemini CLI's directory), and Codex's apply_patch by the files it names", () =>
      withPlans(async (repo, { a }) => {
        const inMain = hook(repo, preToolUse(repo.main, 'Bash', { command: 'echo hi > x.txt' }));
        assert.strictEqual(inMain.code, 2, inMain.stdout + inMain.stderr);
        assert.strictEqual(hook(repo, preToolUse(a.path, 'Bash', { command: 'npm test' })).code, 0);
        const dir = hook(repo, {
          cwd: a.path,
          hook_event_name: 'BeforeTool',
          tool_name: 'run_shell_command',
          tool_input: { command: 'ls', directory: path.relative(a.path, repo.main) },
        });
        assert.strictEqual(dir.code, 2, dir.stdout + dir.stderr);

        const patch = (file: string) =>
          ['*** Begin Patch', `*** Add File: ${file}`, '+hello', '*** End Patch', ''].join('\n');
        const codex = (file: string) => ({
          session_id: 's',
          transcript_path: null,
          cwd: a.path,
          hook_event_name: 'PreToolUse',
          model: 'm',
          permission_mode: 'default',
          tool_name: 'apply_patch',
          tool_use_id: 't',
          tool_input: { command: patch(file) },
        });
        assert.strictEqual(hook(repo, codex('src/added.txt')).code, 0);
        const outside = hook(repo, codex(path.join(repo.main, 'src', 'added.txt')));
        assert.strictEqual(outside.code, 2, outside.stdout + outside.stderr);
      }));

    it('keeps --json consistent: one object with the verdict of every target', () =>
      withPlans(async (repo, { a, b }) => {
        const run = hook(
          repo,
          preToolUse(a.path, 'MultiEdit', {
            edits: [{ file_path: path.join(a.path, 'ok.txt') }, { file_path: path.join(b.path, 'no.txt') }],
          }),
          ['--json'],
        );
        assert.strictEqual(run.code, 2);
        const parsed = JSON.parse(run.stdout) as {
          ok: boolean;
          where: string;
          refused: string;
          plan: { id: string; path: string };
          targets: Array<{ path: string; ok: boolean; where: string; refused?: string }>;
        };
        assert.deepStrictEqual(
          [parsed.ok, parsed.where, parsed.refused, parsed.plan.id, parsed.plan.path],
          [false, 'plan', 'outside-plan', '12', a.path],
        );
        assert.deepStrictEqual(parsed.targets, [
          { path: path.join(a.path, 'ok.txt'), ok: true, where: 'plan' },
          { path: path.join(b.path, 'no.txt'), ok: false, where: 'plan', refused: 'outside-plan' },
        ]);
        const ok = JSON.parse(
          hook(repo, preToolUse(a.path, 'Write', { file_path: path.join(a.path, 'ok.txt') }), ['--json']).stdout,
        ) as { ok: boolean; where: string; plan: { id: string } };
        assert.deepStrictEqual([ok.ok, ok.where, ok.plan.id], [true, 'plan', '12']);
      }));

    it('lets the main checkout through with PLAN_WORKTREES_ALLOW_MAIN=1, nothing else', () =>
      withPlans(async (repo, { a }) => {
        const allowed = hook(repo, preToolUse(a.path, 'Edit', { file_path: path.join(repo.main, 'README.md') }), [], {
          PLAN_WORKTREES_ALLOW_MAIN: '1',
        });
        assert.strictEqual(allowed.code, 0, allowed.stderr);
        assert.match(allowed.stderr, /PLAN_WORKTREES_ALLOW_MAIN=1/);
        const outside = makeTempDir('pw-guard-out-');
        try {
          const tmp = hook(repo, preToolUse(a.path, 'Write', { file_path: path.join(outside, 'x.txt') }), [], {
            PLAN_WORKTREES_ALLOW_MAIN: '1',
          });
          assert.strictEqual(tmp.code, 2);
        } finally {
          removeDir(outside);
        }
      }));

    it('fails closed on input that is not a hook JSON object, or too large', () =>
      withPlans(async (repo, { a }) => {
        for (const input of [
          'not json',
          '[1, 2]',
          JSON.stringify(preToolUse('relative/dir', 'Bash', { command: 'ls' })),
          JSON.stringify(preToolUse(a.path, 'Write', { file_path: 42 })),
        ]) {
          const run = guard(a.path, [], {}, input);
          assert.strictEqual(run.code, 2, `${input}: ${run.stdout}${run.stderr}`);
          assert.match(run.stderr, /cannot decide, so it refuses: .*(standard input|hook input)/);
        }
        const huge = guard(
          a.path,
          [],
          {},
          JSON.stringify(
            preToolUse(a.path, 'Write', { file_path: path.join(a.path, 'x'), content: 'x'.repeat(2 * 1024 * 1024) }),
          ),
        );
        assert.strictEqual(huge.code, 2);
        assert.match(huge.stderr, /standard input is larger than 1 MB/);
        // Empty input is no hook: the guard judges where it runs.
        assert.strictEqual(guard(a.path, [], {}, '').code, 0);
        assert.strictEqual(guard(repo.main, [], {}, '').code, 2);
        // --no-stdin leaves standard input alone.
        assert.strictEqual(guard(a.path, ['--no-stdin'], {}, 'not json').code, 0);
      }));

    it('never hangs on standard input that stays open', () =>
      withPlans(async (repo, { a }) => {
        const silent = await runOpenStdin(a.path, undefined);
        assert.strictEqual(silent.code, 0, `no data: judged where it runs; ${silent.stderr}`);
        assert.ok(silent.ms < 6000, `answered in ${silent.ms} ms`);
        const complete = await runOpenStdin(
          repo.root,
          JSON.stringify(preToolUse(a.path, 'Write', { file_path: path.join(repo.main, 'x.txt') })),
        );
        assert.strictEqual(
          complete.code,
          2,
          `a whole JSON object is read without the end of input; ${complete.stderr}`,
        );
        assert.match(complete.stderr, /is the main checkout/);
        const partial = await runOpenStdin(a.path, '{"cwd": "/');
        assert.strictEqual(partial.code, 2, partial.stderr);
        assert.match(partial.stderr, /standard input/);
      }));
  });
});

/** Runs the guard with a standard input that gets `data` (if any) and is never closed. */
function runOpenStdin(cwd: string, data: string | undefined): Promise<Run> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], {
      cwd,
      env: { ...testGitEnv(), PLAN_WORKTREES_ALLOW_MAIN: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    if (data !== undefined) child.stdin.write(data);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, stdout, stderr, ms: Date.now() - start });
    });
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
