/**
 * src/ui/messages.ts has a message for every code of the model: every
 * `DomainCode`, and every git-level code the model throws as a `PlanError`.
 * The file imports `vscode`, so it is read here as TypeScript source (the
 * keys of its `messages` table), not run; the host tests run it.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { DomainCode } from '../../../src/model/engine/errors';

const root = path.join(__dirname, '..', '..', '..', '..');

/** The codes `messages` (in the given source of messages.ts) has an entry for, as written: `[ErrorCode.X]`. */
function messageKeys(source: string): string[] {
  const file = ts.createSourceFile('messages.ts', source, ts.ScriptTarget.Latest, true);
  let table: ts.ObjectLiteralExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && node.name.getText() === 'messages' && node.initializer) {
      if (ts.isObjectLiteralExpression(node.initializer)) table = node.initializer;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  assert.ok(table, 'messages.ts has a `messages` table');
  return table.properties.map((p) => {
    const name = p.name;
    assert.ok(name && ts.isComputedPropertyName(name), `a key written as [ErrorCode.X]: ${p.getText().slice(0, 60)}`);
    const match = /^ErrorCode\.(\w+)$/.exec(name.expression.getText());
    assert.ok(match, `a key written as [ErrorCode.X]: ${name.getText()}`);
    return match[1];
  });
}

/** The codes src/ (the model and the UI) throws as a PlanError: `PlanError(ErrorCode.X` and the codes passed on as `moved`. */
function thrownCodes(): Set<string> {
  const codes = new Set<string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) {
        const text = fs.readFileSync(full, 'utf8');
        for (const m of text.matchAll(/PlanError\(\s*ErrorCode\.(\w+)/g)) codes.add(m[1]);
      }
    }
  };
  walk(path.join(root, 'src'));
  return codes;
}

function missing(keys: string[], wanted: Iterable<string>): string[] {
  return [...wanted].filter((code) => !keys.includes(code)).sort();
}

describe('ui/messages: every error code of the model has words', () => {
  const source = fs.readFileSync(path.join(root, 'src', 'ui', 'messages.ts'), 'utf8');

  it('has a message for every DomainCode', () => {
    assert.deepStrictEqual(missing(messageKeys(source), Object.values(DomainCode)), []);
  });

  it('has a message for every code thrown as a PlanError in src/', () => {
    const thrown = thrownCodes();
    assert.ok(thrown.size > 20, `found ${thrown.size} codes thrown`);
    assert.deepStrictEqual(missing(messageKeys(source), thrown), []);
  });

  it('finds a missing entry (the check above can fail)', () => {
    const withoutPlanDirty = source.replace(/\n {2}\[ErrorCode\.PlanDirty\]:/, '\n  [ErrorCode.NotACode]:');
    assert.notStrictEqual(withoutPlanDirty, source);
    assert.deepStrictEqual(missing(messageKeys(withoutPlanDirty), Object.values(DomainCode)), ['PlanDirty']);
  });
});
