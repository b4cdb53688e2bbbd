import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeRights } from '../modules/rights.js';

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
  assert.equal(rights.summary, 'You can read, reply and reply to all. Forwarding, printing, copying and saving attachments are turned off by the sender.');
});

test('missing or odd rights are treated as view only', () => {
  assert.equal(describeRights(undefined).canSave, false);
  assert.match(describeRights(['teleport']).summary, /^You can read\. Replying, .* are turned off/);
  assert.equal(describeRights(['view', 'reply', 'reply-all', 'forward', 'print', 'copy']).summary,
    'You can read, reply, reply to all, forward, print and copy text. Saving attachments is turned off by the sender.');
});
