// The inbox: every message for every verified address, newest first, a page at a time (older pages load
// as the person scrolls: ui-inbox-more.js); refresh, pull to refresh, open a file, and an empty state that
// explains the three ways a message gets here.

import { groupByThread } from './conversation.js';
import { firstPage, refreshPages } from './inbox-pages.js';
import { busy, h, icon, screenHeading, skeleton } from './dom.js';
import { peopleOf } from './people.js';
import { isForeignCode } from './foreign-mail.js';
import { laterWords, t, tNodes } from './i18n.js';
import { friendly } from './problems.js';
import { paths } from './router.js';
import { renderCopyButton } from './ui-copy-button.js';
import { renderErrorScreen } from './ui-error-screen.js';
import { renderInboxItem } from './ui-inbox-item.js';

export const FILE_TYPES = '.html,.htm,.eml,message/rfc822,text/html';
const STALE_AFTER_MS = 60 * 1000;

function setAppBadge(count) {
  try {
    const result = count > 0 ? navigator.setAppBadge?.(count) : navigator.clearAppBadge?.();
    result?.catch?.(() => null);
  } catch {
    // badging is optional
  }
}

function renderEmpty(ctx, openFile) {
  const forward = ctx.session.me?.forwardAddress;
  return h(
    'div',
    { class: 'empty', 'data-testid': 'inbox-empty' },
    h('h2', {}, t('inbox.empty')),
    h('p', {}, t('inbox.empty-intro')),
    h(
      'ol',
      { class: 'ways' },
      h('li', {}, ...tNodes('inbox.way-link', { tap: h('strong', {}, t('inbox.way-link-tap')) })),
      h(
        'li', {},
        h('strong', {}, t('inbox.way-file')), ' ',
        t('inbox.way-file-how'), ' ',
        h('button', { type: 'button', class: 'button secondary', onclick: openFile }, t('inbox.open-file')),
      ),
      forward
        ? h(
            'li', {},
            ...tNodes('inbox.way-forward', { forward: h('strong', {}, t('inbox.way-forward-verb')) }),
            h('span', { class: 'copy-row' }, h('code', { class: 'address', 'data-testid': 'forward-address' }, forward),
              renderCopyButton(ctx, forward, t('inbox.copy-forward-address'))),
          )
        : null,
    ),
  );
}

export function renderInbox(ctx) {
  const cached = ctx.session.inbox;
  const list = h('div', { class: 'inbox-body' });
  const status = h('p', { class: 'visually-hidden', role: 'status', 'data-testid': 'inbox-status' });
  const alert = h('p', { class: 'alert', role: 'alert', 'data-testid': 'upload-error', hidden: true });
  const picker = h('input', { type: 'file', id: 'file-picker', accept: FILE_TYPES, hidden: true, 'aria-label': t('inbox.file') });
  const refresh = h('button', { type: 'button', class: 'icon-button', 'aria-label': t('inbox.refresh'), 'data-testid': 'refresh' }, icon('refresh'));
  const openButton = h('button', { type: 'button', class: 'button secondary wide', 'data-testid': 'open-file' }, icon('file'), t('inbox.open-file'));
  const indicator = h('p', { class: 'pull-indicator', 'aria-hidden': 'true' }, h('span', { class: 'pull-more' }, t('inbox.pull')), h('span', { class: 'pull-ready' }, t('inbox.release')));
  const head = h('div', { class: 'screen-head' }, screenHeading(t('inbox.title')), refresh);
  let loading = false;
  let loadedAt = 0;
  let pages = cached ? ctx.session.inboxPages ?? null : null; // pages kept from before belong with a cached inbox only
  let more = null; // the count and the older pages, loaded with the first page that has either
  const rows = new Map(); // message id -> its row as last drawn, kept while a page is added below

  const openFile = () => picker.click();

  function draw(messages, { below }) {
    if (!below) rows.clear();
    if (messages.length === 0) return list.replaceChildren(renderEmpty(ctx, openFile));
    let ul = list.querySelector(':scope > .inbox-list');
    if (!ul) list.replaceChildren(ul = h('ul', { class: 'inbox-list', 'aria-label': t('inbox.messages'), 'data-testid': 'inbox-list' }));
    const now = new Date();
    const people = peopleOf(messages); // one name per person across the inbox
    const items = groupByThread(messages).map((message) => {
      const key = JSON.stringify([message, people.name(message.from)]);
      const row = rows.get(message.id);
      if (row?.key === key) return row.li;
      const li = renderInboxItem(message, { now, locale: ctx.locale, people });
      rows.set(message.id, { key, li });
      return li;
    });
    let same = 0; // a page added below keeps every row above it in place: only the new ones are added
    while (same < items.length && ul.children[same] === items[same]) same += 1;
    if (same === ul.children.length) ul.append(...items.slice(same));
    else ul.replaceChildren(...items);
  }

  function show(next, { below = false } = {}) {
    pages = next;
    ctx.session.inbox = next.messages;
    ctx.session.inboxPages = next;
    draw(next.messages, { below });
    setAppBadge(next.unread ?? next.messages.filter((m) => m.unread === true).length);
    if (more) more.update(next);
    else if (next.nextCursor || next.total) {
      import('./ui-inbox-more.js').then(({ createInboxMore }) => {
        if (more || ctx.signal.aborted) return;
        more = createInboxMore(ctx, { onPages: (loaded) => show(loaded, { below: true }), onStale: () => load({ quiet: true, fresh: true }) });
        head.after(more.count);
        list.after(more.more);
        more.update(pages);
      }).catch(() => null);
    }
  }

  async function load({ quiet = false, fresh = false } = {}) {
    if (loading) return;
    loading = true;
    alert.hidden = true;
    const done = busy(refresh);
    if (quiet) status.textContent = t('inbox.updating');
    else list.replaceChildren(h('div', { 'data-testid': 'inbox-loading' }, Array.from({ length: 4 }, () => skeleton(3, { class: 'skeleton inbox-skeleton' }))));
    try {
      const answer = await ctx.api.messages({ signal: ctx.signal });
      loadedAt = Date.now();
      show(fresh ? firstPage(answer) : refreshPages(pages, answer));
      dispatchEvent(new CustomEvent('mailseal:inbox', { detail: answer })); // for offline reading
      status.textContent = quiet ? t('inbox.updated') : '';
    } catch (error) {
      if (ctx.signal.aborted || error?.code === 'auth.required') return;
      if (quiet && ctx.session.inbox) {
        const words = friendly(error);
        alert.textContent = `${t('inbox.update-failed')} ${t('error.sentence', { heading: words.heading })} ${words.text}`;
        alert.hidden = false;
        status.textContent = '';
      } else {
        list.replaceChildren(renderErrorScreen(ctx, error, { retry: () => load() }));
      }
    } finally {
      loading = false;
      done();
    }
  }

  picker.addEventListener('change', async () => {
    const file = picker.files?.[0];
    picker.value = '';
    if (!file) return;
    alert.hidden = true;
    const done = busy(openButton, t('inbox.opening'));
    try {
      const { id } = await ctx.api.upload(file, { signal: ctx.signal });
      ctx.navigate(paths.message(id));
    } catch (error) {
      if (ctx.signal.aborted || error?.code === 'auth.required') return;
      if (isForeignCode(error?.code)) {  // mail another system protected: its own screen, with the way to open it
        const [{ renderForeignMailScreen }] = await Promise.all([import('./ui-foreign-mail.js'), laterWords()]);  // rare: loaded on first use
        list.replaceChildren(renderForeignMailScreen(ctx, error));
        ctx.focusHeading(list);
        return;
      }
      const words = friendly(error);
      alert.replaceChildren(h('strong', {}, t('error.sentence', { heading: words.heading })), ` ${words.text}`, words.note ? ` ${words.note}` : '');
      alert.dataset.code = words.code;
      alert.hidden = false;
    } finally {
      done();
    }
  });
  openButton.addEventListener('click', openFile);
  refresh.addEventListener('click', () => load({ quiet: Boolean(ctx.session.inbox) }));
  // Loaded after the first paint: nobody pulls before the list is there.
  import('./ui-pull-to-refresh.js').then(({ attachPullToRefresh }) => {
    attachPullToRefresh(indicator, () => load({ quiet: Boolean(ctx.session.inbox) }), ctx.signal);
  }).catch(() => null);
  addEventListener('mailseal:new-message', () => load({ quiet: true }), { signal: ctx.signal });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && Date.now() - loadedAt > STALE_AFTER_MS) load({ quiet: true });
  }, { signal: ctx.signal });

  if (cached) {
    show(pages?.messages === cached ? pages : firstPage({ messages: cached }));
    load({ quiet: true });
  } else {
    load();
  }

  return h(
    'section',
    { class: 'screen inbox', 'data-testid': 'inbox' },
    indicator,
    head,
    openButton,
    picker,
    alert,
    status,
    list,
  );
}
