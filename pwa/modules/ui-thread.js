// The conversation, as in Gmail: the thread's messages stacked oldest first, the one asked for open,
// the others collapsed to sender, time and a snippet; tap one to open it in place. Long threads show
// the message just before the open one and an "N earlier messages" row for the rest, so the open
// message's body stays near the top of a phone's screen.

import { h, srOnly } from './dom.js';
import { formatFullDate, formatRelativeDate, toDate } from './format.js';
import { t } from './i18n.js';
import { peopleOf } from './people.js';
import { snippet } from './quotes.js';
import { avatar, renderMessagePart } from './ui-message-part.js';

/** Earlier messages shown as rows before the rest fold into one "N earlier messages" row. */
const EARLIER_SHOWN = 1;

function collapsedRow(ctx, item, people, views) {
  const who = people.isMe(item.from) ? t('message.me') : people.name(item.from);
  const date = toDate(item.date);
  const preview = h('span', { class: 'thread-snippet', dir: 'auto' }, item.subject || '');
  const part = h('div', { class: 'thread-part', hidden: true });
  const button = h('button', { type: 'button', class: 'thread-row', 'aria-expanded': 'false', 'data-testid': 'thread-toggle' },
    avatar(people.name(item.from), item.from),
    h('span', { class: 'thread-from' }, who),
    date ? h('time', { class: 'thread-date', datetime: date.toISOString(), title: formatFullDate(date, ctx.locale) },
      formatRelativeDate(date, new Date(), ctx.locale)) : h('span', { class: 'thread-date' }),
    preview);
  const row = h('li', { class: 'thread-item', 'data-testid': 'thread-item', 'data-id': item.id }, button, part);
  let loaded = null;
  const load = () => {
    loaded ??= (views.get(item.id) ?? ctx.api.message(item.id, { signal: ctx.signal })).then((view) => {
      if (typeof view?.text === 'string') preview.textContent = snippet(view.text) || item.subject || '';
      return view;
    });
    return loaded;
  };
  button.addEventListener('click', async () => {
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    row.classList.toggle('expanded', open);
    part.hidden = !open;
    if (open && !part.firstChild) {
      part.append(h('p', { class: 'help', role: 'status' }, t('inbox.opening')));
      try {
        part.replaceChildren(renderMessagePart(ctx, await load(), { people }).element);
      } catch {
        part.replaceChildren(h('p', { class: 'alert' }, t('thread.open-failed')));
      }
    }
  });
  return { row, load };
}

/**
 * Fill `slots` around the open message once the thread is known; a lone message changes nothing.
 * @param {{root: HTMLElement, earlier: HTMLElement, later: HTMLElement, open: HTMLElement, rename: Function}} slots
 */
export function renderConversation(ctx, message, slots) {
  ctx.api.thread(message.id, { signal: ctx.signal }).then((thread) => {
    const items = (Array.isArray(thread?.messages) ? thread.messages : []).filter((m) => m && typeof m.id === 'string');
    const at = items.findIndex((m) => m.id === message.id);
    if (items.length < 2 || at < 0) return;
    const people = peopleOf([message, ...items], ctx.session.me?.addresses);
    slots.rename(people);
    const views = new Map([[message.id, Promise.resolve(message)]]);
    const rows = (list) => list.map((item) => collapsedRow(ctx, item, people, views));
    const earlier = rows(items.slice(0, at));
    const later = rows(items.slice(at + 1));
    const hiddenCount = Math.max(0, earlier.length - EARLIER_SHOWN);
    earlier.forEach((entry, i) => {
      if (i < hiddenCount) entry.row.hidden = true;
      else entry.load().catch(() => null);
    });
    later.forEach((entry) => entry.load().catch(() => null));
    const more = hiddenCount > 0
      ? h('li', { class: 'thread-more' }, h('button', {
          type: 'button', class: 'thread-more-button', 'data-testid': 'thread-more',
          onclick: (event) => {
            event.currentTarget.closest('li').remove();
            earlier.slice(0, hiddenCount).forEach((entry) => { entry.row.hidden = false; entry.load().catch(() => null); });
          },
        }, t('thread.earlier', { count: hiddenCount })))
      : null;
    slots.earlier.replaceChildren(more ?? '', ...earlier.map((e) => e.row));
    slots.later.replaceChildren(...later.map((e) => e.row));
    slots.open.setAttribute('data-testid', 'thread-item');
    slots.open.setAttribute('aria-current', 'page');
    slots.open.setAttribute('data-id', message.id);
    slots.open.prepend(srOnly(t('thread.position', { position: at + 1, count: items.length })));
    slots.root.setAttribute('aria-label', t('thread.label', { count: items.length }));
    slots.root.setAttribute('data-testid', 'thread');
  }).catch(() => null); // the conversation is extra: the message itself is already on screen
}
