/**
 * The lifecycle log `<common git dir>/plan-worktrees/events.jsonl`: one JSON
 * line per event (`create.before`, `merge.after`, `remove.failed`, ...),
 * appended by every window. A line torn by a crash is skipped when reading.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { stateDir } from './registry';
import { LifecycleEvent } from './types';

/** An event as a caller gives it: the log adds the time. */
export type NewEvent = Omit<LifecycleEvent, 'time'>;

/** The event log of one repository. */
export class EventLog {
  readonly file: string;

  constructor(commonDir: string) {
    this.file = path.join(stateDir(commonDir), 'events.jsonl');
  }

  /** Appends one event, stamped with the current time, as one line. */
  async append(event: NewEvent): Promise<void> {
    const line = JSON.stringify({ ...event, time: new Date().toISOString() }) + '\n';
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const handle = await fs.open(this.file, 'a+');
    try {
      // After a torn line (a crash mid-write) start on a fresh line, so this event stays readable.
      const { size } = await handle.stat();
      const last = Buffer.alloc(1);
      if (size > 0) await handle.read(last, 0, 1, size - 1);
      await handle.write(size > 0 && last[0] !== 0x0a ? '\n' + line : line);
    } finally {
      await handle.close();
    }
  }

  /** Every readable event, oldest first; only those of one plan when `planId` is given. */
  async read(planId?: string): Promise<LifecycleEvent[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const events = text.split('\n').flatMap(parseEvent);
    return planId === undefined ? events : events.filter((e) => e.planId === planId);
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
