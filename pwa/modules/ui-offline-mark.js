// Marks of what is kept on this device for offline reading, and since when: a line on a kept message,
// a line on the inbox when it is the kept one, a "Kept offline" tag on kept inbox items. Loaded with the
// offline store only (offline-keep.js puts them in place).

import { h } from './dom.js';
import { formatFullDate, formatRelativeDate } from './format.js';
import { locale, t } from './i18n.js';

function place(parent, mark, before = parent.firstChild) {
  parent.querySelector(':scope > [data-offline-mark]')?.remove();
  mark.dataset.offlineMark = '';
  parent.insertBefore(mark, before);
}

/** On a message screen: an offline copy says when it was kept and last checked; a kept one online says so. */
export function markMessage(view) {
  const screen = document.querySelector(`[data-testid=message][data-id="${CSS.escape(view.id)}"]`);
  const head = screen?.querySelector('.conversation');
  if (!head) return;
  const words = view.offline
    ? t('offline.message-copy', {
      kept: formatFullDate(view.offline.keptAt, locale()),
      checked: formatRelativeDate(view.offline.confirmedAt, new Date(), locale()),
    })
    : t('offline.message-kept');
  place(screen, h('p', { class: 'help offline-mark', role: 'note', 'data-testid': 'offline-mark' }, words), head);
}

/** On the inbox: the kept list says it is one and from when; kept items get their tag. */
export function markInbox(offline, keptIds) {
  const inbox = document.querySelector('[data-testid=inbox]');
  if (!inbox) return;
  if (offline) {
    const line = t('offline.inbox-copy', { time: formatFullDate(offline.savedAt, locale()) });
    place(inbox, h('p', { class: 'help offline-mark', role: 'note', 'data-testid': 'offline-inbox-mark' }, line), inbox.querySelector('.inbox-body'));
  }
  const kept = new Set(keptIds);
  for (const item of inbox.querySelectorAll('[data-testid=inbox-item]')) {
    item.querySelector('[data-testid=kept-tag]')?.remove();
    const meta = item.querySelector('.inbox-meta') ?? item;
    if (kept.has(item.dataset.id)) meta.append(h('span', { class: 'badge badge-quiet', 'data-testid': 'kept-tag' }, t('offline.kept-tag')));
  }
}
