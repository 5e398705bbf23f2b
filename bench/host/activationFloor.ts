/**
 * Loaded by the extension host as `extensionTestsPath` (see bench/hostActivation.ts):
 * the activation measure of bench/host/activation.ts, for the floor extension
 * (bench/floor/extension.ts) instead of Plan Worktrees.
 */
import { measure } from './activation';

export function run(): Promise<void> {
  return measure('planworktrees.plan-worktrees-floor');
}
