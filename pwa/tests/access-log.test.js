// The access log's events in words: every kind the server sends has its sentence, devices are named only
// when the server named one, and a revoke says who revoked.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeEvent } from '../modules/ui-access-log.js';
import { useCatalogue } from './catalogue.js';

await useCatalogue('en');

test('each kind of event has its own sentence, with the address it is about', () => {
  const kinds = ['sent', 'delivered', 'listed', 'opened', 'opened-attachment', 'reply-started', 'replied', 'replied-all',
    'forwarded', 'refused', 'refused-someone-else'];
  const said = kinds.map((kind) => describeEvent({ kind, at: 1, address: 'bob@gmail.com' }).what);
  assert.equal(new Set(said).size, kinds.length, 'no two kinds read alike');
  assert.ok(said.every((text) => text !== ''), 'no kind falls back to nothing');
  assert.equal(describeEvent({ kind: 'opened', at: 1, address: 'bob@gmail.com' }).what, 'Opened by bob@gmail.com');
  assert.ok(!describeEvent({ kind: 'refused-someone-else', at: 1, address: '' }).what.includes('@'));
  assert.equal(describeEvent({ kind: 'rekey', at: 1 }).what, 'Recorded: rekey');
});

test('a revoke says who revoked; an administrator\'s open on someone\'s behalf says so', () => {
  assert.equal(describeEvent({ kind: 'revoked', by: 'sender' }).what, 'Revoked by the sender');
  assert.equal(describeEvent({ kind: 'revoked', by: 'organisation' }).what, 'Revoked by the organisation');
  assert.match(describeEvent({ kind: 'opened', by: 'organisation', address: 'bob@gmail.com' }).what, /administrator/);
});

test('the device: this one, a named one, one since signed out, or none', () => {
  assert.equal(describeEvent({ kind: 'opened', thisDevice: true, device: 'Chrome on Android' }).device, 'on this device');
  assert.equal(describeEvent({ kind: 'opened', device: 'Safari on iPhone' }).device, 'on Safari on iPhone');
  assert.equal(describeEvent({ kind: 'opened', deviceSignedOut: true }).device, 'on a device since signed out');
  assert.equal(describeEvent({ kind: 'opened', address: 'carol@yahoo.com' }).device, '');
});
