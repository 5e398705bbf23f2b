/**
 * A git runner that starts its processes in rounds: a process asked for waits
 * until every process already started has ended and no other is asked for
 * within a moment, then all those waiting start at once. `rounds` lists the
 * subcommands of each round: how many processes an operation runs, and how
 * many times it waits for git before it can go on.
 */
import { ExecOptions, ExecResult, Git } from '../../../src/git/runner';

export class RoundGit extends Git {
  readonly rounds: string[][] = [];
  private asked: Array<{ name: string; go: () => void }> = [];
  private inFlight = 0;
  private releaseTimer: NodeJS.Timeout | undefined;

  override async exec(args: string[], options: ExecOptions): Promise<ExecResult> {
    await new Promise<void>((go) => {
      // `-c name=value` before the subcommand is not the subcommand.
      this.asked.push({ name: args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c') ?? args[0], go });
      this.schedule();
    });
    try {
      return await super.exec(args, options);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  private schedule(): void {
    clearTimeout(this.releaseTimer);
    if (this.inFlight > 0 || this.asked.length === 0) return;
    this.releaseTimer = setTimeout(() => {
      const round = this.asked.splice(0);
      this.inFlight += round.length;
      this.rounds.push(round.map((w) => w.name).sort());
      for (const w of round) w.go();
    }, 50);
  }
}
