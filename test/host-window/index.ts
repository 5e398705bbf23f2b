/**
 * Entry point of the plan-window suite. The runner loads it in the second
 * window that test/host/planWindow.test.ts opens on a plan worktree (through
 * the product's own "open in a new window"), so these tests run in the plan's
 * own extension host.
 */
import { runMochaIn } from '../host/index';

export function run(): Promise<void> {
  return runMochaIn(__dirname);
}
