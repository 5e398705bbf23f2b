/**
 * The activity of each plan, across windows (src/model/store/activity.ts
 * keeps the files). A plan's own window publishes what happens in it — the
 * terminal commands (VS Code's shell integration) and task processes that
 * run, the exit code of the last one, the last file change in the worktree,
 * and that the window is open — and every window watches the folder (a file
 * system watcher, no polling) to show it in the tree, tell the API, and,
 * when `planWorktrees.activity.notifyWhenCommandEnds` is on, say when a
 * plan's command ends.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { PlanEngine } from '../model/engine/planEngine';
import { PlanRecord } from '../model/engine/types';
import {
  ActivityCommand,
  activityKeys,
  ActivityState,
  activityState,
  EndedCommand,
  MAX_RUNNING,
  parseActivityFileName,
  PlanActivity,
  readPlanActivity,
  shortenCommand,
  WindowActivity,
  writeWindowActivity,
} from '../model/store/activity';
import { PlanRepositories } from './repositories';

/** A file change is published at most this often (the tree shows minutes). */
const CHANGE_WRITE_MS = 5_000;

/** What this window's extension host is: the process a reader checks is alive. */
export const thisProcess = { pid: process.pid, hostname: os.hostname() };

/** The plan window's side: publishes what happens in this window for its plan. */
export class ActivityPublisher implements vscode.Disposable {
  private target: { commonDir: string; record: PlanRecord } | undefined;
  private activity: WindowActivity | undefined;
  private readonly running = new Map<object, ActivityCommand & { terminal?: vscode.Terminal }>();
  private readonly disposables: vscode.Disposable[] = [];
  private writing: Promise<void> = Promise.resolve();
  private changeTimer: NodeJS.Timeout | undefined;
  private lastWrite = 0;

  constructor(private readonly repositories: Pick<PlanRepositories, 'engines' | 'log' | 'onDidTouchWorktree'>) {}

  /** Finds this window's plan and, when it is one, publishes that the window is open and starts listening. */
  async start(): Promise<void> {
    if (this.target) return;
    for (const engine of this.repositories.engines) {
      const record = await engine.currentPlan().catch(() => undefined);
      if (record?.status !== 'active') continue;
      this.target = { commonDir: engine.repo.commonDir, record };
      this.activity = {
        version: 1,
        planId: record.id,
        run: record.run,
        window: { ...thisProcess, open: true, since: new Date().toISOString() },
        running: [],
      };
      this.listen();
      await this.publish();
      return;
    }
  }

  /** The plan this window publishes for (the host tests read it). */
  get plan(): PlanRecord | undefined {
    return this.target?.record;
  }

  private listen(): void {
    this.disposables.push(
      vscode.window.onDidStartTerminalShellExecution((e) =>
        this.started(e.execution, e.execution.commandLine.value, 'terminal', e.terminal),
      ),
      vscode.window.onDidEndTerminalShellExecution((e) => this.ended(e.execution, e.exitCode)),
      vscode.window.onDidCloseTerminal((terminal) => {
        for (const [key, entry] of this.running) if (entry.terminal === terminal) this.ended(key, undefined);
      }),
      vscode.tasks.onDidStartTaskProcess((e) => this.started(e.execution, taskCommandLine(e.execution.task), 'task')),
      vscode.tasks.onDidEndTaskProcess((e) => this.ended(e.execution, e.exitCode)),
      this.repositories.onDidTouchWorktree(({ worktree }) => {
        if (this.activity && worktree === this.target?.record.path) this.changed();
      }),
    );
  }

  private started(key: object, line: string, source: 'terminal' | 'task', terminal?: vscode.Terminal): void {
    if (!this.activity) return;
    const command = shortenCommand(line) || shortenCommand(terminal?.name ?? '') || '?';
    this.running.set(key, { command, source, started: new Date().toISOString(), terminal });
    this.repositories.log.info(`Plan activity: ${source} command started: ${command}`);
    void this.publish();
  }

  private ended(key: object, exitCode: number | undefined): void {
    const entry = this.running.get(key);
    if (!this.activity || !entry) return;
    this.running.delete(key);
    const { command, source, started } = entry;
    const last: EndedCommand = {
      command,
      source,
      started,
      ended: new Date().toISOString(),
      ...(exitCode !== undefined ? { exitCode } : {}),
    };
    this.activity.last = last;
    this.repositories.log.info(`Plan activity: ${source} command ended (${exitCode ?? 'no exit code'}): ${command}`);
    void this.publish();
  }

  private changed(): void {
    if (!this.activity) return;
    this.activity.lastChange = new Date().toISOString();
    if (this.changeTimer) return;
    const wait = Math.max(0, this.lastWrite + CHANGE_WRITE_MS - Date.now());
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      void this.publish();
    }, wait);
  }

  /** Writes the file as it is now (one write at a time, in order); never while the plan's worktree is gone. */
  private publish(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const { target, activity } = this;
      if (!target || !activity || !fs.existsSync(target.record.path)) return;
      activity.running = [...this.running.values()]
        .slice(-MAX_RUNNING)
        .map(({ command, source, started }) => ({ command, source, started }));
      this.lastWrite = Date.now();
      try {
        await writeWindowActivity(target.commonDir, activity);
      } catch (e) {
        this.repositories.log.warn(`The activity of plan ${target.record.id} could not be written: ${String(e)}`);
      }
    });
    return this.writing;
  }

  /** The window closes: publishes that it is closed. */
  async close(): Promise<void> {
    clearTimeout(this.changeTimer);
    this.changeTimer = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    if (!this.activity) return;
    this.running.clear();
    this.activity.window = { ...this.activity.window, open: false, since: new Date().toISOString() };
    await this.publish();
    this.activity = undefined;
  }

  dispose(): void {
    void this.close();
  }
}

/** A task's command line: its shell command, or its program and arguments, or its name. */
function taskCommandLine(task: vscode.Task): string {
  const execution = task.execution;
  const text = (v: string | vscode.ShellQuotedString) => (typeof v === 'string' ? v : v.value);
  if (execution instanceof vscode.ShellExecution) {
    if (execution.commandLine !== undefined) return execution.commandLine;
    return [execution.command, ...(execution.args ?? [])]
      .filter((v): v is string | vscode.ShellQuotedString => v !== undefined)
      .map(text)
      .join(' ');
  }
  if (execution instanceof vscode.ProcessExecution) return [execution.process, ...execution.args].join(' ');
  return task.name;
}

/** One change of a plan's activity, as the API gives it. */
export interface PlanActivityInfo {
  /** The plan's id. */
  plan: string;
  /** Which run of that id. */
  run: number;
  /** What it comes to now; undefined when nothing was published or reported. */
  state?: ActivityState;
  /** What the plan's window published (the raw file). */
  window?: WindowActivity;
  /** What an extension reported through `reportActivity`. */
  report?: PlanActivity['report'];
}

/** A plan's activity files as the API gives them. */
export function activityInfo(activity: PlanActivity): PlanActivityInfo {
  const state = activityState(activity);
  return {
    plan: activity.planId,
    run: activity.run,
    ...(state ? { state } : {}),
    ...(activity.window ? { window: activity.window } : {}),
    ...(activity.report ? { report: activity.report } : {}),
  };
}

/** Every window's side: the activity files of every repository, kept current by a file watcher. */
export class PlanActivityWatch implements vscode.Disposable {
  private readonly activities = new Map<string, { engine: PlanEngine; activity: PlanActivity }>();
  private readonly watchers = new Map<PlanEngine, vscode.Disposable>();
  private readonly reading = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly changed = new vscode.EventEmitter<PlanActivityInfo & { engine: PlanEngine }>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(private readonly repositories: Pick<PlanRepositories, 'engines' | 'log' | 'onDidChange'>) {
    this.disposables.push(repositories.onDidChange((engine) => engine === undefined && void this.sync()));
  }

  /** Reads every activity file and watches the folders (call once the repositories are discovered). */
  async start(): Promise<void> {
    await this.sync();
  }

  /** The activity of a plan's run, as last read. */
  get(engine: PlanEngine, plan: Pick<PlanRecord, 'id' | 'run'>): PlanActivity | undefined {
    return this.activities.get(key(engine, plan.id, plan.run))?.activity;
  }

  /** What the activity of a plan's run comes to now. */
  state(engine: PlanEngine, plan: Pick<PlanRecord, 'id' | 'run'>): ActivityState | undefined {
    const activity = this.get(engine, plan);
    return activity ? activityState(activity) : undefined;
  }

  private async sync(): Promise<void> {
    const engines = this.repositories.engines;
    for (const [engine, watcher] of this.watchers) {
      if (engines.includes(engine)) continue;
      watcher.dispose();
      this.watchers.delete(engine);
      for (const [k, v] of this.activities) if (v.engine === engine) this.activities.delete(k);
    }
    await Promise.all(
      engines
        .filter((engine) => !this.watchers.has(engine))
        .map(async (engine) => {
          this.watchers.set(engine, this.watch(engine));
          const keys = await activityKeys(engine.repo.commonDir).catch((e: unknown) => {
            this.repositories.log.warn(`Plan activity of ${engine.repo.mainPath}: ${String(e)}`);
            return [];
          });
          await Promise.all(keys.map(({ planId, run }) => this.read(engine, planId, run, true)));
        }),
    );
  }

  private watch(engine: PlanEngine): vscode.Disposable {
    // Based on the common git directory, which always exists: the activity folder is made by the first window that writes.
    const pattern = new vscode.RelativePattern(
      vscode.Uri.file(engine.repo.commonDir),
      'plan-worktrees/activity/*.json',
    );
    const watcher = vscode.workspace.createFileSystemWatcher(pattern);
    const onEvent = (uri: vscode.Uri) => {
      const parsed = parseActivityFileName(path.basename(uri.fsPath));
      if (parsed) void this.read(engine, parsed.planId, parsed.run, false);
    };
    return vscode.Disposable.from(
      watcher,
      watcher.onDidCreate(onEvent),
      watcher.onDidChange(onEvent),
      watcher.onDidDelete(onEvent),
    );
  }

  /** Reads both files of a run (one read at a time per run; an event meanwhile reads once more after it). */
  private read(engine: PlanEngine, planId: string, run: number, initial: boolean): Promise<void> {
    const k = key(engine, planId, run);
    const busy = this.reading.get(k);
    if (busy) {
      this.again.add(k);
      return busy;
    }
    const reading = (async () => {
      do {
        this.again.delete(k);
        let activity: PlanActivity;
        try {
          activity = await readPlanActivity(engine.repo.commonDir, planId, run);
        } catch (e) {
          // Not valid, or not a file we would open: shown as nothing, and said in the log.
          this.repositories.log.warn(e instanceof Error ? e.message : String(e));
          activity = { planId, run };
        }
        const before = this.activities.get(k)?.activity;
        if (activity.window || activity.report) this.activities.set(k, { engine, activity });
        else this.activities.delete(k);
        if (!initial) this.notifyEnd(before, activity);
        this.changed.fire({ engine, ...activityInfo(activity) });
      } while (this.again.has(k));
    })().finally(() => this.reading.delete(k));
    this.reading.set(k, reading);
    return reading;
  }

  /** Says that a plan's command ended, when the setting asks for it and the plan's window is another one. */
  private notifyEnd(before: PlanActivity | undefined, after: PlanActivity): void {
    const last = after.window?.last;
    if (!last || !after.window || after.window.window.pid === thisProcess.pid) return;
    if (before?.window?.last?.ended === last.ended && before.window.last.command === last.command) return;
    if (!vscode.workspace.getConfiguration('planWorktrees').get<boolean>('activity.notifyWhenCommandEnds', false)) {
      return;
    }
    void vscode.window.showInformationMessage(
      last.exitCode === undefined
        ? vscode.l10n.t('Plan {0}: "{1}" ended.', after.planId, last.command)
        : vscode.l10n.t('Plan {0}: "{1}" exited with {2}.', after.planId, last.command, last.exitCode),
    );
  }

  dispose(): void {
    for (const watcher of this.watchers.values()) watcher.dispose();
    this.watchers.clear();
    for (const d of this.disposables) d.dispose();
  }
}

function key(engine: PlanEngine, planId: string, run: number): string {
  return `${engine.repo.commonDir}\0${planId}@${run}`;
}

/** A time since, short: `<1m`, `12m`, `3h`, `2d`. */
export function shortDuration(since: string, now = Date.now()): string {
  const minutes = Math.floor(Math.max(0, now - Date.parse(since)) / 60_000);
  if (minutes < 1) return vscode.l10n.t('<1m');
  if (minutes < 60) return vscode.l10n.t('{0}m', minutes);
  if (minutes < 48 * 60) return vscode.l10n.t('{0}h', Math.floor(minutes / 60));
  return vscode.l10n.t('{0}d', Math.floor(minutes / (24 * 60)));
}

/** The activity as the tree shows it first: `● running: npm test 3m`, `◌ idle 12m`, `✓ exited 0`, `✗ exited 1`, `window closed`. */
export function activityText(state: ActivityState, now = Date.now()): string {
  switch (state.kind) {
    case 'running': {
      const text = vscode.l10n.t('● running: {0} {1}', state.command, shortDuration(state.since, now));
      return state.more > 0 ? vscode.l10n.t('{0} (+{1})', text, state.more) : text;
    }
    case 'idle':
      return vscode.l10n.t('◌ idle {0}', shortDuration(state.since, now));
    case 'exited':
      if (state.exitCode === undefined) return vscode.l10n.t('✗ ended');
      return state.exitCode === 0 ? vscode.l10n.t('✓ exited 0') : vscode.l10n.t('✗ exited {0}', state.exitCode);
    case 'closed':
      return vscode.l10n.t('window closed');
    case 'reported':
      switch (state.state) {
        case 'waitingForInput':
          return vscode.l10n.t('? waiting for input {0}', shortDuration(state.since, now));
        case 'working':
          return state.message
            ? vscode.l10n.t('● working: {0} {1}', shortenCommand(state.message, 40), shortDuration(state.since, now))
            : vscode.l10n.t('● working {0}', shortDuration(state.since, now));
        case 'done':
          return vscode.l10n.t('✓ done');
      }
  }
}

/** Whether the text of this state changes as time passes (the tree redraws it every minute). */
export function showsDuration(state: ActivityState | undefined): boolean {
  return state?.kind === 'running' || state?.kind === 'idle' || (state?.kind === 'reported' && state.state !== 'done');
}
