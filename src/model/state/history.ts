/**
 * A plan's lifecycle in words, from its events in `events.jsonl`: created
 * from which base, merges, clean-ups, snapshots, restores. Each `*.before`
 * event is joined with the `*.after` or `*.failed` that ends it; a `before`
 * that nothing ended is an operation that was interrupted; a `*.refused`
 * event is an operation refused before it started (nothing changed); a
 * `preRemove.skipped` one is a pre-remove command a forced clean-up skipped.
 */
import { LifecycleEvent } from '../engine/types';

export type HistoryKind =
  'create' | 'merge' | 'rebase' | 'remove' | 'discard' | 'snapshot' | 'restore' | 'keep' | 'other';

/** One step of a plan's history. */
export interface HistoryEntry {
  kind: HistoryKind;
  /** `ok`: it happened; `failed`: refused or failed, nothing changed; `interrupted`: started, never ended. */
  outcome: 'ok' | 'failed' | 'interrupted';
  /** ISO time of the event that ended it (of its start when interrupted). */
  time: string;
  planId?: string;
  run?: number;
  /** One line: "Created from main at 1a2b3c4d". */
  summary: string;
  /** More, when there is more to say: the folder, the files, the error. */
  detail?: string;
  /** The events it was made of, oldest first. */
  events: LifecycleEvent[];
}

/** The history of the given events (one plan's, or all), oldest first. */
export function historyEntries(events: readonly LifecycleEvent[]): HistoryEntry[] {
  // Each entry sits where its operation ended (a snapshot taken during a discard comes before "Discarded"); an interrupted one where it started.
  const placed: Array<{ at: number; entry: HistoryEntry }> = [];
  const open = new Map<string, { event: LifecycleEvent; at: number }>();
  events.forEach((event, at) => {
    const [operation, phase] = splitType(event.type);
    const key = `${operation}\0${event.planId ?? ''}\0${event.run ?? ''}`;
    if (phase === 'before') {
      const unfinished = open.get(key);
      if (unfinished) placed.push({ at: unfinished.at, entry: describe([unfinished.event], 'interrupted') });
      open.set(key, { event, at });
      return;
    }
    const started = phase === 'after' || phase === 'failed' ? open.get(key) : undefined;
    if (started) open.delete(key);
    placed.push({
      at,
      entry: describe(
        started ? [started.event, event] : [event],
        phase === 'failed' || phase === 'refused' ? 'failed' : 'ok',
      ),
    });
  });
  for (const { event, at } of open.values()) placed.push({ at, entry: describe([event], 'interrupted') });
  return placed.sort((a, b) => a.at - b.at).map((p) => p.entry);
}

/** The last `max` entries as short lines for a tooltip, newest last: "Merged into main (squash)". */
export function historySummary(events: readonly LifecycleEvent[], max = 6): { lines: HistoryEntry[]; omitted: number } {
  const entries = historyEntries(events);
  const lines = entries.slice(-max);
  return { lines, omitted: entries.length - lines.length };
}

function splitType(type: string): [string, string | undefined] {
  const dot = type.lastIndexOf('.');
  return dot < 0 ? [type, undefined] : [type.slice(0, dot), type.slice(dot + 1)];
}

function describe(events: LifecycleEvent[], outcome: HistoryEntry['outcome']): HistoryEntry {
  // Later events say more (the after has the result); earlier ones fill in (the before has the base).
  const e: LifecycleEvent = Object.assign({}, ...events);
  const last = events[events.length - 1];
  const [operation] = splitType(last.type);
  const entry = (kind: HistoryKind, summary: string, detail?: string): HistoryEntry => ({
    kind,
    outcome,
    time: last.time,
    planId: e.planId,
    run: typeof e.run === 'number' ? e.run : undefined,
    summary,
    detail: detail || undefined,
    events,
  });
  const error = typeof e.error === 'string' ? e.error : '';
  const files = Array.isArray(e.files) && e.files.length > 0 ? ` Files: ${fileList(e.files)}.` : '';
  const reason = `${str(e.code) ? `${e.code}: ` : ''}${error}${files}`;
  switch (operation) {
    case 'create': {
      const from = `${str(e.base) ?? 'its base'}${str(e.baseCommit) ? ` at ${short(e.baseCommit)}` : ''}`;
      if (outcome === 'failed') return entry('create', `Create from ${from} failed`, error);
      if (outcome === 'interrupted') return entry('create', `Create from ${from} was interrupted`, str(e.path));
      const copied = list(e.copied);
      const moved = list(e.moved);
      const extras = [
        str(e.path),
        copied.length ? `copied ${copied.join(', ')}` : '',
        moved.length
          ? `moved ${moved.length} uncommitted change${moved.length === 1 ? '' : 's'} from the main checkout`
          : '',
      ]
        .filter(Boolean)
        .join('; ');
      return entry('create', `Created from ${from}${str(e.branch) ? ` as ${e.branch}` : ''}`, extras);
    }
    case 'merge': {
      const into = `into ${str(e.base) ?? 'its base'}${str(e.strategy) ? ` (${e.strategy})` : ''}`;
      if (outcome === 'failed') return entry('merge', `Merge ${into} refused`, reason);
      if (outcome === 'interrupted') return entry('merge', `Merge ${into} was interrupted`);
      const moved =
        str(e.baseBefore) && str(e.baseAfter)
          ? `${e.base ?? 'base'}: ${short(e.baseBefore)} → ${short(e.baseAfter)}`
          : undefined;
      return entry('merge', `Merged ${into}`, moved);
    }
    case 'rebase': {
      const onto = `onto ${str(e.base) ?? 'its base'}`;
      if (outcome === 'failed') return entry('rebase', `Rebase ${onto} refused`, reason);
      if (outcome === 'interrupted') return entry('rebase', `Rebase ${onto} was interrupted`);
      const conflicts = list(e.conflicts);
      return conflicts.length > 0
        ? entry('rebase', `Rebase ${onto} stopped on conflicts`, `Files: ${fileList(conflicts)}.`)
        : entry('rebase', `Rebased ${onto}`);
    }
    case 'rebase.continue': {
      if (outcome === 'failed') return entry('rebase', 'Continuing the rebase refused', reason);
      if (outcome === 'interrupted') return entry('rebase', 'Continuing the rebase was interrupted');
      const conflicts = list(e.conflicts);
      return conflicts.length > 0
        ? entry('rebase', 'Rebase continued, stopped on conflicts again', `Files: ${fileList(conflicts)}.`)
        : entry('rebase', `Rebase onto ${str(e.base) ?? 'its base'} finished`);
    }
    case 'rebase.abort':
      if (outcome === 'failed') return entry('rebase', 'Aborting the rebase failed', reason);
      if (outcome === 'interrupted') return entry('rebase', 'Aborting the rebase was interrupted');
      return entry('rebase', 'Rebase aborted: the plan is back where it was');
    case 'remove': {
      const discard = e.discard === true;
      const kind: HistoryKind = discard ? 'discard' : 'remove';
      const verb = discard ? 'Discard' : e.force === true ? 'Forced clean-up' : 'Clean-up';
      if (outcome === 'failed') return entry(kind, `${verb} refused`, reason);
      if (outcome === 'interrupted') return entry(kind, `${verb} was interrupted`);
      const parts = [
        e.removedWorktree === true ? 'worktree removed' : e.removedWorktree === false ? 'worktree kept' : '',
        e.deletedBranch === true ? `${branch(e)} deleted` : e.deletedBranch === false ? `${branch(e)} kept` : '',
      ].filter(Boolean);
      return entry(
        kind,
        `${discard ? 'Discarded' : e.force === true ? 'Cleaned up (forced)' : 'Cleaned up'}${parts.length ? `: ${parts.join(', ')}` : ''}`,
        str(e.snapshot) ? `Snapshot ${e.snapshot}` : undefined,
      );
    }
    case 'preRemove': {
      const command = str(e.command);
      if (last.type === 'preRemove.skipped') {
        return entry('remove', 'Pre-remove command skipped (forced clean-up)', command);
      }
      if (outcome === 'interrupted') return entry('remove', 'Pre-remove command was interrupted', command);
      if (outcome === 'failed') {
        const status = typeof e.exitCode === 'number' ? ` (exit code ${e.exitCode})` : '';
        return entry(
          'remove',
          `Pre-remove command failed${status}: clean-up stopped`,
          [command, reason].filter(Boolean).join(': '),
        );
      }
      return entry('remove', 'Pre-remove command ran (exit code 0)', command);
    }
    case 'setup': {
      const command = str(e.command);
      if (outcome === 'interrupted') return entry('create', 'Setup command started, no result recorded', command);
      if (outcome === 'failed') {
        const status =
          typeof e.exitCode === 'number' ? `exit code ${e.exitCode}` : 'no exit code: its terminal was closed';
        return entry('create', `Setup command failed (${status})`, command);
      }
      return entry('create', 'Setup command finished (exit code 0)', command);
    }
    case 'submodules':
      if (outcome === 'failed') return entry('create', 'Checking out the submodules failed', error);
      if (outcome === 'interrupted') return entry('create', 'Checking out the submodules was interrupted');
      return entry('create', 'Submodules checked out');
    case 'snapshot':
      return entry(
        'snapshot',
        `Snapshot saved${str(e.reason) ? ` (${e.reason})` : ''}`,
        [str(e.ref), str(e.commit) ? `commit ${short(e.commit)}` : ''].filter(Boolean).join(', '),
      );
    case 'restore':
      if (outcome === 'failed') {
        return entry('restore', 'Restore from a snapshot failed', `${str(e.ref) ?? ''}${error ? `: ${error}` : ''}`);
      }
      if (outcome === 'interrupted') return entry('restore', 'Restore from a snapshot was interrupted', str(e.ref));
      return entry(
        'restore',
        `Restored from a snapshot${str(e.branch) ? ` as ${e.branch}` : ''}`,
        [str(e.ref), str(e.path)].filter(Boolean).join(' → '),
      );
    case 'keep':
      return entry('keep', `${capitalize(branch(e))} kept`, str(e.reason));
    default:
      return entry('other', last.type, error || undefined);
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function branch(e: LifecycleEvent): string {
  return str(e.branch) ? `branch ${e.branch}` : 'the branch';
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function short(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 8) : '';
}

function fileList(files: unknown[]): string {
  return `${files.slice(0, 10).map(String).join(', ')}${files.length > 10 ? ', …' : ''}`;
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
