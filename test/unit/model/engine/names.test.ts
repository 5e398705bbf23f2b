import * as assert from 'assert';
import { ErrorCode } from '../../../../src/model/engine/errors';
import {
  ensureValid,
  expandRunTemplate,
  expandTemplate,
  explainTitle,
  slugify,
  validateBranchName,
  validateId,
  validatePlanFile,
  validateTemplate,
  validateTitle,
  validateWorktreePath,
} from '../../../../src/model/engine/names';
import { git, gitMayFail, withRepo } from '../../helpers/repo';
import { isPlanError } from '../../helpers/errors';

function vars1() {
  return { id: '189', slug: 'feature-xyz', run: 1, repoName: 'app', repoParent: '/src', home: '/home/me' };
}

describe('names', () => {
  describe('explainTitle', () => {
    it('says what the slug of a title that looks like a path or an option, or has no letter or digit, will be', () => {
      assert.strictEqual(
        explainTitle('../x'),
        '"../x" is taken as a title, not as a path or an option: the branch and folder are named after its words only ("x").',
      );
      assert.match(explainTitle('--foo') ?? '', /not as a path or an option: .*\("foo"\)/);
      assert.match(explainTitle('/etc/passwd') ?? '', /\("etc-passwd"\)/);
      assert.match(explainTitle('a/../b') ?? '', /\("a-b"\)/);
      assert.strictEqual(
        explainTitle('...'),
        '"..." has no letters or digits, so the branch and folder are named "plan".',
      );
      assert.match(explainTitle('!!!') ?? '', /named "plan"/);
    });

    it('says nothing about an ordinary title, slashes and other scripts included', () => {
      for (const title of [
        'Feature xyz',
        'A/B testing',
        'Fix bug #42',
        '日本語',
        'v2.0 release',
        'Ärger über Straße',
      ]) {
        assert.strictEqual(explainTitle(title), undefined, title);
      }
    });
  });

  describe('slugify', () => {
    it('makes lowercase ASCII words joined by "-"', () => {
      assert.strictEqual(slugify('Feature XYZ: add the Login page!'), 'feature-xyz-add-the-login-page');
      assert.strictEqual(slugify('  --Fix   bug #42--  '), 'fix-bug-42');
    });

    it('transliterates accented and special Latin letters', () => {
      assert.strictEqual(
        slugify('Ärger über Straße, Œuvre, Łódź, naïve café'),
        'arger-uber-strasse-oeuvre-lodz-naive-cafe',
      );
    });

    it('drops letters without an ASCII form and falls back to "plan" when nothing is left', () => {
      assert.strictEqual(slugify('日本語 docs'), 'docs');
      assert.strictEqual(slugify('日本語'), 'plan');
      assert.strictEqual(slugify('!!!'), 'plan');
      assert.strictEqual(slugify(''), 'plan');
    });

    it('stays within 50 characters, cut at a word boundary', () => {
      const slug = slugify('word '.repeat(40));
      assert.ok(slug.length <= 50, slug);
      assert.match(slug, /^word(-word)*$/);
      assert.strictEqual(slugify('x'.repeat(80)), 'x'.repeat(50));
    });

    it('always gives a valid branch name part', () => {
      for (const title of ['a.lock', '..', 'HEAD', 'feat/sub', '@{u}', 'ﬁle']) {
        assert.strictEqual(validateBranchName(`plan/1-${slugify(title)}`), undefined, title);
      }
    });
  });

  describe('validateId', () => {
    it('accepts numbers and short slugs', () => {
      for (const id of ['1', '189', 'feature-x', 'JIRA_12', 'v1.2', 'a']) {
        assert.strictEqual(validateId(id), undefined, id);
      }
    });

    it('refuses what could be read as an option, a path or a bad ref, saying why', () => {
      const cases: Array<[string, RegExp]> = [
        ['', /empty/],
        ['--upload-pack=x', /must not start with "-"/],
        ['-1', /must not start with "-"/],
        ['.hidden', /must not start with "\."/],
        ['a..b', /must not contain "\.\."/],
        ['a/b', /"\/" is not allowed/],
        ['a b', /a space is not allowed/],
        ['a\u0007', /control character/],
        ['née', /"é" is not allowed/],
        ['x.lock', /must not end with "\.lock"/],
        ['x.', /must not end with "\."/],
        ['x'.repeat(65), /65 characters long; at most 64/],
      ];
      for (const [id, message] of cases) assert.match(validateId(id) ?? '(valid)', message, JSON.stringify(id));
    });
  });

  describe('validateTitle', () => {
    it('accepts unicode text', () => {
      assert.strictEqual(validateTitle('Ünïcødé 日本語 — emoji 🚀'), undefined);
      assert.strictEqual(validateTitle('x'.repeat(200)), undefined);
    });

    it('refuses empty, multi-line, control characters and 300 characters', () => {
      assert.match(validateTitle('   ') ?? '', /empty/);
      assert.match(validateTitle('two\nlines') ?? '', /contains a line break/);
      assert.match(validateTitle('bell\u0007') ?? '', /control character \(U\+0007\)/);
      assert.match(validateTitle('tab\there') ?? '', /a tab/);
      assert.match(validateTitle('x'.repeat(300)) ?? '', /300 characters long; at most 200/);
    });
  });

  describe('validateBranchName', () => {
    const bad = [
      '',
      '-x',
      '--upload-pack=x',
      'a..b',
      'has space',
      'tab\tin',
      'ctl\u0001',
      'tilde~1',
      'caret^',
      'colon:x',
      'q?',
      'star*',
      'br[acket',
      'back\\slash',
      'at@{1}',
      '@',
      'HEAD',
      'x.lock',
      'a/b.lock/c',
      'a/',
      '/a',
      'a//b',
      'a.',
      '.a',
      'a/.b',
      'x'.repeat(201),
    ];

    it('refuses every name git refuses, with a message', () => {
      for (const name of bad) {
        const message = validateBranchName(name);
        assert.ok(message && message.length > 10, `${JSON.stringify(name)} → ${message}`);
      }
    });

    it('agrees with git check-ref-format --branch', () =>
      withRepo(({ main }) => {
        const good = ['main', 'plan/189-feature-xyz', 'phase-1-run-2', 'ünïcødé', 'a.b', 'a-b_c/d.e', 'x@y'];
        for (const name of good) {
          assert.strictEqual(validateBranchName(name), undefined, name);
          assert.strictEqual(git(main, 'check-ref-format', '--branch', name), name);
        }
        for (const name of bad.filter(
          (n) => n !== '' && n.length < 200 && n !== 'HEAD' && n !== '@' /* git reads "@" as HEAD */,
        )) {
          assert.strictEqual(
            gitMayFail(main, 'check-ref-format', '--branch', name).ok,
            false,
            `git accepts ${JSON.stringify(name)}`,
          );
        }
      }));
  });

  describe('validateWorktreePath and validatePlanFile', () => {
    it('accepts absolute folders with spaces and unicode', () => {
      assert.strictEqual(validateWorktreePath('/tmp/my plans/über 1'), undefined);
    });

    it('refuses relative paths, "..", control characters and empty', () => {
      assert.match(validateWorktreePath('') ?? '', /empty/);
      assert.match(validateWorktreePath('plans/x') ?? '', /absolute/);
      assert.match(validateWorktreePath('/tmp/../etc') ?? '', /"\.\."/);
      assert.match(validateWorktreePath('/tmp/a\nb') ?? '', /line break/);
    });

    it('keeps plan files inside the repository', () => {
      assert.strictEqual(validatePlanFile('plans/189.md'), undefined);
      assert.match(validatePlanFile('../x.md') ?? '', /inside the repository/);
      assert.match(validatePlanFile('/etc/passwd') ?? '', /inside the repository/);
    });
  });

  describe('templates', () => {
    it('gives a later run of a template that does not name the run a -run-NNN suffix, and the first run the name as it is', () => {
      const first = { ...vars1(), run: 1 };
      assert.strictEqual(expandRunTemplate('plan/${id}-${slug}', first), 'plan/189-feature-xyz');
      assert.strictEqual(expandRunTemplate('plan/${id}-${slug}', { ...first, run: 2 }), 'plan/189-feature-xyz-run-002');
      assert.strictEqual(expandRunTemplate('/p/${id}/', { ...first, run: 12 }), '/p/189-run-012');
      assert.strictEqual(expandRunTemplate('phase-${id}-run-${run}', { ...first, run: 2 }), 'phase-189-run-002');
      assert.strictEqual(expandRunTemplate('phase-${id}-${runNumber}', { ...first, run: 2 }), 'phase-189-2');
      assert.strictEqual(validateTemplate('x-${runNumber}'), undefined);
    });

    const vars = { id: '189', slug: 'feature-xyz', run: 2, repoName: 'app', repoParent: '/src', home: '/home/me' };

    it('fills every known variable', () => {
      assert.strictEqual(expandTemplate('plan/${id}-${slug}', vars), 'plan/189-feature-xyz');
      assert.strictEqual(expandTemplate('phase-${id}-run-${run}', vars), 'phase-189-run-002');
      assert.strictEqual(expandTemplate('phase-${id}-run-${runNumber}', vars), 'phase-189-run-2');
      assert.strictEqual(expandTemplate('r${run}', { ...vars, run: 1234 }), 'r1234');
      assert.strictEqual(
        expandTemplate('${repoParent}/${repoName}.plans/${id}-${slug}', vars),
        '/src/app.plans/189-feature-xyz',
      );
      assert.strictEqual(expandTemplate('no variables $id', vars), 'no variables $id');
    });

    it('refuses an unknown variable with InvalidName naming it', () => {
      assert.match(validateTemplate('plan/${ticket}-${slug}') ?? '', /\$\{ticket\}, which does not exist/);
      assert.throws(
        () => expandTemplate('plan/${ticket}', vars),
        isPlanError(ErrorCode.InvalidName, { reason: 'name', problem: /\$\{ticket\}/ }),
      );
    });
  });

  it('ensureValid returns a valid value and throws InvalidName with the message otherwise', () => {
    assert.strictEqual(ensureValid('12', validateId), '12');
    assert.throws(
      () => ensureValid('--upload-pack=x', validateId),
      isPlanError(ErrorCode.InvalidName, { reason: 'name', problem: /must not start with "-"/ }),
    );
  });
});
