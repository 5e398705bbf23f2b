/**
 * User text (plan titles, branch names, commit subjects, file names) shown
 * where VS Code turns `$(name)` into a theme icon: status-bar text, quick-pick
 * items, Source Control commands, and Markdown with `supportThemeIcons`.
 * Without escaping, a title "Check $(verified)" would show a verified badge.
 * No `vscode` import: plain functions, tested on plain Node.
 */

/** `$(name)` or `$(name~modifier)`, as VS Code finds theme icons in text. */
const iconSyntax = /\$\([A-Za-z0-9-]+(?:~[A-Za-z]+)?\)/g;

/**
 * Text for a label that renders theme icons (status bar, quick pick, Source
 * Control command titles): every `$(name)` gets the backslash VS Code reads as
 * "not an icon", so the text shows as it is.
 */
export function escapeIcons(text: string): string {
  return text.replace(iconSyntax, (icon) => `\\${icon}`);
}

/**
 * Text for a MarkdownString with theme icons: icons escaped as for a label,
 * then every character Markdown would read as syntax (the backslashes just
 * added included) escaped with a backslash, so the text shows as it is.
 */
export function escapeMarkdown(text: string): string {
  return escapeIcons(text).replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&');
}
