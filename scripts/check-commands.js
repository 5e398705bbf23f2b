// Fails when a command is declared in package.json but not registered in
// src/, or registered in src/ but not declared (every registerCommand call
// names its id as a literal).
const fs = require('fs');
const path = require('path');
const { loadManifest } = require('./manifest');

const root = path.join(__dirname, '..');

function sourceFiles(dir, files = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(full, files);
    else if (entry.name.endsWith('.ts')) files.push(full);
  }
  return files;
}

function check() {
  const { manifest, nls, missing } = loadManifest();
  const declared = new Set(manifest.contributes.commands.map((c) => c.command));
  const registered = new Set();
  const pattern = /registerCommand\(\s*['"`]([^'"`]+)['"`]/g;
  for (const file of sourceFiles(path.join(root, 'src'))) {
    for (const match of fs.readFileSync(file, 'utf8').matchAll(pattern)) registered.add(match[1]);
  }
  const problems = missing.map((key) => `package.json names %${key}%, which package.nls.json does not define`);
  const used = JSON.stringify(require(path.join(root, 'package.json')));
  for (const key of Object.keys(nls))
    if (!used.includes(`%${key}%`)) problems.push(`package.nls.json defines "${key}", which package.json never uses`);
  for (const id of declared)
    if (!registered.has(id)) problems.push(`declared in package.json but never registered: ${id}`);
  for (const id of registered)
    if (!declared.has(id)) problems.push(`registered in src/ but not declared in package.json: ${id}`);
  for (const command of manifest.contributes.commands) {
    if (command.category !== 'Plan Worktrees')
      problems.push(`${command.command} is not in the category "Plan Worktrees"`);
  }
  const menuIds = Object.values(manifest.contributes.menus || {})
    .flat()
    .map((m) => m.command)
    .filter(Boolean);
  for (const id of menuIds) if (!declared.has(id)) problems.push(`a menu names an undeclared command: ${id}`);
  return { declared: declared.size, registered: registered.size, problems };
}

module.exports = { check };

if (require.main === module) {
  const { declared, registered, problems } = check();
  if (problems.length) {
    for (const p of problems) console.error(`check-commands: ${p}`);
    process.exit(1);
  }
  console.log(`check-commands: ${declared} commands declared, ${registered} registered, all match.`);
}
