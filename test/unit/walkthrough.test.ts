/**
 * The Get Started walkthrough checks its steps off when the user does them:
 * every step has completion events, each naming a command the extension
 * declares (and scripts/check-commands.js proves registered) or a context key
 * it sets. A misspelt command would leave the step unchecked for ever.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..', '..', '..');

interface Step {
  id: string;
  completionEvents?: string[];
}

describe('walkthrough', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const declared = new Set<string>(manifest.contributes.commands.map((c: { command: string }) => c.command));
  const steps: Step[] = manifest.contributes.walkthroughs.flatMap((w: { steps: Step[] }) => w.steps);
  // The context keys the extension sets: src/ui/contextKeys.ts is the only place that does.
  const contextKeys = new Set(
    [
      ...fs.readFileSync(path.join(root, 'src', 'ui', 'contextKeys.ts'), 'utf8').matchAll(/'setContext', '([\w.]+)'/g),
    ].map((m) => m[1]),
  );

  it('reads the declared commands and the context keys it checks against', () => {
    assert.ok(declared.has('planWorktrees.create'));
    assert.ok(contextKeys.has('planWorktrees.hasPlans'), [...contextKeys].join(', '));
    assert.deepStrictEqual(
      steps.map((s) => s.id),
      ['create', 'review', 'merge', 'cleanup'],
    );
  });

  it('gives every step completion events on the real commands of that step', () => {
    const expected: Record<string, string> = {
      create: 'planWorktrees.create',
      review: 'planWorktrees.showDiff',
      merge: 'planWorktrees.merge',
      cleanup: 'planWorktrees.cleanup',
    };
    for (const step of steps) {
      assert.ok(step.completionEvents && step.completionEvents.length > 0, `step ${step.id} has completion events`);
      assert.ok(
        step.completionEvents.includes(`onCommand:${expected[step.id]}`),
        `step ${step.id} is checked off by ${expected[step.id]}`,
      );
      for (const event of step.completionEvents) {
        const [kind, name] = [event.slice(0, event.indexOf(':')), event.slice(event.indexOf(':') + 1)];
        if (kind === 'onCommand') {
          assert.ok(declared.has(name), `step ${step.id}: ${event} names a command package.json declares`);
        } else if (kind === 'onContext') {
          assert.ok(contextKeys.has(name), `step ${step.id}: ${event} names a context key the extension sets`);
        } else assert.fail(`step ${step.id}: ${event} is neither onCommand nor onContext`);
      }
    }
  });
});
