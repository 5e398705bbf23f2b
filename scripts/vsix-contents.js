// What the .vsix may hold, and what it must: the minified bundle and what it
// needs (no sources, tests or node_modules), and every image the packaged
// README shows — the installed extension's page resolves the README's
// relative links inside the package — but no other image. Used by
// scripts/run-vsix-check.js; the pure parts are unit-tested.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

/** Files the package may hold besides the README's images. */
const ALLOWED = [
  /^extension\/l10n\/bundle\.l10n(\.[\w-]+)?\.json$/,
  /^extension\/dist\/(extension|gitProcessHost)\.js$/,
  /^extension\/bin\/plan-worktrees-guard\.js$/,
  /^extension\/media\//,
  /^extension\/(package\.json|package\.nls(\.[\w-]+)?\.json|readme\.md|changelog\.md|LICENSE\.txt)$/,
  /^extension\.vsixmanifest$/,
  /^\[Content_Types\]\.xml$/,
];
/** The package without the README's images, compressed. */
const MAX_KB = 300;
/** The README's images (screenshots: PNG hardly compresses). */
const MAX_IMAGES_KB = 1200;

/** The images a Markdown text shows that live in the package: relative `![…](path)` and `<img src="path">`, as package paths. */
function readmeImages(markdown) {
  const targets = [
    ...[...markdown.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]),
    ...[...markdown.matchAll(/<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi)].map((m) => m[1]),
  ];
  const relative = targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('//') && !t.startsWith('#'));
  return [
    ...new Set(
      relative.map((t) => `extension/${path.posix.normalize(decodeURI(t.split(/[?#]/)[0]).replace(/^\.\//, ''))}`),
    ),
  ];
}

/**
 * What is wrong with a package of these entries (`{ name, size }`, size
 * compressed, in bytes) whose README is `readme`: an empty list when nothing is.
 */
function checkContents(entries, readme) {
  const problems = [];
  const names = new Set(entries.map((e) => e.name));
  const images = readmeImages(readme);
  const missing = images.filter((image) => !names.has(image));
  if (missing.length)
    problems.push(
      `The README shows images the package does not hold (its page would show them broken): ${missing.join(', ')}`,
    );
  const isImage = (name) => images.includes(name);
  const unexpected = entries
    .map((e) => e.name)
    .filter((name) => !isImage(name) && !ALLOWED.some((pattern) => pattern.test(name)));
  if (unexpected.length) problems.push(`The package holds files it should not: ${unexpected.join(', ')}`);
  if (!names.has('extension/dist/extension.js')) problems.push('The package has no bundle.');
  if (!names.has('extension/dist/gitProcessHost.js'))
    problems.push('The package has no dist/gitProcessHost.js (the helper process that starts git).');
  const kb = (list) => list.reduce((sum, e) => sum + e.size, 0) / 1024;
  const code = kb(entries.filter((e) => !isImage(e.name)));
  const pictures = kb(entries.filter((e) => isImage(e.name)));
  if (code > MAX_KB) problems.push(`The package without its images is ${code.toFixed(0)} KB, more than ${MAX_KB} KB.`);
  if (pictures > MAX_IMAGES_KB)
    problems.push(`The README's images are ${pictures.toFixed(0)} KB, more than ${MAX_IMAGES_KB} KB.`);
  return problems;
}

/** The entries of a zip file from its central directory: name, compressed size, method and where its data starts. */
function listZip(file) {
  const data = fs.readFileSync(file);
  const end = data.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = data.readUInt16LE(end + 10);
  let offset = data.readUInt32LE(end + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const method = data.readUInt16LE(offset + 10);
    const size = data.readUInt32LE(offset + 20);
    const nameLength = data.readUInt16LE(offset + 28);
    const extra = data.readUInt16LE(offset + 30);
    const comment = data.readUInt16LE(offset + 32);
    const local = data.readUInt32LE(offset + 42);
    entries.push({ name: data.toString('utf8', offset + 46, offset + 46 + nameLength), size, method, local });
    offset += 46 + nameLength + extra + comment;
  }
  return entries;
}

/** The contents of one entry of a zip file (stored or deflated). */
function readZipEntry(file, entry) {
  const data = fs.readFileSync(file);
  const start = entry.local + 30 + data.readUInt16LE(entry.local + 26) + data.readUInt16LE(entry.local + 28);
  const raw = data.subarray(start, start + entry.size);
  if (entry.method === 0) return raw;
  if (entry.method === 8) return zlib.inflateRawSync(raw);
  throw new Error(`${entry.name}: zip compression method ${entry.method} is not supported`);
}

/** The problems of a built .vsix (its README read from the package itself). */
function checkPackage(vsix) {
  const entries = listZip(vsix);
  const readme = entries.find((e) => e.name === 'extension/readme.md');
  if (!readme) return { entries, problems: ['The package has no README.'] };
  return { entries, problems: checkContents(entries, readZipEntry(vsix, readme).toString('utf8')) };
}

module.exports = { readmeImages, checkContents, checkPackage, listZip, MAX_KB, MAX_IMAGES_KB };
