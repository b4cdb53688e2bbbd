import assert from 'node:assert/strict';
import { test } from 'node:test';

import { RESEND_AFTER_MS, secondsLeft } from '../modules/ui-code-wait.js';

test('another code may be asked for a minute after the mail was sent, counted down in whole seconds', () => {
  assert.equal(RESEND_AFTER_MS, 60_000);
  assert.equal(secondsLeft(1000, 1000), 60);
  assert.equal(secondsLeft(1000, 1001), 60, 'rounded up: never "0 s" while still waiting');
  assert.equal(secondsLeft(1000, 60_000), 1);
  assert.equal(secondsLeft(1000, 61_000), 0);
  assert.equal(secondsLeft(1000, 500_000), 0);
  assert.equal(secondsLeft(undefined, 5000), 60, 'an old pending sign-in without a time waits a minute from now');
});
