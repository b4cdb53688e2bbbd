// One row of the inbox (one conversation): sender, date, subject, how many messages, template, expiry;
// unread in bold with a dot.

import { h, srOnly } from './dom.js';
import { formatFullDate, formatRelativeDate, toDate } from './format.js';
import { t } from './i18n.js';
import { paths } from './router.js';
import { expiryBadge, stateBadge, templateBadge } from './ui-badges.js';

export function renderInboxItem(message, { now, locale, people = null }) {
  const date = toDate(message.date);
  const unread = message.unread === true;
  return h(
    'li',
    { class: unread ? 'inbox-item unread' : 'inbox-item' },
    h(
      'a',
      { class: 'inbox-link', href: paths.message(message.id), 'data-testid': 'inbox-item', 'data-id': message.id, 'data-unread': String(unread) },
      h('span', { class: 'unread-dot', 'aria-hidden': 'true' }),
      unread ? srOnly(t('inbox.unread')) : null,
      h('span', { class: 'inbox-from' }, (people && message.from ? people.name(message.from) : message.fromName) || message.from || t('inbox.unknown-sender'),
        message.threadCount > 1
          ? h('span', { class: 'thread-count', 'data-testid': 'thread-count' },
              srOnly(t('inbox.conversation', { count: message.threadCount })), h('span', { 'aria-hidden': 'true' }, new Intl.NumberFormat(locale).format(message.threadCount)))
          : null),
      date
        ? h('time', { class: 'inbox-date', datetime: date.toISOString(), title: formatFullDate(date, locale) }, formatRelativeDate(date, now, locale))
        : h('span', { class: 'inbox-date' }),
      h('span', { class: 'inbox-subject', dir: 'auto' }, message.subject || t('message.no-subject')),
      h('span', { class: 'inbox-meta' }, stateBadge(message.state), templateBadge(message.template),
        !message.state || message.state === 'ok' ? expiryBadge(message.expiresAt, now, locale) : null),
    ),
  );
}
