/**
 * Plain git, the yardstick: `child_process.execFile('git', ...)` with nothing
 * around it (no simple-git, no parsing beyond what the next command needs),
 * through a pool with the same limit of processes at once as the extension's
 * runner. Every benchmark compares the extension with this, in the same run.
 */
import { execFile } from 'child_process';

export interface PlainResult {
  stdout: string;
  exitCode: number;
}

export class PlainGit {
  /** Number of git processes started. */
  processCount = 0;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly maxConcurrent = 8) {}

  /** Runs git in `cwd`; rejects on an exit code that is not 0 or one of `okExitCodes`. */
  async run(
    cwd: string,
    args: string[],
    options: { env?: Record<string, string>; okExitCodes?: number[] } = {},
  ): Promise<PlainResult> {
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    this.processCount++;
    try {
      return await new Promise<PlainResult>((resolve, reject) => {
        execFile(
          'git',
          args,
          { cwd, env: { ...process.env, LC_ALL: 'C', ...options.env }, maxBuffer: 256 * 1024 * 1024 },
          (error, stdout, stderr) => {
            const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
            if (exitCode === 0 || options.okExitCodes?.includes(exitCode)) resolve({ stdout, exitCode });
            else reject(new Error(`git ${args.join(' ')} (in ${cwd}) failed with ${exitCode}: ${stderr}`));
          },
        );
      });
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** stdout of a git command that must succeed. */
  async out(cwd: string, ...args: string[]): Promise<string> {
    return (await this.run(cwd, args)).stdout;
  }
}
