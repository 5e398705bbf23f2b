/**
 * Git run through the helper process (src/git/gitProcessHost.ts) answers
 * exactly as git started in this process: the same bytes, the same exit
 * codes, the same typed errors; it cancels, survives the helper's death, and
 * the trust rule still refuses before anything is sent.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ErrorCode, PlanWorktreesError } from '../../../src/model/engine/errors';
import { ExecOptions, Git } from '../../../src/git/runner';
import { commitFiles, git, withRepo } from '../helpers/repo';
import { recordingLogger } from '../helpers/logger';

/** The transpiled helper, beside runner.js in out/src/git. */
const SCRIPT = path.join(__dirname, '..', '..', '..', 'src', 'git', 'gitProcessHost.js');

/** This process's helper processes: their pids. */
function helpers(): number[] {
  let listed: string;
  try {
    listed = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is no child.
  }
  return listed
    .split('\n')
    .filter((line) => line.includes(SCRIPT))
    .map((line) => parseInt(line.trim(), 10));
}

/** The git processes running in `cwd` whose command line holds `arg`. */
function gitProcessesIn(cwd: string, arg: string): number[] {
  const found: number[] = [];
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/cwd`) !== cwd) continue;
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (path.basename(args[0]) === 'git' && args.includes(arg)) found.push(Number(pid));
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
  return found;
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What a run gave, or the typed error's fields: comparable between the two ways. */
async function settled(run: () => Promise<unknown>): Promise<unknown> {
  try {
    const value = await run();
    return { value: Buffer.isBuffer(value) ? value.toString('base64') : value };
  } catch (e) {
    assert.ok(e instanceof PlanWorktreesError, `not a PlanWorktreesError: ${String(e)}`);
    return { code: e.code, message: e.message, stderr: e.stderr, exitCode: e.exitCode, files: e.files };
  }
}

describe('Git runner through the helper process', () => {
  const runners: Git[] = [];
  const viaHelper = (options: ConstructorParameters<typeof Git>[0] = {}): Git => {
    const runner = new Git({ ...options, processHost: SCRIPT });
    runners.push(runner);
    return runner;
  };
  afterEach(async () => {
    for (const runner of runners.splice(0)) runner.dispose();
    await until(() => helpers().length === 0, 'every helper exited');
  });

  it('answers byte for byte as git started in this process: large and binary output, stdin, accepted exit codes, failures', () =>
    withRepo(async ({ main }) => {
      const many: Record<string, string> = {};
      for (let i = 0; i < 3000; i++) many[`many/dir${i % 30}/file-${i}.txt`] = `${i}\n`;
      commitFiles(main, many, 'many files');
      const binary = crypto.randomBytes(300_000);
      binary[0] = 0; // git takes a file with NUL for binary
      fs.writeFileSync(path.join(main, 'blob.bin'), binary);
      git(main, 'add', 'blob.bin');
      git(main, 'commit', '-q', '-m', 'binary');
      git(main, 'tag', 'binary');
      git(main, 'checkout', '-q', '-b', 'left');
      commitFiles(main, { 'README.md': 'left\n' }, 'left');
      git(main, 'checkout', '-q', '-b', 'right', 'HEAD~1');
      commitFiles(main, { 'README.md': 'right\n' }, 'right');
      const inProcess = new Git();
      const helper = viaHelper();
      const missing = path.join(main, 'gone');
      const cases: Array<[string, (runner: Git) => Promise<unknown>]> = [
        ['ls-files', (r) => r.exec(['ls-files', '-s'], { cwd: main })],
        ['cat-file blob', (r) => r.execBuffer(['cat-file', 'blob', 'binary:blob.bin'], { cwd: main })],
        [
          'hash-object --stdin -w',
          (r) => r.exec(['hash-object', '--stdin', '-w'], { cwd: main, stdin: Buffer.concat([binary, binary]) }),
        ],
        [
          'merge-tree conflict',
          (r) => r.exec(['merge-tree', '--write-tree', 'left', 'right'], { cwd: main, okExitCodes: [1] }),
        ],
        ['missing ref', (r) => r.exec(['rev-parse', '--verify', 'no-such-branch'], { cwd: main })],
        ['missing cwd', (r) => r.exec(['status'], { cwd: missing })],
        ['missing cwd with stdin', (r) => r.exec(['hash-object', '--stdin'], { cwd: missing, stdin: 'x' })],
        ['noEditor', (r) => r.exec(['var', 'GIT_EDITOR'], { cwd: main, noEditor: true })],
      ];
      for (const [name, run] of cases) {
        const expected = await settled(() => run(inProcess));
        const actual = await settled(() => run(helper));
        assert.deepStrictEqual(actual, expected, name);
      }
      // Each case says what it should, so that equal is also right.
      const listed = ((await settled(() => helper.exec(['ls-files'], { cwd: main }))) as { value: { stdout: string } })
        .value.stdout;
      assert.strictEqual(listed.split('\n').filter((line) => line.startsWith('many/')).length, 3000);
      assert.ok((await helper.execBuffer(['cat-file', 'blob', 'binary:blob.bin'], { cwd: main })).equals(binary));
      const merged = await helper.exec(['merge-tree', '--write-tree', 'left', 'right'], {
        cwd: main,
        okExitCodes: [1],
      });
      assert.strictEqual(merged.exitCode, 1);
      assert.match(merged.stdout, /CONFLICT/);
      await assert.rejects(helper.run(['status'], { cwd: missing }), (e: unknown) => {
        return e instanceof PlanWorktreesError && e.code === ErrorCode.PathMissing;
      });
      const written = (await helper.run(['hash-object', '--stdin', '-w'], { cwd: main, stdin: binary })).trim();
      assert.ok(execFileSync('git', ['cat-file', 'blob', written], { cwd: main }).equals(binary));
      assert.strictEqual(helpers().length, 1, 'one helper ran them all');
    }));

  it('says GitNotFound for a git that does not exist, as in this process', async () => {
    const options = { path: '/no/such/git' };
    const expected = await settled(() => new Git(options).run(['version'], { cwd: process.cwd() }));
    const actual = await settled(() => viaHelper(options).run(['version'], { cwd: process.cwd() }));
    assert.strictEqual((actual as { code: string }).code, ErrorCode.GitNotFound);
    assert.deepStrictEqual(actual, expected);
  });

  it('cancels: the helper stops the git process of an aborted run', () =>
    withRepo(async ({ main }) => {
      const runner = viaHelper();
      const controller = new AbortController();
      // `cat-file --batch` reads requests on stdin, which stays open: it runs until it is stopped.
      const running = runner.run(['cat-file', '--batch'], { cwd: main, signal: controller.signal });
      await until(() => gitProcessesIn(main, '--batch').length === 1, 'git runs');
      controller.abort();
      await assert.rejects(running, (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.Cancelled);
      await until(() => gitProcessesIn(main, '--batch').length === 0, 'git was stopped');
    }));

  it('fails a run clearly when the helper dies under it, and the next run works', () =>
    withRepo(async ({ main }) => {
      const lines: string[] = [];
      const runner = viaHelper({ log: recordingLogger(lines) });
      const running = runner.run(['cat-file', '--batch'], { cwd: main });
      await until(() => gitProcessesIn(main, '--batch').length === 1, 'git runs');
      const [first] = helpers();
      process.kill(first, 'SIGKILL');
      await assert.rejects(running, (e: unknown) => {
        assert.ok(e instanceof PlanWorktreesError);
        assert.match(e.message, /helper process that starts git stopped \(signal SIGKILL\) before git answered/);
        return true;
      });
      assert.ok(
        lines.some((line) => /helper process that starts git stopped \(signal SIGKILL\) with 1 git process/.test(line)),
        lines.join('\n'),
      );
      assert.strictEqual(
        (await runner.run(['rev-parse', 'HEAD'], { cwd: main })).trim(),
        git(main, 'rev-parse', 'HEAD'),
      );
      const now = helpers();
      assert.strictEqual(now.length, 1, 'a new helper ran it');
      assert.notStrictEqual(now[0], first);
    }));

  it('runs git in this process when the helper cannot start, and says so once', () =>
    withRepo(async ({ main }) => {
      const lines: string[] = [];
      const runner = new Git({ processHost: path.join(main, 'no-such-helper.js'), log: recordingLogger(lines) });
      const heads = await Promise.all([1, 2, 3].map(() => runner.run(['rev-parse', 'HEAD'], { cwd: main })));
      assert.deepStrictEqual(
        heads.map((h) => h.trim()),
        [1, 2, 3].map(() => git(main, 'rev-parse', 'HEAD')),
      );
      assert.strictEqual((await runner.run(['rev-parse', 'HEAD'], { cwd: main })).trim(), heads[0].trim());
      assert.strictEqual(lines.filter((line) => /could not start/.test(line)).length, 1, lines.join('\n'));
    }));

  it('refuses in an untrusted folder before anything is sent: no helper starts', () =>
    withRepo(async ({ main }) => {
      const runner = viaHelper({ trusted: () => false });
      const options: ExecOptions = { cwd: main };
      await assert.rejects(
        runner.run(['status'], options),
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.Untrusted,
      );
      assert.deepStrictEqual(helpers(), []);
      assert.strictEqual(runner.processCount, 0);
      // What cannot start a program the repository names runs, through the helper.
      await runner.run(['rev-parse', 'HEAD'], options);
      assert.strictEqual(helpers().length, 1);
    }));

  it('does not keep its parent alive while nothing is pending, and exits when its parent does', () =>
    withRepo(async ({ main }) => {
      // A Node process whose only handles are then an idle helper and its channel: it exits at once.
      const script = [
        `const { Git } = require(${JSON.stringify(path.join(__dirname, '..', '..', '..', 'src', 'git', 'runner.js'))});`,
        `new Git({ processHost: ${JSON.stringify(SCRIPT)} }).run(['rev-parse', 'HEAD'], { cwd: ${JSON.stringify(main)} })`,
        `  .then((out) => process.stdout.write(process.pid + ' ' + out));`,
      ].join('\n');
      const [parent, head] = execFileSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        timeout: 10_000,
      }).split(' ');
      assert.strictEqual(head.trim(), git(main, 'rev-parse', 'HEAD'));
      // Its helper noticed the channel close and exited too.
      const orphans = (): string[] =>
        fs.readdirSync('/proc').filter((pid) => {
          try {
            return (
              /^\d+$/.test(pid) &&
              fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(SCRIPT) &&
              !helpers().includes(Number(pid))
            );
          } catch {
            return false;
          }
        });
      await until(() => orphans().length === 0, `the helper of ${parent} exited`);
    }));
});
