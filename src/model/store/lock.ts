/**
 * A lock file that serializes writers across processes (every VS Code window
 * of a repository runs its own extension host). The lock is a file created
 * with `wx` holding the owner's pid, host, process start and time, and what it
 * is doing; a lock whose owner died (a pid that is gone, or that now belongs
 * to a process started at another time), or that nobody has renewed for
 * `staleMs`, is taken over. The owner renews it (its file's time) while it
 * holds it, so a long operation is never mistaken for a dead one. Taking over
 * happens under a second, short-lived guard file, so two waiters never both
 * break one lock.
 */
import { randomBytes } from 'crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ErrorCode, PlanError } from '../engine/errors';
import { readStateFile, readStateFileSync } from './stateFiles';

/** A lock file holds a few bytes of JSON. */
const MAX_LOCK_BYTES = 4096;

export interface LockOptions {
  /** How long to wait for the lock before failing with `LockTimeout`; default 10 s. */
  timeoutMs?: number;
  /** A lock not renewed for this long is stale even if its owner seems alive (another host); default 60 s. Its owner renews it every quarter of this. */
  staleMs?: number;
  /** What the owner does while it holds the lock (e.g. `merge`), recorded for whoever waits. */
  operation?: string;
  /** The plan the operation is about, recorded with it. */
  plan?: string;
  /** The error thrown when the lock is still held after `timeoutMs`; default LockTimeout naming the holder. */
  busyError?: (holder: LockOwner | undefined) => Error;
}

/** What a lock file holds. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  time: string;
  /** Unique per acquisition: a release never removes somebody else's lock. */
  token: string;
  /** When the owner process started (where the system says: Linux), so that a reused pid is not taken for it. */
  started?: string;
  operation?: string;
  plan?: string;
}

const defaultTimeoutMs = 10_000;
const defaultStaleMs = 60_000;
/** A lock file that cannot be read yet is given this long to be written by its owner. */
const unreadableGraceMs = 2_000;
/** The take-over guard is held for a few file operations; older than this it was left by a crash. */
const guardStaleMs = 10_000;

/** Runs `fn` while holding the lock `lockFile`; the lock is released however `fn` ends. */
export async function withFileLock<T>(
  lockFile: string,
  fn: () => Promise<T> | T,
  options: LockOptions = {},
): Promise<T> {
  const owner = await acquire(lockFile, options);
  const renew = setInterval(() => void renewLock(lockFile, owner), (options.staleMs ?? defaultStaleMs) / 4);
  renew.unref();
  try {
    return await fn();
  } finally {
    clearInterval(renew);
    release(lockFile, owner);
  }
}

/** Reads who holds a lock; undefined when it is free or unreadable. */
export async function readLockOwner(lockFile: string): Promise<LockOwner | undefined> {
  try {
    return parseOwner((await readStateFile(lockFile, MAX_LOCK_BYTES)) ?? '');
  } catch {
    return undefined;
  }
}

/** Who holds a lock that is not stale (its holder lives and renews it); undefined when it is free, stale or unreadable. */
export async function liveLockOwner(lockFile: string, staleMs = defaultStaleMs): Promise<LockOwner | undefined> {
  const owner = await readLockOwner(lockFile);
  try {
    return owner && !(await isStale(lockFile, staleMs)) ? owner : undefined;
  } catch {
    return undefined;
  }
}

async function acquire(lockFile: string, options: LockOptions): Promise<LockOwner> {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const staleMs = options.staleMs ?? defaultStaleMs;
  const deadline = Date.now() + timeoutMs;
  const owner: LockOwner = {
    pid: process.pid,
    hostname: os.hostname(),
    time: '',
    token: randomBytes(8).toString('hex'),
    started: ownStart(),
    operation: options.operation,
    plan: options.plan,
  };
  for (let attempt = 0; ; attempt++) {
    owner.time = new Date().toISOString();
    if (await tryCreate(lockFile, JSON.stringify(owner))) return owner;
    const stale = await isStale(lockFile, staleMs);
    if (stale) await takeOver(lockFile, staleMs);
    if (Date.now() >= deadline) {
      const holder = await readLockOwner(lockFile);
      if (options.busyError) throw options.busyError(holder);
      throw new PlanError(ErrorCode.LockTimeout, {
        timeoutMs,
        path: lockFile,
        holder: holder && { pid: holder.pid, hostname: holder.hostname, time: holder.time },
        files: [lockFile],
      });
    }
    if (!stale) await delay(backoff(attempt));
  }
}

/**
 * Creates the file with `wx` (and its folder when missing); false when it
 * exists already. The few bytes of a lock file are written synchronously:
 * a lock is taken and let go around every operation, and each hop through
 * the thread pool costs more than the write.
 */
async function tryCreate(file: string, content: string): Promise<boolean> {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    if (errorCode(e) === 'EEXIST') return false;
    if (errorCode(e) !== 'ENOENT') throw e;
    mkdirSync(path.dirname(file), { recursive: true });
    return tryCreate(file, content);
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** A lock is stale when its owner is a dead process on this host, or nobody renewed it for staleMs. */
async function isStale(lockFile: string, staleMs: number): Promise<boolean> {
  let text: string;
  let modified: number;
  try {
    // Never through a link, never a FIFO: a lock file is a few bytes of JSON.
    let found: string | undefined;
    [found, modified] = await Promise.all([
      readStateFile(lockFile, MAX_LOCK_BYTES),
      fs.lstat(lockFile).then((s) => s.mtimeMs),
    ]);
    if (found === undefined) return false; // released meanwhile: just try again
    text = found;
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return false; // released meanwhile: just try again
    throw e;
  }
  const owner = parseOwner(text);
  if (!owner) return Date.now() - modified > Math.min(staleMs, unreadableGraceMs);
  const taken = Date.parse(owner.time);
  if (Date.now() - Math.max(Number.isNaN(taken) ? 0 : taken, modified) > staleMs) return true;
  return owner.hostname === os.hostname() && !isOwnerAlive(owner);
}

/** The owner of a lock on this host still runs: its pid exists and, where the system says, started when the lock says. */
function isOwnerAlive(owner: LockOwner): boolean {
  if (!isProcessAlive(owner.pid)) return false;
  const started = owner.started === undefined ? undefined : processStart(owner.pid);
  return started === undefined || started === owner.started;
}

/** Marks the lock as still held (its file's time), as long as it is ours. */
async function renewLock(lockFile: string, owner: LockOwner): Promise<void> {
  try {
    if ((await readLockOwner(lockFile))?.token !== owner.token) return;
    const now = new Date();
    await fs.lutimes(lockFile, now, now);
  } catch {
    // gone or unreadable for a moment: the next renewal tries again
  }
}

/** Removes a stale lock, checking again under the guard that it is still stale. */
async function takeOver(lockFile: string, staleMs: number): Promise<void> {
  const guard = `${lockFile}.takeover`;
  if (!(await tryCreate(guard, String(process.pid)))) {
    const age = await fs.stat(guard).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > guardStaleMs) await fs.rm(guard, { force: true });
    else await delay(backoff(0));
    return;
  }
  try {
    if (await isStale(lockFile, staleMs)) await fs.rm(lockFile, { force: true });
  } finally {
    await fs.rm(guard, { force: true });
  }
}

/**
 * Removes the lock if it is still ours, read with the same checks as
 * `readLockOwner` (no link followed, a regular file, at most MAX_LOCK_BYTES)
 * but without yielding: a file of a few bytes, read in the turn the holder
 * ends instead of a few turns of the thread pool later.
 */
function release(lockFile: string, owner: LockOwner): void {
  let current: LockOwner | undefined;
  try {
    current = parseOwner(readStateFileSync(lockFile, MAX_LOCK_BYTES) ?? '');
  } catch {
    current = undefined;
  }
  // A lock taken over while we held it (we were too slow) belongs to someone else now.
  if (current?.token === owner.token) rmSync(lockFile, { force: true });
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<Record<keyof LockOwner, unknown>> | null;
    if (
      typeof value?.pid === 'number' &&
      typeof value.hostname === 'string' &&
      typeof value.time === 'string' &&
      typeof value.token === 'string'
    ) {
      const optional = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, 200) : undefined);
      return {
        pid: value.pid,
        hostname: value.hostname,
        time: value.time,
        token: value.token,
        started: optional(value.started),
        operation: optional(value.operation),
        plan: optional(value.plan),
      };
    }
  } catch {
    // a lock being written, or not ours
  }
  return undefined;
}

/** Whether a process with this id runs on this host. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) === 'EPERM'; // exists, owned by another user
  }
}

let ownStartTime: { value: string | undefined } | undefined;

/** When this process started (read once). */
function ownStart(): string | undefined {
  ownStartTime ??= { value: processStart(process.pid) };
  return ownStartTime.value;
}

/**
 * When a process started, as the system tells it (Linux: clock ticks since
 * boot, field 22 of /proc/<pid>/stat); undefined where it does not.
 */
export function processStart(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function backoff(attempt: number): number {
  const base = Math.min(10 * 1.5 ** attempt, 200);
  return base / 2 + Math.random() * (base / 2);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
