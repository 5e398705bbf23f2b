/**
 * The setup command of a new plan runs in the plan's own window, which is a
 * different extension host than the one that created the plan. The creating
 * window leaves the command in `<common git dir>/plan-worktrees/setup/<id>.json`
 * (`<id>#<run>.json`, encoded, for a later run of the plan: each run's window takes its own);
 * the plan's window takes it (exactly once, even with two windows racing:
 * the file is renamed away before it is read).
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { ensureStateFolder, readStateFile, stateDir, writeStateFile } from './stateFiles';

/** A setup command is one line a person typed; a file larger than this is not one. */
const MAX_SETUP_BYTES = 64 * 1024;

/** A plan id, or a plan's id and run. */
type PlanRun = string | { id: string; run: number };

function setupFile(commonDir: string, plan: PlanRun): string {
  const name =
    typeof plan === 'string' || plan.run <= 1 ? (typeof plan === 'string' ? plan : plan.id) : `${plan.id}#${plan.run}`;
  return path.join(stateDir(commonDir), 'setup', `${encodeURIComponent(name)}.json`);
}

export async function leavePendingSetup(commonDir: string, planId: PlanRun, command: string): Promise<void> {
  await ensureStateFolder(stateDir(commonDir));
  await writeStateFile(
    setupFile(commonDir, planId),
    JSON.stringify({ command, created: new Date().toISOString() }) + '\n',
  );
}

/** The command left for this plan, removed as it is taken; undefined when there is none. */
export async function takePendingSetup(commonDir: string, planId: PlanRun): Promise<string | undefined> {
  const file = setupFile(commonDir, planId);
  const taken = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(file, taken);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const parsed = JSON.parse((await readStateFile(taken, MAX_SETUP_BYTES)) ?? '{}') as { command?: unknown };
    return typeof parsed.command === 'string' && parsed.command.trim() ? parsed.command : undefined;
  } finally {
    await fs.rm(taken, { force: true });
  }
}
