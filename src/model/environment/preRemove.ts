/**
 * The pre-remove command (`preRemoveCommand`): a program the person or the
 * repository names (stop a dev server, drop a database) that runs in the
 * plan's worktree before a clean-up or discard removes it. It is not git, so
 * it does not go through the git runner; like every program the repository
 * names it is refused while the folder is not trusted. It runs through the
 * shell with the plan's environment (PLAN_WORKTREES_PORT...; `${port}` in the
 * command is the plan's port), no input, and a time limit; what it prints goes
 * to the log, and the end of it into the error when it fails.
 */
import { spawn } from 'child_process';
import { ErrorCode, PlanError } from '../engine/errors';
import { PlanRecord, RepoContext } from '../engine/types';
import { expandSetupCommand, planEnvironment } from './planEnvironment';

/** How much of what the command printed (its last characters) an error keeps. */
const OUTPUT_TAIL_CHARS = 2000;

/** What a pre-remove command that finished well did. */
export interface PreRemoveRun {
  command: string;
  exitCode: 0;
  /** How long it ran. */
  ms: number;
}

/**
 * Runs `command` in `plan`'s worktree and resolves when it exits with 0.
 * Refused with `Untrusted` while the folder is not trusted (nothing runs);
 * `PreRemoveFailed` when it exits with another status, is stopped by a
 * signal, runs past `timeoutMs` (it is then killed) or cannot start.
 */
export async function runPreRemoveCommand(
  ctx: RepoContext,
  plan: PlanRecord,
  command: string,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<PreRemoveRun> {
  if (!ctx.git.isTrusted()) {
    throw new PlanError(ErrorCode.Untrusted, { reason: 'preRemoveCommand', plan: plan.id, command });
  }
  const expanded = expandSetupCommand(command, plan);
  const started = Date.now();
  ctx.log.info(`Running the pre-remove command of plan ${plan.id} in ${plan.path}: ${expanded}`);
  const outcome = await runShell(expanded, {
    cwd: plan.path,
    env: { ...process.env, ...planEnvironment(plan, ctx.repo.mainPath) },
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    onLine: (line) => ctx.log.info(`[pre-remove ${plan.id}] ${line}`),
  });
  const ms = Date.now() - started;
  const base = { plan: plan.id, command, output: outcome.tail };
  if (outcome.kind === 'exit' && outcome.exitCode === 0) {
    ctx.log.info(`The pre-remove command of plan ${plan.id} finished in ${ms} ms.`);
    return { command, exitCode: 0, ms };
  }
  ctx.log.warn(`The pre-remove command of plan ${plan.id} failed (${JSON.stringify(outcome)}).`);
  switch (outcome.kind) {
    case 'exit':
      throw new PlanError(ErrorCode.PreRemoveFailed, { reason: 'exitCode', ...base, exitCode: outcome.exitCode });
    case 'signal':
      throw new PlanError(ErrorCode.PreRemoveFailed, { reason: 'signal', ...base, signal: outcome.signal });
    case 'timeout':
      throw new PlanError(ErrorCode.PreRemoveFailed, {
        reason: 'timeout',
        ...base,
        timeoutSeconds: Math.round(options.timeoutMs / 1000),
      });
    case 'cancelled':
      throw new PlanError(ErrorCode.Cancelled, { reason: 'operation' });
    case 'notStarted':
      throw new PlanError(ErrorCode.PreRemoveFailed, { reason: 'notStarted', ...base, problem: outcome.problem });
  }
}

type ShellOutcome = { tail: string } & (
  | { kind: 'exit'; exitCode: number }
  | { kind: 'signal'; signal: string }
  | { kind: 'timeout' }
  | { kind: 'cancelled' }
  | { kind: 'notStarted'; problem: string }
);

function runShell(
  command: string,
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
    signal?: AbortSignal;
    onLine: (line: string) => void;
  },
): Promise<ShellOutcome> {
  return new Promise((resolve) => {
    let tail = '';
    let pending = '';
    let stopped: 'timeout' | 'cancelled' | undefined;
    const child = spawn(command, {
      cwd: options.cwd,
      env: options.env,
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that a command stopped for its time limit is stopped with what it started.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const kill = (): void => {
      try {
        if (process.platform !== 'win32' && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-OUTPUT_TAIL_CHARS);
      const lines = (pending + text).split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    };
    const [, out, err] = child.stdio;
    out?.on('data', onData);
    err?.on('data', onData);
    const timer = setTimeout(() => {
      stopped = 'timeout';
      kill();
    }, options.timeoutMs);
    const onAbort = (): void => {
      stopped = 'cancelled';
      kill();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const finish = (outcome: ShellOutcome): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (pending) options.onLine(pending);
      pending = '';
      resolve(outcome);
    };
    child.on('error', (e) => finish({ kind: 'notStarted', problem: e.message, tail }));
    child.on('close', (code, signal) => {
      if (stopped) finish({ kind: stopped, tail });
      else if (code !== null) finish({ kind: 'exit', exitCode: code, tail });
      else finish({ kind: 'signal', signal: signal ?? 'unknown', tail });
    });
  });
}
