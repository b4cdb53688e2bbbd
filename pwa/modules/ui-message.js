// The message screen: the subject, then the conversation with this message open — body first, under a
// compact header. Expired, withdrawn, not-for-you and damaged messages get a full screen that says what to do.

import { h, screenHeading, skeleton } from './dom.js';
import { renderErrorScreen } from './ui-error-screen.js';
import { renderMessagePart } from './ui-message-part.js';
import { renderConversation } from './ui-thread.js';

function renderLoaded(ctx, message) {
  const { element, rename, rights } = renderMessagePart(ctx, message);
  // Page-wide: print shows a notice instead of the page, copying of the app's text is discouraged.
  document.body.classList.toggle('no-print', !rights.canPrint);
  document.body.classList.toggle('no-copy', !rights.canCopy);
  ctx.signal.addEventListener('abort', () => document.body.classList.remove('no-print', 'no-copy'), { once: true });
  const earlier = h('ol', { class: 'thread-list thread-earlier' });
  const later = h('ol', { class: 'thread-list thread-later' });
  const open = h('div', { class: 'thread-open' }, element);
  const root = h('div', { class: 'conversation' }, earlier, open, later);
  renderConversation(ctx, message, { root, earlier, later, open, rename });
  return h(
    'article',
    { class: 'screen message', 'data-testid': 'message', 'data-id': message.id },
    screenHeading(message.subject || '(no subject)', 1, { 'data-testid': 'message-subject' }),
    root,
  );
}

/** The view of `id`: the one app.js started fetching alongside the session, else a new request. */
function fetchView(ctx, id) {
  const early = ctx.session.takePrefetched?.(id);
  return early ?? ctx.api.message(id, { signal: ctx.signal });
}

export function renderMessage(ctx) {
  const { id } = ctx.route.params;
  const loading = () =>
    h('div', { class: 'screen message', 'data-testid': 'message-loading', 'aria-busy': 'true' },
      h('p', { class: 'visually-hidden', role: 'status' }, 'Opening the message…'),
      skeleton(3, { class: 'skeleton message-skeleton-head' }),
      h('div', { class: 'skeleton message-frame', 'aria-hidden': 'true' }));
  const root = h('div', { class: 'message-slot' }, loading());

  async function load({ retry = false } = {}) {
    if (!root.firstElementChild?.matches('[data-testid=message-loading]')) root.replaceChildren(loading());
    try {
      const message = await (retry ? ctx.api.message(id, { signal: ctx.signal }) : fetchView(ctx, id));
      if (ctx.signal.aborted) return;
      const cached = ctx.session.inbox?.find((m) => m.id === id);
      if (cached) cached.unread = false;
      root.replaceChildren(renderLoaded(ctx, message));
    } catch (error) {
      if (ctx.signal.aborted || error?.code === 'auth.required') return;
      root.replaceChildren(renderErrorScreen(ctx, error, { retry: () => load({ retry: true }) }));
    }
    ctx.focusHeading(root);
  }
  load();
  return root;
}
