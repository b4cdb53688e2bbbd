// Mailseal's service worker. It only wires events; what it caches and how lives in /modules/sw-*.js.
// It never stores an API answer or anything decrypted in a cache: /api/ goes to the network, and /m/<id>
// is answered with the cached app shell, which then asks the API. Offline reading (opt-in per device):
// when the network fails, a message's answers come from the encrypted offline store (offline-serve.js).

import { createApi, CSRF_COOKIE } from './modules/api.js';
import { renewSubscription } from './modules/push.js';
import { pruneShares, receiveShare } from './modules/share.js';
import { cacheFirst, deleteStaleCaches, precache, serveShell } from './modules/sw-cache.js';
import { afterNetwork, answerFromStore, keptUrl } from './modules/offline-serve.js';
import { notificationFromPush, notificationTarget, readPushData } from './modules/sw-notify.js';
import { classify, SHELL_ASSETS, shellCacheName } from './modules/sw-shell.js';

// A hash of the shell's files; pwa/tests/shell.test.js fails until it is updated after any change.
const VERSION = '361975628c3b';
const SHELL_CACHE = shellCacheName(VERSION);

self.addEventListener('install', (event) => {
  event.waitUntil(precache(caches, SHELL_CACHE, SHELL_ASSETS).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    Promise.all([deleteStaleCaches(caches, SHELL_CACHE), pruneShares(caches).catch(() => 0)]).then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const kind = classify(event.request, self.location.origin);
  if (kind === 'share') event.respondWith(receiveShare(event.request, { caches }));
  else if (kind === 'shell') event.respondWith(serveShell(caches, SHELL_CACHE, event.request));
  else if (kind === 'asset') event.respondWith(cacheFirst(caches, SHELL_CACHE, event.request));
  else if (event.request.method === 'GET' && isKept(event.request.url)) event.respondWith(networkOrKept(event.request));
});

function isKept(href) {
  const url = new URL(href);
  return url.origin === self.location.origin && keptUrl(url) !== null;
}

/** The network's answer; without a network, what this device keeps (else the same failure). */
async function networkOrKept(request) {
  let response;
  try {
    response = await fetch(request);
  } catch (failure) {
    const kept = await answerFromStore(request).catch(() => null);
    if (kept) return kept;
    throw failure;
  }
  if ([401, 404, 410].includes(response.status)) await afterNetwork(request, response).catch(() => null);
  return response;
}

self.addEventListener('push', (event) => {
  const { title, options } = notificationFromPush(readPushData(event));
  event.waitUntil(
    Promise.all([
      self.registration.showNotification(title, options),
      self.navigator.setAppBadge?.().catch(() => null),
      self.clients.matchAll({ type: 'window' }).then((windows) => windows.forEach((w) => w.postMessage({ type: 'push' }))),
    ]),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = notificationTarget(event.notification.data);
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(async (windows) => {
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (!open) return self.clients.openWindow(url);
      await open.focus();
      open.postMessage({ type: 'open', url });
      return open;
    }),
  );
});

self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil(
    (async () => {
      // The CSRF cookie is readable here only through the Cookie Store API; without it the app sends the
      // renewed subscription the next time it opens (push.js syncPush).
      const token = (await self.cookieStore?.get(CSRF_COOKIE))?.value;
      if (!token) return;
      const api = createApi({ cookies: () => `${CSRF_COOKIE}=${encodeURIComponent(token)}` });
      await renewSubscription({
        pushManager: self.registration.pushManager,
        oldSubscription: event.oldSubscription,
        newSubscription: event.newSubscription,
        api,
      });
    })().catch(() => null),
  );
});
