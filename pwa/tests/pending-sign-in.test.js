import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clearPending, loadPending, savePending } from '../modules/pending-sign-in.js';

function memoryStorage() {
  const map = new Map();
  return { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => map.set(k, String(v)), removeItem: (k) => map.delete(k), map };
}

test('a sign-in in progress survives the app being closed, until the code runs out', () => {
  const storage = memoryStorage();
  const saved = savePending(storage, { email: 'a@example.org', reference: 'K7QF', expiresInMinutes: 10, mode: 'sign-in' }, 1000);
  assert.equal(saved.expiresAt, 1000 + 600_000);
  assert.deepEqual(loadPending(storage, 2000),
    { email: 'a@example.org', reference: 'K7QF', expiresAt: 601_000, codeLength: 8, mode: 'sign-in', sentAt: 1000, mailFrom: undefined });
  assert.equal(loadPending(storage, 601_000), null);
  assert.equal(storage.map.size, 0, 'an expired one is removed');
});

test('no code is stored, and junk in storage is ignored', () => {
  const storage = memoryStorage();
  savePending(storage, { email: 'a@example.org', reference: 'K7QF', mode: 'add' }, 0);
  assert.deepEqual(Object.keys(JSON.parse([...storage.map.values()][0])).sort(), ['codeLength', 'email', 'expiresAt', 'mode', 'reference', 'sentAt']);
  assert.equal(loadPending(storage, 1).mode, 'add');
  clearPending(storage);
  assert.equal(loadPending(storage, 1), null);
  storage.setItem('mailseal.pending-sign-in', '{not json');
  assert.equal(loadPending(storage, 1), null);
  assert.equal(loadPending(null, 1), null);
});

test('the announced code length is kept: 16 digits for a guarded address, else 8', () => {
  const storage = memoryStorage();
  savePending(storage, { email: 'a@example.org', reference: 'K7QF', expiresInMinutes: 10, codeLength: 16, mode: 'sign-in' }, 0);
  assert.equal(loadPending(storage, 1).codeLength, 16);
  savePending(storage, { email: 'a@example.org', reference: 'K7QF', expiresInMinutes: 10, codeLength: 99, mode: 'sign-in' }, 0);
  assert.equal(loadPending(storage, 1).codeLength, 8, 'a length that is not ours');
});

test('the code screen knows when and from which address the mail was sent', () => {
  const storage = memoryStorage();
  savePending(storage, { email: 'a@example.org', reference: 'K7QF', mailFrom: 'no-reply@example.org', mode: 'sign-in' }, 5000);
  const pending = loadPending(storage, 6000);
  assert.equal(pending.sentAt, 5000);
  assert.equal(pending.mailFrom, 'no-reply@example.org');
});
