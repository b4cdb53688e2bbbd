// One message: who, when, how it is protected and what the reader may do, then the body and attachments.
// Expired, withdrawn, not-for-you and damaged messages get a full screen that says what to do.

import { h, icon, screenHeading, skeleton, srOnly } from './dom.js';
import { formatFullDate, toDate } from './format.js';
import { describeRights } from './rights.js';
import { paths } from './router.js';
import { renderAttachments } from './ui-attachments.js';
import { expiryBadge, templateBadge } from './ui-badges.js';
import { renderErrorScreen } from './ui-error-screen.js';
import { renderMessageBody } from './ui-message-body.js';
import { renderNestedMessages } from './ui-nested-message.js';
import { renderPartNotes } from './ui-part-note.js';
import { renderThread } from './ui-thread.js';

function addressLine(label, values) {
  const list = (Array.isArray(values) ? values : []).filter((v) => typeof v === 'string' && v);
  if (list.length === 0) return null;
  return [h('dt', {}, label), h('dd', {}, list.join(', '))];
}

function renderRights(message, rights) {
  return h(
    'div',
    { class: rights.restricted ? 'rights rights-restricted' : 'rights', 'data-testid': 'rights' },
    icon('lock'),
    h('div', {},
      h('p', { class: 'rights-summary' }, rights.summary),
      rights.restricted
        ? h('p', { class: 'help', 'data-testid': 'restriction-note' },
            message.template === 'do-not-forward'
              ? 'Do-Not-Forward: this message is for you only. Please do not pass it on.'
              : 'Please respect what the sender allows.')
        : null),
  );
}

/** Reply, Reply all and Forward, each only when the message's rights allow it. */
function renderActions(message) {
  const rights = new Set(Array.isArray(message.rights) ? message.rights : []);
  const parties = new Set([message.from, ...(Array.isArray(message.to) ? message.to : [])].filter(Boolean));
  const links = [
    rights.has('reply') ? h('a', { class: 'button primary', href: paths.compose(message.id, 'reply'), 'data-testid': 'reply' }, 'Reply') : null,
    rights.has('reply-all') && parties.size > 2
      ? h('a', { class: 'button secondary', href: paths.compose(message.id, 'reply-all'), 'data-testid': 'reply-all' }, 'Reply all')
      : null,
    rights.has('forward') ? h('a', { class: 'button secondary', href: paths.compose(message.id, 'forward'), 'data-testid': 'forward' }, 'Forward') : null,
  ].filter(Boolean);
  if (links.length === 0) return null;
  return h('nav', { class: 'message-actions', 'aria-label': 'Answer', 'data-testid': 'message-actions' }, links);
}

function renderLoaded(ctx, message) {
  const rights = describeRights(message.rights);
  const date = toDate(message.date);
  // Page-wide: print shows a notice instead of the page, copying of the app's text is discouraged.
  document.body.classList.toggle('no-print', !rights.canPrint);
  document.body.classList.toggle('no-copy', !rights.canCopy);
  ctx.signal.addEventListener('abort', () => document.body.classList.remove('no-print', 'no-copy'), { once: true });
  const blocked = Number.isInteger(message.remoteImagesBlocked) ? message.remoteImagesBlocked : 0;
  return h(
    'article',
    { class: 'screen message', 'data-testid': 'message', 'data-id': message.id },
    h('header', { class: 'message-header' },
      screenHeading(message.subject || '(no subject)', 1, { 'data-testid': 'message-subject' }),
      h('p', { class: 'message-from' },
        srOnly('From: '),
        h('strong', { 'data-testid': 'message-from' }, message.fromName || message.from || 'Unknown sender'),
        message.fromName && message.from ? h('span', { class: 'muted' }, ` <${message.from}>`) : null),
      h('dl', { class: 'message-meta' },
        addressLine('To', message.to),
        addressLine('Cc', message.cc),
        date ? [h('dt', {}, 'Date'), h('dd', {}, h('time', { datetime: date.toISOString() }, formatFullDate(date, ctx.locale)))] : null),
      h('p', { class: 'badges' }, templateBadge(message.template), expiryBadge(message.expiresAt, new Date(), ctx.locale)),
      renderRights(message, rights),
      renderActions(message)),
    blocked > 0
      ? h('p', { class: 'notice', 'data-testid': 'remote-images-notice' },
          blocked === 1 ? '1 remote image was blocked' : `${blocked} remote images were blocked`,
          ' to protect your privacy (they could tell the sender when you read this).')
      : null,
    message.bodyTooLarge === true
      ? h('p', { class: 'notice', 'data-testid': 'body-too-large-notice' },
          'Part of this message is too long to show here. It is among the attachments below, to open or save.')
      : null,
    renderMessageBody(message, rights),
    renderPartNotes(message.notes, message, ctx.api.attachmentUrl),
    renderNestedMessages(ctx, message, message, { rights }),
    renderAttachments(message, { canSave: rights.canSave, locale: ctx.locale, url: ctx.api.attachmentUrl }),
    renderThread(ctx, message.id),
  );
}

export function renderMessage(ctx) {
  const { id } = ctx.route.params;
  const loading = () =>
    h('div', { class: 'screen message', 'data-testid': 'message-loading', 'aria-busy': 'true' },
      h('p', { class: 'visually-hidden', role: 'status' }, 'Opening the message…'),
      skeleton(3, { class: 'skeleton message-skeleton-head' }),
      h('div', { class: 'skeleton message-frame', 'aria-hidden': 'true' }));
  const root = h('div', { class: 'message-slot' }, loading());

  async function load() {
    if (!root.firstElementChild?.matches('[data-testid=message-loading]')) root.replaceChildren(loading());
    try {
      const message = await ctx.api.message(id, { signal: ctx.signal });
      const cached = ctx.session.inbox?.find((m) => m.id === id);
      if (cached) cached.unread = false;
      root.replaceChildren(renderLoaded(ctx, message));
    } catch (error) {
      if (ctx.signal.aborted || error?.code === 'auth.required') return;
      root.replaceChildren(renderErrorScreen(ctx, error, { retry: load }));
    }
    ctx.focusHeading(root);
  }
  load();
  return root;
}
