// package.json with its %keys% replaced by the English strings of
// package.nls.json, as VS Code shows them.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');

function loadManifest() {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const nls = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.json'), 'utf8'));
  const missing = [];
  const resolve = (value) => {
    if (typeof value === 'string') {
      const match = /^%([^%]+)%$/.exec(value);
      if (!match) return value;
      if (!(match[1] in nls)) missing.push(match[1]);
      return nls[match[1]] ?? value;
    }
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
    return value;
  };
  const resolved = resolve(manifest);
  return { manifest: resolved, raw: manifest, nls, missing };
}

module.exports = { loadManifest, root };
