// One name per person across a conversation: an address shows as the name it was seen with anywhere in
// the thread ("Alice Martin", never "alice@example.org" in one row and the name in the next). Pure but for
// the words, from the catalogue.

import { locale, t } from './i18n.js';

const ANGLE = /^\s*"?([^"<]*?)"?\s*<([^<>\s]+@[^<>\s]+)>\s*$/u;

/** "Alice <alice@x>" → {name: "Alice", address: "alice@x"}; "alice@x" → {name: "", address: "alice@x"}. */
export function parseAddress(value) {
  const text = typeof value === 'string' ? value.trim() : '';
  const match = ANGLE.exec(text);
  if (match) return { name: match[1].trim(), address: match[2] };
  return { name: '', address: text };
}

/**
 * @param {Array<{from?: string, fromName?: string, to?: string[], cc?: string[]}>} messages
 * @param {string[]} myAddresses the reader's verified addresses: shown as "me"
 * @returns {{name: (value: string) => string, isMe: (value: string) => boolean}}
 */
export function peopleOf(messages, myAddresses = []) {
  const names = new Map();
  const me = new Set((Array.isArray(myAddresses) ? myAddresses : []).map((a) => String(a).toLowerCase()));
  const learn = (address, name) => {
    const key = parseAddress(String(address ?? '')).address.toLowerCase();
    // A "name" that is an address (some mailers write one) is no name: a real one seen elsewhere wins.
    if (key && name && !name.includes('@') && !names.has(key)) names.set(key, name.trim());
  };
  for (const message of Array.isArray(messages) ? messages : []) {
    if (!message) continue;
    learn(message.from, message.fromName);
    for (const value of [...(message.to ?? []), ...(message.cc ?? [])]) {
      const { name, address } = parseAddress(value);
      learn(address, name);
    }
  }
  const isMe = (value) => me.has(parseAddress(value).address.toLowerCase());
  const name = (value) => {
    const { name: given, address } = parseAddress(value);
    return names.get(address.toLowerCase()) || given || address || t('inbox.unknown-sender');
  };
  return { name, isMe };
}

/** "me, Carol Jones and 2 others" for the collapsed recipients line. */
export function recipientsSummary(values, people, shown = 2) {
  const list = (Array.isArray(values) ? values : []).filter((v) => typeof v === 'string' && v);
  const me = t('message.me-recipient');
  const words = list.map((v) => (people.isMe(v) ? me : people.name(v)));
  const ordered = [...words.filter((w) => w === me), ...words.filter((w) => w !== me)];
  const unique = [...new Set(ordered)];
  const join = (names) => new Intl.ListFormat(locale(), { type: 'unit', style: 'short' }).format(names);
  if (unique.length <= shown + 1) return join(unique);
  return t('message.and-others', { names: join(unique.slice(0, shown)), count: unique.length - shown });
}
