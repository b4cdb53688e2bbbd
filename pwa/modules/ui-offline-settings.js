// Settings: "Keep messages on this phone to read offline" (off by default, per device), what is kept and
// since when, and what turning it off does. The offline store's modules load only once it is on.

import { h } from './dom.js';
import { formatFullDate, formatRelativeDate, formatSize } from './format.js';
import { locale, t } from './i18n.js';
import { friendly } from './problems.js';

export const OFFLINE_SETTING = 'mailseal.offline';  // offline-keep.js names the same key

const keeper = () => import('./offline-keep.js');

export function renderOfflineSettings(ctx) {
  const input = h('input', {
    type: 'checkbox', role: 'switch', id: 'offline', class: 'switch', 'aria-describedby': 'offline-help offline-state',
    'data-testid': 'offline-switch', checked: Boolean(ctx.storage.getItem(OFFLINE_SETTING)),
  });
  const state = h('p', { id: 'offline-state', class: 'help', role: 'status', 'data-testid': 'offline-state' });

  async function showState() {
    if (!input.checked) return state.replaceChildren(t('offline.settings-off'));
    const { keptSummary } = await keeper();
    const kept = await keptSummary();
    if (ctx.signal.aborted) return null;
    return state.replaceChildren(kept.messages === 0
      ? t('offline.settings-none')
      : t('offline.settings-kept', {
          count: kept.messages, size: formatSize(kept.bytes, locale()), since: formatFullDate(kept.since, locale()),
          checked: formatRelativeDate(kept.confirmedAt, new Date(), locale()),
        }));
  }

  input.addEventListener('change', async () => {
    const on = input.checked;
    input.disabled = true;
    try {
      const module = await keeper();
      if (on) {
        const answer = await ctx.api.confirmOffline([], { signal: ctx.signal });
        if (!answer.policy.enabled) {
          input.checked = false;
          state.replaceChildren(t('offline.settings-forbidden'));
          return;
        }
        ctx.storage.setItem(OFFLINE_SETTING, '1');
        module.startKeeping(ctx.api, ctx.storage, { toast: ctx.toast });
        if (ctx.session.inbox) await module.keepInbox(ctx.api, { messages: ctx.session.inbox }).catch(() => null);
        ctx.toast(t('offline.settings-on-toast'));
      } else {
        await module.forgetDevice(ctx.storage);
        ctx.toast(t('offline.settings-off-toast'));
      }
      await showState();
    } catch (failure) {
      input.checked = !on;
      if (!ctx.signal.aborted) ctx.toast(friendly(failure).heading);
    } finally {
      input.disabled = false;
    }
  });
  addEventListener('mailseal:offline-changed', () => { showState().catch(() => null); }, { signal: ctx.signal });
  showState().catch(() => null);

  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'offline-title', 'data-testid': 'offline-settings' },
    h('h2', { id: 'offline-title' }, t('offline.settings-title')),
    h('div', { class: 'row' }, h('label', { for: 'offline', class: 'row-main row-title' }, t('offline.settings-switch')), input),
    h('p', { id: 'offline-help', class: 'help' }, t('offline.settings-help')),
    state,
  );
}
