import * as assert from 'assert';
import { ChildProcess, fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DomainCode, ErrorCode, PlanError, PlanWorktreesError } from '../../../../src/model/engine/errors';
import { LockOptions, processStart, readLockOwner, withFileLock } from '../../../../src/model/store/lock';
import { isPlanError } from '../../helpers/errors';
import { makeTempDir, removeDir } from '../../helpers/repo';

const worker = path.join(__dirname, '..', '..', 'fixtures', 'lockWorker.js');

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Starts a worker that takes the lock and keeps it; resolves once it holds it. */
async function holder(lockFile: string, options: LockOptions = {}): Promise<ChildProcess> {
  const child = fork(worker, ['hold', lockFile, JSON.stringify(options)], { stdio: 'inherit' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return child;
}

async function withTemp(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = makeTempDir('pw-lock-');
  try {
    await body(dir);
  } finally {
    removeDir(dir);
  }
}

describe('withFileLock', () => {
  it('removes its lock in the turn the function ends, its owner read without yielding', () =>
    withTemp(async (dir) => {
      const lockFile = path.join(dir, 'x.lock');
      let end = (): void => undefined;
      let started = (): void => undefined;
      const running = new Promise<void>((resolve) => (started = resolve));
      const held = withFileLock(lockFile, () => new Promise<void>((resolve) => ((end = resolve), started())));
      await running;
      assert.ok(fs.existsSync(lockFile));
      end();
      // One turn of the event loop: a read of the lock file through the thread pool would not be back yet.
      await new Promise((resolve) => setImmediate(resolve));
      assert.strictEqual(fs.existsSync(lockFile), false);
      await held;
    }));

  it('runs the function, returns its value and removes the lock file, also when it throws', () =>
    withTemp(async (dir) => {
      const lockFile = path.join(dir, 'sub', 'x.lock');
      const value = await withFileLock(lockFile, async () => {
        const owner = await readLockOwner(lockFile);
        assert.strictEqual(owner?.pid, process.pid);
        assert.strictEqual(owner?.hostname, os.hostname());
        return 42;
      });
      assert.strictEqual(value, 42);
      assert.ok(!fs.existsSync(lockFile));
      await assert.rejects(
        withFileLock(lockFile, () => Promise.reject(new Error('boom'))),
        /boom/,
      );
      assert.ok(!fs.existsSync(lockFile));
    }));

  it('serializes two real processes and this one: no turn overlaps, no increment is lost', () =>
    withTemp(async (dir) => {
      const lockFile = path.join(dir, 'counter.lock');
      const counter = path.join(dir, 'counter');
      const log = path.join(dir, 'log');
      const children = [1, 2].map(() => fork(worker, ['count', lockFile, counter, log, '25'], { stdio: 'inherit' }));
      for (let i = 0; i < 10; i++) {
        await withFileLock(lockFile, () => {
          fs.appendFileSync(log, `enter ${process.pid}\n`);
          fs.writeFileSync(
            counter,
            String(Number(fs.existsSync(counter) ? fs.readFileSync(counter, 'utf8') : '0') + 1),
          );
          fs.appendFileSync(log, `exit ${process.pid}\n`);
        });
      }
      assert.deepStrictEqual(await Promise.all(children.map(exited)), [0, 0]);
      assert.strictEqual(fs.readFileSync(counter, 'utf8'), '60');
      const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
      assert.strictEqual(lines.length, 120);
      for (let i = 0; i < lines.length; i += 2) {
        const pid = lines[i].slice('enter '.length);
        assert.deepStrictEqual([lines[i], lines[i + 1]], [`enter ${pid}`, `exit ${pid}`], `turns overlap at line ${i}`);
      }
      assert.strictEqual(new Set(lines.map((l) => l.split(' ')[1])).size, 3);
      assert.ok(!fs.existsSync(lockFile));
    }));

  it('takes over a lock left by a process that was killed', () =>
    withTemp(async (dir) => {
      const lockFile = path.join(dir, 'x.lock');
      const child = await holder(lockFile);
      const deadPid = child.pid;
      child.kill('SIGKILL');
      await exited(child);
      assert.strictEqual((await readLockOwner(lockFile))?.pid, deadPid, 'the killed process left its lock behind');
      const started = Date.now();
      const value = await withFileLock(lockFile, async () => (await readLockOwner(lockFile))?.pid, { timeoutMs: 5000 });
      assert.strictEqual(value, process.pid);
      assert.ok(Date.now() - started < 2000, 'a dead owner is recognized at once, not after staleMs');
      assert.ok(!fs.existsSync(lockFile));
    }));

  it('waits for a live holder and then fails with LockTimeout naming it, leaving its lock alone', () =>
    withTemp(async (dir) => {
      const lockFile = path.join(dir, 'x.lock');
      const child = await holder(lockFile);
      try {
        const before = fs.readFileSync(lockFile, 'utf8');
        let ran = false;
        await assert.rejects(
          withFileLock(lockFile, () => (ran = true), { timeoutMs: 300 }),
          (e: unknown) =>
            isPlanError(ErrorCode.LockTimeout, { path: lockFile, files: [lockFile] })(e) &&
            (e as PlanError<DomainCode.LockTimeout>).data.holder?.pid === child.pid,
        );
        assert.strictEqual(ran, false);
        assert.strictEqual(fs.readFileSync(lockFile, 'utf8'), before);
      } finally {
        child.kill('SIGKILL');
        await exited(child);
      }
    }));

  it('treats a lock from another host as stale only when nobody renewed it for staleMs', () =>
    withTemp(async (dir) => {
      const lockFile = path.join(dir, 'x.lock');
      const lockFrom = (ageMs: number): void => {
        const time = new Date(Date.now() - ageMs);
        fs.writeFileSync(
          lockFile,
          JSON.stringify({ pid: 1, hostname: 'some-other-host', time: time.toISOString(), token: 'theirs' }),
        );
        fs.utimesSync(lockFile, time, time);
      };
      lockFrom(1000);
      await assert.rejects(
        withFileLock(lockFile, () => undefined, { timeoutMs: 200, staleMs: 60_000 }),
        isPlanError(ErrorCode.LockTimeout),
      );
      // Taken long ago, but renewed a moment ago (its file's time): its holder is still at work.
      lockFrom(120_000);
      fs.utimesSync(lockFile, new Date(), new Date());
      await assert.rejects(
        withFileLock(lockFile, () => undefined, { timeoutMs: 200, staleMs: 60_000 }),
        isPlanError(ErrorCode.LockTimeout),
      );
      lockFrom(120_000);
      assert.strictEqual(
        await withFileLock(lockFile, () => 'taken over', { timeoutMs: 2000, staleMs: 60_000 }),
        'taken over',
      );
      assert.ok(!fs.existsSync(lockFile));
    }));

  it('gives an unreadable lock file time to be written, then takes it over', () =>
    withTemp(async (dir) => {
      const lockFile = path.join(dir, 'x.lock');
      fs.writeFileSync(lockFile, '');
      await assert.rejects(
        withFileLock(lockFile, () => undefined, { timeoutMs: 200 }),
        isPlanError(ErrorCode.LockTimeout),
      );
      const old = new Date(Date.now() - 10_000);
      fs.utimesSync(lockFile, old, old);
      assert.strictEqual(await withFileLock(lockFile, () => 'ok', { timeoutMs: 2000 }), 'ok');
    }));

  it('a holder that keeps the lock longer than staleMs renews it, and is not taken over while it lives', () =>
    withTemp(async (dir) => {
      const lockFile = path.join(dir, 'x.lock');
      const child = await holder(lockFile, { staleMs: 400 });
      try {
        const before = fs.readFileSync(lockFile, 'utf8');
        let ran = false;
        // Three times staleMs: without renewal the lock would look abandoned after 400 ms.
        await assert.rejects(
          withFileLock(lockFile, () => (ran = true), { timeoutMs: 1200, staleMs: 400 }),
          isPlanError(ErrorCode.LockTimeout),
        );
        assert.strictEqual(ran, false);
        assert.strictEqual(fs.readFileSync(lockFile, 'utf8'), before, 'the holder still holds its own lock');
        assert.ok(Date.now() - fs.statSync(lockFile).mtimeMs < 400, 'the holder renewed its lock');
      } finally {
        child.kill('SIGKILL');
        await exited(child);
      }
    }));

  it('records the operation, the plan and the process start, and lets the caller choose the error for a busy lock', () =>
    withTemp(async (dir) => {
      const lockFile = path.join(dir, 'x.lock');
      const child = await holder(lockFile, { operation: 'merge', plan: '7' });
      try {
        const owner = await readLockOwner(lockFile);
        assert.strictEqual(owner?.operation, 'merge');
        assert.strictEqual(owner?.plan, '7');
        assert.strictEqual(owner?.started, processStart(child.pid as number));
        await assert.rejects(
          withFileLock(lockFile, () => undefined, {
            timeoutMs: 200,
            busyError: (holder) => new Error(`busy: ${holder?.operation} of ${holder?.plan} by ${holder?.pid}`),
          }),
          new RegExp(`^Error: busy: merge of 7 by ${child.pid}$`),
        );
      } finally {
        child.kill('SIGKILL');
        await exited(child);
      }
    }));

  it('takes over a lock whose pid now belongs to a process started at another time (a reused pid)', function () {
    if (processStart(process.pid) === undefined) this.skip(); // the system does not say when a process started
    return withTemp(async (dir) => {
      const lockFile = path.join(dir, 'x.lock');
      const lockOf = (started: string | undefined): void =>
        fs.writeFileSync(
          lockFile,
          JSON.stringify({
            pid: process.pid,
            hostname: os.hostname(),
            time: new Date().toISOString(),
            token: 'theirs',
            started,
          }),
        );
      lockOf(processStart(process.pid));
      await assert.rejects(
        withFileLock(lockFile, () => undefined, { timeoutMs: 200 }),
        isPlanError(ErrorCode.LockTimeout),
        'the same process, still running: not stale',
      );
      lockOf('1');
      const started = Date.now();
      assert.strictEqual(await withFileLock(lockFile, () => 'taken over', { timeoutMs: 2000 }), 'taken over');
      assert.ok(Date.now() - started < 1000);
    });
  });

  it('reads only the fields it knows from a lock file, each of its type', () =>
    withTemp(async (dir) => {
      const lockFile = path.join(dir, 'x.lock');
      fs.writeFileSync(
        lockFile,
        JSON.stringify({
          pid: 1,
          hostname: 'h',
          time: 't',
          token: 'k',
          operation: { toString: 1 },
          plan: 7,
          extra: 'x',
          started: 'long'.repeat(100),
        }),
      );
      assert.deepStrictEqual(await readLockOwner(lockFile), {
        pid: 1,
        hostname: 'h',
        time: 't',
        token: 'k',
        started: 'long'.repeat(50),
        operation: undefined,
        plan: undefined,
      });
      fs.writeFileSync(lockFile, 'null');
      assert.strictEqual(await readLockOwner(lockFile), undefined);
    }));

  it('never reads a lock file through a symbolic link, nor more than a few KB of it: it refuses, naming the file, and changes nothing', () =>
    withTemp(async (dir) => {
      const lockFile = path.join(dir, 'x.lock');
      const elsewhere = path.join(dir, 'elsewhere.json');
      const live = JSON.stringify({
        pid: process.pid,
        hostname: os.hostname(),
        time: new Date().toISOString(),
        token: 'theirs',
        started: processStart(process.pid),
      });
      fs.writeFileSync(elsewhere, live);
      fs.symlinkSync(elsewhere, lockFile);
      assert.strictEqual(await readLockOwner(lockFile), undefined, 'not read through the link');
      let ran = false;
      await assert.rejects(
        withFileLock(lockFile, () => (ran = true), { timeoutMs: 2000 }),
        (e: unknown) =>
          e instanceof PlanWorktreesError && e.code === ErrorCode.StateFileUnsafe && e.files.includes(lockFile),
      );
      assert.strictEqual(ran, false);
      assert.strictEqual(fs.readlinkSync(lockFile), elsewhere, 'the link is left as it was');
      assert.strictEqual(fs.readFileSync(elsewhere, 'utf8'), live, 'what it points to is untouched');
      fs.rmSync(lockFile);

      // A live owner's lock, padded far beyond any lock file, is not read.
      fs.writeFileSync(lockFile, live.slice(0, -1) + `,"pad":"${'x'.repeat(8 * 1024 * 1024)}"}`);
      assert.strictEqual(await readLockOwner(lockFile), undefined);
      await assert.rejects(
        withFileLock(lockFile, () => (ran = true), { timeoutMs: 2000 }),
        (e: unknown) => e instanceof PlanWorktreesError && e.code === ErrorCode.StateFileTooLarge,
      );
      assert.strictEqual(ran, false);
    }));
});
