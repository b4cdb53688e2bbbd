import assert from 'node:assert/strict';
import { test } from 'node:test';

import { appendPage, firstPage, refreshPages } from '../modules/inbox-pages.js';

const m = (...ids) => ids.map((id) => ({ id, threadId: id }));
const ids = (pages) => pages.messages.map((x) => x.id);

test('the first page keeps its cursor and counts; an older answer has neither', () => {
  assert.deepEqual(firstPage({ messages: m('c', 'b'), nextCursor: 'X', total: 3, unread: 1 }),
    { messages: m('c', 'b'), nextCursor: 'X', total: 3, unread: 1 });
  assert.deepEqual(firstPage({ messages: m('a') }), { messages: m('a'), nextCursor: null, total: null, unread: null });
  assert.deepEqual(firstPage(null), { messages: [], nextCursor: null, total: null, unread: null });
  assert.equal(firstPage({ messages: [null, { id: 5 }, ...m('a')], total: -1 }).total, null);
  assert.deepEqual(ids(firstPage({ messages: [null, { id: 5 }, ...m('a')] })), ['a']);
});

test('a next page goes below, takes the next cursor, and lists nothing twice', () => {
  const one = firstPage({ messages: m('e', 'd'), nextCursor: 'X', total: 5, unread: 2 });
  const two = appendPage(one, { messages: m('d', 'c', 'b'), nextCursor: 'Y', total: 6, unread: 2 });
  assert.deepEqual(ids(two), ['e', 'd', 'c', 'b']);
  assert.equal(two.nextCursor, 'Y');
  assert.equal(two.total, 6);
  assert.equal(appendPage(two, { messages: m('a'), nextCursor: null }).nextCursor, null);
});

test('a refresh puts the new first page on top and keeps what was loaded below, from the same cursor', () => {
  const loaded = appendPage(firstPage({ messages: m('e', 'd'), nextCursor: 'X' }), { messages: m('c', 'b'), nextCursor: 'Y' });
  const fresh = refreshPages(loaded, { messages: m('f', 'e'), nextCursor: 'Z', total: 7, unread: 1 });
  assert.deepEqual(ids(fresh), ['f', 'e', 'd', 'c', 'b']);
  assert.equal(fresh.nextCursor, 'Y');
  assert.equal(fresh.unread, 1);
  // More than a page arrived: nothing in common, start again from the new first page.
  assert.deepEqual(ids(refreshPages(loaded, { messages: m('h', 'g'), nextCursor: 'W' })), ['h', 'g']);
  // Only one page was loaded: the new one replaces it.
  assert.deepEqual(refreshPages(firstPage({ messages: m('a') }), { messages: m('b', 'a') }), firstPage({ messages: m('b', 'a') }));
  assert.deepEqual(ids(refreshPages(null, { messages: m('a') })), ['a']);
  // Every page was loaded: they all stay, and there is still nothing after them.
  const all = appendPage(loaded, { messages: m('a'), nextCursor: null });
  const after = refreshPages(all, { messages: m('g', 'e'), nextCursor: 'Z' });
  assert.deepEqual(ids(after), ['g', 'e', 'd', 'c', 'b', 'a']);
  assert.equal(after.nextCursor, null);
  // Everything fits on one page now (messages taken away): the new page alone.
  assert.deepEqual(ids(refreshPages(loaded, { messages: m('e', 'c'), nextCursor: null })), ['e', 'c']);
});

test('a thread counts what the server says it holds, though not all of it is loaded yet', async () => {
  const { groupByThread } = await import('../modules/conversation.js');
  const rows = groupByThread([
    { id: 'c', threadId: 't', threadCount: 5 },
    { id: 'b', threadId: 't', threadCount: 5, unread: true },
    { id: 'a', threadId: 'u' },
  ]);
  assert.deepEqual(rows.map((r) => [r.id, r.threadCount]), [['b', 5], ['a', 1]]);
});

test('the count speaks of the whole inbox, with its unread', async () => {
  const { useCatalogue } = await import('./catalogue.js');
  const { t } = await import('../modules/i18n.js');
  await useCatalogue('en');
  const say = (key, params) => t(key, params);
  assert.equal(say('inbox-pages.count', { total: 1 }), '1 message');
  assert.equal(say('inbox-pages.count-unread', { total: 50000, unread: 12 }), '50,000 messages, 12 unread');
});
