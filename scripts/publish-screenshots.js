// `npm run screenshots`: runs the host tests, then copies the screenshots they
// took (artifacts/) that the README shows into docs/images/. The README's
// pictures are always made by the UI tests, never by hand.
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..');
const shown = [
  'walkthrough',
  'lifecycle-1-create',
  'lifecycle-2-review',
  'lifecycle-3-merge',
  'lifecycle-4-cleanup',
  'explorer-plans',
  'explorer-merge-badges',
  'explorer-activity',
  'guard-status-bar',
  'guard-warning',
  'scm-review',
  'changes-editor',
  'workbench-plan-worktrees-view',
];

execFileSync('npm', ['run', 'test:host'], { cwd: root, stdio: 'inherit' });
const target = path.join(root, 'docs', 'images');
fs.mkdirSync(target, { recursive: true });
for (const name of shown) {
  const from = path.join(root, 'artifacts', `${name}.png`);
  if (!fs.existsSync(from)) throw new Error(`The host tests did not produce ${name}.png`);
  fs.copyFileSync(from, path.join(target, `${name}.png`));
  console.log(`docs/images/${name}.png`);
}
