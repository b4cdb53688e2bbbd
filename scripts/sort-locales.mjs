// Rewrites every catalogue in pwa/locales/ in its one form: keys sorted, one per line, two spaces, a final
// newline. pwa/tests/catalogues.test.js checks that form with the same function. Run after a merge:
//   node scripts/sort-locales.mjs

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const LOCALES = join(dirname(fileURLToPath(import.meta.url)), '..', 'pwa', 'locales');

/** @param {Record<string, string>} messages @returns {string} the catalogue's text */
export function canonicalCatalogue(messages) {
  const sorted = Object.fromEntries(Object.keys(messages).sort().map((key) => [key, messages[key]]));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const name of readdirSync(LOCALES).filter((file) => file.endsWith('.json'))) {
    const path = join(LOCALES, name);
    writeFileSync(path, canonicalCatalogue(JSON.parse(readFileSync(path, 'utf8'))));
  }
}
