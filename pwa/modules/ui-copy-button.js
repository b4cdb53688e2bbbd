// A button that copies one value (an address) and says so.

import { h } from './dom.js';
import { t } from './i18n.js';

export function renderCopyButton(ctx, value, label = t('copy.copy')) {
  return h('button', {
    type: 'button',
    class: 'button secondary small',
    'aria-label': label,
    'data-testid': 'copy-button',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(value);
        ctx.toast(t('copy.copied'));
      } catch {
        ctx.toast(t('copy.unavailable'));
      }
    },
  }, t('copy.copy'));
}
