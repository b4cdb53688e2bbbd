// The catalogues in pwa/locales/ (first paint) and pwa/locales/later/ (screens that load on first use):
// their form, that every language has exactly English's keys with the same placeholders and its own
// plural categories, that every key is used, and that the app's modules hold no words of their own.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { appSources, keyUses, laterKeys, NOT_WORDS, stringLiterals, visibleText } from '../../scripts/app-words.mjs';
import { canonicalCatalogue, catalogueTags, LATER, LOCALES } from '../../scripts/sort-locales.mjs';
import { LANGUAGES } from '../modules/i18n.js';
import { compileMessage } from '../modules/message-format.js';
import { KNOWN_CODES } from '../modules/problems.js';
import { SHELL_ASSETS } from '../modules/sw-shell.js';

const KEY = /^[a-z0-9]+(?:[.-][a-z0-9]+)*$/;
const FIX = "run 'node scripts/sort-locales.mjs'";
const tags = catalogueTags();
const files = (tag) => [join(LOCALES, `${tag}.json`), join(LATER, `${tag}.json`)];
const read = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : '{}\n');
const first = (tag) => JSON.parse(read(files(tag)[0]));
const later = (tag) => JSON.parse(read(files(tag)[1]));
const all = (tag) => ({ ...later(tag), ...first(tag) });
const english = all('en');

/** The placeholders of a message, and each plural's categories: what a translation must keep. */
function shape(parts, found = { names: new Set(), plurals: [] }) {
  for (const part of parts) {
    if (typeof part === 'string' || part.pound) continue;
    found.names.add(part.name);
    if (part.kind === 'plural') found.plurals.push(Object.keys(part.options));
    for (const option of Object.values(part.options ?? {})) shape(option, found);
  }
  return found;
}

test('every catalogue is sorted by key, one key per line, each key in its file', () => {
  for (const tag of tags) {
    for (const path of files(tag)) assert.equal(read(path), canonicalCatalogue(JSON.parse(read(path))), `${path}: ${FIX}`);
  }
  const wanted = laterKeys(Object.keys(english));
  const misplaced = Object.keys(first('en')).filter((key) => wanted.has(key));
  const missing = Object.keys(later('en')).filter((key) => !wanted.has(key));
  assert.deepEqual(misplaced, [], `only screens that load on first use show these: ${FIX} (it moves them to later/)`);
  assert.deepEqual(missing, [], `the first paint shows these: ${FIX} (it moves them out of later/)`);
});

test('keys are lowercase words joined by dots and dashes; every message is in the subset i18n.js reads', () => {
  for (const tag of tags) {
    for (const [key, message] of Object.entries(all(tag))) {
      assert.match(key, KEY, `${tag}: key ${key}`);
      assert.equal(typeof message, 'string', `${tag}: ${key}`);
      assert.ok(message.trim() !== '', `${tag}: ${key} is empty`);
      assert.doesNotThrow(() => compileMessage(message), `${tag}: ${key}`);
      assert.ok(!/<[a-z/]/i.test(message), `${tag}: ${key} has markup`);
    }
  }
});

test('the app offers exactly the languages it has catalogues for, and the worker keeps them all', () => {
  assert.deepEqual([...tags].sort(), [...LANGUAGES].sort());
  for (const tag of tags) {
    for (const path of [`/locales/${tag}.json`, `/locales/later/${tag}.json`]) {
      assert.ok(SHELL_ASSETS.includes(path), `add ${path} to SHELL_ASSETS (sw-shell.js)`);
    }
  }
});

test('every language has exactly the English keys, in the same files (the message lists what each lacks)', () => {
  const problems = [];
  for (const tag of tags.filter((t) => t !== 'en')) {
    for (const [which, own, source] of [['', first(tag), first('en')], ['later/', later(tag), later('en')]]) {
      const missing = Object.keys(source).filter((key) => !(key in own));
      const extra = Object.keys(own).filter((key) => !(key in source));
      if (missing.length) problems.push(`locales/${which}${tag}.json lacks ${missing.length}: ${missing.join(', ')}`);
      if (extra.length) problems.push(`locales/${which}${tag}.json has keys English does not: ${extra.join(', ')}`);
    }
  }
  assert.deepEqual(problems, [], `\n${problems.join('\n')}\n(translate them from pwa/locales/en.json and later/en.json; ${FIX})`);
});

test('every translation keeps the English placeholders, and its plurals have its language\'s categories', () => {
  const problems = [];
  for (const tag of tags) {
    const categories = new Intl.PluralRules(tag).resolvedOptions().pluralCategories;
    for (const [key, message] of Object.entries(all(tag))) {
      if (!(key in english)) continue;
      const own = shape(compileMessage(message));
      const theirs = shape(compileMessage(english[key]));
      if ([...own.names].sort().join() !== [...theirs.names].sort().join()) {
        problems.push(`${tag} ${key}: placeholders {${[...own.names].join('} {')}} but English has {${[...theirs.names].join('} {')}}`);
      }
      for (const options of own.plurals) {
        const words = options.filter((option) => !option.startsWith('='));
        const lacking = categories.filter((category) => !words.includes(category));
        const foreign = words.filter((option) => !categories.includes(option));
        if (lacking.length) problems.push(`${tag} ${key}: plural lacks ${lacking.join(', ')}`);
        if (foreign.length) problems.push(`${tag} ${key}: ${tag} has no plural category ${foreign.join(', ')}`);
      }
    }
  }
  assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
});

test('every key is used somewhere in pwa/, and every key the code names exists', () => {
  const uses = keyUses(Object.keys(english));
  const unused = [...uses].filter(([, where]) => where.size === 0).map(([key]) => key);
  assert.deepEqual(unused, [], 'no module, app.js or index.html names these keys: remove them from every catalogue');
  const named = new Set();
  for (const [, source] of appSources()) {
    for (const { text, before } of stringLiterals(source)) if (/\bt(?:Nodes)?\($/.test(before) && !text.includes('{}')) named.add(text);
  }
  const html = readFileSync(join(LOCALES, '..', 'index.html'), 'utf8');
  for (const [, value] of html.matchAll(/data-i18n(?:-attrs)?="([^"]+)"/g)) for (const pair of value.split(' ')) named.add(pair.split(':').at(-1));
  assert.deepEqual([...named].filter((key) => !(key in english)), [], 'add these to pwa/locales/en.json');
});

test('every problem code the app knows has its words, and no words are left for a code it forgot', () => {
  const codes = Object.keys(KNOWN_CODES);
  for (const code of codes) {
    assert.ok(`error.${code}.title` in english && `error.${code}.text` in english, `error.${code}.title and .text`);
  }
  const worded = Object.keys(english).map((key) => /^error\.(.+)\.(?:title|text)$/.exec(key)?.[1]).filter(Boolean);
  assert.deepEqual(worded.filter((code) => code !== 'generic' && !codes.includes(code)), []);
});

test('no module holds words of its own: every text a person sees comes from the catalogue', () => {
  const found = appSources().flatMap(([name, source]) => visibleText(source).map((hit) => `${name}:${hit.line}: ${JSON.stringify(hit.text)}`));
  assert.deepEqual(found, [], 'put these in pwa/locales/en.json and use t() (see the head of modules/i18n.js)');
  assert.ok(NOT_WORDS.size < 20, 'the list of literals that are not words stays short');
});

test('the scanner finds words where they are, and not in class names or keys', () => {
  const hits = (code) => visibleText(code).map((hit) => hit.text);
  assert.deepEqual(hits("h('p', { class: 'help draft-status' }, 'Draft saved on this device.')"), ['Draft saved on this device.']);
  assert.deepEqual(hits("h('h2', {}, 'Devices')"), ['Devices']);
  assert.deepEqual(hits("x.setAttribute('aria-label', `Remove ${name}`)"), ['Remove {}']);
  assert.deepEqual(hits("h('strong', {}, 'reply to all')"), ['reply to all']);
  assert.deepEqual(hits("h('p', { class: 'button secondary wide' }, t('inbox.empty'))"), []);
  assert.deepEqual(hits("throw new Error('a message for developers')"), []);
  assert.deepEqual(hits("const re = /It's a regex, not words/; h('a', { rel: 'noopener noreferrer' })"), []);
});
