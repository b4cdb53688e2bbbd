// Push payload -> the notification to show, and where a tap on it goes. Pure; the service worker wires it.
// The payload never carries message content: only an id, a kind and generic words from the server (in
// English). The worker shows the same words from the app's catalogue, in the language the app last used.

import { chooseLanguage, LANGUAGE_ENTRY } from './i18n.js';
import { MESSAGE_ID, paths } from './router.js';

const ICON = '/icons/icon-192.png';
const BADGE = '/icons/badge-96.png';
const WORDS = {
  message: ['push.message.title', 'push.message.body'],
  reply: ['push.reply.title', 'push.reply.body'],
};

/**
 * The catalogue of the language the app last used (else the phone's), from the worker's cache:
 * {tag, messages}, or null when there is none.
 */
export async function notificationWords(caches, preferred, fetchImpl = fetch) {
  try {
    const chosen = await (await caches.match(LANGUAGE_ENTRY))?.text();
    const tag = chooseLanguage(chosen, preferred);
    const path = `/locales/${tag}.json`;
    const response = (await caches.match(path)) ?? (await fetchImpl(path));
    return response.ok ? { tag, messages: await response.json() } : null;
  } catch {
    return null;
  }
}

function line(value, max) {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : null;
}

/** Parse the push data as JSON, or null (a push without data still shows a generic notification). */
export function readPushData(event) {
  try {
    return event?.data ? event.data.json() : null;
  } catch {
    return null;
  }
}

/**
 * @param {{mailseal?: {id?: string, kind?: string}, notification?: {title?: string, body?: string}} | null} payload
 * @param {{tag: string, messages: Record<string, string>} | null} words from notificationWords
 * @returns {{title: string, options: NotificationOptions}}
 */
export function notificationFromPush(payload, words = null) {
  const meta = payload && typeof payload.mailseal === 'object' ? payload.mailseal ?? {} : {};
  const shown = payload && typeof payload.notification === 'object' ? payload.notification ?? {} : {};
  const kind = meta.kind === 'reply' ? 'reply' : 'message';
  const id = typeof meta.id === 'string' && MESSAGE_ID.test(meta.id) ? meta.id : null;
  const [titleKey, bodyKey] = WORDS[kind];
  const own = (key) => line(words?.messages?.[key], 200);
  return {
    title: own(titleKey) ?? line(shown.title, 80) ?? 'Mailseal',
    options: {
      body: own(bodyKey) ?? line(shown.body, 200) ?? '',
      icon: ICON,
      badge: BADGE,
      lang: words?.messages?.[titleKey] ? words.tag : 'en',
      tag: id ? `mailseal-${id}` : 'mailseal',
      data: { url: id ? paths.message(id) : paths.inbox(), id },
    },
  };
}

/** The app path a tapped notification opens: its message, or the inbox for anything unexpected. */
export function notificationTarget(data) {
  const id = data && typeof data.id === 'string' && MESSAGE_ID.test(data.id) ? data.id : null;
  return id ? paths.message(id) : paths.inbox();
}
