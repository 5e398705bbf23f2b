import * as assert from 'assert';
import { ErrorCode, PlanError } from '../../../src/model/engine/errors';

/**
 * A check for `assert.rejects`: the error is a model error (`PlanError`) with
 * this code and these data fields (the others are not compared; a RegExp
 * matches a text field, such as the problem a name validator names). Model errors
 * carry data, not sentences; the words are the UI's (src/ui/messages.ts).
 */
export function isPlanError(code: ErrorCode, data: Record<string, unknown> = {}): (e: unknown) => true {
  return (e: unknown) => {
    assert.ok(e instanceof PlanError, `not a PlanError: ${String(e)}`);
    assert.strictEqual(e.code, code, e.message);
    const actual = e.data as Record<string, unknown>;
    for (const [key, value] of Object.entries(data)) {
      if (value instanceof RegExp) assert.match(String(actual[key]), value, `${key} of ${e.message}`);
      else assert.deepStrictEqual(actual[key], value, `${key} of ${e.message}`);
    }
    return true;
  };
}
