/**
 * A mocha root hook (`.mocharc.json` requires it): a failed test is printed the
 * moment it fails, with its error, and not only in the report at the end. A
 * tier that is killed because it overran its time limit (scripts/test-all.js)
 * still shows every failure it had.
 */
import type { Context } from 'mocha';

export const mochaHooks = {
  afterEach(this: Context): void {
    const test = this.currentTest;
    if (test?.state !== 'failed') return;
    const error = (test as unknown as { err?: Error }).err;
    const detail = error
      ? (error.stack ?? String(error)).split('\n').slice(0, 12).join('\n        ')
      : '(no error recorded)';
    console.log(`\n      [failed] ${test.fullTitle()}\n        ${detail}\n`);
  },
};
