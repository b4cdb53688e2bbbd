// The message body. HTML goes only into a sandboxed frame (no scripts, no same origin: the frame cannot
// touch the app); plain text goes in as text. Mail content never becomes markup in the app's document.

import { h } from './dom.js';

export const FRAME_SANDBOX = 'allow-popups allow-popups-to-escape-sandbox';

/**
 * The server serves the sanitized body at `bodyUrl` under its own strict CSP (and `sandbox`), so the
 * mail keeps its inline styles without loosening the app's CSP. The view itself never carries the HTML.
 * @param {{text: string|null, bodyUrl?: string|null}} message @param {{canCopy: boolean}} rights
 */
export function renderMessageBody(message, { canCopy }) {
  if (typeof message.bodyUrl === 'string' && message.bodyUrl.startsWith('/api/messages/')) {
    return h('iframe', {
      class: 'message-frame',
      sandbox: FRAME_SANDBOX,
      src: message.bodyUrl,
      title: 'Message text',
      referrerpolicy: 'no-referrer',
      'data-testid': 'message-body',
    });
  }
  if (typeof message.text === 'string') {
    return h('div', { class: canCopy ? 'message-text' : 'message-text no-select', 'data-testid': 'message-body', tabindex: '0', role: 'region', 'aria-label': 'Message text' }, message.text);
  }
  return h('p', { class: 'help', 'data-testid': 'message-body' }, 'This message has no text.');
}
