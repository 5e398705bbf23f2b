/**
 * The helper process that starts git for the extension host (built to
 * dist/gitProcessHost.js; src/git/processHost.ts forks it). Starting a
 * process forks its parent, which in the large extension host held it for
 * tens of milliseconds per git process; this small process forks cheaply, and
 * the extension host only sends a message and reads the answer.
 *
 * It runs what it is asked, nothing more: the trust rule, the limit of
 * processes, logging and typed errors stay in the runner, which asks before
 * it sends. It exits when its channel closes (the extension host stopped); a
 * git process it started runs on to its end.
 */
import { FromGitProcessHost, runGitProcess, toPlainError, ToGitProcessHost } from './gitProcess';

function send(message: FromGitProcessHost): void {
  // The channel may have closed meanwhile: the answer then has nobody to go to.
  if (process.connected) process.send?.(message);
}

export function serve(): void {
  const running = new Map<number, AbortController>();
  process.on('message', (message: ToGitProcessHost) => {
    if (message.type === 'cancel') {
      running.get(message.id)?.abort();
      return;
    }
    const { id, binary, args, cwd, env, okExitCodes, noEditor, stdin } = message;
    const request = { binary, args, cwd, env, okExitCodes, noEditor, ...(stdin === undefined ? {} : { stdin }) };
    const controller = new AbortController();
    running.set(id, controller);
    void runGitProcess(request, controller.signal).then((outcome) => {
      running.delete(id);
      send({
        type: 'result',
        id,
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        exitCode: outcome.exitCode,
        ...(outcome.error === undefined ? {} : { error: toPlainError(outcome.error) }),
      });
    });
  });
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready' });
}

if (require.main === module && process.send) serve();
