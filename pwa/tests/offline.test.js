// Offline reading's pure parts: which URLs a device keeps, when a kept copy may no longer open, and the
// record's packing. The store itself (IndexedDB, WebCrypto) is tested in Chromium (tests/browser/test_pwa_offline.py).

import assert from 'node:assert/strict';
import test from 'node:test';

import { keptUrl, refusal } from '../modules/offline-serve.js';
import { packAnswer, unpackAnswer } from '../modules/offline-store.js';

const at = (path) => keptUrl(new URL(path, 'https://mail.example.org'));

test('the inbox, a view, its bodies, attachments and reply recipients are kept; threads, queries and other paths are not', () => {
  assert.deepEqual(at('/api/messages'), { key: '/api/messages', messageId: null, kind: 'inbox' });
  assert.deepEqual(at('/api/messages?limit=50'), { key: '/api/messages', messageId: null, kind: 'inbox' }, 'the first page');
  assert.deepEqual(at('/api/messages/abc2def'), { key: '/api/messages/abc2def', messageId: 'abc2def', kind: 'view' });
  assert.deepEqual(at('/api/messages/abc2def/body'), { key: '/api/messages/abc2def/body', messageId: 'abc2def', kind: 'part' });
  assert.deepEqual(at('/api/messages/abc2def/body?nested=1'), { key: '/api/messages/abc2def/body?nested=1', messageId: 'abc2def', kind: 'part' });
  assert.deepEqual(at('/api/messages/abc2def/attachments/3'), { key: '/api/messages/abc2def/attachments/3', messageId: 'abc2def', kind: 'part' });
  assert.deepEqual(at('/api/messages/abc/reply-recipients?all=1'), { key: '/api/messages/abc/reply-recipients?all=1', messageId: 'abc', kind: 'part' });
  assert.equal(at('/api/messages/abc/reply-recipients').key, '/api/messages/abc/reply-recipients');
  for (const other of ['/api/messages?cursor=x', '/api/messages/abc/thread', '/api/messages/abc/reply-recipients?forward=1',
    '/api/messages/abc/body?nested=1&x=2', '/api/messages/abc?x=1', '/api/me', '/api/messages/a%2Fb', '/m/abc']) {
    assert.equal(at(other), null, other);
  }
});

test('a kept copy opens until it expires by the device clock, and while confirmed within confirmDays', () => {
  const day = 86400 * 1000;
  const now = Date.UTC(2026, 11, 5);
  const kept = { confirmedAt: now - 6 * day, confirmDays: 7, expiresAt: null };
  assert.equal(refusal(kept, now), null);
  assert.equal(refusal({ ...kept, confirmedAt: now - 7 * day - 1 }, now), 'unconfirmed');
  assert.equal(refusal({ ...kept, confirmDays: undefined }, now), 'unconfirmed', 'no word from the server: not opened');
  assert.equal(refusal({ ...kept, expiresAt: now / 1000 }, now), 'expired');
  assert.equal(refusal({ ...kept, expiresAt: now / 1000 + 1 }, now), null);
});

test('an answer packs and unpacks byte for byte; an unknown version is refused', () => {
  const body = new Uint8Array([0, 1, 2, 255]);
  const packed = packAnswer({ status: 200, headers: { 'content-type': 'application/pdf' }, body });
  assert.deepEqual(unpackAnswer(packed), { status: 200, headers: { 'content-type': 'application/pdf' }, body });
  const head = new TextEncoder().encode(JSON.stringify({ v: 2, status: 200, headers: {} }));
  const later = new Uint8Array(4 + head.length);
  new DataView(later.buffer).setUint32(0, head.length);
  later.set(head, 4);
  assert.throws(() => unpackAnswer(later), /version/);
});
