/**
 * The one place that runs git: commands (src/git/commands) ask it, nothing
 * else does. The process itself is started by src/git/gitProcess.ts (with
 * simple-git), in a small helper process (src/git/gitProcessHost.ts) when
 * `processHost` names it, else in this one. Every call is logged
 * as `> git worktree add ... [42ms]`, runs in a clean environment under a
 * limit of processes at once, can be cancelled with an AbortSignal, is tried
 * again when another window was adding a worktree at that moment, is refused
 * in an untrusted folder unless it cannot start a program the repository
 * names, and, when it fails, becomes a PlanWorktreesError with a typed code.
 */
import * as fs from 'fs';
import { classifyGitError, diskFullPath, GitErrorCode, PlanWorktreesError, summarizeStderr } from './errors';
import { GitProcessOutcome, GitProcessRequest, runGitProcess } from './gitProcess';
import { Logger, silentLogger } from './log';
import { GitProcessHost } from './processHost';

export interface ExecOptions {
  /** The folder git runs in. */
  cwd: string;
  signal?: AbortSignal;
  /** Extra environment variables (for example GIT_INDEX_FILE). */
  env?: Record<string, string>;
  /** Exit codes other than 0 that are an answer, not a failure (merge-tree's 1 on conflict). */
  okExitCodes?: number[];
  /**
   * Git must not wait for an editor (`rebase --continue` asks for one to edit
   * the replayed commit's message): GIT_EDITOR is `true`, which keeps the
   * message. A fixed program, never one the repository or environment names.
   */
  noEditor?: boolean;
  /**
   * Text or bytes written to git's stdin, which is then closed: a commit
   * message (`commit-tree`) or file content (`hash-object --stdin`) is data,
   * never an argument that git or an option guard could read as an option.
   */
  stdin?: string | Buffer;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface GitOptions {
  /** The git executable; `git` on the PATH by default. */
  path?: string;
  log?: Logger;
  /** Git processes running at once, across all repositories of this runner. */
  maxConcurrent?: number;
  /**
   * Whether the folder is trusted (VS Code's workspace trust); asked before
   * every command. While it answers false, only commands that cannot start a
   * program the repository names run (see `runsNothingTheRepositoryNames`);
   * any other is refused with `Untrusted`. Trusted when absent.
   */
  trusted?: () => boolean;
  /**
   * The built helper script (dist/gitProcessHost.js) that starts git
   * processes, so that this process never forks itself for one: the extension
   * sets it (forking the large extension host held it for tens of
   * milliseconds per process). Git starts in this process when absent, or
   * when the helper cannot start.
   */
  processHost?: string;
}

/** Git 2.38 brought `merge-tree --write-tree`, which the merge pre-check needs. */
export const MIN_GIT_VERSION: readonly [number, number] = [2, 38];

export class Git {
  readonly path: string;
  private readonly log: Logger;
  private readonly maxConcurrent: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private versionPromise: Promise<string> | undefined;
  private readonly trusted: () => boolean;
  private processes = 0;
  /** The last process start's turn: each start waits for the one before it and then for a turn of the event loop. */
  private startTurn: Promise<void> = Promise.resolve();
  private readonly processHost: GitProcessHost | undefined;

  constructor(options: GitOptions = {}) {
    this.path = options.path ?? 'git';
    this.log = options.log ?? silentLogger;
    this.maxConcurrent = options.maxConcurrent ?? 8;
    this.trusted = options.trusted ?? (() => true);
    this.processHost =
      options.processHost === undefined
        ? undefined
        : new GitProcessHost(options.processHost, (line) => this.log.warn(line));
  }

  /** Ends the helper process, if one runs (a git process it started runs on to its end). */
  dispose(): void {
    this.processHost?.dispose();
  }

  /** Whether the folder is trusted now: other programs the repository names (a pre-remove command) ask this too. */
  isTrusted(): boolean {
    return this.trusted();
  }

  /** Number of git processes started; benchmarks and tests read it (a difference: it only ever grows). */
  get processCount(): number {
    return this.processes;
  }

  /** Runs git and returns its output as text; throws a PlanWorktreesError when it fails. */
  async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    return this.limit(() => this.spawnSettled(args, options, false)) as Promise<ExecResult>;
  }

  /** Runs git and returns stdout as bytes (blob contents that may be binary), untouched. */
  async execBuffer(args: string[], options: ExecOptions): Promise<Buffer> {
    return this.limit(() => this.spawnSettled(args, options, true)) as Promise<Buffer>;
  }

  /** Runs git and returns stdout; the common case. */
  async run(args: string[], options: ExecOptions): Promise<string> {
    return (await this.exec(args, options)).stdout;
  }

  /** The version of git, such as "2.39.5"; cached. */
  version(): Promise<string> {
    this.versionPromise ??= this.run(['version'], { cwd: process.cwd() }).then((out) => {
      const match = /git version (\d+\.\d+(?:\.\d+)?)/.exec(out);
      if (!match) {
        throw new PlanWorktreesError(
          GitErrorCode.GitNotFound,
          `Unexpected answer from "${this.path} version": ${out.trim()}`,
        );
      }
      return match[1];
    });
    this.versionPromise.catch(() => (this.versionPromise = undefined));
    return this.versionPromise;
  }

  /** Throws GitNotFound or GitTooOld unless git is at least MIN_GIT_VERSION. */
  async checkVersion(): Promise<string> {
    const version = await this.version();
    if (!isVersionAtLeast(version, MIN_GIT_VERSION)) {
      throw new PlanWorktreesError(
        GitErrorCode.GitTooOld,
        `Git ${version} is too old: Plan Worktrees needs git ${MIN_GIT_VERSION.join('.')} or newer (for "git merge-tree --write-tree").`,
      );
    }
    return version;
  }

  private async limit<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /**
   * Runs git again, a few times over some 400 ms, when it failed only because
   * another process (another window) was adding a worktree at that moment:
   * git reads each worktree's files as it starts, and a file being written is
   * still empty ("failed to read .../worktrees/<name>/commondir"). Such a
   * command stopped before doing anything, except `git worktree add -b`,
   * which made its branch first: its caller decides.
   */
  private async spawnSettled(args: string[], options: ExecOptions, binary: boolean): Promise<ExecResult | Buffer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.spawn(args, options, binary);
      } catch (e) {
        if (
          !isWorktreeRace(e) ||
          (args[0] === 'worktree' && args[1] === 'add') ||
          attempt >= 4 ||
          options.signal?.aborted
        ) {
          throw e;
        }
        await new Promise((resolve) => setTimeout(resolve, 25 * 2 ** attempt));
      }
    }
  }

  private async spawn(args: string[], options: ExecOptions, binary: boolean): Promise<ExecResult | Buffer> {
    const commandLine = `git ${args.map(quoteForLog).join(' ')}`;
    if (!this.trusted() && !runsNothingTheRepositoryNames(args)) {
      this.log.info(`> ${commandLine} not run: Restricted Mode`);
      throw new PlanWorktreesError(
        GitErrorCode.Untrusted,
        'This folder is not trusted (Restricted Mode): trust it to see changes and use Plan Worktrees commands.',
        { command: commandLine },
      );
    }
    if (options.signal?.aborted) {
      throw new PlanWorktreesError(GitErrorCode.Cancelled, 'The operation was cancelled.', { command: commandLine });
    }
    await this.turnToStart();
    if (options.signal?.aborted) {
      throw new PlanWorktreesError(GitErrorCode.Cancelled, 'The operation was cancelled.', { command: commandLine });
    }
    const started = Date.now();
    const env = { ...cleanEnvironment(), ...options.env, ...(options.noEditor ? { GIT_EDITOR: 'true' } : {}) };
    this.processes++;
    const request: GitProcessRequest = {
      binary: this.path,
      args,
      cwd: options.cwd,
      env,
      okExitCodes: options.okExitCodes ?? [],
      noEditor: options.noEditor ?? false,
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    };
    const outcome = this.processHost
      ? await this.processHost.run(request, options.signal)
      : await runGitProcess(request, options.signal);
    const elapsed = Date.now() - started;
    if (outcome.error === undefined) {
      this.log.trace(`> ${commandLine} [${elapsed}ms]`);
      return binary
        ? outcome.stdout
        : { stdout: outcome.stdout.toString('utf8'), stderr: outcome.stderr, exitCode: outcome.exitCode };
    }
    throw this.failure(commandLine, args, options, outcome, elapsed);
  }

  /**
   * A turn of the event loop of its own, after every process asked for so far
   * has started: for synchronous work (many small files read) that would
   * otherwise hold back processes that could already be running.
   */
  afterStarts(): Promise<void> {
    return this.turnToStart();
  }

  /**
   * Waits until this process may start: starting a process blocks the event
   * loop (fork and exec are synchronous, and slow in a large extension host on
   * a busy machine), so processes that are due at once start one per turn of
   * the event loop instead of back to back in one long synchronous stretch —
   * timers, input and the tree's updates run between them.
   */
  private turnToStart(): Promise<void> {
    const turn = this.startTurn.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
    this.startTurn = turn;
    return turn;
  }

  /** The typed error of a failed run, logged. */
  private failure(
    commandLine: string,
    args: string[],
    options: ExecOptions,
    outcome: GitProcessOutcome,
    elapsed: number,
  ): PlanWorktreesError {
    const { stderr, exitCode, error: e } = outcome;
    if (options.signal?.aborted) {
      this.log.info(`> ${commandLine} [${elapsed}ms] cancelled`);
      return new PlanWorktreesError(GitErrorCode.Cancelled, 'The operation was cancelled.', {
        command: commandLine,
        cause: e,
      });
    }
    const text = stderr || (e instanceof Error ? e.message : String(e));
    // The folder went away before git could start there (simple-git's check, or the spawn's ENOENT, which also means a missing
    // cwd), or while git ran ("Unable to read current working directory").
    const folderGone =
      !fs.existsSync(options.cwd) &&
      (/directory that does not exist|ENOENT/.test(text) || classifyGitError(text) === GitErrorCode.PathMissing);
    if (folderGone) {
      this.log.info(`> ${commandLine} [${elapsed}ms] failed: ${options.cwd} does not exist (any more)`);
      return new PlanWorktreesError(
        GitErrorCode.PathMissing,
        `The folder ${options.cwd} does not exist (any more), so git cannot run there.`,
        { command: commandLine, files: [options.cwd], cause: e },
      );
    }
    const classified = /ENOENT/.test(text) && !stderr ? GitErrorCode.GitNotFound : classifyGitError(text);
    // Git does not always say why a write failed ("unable to write file x", "Cannot save the current status"): on a disk with
    // almost no space left, that is why.
    const code =
      classified !== GitErrorCode.DiskFull && failedToWrite.test(text) && nearlyFull(options.cwd)
        ? GitErrorCode.DiskFull
        : classified;
    this.log.info(`> ${commandLine} [${elapsed}ms] failed (${exitCode}): ${summarizeStderr(text)}`);
    const message =
      code === GitErrorCode.GitNotFound
        ? `Git was not found ("${this.path}"). Install git 2.38 or newer and make sure it is on the PATH.`
        : code === GitErrorCode.WorktreeAdminBroken
          ? `A worktree's record in git is half-written (${summarizeStderr(text)}), probably by a "git worktree add" that was interrupted. Run the doctor to repair it.`
          : code === GitErrorCode.DiskFull
            ? `The disk is full: git could not write (${summarizeStderr(text)}). Free some space, then try again.`
            : summarizeStderr(text) || `git ${args[0]} failed`;
    const files = code === GitErrorCode.DiskFull ? [diskFullPath(text) ?? options.cwd] : undefined;
    return new PlanWorktreesError(code, message, { command: commandLine, stderr: text, exitCode, files, cause: e });
  }
}

/** What git says when it could not write something, with or without the reason. */
const failedToWrite =
  /unable to (write|create)|could not write|couldn't write|write error|failed to write|short write|cannot save the current/i;

/** Less than this much free space where git ran means a failed write was the disk being full. */
const NEARLY_FULL_BYTES = 1024 * 1024;

function nearlyFull(folder: string): boolean {
  try {
    const stats = fs.statfsSync(folder);
    return stats.bavail * stats.bsize < NEARLY_FULL_BYTES;
  } catch {
    return false;
  }
}

/**
 * Git commands that cannot start a program the repository names, whatever its
 * config and attribute files say: they read refs, objects and the worktree
 * list, never the index or the working tree (no fsmonitor, no clean/smudge
 * filter, no textconv, no merge driver), run no hook, and reach no remote
 * (no ssh command, no upload-pack). Everything else needs a trusted folder.
 */
const readOnlyCommands = new Set([
  'version',
  'rev-parse',
  'for-each-ref',
  'show-ref',
  'merge-base',
  'rev-list',
  'ls-tree',
  'cat-file',
]);

export function runsNothingTheRepositoryNames(args: readonly string[]): boolean {
  const [command, ...rest] = args;
  if (command === 'worktree') return rest[0] === 'list';
  if (!readOnlyCommands.has(command)) return false;
  // cat-file can apply textconv drivers and filters when asked to.
  return !rest.some((a) => /^--(textconv|filters)/.test(a));
}

/**
 * Whether git failed only because another process was adding a worktree (a
 * file of it still empty) or removing the last one (the `worktrees` folder
 * gone) at that very moment: trying again a moment later works.
 */
export function isWorktreeRace(e: unknown): boolean {
  const stderr = e instanceof PlanWorktreesError ? (e.stderr ?? '') : '';
  return /failed to read (.*[\\/])?worktrees[\\/][^\\/]+[\\/](commondir|gitdir)|could not create directory of '.*worktrees[\\/]/.test(
    stderr,
  );
}

/**
 * The environment of the extension host or of a hook can carry variables that
 * point git at another repository; they must never leak into our calls.
 */
const launcherVariables = new Set([
  'EDITOR',
  'PAGER',
  'PREFIX',
  'SSH_ASKPASS',
  'GIT_ASKPASS',
  'GIT_EDITOR',
  'GIT_SEQUENCE_EDITOR',
  'GIT_PAGER',
  'GIT_EXTERNAL_DIFF',
  'GIT_PROXY_COMMAND',
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_TEMPLATE_DIR',
  'GIT_EXEC_PATH',
  'GIT_CONFIG',
  'GIT_CONFIG_COUNT',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_SYSTEM',
]);

function cleanEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (
      /^GIT_(DIR|WORK_TREE|INDEX_FILE|COMMON_DIR|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|NAMESPACE|PREFIX)$/.test(
        key,
      )
    ) {
      continue;
    }
    // Programs git could start on its own (editors, pagers, prompts, ssh) are
    // never needed by our calls, and simple-git refuses them in the environment.
    if (launcherVariables.has(key.toUpperCase())) continue;
    env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  env.LC_ALL = 'C';
  return env;
}

function quoteForLog(arg: string): string {
  return /^[\w./:@=,^~+-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

export function isVersionAtLeast(version: string, minimum: readonly [number, number]): boolean {
  const [major, minor] = version.split('.').map((n) => parseInt(n, 10));
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1]);
}
