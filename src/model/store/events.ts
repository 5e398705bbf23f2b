/**
 * The lifecycle log `<common git dir>/plan-worktrees/events.jsonl`: one JSON
 * line per event (`create.before`, `merge.after`, `remove.failed`, ...),
 * appended by every window. A line torn by a crash is skipped when reading.
 *
 * The log stays small: once `events.jsonl` is past ROTATE_BYTES, the next
 * append moves it to `events.1.jsonl` (replacing the one before) and a new
 * `events.jsonl` starts. Reading goes backwards from the newest line, in
 * pieces, and stops after MAX_READ_BYTES, or (with `since`) once it reaches
 * older events: a huge or hostile log costs a bounded read.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { ErrorCode, isError } from '../engine/errors';
import { withFileLock } from './lock';
import { openStateFile, stateDir } from './stateFiles';
import { LifecycleEvent } from '../engine/types';

/** An event as a caller gives it: the log adds the time. */
export type NewEvent = Omit<LifecycleEvent, 'time'>;

/** Past this size `events.jsonl` is moved to `events.1.jsonl` on the next append. */
export const ROTATE_BYTES = 2 * 1024 * 1024;
/** The most a read looks at, newest first, over both files. */
export const MAX_READ_BYTES = 2 * ROTATE_BYTES;
/** How much is read at a time. */
const CHUNK_BYTES = 64 * 1024;
/** Events of several windows may land slightly out of order: a read `since` a time looks this much further back. */
const ORDER_SLACK_MS = 60_000;

export interface ReadOptions {
  /** Only events of this plan. */
  planId?: string;
  /** Only events at or after this time (ms since the epoch); reading stops at older ones. */
  since?: number;
  /** At most this many bytes are looked at (default MAX_READ_BYTES). */
  maxBytes?: number;
}

/** The event log of one repository. */
export class EventLog {
  readonly file: string;
  /** Where the log goes when it is rotated. */
  readonly olderFile: string;
  private readonly rotateLock: string;

  constructor(commonDir: string) {
    this.file = path.join(stateDir(commonDir), 'events.jsonl');
    this.olderFile = path.join(stateDir(commonDir), 'events.1.jsonl');
    this.rotateLock = path.join(stateDir(commonDir), 'events.lock');
  }

  /** Appends one event, stamped with the current time, as one line. */
  async append(event: NewEvent): Promise<void> {
    const line = JSON.stringify({ ...event, time: new Date().toISOString() }) + '\n';
    const handle = await openStateFile(this.file, 'append');
    let size: number;
    try {
      // After a torn line (a crash mid-write) start on a fresh line, so this event stays readable.
      size = (await handle.stat()).size;
      const last = Buffer.alloc(1);
      if (size > 0) await handle.read(last, 0, 1, size - 1);
      const text = size > 0 && last[0] !== 0x0a ? '\n' + line : line;
      await handle.write(text);
      size += Buffer.byteLength(text);
    } finally {
      await handle.close();
    }
    if (size > ROTATE_BYTES) await this.rotate();
  }

  /** Readable events, oldest first: the newest MAX_READ_BYTES of the log at most; only those of one plan when `planId` is given. */
  async read(planId?: string): Promise<LifecycleEvent[]>;
  async read(options: ReadOptions): Promise<LifecycleEvent[]>;
  async read(arg?: string | ReadOptions): Promise<LifecycleEvent[]> {
    const options: ReadOptions = typeof arg === 'string' ? { planId: arg } : (arg ?? {});
    const stopBefore = options.since === undefined ? undefined : options.since - ORDER_SLACK_MS;
    const newestFirst: LifecycleEvent[] = [];
    let budget = options.maxBytes ?? MAX_READ_BYTES;
    for (const file of [this.file, this.olderFile]) {
      const { read, reachedStart, older } = await readBackwards(file, budget, stopBefore, newestFirst);
      budget -= read;
      if (!reachedStart || older || budget <= 0) break;
    }
    const events = newestFirst.reverse();
    return events.filter(
      (e) =>
        (options.planId === undefined || e.planId === options.planId) &&
        (options.since === undefined || timeOf(e) >= options.since),
    );
  }

  /** Moves a log past ROTATE_BYTES to `events.1.jsonl`. One window at a time; appends that raced it land in the moved file, never lost. */
  private async rotate(): Promise<void> {
    try {
      await withFileLock(
        this.rotateLock,
        async () => {
          const stat = await fs.lstat(this.file).catch(() => undefined);
          if (stat?.isFile() && stat.size > ROTATE_BYTES) await fs.rename(this.file, this.olderFile);
        },
        { timeoutMs: 2_000 },
      );
    } catch (e) {
      // Another window is rotating it; the event itself is written.
      if (!isError(e, ErrorCode.LockTimeout)) throw e;
    }
  }
}

/** The time of an event in ms, NaN when it has none that parses. */
export function timeOf(event: LifecycleEvent): number {
  return typeof event.time === 'string' ? Date.parse(event.time) : NaN;
}

/**
 * Reads the file from its end in CHUNK_BYTES pieces, pushing each readable
 * event onto `out` newest first, until `budget` bytes are read, the file's
 * start is reached, or (with `stopBefore`) a piece held an event older than it.
 */
async function readBackwards(
  file: string,
  budget: number,
  stopBefore: number | undefined,
  out: LifecycleEvent[],
): Promise<{ read: number; reachedStart: boolean; older: boolean }> {
  const handle = await openStateFile(file, 'read');
  if (!handle) return { read: 0, reachedStart: true, older: false };
  try {
    let position = (await handle.stat()).size;
    let carry = Buffer.alloc(0);
    let read = 0;
    let older = false;
    while (position > 0 && read < budget && !older) {
      const length = Math.min(CHUNK_BYTES, position, budget - read);
      position -= length;
      const chunk = Buffer.alloc(length);
      const { bytesRead } = await handle.read(chunk, 0, length, position);
      read += length;
      const data = Buffer.concat([chunk.subarray(0, bytesRead), carry]);
      // The piece's first line may start in the piece before: it waits for it (unless this is the file's start).
      const firstBreak = position > 0 ? data.indexOf(0x0a) : -1;
      carry = firstBreak < 0 && position > 0 ? data : data.subarray(0, firstBreak + 1);
      const complete = firstBreak < 0 && position > 0 ? Buffer.alloc(0) : data.subarray(firstBreak + 1);
      const lines = complete.toString('utf8').split('\n');
      for (let i = lines.length - 1; i >= 0; i--) {
        for (const event of parseEvent(lines[i])) {
          out.push(event);
          if (stopBefore !== undefined && timeOf(event) < stopBefore) older = true;
        }
      }
    }
    return { read, reachedStart: position === 0, older };
  } finally {
    await handle.close();
  }
}

function parseEvent(line: string): LifecycleEvent[] {
  if (line.trim() === '') return [];
  try {
    const value = JSON.parse(line) as LifecycleEvent;
    return typeof value === 'object' && value !== null && typeof value.type === 'string' ? [value] : [];
  } catch {
    return [];
  }
}
