// The README's tables of commands and settings, generated from package.json
// (with package.nls.json's English strings). `npm run docs` rewrites them;
// the unit test test/unit/readmeTables.test.ts fails when they drift.
const fs = require('fs');
const path = require('path');
const { loadManifest, root } = require('./manifest');

const README = path.join(root, 'README.md');

function cell(text) {
  return String(text).replace(/\|/g, '\\|').replace(/\n+/g, ' ');
}

function commandsTable(manifest) {
  const hidden = new Set(
    (manifest.contributes.menus.commandPalette || []).filter((m) => m.when === 'false').map((m) => m.command),
  );
  const rows = manifest.contributes.commands.map(
    (c) =>
      `| \`${c.command}\` | ${cell(`${c.category}: ${c.title}`)} | ${hidden.has(c.command) ? 'tree / Source Control only' : 'Command Palette'} |`,
  );
  return ['| Command | Title | Where |', '| --- | --- | --- |', ...rows].join('\n');
}

function settingsTable(manifest) {
  const rows = Object.entries(manifest.contributes.configuration.properties).map(([key, p]) => {
    const values = p.enum ? ` (${p.enum.map((e) => `\`${e}\``).join(', ')})` : '';
    return `| \`${key}\` | \`${JSON.stringify(p.default)}\` | ${cell((p.markdownDescription || p.description || '') + values)} |`;
  });
  return ['| Setting | Default | Description |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The README with its generated sections replaced. */
function render(readme, manifest) {
  const replace = (text, name, body) => {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from < 0 || to < from) throw new Error(`README.md has no ${start} … ${end} section.`);
    return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
  };
  return replace(replace(readme, 'commands', commandsTable(manifest)), 'settings', settingsTable(manifest));
}

module.exports = { render, commandsTable, settingsTable };

if (require.main === module) {
  const readme = fs.readFileSync(README, 'utf8');
  const next = render(readme, loadManifest().manifest);
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('README.md: the tables of commands and settings differ from package.json; run "npm run docs".');
      process.exit(1);
    }
  } else if (next !== readme) {
    fs.writeFileSync(README, next);
    console.log('README.md: tables of commands and settings updated.');
  }
}
