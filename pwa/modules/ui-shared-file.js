// A file shared to Mailseal (or the server's share fallback reporting a failure): upload it, open it.

import { h, screenHeading, skeleton } from './dom.js';
import { t } from './i18n.js';
import { ApiError, CLIENT_CODES } from './problems.js';
import { paths } from './router.js';
import { removeShare, takeShare } from './share.js';
import { renderErrorScreen } from './ui-error-screen.js';

const KEEP_FILE = new Set(['network', 'timeout', 'server', 'rate-limited', 'rate-limited.client', 'csrf.failed', 'auth.required']);

/** Route 'share-failed': the server's fallback could not take the file (`/?error=<code>`). */
export function renderShareFailed(ctx) {
  const { code } = ctx.route.params;
  const extra = code === 'auth.required' ? t('shared.sign-in-first') : undefined;
  return renderErrorScreen(ctx, { code }, { extra });
}

/** Route 'shared': the service worker kept the file under `?shared=<key>`. */
export function renderSharedFile(ctx) {
  const { key } = ctx.route.params;
  const progress = () =>
    h('section', { class: 'screen', 'data-testid': 'share-progress', 'aria-busy': 'true' },
      screenHeading(t('shared.opening')),
      h('p', { class: 'help', role: 'status' }, t('shared.uploading')),
      skeleton(3));
  const root = h('div', {}, progress());

  async function run() {
    if (!root.querySelector('[data-testid=share-progress]')) root.replaceChildren(progress());
    try {
      const file = ctx.caches ? await takeShare(ctx.caches, key) : null;
      if (!file) throw new ApiError({ code: CLIENT_CODES.shareMissing });
      const { id } = await ctx.api.upload(file, { signal: ctx.signal });
      await removeShare(ctx.caches, key);
      ctx.navigate(paths.message(id), { replace: true });
    } catch (error) {
      if (ctx.signal.aborted || error?.code === 'auth.required') return;
      if (!KEEP_FILE.has(error?.code)) await removeShare(ctx.caches, key).catch(() => null);
      root.replaceChildren(renderErrorScreen(ctx, error, { retry: run }));
      ctx.focusHeading(root);
    }
  }
  run();
  return root;
}
