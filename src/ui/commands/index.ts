/**
 * Every command of the manifest, one file per area. Each takes an optional
 * argument object (args.ts reads its shapes); when the arguments say
 * everything it needs, it asks nothing and returns its result (docs/DESIGN.md,
 * "Public contract"); destructive ones also need `force: true` to skip their
 * confirmation. Commands change the model, never the views: the views follow
 * the engines' change events.
 *
 * Every id is written out as a literal in a registerCommand call:
 * scripts/check-commands.js compares them with package.json.
 */
import * as vscode from 'vscode';
import { createCommands } from './create';
import { doctorCommands } from './doctor';
import { historyCommands } from './history';
import { lifecycleCommands } from './lifecycle';
import { mergeCommands } from './merge';
import { planFileCommands } from './planFiles';
import { rebaseCommands } from './rebase';
import { reviewCommands } from './review';
import { CommandDeps, commandRunner } from './run';
import { windowCommands } from './window';
import { worktreeCommands } from './worktree';

export type { CommandDeps } from './run';

export function registerCommands(deps: CommandDeps): vscode.Disposable {
  const run = commandRunner(deps.log, deps.repositories);
  return vscode.Disposable.from(
    windowCommands(deps, run),
    createCommands(deps, run),
    planFileCommands(deps, run),
    worktreeCommands(deps, run),
    reviewCommands(deps, run),
    mergeCommands(deps, run),
    rebaseCommands(deps, run),
    lifecycleCommands(deps, run),
    historyCommands(deps, run),
    doctorCommands(deps, run),
  );
}
