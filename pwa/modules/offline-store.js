// The offline store: answers of the API that this device keeps to read offline, in IndexedDB, each
// encrypted with AES-256-GCM under a key made here as non-extractable (WebCrypto): the key cannot be read
// out of the browser, not even by the app, and the server never sees it. Used by the page (to keep and
// confirm) and by the service worker (to answer when offline). Loaded only when offline reading is on.
//
// A record is one API answer by its URL path: `/api/messages` (the inbox), `/api/messages/<id>` (a view),
// `…/body`, `…/body?nested=n`, `…/attachments/<n>`. In the clear beside the ciphertext: the URL (so the
// message id), its size and times. Status, headers and body are inside the ciphertext; the URL is bound
// to it as associated data, so a record cannot be moved to another URL.

export const OFFLINE_DB = 'mailseal-offline';
const DB_VERSION = 1;
const RECORDS = 'records';
const KEYS = 'keys';
const DEVICE_KEY = 'device';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function finished(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new DOMException('aborted', 'AbortError'));
  });
}

/**
 * Open the store. With `create: false` (the service worker's reads) a store that does not exist is not
 * made: the answer is null, and nothing is left behind.
 */
export async function openStore({ create = true, indexedDB = globalThis.indexedDB } = {}) {
  const request = indexedDB.open(OFFLINE_DB, DB_VERSION);
  let made = false;
  request.onupgradeneeded = (event) => {
    if (!create && event.oldVersion === 0) {
      made = true;
      request.transaction.abort();
      return;
    }
    const db = request.result;
    const records = db.createObjectStore(RECORDS, { keyPath: 'url' });
    records.createIndex('messageId', 'messageId');
    db.createObjectStore(KEYS);
  };
  try {
    return await done(request);
  } catch (error) {
    if (made) return null;
    throw error;
  }
}

/** This device's key: made once, non-extractable, kept in the store beside what it encrypts. */
export async function deviceKey(db, { create = true, crypto = globalThis.crypto } = {}) {
  const found = await done(db.transaction(KEYS).objectStore(KEYS).get(DEVICE_KEY));
  if (found || !create) return found ?? null;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  const tx = db.transaction(KEYS, 'readwrite');
  tx.objectStore(KEYS).add(key, DEVICE_KEY);
  await finished(tx);
  return key;
}

/** The words the service worker shows when it refuses a kept copy, in the person's language (not secret). */
export async function saveWords(db, words) {
  const tx = db.transaction(KEYS, 'readwrite');
  tx.objectStore(KEYS).put(words, 'words');
  await finished(tx);
}

export async function readWords(db) {
  return (await done(db.transaction(KEYS).objectStore(KEYS).get('words'))) ?? {};
}

/** Pack an answer (status, headers, body bytes) into one byte string: a JSON head, then the body. */
export function packAnswer({ status = 200, headers = {}, body }) {
  const head = encoder.encode(JSON.stringify({ v: 1, status, headers }));
  const bytes = body instanceof Uint8Array ? body : new Uint8Array(body ?? 0);
  const out = new Uint8Array(4 + head.length + bytes.length);
  new DataView(out.buffer).setUint32(0, head.length);
  out.set(head, 4);
  out.set(bytes, 4 + head.length);
  return out;
}

export function unpackAnswer(packed) {
  const bytes = new Uint8Array(packed);
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
  const head = JSON.parse(decoder.decode(bytes.subarray(4, 4 + length)));
  if (head.v !== 1) throw new TypeError('unknown record version');
  return { status: head.status, headers: head.headers, body: bytes.slice(4 + length) };
}

/** Encrypt and put one answer; `meta` (times, sizes: nothing of the content) stays in the clear. */
export async function putAnswer(db, key, url, answer, meta = {}, { crypto = globalThis.crypto } = {}) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plain = packAnswer(answer);
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(url) }, key, plain);
  const tx = db.transaction(RECORDS, 'readwrite');
  tx.objectStore(RECORDS).put({ ...meta, url, iv, data, size: data.byteLength });
  await finished(tx);
}

export async function getRecord(db, url) {
  return (await done(db.transaction(RECORDS).objectStore(RECORDS).get(url))) ?? null;
}

/** The answer kept for `url`, decrypted, or null. */
export async function getAnswer(db, key, url, { crypto = globalThis.crypto } = {}) {
  const record = await getRecord(db, url);
  if (!record) return null;
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: record.iv, additionalData: encoder.encode(url) }, key, record.data);
  return { record, ...unpackAnswer(plain) };
}

/** Every record's clear fields (never the ciphertext). */
export async function listRecords(db) {
  const all = await done(db.transaction(RECORDS).objectStore(RECORDS).getAll());
  return all.map(({ data: _data, iv: _iv, ...meta }) => meta);
}

/** Merge clear fields into a record (a confirmation's time). */
export async function updateMeta(db, url, changes) {
  const tx = db.transaction(RECORDS, 'readwrite');
  const store = tx.objectStore(RECORDS);
  const record = await done(store.get(url));
  if (record) store.put({ ...record, ...changes, url });
  await finished(tx);
}

/** Delete every record of one message. */
export async function dropMessage(db, messageId) {
  const tx = db.transaction(RECORDS, 'readwrite');
  const store = tx.objectStore(RECORDS);
  const urls = await done(store.index('messageId').getAllKeys(messageId));
  for (const url of urls) store.delete(url);
  await finished(tx);
}

/** Delete the whole store, the key with it. Waits while another tab holds it open (it closes on `versionchange`). */
export function eraseStore({ indexedDB = globalThis.indexedDB } = {}) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(OFFLINE_DB);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

/** Open, run `work(db)`, close: a connection is never held, so an erase is never blocked for long. */
export async function withStore(work, options) {
  const db = await openStore(options);
  if (!db) return null;
  db.onversionchange = () => db.close();
  try {
    return await work(db);
  } finally {
    db.close();
  }
}
