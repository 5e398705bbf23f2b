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

/** The module object itself (this file's `import * as` of it is a copy). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeRequire = (module: string): unknown => require(module);

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
      // Which modules' properties are listed while it loads, and how often (what copying a module's exports does).
      const listed = new Map<unknown, number>();
      const ownNames = Object.getOwnPropertyNames;
      Object.getOwnPropertyNames = (o: unknown) => (listed.set(o, (listed.get(o) ?? 0) + 1), ownNames(o));
      let extension: { activate?: unknown };
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        extension = require(outfile) as { activate?: unknown };
      } finally {
        Module._load = load;
        Object.getOwnPropertyNames = ownNames;
      }
      assert.strictEqual(typeof extension.activate, 'function');
      // simple-git is evaluated with the first git process, not at load (the first paint at start-up runs no git):
      // what only it and its dependencies ask for (debug's tty, simple-git's node:events) is not asked for yet.
      assert.deepStrictEqual(
        asked.filter((m) => m === 'tty' || m === 'node:events'),
        [],
        `asked for at load: ${asked.join(', ')}`,
      );
      // The API VS Code gives, and Node's modules, are copied once for the whole bundle, not once per module that
      // imports them (each copy defines a getter per property: some 20 ms of the load in the extension host).
      const copies = (module: string) => listed.get(nodeRequire(module)) ?? 0;
      assert.deepStrictEqual(
        {
          vscode: copies(path.join(dir, 'node_modules', 'vscode')),
          fs: copies('fs'),
          path: copies('path'),
        },
        { vscode: 1, fs: 1, path: 1 },
        'copies made at load',
      );
    } finally {
      removeDir(dir);
    }
  });
});
