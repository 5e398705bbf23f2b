/**
 * The production bundle (esbuild.js's options) loads on plain Node with
 * nothing beside it but `vscode`: every package it uses is inside it. A
 * package whose `main` esbuild cannot follow (jsonc-parser's UMD build) builds
 * without a word and fails only when VS Code loads the extension.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { makeTempDir, removeDir } from './helpers/repo';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const esbuild = require('esbuild') as { build(options: object): Promise<unknown> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { bundleOptions } = require('../../../esbuild.js') as { bundleOptions(production: boolean): object };

/** A `vscode` module that answers every property, call and `new` with itself. */
const VSCODE_STUB = `
const stub = new Proxy(function () {}, {
  get: (_target, key) => (key === Symbol.toPrimitive ? () => '' : stub),
  apply: () => stub,
  construct: () => stub,
});
module.exports = stub;
`;

describe('production bundle', () => {
  it('loads with nothing beside it but vscode, and exports activate', async function () {
    this.timeout(120_000);
    const dir = makeTempDir('pw-bundle-');
    try {
      const outfile = path.join(dir, 'dist', 'extension.js');
      await esbuild.build({ ...bundleOptions(true), outfile });
      fs.mkdirSync(path.join(dir, 'node_modules', 'vscode'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'node_modules', 'vscode', 'index.js'), VSCODE_STUB);
      // What the bundle asks Node for while it loads.
      const asked: string[] = [];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Module = require('module') as { _load(request: string, ...rest: unknown[]): unknown };
      const load = Module._load;
      Module._load = function (this: unknown, request: string, ...rest: unknown[]) {
        asked.push(request);
        return load.call(this, request, ...rest);
      };
      let extension: { activate?: unknown };
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        extension = require(outfile) as { activate?: unknown };
      } finally {
        Module._load = load;
      }
      assert.strictEqual(typeof extension.activate, 'function');
      // simple-git is evaluated with the first git process, not at load (the first paint at start-up runs no git):
      // what only it and its dependencies ask for (debug's tty, simple-git's node:events) is not asked for yet.
      assert.deepStrictEqual(
        asked.filter((m) => m === 'tty' || m === 'node:events'),
        [],
        `asked for at load: ${asked.join(', ')}`,
      );
    } finally {
      removeDir(dir);
    }
  });
});
