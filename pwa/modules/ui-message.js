// The message screen: the subject, then the conversation with this message open — body first, under a
// compact header. Expired, withdrawn, not-for-you and damaged messages get a full screen that says what to do.

import { laterWords, t } from './i18n.js';
import { h, screenHeading, skeleton } from './dom.js';
import { renderErrorScreen } from './ui-error-screen.js';
import { renderMessageBody } from './ui-message-body.js';
import { renderMessagePart } from './ui-message-part.js';

function renderLoaded(ctx, message, bodySlot) {
  const { element, rename, rights } = renderMessagePart(ctx, message, { body: bodySlot });
  // Page-wide: print shows a notice instead of the page, copying of the app's text is discouraged.
  // app.js removes them on every navigation and puts them back when a kept screen returns.
  const restrictions = [rights.canPrint ? null : 'no-print', rights.canCopy ? null : 'no-copy'].filter(Boolean);
  document.body.classList.add(...restrictions);
  const earlier = h('ol', { class: 'thread-list thread-earlier' });
  const later = h('ol', { class: 'thread-list thread-later' });
  const open = h('div', { class: 'thread-open' }, element);
  const root = h('div', { class: 'conversation' }, earlier, open, later);
  // The conversation around it comes after the message itself: its module and words load meanwhile.
  Promise.all([import('./ui-thread.js'), laterWords()]).then(([{ renderConversation }]) => {
    if (!ctx.signal.aborted) renderConversation(ctx, message, { root, earlier, later, open, rename });
  }).catch(() => null);
  return h(
    'article',
    { class: 'screen message', 'data-testid': 'message', 'data-id': message.id, 'data-restrictions': restrictions.join(' ') },
    screenHeading(message.subject || t('message.no-subject'), 1, { 'data-testid': 'message-subject', dir: 'auto' }),
    root,
    onFirstUse(ctx, () => import('./ui-access-log.js'), 'renderMessageAccess', message),
    // The install card after a read; or, once after a sign-in by code, the offer of a passkey.
    ctx.storage.getItem('mailseal.passkey-offer') === 'due'
      ? onFirstUse(ctx, () => import('./ui-passkey-offer.js'), 'renderPasskeyOffer')
      : onFirstUse(ctx, () => import('./ui-install-nudge.js'), 'renderInstallNudge'),
  );
}


/**
 * The HTML body's frame, started at once beside the view's request instead of after it (one round trip
 * less; the body is the largest download). It waits hidden at the end of the page and is moved into
 * place with `moveBefore`, which keeps a frame loaded (Chromium 133+; elsewhere nothing is started early).
 * A text-only message's guess is a 404 that is thrown away.
 */
/*
 * Whether a message has an HTML body, remembered for this tab (sessionStorage: ids only, nothing of the
 * content), so that a text-only message opened again does not start a frame that would only get a 404.
 */
const BODY_KINDS = 'mailseal-body-kinds';

function bodyKinds() {
  try {
    return JSON.parse(sessionStorage.getItem(BODY_KINDS) ?? '{}') ?? {};
  } catch {
    return {};
  }
}

function knownTextOnly(id) {
  return bodyKinds()[id] === 'text';
}

function rememberBodyKind(message) {
  try {
    const kinds = bodyKinds();
    kinds[message.id] = typeof message.bodyUrl === 'string' ? 'html' : 'text';
    const ids = Object.keys(kinds);
    for (const old of ids.slice(0, Math.max(0, ids.length - 200))) delete kinds[old];
    sessionStorage.setItem(BODY_KINDS, JSON.stringify(kinds));
  } catch {
    // storage off: every open simply starts the frame
  }
}

/** What reading does not need (the install card or passkey offer, the access log): its module and its words
 * load on first use. */
function onFirstUse(ctx, load, render, message) {
  const slot = h('div', {});
  Promise.all([load(), laterWords()])
    .then(([module]) => { if (!ctx.signal.aborted) slot.replaceWith(module[render](ctx, message) ?? ''); })
    .catch(() => slot.remove());
  return slot;
}

export function startBodyFrame(id, signal) {
  if (typeof Element.prototype.moveBefore !== 'function' || knownTextOnly(id)) return null;
  const box = renderMessageBody({ bodyUrl: `/api/messages/${encodeURIComponent(id)}/body` }, { canCopy: true }, signal);
  box.hidden = true;
  document.body.append(box);
  return box;
}

/** Keep the view's metadata (not its text) for the attachment screen: in memory, the last five. */
function rememberView(views, message) {
  if (!views) return;
  views.delete(message.id);
  views.set(message.id, { ...message, text: null });
  while (views.size > 5) views.delete(views.keys().next().value);
}

export function renderMessage(ctx) {
  const { id } = ctx.route.params;
  const loading = () =>
    h('div', { class: 'screen message', 'data-testid': 'message-loading', 'aria-busy': 'true' },
      h('p', { class: 'visually-hidden', role: 'status' }, t('message.opening')),
      skeleton(3, { class: 'skeleton message-skeleton-head' }),
      h('div', { class: 'skeleton message-frame', 'aria-hidden': 'true' }));
  const content = h('div', { class: 'message-content' }, loading());
  // What app.js started alongside the session on a cold start, else start both now.
  const started = ctx.session.takePrefetched?.(id);
  const view = started?.promise ?? ctx.api.message(id, { signal: ctx.signal });
  let early = started ? started.frame : startBodyFrame(id, ctx.signal);
  ctx.signal.addEventListener('abort', () => early?.remove(), { once: true });
  const root = h('div', { class: 'message-slot' }, content);

  function place(message) {
    rememberBodyKind(message);
    const usable = early && message.bodyUrl === early.querySelector('iframe')?.getAttribute('src');
    const slot = usable ? h('div', { class: 'body-slot' }) : null;
    content.replaceChildren(renderLoaded(ctx, message, slot));
    if (usable) {
      slot.parentNode.moveBefore(early, slot);
      slot.remove();
      early.hidden = false;
    } else {
      early?.remove();
    }
    early = null;
  }

  async function load({ retry = false } = {}) {
    if (!content.firstElementChild?.matches('[data-testid=message-loading]')) content.replaceChildren(loading());
    try {
      const message = await (retry ? ctx.api.message(id, { signal: ctx.signal }) : view);
      if (ctx.signal.aborted) return;
      rememberView(ctx.session.views, message);
      const cached = ctx.session.inbox?.find((m) => m.id === id);
      if (cached) cached.unread = false;
      place(message);
      dispatchEvent(new CustomEvent('mailseal:read', { detail: message })); // for offline reading
    } catch (error) {
      if (ctx.signal.aborted || error?.code === 'auth.required') return;
      early?.remove();
      early = null;
      content.replaceChildren(renderErrorScreen(ctx, error, { retry: () => load({ retry: true }) }));
    }
    ctx.focusHeading(root);
  }
  load();
  return root;
}
