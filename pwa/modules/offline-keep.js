// Offline reading, the page's side (loaded only when it is on for this device): keep what the person
// opens — the view, its body, its attachments up to the organisation's size — and the inbox, encrypted in
// the offline store; ask the server about every kept message at each contact and delete what it calls
// revoked, expired, gone or not to be kept; erase everything when this device is signed out.

import { INBOX_URL, viewUrl } from './offline-serve.js';
import { deviceKey, dropMessage, eraseStore, listRecords, putAnswer, saveWords, updateMeta, withStore } from './offline-store.js';
import { clearDraft, loadDraft } from './drafts.js';
import { t } from './i18n.js';
import { markInbox, markMessage } from './ui-offline-mark.js';

export const OFFLINE_SETTING = 'mailseal.offline';
const KEPT_HEADERS = ['content-type', 'content-security-policy', 'x-frame-options', 'content-disposition'];
const encoder = new TextEncoder();
let policy = null;

const json = (value) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: encoder.encode(JSON.stringify(value)) });
const changed = () => dispatchEvent(new Event('mailseal:offline-changed'));

/** One answer of the network (never one the store gave back), ready to keep; null when not 200. */
async function fetchAnswer(url, limit = Infinity) {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (response.status !== 200 || response.headers.get('x-mailseal-offline')) return null;
  if (Number(response.headers.get('content-length') ?? 0) > limit) return null;
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.length > limit) return null;
  const headers = {};
  for (const name of KEPT_HEADERS) {
    const value = response.headers.get(name);
    if (value) headers[name] = value;
  }
  return { status: 200, headers, body };
}

async function ask(api, ids) {
  const answer = await api.confirmOffline(ids);
  policy = answer.policy;
  return answer;
}

/** Drop whole messages, oldest kept first, until the store holds at most `maxBytes`. */
async function trim(db, maxBytes) {
  const records = await listRecords(db);
  let total = records.reduce((sum, r) => sum + r.size, 0);
  const bySize = new Map();
  for (const r of records) if (r.messageId) bySize.set(r.messageId, (bySize.get(r.messageId) ?? 0) + r.size);
  const oldestFirst = records.filter((r) => r.kind === 'view').sort((a, b) => a.keptAt - b.keptAt);
  for (const view of oldestFirst) {
    if (total <= maxBytes) break;
    await dropMessage(db, view.messageId);
    total -= bySize.get(view.messageId) ?? 0;
  }
}

/** Keep a message just read online (never an offline copy, never what the server says not to keep). */
export async function keepMessage(api, view) {
  if (!view || typeof view.id !== 'string' || view.offline) return false;
  const id = view.id;
  const answer = await ask(api, [id]);
  const state = answer.messages[0];
  if (!answer.policy.enabled || state?.state !== 'ok' || !state.keep) {
    await withStore((db) => dropMessage(db, id));
    return false;
  }
  const parts = [];
  for (const part of [view, ...(view.nested ?? [])]) {
    if (typeof part.bodyUrl !== 'string') continue;
    const url = new URL(part.bodyUrl, location.origin);
    const kept = await fetchAnswer(url.href);
    if (kept) parts.push([url.pathname + url.search, kept]);
  }
  const files = [...(view.attachments ?? []), ...(view.nested ?? []).flatMap((n) => n.attachments ?? [])];
  for (const file of files) {
    if (!(file.size <= policy.attachmentMaxBytes)) continue;
    const url = api.attachmentUrl(id, file.index);
    const kept = await fetchAnswer(url, policy.attachmentMaxBytes);
    if (kept) parts.push([url, kept]);
  }
  for (const [right, query] of [['reply', ''], ['reply-all', '?all=1']]) {  // so a reply can be written offline
    if (!(view.rights ?? []).includes(right)) continue;
    const url = `${viewUrl(id)}/reply-recipients${query}`;
    const kept = await fetchAnswer(url);
    if (kept) parts.push([url, kept]);
  }
  const now = Date.now();
  await withStore(async (db) => {
    const key = await deviceKey(db);
    await dropMessage(db, id);
    for (const [url, kept] of parts) await putAnswer(db, key, url, kept, { messageId: id, kind: 'part', keptAt: now });
    await putAnswer(db, key, viewUrl(id), json(view), {
      messageId: id, kind: 'view', keptAt: now, confirmedAt: now, confirmDays: answer.policy.confirmDays,
      expiresAt: Number.isInteger(state.expiresAt) ? state.expiresAt : null,
    });
    await trim(db, answer.policy.storeMaxBytes);
  });
  changed();
  return true;
}

/** Keep the inbox as the server last listed it (the answer as it came, whatever fields it carries). */
export async function keepInbox(api, answer) {
  if (!answer || answer.offline || !Array.isArray(answer.messages)) return;
  if (!policy) await ask(api, []);
  if (!policy.enabled) return;
  await withStore(async (db) => putAnswer(db, await deviceKey(db), INBOX_URL, json(answer), { kind: 'inbox', keptAt: Date.now() }));
}

/**
 * At each contact: the server's word on every kept message. What it calls revoked, expired, gone or not to
 * be kept is deleted; the rest is marked confirmed now (the device's clock, which the offline check reads).
 * A signed-out device, or an organisation that turned offline reading off, loses the whole store.
 */
export async function confirmKept(api, storage) {
  const views = (await withStore(listRecords)).filter((r) => r.kind === 'view');
  let answer;
  try {
    answer = await ask(api, views.map((v) => v.messageId));
  } catch (error) {
    if (error?.code === 'auth.required') await forgetDevice(storage);
    return null;
  }
  if (!answer.policy.enabled) {
    await eraseStore();
    changed();
    return answer;
  }
  const now = Date.now();
  await withStore(async (db) => {
    for (const state of answer.messages) {
      if (state.state !== 'ok' || !state.keep) await dropMessage(db, state.id);
      else await updateMeta(db, viewUrl(state.id), { confirmedAt: now, confirmDays: answer.policy.confirmDays });
    }
    await trim(db, answer.policy.storeMaxBytes);
  });
  changed();
  return answer;
}

/*
 * Replies written offline: the composer keeps their text as a draft (drafts.js) and, when sending failed
 * for want of a network, asks here to mark it waiting. Back online, each waiting reply is sealed and sent
 * after the person confirms it (text only: files are not kept).
 */
const WAITING = 'mailseal-waiting:';
const waitingKeys = () => {
  try {
    return Object.keys(localStorage).filter((key) => key.startsWith(WAITING));
  } catch {
    return [];
  }
};

export function markWaiting(storage, { id, mode }) {
  storage.setItem(WAITING + id, JSON.stringify({ v: 1, mode: mode === 'reply-all' ? 'reply-all' : 'reply' }));
}

export async function sendWaiting(api, storage, { ask = (text) => confirm(text), toast = () => {} } = {}) {
  for (const key of waitingKeys()) {
    const id = key.slice(WAITING.length);
    const draft = loadDraft(storage, id);
    let mode = 'reply';
    try {
      mode = JSON.parse(storage.getItem(key) ?? '{}').mode === 'reply-all' ? 'reply-all' : 'reply';
    } catch { /* a damaged mark: an ordinary reply */ }
    storage.removeItem(key);
    if (!draft) continue;
    const start = draft.text.trim().replace(/\s+/g, ' ');
    if (!ask(t('offline.reply-waiting-confirm', { text: start.length > 80 ? `${start.slice(0, 80)}…` : start }))) continue;
    try {
      await api.reply(id, { body: draft.text, replyAll: mode === 'reply-all' });
      clearDraft(storage, id);
      toast(t('offline.reply-waiting-sent'));
    } catch (error) {
      if (error?.code === 'network' || error?.code === 'timeout') storage.setItem(key, JSON.stringify({ v: 1, mode }));
      toast(t('offline.reply-waiting-failed'));
    }
  }
}

/** Signed out (here or from another device), or offline reading turned off: the store and its key go. */
export async function forgetDevice(storage) {
  for (const key of waitingKeys()) storage?.removeItem(key);
  storage?.removeItem(OFFLINE_SETTING);
  await eraseStore();
  changed();
}

/** What this device keeps: messages, bytes, the oldest keep and the latest confirmation (for Settings). */
export async function keptSummary() {
  const records = await withStore(listRecords);
  const views = records.filter((r) => r.kind === 'view');
  return {
    messages: views.length,
    bytes: records.reduce((sum, r) => sum + r.size, 0),
    since: views.length ? Math.min(...views.map((v) => v.keptAt)) : null,
    confirmedAt: views.length ? Math.min(...views.map((v) => v.confirmedAt)) : null,
    ids: views.map((v) => v.messageId),
  };
}

let started = false;
/**
 * Keep what is read from now on, mark what is kept, and confirm at this contact and each time the device
 * is back online. Stops keeping when the setting is turned off (the listeners stay, and do nothing).
 */
export function startKeeping(api, storage, { toast } = {}) {
  if (started) return;
  started = true;
  const on = () => Boolean(storage.getItem(OFFLINE_SETTING));
  const contact = () => confirmKept(api, storage).then((answer) => answer && sendWaiting(api, storage, { toast }));
  addEventListener('mailseal:read', (event) => {
    const view = event.detail;
    if (view?.offline) markMessage(view);
    else if (on()) keepMessage(api, view).then((kept) => kept && markMessage(view)).catch(() => null);
  });
  addEventListener('mailseal:inbox', (event) => {
    const answer = event.detail;
    if (answer?.offline) return markInbox(answer.offline, answer.offline.kept);
    if (!on()) return null;
    return keepInbox(api, answer).then(keptSummary).then((kept) => markInbox(null, kept.ids)).catch(() => null);
  });
  addEventListener('mailseal:reply-waiting', (event) => {
    if (!on()) return;
    markWaiting(storage, event.detail);
    event.detail.note = t('offline.reply-waiting-note');
  });
  addEventListener('online', () => { if (on()) contact().catch(() => null); });
  withStore((db) => saveWords(db, { unconfirmed: t('offline.unconfirmed-title'), unconfirmedText: t('offline.unconfirmed-text') }))
    .catch(() => null);
  contact().catch(() => null);
}
