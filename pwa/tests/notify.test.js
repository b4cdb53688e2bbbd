import assert from 'node:assert/strict';
import { test } from 'node:test';

import { notificationFromPush, notificationTarget, readPushData } from '../modules/sw-notify.js';

const ID = '01HZX3K4M5N6P7Q8R9S0T1V2W3';

test("the server's generic words are shown, and a tap opens the message", () => {
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
    const { title, options } = notificationFromPush(payload);
    assert.equal(title, 'New protected message');
    assert.equal(options.data.url, '/');
    assert.equal(notificationTarget(options.data), '/');
  }
});

test('replies get their own words; long text is cut', () => {
  const { title, options } = notificationFromPush({ mailseal: { id: ID, kind: 'reply' }, notification: { body: 'x'.repeat(500) } });
  assert.equal(title, 'New reply');
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
