/**
 * src/ui/iconSyntax.ts: user text stays text where VS Code renders `$(name)`
 * as a theme icon. The checks below follow VS Code's own rendering steps for
 * such text (as its sources describe them): a label turns `$(name)` into an
 * icon unless a backslash precedes it; a MarkdownString with theme icons first
 * doubles the backslash of an escaped icon, then Markdown removes the
 * backslash before any ASCII punctuation, then the result is rendered as a label.
 */
import * as assert from 'assert';
import { escapeIcons, escapeMarkdown } from '../../../src/ui/iconSyntax';

const icon = '\\$\\([A-Za-z0-9-]+(?:~[A-Za-z]+)?\\)';

/** What a label shows: `[icon:name]` for an icon, the text otherwise. */
function renderLabel(text: string): string {
  return text.replace(new RegExp(`(\\\\)?${icon}`, 'g'), (match: string, escaped: string | undefined) =>
    escaped ? match.slice(1) : `[icon:${match.slice(2, -1)}]`,
  );
}

/** What a MarkdownString with supportThemeIcons shows (for text without Markdown syntax left in it). */
function renderMarkdown(value: string): string {
  const escapedIconsDoubled = value.replace(new RegExp(`\\\\${icon}`, 'g'), (match) => `\\${match}`);
  const text = escapedIconsDoubled.replace(/\\([!-/:-@[-`{-~])/g, '$1');
  return renderLabel(text);
}

const hostile = [
  'Check $(verified) badge',
  '$(sync~spin) spinning',
  '$(a)$(b)',
  'already \\$(verified) escaped',
  '$$(verified))',
  '$(not an icon) stays',
  'C:\\plans\\$(x)',
  '**bold** _x_ [link](https://example.invalid) <b>html</b> # heading `code` ~~gone~~ 1. + - | !',
  'ends with a backslash \\',
];

describe('icon syntax in user text', () => {
  it('shows every text as it is in a label with theme icons', () => {
    for (const text of hostile) assert.strictEqual(renderLabel(escapeIcons(text)), text, text);
    assert.strictEqual(escapeIcons('Feature xyz'), 'Feature xyz', 'ordinary text is unchanged');
    assert.strictEqual(escapeIcons('Check $(verified)'), 'Check \\$(verified)');
  });

  it('shows every text as it is in a MarkdownString with theme icons', () => {
    for (const text of hostile) assert.strictEqual(renderMarkdown(escapeMarkdown(text)), text, text);
    assert.strictEqual(escapeMarkdown('Check $(verified)'), 'Check \\\\$\\(verified\\)');
    assert.strictEqual(
      escapeMarkdown('plan/pf-2-ship-the-api'),
      'plan/pf\\-2\\-ship\\-the\\-api',
      'the escaping the tooltips had before',
    );
  });

  it('is needed: unescaped, the same texts show icons', () => {
    assert.strictEqual(renderLabel('Check $(verified) badge'), 'Check [icon:verified] badge');
    // Escaping only Markdown syntax (parentheses, even "$") is not enough: Markdown removes those backslashes first.
    const markdownOnly = 'Check $(verified)'.replace(/[\\`*_{}[\]()#+\-.!|<>$]/g, '\\$&');
    assert.strictEqual(renderMarkdown(markdownOnly), 'Check [icon:verified]');
  });
});
