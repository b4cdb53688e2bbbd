import assert from 'node:assert/strict';
import { test } from 'node:test';

import { readFileSync } from 'node:fs';

import { LANGUAGE_ENTRY } from '../modules/i18n.js';
import { notificationFromPush, notificationTarget, notificationWords, readPushData } from '../modules/sw-notify.js';
import { FakeCacheStorage } from './fake-caches.js';

const catalogue = (tag) => ({ tag, messages: JSON.parse(readFileSync(new URL(`../locales/${tag}.json`, import.meta.url), 'utf8')) });
const english = catalogue('en');

const ID = '01HZX3K4M5N6P7Q8R9S0T1V2W3';

test("without a catalogue the server's generic words are shown, and a tap opens the message", () => {
  const { title, options } = notificationFromPush({
    mailseal: { id: ID, kind: 'message' },
    notification: { title: 'New protected message', body: 'From your organisation' },
  });
  assert.equal(title, 'New protected message');
  assert.equal(options.body, 'From your organisation');
  assert.equal(options.tag, `mailseal-${ID}`);
  assert.equal(options.badge, '/icons/badge-96.png');
  assert.deepEqual(options.data, { url: `/m/${ID}`, id: ID });
  assert.equal(notificationTarget(options.data), `/m/${ID}`);
});

test('no payload, or a broken one, still shows a generic notification that opens the inbox', () => {
  for (const payload of [null, {}, { mailseal: 'x' }, { mailseal: { id: '../../api' } }, { notification: { title: 42 } }]) {
    const { title, options } = notificationFromPush(payload, english);
    assert.equal(title, 'New protected message');
    assert.equal(notificationFromPush(payload).title, 'Mailseal', 'no words at all: the app\'s name');
    assert.equal(options.data.url, '/');
    assert.equal(notificationTarget(options.data), '/');
  }
});

test('replies get their own words; long text is cut', () => {
  const { title, options } = notificationFromPush({ mailseal: { id: ID, kind: 'reply' }, notification: { body: 'x'.repeat(500) } });
  assert.equal(notificationFromPush({ mailseal: { id: ID, kind: 'reply' } }, english).title, 'New reply');
  assert.equal(title, 'Mailseal', 'the server sent no title');
  assert.equal(options.body.length, 200);
});

test('a tap never goes anywhere but an app path', () => {
  assert.equal(notificationTarget({ url: 'https://evil.example/', id: null }), '/');
  assert.equal(notificationTarget(undefined), '/');
});

test('push data that is not JSON reads as none', () => {
  assert.equal(readPushData({ data: { json: () => { throw new SyntaxError('x'); } } }), null);
  assert.equal(readPushData({ data: null }), null);
  assert.deepEqual(readPushData({ data: { json: () => ({ a: 1 }) } }), { a: 1 });
});

test('the words are those of the language the app last used, from the cache, and the notification says so', async () => {
  const caches = new FakeCacheStorage();
  const shell = await caches.open('mailseal-shell-x');
  for (const tag of ['en', 'de']) await shell.put(`/locales/${tag}.json`, new Response(readFileSync(new URL(`../locales/${tag}.json`, import.meta.url))));
  const offline = async () => { throw new TypeError('offline'); };
  const phone = await notificationWords(caches, ['de-AT'], offline);
  assert.equal(phone.tag, 'de', 'nothing noted: the phone\'s language');
  await (await caches.open('mailseal-settings')).put(LANGUAGE_ENTRY, new Response('en'));
  assert.equal((await notificationWords(caches, ['de-AT'], offline)).tag, 'en', 'the app\'s choice wins');
  const { title, options } = notificationFromPush({ mailseal: { id: ID, kind: 'message' }, notification: { title: 'New protected message' } }, phone);
  assert.equal(title, catalogue('de').messages['push.message.title']);
  assert.notEqual(title, 'New protected message');
  assert.equal(options.lang, 'de');
  assert.equal(await notificationWords(new FakeCacheStorage(), ['fr'], offline), null);
});
