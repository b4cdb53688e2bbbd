import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeRights } from '../modules/rights.js';
import { useCatalogue } from './catalogue.js';

await useCatalogue('en');

test('Encrypt-Only: every right, nothing restricted', () => {
  const rights = describeRights(['view', 'reply', 'reply-all', 'forward', 'print', 'copy', 'extract']);
  assert.equal(rights.restricted, false);
  assert.ok(rights.canPrint && rights.canCopy && rights.canSave);
  assert.deepEqual(rights.withheld, []);
});

test('Do-Not-Forward: read and reply only, and the summary says what is withheld', () => {
  const rights = describeRights(['view', 'reply', 'reply-all']);
  assert.equal(rights.restricted, true);
  assert.equal(rights.canPrint, false);
  assert.equal(rights.canCopy, false);
  assert.equal(rights.canSave, false);
  assert.equal(rights.summary, 'You can read, reply, and reply to all. Turned off by the sender: forwarding, printing, copying, and saving attachments.');
});

test('missing or odd rights are treated as view only', () => {
  assert.equal(describeRights(undefined).canSave, false);
  assert.match(describeRights(['teleport']).summary, /^You can read\. Turned off by the sender: replying, /);
  assert.equal(describeRights(['view', 'reply', 'reply-all', 'forward', 'print', 'copy']).summary,
    'You can read, reply, reply to all, forward, print, and copy text. Turned off by the sender: saving attachments.');
});
