import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../src/model/engine/errors';
import { Git, isVersionAtLeast } from '../../../src/git/runner';
import { git, keepEventLoopBusy, makeTempDir, removeDir, testGitEnv, withRepo } from '../helpers/repo';
import { recordingLogger } from '../helpers/logger';

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

  it('starts processes that are due at once one per turn of the event loop, never back to back in one synchronous stretch', () =>
    withRepo(async ({ main }) => {
      const runner = new Git({ maxConcurrent: 8 });
      // A probe that runs once per turn of the event loop and notes how many processes started since its last turn.
      const startedPerTurn: number[] = [];
      let seen = 0;
      let probing = true;
      const probe = () => {
        startedPerTurn.push(runner.processCount - seen);
        seen = runner.processCount;
        if (probing) setImmediate(probe);
      };
      setImmediate(probe);
      await Promise.all(Array.from({ length: 8 }, () => runner.run(['rev-parse', 'HEAD'], { cwd: main })));
      probing = false;
      assert.strictEqual(runner.processCount, 8);
      assert.ok(
        startedPerTurn.every((n) => n <= 1),
        `processes started between two turns of the event loop: ${JSON.stringify(startedPerTurn)}`,
      );
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
      await assert.rejects(
        new Git().run(['rev-parse', '--git-dir'], { cwd: dir, env: { GIT_CEILING_DIRECTORIES: path.dirname(dir) } }),
        (e: unknown) => {
          return e instanceof PlanWorktreesError && e.code === ErrorCode.NotAGitRepository;
        },
      );
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
      await assert.rejects(
        new Git().exec(['show', 'HEAD:no-such-file'], { cwd: main }),
        (e: unknown) => e instanceof PlanWorktreesError && e.exitCode === 128,
      );
    }));

  it('stops when the signal is aborted', () =>
    withRepo(async ({ main }) => {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(new Git().run(['status'], { cwd: main, signal: controller.signal }), (e: unknown) => {
        return e instanceof PlanWorktreesError && e.code === ErrorCode.Cancelled;
      });
    }));

  it('reports a folder removed while git runs, or right before it starts, as PathMissing (not Unknown, not GitNotFound)', () =>
    withRepo(async ({ root, main }) => {
      // Another window removes the worktree while git runs in it: git cannot read its working directory.
      const folder = path.join(root, 'removed-while-running');
      git(main, 'worktree', 'add', '-q', '--detach', folder);
      git(main, 'config', 'alias.removeme', '!rm -rf "$PWD" && git status');
      await assert.rejects(new Git().run(['removeme'], { cwd: folder }), (e: unknown) => {
        assert.ok(e instanceof PlanWorktreesError, String(e));
        assert.strictEqual(e.code, ErrorCode.PathMissing, e.message);
        assert.deepStrictEqual(e.files, [folder]);
        assert.match(String((e.cause as Error)?.message), /Unable to read current working directory/);
        return true;
      });
      // Removed after the runner checked the folder, before git started: the spawn's ENOENT is about the folder, not git.
      const other = path.join(root, 'removed-before-start');
      fs.mkdirSync(other);
      const running = new Git().run(['status'], { cwd: other });
      fs.rmSync(other, { recursive: true });
      await assert.rejects(
        running,
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.PathMissing && e.files[0] === other,
      );
    }));

  it('writes `stdin` to git and handles its failures like any other run (typed, logged, cancellable)', () =>
    withRepo(async ({ root, main }) => {
      const lines: string[] = [];
      const runner = new Git({ log: recordingLogger(lines) });
      const id = await runner.run(['hash-object', '--stdin'], { cwd: main, stdin: 'hello\n' });
      assert.strictEqual(id.trim(), 'ce013625030ba8dba906f756967f9e9ca394464a');
      assert.match(lines[0], /^> git hash-object --stdin \[\d+ms\]$/);
      await assert.rejects(
        runner.run(['commit-tree', 'not-a-tree'], { cwd: main, stdin: 'message\n' }),
        (e: unknown) => e instanceof PlanWorktreesError && /not-a-tree/.test(e.stderr ?? '') && e.exitCode === 128,
      );
      const gone = path.join(root, 'gone');
      await assert.rejects(
        runner.run(['hash-object', '--stdin'], { cwd: gone, stdin: 'x' }),
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.PathMissing,
      );
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(
        runner.run(['hash-object', '--stdin'], { cwd: main, stdin: 'x', signal: controller.signal }),
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.Cancelled,
      );
      assert.strictEqual(runner.processCount, 3);
      const untrusted = new Git({ trusted: () => false });
      await assert.rejects(
        untrusted.run(['hash-object', '--stdin'], { cwd: main, stdin: 'x' }),
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.Untrusted,
      );
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

  it('reads every byte of large answers while the event loop is busy, as a plain child process does', async function () {
    this.timeout(180000);
    // simple-git used to end a command 50 ms after the process exited; the
    // last few hundred KB of a large answer can still be in the pipe then, and
    // a busy event loop reads them later: the answer came back truncated.
    const { root, main } = largeAnswers();
    try {
      const commands = [
        ['status', '--porcelain=v2', '-z', '--untracked-files=all'],
        ['worktree', 'list', '--porcelain', '-z'],
        ['cat-file', 'blob', 'HEAD:big.bin'],
        ['ls-files', '-s', '-z'],
        ['show', 'HEAD:big.bin'],
      ];
      const expected: Buffer[] = [];
      for (const args of commands) expected.push(await readToClose(main, args));
      assert.ok(
        expected[0].length > 400_000 && expected[2].length === 3_000_000,
        'the answers are larger than a pipe holds',
      );
      assert.strictEqual(
        expected[1]
          .toString('utf8')
          .split('\0')
          .filter((l) => l.startsWith('worktree ')).length,
        201,
      );
      const runner = new Git();
      const wrong: string[] = [];
      const stopBusy = keepEventLoopBusy(80);
      try {
        await Promise.all(
          Array.from({ length: 50 }, async (_, i) => {
            const k = i % commands.length;
            const answer =
              commands[k][0] === 'show'
                ? await runner.execBuffer(commands[k], { cwd: main })
                : Buffer.from(await runner.run(commands[k], { cwd: main }), 'utf8');
            if (!answer.equals(expected[k])) {
              wrong.push(`git ${commands[k].join(' ')}: ${answer.length} of ${expected[k].length} bytes`);
            }
          }),
        );
      } finally {
        stopBusy();
      }
      assert.deepStrictEqual(wrong, []);
    } finally {
      removeDir(root);
    }
  });

  it('ends a command that prints nothing as soon as it closes (no 50 ms wait)', () =>
    withRepo(async ({ main }) => {
      const runner = new Git();
      const head = git(main, 'rev-parse', 'HEAD');
      await runner.run(['update-ref', 'refs/heads/warm-up', head], { cwd: main });
      const times: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = process.hrtime.bigint();
        await runner.run(['update-ref', `refs/heads/quiet-${i}`, head], { cwd: main });
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      times.sort((a, b) => a - b);
      // git itself needs a few ms; the old wait made every such call take 50 ms more.
      assert.ok(
        times[5] < 40,
        `median of a quiet command: ${times[5].toFixed(1)} ms (${times.map((t) => t.toFixed(0)).join(', ')})`,
      );
      assert.strictEqual(git(main, 'rev-parse', 'refs/heads/quiet-9'), head);
    }));
});

/**
 * A repository whose answers are far larger than a pipe holds: 3,000 changed
 * and 3,000 untracked files (a `status` of ~500 KB), a 3 MB blob, and 200
 * linked worktrees.
 */
function largeAnswers(): { root: string; main: string } {
  const root = makeTempDir('pw-large-');
  const main = path.join(root, 'repo');
  fs.mkdirSync(main);
  git(main, 'init', '-q', '-b', 'main');
  for (let i = 0; i < 3000; i++) {
    fs.writeFileSync(path.join(main, `tracked-file-with-a-longer-name-${i}.txt`), `one ${i}\n`);
  }
  fs.writeFileSync(path.join(main, 'big.bin'), Buffer.alloc(3_000_000, 'x'));
  git(main, 'add', '-A');
  git(main, 'commit', '-q', '-m', 'many files');
  for (let i = 0; i < 3000; i++) {
    fs.writeFileSync(path.join(main, `tracked-file-with-a-longer-name-${i}.txt`), `two ${i}\n`);
  }
  for (let i = 0; i < 3000; i++) fs.writeFileSync(path.join(main, `untracked-file-${i}.txt`), `new ${i}\n`);
  for (let i = 0; i < 200; i++) {
    git(main, 'worktree', 'add', '-q', '--no-checkout', '-b', `plan/${i}`, path.join(root, `plan-${i}`));
  }
  return { root, main };
}

/** Stdout of git as a plain child process reads it: everything until the streams close. */
function readToClose(cwd: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: { ...testGitEnv(), LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`git ${args.join(' ')} exited with ${code}`)),
    );
  });
}
