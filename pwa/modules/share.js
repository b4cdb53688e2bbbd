// Files shared to Mailseal (the manifest's share_target): the service worker keeps the file in a cache
// under a random key and redirects to /?shared=<key>; the app takes it from there and uploads it.
// The cache holds the sealed file as it was shared, never anything decrypted. No DOM: the service
// worker, the app and Node tests use it, with `caches` passed in.

import { SHARE_KEY } from './router.js';

export const SHARE_CACHE = 'mailseal-share-v1';
export const SHARE_FIELD = 'file';
export const SHARE_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const STORED_AT = 'x-mailseal-stored-at';
const FILENAME = 'x-mailseal-filename';

/** A new key: 128 random bits as 32 hex digits. */
export function newShareKey(getRandomValues = (a) => crypto.getRandomValues(a)) {
  const bytes = getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function isShareKey(value) {
  return typeof value === 'string' && SHARE_KEY.test(value);
}

/** Where the file waits inside the share cache (a same-origin URL that no server route answers). */
export function shareEntryPath(key) {
  if (!isShareKey(key)) throw new TypeError('not a share key');
  return `/__shared/${key}`;
}

function redirect(location) {
  return new Response(null, { status: 303, headers: { location } });
}

/**
 * The service worker's answer to POST /share-target: keep the first shared file, send the app to it.
 * @param {Request} request
 * @param {{caches: CacheStorage, newKey?: () => string, now?: () => number}} deps
 */
export async function receiveShare(request, { caches, newKey = newShareKey, now = Date.now }) {
  let file = null;
  try {
    const form = await request.formData();
    file = form.getAll(SHARE_FIELD).find((entry) => typeof entry === 'object' && entry !== null && 'size' in entry) ?? null;
  } catch {
    file = null;
  }
  if (!file || file.size === 0) return redirect('/?error=input.no-envelope');
  const key = newKey();
  const cache = await caches.open(SHARE_CACHE);
  const headers = {
    'content-type': file.type || 'application/octet-stream',
    [FILENAME]: encodeURIComponent(file.name || 'message.html'),
    [STORED_AT]: String(now()),
  };
  await cache.put(shareEntryPath(key), new Response(file, { headers }));
  return redirect(`/?shared=${key}`);
}

/** The shared file for a key, as a File, or null when it is gone (already opened, or pruned). */
export async function takeShare(caches, key) {
  if (!isShareKey(key)) return null;
  const cache = await caches.open(SHARE_CACHE);
  const response = await cache.match(shareEntryPath(key));
  if (!response) return null;
  const blob = await response.blob();
  let name = 'message.html';
  try {
    name = decodeURIComponent(response.headers.get(FILENAME) ?? name) || name;
  } catch {
    // a damaged name: keep the default
  }
  return new File([blob], name, { type: response.headers.get('content-type') ?? '' });
}

export async function removeShare(caches, key) {
  if (!isShareKey(key)) return false;
  const cache = await caches.open(SHARE_CACHE);
  return cache.delete(shareEntryPath(key));
}

/** Delete shared files nobody opened within `maxAge` (run when the service worker activates). */
export async function pruneShares(caches, now = Date.now(), maxAge = SHARE_MAX_AGE_MS) {
  const cache = await caches.open(SHARE_CACHE);
  let removed = 0;
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    const storedAt = Number(response?.headers.get(STORED_AT));
    if (!Number.isFinite(storedAt) || now - storedAt > maxAge) {
      await cache.delete(request);
      removed += 1;
    }
  }
  return removed;
}
