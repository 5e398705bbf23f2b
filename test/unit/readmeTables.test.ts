import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { render } = require('../../../scripts/readme-tables.js') as {
  render(readme: string, manifest: unknown): string;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { loadManifest } = require('../../../scripts/manifest.js') as {
  loadManifest(): { manifest: { contributes: { commands: Array<{ command: string }> } } };
};

const root = path.join(__dirname, '..', '..', '..');

describe('README tables', () => {
  it('list exactly the commands and settings of package.json (run "npm run docs" after changing them)', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const { manifest } = loadManifest();
    assert.strictEqual(render(readme, manifest), readme);
    for (const { command } of manifest.contributes.commands) {
      assert.ok(readme.includes(`\`${command}\``), `${command} is missing from README.md`);
    }
  });
});
