/**
 * Plans that start as files: the index of those files (fileIndex.ts), their
 * items in the tree (treeItem.ts), the CodeLens at the top of a plan file
 * (codeLens.ts) and the status binding (statusBinding.ts). The "Start in
 * Worktree" command behind the CodeLens, the explorer's menu and the tree
 * item is in commands/planFiles.ts.
 */
import * as vscode from 'vscode';
import { PlanRepositories } from '../repositories';
import { PlanFileCodeLensProvider } from './codeLens';
import { PlanFileIndex } from './fileIndex';
import { PlanFileStatusBinding } from './statusBinding';

/** Registers the CodeLens provider and the status binding. */
export function registerPlanFiles(deps: {
  repositories: PlanRepositories;
  index: PlanFileIndex;
  log: vscode.LogOutputChannel;
}): vscode.Disposable {
  const codeLens = new PlanFileCodeLensProvider(deps.repositories, deps.index);
  const binding = new PlanFileStatusBinding(deps.repositories, deps.log);
  return vscode.Disposable.from(
    codeLens,
    binding,
    vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/*.{md,markdown,json}' }, codeLens),
  );
}
