// The catalogues in pwa/locales/: their form (sorted keys, one per line, the MessageFormat subset).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { LANGUAGES } from '../modules/i18n.js';
import { compileMessage } from '../modules/message-format.js';
import { SHELL_ASSETS } from '../modules/sw-shell.js';
import { canonicalCatalogue } from '../../scripts/sort-locales.mjs';

const LOCALES = join(dirname(fileURLToPath(import.meta.url)), '..', 'locales');
const KEY = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;
const files = readdirSync(LOCALES).filter((name) => name.endsWith('.json')).sort();
const read = (name) => readFileSync(join(LOCALES, name), 'utf8');

test('every catalogue is sorted by key, one key per line (node scripts/sort-locales.mjs fixes it)', () => {
  for (const name of files) {
    const text = read(name);
    assert.equal(text, canonicalCatalogue(JSON.parse(text)), `${name}: run 'node scripts/sort-locales.mjs'`);
  }
});

test('keys are lowercase words joined by dots and dashes; every message is in the subset i18n.js reads', () => {
  for (const name of files) {
    for (const [key, message] of Object.entries(JSON.parse(read(name)))) {
      assert.match(key, KEY, `${name}: key ${key}`);
      assert.equal(typeof message, 'string', `${name}: ${key}`);
      assert.ok(message.trim() !== '', `${name}: ${key} is empty`);
      assert.doesNotThrow(() => compileMessage(message), `${name}: ${key}`);
      assert.ok(!/<[a-z/]/i.test(message), `${name}: ${key} has markup`);
    }
  }
});

test('each catalogue is a language the app offers, and the service worker keeps it for offline starts', () => {
  assert.ok(files.includes('en.json'));
  for (const name of files) {
    assert.ok(LANGUAGES.includes(name.replace(/\.json$/, '')), `${name} is not in LANGUAGES (i18n.js)`);
    assert.ok(SHELL_ASSETS.includes(`/locales/${name}`), `add /locales/${name} to SHELL_ASSETS (sw-shell.js)`);
  }
});
