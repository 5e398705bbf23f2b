import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../src/git/errors';
import { Git, isVersionAtLeast } from '../../../src/git/git';
import { Logger } from '../../../src/git/log';
import { git, makeTempDir, removeDir, withRepo } from '../helpers/repo';

function recordingLogger(lines: string[]): Logger {
  return { trace: (m) => lines.push(m), info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(String(m)) };
}

describe('Git runner', () => {
  it('runs git in the given folder and logs the call with its duration', () =>
    withRepo(async ({ main }) => {
      const lines: string[] = [];
      const runner = new Git({ log: recordingLogger(lines) });
      const head = await runner.run(['rev-parse', 'HEAD'], { cwd: main });
      assert.strictEqual(head.trim(), git(main, 'rev-parse', 'HEAD'));
      assert.match(lines[0], /^> git rev-parse HEAD \[\d+ms\]$/);
      assert.strictEqual(runner.processCount, 1);
    }));

  it('turns a failure into a typed error with the command and stderr', () =>
    withRepo(async ({ main }) => {
      const runner = new Git();
      await assert.rejects(runner.run(['branch', 'main'], { cwd: main }), (e: unknown) => {
        assert.ok(e instanceof PlanWorktreesError);
        assert.strictEqual(e.code, ErrorCode.BranchExists);
        assert.match(e.command ?? '', /git branch main/);
        assert.match(e.stderr ?? '', /already exists/);
        return true;
      });
    }));

  it('reports a folder outside any repository as NotAGitRepository', async () => {
    const dir = makeTempDir('pw-norepo-');
    try {
      await assert.rejects(new Git().run(['rev-parse', '--git-dir'], { cwd: dir, env: { GIT_CEILING_DIRECTORIES: path.dirname(dir) } }), (e: unknown) => {
        return e instanceof PlanWorktreesError && e.code === ErrorCode.NotAGitRepository;
      });
    } finally {
      removeDir(dir);
    }
  });

  it('accepts the exit codes the caller says are answers', () =>
    withRepo(async ({ main }) => {
      const result = await new Git().exec(['diff', '--quiet', 'HEAD'], { cwd: main, okExitCodes: [1] });
      assert.strictEqual(result.exitCode, 0);
      fs.writeFileSync(path.join(main, 'README.md'), 'changed\n');
      const dirty = await new Git().exec(['diff', '--quiet', 'HEAD'], { cwd: main, okExitCodes: [1] });
      assert.strictEqual(dirty.exitCode, 1);
    }));

  it('accepts an exit code with stderr when the caller says it is an answer', () =>
    withRepo(async ({ main }) => {
      const result = await new Git().exec(['show', 'HEAD:no-such-file'], { cwd: main, okExitCodes: [128] });
      assert.strictEqual(result.exitCode, 128);
      assert.match(result.stderr, /does not exist/);
      await assert.rejects(new Git().exec(['show', 'HEAD:no-such-file'], { cwd: main }), (e: unknown) => e instanceof PlanWorktreesError && e.exitCode === 128);
    }));

  it('stops when the signal is aborted', () =>
    withRepo(async ({ main }) => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(new Git().run(['status'], { cwd: main, signal: controller.signal }), (e: unknown) => {
        return e instanceof PlanWorktreesError && e.code === ErrorCode.Cancelled;
      });
    }));

  it('reports a missing git executable as GitNotFound', async () => {
    await assert.rejects(new Git({ path: '/nonexistent/git' }).version(), (e: unknown) => {
      return e instanceof PlanWorktreesError && e.code === ErrorCode.GitNotFound;
    });
  });

  it('compares versions against the 2.38 minimum', async () => {
    assert.strictEqual(isVersionAtLeast('2.39.5', [2, 38]), true);
    assert.strictEqual(isVersionAtLeast('2.38.0', [2, 38]), true);
    assert.strictEqual(isVersionAtLeast('2.37.9', [2, 38]), false);
    assert.strictEqual(isVersionAtLeast('3.0.0', [2, 38]), true);
    assert.match(await new Git().checkVersion(), /^\d+\.\d+/);
  });

  it('returns blob contents as bytes', () =>
    withRepo(async ({ main }) => {
      const bytes = Buffer.from([0, 1, 2, 255, 10]);
      fs.writeFileSync(path.join(main, 'bin.dat'), bytes);
      git(main, 'add', 'bin.dat');
      git(main, 'commit', '-q', '-m', 'binary');
      const out = await new Git().execBuffer(['show', 'HEAD:bin.dat'], { cwd: main });
      assert.deepStrictEqual(out, bytes);
    }));
});
