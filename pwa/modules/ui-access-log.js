// The access log, for the people it is about: what is recorded about a message for its reader (in the
// message's details), the same for all their messages (a screen from Settings), and the messages they
// sent, who opened each and when, with a revoke. Loaded on first use; the server decides who sees what.

import { CSRF_COOKIE, CSRF_HEADER, readCookie } from './api.js';
import { busy, h, screenHeading, skeleton } from './dom.js';
import { formatFullDate } from './format.js';
import { t } from './i18n.js';
import { ApiError, CLIENT_CODES, friendly, problemToError } from './problems.js';
import { paths } from './router.js';

/** Set once the reader has acknowledged that opens are recorded (this device only). */
export const NOTICE_SEEN = 'mailseal.accesslog.notice-seen';
const PAGE = 20;

async function call(method, path, signal) {
  const headers = { accept: 'application/json, application/problem+json' };
  if (method !== 'GET') headers[CSRF_HEADER] = readCookie(document.cookie, CSRF_COOKIE) ?? '';
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin', signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError({ code: CLIENT_CODES.network });
  }
  const data = await response.json().catch(() => null);
  if (response.ok) return data;
  throw problemToError(response.status, data, response.headers.get('retry-after'));
}

const id = (value) => encodeURIComponent(value);
export const accessApi = {
  message: (messageId, signal) => call('GET', `/api/messages/${id(messageId)}/access-log`, signal),
  mine: (before, signal) => call('GET', `/api/access-log?limit=${PAGE}${before ? `&before=${id(before)}` : ''}`, signal),
  sent: (before, signal) => call('GET', `/api/sent?limit=${PAGE}${before ? `&before=${id(before)}` : ''}`, signal),
  revoke: (messageId, signal) => call('POST', `/api/sent/${id(messageId)}/revoke`, signal),
};

/** One event in words: what happened, to which address, from which of the person's devices. */
export function describeEvent(event) {
  const address = event.address ?? '';
  let what;
  if (event.kind === 'opened' && event.by === 'organisation') what = t('accesslog.event.opened-for', { address });
  else if (event.kind === 'revoked' || event.kind === 'expired') what = t(`accesslog.event.${event.kind}`, { by: event.by || 'other' });
  else if (KNOWN.has(event.kind)) what = t(`accesslog.event.${event.kind}`, { address });
  else what = t('accesslog.event.other', { kind: String(event.kind) });
  let device = '';
  if (event.thisDevice) device = t('accesslog.device.this');
  else if (event.deviceSignedOut) device = t('accesslog.device.signed-out');
  else if (event.device) device = t('accesslog.device.named', { device: event.device });
  return { what, device };
}
const KNOWN = new Set(['delivered', 'forwarded', 'listed', 'opened', 'opened-attachment', 'refused', 'refused-someone-else',
  'replied', 'replied-all', 'reply-started', 'sent']);

function renderEvents(ctx, events) {
  if (!events.length) return h('p', { class: 'help' }, t('accesslog.none'));
  return h('ol', { class: 'rows', 'data-testid': 'access-events' }, events.map((event) => {
    const { what, device } = describeEvent(event);
    return h('li', { class: 'row', 'data-testid': 'access-event', 'data-kind': event.kind, 'data-address': event.address || null },
      h('span', { class: 'row-main' },
        h('span', { class: 'row-title' }, what),
        h('span', { class: 'help' }, [formatFullDate(event.at, ctx.locale), device].filter(Boolean).join(' · '))));
  }));
}

function problemLine(failure, retry) {
  const words = friendly(failure);
  return [h('p', { class: 'field-error', role: 'alert' }, `${words.heading}. ${words.text}`),
    h('button', { type: 'button', class: 'button secondary small', onclick: retry }, t('accesslog.retry'))];
}

/** Ask, then revoke through the server; `done(answer)` after a revoke, nothing when the person says no. */
function revokeButton(ctx, message, done) {
  const button = h('button', { type: 'button', class: 'button danger small', 'data-testid': 'revoke' }, t('accesslog.revoke'));
  button.addEventListener('click', async () => {
    if (!confirm(t('accesslog.revoke-confirm', { subject: message.subject || t('accesslog.no-subject') }))) return;
    const undo = busy(button, t('accesslog.revoking'));
    try {
      const answer = await accessApi.revoke(message.messageId, ctx.signal);
      ctx.toast(t('accesslog.revoked'));
      done(answer);
    } catch (failure) {
      if (!ctx.signal.aborted) ctx.toast(friendly(failure).heading);
      undo();
    }
  });
  return button;
}

function explain(log) {
  return h('p', { class: 'help', 'data-testid': 'access-role', 'data-role': log.role },
    log.role === 'sender' ? t('accesslog.explain-sender') : t('accesslog.explain-recipient'));
}

/** The message's details: a section that loads its log when first opened. */
function renderDetails(ctx, message) {
  const body = h('div', {}, skeleton(2));
  const details = h('details', { class: 'card access-log', 'data-testid': 'access-log' },
    h('summary', { class: 'row-title' }, t('accesslog.summary')), body);
  async function load() {
    body.replaceChildren(skeleton(2));
    try {
      const log = await accessApi.message(message.id, ctx.signal);
      const revoke = log.role === 'sender' && log.state === 'ok' ? revokeButton(ctx, log, load) : null;
      body.replaceChildren(explain(log), renderEvents(ctx, log.events ?? []), revoke ?? '');
    } catch (failure) {
      if (!ctx.signal.aborted) body.replaceChildren(...problemLine(failure, load));
    }
  }
  details.addEventListener('toggle', () => {
    if (details.open && !details.dataset.loaded) {
      details.dataset.loaded = 'true';
      load();
    }
  });
  return details;
}

/** Told where they first open a message: opens are recorded, and the sender can see them. */
function renderNotice(ctx) {
  let seen = null;
  try { seen = localStorage.getItem(NOTICE_SEEN); } catch { seen = 'unknown'; }
  if (seen) return null;
  const notice = h('div', { class: 'notice access-notice', role: 'note', 'data-testid': 'access-notice' },
    h('p', {}, t('accesslog.notice')));
  const ok = h('button', { type: 'button', class: 'button secondary small', 'data-testid': 'access-notice-ok' }, t('accesslog.notice-ok'));
  ok.addEventListener('click', () => {
    try { localStorage.setItem(NOTICE_SEEN, String(Date.now())); } catch { /* shown again next time */ }
    notice.remove();
  });
  notice.append(h('p', {}, ok, ' ', h('a', { href: paths.accessLog() }, t('accesslog.notice-more'))));
  return notice;
}

/** What the message screen shows of the access log: the notice (the first time) and the details. */
/** The lazily loaded screens' styles (app.js links them for whole screens; the message screen has none). */
function screenStyles() {
  if (!document.querySelector('link[href="/screens.css"]')) document.head.append(h('link', { rel: 'stylesheet', href: '/screens.css' }));
}

export function renderMessageAccess(ctx, message) {
  screenStyles();
  // After the message, not above it: on a phone the body comes first (tests/browser/test_pwa_phone.py).
  return h('div', { class: 'access-log-slot' }, renderNotice(ctx), renderDetails(ctx, message));
}

/** Settings: where the log of every message and the list of sent messages are. */
export function renderAccessLogCard() {
  return h('section', { class: 'card', 'aria-labelledby': 'access-title', 'data-testid': 'access-card' },
    h('h2', { id: 'access-title' }, t('accesslog.card-title')),
    h('p', { class: 'help' }, t('accesslog.card-help')),
    h('p', {}, h('a', { class: 'button secondary wide', href: paths.accessLog(), 'data-testid': 'access-log-link' }, t('accesslog.card-mine'))),
    h('p', {}, h('a', { class: 'button secondary wide', href: paths.sent(), 'data-testid': 'sent-link' }, t('accesslog.card-sent'))));
}

/** A paged list: `fetchPage(before)` answers `{messages, next}`; `renderItem` draws one message. */
function pagedList(ctx, { testid, fetchPage, renderItem, empty }) {
  const list = h('ul', { class: 'access-list', 'data-testid': testid });
  const more = h('button', { type: 'button', class: 'button secondary wide', 'data-testid': 'access-more', hidden: true }, t('accesslog.more'));
  const status = h('div', {}, skeleton(3));
  let next = '';
  async function load() {
    const undo = next ? busy(more, t('accesslog.loading')) : () => {};
    try {
      const page = await fetchPage(next, ctx.signal);
      const messages = Array.isArray(page?.messages) ? page.messages : [];
      list.append(...messages.map((m) => h('li', { class: 'card', 'data-testid': `${testid}-item`, 'data-id': m.messageId }, renderItem(m))));
      next = page?.next ?? '';
      more.hidden = !next;
      status.replaceChildren(list.childElementCount ? '' : h('p', { class: 'help', 'data-testid': `${testid}-empty` }, empty));
    } catch (failure) {
      if (!ctx.signal.aborted && failure?.code !== 'auth.required') status.replaceChildren(...problemLine(failure, load));
    } finally {
      undo();
    }
  }
  more.addEventListener('click', load);
  load();
  return [status, list, more];
}

function messageHeading(message) {
  const state = message.state === 'ok' ? null
    : h('span', { class: 'badge badge-dead', 'data-testid': 'access-state' }, t(`accesslog.state.${message.state === 'revoked' ? 'revoked' : 'expired'}`));
  const subject = message.subject || t(state ? 'accesslog.subject-gone' : 'accesslog.no-subject');
  return h('h2', { class: 'row-title' }, subject, state ? ' ' : '', state ?? '');
}

/** Settings → the log of every message of this person, newest first. */
export function renderAccessLogScreen(ctx) {
  return h('section', { class: 'screen access-screen', 'data-testid': 'access-log-screen' },
    screenHeading(t('accesslog.mine-title')),
    h('p', { class: 'help' }, t('accesslog.mine-help')),
    pagedList(ctx, {
      testid: 'access-messages',
      fetchPage: accessApi.mine,
      empty: t('accesslog.mine-empty'),
      renderItem: (m) => [messageHeading(m),
        h('p', { class: 'help' }, t('accesslog.from', { sender: m.sender, date: formatFullDate(m.createdAt, ctx.locale) })),
        renderEvents(ctx, m.events ?? [])],
    }));
}

function renderReader(ctx, reader) {
  const opened = reader.opens > 0
    ? t('accesslog.reader.opened', { date: formatFullDate(reader.firstOpenedAt, ctx.locale), count: reader.opens })
    : t('accesslog.reader.not-opened');
  return h('li', { class: 'row', 'data-testid': 'reader', 'data-address': reader.address, 'data-opens': String(reader.opens) },
    h('span', { class: 'row-main' }, h('span', { class: 'row-title address' }, reader.address), h('span', { class: 'help' }, opened)));
}

/** The messages this person sent: who opened each and when, the full log on request, and a revoke. */
export function renderSentScreen(ctx) {
  function renderSent(message) {
    const actions = h('p', { class: 'access-actions' });
    const item = [messageHeading(message),
      h('p', { class: 'help' }, t('accesslog.sent-at', { date: formatFullDate(message.createdAt, ctx.locale) })),
      h('ul', { class: 'rows', 'data-testid': 'readers' }, (message.recipients ?? []).map((r) => renderReader(ctx, r))),
      renderDetails(ctx, { id: message.messageId }), actions];
    if (message.state === 'ok') {
      actions.append(revokeButton(ctx, message, () => {
        const card = document.querySelector(`[data-testid=sent-messages-item][data-id="${CSS.escape(message.messageId)}"]`);
        card?.replaceChildren(...[messageHeading({ ...message, state: 'revoked' }), ...item.slice(1, 4)].flat());
      }));
    }
    return item;
  }
  return h('section', { class: 'screen access-screen', 'data-testid': 'sent-screen' },
    screenHeading(t('accesslog.sent-title')),
    h('p', { class: 'help' }, t('accesslog.sent-help')),
    pagedList(ctx, { testid: 'sent-messages', fetchPage: accessApi.sent, empty: t('accesslog.sent-empty'), renderItem: renderSent }));
}
