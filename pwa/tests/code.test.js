import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CODE_PATTERN, codeFromPaste, isCompleteCode, sanitizeCode } from '../modules/code.js';

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
