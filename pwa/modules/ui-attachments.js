// The attachment list: name, type and size; tap to open (or save, when the rights allow it).

import { h } from './dom.js';
import { formatSize, typeLabel } from './format.js';

/**
 * @param {{id: string, attachments: Array<{index: number, filename: string, contentType: string, size: number, inline: boolean}>}} message
 * @param {{canSave: boolean, locale: string, url: (id: string, index: number) => string}} options
 */
export function renderAttachments(message, { canSave, locale, url }) {
  const items = Array.isArray(message.attachments) ? message.attachments : [];
  if (items.length === 0) return null;
  return h(
    'section',
    { class: 'attachments', 'aria-labelledby': 'attachments-title', 'data-testid': 'attachments' },
    h('h2', { id: 'attachments-title' }, items.length === 1 ? '1 attachment' : `${items.length} attachments`),
    canSave ? null : h('p', { class: 'help', 'data-testid': 'view-only-note' },
      'The sender allows viewing the attachments only. They open in the browser and there is no save button.'),
    h('ul', { class: 'attachment-list' }, items.map((item) => {
      const opens = item.inline || !canSave;
      return h('li', {},
        h('a', {
          class: 'attachment',
          href: url(message.id, item.index),
          target: '_blank',
          rel: 'noopener',
          download: opens ? null : item.filename || true,
          'data-testid': 'attachment',
          'data-index': item.index,
        },
        h('span', { class: 'attachment-name' }, item.filename || 'attachment'),
        h('span', { class: 'attachment-meta' }, `${typeLabel(item.contentType)} · ${formatSize(item.size, locale)}`),
        h('span', { class: 'attachment-action' }, opens ? 'View' : 'Download')));
    })),
  );
}
