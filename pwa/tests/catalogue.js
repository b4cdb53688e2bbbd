// For tests of modules that show words: load a catalogue from pwa/locales/ as the app would.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { laterWords, startI18n } from '../modules/i18n.js';

const LOCALES = join(dirname(fileURLToPath(import.meta.url)), '..', 'locales');

/** Start i18n.js in `language` (with `preferred` as the phone's languages), both catalogues read from disk. */
export function useCatalogue(language, preferred = [language]) {
  const fetch = async (path) => {
    try {
      return new Response(readFileSync(join(LOCALES, path.replace('/locales/', ''))));
    } catch {
      return new Response('', { status: 404 });
    }
  };
  return startI18n({ preferred, chosen: language, fetch }).then(async (tag) => {
    await laterWords();
    return tag;
  });
}
