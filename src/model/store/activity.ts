/**
 * What each plan's window is doing, for the other windows to see: every
 * window (every extension host) open on a plan publishes its plan's activity
 * in `<common git dir>/plan-worktrees/activity/<id>@<run>.json` — whether the
 * window is open (its extension host's process id, which a reader checks is
 * alive: no heartbeat), the terminal commands and task processes running in
 * it, the last one that ended and its exit code, and the last file change in
 * the worktree. An extension (an agent) may say more about a plan
 * explicitly, "waiting for input" for instance: that report is its own file,
 * `<id>@<run>.report.json`, so two writers never overwrite each other. Both
 * are written whole and atomically (stateFiles.ts) and keyed by plan id and
 * run, so two runs of one id never share a file.
 *
 * Anyone who can write to the repository's folder can write these files:
 * they are data, read with a size limit and checked member by member; a file
 * that is not valid is refused with `StateFileInvalid` and shown as nothing.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ErrorCode, PlanError } from '../engine/errors';
import { MAX_ID_LENGTH, shownName, validateId } from '../engine/names';
import { checkStateFolder, readStateFile, stateDir, writeStateFile } from './stateFiles';

/** A real activity file is well under this; a larger one is not read. */
export const MAX_ACTIVITY_BYTES = 16 * 1024;
/** A command line as the tree shows it: at most this many characters. */
export const MAX_COMMAND_LENGTH = 60;
/** A report's message: at most this many characters. */
export const MAX_REPORT_MESSAGE_LENGTH = 200;
/** Commands running at once that a window file lists (the oldest are left out). */
export const MAX_RUNNING = 10;

/** The process of a window's extension host, or of the extension that reported. */
export interface ProcessRef {
  pid: number;
  hostname: string;
}

/** A terminal command or task process of the window. */
export interface ActivityCommand {
  /** The command line, shortened (MAX_COMMAND_LENGTH), on one line. */
  command: string;
  /** Where it runs: a terminal's shell (shell integration) or a task's process. */
  source: 'terminal' | 'task';
  /** ISO time it started. */
  started: string;
}

/** The last command that ended. */
export interface EndedCommand extends ActivityCommand {
  /** ISO time it ended. */
  ended: string;
  /** Its exit code; none when the shell did not say (a terminal closed while it ran). */
  exitCode?: number;
}

/** `<id>@<run>.json`: what the plan's own window publishes. */
export interface WindowActivity {
  version: 1;
  planId: string;
  run: number;
  window: ProcessRef & {
    /** False once the window closed (written as its extension host stops). */
    open: boolean;
    /** ISO time the window opened (or closed, once `open` is false). */
    since: string;
  };
  /** ISO time of the last file change in the plan's worktree that the window saw. */
  lastChange?: string;
  /** The commands running now, oldest first. */
  running: ActivityCommand[];
  last?: EndedCommand;
}

export type ReportedState = 'waitingForInput' | 'working' | 'done';
export const REPORTED_STATES: readonly ReportedState[] = ['waitingForInput', 'working', 'done'];

/** `<id>@<run>.report.json`: what an extension said about the plan (the API's `reportActivity`). */
export interface ActivityReport {
  version: 1;
  planId: string;
  run: number;
  state: ReportedState;
  message?: string;
  /** ISO time of the report. */
  time: string;
  /** The extension host that reported: the report lasts while it runs. */
  reporter: ProcessRef;
}

/** Both files of one run of a plan, as read. */
export interface PlanActivity {
  planId: string;
  run: number;
  window?: WindowActivity;
  report?: ActivityReport;
}

/**
 * What the activity of a plan comes to, first thing first: an explicit
 * report of a running extension, a closed window, a running command, the
 * exit of the last one (when nothing changed since), or idle since the last
 * thing that happened.
 */
export type ActivityState =
  | { kind: 'reported'; state: ReportedState; message?: string; since: string }
  | { kind: 'closed'; since: string }
  | { kind: 'running'; command: string; since: string; more: number }
  | { kind: 'exited'; command: string; exitCode?: number; since: string }
  | { kind: 'idle'; since: string };

export function activityFolder(commonDir: string): string {
  return path.join(stateDir(commonDir), 'activity');
}

/** The window file of one run of a plan. */
export function activityFile(commonDir: string, planId: string, run: number): string {
  return path.join(activityFolder(commonDir), `${fileKey(planId, run)}.json`);
}

/** The report file of one run of a plan. */
export function reportFile(commonDir: string, planId: string, run: number): string {
  return path.join(activityFolder(commonDir), `${fileKey(planId, run)}.report.json`);
}

function fileKey(planId: string, run: number): string {
  // A valid id has no `@`, `/` or `%`; encoding keeps any other one inside the folder all the same.
  return `${encodeURIComponent(planId)}@${run}`;
}

/** The plan and run an activity file name stands for (and which of the two files it is); undefined for any other name. */
export function parseActivityFileName(name: string): { planId: string; run: number; report: boolean } | undefined {
  const match = /^([^@]+)@([1-9]\d{0,8})(\.report)?\.json$/.exec(name);
  if (!match) return undefined;
  let planId: string;
  try {
    planId = decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
  if (validateId(planId) !== undefined) return undefined;
  return { planId, run: Number(match[2]), report: match[3] !== undefined };
}

/** A command line as it is published: control characters as `?`, whitespace runs as one space, shortened with `…`. */
export function shortenCommand(line: string, max = MAX_COMMAND_LENGTH): string {
  return shownName(line.replace(/\s+/g, ' ').trim(), max);
}

/**
 * The report an extension gives through the API, checked: `state` one of
 * REPORTED_STATES, `message` (optional) printable text on one line, at most
 * MAX_REPORT_MESSAGE_LENGTH characters. Throws `InvalidName` (`activityReport`)
 * naming the member that is not.
 */
export function makeActivityReport(
  plan: { id: string; run: number },
  input: { state?: unknown; message?: unknown },
  reporter: ProcessRef,
  now = new Date(),
): ActivityReport {
  if (!REPORTED_STATES.includes(input.state as ReportedState)) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'activityReport', field: 'state' });
  }
  const message = input.message;
  if (
    message !== undefined &&
    (typeof message !== 'string' || message.length > MAX_REPORT_MESSAGE_LENGTH || /\p{Cc}/u.test(message))
  ) {
    throw new PlanError(ErrorCode.InvalidName, { reason: 'activityReport', field: 'message' });
  }
  return {
    version: 1,
    planId: plan.id,
    run: plan.run,
    state: input.state as ReportedState,
    ...(message ? { message } : {}),
    time: now.toISOString(),
    reporter,
  };
}

/** Removes every activity file of a plan's run (the doctor, for plans that are gone). */
export async function removePlanActivity(commonDir: string, planId: string, run: number): Promise<void> {
  if (!(await checkStateFolder(activityFolder(commonDir)))) return;
  await Promise.all([
    fs.rm(activityFile(commonDir, planId, run), { force: true }),
    fs.rm(reportFile(commonDir, planId, run), { force: true }),
  ]);
}

/** Writes the window file of a plan's run (atomically). */
export async function writeWindowActivity(commonDir: string, activity: WindowActivity): Promise<void> {
  checkWindowActivity(activity, activityFile(commonDir, activity.planId, activity.run));
  await writeStateFile(activityFile(commonDir, activity.planId, activity.run), JSON.stringify(activity) + '\n');
}

/** Writes a report for a plan's run (atomically), or removes it when `report` is undefined. */
export async function writeActivityReport(
  commonDir: string,
  planId: string,
  run: number,
  report: ActivityReport | undefined,
): Promise<void> {
  const file = reportFile(commonDir, planId, run);
  if (!report) {
    if (await checkStateFolder(activityFolder(commonDir))) await fs.rm(file, { force: true });
    return;
  }
  checkReport(report, file);
  await writeStateFile(file, JSON.stringify(report) + '\n');
}

/**
 * Both activity files of a plan's run; members absent when a file does not
 * exist. Throws `StateFileInvalid`, `StateFileTooLarge` or `StateFileUnsafe`
 * (naming the file) when one is there but not valid.
 */
export async function readPlanActivity(commonDir: string, planId: string, run: number): Promise<PlanActivity> {
  const [window, report] = await Promise.all([
    readChecked(activityFile(commonDir, planId, run), (value, file) => checkWindowActivity(value, file, planId, run)),
    readChecked(reportFile(commonDir, planId, run), (value, file) => checkReport(value, file, planId, run)),
  ]);
  return { planId, run, ...(window ? { window } : {}), ...(report ? { report } : {}) };
}

/** The plan runs that have an activity file, from the folder's file names (the files are not read). */
export async function activityKeys(
  commonDir: string,
): Promise<Array<{ planId: string; run: number; files: string[] }>> {
  const folder = activityFolder(commonDir);
  if (!(await checkStateFolder(folder))) return [];
  const keys = new Map<string, { planId: string; run: number; files: string[] }>();
  for (const name of (await fs.readdir(folder)).sort()) {
    const parsed = parseActivityFileName(name);
    if (!parsed) continue;
    const key = `${parsed.planId}@${parsed.run}`;
    const entry = keys.get(key) ?? { planId: parsed.planId, run: parsed.run, files: [] };
    entry.files.push(path.join(folder, name));
    keys.set(key, entry);
  }
  return [...keys.values()];
}

/** Whether a process is running (on another machine: it cannot be told, so yes). */
export function isProcessAlive(process: ProcessRef): boolean {
  if (process.hostname !== os.hostname()) return true;
  try {
    globalThis.process.kill(process.pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the activity comes to now (see ActivityState); undefined when no window and no running reporter said anything. */
export function activityState(
  activity: PlanActivity,
  alive: (process: ProcessRef) => boolean = isProcessAlive,
): ActivityState | undefined {
  const { window, report } = activity;
  if (report && alive(report.reporter)) {
    return {
      kind: 'reported',
      state: report.state,
      ...(report.message ? { message: report.message } : {}),
      since: report.time,
    };
  }
  if (!window) return undefined;
  if (!window.window.open || !alive(window.window)) {
    return { kind: 'closed', since: window.window.open ? latest(window) : window.window.since };
  }
  const running = window.running;
  if (running.length > 0) {
    const newest = running[running.length - 1];
    return { kind: 'running', command: newest.command, since: newest.started, more: running.length - 1 };
  }
  const last = window.last;
  if (last && !(window.lastChange && Date.parse(window.lastChange) > Date.parse(last.ended))) {
    return {
      kind: 'exited',
      command: last.command,
      ...(last.exitCode !== undefined ? { exitCode: last.exitCode } : {}),
      since: last.ended,
    };
  }
  return { kind: 'idle', since: latest(window) };
}

/** The time of the last thing the window saw: it opened, a file changed, a command ended. */
function latest(window: WindowActivity): string {
  const times = [window.window.since, window.lastChange, window.last?.ended].filter((t): t is string => !!t);
  return times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}

async function readChecked<T>(file: string, check: (value: unknown, file: string) => T): Promise<T | undefined> {
  const text = await readStateFile(file, MAX_ACTIVITY_BYTES);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(file, 'json');
  }
  return check(value, file);
}

function checkWindowActivity(value: unknown, file: string, planId?: string, run?: number): WindowActivity {
  const o = object(value, file, '(file)');
  checkHead(o, file, planId, run);
  const window = object(o.window, file, 'window');
  checkProcess(window, file, 'window');
  if (typeof window.open !== 'boolean') throw invalid(file, 'window.open');
  time(window.since, file, 'window.since');
  if (o.lastChange !== undefined) time(o.lastChange, file, 'lastChange');
  if (!Array.isArray(o.running) || o.running.length > MAX_RUNNING) throw invalid(file, 'running');
  o.running.forEach((c, i) => checkCommand(c, file, `running[${i}]`));
  if (o.last !== undefined) {
    const last = checkCommand(o.last, file, 'last');
    time(last.ended, file, 'last.ended');
    if (last.exitCode !== undefined && !Number.isInteger(last.exitCode)) throw invalid(file, 'last.exitCode');
  }
  return value as WindowActivity;
}

function checkReport(value: unknown, file: string, planId?: string, run?: number): ActivityReport {
  const o = object(value, file, '(file)');
  checkHead(o, file, planId, run);
  if (!REPORTED_STATES.includes(o.state as ReportedState)) throw invalid(file, 'state');
  if (
    o.message !== undefined &&
    (!boundedText(o.message, MAX_REPORT_MESSAGE_LENGTH) || /\p{Cc}/u.test(o.message as string))
  ) {
    throw invalid(file, 'message');
  }
  time(o.time, file, 'time');
  checkProcess(object(o.reporter, file, 'reporter'), file, 'reporter');
  return value as ActivityReport;
}

function checkHead(o: Record<string, unknown>, file: string, planId?: string, run?: number): void {
  if (o.version !== 1) throw invalid(file, 'version');
  if (typeof o.planId !== 'string' || o.planId.length > MAX_ID_LENGTH || validateId(o.planId) !== undefined) {
    throw invalid(file, 'planId');
  }
  if (planId !== undefined && o.planId !== planId) throw invalid(file, 'planId');
  if (!Number.isInteger(o.run) || (o.run as number) < 1) throw invalid(file, 'run');
  if (run !== undefined && o.run !== run) throw invalid(file, 'run');
}

function checkProcess(o: Record<string, unknown>, file: string, field: string): void {
  if (!Number.isInteger(o.pid) || (o.pid as number) < 1) throw invalid(file, `${field}.pid`);
  if (!boundedText(o.hostname, 255)) throw invalid(file, `${field}.hostname`);
}

function checkCommand(value: unknown, file: string, field: string): EndedCommand {
  const o = object(value, file, field);
  // A command line is published shortened: one that is not is not ours.
  if (!boundedText(o.command, MAX_COMMAND_LENGTH + 1) || shortenCommand(o.command as string) !== o.command) {
    throw invalid(file, `${field}.command`);
  }
  if (o.source !== 'terminal' && o.source !== 'task') throw invalid(file, `${field}.source`);
  time(o.started, file, `${field}.started`);
  return o as unknown as EndedCommand;
}

function object(value: unknown, file: string, field: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalid(file, field);
  return value as Record<string, unknown>;
}

function boundedText(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.length <= max;
}

/** An ISO time: a string Date can read, of a sane length. */
function time(value: unknown, file: string, field: string): void {
  if (typeof value !== 'string' || value.length > 40 || Number.isNaN(Date.parse(value))) throw invalid(file, field);
}

function invalid(file: string, field: string): PlanError {
  return new PlanError(ErrorCode.StateFileInvalid, { path: file, field, files: [file] });
}
