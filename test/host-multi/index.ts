/**
 * Entry point of the multi-root suite: the runner opens a .code-workspace of
 * two repositories (test/host-multi/fixture.ts) with this file as its
 * extensionTestsPath.
 */
import { runMochaIn } from '../host/index';

export function run(): Promise<void> {
  return runMochaIn(__dirname);
}
