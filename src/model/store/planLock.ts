/**
 * One operation per plan at a time, across windows. Every mutating operation
 * on a plan, and every doctor fix, holds the plan's lock file
 * `<common git dir>/plan-worktrees/locks/plan-<id>-<hash>.lock` (the
 * cross-process lock of lock.ts: pid, host, process start, renewed while
 * held, taken over when its holder died). An operation whose outcome depends
 * on where the base branch is (a merge moves it; a clean-up or a discard
 * judges from it whether the plan is merged) also holds the base branch's
 * lock, so merged-ness is never judged from a base that an unfinished merge
 * moved and may still move back. A second window waits a short while, then
 * gets `PlanBusy`, naming the operation and its holder.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import { DomainCode, ErrorCode, PlanError } from '../engine/errors';
import { liveLockOwner, LockOwner, withFileLock } from './lock';
import { stateDir } from './stateFiles';

/** What a lock is for: a plan (by id), a branch (full ref name), or a worktree folder that belongs to no plan. */
export interface LockSubject {
  kind: 'plan' | 'branch' | 'worktree';
  name: string;
}

export interface PlanLockOptions {
  /** How long a second window waits before PlanBusy; default 5 s. */
  waitMs?: number;
  /** A lock its holder stopped renewing this long ago is taken over (a holder on another host that died); default 60 s. */
  staleMs?: number;
}

const defaultWaitMs = 5_000;

/** Another window holds the lock: `subject` is what is busy, `holder` who holds it (when its lock file could be read). */
export class PlanBusyError extends PlanError<DomainCode.PlanBusy> {
  constructor(
    readonly subject: LockSubject,
    readonly holder: LockOwner | undefined,
  ) {
    super(ErrorCode.PlanBusy, {
      subject,
      holder: holder && {
        pid: holder.pid,
        hostname: holder.hostname,
        time: holder.time,
        operation: holder.operation,
        plan: holder.plan,
      },
    });
  }
}

/** The per-plan locks of one repository. */
export class PlanLocks {
  readonly folder: string;

  constructor(
    commonDir: string,
    private readonly options: PlanLockOptions = {},
  ) {
    this.folder = path.join(stateDir(commonDir), 'locks');
  }

  /**
   * Runs `fn` holding the locks of `subjects`, taken in that order. Every
   * caller takes a plan's first, then a worktree folder's, then a branch's,
   * never the other way round, so two windows never wait for each other.
   */
  async hold<T>(
    subjects: LockSubject[],
    operation: string,
    plan: string | undefined,
    fn: () => Promise<T>,
  ): Promise<T> {
    const [first, ...rest] = subjects;
    if (!first) return fn();
    return withFileLock(this.file(first), () => this.hold(rest, operation, plan, fn), {
      timeoutMs: this.options.waitMs ?? defaultWaitMs,
      staleMs: this.options.staleMs,
      operation,
      plan,
      busyError: (holder) => new PlanBusyError(first, holder),
    });
  }

  /** Who is working on a subject right now: the holder of its lock, unless that lock is stale. */
  holder(subject: LockSubject): Promise<LockOwner | undefined> {
    return liveLockOwner(this.file(subject), this.options.staleMs);
  }

  /** The lock file of a subject: a readable name, made unique by a hash of the whole name. */
  file(subject: LockSubject): string {
    const readable = subject.name
      .replace(/^refs\/heads\//, '')
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .slice(0, 40);
    const hash = createHash('sha256').update(`${subject.kind}\0${subject.name}`).digest('hex').slice(0, 12);
    return path.join(this.folder, `${subject.kind}-${readable}-${hash}.lock`);
  }
}
