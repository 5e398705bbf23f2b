/**
 * Starts one git process and gathers what it gave back, through simple-git
 * (or, for input on stdin, which simple-git cannot give, with `spawn`): the
 * only module that imports simple-git. src/git/runner.ts asks it in the
 * extension host when no helper process runs, src/git/gitProcessHost.ts (the
 * helper process) otherwise. The trust rule, the limit of
 * processes, logging and the typed errors are the runner's, never this one's:
 * it runs what it is given.
 *
 * What simple-git does not fit is settled here: its error detection (an exit
 * code the caller accepts is an answer), its 50 ms wait after a quiet process,
 * and input on stdin.
 */
import { spawn as spawnProcess } from 'child_process';
import type * as SimpleGitLibrary from 'simple-git';
import type { SimpleGitOptions } from 'simple-git';

let loadedSimpleGit: typeof SimpleGitLibrary | undefined;

/**
 * simple-git, loaded when the first git process runs, not when the extension
 * loads: the tree's first paint at start-up (from what the last session kept)
 * runs no git, and evaluating simple-git and its dependencies held the
 * extension host for several milliseconds before it.
 */
function simpleGitLibrary(): typeof SimpleGitLibrary {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loadedSimpleGit ??= require('simple-git') as typeof SimpleGitLibrary);
}

/** One git process to start: everything it needs, as plain data (it crosses to the helper process as it is). */
export interface GitProcessRequest {
  /** The git executable. */
  binary: string;
  args: string[];
  cwd: string;
  /** The whole environment of the process (already cleaned by the runner). */
  env: Record<string, string>;
  /** Exit codes other than 0 that are an answer, not a failure. */
  okExitCodes: number[];
  /** GIT_EDITOR is set to `true` in `env`: simple-git must be told it is allowed. */
  noEditor: boolean;
  /** Written to git's stdin, which is then closed. */
  stdin?: string | Buffer;
}

/** What a git process gave back; `error` is set when it failed (or never ran). */
export interface GitProcessOutcome {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
  error?: unknown;
}

/** Runs one git process; a failure is returned, not thrown. */
export function runGitProcess(request: GitProcessRequest, signal?: AbortSignal): Promise<GitProcessOutcome> {
  return request.stdin === undefined ? viaSimpleGit(request, signal) : viaStdin(request, request.stdin, signal);
}

/** Runs git through simple-git. */
async function viaSimpleGit(request: GitProcessRequest, signal: AbortSignal | undefined): Promise<GitProcessOutcome> {
  let stdout: Buffer = Buffer.alloc(0);
  let stderr = '';
  let exitCode = 0;
  const okExitCodes = request.okExitCodes;
  const config: Partial<SimpleGitOptions> = {
    baseDir: request.cwd,
    binary: request.binary,
    maxConcurrentProcesses: 1,
    trimmed: false,
    // A command ends when its output streams close, never on a timer after
    // the process's exit: the last chunks of a large answer can still be in
    // the pipe then, and a busy event loop reads them after simple-git's
    // default 50 ms had already ended the command with a truncated answer.
    completion: { onClose: true, onExit: false },
    errors: (error, result) => {
      stdout = Buffer.concat(result.stdOut);
      stderr = Buffer.concat(result.stdErr).toString('utf8');
      exitCode = result.exitCode;
      // simple-git's own detection runs first and makes any exit code with
      // stderr an error; the exit codes the caller accepts are answers, unless
      // git never ran (a spawn error) or the run was aborted.
      const neverRan = error instanceof Error && ('syscall' in error || error.name === 'GitPluginError');
      if ((result.exitCode === 0 || okExitCodes.includes(result.exitCode)) && !neverRan) return undefined;
      return error ?? Buffer.from(stderr || `exit code ${result.exitCode}`);
    },
  };
  if (signal) config.abort = signal;
  if (request.noEditor) config.unsafe = { allowUnsafeEditor: true };
  try {
    await simpleGitLibrary()
      .simpleGit(config)
      .env(request.env)
      // simple-git waits 50 ms more after a process that wrote nothing (its
      // completion plugin's `deferClose`): every quiet command (update-ref,
      // read-tree, a clean `status`, a missing ref) took ~55 ms instead of ~5.
      // An empty chunk on stdout, once its listeners are attached, says
      // "output seen"; the output itself is unchanged, and since the command
      // ends only when the streams close (above), the wait it skips comes
      // after every byte was read. See bench/README.md.
      .outputHandler((_command, out) => process.nextTick(() => out.emit('data', Buffer.alloc(0))))
      .raw(request.args);
    return { stdout, stderr, exitCode };
  } catch (e) {
    return { stdout, stderr, exitCode, error: e };
  }
}

/**
 * Runs git with `input` on its stdin. simple-git (3.x) cannot write to a
 * process's stdin, so this one case spawns git itself, with the same
 * environment, cancellation and outcome as any other.
 */
function viaStdin(
  request: GitProcessRequest,
  input: string | Buffer,
  signal: AbortSignal | undefined,
): Promise<GitProcessOutcome> {
  return new Promise((resolve) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let error: unknown;
    const child = spawnProcess(request.binary, request.args, {
      cwd: request.cwd,
      env: request.env,
      windowsHide: true,
      signal,
    });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const settle = (code: number | null): void => {
      const exitCode = code ?? -1;
      const text = Buffer.concat(stderr).toString('utf8');
      const ok = error === undefined && (exitCode === 0 || request.okExitCodes.includes(exitCode));
      resolve({
        stdout: Buffer.concat(stdout),
        stderr: text,
        exitCode,
        error: ok ? undefined : (error ?? new Error(text || `exit code ${exitCode}`)),
      });
    };
    child.on('error', (e) => {
      error ??= e;
      // It never started (no git, no folder): no 'close' may follow.
      if (child.pid === undefined) settle(null);
    });
    child.on('close', settle);
    // git may exit before it read everything (a bad argument): that is its answer, not a failure of ours.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** The messages between the runner and the helper process (src/git/gitProcessHost.ts), sent with `serialization: 'advanced'`. */
export type ToGitProcessHost =
  | ({ type: 'run'; id: number } & GitProcessRequest)
  /** Abort the run `id` (its AbortSignal fired in the extension host). */
  | { type: 'cancel'; id: number };

export type FromGitProcessHost =
  /** The helper loaded and listens. */
  | { type: 'ready' }
  | { type: 'result'; id: number; stdout: Buffer; stderr: string; exitCode: number; error?: PlainError };

/** An error as plain data, which crosses between processes: what the runner's classification reads of it. */
export interface PlainError {
  message: string;
  name?: string;
  code?: string;
  syscall?: string;
}

export function toPlainError(e: unknown): PlainError {
  if (!(e instanceof Error)) return { message: Buffer.isBuffer(e) ? e.toString('utf8') : String(e) };
  const { code, syscall } = e as NodeJS.ErrnoException;
  return {
    message: e.message,
    name: e.name,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof syscall === 'string' ? { syscall } : {}),
  };
}

/** The Error again, with the same message, name, code and syscall. */
export function fromPlainError(plain: PlainError): Error {
  const error: NodeJS.ErrnoException = new Error(plain.message);
  if (plain.name !== undefined) error.name = plain.name;
  if (plain.code !== undefined) error.code = plain.code;
  if (plain.syscall !== undefined) error.syscall = plain.syscall;
  return error;
}
