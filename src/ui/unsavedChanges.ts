/**
 * Unsaved editors of the main checkout are changes too. When changes move
 * into a new plan, each such document's text is saved into the plan's copy
 * of the file, the main checkout's document goes back to what is on disk
 * (which the move left clean), and the editors that showed it show the plan's
 * copy instead. A document whose text could not be saved in the plan stays
 * as it is in the main checkout: nothing typed is lost.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { PlanEngine } from '../model/engine/planEngine';
import { samePath } from '../model/engine/names';
import { PlanRecord } from '../model/engine/types';
import { isInside } from '../model/engine/paths';

/** The unsaved text documents of the engine's main checkout (not of worktrees nested in it, not under `.git`). */
export async function unsavedMainDocuments(engine: PlanEngine): Promise<vscode.TextDocument[]> {
  if (engine.repo.bare) return [];
  const dirty = vscode.workspace.textDocuments.filter(
    (d) =>
      d.isDirty &&
      d.uri.scheme === 'file' &&
      isInside(engine.repo.mainPath, d.uri.fsPath) &&
      !relativeTo(engine, d).split(path.sep).includes('.git'),
  );
  if (dirty.length === 0) return [];
  const nested = (await engine.list())
    .filter((i) => i.kind !== 'main' && i.worktree && isInside(engine.repo.mainPath, i.worktree.path))
    .map((i) => i.worktree?.path as string);
  return dirty.filter((d) => !nested.some((folder) => isInside(folder, d.uri.fsPath)));
}

/** A document's path relative to the main checkout. */
export function relativeTo(engine: PlanEngine, document: vscode.TextDocument): string {
  return path.relative(engine.repo.mainPath, document.uri.fsPath);
}

export interface MovedDocuments {
  /** Paths (relative to the main checkout) whose unsaved text is saved in the plan now. */
  moved: string[];
  /** Paths left unsaved in the main checkout, each with the reason. */
  failed: Array<{ file: string; reason: string }>;
}

/** Saves each document's text into the plan's copy of its file, reverts it in the main checkout, and shows the plan's copy where it was shown. */
export async function moveUnsavedDocuments(
  engine: PlanEngine,
  plan: PlanRecord,
  documents: readonly vscode.TextDocument[],
): Promise<MovedDocuments> {
  const result: MovedDocuments = { moved: [], failed: [] };
  for (const document of documents) {
    const file = relativeTo(engine, document);
    try {
      const copy = await saveInPlan(document, vscode.Uri.file(path.join(plan.path, file)));
      await revertAndReplace(document, copy);
      result.moved.push(file);
    } catch (e) {
      result.failed.push({ file, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return result;
}

async function saveInPlan(document: vscode.TextDocument, target: vscode.Uri): Promise<vscode.TextDocument> {
  if (!(await exists(target))) {
    await vscode.workspace.fs.createDirectory(vscode.Uri.file(path.dirname(target.fsPath)));
    await vscode.workspace.fs.writeFile(target, new Uint8Array());
  }
  const copy = await vscode.workspace.openTextDocument(target);
  const edit = new vscode.WorkspaceEdit();
  edit.replace(
    target,
    new vscode.Range(copy.positionAt(0), copy.positionAt(copy.getText().length)),
    document.getText(),
  );
  if (!(await vscode.workspace.applyEdit(edit))) {
    throw new Error(vscode.l10n.t('the text could not be put into {0}', target.fsPath));
  }
  if (!(await copy.save())) throw new Error(vscode.l10n.t('{0} could not be saved', target.fsPath));
  return copy;
}

/** Reverts the main checkout's document to the file on disk; each tab that showed it shows the plan's copy now. */
async function revertAndReplace(document: vscode.TextDocument, copy: vscode.TextDocument): Promise<void> {
  const columns = tabsOf(document.uri).map(({ group }) => group.viewColumn);
  await vscode.window.showTextDocument(document, { viewColumn: columns[0], preview: false });
  await vscode.commands.executeCommand('workbench.action.files.revert');
  if (document.isDirty) {
    throw new Error(vscode.l10n.t('{0} could not be reverted in the main checkout', document.uri.fsPath));
  }
  for (const column of columns.length > 0 ? columns : [vscode.ViewColumn.Active]) {
    await vscode.window.showTextDocument(copy, { viewColumn: column, preview: false });
  }
  for (const { tab } of tabsOf(document.uri)) await vscode.window.tabGroups.close(tab);
}

function tabsOf(uri: vscode.Uri): Array<{ tab: vscode.Tab; group: vscode.TabGroup }> {
  return vscode.window.tabGroups.all.flatMap((group) =>
    group.tabs
      .filter(
        (tab) =>
          tab.input instanceof vscode.TabInputText &&
          tab.input.uri.scheme === 'file' &&
          samePath(tab.input.uri.fsPath, uri.fsPath),
      )
      .map((tab) => ({ tab, group })),
  );
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
