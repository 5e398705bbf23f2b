/**
 * The optional status binding (`planFileStatus`): a plan file's status field
 * follows its plan in the file's own words (`in_progress` when it starts,
 * `completed` or `done` when it is merged), and a task JSON's `worktree`
 * member names the plan's worktree while it exists.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, isError } from '../../model/engine/errors';
import { sequentialize } from '../../model/engine/async';
import { samePath } from '../../model/engine/names';
import { PlanEngine } from '../../model/engine/planEngine';
import { ensureBindable, planFileFormat } from '../../model/planFiles/find';
import { BoundStep, boundSteps, withStep, writePlanFileStep } from '../../model/planFiles/writeStatus';
import { PlanRepositories } from '../repositories';
import { isTrusted } from '../trust';
import { planFilePatterns } from './fileIndex';

/** Whether plan files' status fields are written: never in Restricted Mode. */
export function statusBindingEnabled(engine: PlanEngine): boolean {
  return (
    isTrusted() &&
    vscode.workspace
      .getConfiguration('planWorktrees', vscode.Uri.file(engine.repo.mainPath))
      .get<boolean>('planFileStatus', false)
  );
}

/**
 * Writes a step of its plan into a plan file in the main worktree (see
 * `withStep`). An editor with unsaved changes to the file gets the edit
 * instead (left unsaved, the user's other edits untouched); otherwise the
 * file is rewritten with only those fields changed.
 */
export async function setPlanFileStatus(
  engine: PlanEngine,
  file: string,
  step: BoundStep,
  log: vscode.LogOutputChannel,
): Promise<void> {
  const what = step.step === 'removed' ? 'the removed worktree' : `the ${step.step} status`;
  const absolute = path.join(engine.repo.mainPath, ...file.split('/'));
  try {
    ensureBindable(file, planFilePatterns(engine));
  } catch (e) {
    log.warn(`Plan file ${file}: ${what} was not written: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  const document = vscode.workspace.textDocuments.find(
    (d) => d.uri.scheme === 'file' && samePath(d.uri.fsPath, absolute),
  );
  try {
    if (document?.isDirty) {
      const before = document.getText();
      const after = withStep(before, planFileFormat(file) ?? 'markdown', step);
      if (after === before) return;
      let start = 0;
      while (start < before.length && before[start] === after[start]) start++;
      let end = 0;
      while (end < before.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
      const edit = new vscode.WorkspaceEdit();
      edit.replace(
        document.uri,
        new vscode.Range(document.positionAt(start), document.positionAt(before.length - end)),
        after.slice(start, after.length - end),
      );
      await vscode.workspace.applyEdit(edit);
      log.info(`Plan file ${file}: ${what} written (in the editor, which has unsaved changes)`);
      return;
    }
    const result = await writePlanFileStep(engine.repo.mainPath, file, step, planFilePatterns(engine));
    if (result === 'changed') log.info(`Plan file ${file}: ${what} written`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      log.warn(`Plan file ${file} is gone; ${what} was not written.`);
    } else {
      log.warn(`Plan file ${file}: ${what} could not be written: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/**
 * With `planFileStatus` on, a plan's file follows its lifecycle: created →
 * started (and a task JSON's `worktree` set), merged → finished, worktree
 * removed → a task JSON's `worktree` removed. It reads the lifecycle events, so it sees
 * merges from any window, the merge command, the Source Control view or the
 * API alike; each event is handled once, and only events after activation.
 */
export class PlanFileStatusBinding implements vscode.Disposable {
  private readonly activated = Date.now();
  /** Per repository, events before this time (ms) are not applied: those before activation, and those while the binding was off. */
  private readonly since = new Map<string, number>();
  private readonly handled = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly check = sequentialize((engine: PlanEngine) => this.apply(engine));

  constructor(
    private readonly repositories: PlanRepositories,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const engineListeners = new Map<PlanEngine, { dispose(): void }>();
    const follow = () => {
      for (const engine of repositories.engines) {
        if (!engineListeners.has(engine)) {
          engineListeners.set(
            engine,
            engine.onDidChange(() => void this.check(engine)),
          );
        }
      }
    };
    follow();
    this.disposables.push(
      // This window's own operations at once; other windows' through the watchers.
      repositories.onDidChange((engine) => {
        follow();
        for (const e of engine ? [engine] : repositories.engines) void this.check(e);
      }),
      { dispose: () => engineListeners.forEach((l) => l.dispose()) },
    );
  }

  /** Waits for the events seen so far to be applied (tests). */
  settle(): Promise<void> {
    return Promise.all(this.repositories.engines.map((e) => this.check(e))).then(() => undefined);
  }

  private async apply(engine: PlanEngine): Promise<void> {
    try {
      // Off: nothing is read, and what happens meanwhile is never applied later.
      if (!statusBindingEnabled(engine)) {
        this.since.set(engine.repo.commonDir, Date.now());
        return;
      }
      const since = this.since.get(engine.repo.commonDir) ?? this.activated;
      for (const { event, step } of boundSteps(await engine.historySince(since), since)) {
        const key = `${engine.repo.commonDir}\0${event.type}\0${event.planId}\0${String(event.run)}\0${event.time}`;
        if (this.handled.has(key)) continue;
        this.handled.add(key);
        if (step === 'removed') {
          // The plan's record is gone with its worktree: the event names the file and the folder.
          if (typeof event.planFile === 'string' && typeof event.path === 'string') {
            await setPlanFileStatus(engine, event.planFile, { step, worktree: event.path }, this.log);
          }
          continue;
        }
        const plan = await engine.plan(event.planId).catch(() => undefined);
        if (!plan?.planFile || plan.run !== event.run) continue;
        await setPlanFileStatus(
          engine,
          plan.planFile,
          step === 'started' ? { step, worktree: plan.path } : { step },
          this.log,
        );
      }
    } catch (e) {
      if (!isError(e, ErrorCode.NotAGitRepository)) {
        this.log.warn(`Plan file status: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
