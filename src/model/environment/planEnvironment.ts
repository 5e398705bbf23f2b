/**
 * The environment a plan's programs run with: its terminals, its setup
 * command. `PLAN_WORKTREES_ID`, `_BRANCH`, `_BASE`, `_MAIN`, and
 * `PLAN_WORKTREES_PORT` (the first port of its block) when it has one; in the
 * setup command, `${port}` is that port.
 */
import { PlanRecord } from '../engine/types';

/** The environment variables of a plan's terminals and setup command. */
export function planEnvironment(plan: PlanRecord, mainPath: string): Record<string, string> {
  return {
    PLAN_WORKTREES_ID: plan.id,
    PLAN_WORKTREES_BRANCH: plan.branch,
    PLAN_WORKTREES_BASE: plan.base,
    PLAN_WORKTREES_MAIN: mainPath,
    ...(plan.port !== undefined ? { PLAN_WORKTREES_PORT: String(plan.port) } : {}),
  };
}

/**
 * The setup command with `${port}` replaced by the plan's port (a number, so
 * nothing a shell would read differently); a plan without a port (created
 * before plans had one) leaves it as it is.
 */
export function expandSetupCommand(command: string, plan: Pick<PlanRecord, 'port'>): string {
  return plan.port === undefined ? command : command.replace(/\$\{port\}/g, String(plan.port));
}
