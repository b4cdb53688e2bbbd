// Rewrites every catalogue in its one form, and puts each key in its file: pwa/locales/<tag>.json holds
// the words the first paint (and the service worker) may show, pwa/locales/later/<tag>.json those only
// the screens that load on first use show (app.js fetches them with such a screen). Keys sorted, one per
// line, two spaces, a final newline. pwa/tests/catalogues.test.js checks both. Run after adding strings
// or a merge:   node scripts/sort-locales.mjs

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { laterKeys, PWA } from './app-words.mjs';

export const LOCALES = join(PWA, 'locales');
export const LATER = join(LOCALES, 'later');

/** @param {Record<string, string>} messages @returns {string} the catalogue's text */
export function canonicalCatalogue(messages) {
  const sorted = Object.fromEntries(Object.keys(messages).sort().map((key) => [key, messages[key]]));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

const read = (path) => (existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {});

/** The language tags with a catalogue. */
export function catalogueTags() {
  return readdirSync(LOCALES).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -5)).sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const english = { ...read(join(LATER, 'en.json')), ...read(join(LOCALES, 'en.json')) };
  const later = laterKeys(Object.keys(english));
  mkdirSync(LATER, { recursive: true });
  for (const tag of catalogueTags()) {
    const first = read(join(LOCALES, `${tag}.json`));
    const rest = read(join(LATER, `${tag}.json`));
    const all = { ...rest, ...first };
    const place = (key) => (key in english ? later.has(key) : key in rest);
    writeFileSync(join(LOCALES, `${tag}.json`), canonicalCatalogue(Object.fromEntries(Object.entries(all).filter(([key]) => !place(key)))));
    writeFileSync(join(LATER, `${tag}.json`), canonicalCatalogue(Object.fromEntries(Object.entries(all).filter(([key]) => place(key)))));
  }
}
