/** A logger that keeps every line it is given, for tests that check what was logged. */
import { Logger } from '../../../src/git/log';

export function recordingLogger(lines: string[]): Logger {
  return {
    trace: (m) => lines.push(m),
    info: (m) => lines.push(m),
    warn: (m) => lines.push(m),
    error: (m) => lines.push(String(m)),
  };
}
