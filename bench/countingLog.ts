/**
 * A Logger for the extension's git runner that counts the git commands it
 * logs (`> git status ... [12ms]`) by subcommand, so a benchmark can say which
 * processes a refresh ran, not only how many.
 */
import { Logger } from '../src/git/log';

export class CountingLog implements Logger {
  private counts = new Map<string, number>();

  trace(message: string): void {
    this.count(message);
  }
  info(message: string): void {
    this.count(message);
  }
  warn(): void {}
  error(): void {}

  /** Counts since the last reset, e.g. `{ status: 101, 'rev-list': 1 }`. */
  take(): Record<string, number> {
    const result = Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
    this.counts = new Map();
    return result;
  }

  private count(message: string): void {
    if (process.env.BENCH_TRACE) console.log(`  ${message.length > 160 ? `${message.slice(0, 160)}…` : message}`);
    const match = /^> git (?:-c \S+ )*(\S+)/.exec(message);
    if (match) this.counts.set(match[1], (this.counts.get(match[1]) ?? 0) + 1);
  }
}

export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
