// The attachment list: name, type and size; a tap opens it inside the app (ui-attachment-viewer.js),
// which offers Download and Share when the rights allow saving.

import { h } from './dom.js';
import { formatSize, typeLabel } from './format.js';
import { t } from './i18n.js';
import { paths } from './router.js';

/**
 * @param {{id: string, attachments: Array<{index: number, filename: string, contentType: string, size: number, inline: boolean}>}} message
 * @param {{canSave: boolean, locale: string}} options
 */
export function renderAttachments(message, { canSave, locale }) {
  const items = Array.isArray(message.attachments) ? message.attachments : [];
  if (items.length === 0) return null;
  return h(
    'section',
    { class: 'attachments', 'aria-labelledby': 'attachments-title', 'data-testid': 'attachments' },
    h('h2', { id: 'attachments-title' }, t('attachments.count', { count: items.length })),
    canSave ? null : h('p', { class: 'help', 'data-testid': 'view-only-note' },
      t('attachments.view-only')),
    h('ul', { class: 'attachment-list' }, items.map((item) => h('li', {},
      h('a', { class: 'attachment', href: paths.attachment(message.id, item.index), 'data-testid': 'attachment', 'data-index': item.index },
        h('span', { class: 'attachment-name' }, item.filename || t('attachments.unnamed')),
        h('span', { class: 'attachment-meta' }, t('attachments.meta', { type: typeLabel(item.contentType), size: formatSize(item.size, locale) })),
        h('span', { class: 'attachment-action' }, t('attachments.open')))))),
  );
}
