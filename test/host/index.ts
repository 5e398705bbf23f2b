/**
 * The host tier's entry point: VS Code loads this file in the extension host
 * (as `extensionTestsPath`) and calls run(). It runs mocha over every
 * `*.test.js` next to it, `extension.test.js` first. The Restricted Mode
 * suite (test/host-restricted) and the plan-window suite (test/host-window)
 * have entry points of their own that call `runMochaIn` on their folder.
 */
import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';

export function run(): Promise<void> {
  return runMochaIn(__dirname);
}

/** Runs every `*.test.js` under `dir`; a stray `.only` or a folder without tests fails the run. */
export function runMochaIn(dir: string): Promise<void> {
  // PLAN_WORKTREES_HOST_GREP runs only the matching tests (while working on them).
  const grep = process.env.PLAN_WORKTREES_HOST_GREP;
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    timeout: 60_000,
    reporter: 'spec',
    forbidOnly: true,
    failZero: true,
    ...(grep ? { grep } : {}),
  });
  const files = collect(dir).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const file of files) mocha.addFile(file);
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      if (failures > 0) reject(new Error(`${failures} host test(s) failed.`));
      else resolve();
    });
  });
}

function rank(file: string): number {
  return path.basename(file) === 'extension.test.js' ? 0 : 1;
}

function collect(dir: string, files: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) collect(full, files);
    else if (entry.name.endsWith('.test.js')) files.push(full);
  }
  return files;
}
