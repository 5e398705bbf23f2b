/**
 * The .vsix check's rules (scripts/vsix-contents.js): every image the
 * packaged README shows is in the package, no other image is, and the
 * bundle stays small.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

interface Entry {
  name: string;
  size: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const vsix = require('../../../scripts/vsix-contents.js') as {
  readmeImages(markdown: string): string[];
  checkContents(entries: Entry[], readme: string): string[];
  MAX_KB: number;
  MAX_IMAGES_KB: number;
};

const root = path.join(__dirname, '..', '..', '..');
const base: Entry[] = [
  { name: 'extension.vsixmanifest', size: 2_000 },
  { name: 'extension/package.json', size: 5_000 },
  { name: 'extension/readme.md', size: 8_000 },
  { name: 'extension/dist/extension.js', size: 90_000 },
  { name: 'extension/dist/gitProcessHost.js', size: 30_000 },
];

describe('vsix contents', () => {
  it('finds the relative images of Markdown and HTML, not links, web images or anchors', () => {
    const markdown = [
      '![A](docs/images/a.png) and ![B](./docs/images/b.png "title")',
      '[not an image](docs/notes.md) ![web](https://example.com/c.png) ![data](data:image/png;base64,xx)',
      '<img src="docs/images/d%20e.png" width="300"> <img alt="x" src=\'media/f.svg\'> [jump](#install)',
    ].join('\n');
    assert.deepStrictEqual(vsix.readmeImages(markdown), [
      'extension/docs/images/a.png',
      'extension/docs/images/b.png',
      'extension/docs/images/d e.png',
      'extension/media/f.svg',
    ]);
  });

  it('finds every picture of the real README', () => {
    const images = vsix.readmeImages(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
    assert.ok(images.length >= 10, images.join(', '));
    for (const image of images) {
      assert.ok(fs.existsSync(path.join(root, image.slice('extension/'.length))), `${image} exists in the repository`);
    }
  });

  it('refuses a package without an image its README shows, or with an image it does not show', () => {
    const readme = '![A](docs/images/a.png)';
    assert.deepStrictEqual(
      vsix.checkContents([...base, { name: 'extension/docs/images/a.png', size: 50_000 }], readme),
      [],
    );
    assert.match(
      vsix.checkContents(base, readme).join('\n'),
      /README shows images the package does not hold.*extension\/docs\/images\/a\.png/,
    );
    const extra = vsix.checkContents(
      [...base, { name: 'extension/docs/images/a.png', size: 1 }, { name: 'extension/docs/images/b.png', size: 1 }],
      readme,
    );
    assert.match(extra.join('\n'), /files it should not: extension\/docs\/images\/b\.png/);
    assert.match(
      vsix.checkContents([...base, { name: 'extension/src/extension.ts', size: 1 }], '').join('\n'),
      /files it should not: extension\/src\/extension\.ts/,
    );
  });

  it('refuses a package without the helper process that starts git', () => {
    assert.deepStrictEqual(vsix.checkContents(base, ''), []);
    assert.match(
      vsix
        .checkContents(
          base.filter((e) => e.name !== 'extension/dist/gitProcessHost.js'),
          '',
        )
        .join('\n'),
      /no dist\/gitProcessHost\.js/,
    );
  });

  it('keeps the bundle and the images each within their size', () => {
    assert.match(
      vsix.checkContents([...base, { name: 'extension/media/big.svg', size: vsix.MAX_KB * 1024 }], '').join('\n'),
      /without its images is \d+ KB, more than 300 KB/,
    );
    const readme = '![A](docs/images/a.png)';
    assert.match(
      vsix
        .checkContents(
          [...base, { name: 'extension/docs/images/a.png', size: (vsix.MAX_IMAGES_KB + 1) * 1024 }],
          readme,
        )
        .join('\n'),
      /images are \d+ KB, more than/,
    );
  });
});
