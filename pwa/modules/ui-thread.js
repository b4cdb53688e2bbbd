// The conversation on the message screen: the thread's messages the reader may open, oldest first, the
// one on screen marked. Shown only when there is more than this one message.

import { h, srOnly } from './dom.js';
import { formatFullDate, formatRelativeDate, toDate } from './format.js';
import { paths } from './router.js';

function renderItem(message, currentId, locale, now) {
  const date = toDate(message.date);
  const current = message.id === currentId;
  const content = [
    h('span', { class: 'thread-from' }, message.fromName || message.from || 'Unknown sender'),
    date ? h('time', { class: 'thread-date', datetime: date.toISOString(), title: formatFullDate(date, locale) },
      formatRelativeDate(date, now, locale)) : h('span', { class: 'thread-date' }),
    h('span', { class: 'thread-subject' }, message.subject || '(no subject)'),
  ];
  return h('li', { class: current ? 'thread-item current' : 'thread-item' },
    current
      ? h('div', { class: 'thread-link', 'aria-current': 'page', 'data-testid': 'thread-item', 'data-id': message.id },
          srOnly('This message: '), content)
      : h('a', { class: 'thread-link', href: paths.message(message.id), 'data-testid': 'thread-item', 'data-id': message.id },
          content));
}

/** An empty section that fills itself once the thread is loaded (and stays hidden for a lone message). */
export function renderThread(ctx, messageId) {
  const section = h('section', { class: 'thread', 'data-testid': 'thread', 'aria-labelledby': 'thread-heading', hidden: true });
  ctx.api.thread(messageId, { signal: ctx.signal }).then((thread) => {
    const messages = (Array.isArray(thread?.messages) ? thread.messages : []).filter((m) => m && typeof m.id === 'string');
    if (messages.length < 2) return;
    const now = new Date();
    section.replaceChildren(
      h('h2', { id: 'thread-heading' }, `Conversation (${messages.length})`),
      h('ol', { class: 'thread-list' }, messages.map((message) => renderItem(message, messageId, ctx.locale, now))),
    );
    section.hidden = false;
  }).catch(() => null); // the conversation is extra: the message itself is already on screen
  return section;
}
