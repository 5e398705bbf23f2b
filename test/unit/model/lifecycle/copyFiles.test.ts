import * as assert from 'assert';
import { globToRegExp } from '../../../../src/model/lifecycle/copyFiles';

describe('globToRegExp', () => {
  const matches = (glob: string, file: string): boolean => globToRegExp(glob).test(file);

  it('matches the default copyFiles patterns at the root only', () => {
    assert.ok(matches('.env', '.env'));
    assert.ok(!matches('.env', 'pkg/.env'));
    assert.ok(!matches('.env', 'x.env'));
    assert.ok(matches('.env.*', '.env.local'));
    assert.ok(!matches('.env.*', '.env'));
    assert.ok(!matches('.env.*', '.env.d/secret'), '* never crosses a folder');
  });

  it('knows **, ?, {a,b} and [abc]', () => {
    assert.ok(matches('**/.env', '.env'));
    assert.ok(matches('**/.env', 'a/b/.env'));
    assert.ok(matches('config/**', 'config/a/b.json'));
    assert.ok(matches('file?.txt', 'file1.txt'));
    assert.ok(!matches('file?.txt', 'file12.txt'));
    assert.ok(matches('*.{json,yaml}', 'settings.yaml'));
    assert.ok(!matches('*.{json,yaml}', 'settings.toml'));
    assert.ok(matches('log[0-9].txt', 'log7.txt'));
    assert.ok(!matches('log[!0-9].txt', 'log7.txt'));
  });

  it('treats regular-expression characters literally', () => {
    assert.ok(matches('a+b(1).txt', 'a+b(1).txt'));
    assert.ok(!matches('a.txt', 'abtxt'));
  });
});
