// The inbox's count and the loading of older pages as the person scrolls (loaded after the first page
// shows). An IntersectionObserver watches a mark below the list with a margin of a screen or so, so the
// next page is usually there before it is scrolled to; while it stays in sight (a tall screen, a short
// page), the next page follows. Offline, a failed page waits for the connection (or a tap) to try again.

import { h } from './dom.js';
import { t } from './i18n.js';
import { appendPage } from './inbox-pages.js';

/**
 * @param {object} ctx the screen's context (api, signal)
 * @param {{onPages: (pages: object) => void, onStale: () => void}} hooks `onPages` shows the pages loaded;
 *   `onStale` starts again from the first page (the cursor was refused, e.g. from before a server move)
 */
export function createInboxMore(ctx, { onPages, onStale }) {
  const count = h('p', { class: 'inbox-count', 'data-testid': 'inbox-count', hidden: true });
  const more = h('div', { class: 'inbox-more', 'data-testid': 'inbox-more', role: 'status' });
  let pages = null;
  let loading = false;
  let failed = false;

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) next();
  }, { rootMargin: '0px 0px 100% 0px' });
  observer.observe(more);
  ctx.signal.addEventListener('abort', () => observer.disconnect(), { once: true });
  addEventListener('online', () => { if (failed) next(); }, { signal: ctx.signal });

  function render() {
    const total = pages?.total;
    count.hidden = total === null || total === undefined || total === 0;
    if (!count.hidden) {
      count.textContent = pages.unread ? t('inbox-pages.count-unread', { total, unread: pages.unread }) : t('inbox-pages.count', { total });
    }
    more.dataset.state = loading ? 'loading' : failed ? 'failed' : pages?.nextCursor ? 'more' : 'end';
    if (loading) {
      more.replaceChildren(h('span', { class: 'inbox-more-spinner', 'aria-hidden': 'true' }), t('inbox-pages.loading'));
    } else if (failed) {
      more.replaceChildren(t('inbox-pages.failed'), ' ',
        h('button', { type: 'button', class: 'button secondary', 'data-testid': 'inbox-more-retry', onclick: () => next() }, t('inbox-pages.retry')));
    } else {
      more.replaceChildren();
    }
  }

  async function next() {
    if (loading || !pages?.nextCursor || ctx.signal.aborted) return;
    loading = true;
    failed = false;
    render();
    try {
      const answer = await ctx.api.messagesPage(pages.nextCursor, { signal: ctx.signal });
      loading = false;
      onPages(appendPage(pages, answer));
    } catch (error) {
      loading = false;
      if (ctx.signal.aborted || error?.code === 'auth.required') return;
      if (error?.code === 'inbox.bad-cursor') {
        onStale();
        return;
      }
      failed = true;
      render();
    }
  }

  return {
    count,
    more,
    /** The pages now shown; looks again whether the mark is in sight (then the next page is asked for). */
    update(shown) {
      pages = shown;
      render();
      observer.unobserve(more);
      if (pages.nextCursor) observer.observe(more);
    },
  };
}
