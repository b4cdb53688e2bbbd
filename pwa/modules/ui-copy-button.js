// A button that copies one value (an address) and says so.

import { h } from './dom.js';

export function renderCopyButton(ctx, value, label = 'Copy') {
  return h('button', {
    type: 'button',
    class: 'button secondary small',
    'aria-label': label,
    'data-testid': 'copy-button',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(value);
        ctx.toast('Copied.');
      } catch {
        ctx.toast('Copying is not available here. Press and hold the address to select it.');
      }
    },
  }, 'Copy');
}
