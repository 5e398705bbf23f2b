/**
 * Helpers for tests that run inside the real VS Code extension host.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'planworktrees.plan-worktrees';

/** The repository root of this project (the development extension's folder). */
export const projectRoot = path.resolve(__dirname, '..', '..', '..');

/** Activates the extension under test and returns its API. */
export async function activateExtension<T = unknown>(): Promise<T> {
  const extension = vscode.extensions.getExtension<T>(EXTENSION_ID);
  if (!extension) throw new Error(`Extension ${EXTENSION_ID} is not loaded in this host.`);
  return extension.activate();
}

/** Waits until `check` returns a truthy value, or fails after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * Screenshots are taken by the browser-driven runner of `npm test`
 * (scripts/run-host-tests.js); desktop VS Code (`npm run test:desktop`) has no one to take them.
 */
export const canScreenshot = process.env.PLAN_WORKTREES_HOST === 'web';

/**
 * Asks the test runner (which drives the browser) for a screenshot of the
 * whole workbench, saved as artifacts/<name>.png, and waits until it exists.
 * Returns the file's path.
 */
export async function screenshot(name: string): Promise<string> {
  const dir = path.join(projectRoot, 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.failed`, { force: true });
  console.log(`[plan-worktrees:screenshot] ${file}`);
  await waitFor(() => {
    if (fs.existsSync(`${file}.failed`)) throw new Error(fs.readFileSync(`${file}.failed`, 'utf8'));
    return fs.existsSync(file);
  }, `screenshot ${name}`, 30_000);
  return file;
}
