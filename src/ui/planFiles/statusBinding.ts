/**
 * The optional status binding (`planFileStatus`): a plan file's status field
 * follows its plan, `in_progress` when it starts and `done` when it is merged.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { ErrorCode, isError } from '../../model/engine/errors';
import { sequentialize } from '../../model/engine/async';
import { samePath } from '../../model/engine/names';
import { PlanEngine } from '../../model/engine/planEngine';
import { ensureBindable, planFileFormat } from '../../model/planFiles/find';
import { BoundStatus, boundStatusChanges, withStatus, writePlanFileStatus } from '../../model/planFiles/writeStatus';
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
 * Sets the status of a plan file in the main worktree. An editor with unsaved
 * changes to the file gets the edit instead (left unsaved, the user's other
 * edits untouched); otherwise the file is rewritten with only that field changed.
 */
export async function setPlanFileStatus(
  engine: PlanEngine,
  file: string,
  status: BoundStatus,
  log: vscode.LogOutputChannel,
): Promise<void> {
  const absolute = path.join(engine.repo.mainPath, ...file.split('/'));
  try {
    ensureBindable(file, planFilePatterns(engine));
  } catch (e) {
    log.warn(`Plan file ${file}: the status was not set to ${status}: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  const document = vscode.workspace.textDocuments.find(
    (d) => d.uri.scheme === 'file' && samePath(d.uri.fsPath, absolute),
  );
  try {
    if (document?.isDirty) {
      const before = document.getText();
      const after = withStatus(before, planFileFormat(file) ?? 'markdown', status);
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
      log.info(`Plan file ${file}: status ${status} (in the editor, which has unsaved changes)`);
      return;
    }
    const result = await writePlanFileStatus(engine.repo.mainPath, file, status, planFilePatterns(engine));
    if (result === 'changed') log.info(`Plan file ${file}: status ${status}`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      log.warn(`Plan file ${file} is gone; its status was not set to ${status}.`);
    } else {
      log.warn(
        `Plan file ${file}: the status could not be set to ${status}: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
}

/**
 * With `planFileStatus` on, a plan's file follows its lifecycle: created →
 * `in_progress`, merged → `done`. It reads the lifecycle events, so it sees
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
      for (const { event, status } of boundStatusChanges(await engine.historySince(since), since)) {
        const key = `${engine.repo.commonDir}\0${event.type}\0${event.planId}\0${String(event.run)}\0${event.time}`;
        if (this.handled.has(key)) continue;
        this.handled.add(key);
        const plan = await engine.plan(event.planId).catch(() => undefined);
        if (!plan?.planFile || plan.run !== event.run) continue;
        await setPlanFileStatus(engine, plan.planFile, status, this.log);
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
