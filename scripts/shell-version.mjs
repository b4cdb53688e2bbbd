// The shell's version: the first 12 hex digits of a SHA-256 over every file of the app (pwa/ except
// sw.js and tests/, and manifest.json), each preceded by its path. sw.js must declare it as VERSION, so
// that any change to the app reaches installed copies. `node scripts/shell-version.mjs --write` sets it;
// without --write it prints it. pwa/tests/shell.test.js checks it with the same function.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SERVICE_WORKER = join(ROOT, 'pwa', 'sw.js');
const DECLARED = /const VERSION = '([^']*)';/;

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)]);
}

/** @param {string} root the project's top folder @returns {string} */
export function shellVersion(root = ROOT) {
  const pwa = join(root, 'pwa');
  const files = [...listFiles(pwa).filter((file) => {
    const rel = relative(pwa, file).split(sep).join('/');
    return rel !== 'sw.js' && !rel.startsWith('tests/');
  }), join(root, 'manifest.json')];
  const named = files.map((file) => [relative(root, file).split(sep).join('/'), file]);
  const hash = createHash('sha256');
  for (const [name, file] of named.sort(([a], [b]) => (a < b ? -1 : 1))) {
    hash.update(`${name}\n`).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 12);
}

/** @returns {string|undefined} the VERSION that sw.js declares */
export function declaredVersion(path = SERVICE_WORKER) {
  return DECLARED.exec(readFileSync(path, 'utf8'))?.[1];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const version = shellVersion();
  if (process.argv.includes('--write')) {
    const source = readFileSync(SERVICE_WORKER, 'utf8');
    if (!DECLARED.test(source)) throw new Error('pwa/sw.js declares no VERSION');
    writeFileSync(SERVICE_WORKER, source.replace(DECLARED, `const VERSION = '${version}';`));
  }
  console.log(version);
}
