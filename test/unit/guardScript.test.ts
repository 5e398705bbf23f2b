/**
 * bin/plan-worktrees-guard.js, run as a real process (plain `node`, as an
 * agent's hook runs it) in real repositories made by the real engine.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Git } from '../../src/git/git';
import { PlanEngine } from '../../src/model/planEngine';
import { git, makeTempDir, removeDir, testGitEnv, withRepo } from './helpers/repo';

/** The script in the project (this file runs from <out>/test/unit). */
const SCRIPT = path.resolve(__dirname, '..', '..', '..', 'bin', 'plan-worktrees-guard.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function guard(cwd: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Run {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { cwd, encoding: 'utf8', env: { ...testGitEnv(), PLAN_WORKTREES_ALLOW_MAIN: '', ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
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
      assert.match(run.stdout, /not inside a git worktree/);
    } finally {
      removeDir(dir);
    }
  });

  it('refuses the main checkout of a repository with plans, naming the plan worktrees, and prints the plan inside one', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      const a = await engine.create({ id: '12', title: 'Add search' });
      const b = await engine.create({ id: '7', title: 'Fix the login', planFile: 'plans/7-login.md' });

      for (const cwd of [repo.main, path.join(repo.main, 'src')]) {
        const run = guard(cwd);
        assert.strictEqual(run.code, 2, `in ${cwd}: ${run.stdout}${run.stderr}`);
        assert.strictEqual(run.stdout, '');
        assert.match(run.stderr, new RegExp(`${escape(repo.main)} is the main checkout, and this repository has 2 plan worktrees`));
        for (const plan of [a, b]) {
          assert.ok(run.stderr.includes(plan.path), `names ${plan.path}`);
          assert.ok(run.stderr.includes(plan.title));
          assert.ok(run.stderr.includes(plan.branch));
        }
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
      const parsed = JSON.parse(json.stdout) as { ok: boolean; where: string; plans: Array<{ id: string; path: string }> };
      assert.strictEqual(parsed.ok, false);
      assert.strictEqual(parsed.where, 'main');
      assert.deepStrictEqual(parsed.plans.map((p) => [p.id, p.path]), [['7', b.path], ['12', a.path]]);
      const planJson = JSON.parse(guard(a.path, ['--json']).stdout) as { where: string; plan: { id: string; branch: string; main: string } };
      assert.deepStrictEqual([planJson.where, planJson.plan.id, planJson.plan.branch, planJson.plan.main], ['plan', '12', a.branch, repo.main]);

      const allowed = guard(repo.main, [], { PLAN_WORKTREES_ALLOW_MAIN: '1' });
      assert.strictEqual(allowed.code, 0);
      assert.match(allowed.stderr, /PLAN_WORKTREES_ALLOW_MAIN=1/);

      // Once the plans are gone, the main checkout is free again.
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

  it('cannot decide on a registry that is not one (exit 1), and never prints control characters from it', () =>
    withRepo(async (repo) => {
      const engine = await PlanEngine.open(repo.main, { git: new Git() });
      await engine.create({ id: '1', title: 'One' });
      const file = path.join(repo.main, '.git', 'plan-worktrees', 'plans.json');
      const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { plans: Array<{ title: string }> };
      data.plans[0].title = 'One\u001b]0;pwned\u0007';
      fs.writeFileSync(file, JSON.stringify(data));
      const run = guard(repo.main);
      assert.strictEqual(run.code, 2);
      assert.ok(run.stderr.includes('One?]0;pwned?'), run.stderr);
      assert.ok(![...run.stderr].some((c) => c.charCodeAt(0) < 0x20 && c !== '\n'), 'no control characters but line breaks');

      fs.writeFileSync(file, '{ not json');
      const broken = guard(repo.main);
      assert.strictEqual(broken.code, 1);
      assert.match(broken.stderr, /cannot read the plan registry/);
      assert.strictEqual(guard(repo.main, ['--bogus']).code, 1);
    }));
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
