// Push payload -> the notification to show, and where a tap on it goes. Pure; the service worker wires it.
// The payload never carries message content: only an id, a kind and generic words from the server.

import { MESSAGE_ID, paths } from './router.js';

const ICON = '/icons/icon-192.png';
const BADGE = '/icons/badge-96.png';
const WORDS = {
  message: { title: 'New protected message', body: 'Open Mailseal to read it.' },
  reply: { title: 'New reply', body: 'Someone replied to a protected message. Open Mailseal to read it.' },
};

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
 * @returns {{title: string, options: NotificationOptions}}
 */
export function notificationFromPush(payload) {
  const meta = payload && typeof payload.mailseal === 'object' ? payload.mailseal ?? {} : {};
  const shown = payload && typeof payload.notification === 'object' ? payload.notification ?? {} : {};
  const kind = meta.kind === 'reply' ? 'reply' : 'message';
  const id = typeof meta.id === 'string' && MESSAGE_ID.test(meta.id) ? meta.id : null;
  return {
    title: line(shown.title, 80) ?? WORDS[kind].title,
    options: {
      body: line(shown.body, 200) ?? WORDS[kind].body,
      icon: ICON,
      badge: BADGE,
      lang: 'en',
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
