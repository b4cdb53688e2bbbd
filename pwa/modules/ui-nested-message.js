// Messages attached to a message (a forward as an attachment, a digest's entries), shown in place: their
// own From, To, Date and Subject, body, notes and attachments, to any depth. Their body, like the
// message's own, is mail content: HTML only in the sandboxed frame, text only as text.

import { h } from './dom.js';
import { formatFullDate, toDate } from './format.js';
import { t } from './i18n.js';
import { renderAttachments } from './ui-attachments.js';
import { renderMessageBody } from './ui-message-body.js';
import { renderPartNotes } from './ui-part-note.js';

const MAX_DEPTH = 8;  // deeper ones are still offered as .eml files

function meta(label, value) {
  return value ? [h('dt', {}, label), h('dd', {}, value)] : null;
}

function renderOne(ctx, parent, nested, { rights, depth, key }) {
  const date = toDate(nested.date);
  const to = (Array.isArray(nested.to) ? nested.to : []).join(', ');
  const titleId = `nested-title-${key}`;
  const files = renderAttachments({ id: parent.id, attachments: nested.attachments },
    { canSave: rights.canSave, locale: ctx.locale });
  if (files) {  // a sub-heading, with an id of its own (the message's list has 'attachments-title')
    const heading = files.querySelector('h2');
    heading?.replaceWith(h('h3', { id: `${titleId}-files` }, heading.textContent));
    files.setAttribute('aria-labelledby', `${titleId}-files`);
    files.setAttribute('data-testid', 'nested-attachments');
  }
  const body = renderMessageBody(nested, rights, ctx.signal);
  // The body is the text itself, or a box around the sandboxed frame (fitted to its mail like the message's).
  const shown = body.tagName === 'IFRAME' ? body : body.querySelector('iframe') ?? body;
  shown.setAttribute('data-testid', 'nested-body');
  if (shown.tagName === 'IFRAME') shown.setAttribute('title', t('nested.text', { subject: nested.subject || '' }).trim());
  return h('section', { class: 'nested-message', 'aria-labelledby': titleId, 'data-testid': 'nested-message' },
    h('p', { class: 'nested-kicker' }, t('nested.kicker')),
    h(depth === 0 ? 'h2' : 'h3', { id: titleId, class: 'nested-subject', 'data-testid': 'nested-subject', dir: 'auto' },
      nested.subject || t('message.no-subject')),
    h('dl', { class: 'message-meta' },
      meta(t('message.from'), nested.fromName && nested.from ? `${nested.fromName} <${nested.from.replace(/^.*<|>.*$/g, '')}>` : nested.from),
      meta(t('message.to-label'), to),
      date ? meta(t('message.date'), h('time', { datetime: date.toISOString() }, formatFullDate(date, ctx.locale))) : meta(t('message.date'), nested.date)),
    body,
    renderPartNotes(nested.notes, { id: parent.id, attachments: nested.attachments }),
    files,
    depth + 1 < MAX_DEPTH ? renderNestedMessages(ctx, parent, nested, { rights, depth: depth + 1, key }) : null);
}

/**
 * @param {object} ctx @param {{id: string}} parent the message whose attachments route serves every file
 * @param {{nested?: Array<object>}} holder the message (or attached message) whose attached messages to show
 */
export function renderNestedMessages(ctx, parent, holder, { rights, depth = 0, key = '' } = {}) {
  const items = Array.isArray(holder?.nested) ? holder.nested.filter((n) => n && typeof n === 'object') : [];
  if (items.length === 0) return null;
  return h('div', { class: 'nested-messages' },
    items.map((nested, i) => renderOne(ctx, parent, nested, { rights, depth, key: `${key}${key ? '-' : ''}${i}` })));
}
