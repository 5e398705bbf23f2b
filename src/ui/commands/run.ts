/**
 * What every command shares: the parts it works with, the wrapper its body
 * runs in (trust, errors shown with a way out, a program's errors thrown
 * back), and a modal confirmation. Which repository a command is about:
 * src/ui/whichRepository.ts.
 */
import * as vscode from 'vscode';
import { showError } from '../errors';
import { MainCheckoutGuard } from '../guard';
import { MainCheckoutWrites } from '../mainWrites';
import { PlanFileIndex } from '../planFiles/fileIndex';
import { PlanRepositories } from '../repositories';
import { PlanSourceControls } from '../scm';
import { requireTrust } from '../trust';
import { isProgram } from './args';
import { ErrorCode, PlanError } from '../../model/engine/errors';
import { PlanEngine } from '../../model/engine/planEngine';

export interface CommandDeps {
  repositories: PlanRepositories;
  scm: PlanSourceControls;
  guard: MainCheckoutGuard;
  writes: MainCheckoutWrites;
  planFiles: PlanFileIndex;
  log: vscode.LogOutputChannel;
}

/**
 * Wraps a command body: engine errors become messages with a way out, and a
 * program's call gets them thrown back too. `untrusted`: the command also
 * works in Restricted Mode (it runs no git beyond reading the list).
 */
export type CommandRunner = <A, R>(
  what: string,
  body: (args: A) => Promise<R>,
  options?: { untrusted?: boolean },
) => (args: A) => Promise<R | undefined>;

/** Errors a command showed already, which the command that called it does not show twice. */
const shown = new WeakSet<object>();

/** Marks an error as shown (a command called through `executeCommand` showed it). */
export function markShown(e: unknown): void {
  if (e instanceof Object) shown.add(e);
}

export function commandRunner(log: vscode.LogOutputChannel, repositories: PlanRepositories): CommandRunner {
  return (what, body, options = {}) =>
    async (args) => {
      try {
        // In Restricted Mode only commands that run no git beyond reading the list work.
        if (!options.untrusted) requireTrust();
        // Every command works on the repositories git found, never on what the tree painted from memory.
        await repositories.ready;
        return await body(confirmedArgs(repositories, args));
      } catch (e) {
        // Never wait for the message: a command must end when its work ends.
        if (!(e instanceof Object && shown.has(e))) void showError(log, what, e);
        if (isProgram(args)) throw e;
        return undefined;
      }
    };
}

/**
 * A tree item's arguments with the engine git confirmed for it: an item
 * drawn from memory before discovery ended names the engine opened from
 * memory, which discovery took over when git found the same repository
 * (then it is one of `engines`). One git did not confirm names nothing.
 */
function confirmedArgs<A>(repositories: PlanRepositories, args: A): A {
  if (typeof args !== 'object' || args === null || !('engine' in args) || !(args.engine instanceof PlanEngine)) {
    return args;
  }
  if (args.engine.fromMemory || !repositories.engines.includes(args.engine)) {
    throw new PlanError(ErrorCode.RepositoryNotOpen, {
      path: args.engine.repo.currentPath,
      repositories: repositories.engines.map((e) => e.repo.mainPath),
    });
  }
  return args;
}

/** A modal warning with one action; true when the user chose it. */
export async function confirm(message: string, detail: string, action: string): Promise<boolean> {
  return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
}
