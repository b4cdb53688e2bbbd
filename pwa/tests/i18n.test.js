import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  chooseLanguage, direction, language, locale, localeFor, matchLanguage, onLanguageChange, setLanguage, startI18n, t,
} from '../modules/i18n.js';
import { compileMessage, formatMessage } from '../modules/message-format.js';

const say = (source, params, where = 'en') => formatMessage(compileMessage(source), params, where);

test('placeholders take their values; numbers are formatted for the locale', () => {
  assert.equal(say('Sent to {name} and {other}', { name: 'Ana', other: 'Bo' }), 'Sent to Ana and Bo');
  assert.equal(say('{n} bytes', { n: 1234567 }), '1,234,567 bytes');
  assert.equal(say('{n} Bytes', { n: 1234567 }, 'de'), '1.234.567 Bytes');
  assert.equal(say('id {id}', { id: '2026' }), 'id 2026', 'strings stay as they are');
  assert.equal(say("l'adresse {a}", { a: 'x' }, 'fr'), "l'adresse x", 'apostrophes are text');
});

test('plurals follow each language\'s CLDR categories; # is the formatted number; =N matches first', () => {
  const files = '{count, plural, =0 {no files} one {# file} other {# files}}';
  assert.deepEqual([0, 1, 2, 1000].map((count) => say(files, { count })), ['no files', '1 file', '2 files', '1,000 files']);
  const pl = '{count, plural, one {# plik} few {# pliki} many {# plików} other {# pliku}}';
  assert.deepEqual([1, 2, 5, 22, 25, 1.5].map((count) => say(pl, { count }, 'pl')), ['1 plik', '2 pliki', '5 plików', '22 pliki', '25 plików', '1,5 pliku']);
  const ar = '{n, plural, zero {لا ملفات} one {ملف واحد} two {ملفان} few {# ملفات} many {# ملفًا} other {# ملف}}';
  assert.deepEqual([0, 1, 2, 3, 11, 100].map((n) => say(ar, { n }, 'ar')),
    ['لا ملفات', 'ملف واحد', 'ملفان', `${(3).toLocaleString('ar')} ملفات`, `${(11).toLocaleString('ar')} ملفًا`, `${(100).toLocaleString('ar')} ملف`]);
  assert.equal(say('{n, plural, other {# 件}}', { n: 3 }, 'ja'), '3 件');
});

test('select picks by value, other when nothing matches; nesting works', () => {
  const kind = '{kind, select, reply {Reply from {name}} other {{count, plural, one {# message} other {# messages}}}}';
  assert.equal(say(kind, { kind: 'reply', name: 'Ana' }), 'Reply from Ana');
  assert.equal(say(kind, { kind: 'x', count: 2 }), '2 messages');
});

test('what the subset cannot read is refused', () => {
  for (const bad of ['{', 'a } b', '{name', '{n, plural, one {x}}', '{n, number}', '{n, plural, one {x} other {y}', '{ }', '{n, select, a x}']) {
    assert.throws(() => compileMessage(bad), SyntaxError, bad);
  }
});

test('the language: chosen on the device, else the phone\'s first one spoken here, else English', () => {
  assert.equal(chooseLanguage(null, ['sv-SE', 'de-AT', 'fr']), 'de');
  assert.equal(chooseLanguage('fr', ['de']), 'fr');
  assert.equal(chooseLanguage('xx-not', ['sv']), 'en');
  assert.equal(chooseLanguage(null, undefined), 'en');
  assert.equal(matchLanguage('pt-PT'), 'pt-BR');
  assert.equal(matchLanguage('pt-br'), 'pt-BR');
  assert.equal(matchLanguage('zh-CN'), 'zh-Hans');
  assert.equal(matchLanguage('not a tag!'), null);
  assert.equal(direction('ar'), 'rtl');
  assert.equal(direction('ar-EG'), 'rtl');
  assert.equal(direction('de'), 'ltr');
});

test('the locale for Intl keeps the person\'s region within the chosen language', () => {
  assert.equal(localeFor('en', ['de-DE', 'en-GB']), 'en-GB');
  assert.equal(localeFor('de', ['de-AT']), 'de-AT');
  assert.equal(localeFor('de', ['fr']), 'de');
  assert.equal(localeFor('pt-BR', ['pt']), 'pt-BR');
  assert.equal(localeFor('en', ['not a tag!', 'en-AU']), 'en-AU');
  assert.equal(localeFor('en', ['en-us']), 'en-US');
  assert.equal(localeFor('en', undefined), 'en');
});

/** A fetch over a few catalogues in memory, recording what is asked for. */
function catalogues(files) {
  const asked = [];
  const fetch = async (path) => {
    asked.push(path);
    const name = path.replace('/locales/', '').replace('.json', '');
    return files[name] ? new Response(JSON.stringify(files[name])) : new Response('', { status: 404 });
  };
  return { asked, fetch };
}

test('only the chosen catalogue is loaded; a key it lacks comes in English, never as the key', async () => {
  const { asked, fetch } = catalogues({ en: { 'a.hello': 'Hello {name}', 'a.new': 'New' }, de: { 'a.hello': 'Hallo {name}' } });
  assert.equal(await startI18n({ preferred: ['de-CH'], chosen: null, fetch }), 'de');
  assert.deepEqual(asked, ['/locales/de.json']);
  assert.equal(language(), 'de');
  assert.equal(locale(), 'de-CH');
  assert.equal(t('a.hello', { name: 'Ana' }), 'Hallo Ana');
  const arrived = new Promise((resolve) => { const stop = onLanguageChange(() => { stop(); resolve(); }); });
  assert.equal(t('a.new'), '', 'not yet: never the key');
  await arrived;
  assert.deepEqual(asked, ['/locales/de.json', '/locales/en.json']);
  assert.equal(t('a.new'), 'New');
  assert.equal(t('a.unknown'), '');
});

test('a catalogue that cannot be had falls back to English; a change of language is remembered', async () => {
  const { fetch } = catalogues({ en: { 'a.hello': 'Hello' }, fr: { 'a.hello': 'Bonjour' } });
  assert.equal(await startI18n({ preferred: ['de'], chosen: null, fetch }), 'en');
  assert.equal(t('a.hello'), 'Hello');
  let told = null;
  const stop = onLanguageChange((tag) => { told = tag; });
  await setLanguage('fr');
  stop();
  assert.equal(told, 'fr');
  assert.equal(t('a.hello'), 'Bonjour');
});
