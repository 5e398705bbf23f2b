/**
 * The extension host's side of the helper process that starts git
 * (src/git/gitProcessHost.ts): forks it when the first git process is asked
 * for, sends it each run and hands back its answer. The runner (src/git/runner.ts)
 * asks before anything is sent; this module only carries messages.
 *
 * While nothing is pending, the helper and its channel are unref'd: they never
 * keep the extension host (or a test run) alive, and it exits when the channel
 * closes. A helper that cannot start (it exits before it said it is ready)
 * leaves every run to the runner's own process from then on; one that dies
 * later fails the runs it had (git may have run: nothing is tried twice) and
 * the next run starts a new one.
 */
import { ChildProcess, fork } from 'child_process';
import {
  FromGitProcessHost,
  fromPlainError,
  GitProcessOutcome,
  GitProcessRequest,
  runGitProcess,
  ToGitProcessHost,
} from './gitProcess';

interface Pending {
  request: GitProcessRequest;
  signal: AbortSignal | undefined;
  resolve(outcome: GitProcessOutcome): void;
  /** Sent to a helper that had not said it is ready yet: run in-process if it never does. */
  beforeReady: boolean;
  onAbort?: () => void;
}

interface Helper {
  child: ChildProcess;
  ready: boolean;
  pending: Map<number, Pending>;
}

export class GitProcessHost {
  private helper: Helper | undefined;
  /** Set once the helper could not start: every run is then the runner's own. */
  private broken = false;
  private nextId = 1;

  /** `script` is the built gitProcessHost.js; `note` logs the one line of a helper that cannot start or died. */
  constructor(
    private readonly script: string,
    private readonly note: (line: string) => void,
  ) {}

  /** Runs one git process in the helper, or in this process when the helper cannot start. */
  run(request: GitProcessRequest, signal?: AbortSignal): Promise<GitProcessOutcome> {
    const helper = this.broken ? undefined : (this.helper ?? this.start());
    if (!helper) return runGitProcess(request, signal);
    return new Promise((resolve) => {
      const id = this.nextId++;
      const pending: Pending = { request, signal, resolve, beforeReady: !helper.ready };
      if (signal) {
        pending.onAbort = () => this.post(helper, { type: 'cancel', id });
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      helper.pending.set(id, pending);
      this.refWhileBusy(helper);
      const { stdin, ...rest } = request;
      this.post(helper, { type: 'run', id, ...rest, ...(stdin === undefined ? {} : { stdin }) });
    });
  }

  /** Ends the helper (the extension's deactivation); a git process it started runs on to its end. */
  dispose(): void {
    const helper = this.helper;
    this.helper = undefined;
    if (helper?.child.connected) helper.child.disconnect();
  }

  private start(): Helper | undefined {
    let child: ChildProcess;
    try {
      child = fork(this.script, [], {
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        // VS Code's extension host runs in Electron's binary: the helper is plain Node.
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        execArgv: [],
      });
    } catch (e) {
      this.giveUp(`the helper process that starts git could not start (${String(e)}): git starts in this process`);
      return undefined;
    }
    const helper: Helper = { child, ready: false, pending: new Map() };
    this.helper = helper;
    child.on('message', (message: FromGitProcessHost) => {
      if (message.type === 'ready') {
        helper.ready = true;
        for (const pending of helper.pending.values()) pending.beforeReady = false;
        return;
      }
      const pending = helper.pending.get(message.id);
      if (!pending) return;
      this.settle(helper, message.id, {
        stdout: message.stdout,
        stderr: message.stderr,
        exitCode: message.exitCode,
        ...(message.error === undefined ? {} : { error: fromPlainError(message.error) }),
      });
    });
    // An error of the process (it could not be started, or a message could not be sent) ends it as an exit does.
    child.on('error', (e) => this.ended(helper, e.message));
    // 'close', not 'exit': it comes after the channel closed, so after every answer the helper sent was read.
    child.on('close', (code, signal) => this.ended(helper, signal ? `signal ${signal}` : `exit code ${code}`));
    this.refWhileBusy(helper);
    return helper;
  }

  private post(helper: Helper, message: ToGitProcessHost): void {
    if (!helper.child.connected) return;
    helper.child.send(message, (e) => {
      if (e) this.ended(helper, e.message);
    });
  }

  private settle(helper: Helper, id: number, outcome: GitProcessOutcome): void {
    const pending = helper.pending.get(id);
    if (!pending) return;
    helper.pending.delete(id);
    if (pending.onAbort) pending.signal?.removeEventListener('abort', pending.onAbort);
    this.refWhileBusy(helper);
    pending.resolve(outcome);
  }

  /** The helper stopped: runs it never began go in-process, the others fail. */
  private ended(helper: Helper, why: string): void {
    if (this.helper === helper) this.helper = undefined;
    if (helper.child.connected) helper.child.disconnect();
    const neverReady = !helper.ready;
    if (neverReady && !this.broken) {
      this.giveUp(`the helper process that starts git could not start (${why}): git starts in this process`);
    } else if (helper.pending.size > 0) {
      this.note(
        `the helper process that starts git stopped (${why}) with ${helper.pending.size} git process(es) running`,
      );
    }
    for (const [id, pending] of [...helper.pending]) {
      if (pending.beforeReady) {
        helper.pending.delete(id);
        if (pending.onAbort) pending.signal?.removeEventListener('abort', pending.onAbort);
        void runGitProcess(pending.request, pending.signal).then(pending.resolve);
        continue;
      }
      this.settle(helper, id, {
        stdout: Buffer.alloc(0),
        stderr: '',
        exitCode: -1,
        error: new Error(
          `The helper process that starts git stopped (${why}) before git answered; the command may or may not have run.`,
        ),
      });
    }
  }

  private giveUp(line: string): void {
    this.broken = true;
    this.note(line);
  }

  /** Keeps the extension host alive for the helper only while a run waits for it. */
  private refWhileBusy(helper: Helper): void {
    const channel = helper.child.channel as { ref?(): void; unref?(): void } | null | undefined;
    if (helper.pending.size > 0) {
      helper.child.ref();
      channel?.ref?.();
    } else {
      helper.child.unref();
      channel?.unref?.();
    }
  }
}
