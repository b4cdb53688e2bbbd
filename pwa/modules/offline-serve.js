// The service worker's side of offline reading: when the network cannot be reached, answer a message's
// view, body and attachments (and the inbox) from the offline store, if this device keeps them and they
// may still be opened: not expired by this device's clock, and confirmed by the server within
// `confirmDays`. When the network answers, a message it calls gone is deleted here, and a 401 (this
// device was signed out, here or from another device) deletes the whole store and its key.

import { deviceKey, dropMessage, eraseStore, getAnswer, getRecord, listRecords, readWords, withStore } from './offline-store.js';

export const INBOX_URL = '/api/messages';
const DAY_MS = 86400 * 1000;
const MESSAGE_URL = /^\/api\/messages\/([A-Za-z0-9_-]{1,100})(\/body|\/attachments\/\d{1,6}|\/reply-recipients)?$/;
const encoder = new TextEncoder();
// Messages this worker deleted as expired: their other parts, asked for at the same moment (the view and
// its body frame), get the same answer rather than "no connection".
const expired = new Set();

export const viewUrl = (messageId) => `${INBOX_URL}/${encodeURIComponent(messageId)}`;

/**
 * What the store would hold for a URL: its record's key and message id, or null (not kept: threads…).
 * Whom a reply goes to is kept too, so a reply can be written offline (it waits as a draft).
 */
export function keptUrl(url) {
  if (url.pathname === INBOX_URL) {  // the first page, however many it asks for; later pages are not kept
    return url.searchParams.has('cursor') ? null : { key: INBOX_URL, messageId: null, kind: 'inbox' };
  }
  const match = MESSAGE_URL.exec(url.pathname);
  if (!match) return null;
  const part = match[2] ?? '';
  const query = part === '/body' ? /^\?nested=\d{1,4}$/ : part === '/reply-recipients' ? /^\?all=1$/ : /^$/;
  const search = query.test(url.search) ? url.search : '';
  if (url.search !== search) return null;
  return { key: url.pathname + search, messageId: match[1], kind: part === '' ? 'view' : 'part' };
}

/** Whether a kept view may still be shown offline: an answer for why not, or null. */
export function refusal(record, now) {
  if (Number.isInteger(record.expiresAt) && record.expiresAt * 1000 <= now) return 'expired';
  if (!(now - record.confirmedAt <= record.confirmDays * DAY_MS)) return 'unconfirmed';
  return null;
}

function problem(status, code, title, detail) {
  return new Response(JSON.stringify({ status, code, title, detail }), {
    status,
    headers: { 'content-type': 'application/problem+json', 'x-mailseal-offline': '1', 'cache-control': 'no-store' },
  });
}

function withOffline(body, extra) {
  return encoder.encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(body)), ...extra }));
}

/**
 * The kept answer for `request`, or null when nothing is kept for it (the caller then fails as the network
 * did). A refusal's words are those the page left in the store, in the person's language.
 */
export async function answerFromStore(request, { now = Date.now() } = {}) {
  const kept = keptUrl(new URL(request.url));
  if (!kept) return null;
  return withStore(async (db) => {
    const key = await deviceKey(db, { create: false });
    if (!key) return null;
    let extra = null;
    if (kept.messageId) {
      const view = await getRecord(db, viewUrl(kept.messageId));
      if (!view) return expired.has(kept.messageId) ? problem(410, 'policy.expired', '', '') : null;
      const why = refusal(view, now);
      const words = why ? await readWords(db) : {};
      if (why === 'expired') {
        expired.add(kept.messageId);
        await dropMessage(db, kept.messageId);
        return problem(410, 'policy.expired', '', '');  // the app has its own words for this code
      }
      if (why) return problem(403, 'offline.unconfirmed', words.unconfirmed ?? '', words.unconfirmedText ?? '');
      if (kept.kind === 'view') extra = { offline: { keptAt: view.keptAt, confirmedAt: view.confirmedAt } };
    }
    const found = await getAnswer(db, key, kept.key);
    if (!found) return null;
    if (kept.kind === 'inbox') {
      const views = (await listRecords(db)).filter((r) => r.kind === 'view' && !refusal(r, now));
      extra = { offline: { savedAt: found.record.keptAt, kept: views.map((r) => r.messageId) } };
    }
    const body = extra ? withOffline(found.body, extra) : found.body;
    return new Response(body, { status: found.status, headers: { ...found.headers, 'x-mailseal-offline': '1' } });
  }, { create: false });
}

/** After the network answered: forget what the server says is gone, and everything when signed out. */
export async function afterNetwork(request, response) {
  if (response.status === 401) return eraseStore();
  const kept = keptUrl(new URL(request.url));
  if (kept?.kind === 'view' && (response.status === 410 || response.status === 404)) {
    await withStore((db) => dropMessage(db, kept.messageId), { create: false });
  }
  return null;
}
