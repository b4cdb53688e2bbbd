// Service-worker cache strategies: precache the shell, drop stale shells, answer from the cache.
// `caches` and `fetch` are passed in, so Node tests run them against a small in-memory CacheStorage.

import { SHELL_CACHE_PREFIX, SHELL_DOCUMENT } from './sw-shell.js';

/** Fetch every shell file past the HTTP cache and store them all, or fail the install. */
export async function precache(caches, cacheName, assets, { fetch: fetchImpl = fetch, base = globalThis.location?.href } = {}) {
  const cache = await caches.open(cacheName);
  const responses = await Promise.all(
    assets.map(async (path) => {
      const response = await fetchImpl(new Request(new URL(path, base), { cache: 'reload' }));
      if (!response.ok) throw new Error(`precache: ${path} answered ${response.status}`);
      return [path, response];
    }),
  );
  await Promise.all(responses.map(([path, response]) => cache.put(path, response)));
}

/** Delete the shell caches of older versions; other caches (the share cache) are left alone. */
export async function deleteStaleCaches(caches, currentName) {
  const names = await caches.keys();
  const stale = names.filter((name) => name.startsWith(SHELL_CACHE_PREFIX) && name !== currentName);
  await Promise.all(stale.map((name) => caches.delete(name)));
  return stale;
}

/** App routes (/, /m/<id>, /settings…) get the cached index.html; the network only if it is missing. */
export async function serveShell(caches, cacheName, request, fetchImpl = fetch) {
  const cache = await caches.open(cacheName);
  return (await cache.match(SHELL_DOCUMENT)) ?? fetchImpl(request);
}

/** A precached file from the cache, else the network (without storing what comes back). */
export async function cacheFirst(caches, cacheName, request, fetchImpl = fetch) {
  const cache = await caches.open(cacheName);
  return (await cache.match(request, { ignoreSearch: true })) ?? fetchImpl(request);
}
