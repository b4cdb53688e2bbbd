import assert from 'node:assert/strict';
import { test } from 'node:test';

import { inAppBrowser, isAndroid, isIos, pushAvailability } from '../modules/platform.js';

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

test('in-app browsers, where Add to Home Screen is not offered, are recognised', () => {
  const iosSafari = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
  const iosWebView = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148';
  const chrome = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
  const androidWebView = 'Mozilla/5.0 (Linux; Android 14; Pixel 8; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.0.0 Mobile Safari/537.36';
  assert.equal(inAppBrowser({ userAgent: iosSafari }), null);
  assert.equal(inAppBrowser({ userAgent: chrome }), null);
  assert.equal(inAppBrowser({ userAgent: iosWebView }), 'app');
  assert.equal(inAppBrowser({ userAgent: androidWebView }), 'app');
  assert.equal(inAppBrowser({ userAgent: `${iosWebView} [FBAN/FBIOS;FBAV/400.0]` }), 'Facebook');
  assert.equal(inAppBrowser({ userAgent: `${iosWebView} GSA/300.0.1` }), 'Google');
});

test('the install card after a read: the in-app browser case, iPhone, Android; nothing installed or on a computer', async () => {
  const { nudgeWords } = await import('../modules/ui-install-nudge.js');
  await (await import('./catalogue.js')).useCatalogue('en');
  const iosSafari = { userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1', standalone: false };
  const iosInApp = { userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', standalone: false };
  const android = { userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0.0.0 Mobile Safari/537.36', standalone: false };
  assert.equal(nudgeWords(iosSafari).kind, 'ios');
  assert.match(nudgeWords(iosSafari).text, /Add to Home Screen.*signs in on its own/u);
  assert.equal(nudgeWords(iosInApp).kind, 'in-app');
  assert.match(nudgeWords(iosInApp).text, /Open in Safari/u);
  assert.equal(nudgeWords(android).kind, 'android');
  assert.equal(nudgeWords({ ...iosSafari, standalone: true }), null);
  assert.equal(nudgeWords(iosSafari, { dismissed: true }), null);
  assert.equal(nudgeWords({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36', standalone: false }), null);
});
