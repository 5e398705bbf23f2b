/**
 * The setup command's result. The command runs in a VS Code task of the
 * plan's window (src/ui/planWindow.ts); what the task says — started, ended
 * with an exit code — is recorded here: in the plan's registry record
 * (`setup`, which the tree shows: "setup failed") and in its history
 * (`setup.before`, then `setup.after` with exit code 0 or `setup.failed` with
 * another).
 */
import { ErrorCode, PlanError } from '../engine/errors';
import { PlanRecord, SetupResult } from '../engine/types';
import { EventLog } from '../store/events';
import { Registry } from '../store/registry';

/** What happened to the setup command: it started, or it ended (with its exit code, when known). */
export type SetupProgress = { phase: 'started'; command: string } | { phase: 'ended'; exitCode?: number };

/** Records `progress` of the setup command of `plan` (the run of that id) and returns the plan's setup result now. */
export async function recordSetup(
  registry: Registry,
  events: EventLog,
  plan: Pick<PlanRecord, 'id' | 'run' | 'branch'>,
  progress: SetupProgress,
): Promise<SetupResult> {
  const time = new Date().toISOString();
  const result: SetupResult =
    progress.phase === 'started'
      ? { status: 'running', time }
      : {
          status: progress.exitCode === 0 ? 'ok' : 'failed',
          ...(progress.exitCode !== undefined ? { exitCode: progress.exitCode } : {}),
          time,
        };
  const found = await registry.update((data) => {
    const record = data.plans.find((p) => p.id === plan.id && p.run === plan.run);
    if (record) record.setup = result;
    return record !== undefined;
  });
  if (!found) throw new PlanError(ErrorCode.PlanNotFound, { reason: 'noPlan', plan: plan.id });
  const about = { planId: plan.id, run: plan.run, branch: plan.branch };
  if (progress.phase === 'started') await events.append({ type: 'setup.before', ...about, command: progress.command });
  else {
    await events.append({
      type: result.status === 'ok' ? 'setup.after' : 'setup.failed',
      ...about,
      exitCode: progress.exitCode,
    });
  }
  return result;
}
