import assert from 'node:assert/strict';
import { test } from 'node:test';

import { isAndroid, isIos, pushAvailability } from '../modules/platform.js';

const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const IPAD_AS_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';
const ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36';

test('iPhone, and iPad that says it is a Mac but has touch', () => {
  assert.ok(isIos({ userAgent: IPHONE }));
  assert.ok(isIos({ userAgent: IPAD_AS_MAC, maxTouchPoints: 5 }));
  assert.ok(!isIos({ userAgent: IPAD_AS_MAC, maxTouchPoints: 0 }), 'a real Mac');
  assert.ok(isAndroid({ userAgent: ANDROID }));
});

test('notifications: iOS in Safari must install first; blocked and unsupported are told apart', () => {
  const base = { userAgent: ANDROID, maxTouchPoints: 5, standalone: false, hasPush: true, permission: 'default' };
  assert.equal(pushAvailability(base), 'ok');
  assert.equal(pushAvailability({ ...base, permission: 'denied' }), 'blocked');
  assert.equal(pushAvailability({ ...base, hasPush: false }), 'unsupported');
  assert.equal(pushAvailability({ ...base, userAgent: IPHONE, hasPush: false }), 'install-first');
  assert.equal(pushAvailability({ ...base, userAgent: IPHONE, standalone: true }), 'ok');
});
