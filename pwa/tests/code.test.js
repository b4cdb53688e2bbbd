import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CODE_PATTERN, codeFromPaste, codeLength, codePattern, isCompleteCode, sanitizeCode } from '../modules/code.js';

test('typing keeps digits only, at most eight', () => {
  assert.equal(sanitizeCode('12a34'), '1234');
  assert.equal(sanitizeCode('1234 5678'), '12345678');
  assert.equal(sanitizeCode('123456789'), '12345678');
  assert.equal(sanitizeCode('１２３'), '', 'full-width digits are not ASCII digits');
  assert.equal(sanitizeCode(undefined), '');
});

test('pasting finds the code in what a mail or SMS gives', () => {
  assert.equal(codeFromPaste('1234 5678'), '12345678');
  assert.equal(codeFromPaste('1234-5678'), '12345678');
  assert.equal(codeFromPaste(' 12345678\n'), '12345678');
  assert.equal(codeFromPaste('Your Mailseal code: 8765 4321 (reference K7QF)'), '87654321');
  assert.equal(codeFromPaste('Reference 7 and code 11223344'), '11223344', 'not the stray digit before it');
  assert.equal(codeFromPaste('1234'), '1234');
  assert.equal(codeFromPaste('123456789'), '12345678', 'nine digits: no exact group, keep the first eight');
});

test('complete means exactly eight ASCII digits', () => {
  assert.ok(isCompleteCode('12345678'));
  assert.ok(!isCompleteCode('1234567'));
  assert.ok(!isCompleteCode('123456789'));
  assert.ok(!isCompleteCode('1234 678'));
  assert.equal(CODE_PATTERN, '[0-9]{8}');
});

test('a long code (16 digits, announced by the server) is typed, pasted and completed at its length', () => {
  assert.equal(codeLength(16), 16);
  assert.equal(codeLength(8), 8);
  assert.equal(codeLength(12), 8, 'a length that is not ours falls back to 8');
  assert.equal(codeLength(undefined), 8);
  assert.equal(codePattern(16), '[0-9]{16}');
  assert.equal(sanitizeCode('1234 5678 9012 3456 7', 16), '1234567890123456');
  assert.equal(codeFromPaste('1234 5678 9012 3456', 16), '1234567890123456');
  assert.equal(codeFromPaste('1234-5678-9012-3456', 16), '1234567890123456');
  assert.equal(codeFromPaste('Your Mailseal code:\n\n    0481 5162 2342 0815\n\nThis code belongs to sign-in K7QF.', 16),
    '0481516223420815');
  assert.equal(codeFromPaste('1234567890123456', 16), '1234567890123456');
  assert.equal(codeFromPaste('12345678', 16), '12345678', 'too short: kept as typed, not complete');
  assert.equal(codeFromPaste('1234 5678 9012 3456', 8), '12345678', 'not the last eight of a long code');
  assert.ok(isCompleteCode('1234567890123456', 16));
  assert.ok(!isCompleteCode('12345678', 16), 'eight digits do not complete a long code');
  assert.ok(!isCompleteCode('1234567890123456', 8));
});
