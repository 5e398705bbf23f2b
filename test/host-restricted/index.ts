/** Entry point of the Restricted Mode suite: the host opened with workspace trust on. */
import { runMochaIn } from '../host/index';

export function run(): Promise<void> {
  return runMochaIn(__dirname);
}
